// Lead fields (include/nmsweep/observe/leadfield.hpp): sensor and gain files,
// the analytic gains against closed forms computed here, and the sensor-space
// projection feeding an unchanged reducer.
#include "nmsweep/core/error.hpp"
#include "nmsweep/core/hd.hpp"
#include "nmsweep/observe/leadfield.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

using namespace nms::observe;

namespace {

const std::string dir = std::string(NMS_TEST_DATA) + "/sensors/";

std::string scratch_file(const std::string& name, const std::string& text) {
    const auto d = std::filesystem::temp_directory_path() / ("nms_leadfield_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    const auto p = (d / name).string();
    std::ofstream(p) << text;
    return p;
}

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const nms::input_error& e) {
        return e.what();
    }
    return "no error";
}

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

} // namespace

TEST(leadfield, reads_tvb_sensor_files) {
    const auto eeg = read_sensors(dir + "eeg_4.txt"); // tabs, trailing tab, CRLF, comment, blank line
    ASSERT_EQ(eeg.size(), 4u);
    EXPECT_EQ(eeg.labels, (std::vector<std::string>{"Fp1", "Fp2", "Cz", "Oz"}));
    EXPECT_EQ(eeg.positions[1], (vec3{80, -30, 40}));
    EXPECT_EQ(eeg.positions[3], (vec3{-90.5, 0, 20.25}));
    EXPECT_TRUE(eeg.orientations.empty());
    const auto meg = read_sensors(dir + "meg_3.txt");
    ASSERT_EQ(meg.size(), 3u);
    ASSERT_EQ(meg.orientations.size(), 3u);
    EXPECT_EQ(meg.orientations[1], (vec3{0, -0.3, 0.953939}));
    EXPECT_EQ(meg.orientations[2], (vec3{0, 0, 0}));
}

TEST(leadfield, sensor_file_errors_name_file_line_and_value) {
    const auto bad_number = scratch_file("bad_number.txt", "A 1 2 3\nB 1 2x 3\n");
    EXPECT_CONTAINS(error_of([&] { read_sensors(bad_number); }),
                    bad_number + ":2: '2x' is not a finite number (y of sensor 'B')");
    const auto nan = scratch_file("nan.txt", "A 1 2 3 0 0 nan\n");
    EXPECT_CONTAINS(error_of([&] { read_sensors(nan); }),
                    nan + ":1: 'nan' is not a finite number (oz of sensor 'A')");
    const auto fields5 = scratch_file("fields5.txt", "\nA 1 2 3 4\n");
    EXPECT_CONTAINS(error_of([&] { read_sensors(fields5); }), fields5 + ":2: expected 'name x y z'");
    EXPECT_CONTAINS(error_of([&] { read_sensors(fields5); }), "got 5 fields");
    const auto mixed = scratch_file("mixed.txt", "A 1 2 3\nB 1 2 3 0 0 1\n");
    EXPECT_CONTAINS(error_of([&] { read_sensors(mixed); }), mixed + ":2: 7 fields, but line 1 has 4");
    const auto dup = scratch_file("dup.txt", "A 1 2 3\nB 1 2 3\nA 4 5 6\n");
    EXPECT_CONTAINS(error_of([&] { read_sensors(dup); }), dup + ":3: sensor 'A' already defined on line 1");
    const auto empty = scratch_file("empty.txt", "# nothing\n\n");
    EXPECT_CONTAINS(error_of([&] { read_sensors(empty); }), empty + ": no sensors");
    EXPECT_CONTAINS(error_of([&] { read_sensors(dir + "missing.txt"); }),
                    "missing.txt: cannot open the sensor file");
}

TEST(leadfield, reads_gain_text_and_npy) {
    const std::vector<double> want = {1.5, -2.0, 0.25, 4, 1e-3, 0};
    const auto t = read_gain_matrix(dir + "gain_3x2.csv", 2);
    EXPECT_EQ(t.n_sensors, 3u);
    EXPECT_EQ(t.n_regions, 2u);
    EXPECT_EQ(t.values, want);
    EXPECT_EQ(t.sensor_labels, (std::vector<std::string>{"A1", "A2", "A3"}));
    EXPECT_DOUBLE_EQ(t(1, 1), 4.0);
    const auto n = read_gain_matrix(dir + "gain_3x2.npy");
    EXPECT_EQ(n.n_sensors, 3u);
    EXPECT_EQ(n.values, want);
    const auto f = read_gain_matrix(dir + "gain_3x2_f4_fortran.npy");
    ASSERT_EQ(f.values.size(), 6u);
    for (std::size_t k = 0; k < 6; ++k) EXPECT_EQ(f.values[k], double(float(want[k])));
    EXPECT_CONTAINS(error_of([&] { read_gain_matrix(dir + "gain_3x2.csv", 76); }),
                    "gain_3x2.csv: the gain matrix has 2 columns (regions), but the network has 76 nodes");
    const auto ragged = scratch_file("ragged.txt", "1 2 3\n4 5\n");
    EXPECT_CONTAINS(error_of([&] { read_gain_matrix(ragged); }), ragged + ":2: 2 values, but line 1 has 3");
    const auto word = scratch_file("word.csv", "1;2\n3;x4\n");
    EXPECT_CONTAINS(error_of([&] { read_gain_matrix(word); }),
                    word + ":2: 'x4' is not a finite number (column 2)");
    const auto cell = scratch_file("cell.csv", "1,2\n3,4e999\n");
    EXPECT_CONTAINS(error_of([&] { read_gain_matrix(cell); }),
                    cell + ":2: '4e999' is not a finite number (column 2)");
}

// A unit dipole along z at the origin, sensors on the axes and at a general
// point; V = p.(r - r0) / (4 pi sigma |r - r0|^3) in SI units.
TEST(leadfield, dipole_gain_matches_closed_form) {
    sensor_set s;
    s.labels = {"zp", "zm", "x", "y", "g"};
    s.positions = {{0, 0, 50}, {0, 0, -80}, {70, 0, 0}, {0, 60, 0}, {30, -20, 45}};
    gain_options o;
    o.sigma = 0.33;
    o.orientations = {{0, 0, 2}}; // normalised by compute_gain
    const auto g = compute_gain(s, {{0, 0, 0}}, o);
    ASSERT_EQ(g.n_sensors, 5u);
    ASSERT_EQ(g.n_regions, 1u);
    EXPECT_EQ(g.units, "V/(A m)");
    const double k = 1 / (4 * nms::pi * 0.33);
    EXPECT_NEAR(g(0, 0), k / (0.05 * 0.05), 1e-12 * k / (0.05 * 0.05));
    EXPECT_NEAR(g(1, 0), -k / (0.08 * 0.08), 1e-12 * k / (0.08 * 0.08));
    EXPECT_NEAR(g(2, 0), 0.0, 1e-15);
    EXPECT_NEAR(g(3, 0), 0.0, 1e-15);
    const double r = std::sqrt(0.03 * 0.03 + 0.02 * 0.02 + 0.045 * 0.045);
    EXPECT_NEAR(g(4, 0), k * 0.045 / (r * r * r), 1e-12 * k * 0.045 / (r * r * r));

    // Radial default: regions at x = +-10 mm point away from their centre of
    // mass (the origin); a region off-origin moves with its centre.
    sensor_set s2;
    s2.labels = {"a"};
    s2.positions = {{50, 0, 0}};
    const auto g2 = compute_gain(s2, {{10, 0, 0}, {-10, 0, 0}}, gain_options{});
    const double k2 = 1 / (4 * nms::pi * 0.3);
    EXPECT_NEAR(g2(0, 0), k2 / (0.04 * 0.04), 1e-12 * k2 / (0.04 * 0.04));
    EXPECT_NEAR(g2(0, 1), -k2 / (0.06 * 0.06), 1e-12 * k2 / (0.06 * 0.06));

    EXPECT_CONTAINS(error_of([&] { compute_gain(s2, {{5, 5, 5}}, gain_options{}); }), "centre of mass");
    sensor_set on;
    on.labels = {"on"};
    on.positions = {{10, 0, 0}};
    on.source = "on.txt";
    EXPECT_CONTAINS(error_of([&] {
                        compute_gain(on, {{10, 0, 0}, {-10, 0, 0}}, gain_options{});
                    }),
                    "on.txt: sensor 'on' lies at the centre of region 0");
}

// B = mu0 / 4 pi p x (r - r0) / |r - r0|^3 along the coil orientation.
TEST(leadfield, magnetic_dipole_gain_matches_closed_form) {
    sensor_set s;
    s.labels = {"xy", "xz", "z", "g"};
    s.positions = {{50, 0, 0}, {50, 0, 0}, {0, 0, 40}, {20, 30, 10}};
    s.orientations = {{0, 1, 0}, {0, 0, 1}, {0, 1, 0}, {0.6, 0, 0.8}};
    gain_options o;
    o.kind = "magnetic_dipole";
    o.orientations = {{0, 0, 1}};
    const auto g = compute_gain(s, {{0, 0, 0}}, o);
    EXPECT_EQ(g.units, "T/(A m)");
    EXPECT_NEAR(g(0, 0), 1e-7 / (0.05 * 0.05), 1e-18); // z x x = y
    EXPECT_NEAR(g(1, 0), 0.0, 1e-20);
    EXPECT_NEAR(g(2, 0), 0.0, 1e-20); // along the dipole
    // p x a = z x (0.02, 0.03, 0.01) = (-0.03, 0.02, 0); . (0.6, 0, 0.8) = -0.018
    const double r = std::sqrt(0.02 * 0.02 + 0.03 * 0.03 + 0.01 * 0.01);
    EXPECT_NEAR(g(3, 0), 1e-7 * -0.018 / (r * r * r), 1e-18);
    sensor_set eeg = s;
    eeg.orientations.clear();
    EXPECT_CONTAINS(error_of([&] { compute_gain(eeg, {{0, 0, 0}}, o); }), "needs sensor orientations");
}

// g = w / d^2 (mm) on a hand-made geometry.
TEST(leadfield, inverse_square_gain_on_tiny_geometry) {
    sensor_set s;
    s.labels = {"s0", "s1"};
    s.positions = {{0, 0, 0}, {3, 4, 0}};
    gain_options o;
    o.kind = "inverse_square";
    const std::vector<vec3> c = {{1, 0, 0}, {0, 0, 2}};
    const auto g = compute_gain(s, c, o);
    EXPECT_EQ(g.units, "1/mm^2");
    EXPECT_DOUBLE_EQ(g(0, 0), 1.0);      // d = 1
    EXPECT_DOUBLE_EQ(g(0, 1), 1.0 / 4);  // d = 2
    EXPECT_DOUBLE_EQ(g(1, 0), 1.0 / 20); // (2, 4, 0)
    EXPECT_DOUBLE_EQ(g(1, 1), 1.0 / 29); // (3, 4, -2)
    o.region_weights = {2.0, 0.5};
    const auto w = compute_gain(s, c, o);
    EXPECT_DOUBLE_EQ(w(1, 0), 2.0 / 20);
    EXPECT_DOUBLE_EQ(w(1, 1), 0.5 / 29);
    o.kind = "quadrupole";
    EXPECT_CONTAINS(error_of([&] { compute_gain(s, c, o); }), "kind 'quadrupole'");
}

TEST(leadfield, rereference) {
    gain_matrix g = read_gain_matrix(dir + "gain_3x2.csv");
    gain_matrix a = g;
    rereference(a, "average");
    for (std::size_t r = 0; r < 2; ++r) EXPECT_NEAR(a(0, r) + a(1, r) + a(2, r), 0.0, 1e-15);
    EXPECT_DOUBLE_EQ(a(1, 1), 4 - (-2.0 + 4 + 0) / 3);
    rereference(g, "A2");
    EXPECT_EQ(g(1, 0), 0.0);
    EXPECT_EQ(g(1, 1), 0.0);
    EXPECT_DOUBLE_EQ(g(0, 1), -6.0);
    EXPECT_CONTAINS(error_of([&] { rereference(g, "Cz"); }), "reference 'Cz': no such sensor");
}

// A single active region projects onto its gain column, in every valid lane
// (padding lanes are never read).
TEST(leadfield, single_active_region_gives_its_gain_column) {
    sensor_set s = read_sensors(dir + "eeg_4.txt");
    const std::vector<vec3> c = {{20, 10, 30}, {-30, 5, 40}, {10, -40, 50}};
    const auto g = compute_gain(s, c, gain_options{});
    const int lanes = 4, valid = 3;
    for (std::size_t active = 0; active < 3; ++active) {
        std::vector<double> obs(3 * lanes, std::nan("")), net(lanes, 0.0);
        for (int r = 0; r < 3; ++r)
            for (int l = 0; l < valid; ++l)
                obs[std::size_t(r * lanes + l)] = std::size_t(r) == active ? 1.0 + l : 0.0;
        std::vector<double> so, sn;
        const auto b = project(g, {7, 0, lanes, valid, 3, obs.data(), net.data()}, so, sn);
        ASSERT_EQ(b.n_nodes, 4);
        EXPECT_EQ(b.step, 7);
        for (int l = 0; l < valid; ++l) {
            double mean = 0;
            for (std::size_t k = 0; k < 4; ++k) {
                EXPECT_DOUBLE_EQ(b.obs[k * lanes + std::size_t(l)], (1.0 + l) * g(k, active));
                mean += g(k, active) * (1.0 + l) / 4;
            }
            EXPECT_NEAR(b.net[l], mean, 1e-12 * std::abs(mean));
        }
    }
}

// moments in sensor space through the adapter = moments of the linear
// combinations computed here; dims and names renamed.
TEST(leadfield, sensor_space_moments_equal_linear_combination) {
    const gain_matrix g = read_gain_matrix(dir + "gain_3x2.csv");
    const std::size_t n_inst = 3;
    const long T = 500;
    auto region = [](std::size_t i, long t, int r) {
        return std::sin(0.01 * double(t) * (1 + r) + double(i)) + 0.3 * double(r) +
               0.1 * std::cos(0.37 * double(t * t));
    };
    projection_options po;
    po.group = "eeg";
    auto pr = make_projected_reducer(g, nms::make_moments_reducer({"mean", "std", "min", "max"}, "mV"), po);
    pr->reset(n_inst, 2);
    const int lanes = 2;
    std::vector<double> obs(2 * lanes), net(lanes);
    for (std::size_t first = 0; first < n_inst; first += lanes) {
        const int valid = int(std::min<std::size_t>(lanes, n_inst - first));
        for (long t = 0; t < T; ++t) {
            for (int l = 0; l < valid; ++l)
                for (int r = 0; r < 2; ++r)
                    obs[std::size_t(r * lanes + l)] = region(first + std::size_t(l), t, r);
            pr->accumulate({t + 1, first, lanes, valid, 2, obs.data(), net.data()});
        }
    }
    const auto outs = pr->outputs();
    ASSERT_EQ(outs.size(), 8u);
    EXPECT_EQ(outs[0].name, "eeg/mean");
    EXPECT_EQ(outs[0].extra_dims, (std::vector<std::string>{"sensor"}));
    EXPECT_EQ(outs[0].extra_sizes, (std::vector<std::size_t>{3}));
    EXPECT_EQ(outs[1].name, "eeg/network_mean");
    EXPECT_CONTAINS(outs[0].description, "sensor space (3 sensors");
    for (std::size_t i = 0; i < n_inst; ++i) {
        std::vector<double> mean(4, 0), sq(4, 0), mn(4, 1e300), mx(4, -1e300);
        for (long t = 0; t < T; ++t) {
            double netv = 0;
            for (std::size_t s = 0; s < 4; ++s) {
                double y;
                if (s < 3) {
                    y = g(s, 0) * region(i, t, 0) + g(s, 1) * region(i, t, 1);
                    netv += y / 3;
                } else {
                    y = netv;
                }
                mean[s] += y / double(T);
                mn[s] = std::min(mn[s], y);
                mx[s] = std::max(mx[s], y);
            }
        }
        for (long t = 0; t < T; ++t) {
            double netv = 0;
            for (std::size_t s = 0; s < 4; ++s) {
                double y;
                if (s < 3) {
                    y = g(s, 0) * region(i, t, 0) + g(s, 1) * region(i, t, 1);
                    netv += y / 3;
                } else {
                    y = netv;
                }
                sq[s] += (y - mean[s]) * (y - mean[s]) / double(T);
            }
        }
        const std::vector<std::vector<double>*> want = {&mean, &sq, &mn, &mx};
        for (std::size_t f = 0; f < 4; ++f) {
            std::vector<double> per(3), netw(1);
            pr->result(2 * f, i, per.data());
            pr->result(2 * f + 1, i, netw.data());
            for (std::size_t s = 0; s < 4; ++s) {
                double w = (*want[f])[s];
                if (f == 1) w = std::sqrt(w);
                const double got = s < 3 ? per[s] : netw[0];
                EXPECT_NEAR(got, w, 1e-12 * (1 + std::abs(w)))
                    << outs[2 * f].name << " sensor " << s << " inst " << i;
            }
        }
    }
    EXPECT_CONTAINS(error_of([&] { pr->reset(1, 76); }), "2 regions (columns), but the network has 76 nodes");
}

// Measurement noise: a pure function of (seed, global instance, sensor,
// step): the same with other lane packings and batch splits; white with the
// given standard deviation.
TEST(leadfield, measurement_noise_is_counter_based) {
    gain_matrix g;
    g.n_sensors = 2;
    g.n_regions = 1;
    g.values = {1.0, -1.0};
    projection_noise nz;
    nz.sigma = 0.5;
    nz.seed = 1234;
    const long T = 20000;
    auto run = [&](int lanes, std::size_t offset, std::size_t first, int valid, std::size_t want_lane) {
        std::vector<double> obs(static_cast<std::size_t>(lanes), 0.0), net(static_cast<std::size_t>(lanes)),
            so, sn, out;
        for (long t = 0; t < T; ++t) {
            const auto b =
                project(g, {t, first, lanes, valid, 1, obs.data(), net.data()}, so, sn, nz, offset);
            out.push_back(b.obs[want_lane]);
        }
        return out;
    };
    // global instance 5 = batch offset 4 + block first 0 + lane 1, or offset 0 + first 4 + lane 1
    const auto a = run(2, 4, 0, 2, 1), b = run(8, 0, 4, 3, 1);
    EXPECT_EQ(a, b);
    const auto c = run(2, 0, 0, 2, 1);
    EXPECT_NE(a, c);
    double m = 0, v = 0;
    for (double x : a) m += x / double(T);
    for (double x : a) v += (x - m) * (x - m) / double(T);
    EXPECT_NEAR(m, 0.0, 5 * 0.5 / std::sqrt(double(T)));
    EXPECT_NEAR(std::sqrt(v), 0.5, 0.02);
    projection_options po;
    po.noise.sigma = -1;
    EXPECT_THROW(make_projected_reducer(g, nms::make_moments_reducer({"mean"}, ""), po), nms::input_error);
}
