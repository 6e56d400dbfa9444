// The attractor reducer on signals whose class is known by construction
// (constants, sines, relaxation waves, Lorenz chaos, quasi-periodic sums,
// damped and converging oscillations), the clustering behind n_attractors,
// class boundaries on small grids, the [output.attractor] and
// [initial].random.ranges spec keys, and the multistability maps end to end.
#include "analysis_test_util.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

constexpr double pi = 3.14159265358979323846;

// fs = 1000 Hz (1 ms per sample), n samples.
nms::sampling smp_ms(long n) {
    nms::sampling s;
    s.fs = 1000;
    s.dt_ms = 1;
    s.n_samples = n;
    return s;
}

struct verdict {
    int cls;
    double amplitude, frequency, mean;
};

// Classifies one network-level signal x(t_ms) (one node, so net = obs).
verdict classify(const std::function<double(double)>& x, long n, nms::attractor_options o = {}) {
    auto r = nms::make_attractor_reducer(o, smp_ms(n), "");
    nms_test::feed(*r, 1, 1, n, 8, [&](std::size_t, long t, int) { return x(double(t)); });
    return {int(nms_test::result_of(*r, "features/attractor_class", 0)[0]),
            nms_test::result_of(*r, "features/amplitude", 0)[0],
            nms_test::result_of(*r, "features/frequency", 0)[0],
            nms_test::result_of(*r, "features/attractor_mean", 0)[0]};
}

// decay_rate of one network-level signal.
double decay_rate_of(const std::function<double(double)>& x, long n) {
    auto r = nms::make_attractor_reducer({}, smp_ms(n), "");
    nms_test::feed(*r, 1, 1, n, 8, [&](std::size_t, long t, int) { return x(double(t)); });
    return nms_test::result_of(*r, "features/decay_rate", 0)[0];
}

// Lorenz (sigma 10, rho 28, beta 8/3) x(t), RK4, one model time unit per 50 ms.
std::vector<double> lorenz_x(long n) {
    double x = 1, y = 1, z = 1;
    const double h = 0.02 / 10; // 10 sub-steps per 1 ms sample
    auto f = [](double a, double b, double c, double* d) {
        d[0] = 10 * (b - a);
        d[1] = a * (28 - c) - b;
        d[2] = a * b - 8.0 / 3.0 * c;
    };
    std::vector<double> out;
    for (long t = 0; t < 5000 + n; ++t) {
        for (int s = 0; s < 10; ++s) {
            double k1[3], k2[3], k3[3], k4[3];
            f(x, y, z, k1);
            f(x + h / 2 * k1[0], y + h / 2 * k1[1], z + h / 2 * k1[2], k2);
            f(x + h / 2 * k2[0], y + h / 2 * k2[1], z + h / 2 * k2[2], k3);
            f(x + h * k3[0], y + h * k3[1], z + h * k3[2], k4);
            x += h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]);
            y += h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]);
            z += h / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2]);
        }
        if (t >= 5000) out.push_back(z); // z: one maximum per loop, irregular heights (Lorenz map)
    }
    return out;
}

} // namespace

TEST(attractor, constant_is_a_fixed_point) {
    const auto v = classify([](double t) { return 3.0 + 1e-7 * std::sin(t); }, 5000);
    EXPECT_EQ(v.cls, nms::fixed_point);
    EXPECT_LT(v.amplitude, 1e-6);
    EXPECT_TRUE(std::isnan(v.frequency));
    EXPECT_NEAR(v.mean, 3.0, 1e-9);
}

TEST(attractor, sine_is_periodic_with_its_frequency_and_amplitude) {
    const auto v = classify([](double t) { return 5 + 2 * std::sin(2 * pi * 10.0 * t / 1000 + 0.3); }, 5000);
    EXPECT_EQ(v.cls, nms::periodic);
    EXPECT_NEAR(v.frequency, 10.0, 1e-3);
    EXPECT_NEAR(v.amplitude, 4.0, 4 * (1 - std::cos(pi * 10 / 1000)) + 1e-9); // sampled extrema
    EXPECT_NEAR(v.mean, 5.0, 2.0 / (2 * pi * 10 * 5));                        // 0.3 rad of a partial cycle
}

TEST(attractor, relaxation_wave_with_a_secondary_bump_is_periodic) {
    // A spike every 250 ms with a small after-bump: several local maxima per
    // period, one crossing of the level band.
    auto x = [](double t) {
        const double ph = std::fmod(t, 250.0);
        return 10 * std::exp(-ph / 15.0) * (ph > 0) + 1.5 * std::exp(-std::pow((ph - 120.0) / 20.0, 2));
    };
    const auto v = classify(x, 10000);
    EXPECT_EQ(v.cls, nms::periodic);
    EXPECT_NEAR(v.frequency, 4.0, 1e-3);
}

TEST(attractor, lorenz_is_irregular) {
    const auto z = lorenz_x(20000);
    const auto v = classify([&](double t) { return z[std::size_t(t)]; }, 20000);
    EXPECT_EQ(v.cls, nms::irregular);
    EXPECT_GT(v.frequency, 0);
    EXPECT_GT(v.amplitude, 10);
}

TEST(attractor, quasi_periodic_sum_is_irregular) {
    auto x = [](double t) {
        return std::sin(2 * pi * 10 * t / 1000) + 0.8 * std::sin(2 * pi * 10 * std::sqrt(2.0) * t / 1000);
    };
    EXPECT_EQ(classify(x, 20000).cls, nms::irregular);
}

TEST(attractor, too_few_cycles_are_unresolved) {
    const auto v = classify([](double t) { return std::sin(2 * pi * 0.5 * t / 1000); }, 5000); // 2.5 cycles
    EXPECT_EQ(v.cls, nms::unresolved);
    EXPECT_TRUE(std::isnan(v.frequency));
}

TEST(attractor, damped_oscillation_is_a_fixed_point) {
    // Ringing down towards 5 with a 1 s time constant over a 5 s record.
    const auto v =
        classify([](double t) { return 5 + std::exp(-t / 1000) * std::sin(2 * pi * 10 * t / 1000); }, 5000);
    EXPECT_EQ(v.cls, nms::fixed_point);
    EXPECT_TRUE(std::isnan(v.frequency));
    EXPECT_LT(v.amplitude, 2 * std::exp(-4.5)); // the last cycle's, not the record's
    // The level: the middle of the last cycle (5 + ~1e-4), not the record's
    // mean (5 + 0.0032, the ringing's average).
    EXPECT_NEAR(v.mean, 5, 5e-4);
    // Rung down below the fixed-point tolerance long before the end: the
    // level is where it settled (the record's mean is 5.0031).
    const auto w =
        classify([](double t) { return 5 + std::exp(-t / 100) * std::sin(2 * pi * 10 * t / 1000); }, 5000);
    EXPECT_EQ(w.cls, nms::fixed_point);
    EXPECT_NEAR(w.mean, 5, 1e-12);
}

TEST(attractor, monotone_approach_is_a_fixed_point_and_drift_is_unresolved) {
    const auto v = classify([](double t) { return 5 + 3 * std::exp(-t / 500); }, 5000);
    EXPECT_EQ(v.cls, nms::fixed_point);
    EXPECT_LT(v.amplitude, 3 * std::exp(-5.0));
    // The level reached: the last sample (t = 4999 ms), not the mean (5.3).
    EXPECT_NEAR(v.mean, 5 + 3 * std::exp(-4999.0 / 500), 1e-12);
    // Its rate of approach, 1 / 0.5 s, from the last two quarters' changes.
    EXPECT_NEAR(decay_rate_of([](double t) { return 5 + 3 * std::exp(-t / 500); }, 5000), -2.0, 0.01);
    EXPECT_EQ(classify([](double t) { return 0.001 * t; }, 5000).cls, nms::unresolved);
}

TEST(attractor, oscillation_converging_to_a_cycle_is_periodic) {
    // Amplitude 3 -> 2 (a limit cycle approached from outside): not damped.
    auto x = [](double t) { return (2 + std::exp(-t / 1500)) * std::sin(2 * pi * 10 * t / 1000); };
    const auto v = classify(x, 6000);
    EXPECT_EQ(v.cls, nms::periodic);
    EXPECT_NEAR(v.frequency, 10.0, 1e-2);
    EXPECT_NEAR(v.amplitude, 2 * (2 + std::exp(-6000.0 / 1500)), 0.02);
}

// The Hopf normal form's amplitude, r' = sigma r - l r^3 (rates in 1/s, r0
// at t = 0), closed form; the signal r(t) cos(2 pi 10 Hz t).
std::function<double(double)> stuart_landau(double sigma, double l, double r0) {
    return [=](double t_ms) {
        const double t = t_ms / 1000;
        const double r2 = sigma / (l + (sigma / (r0 * r0) - l) * std::exp(-2 * sigma * t));
        return std::sqrt(r2) * std::cos(2 * pi * 10 * t);
    };
}

TEST(attractor, slow_ring_down_is_a_fixed_point_with_its_decay_rate) {
    // e^(-0.01 t/s): the amplitude falls by 18% over the 20 s record, far
    // from halving; the envelope's rate is the exponent.
    auto x = [](double t) { return 2 + std::exp(-0.01 * t / 1000) * std::sin(2 * pi * 10 * t / 1000); };
    EXPECT_EQ(classify(x, 20000).cls, nms::fixed_point);
    EXPECT_NEAR(decay_rate_of(x, 20000), -0.01, 2e-4);
    // A settled cycle: rate ~0 (sampling jitter only), periodic.
    auto y = [](double t) { return std::sin(2 * pi * 10 * t / 1000); };
    EXPECT_EQ(classify(y, 20000).cls, nms::periodic);
    EXPECT_LT(std::abs(decay_rate_of(y, 20000)), 1e-4);
}

TEST(attractor, hopf_normal_form_tells_a_slow_focus_from_a_small_cycle) {
    // Either side of a Hopf point, l = 0.08, starting well above the small
    // cycle: both envelopes still fall through the 20 s record (-0.015 and
    // -0.002 1/s at its end), at rates that differ by their intercept only.
    const long n = 20000;
    const auto stable = stuart_landau(-0.005, 0.08, 0.4), unstable = stuart_landau(0.005, 0.08, 0.4);
    EXPECT_EQ(classify(stable, n).cls, nms::fixed_point);
    EXPECT_EQ(classify(unstable, n).cls, nms::periodic);
    EXPECT_LT(decay_rate_of(stable, n), -0.005);
    EXPECT_LT(decay_rate_of(unstable, n), 0.0);
    // The same from below the cycle: growing towards it (positive rate).
    const auto growing = stuart_landau(0.05, 0.08, 0.3);
    EXPECT_EQ(classify(growing, n).cls, nms::periodic);
    EXPECT_GT(decay_rate_of(growing, n), 0.0);
    // At the Hopf point itself (sigma = 0: algebraic decay) neither can be
    // told: unresolved rather than a guess.
    EXPECT_EQ(classify(stuart_landau(1e-9, 0.08, 0.4), n).cls, nms::unresolved);
}

TEST(attractor, tolerances_are_options) {
    auto x = [](double t) { return 100 + 0.05 * std::sin(2 * pi * 10 * t / 1000); }; // ptp 0.1
    EXPECT_EQ(classify(x, 3000).cls, nms::fixed_point); // 0.1 <= 1e-6 + 1e-3 * 100.05
    nms::attractor_options o;
    o.rtol = 1e-4;
    EXPECT_EQ(classify(x, 3000, o).cls, nms::periodic);
}

TEST(attractor, per_node_outputs_and_codes) {
    nms::attractor_options o;
    o.per_node = true;
    auto r = nms::make_attractor_reducer(o, smp_ms(4000), "mV");
    nms_test::feed(*r, 3, 2, 4000, 8, [](std::size_t i, long t, int node) {
        return node == 0 ? 1.0 + double(i) : std::sin(2 * pi * (5.0 + double(i)) * double(t) / 1000);
    });
    const auto outs = r->outputs();
    ASSERT_EQ(outs.size(), 10u);
    EXPECT_EQ(outs[0].name, "features/attractor_class");
    EXPECT_EQ(outs[4].name, "features/decay_rate");
    EXPECT_EQ(outs[5].name, "features/node_attractor_class");
    EXPECT_EQ(outs[5].extra_dims, std::vector<std::string>{"node"});
    EXPECT_TRUE(r->integer_output(0));
    EXPECT_TRUE(r->integer_output(5));
    EXPECT_FALSE(r->integer_output(4));
    EXPECT_FALSE(r->integer_output(1));
    EXPECT_EQ(r->diverged_value(0), double(nms::diverged));
    EXPECT_TRUE(std::isnan(r->diverged_value(2)));
    bool has_meanings = false;
    for (const auto& [k, v] : r->output_attrs(0))
        if (k == "flag_meanings") has_meanings = v == "fixed_point periodic irregular diverged unresolved";
    EXPECT_TRUE(has_meanings);
    for (std::size_t i = 0; i < 3; ++i) {
        const auto cls = nms_test::result_of(*r, "features/node_attractor_class", i);
        const auto f = nms_test::result_of(*r, "features/node_frequency", i);
        EXPECT_EQ(cls[0], nms::fixed_point);
        EXPECT_EQ(cls[1], nms::periodic);
        EXPECT_NEAR(f[1], 5.0 + double(i), 1e-3);
        // The network mean (constant + sine) / 2 is periodic too.
        EXPECT_EQ(nms_test::result_of(*r, "features/attractor_class", i)[0], nms::periodic);
    }
}

TEST(attractor, memory_does_not_grow_with_the_duration) {
    auto a = nms::make_attractor_reducer({}, smp_ms(1000), "");
    auto b = nms::make_attractor_reducer({}, smp_ms(100000000), "");
    EXPECT_EQ(a->bytes_per_instance(76), b->bytes_per_instance(76));
    EXPECT_LT(a->bytes_per_instance(76), 640u); // network channel only by default
}

TEST(attractor, clustering_tells_attractors_apart) {
    nms::attractor_options o;
    using S = nms::attractor_summary;
    // Two fixed points (one still ringing down) at one level, one elsewhere.
    EXPECT_EQ(nms::count_attractors({S{0, 0.0, NAN, 6.7}, S{0, 0.05, NAN, 6.71}, S{0, 0.0, NAN, 1.2}}, o),
              2u);
    // A cycle and a fixed point.
    EXPECT_EQ(nms::count_attractors({S{1, 2.0, 10.4, 6.8}, S{0, 0.0, NAN, 1.5}}, o), 2u);
    // The same cycle within 5 %; a cycle of another amplitude or frequency.
    EXPECT_EQ(nms::count_attractors({S{1, 2.0, 10.4, 6.8}, S{1, 2.08, 10.45, 6.82}}, o), 1u);
    EXPECT_EQ(nms::count_attractors({S{1, 2.0, 10.4, 6.8}, S{1, 9.9, 2.4, 3.6}}, o), 2u);
    EXPECT_EQ(nms::count_attractors({S{1, 2.0, 10.4, 6.8}, S{1, 2.0, 5.0, 6.8}}, o), 2u);
    // Escape to infinity is one attractor.
    EXPECT_EQ(nms::count_attractors({S{3, NAN, NAN, NAN}, S{3, NAN, NAN, NAN}}, o), 1u);
}

TEST(attractor, class_boundaries_are_midpoints_between_cells) {
    // x = {0, 1, 2}, y = {10, 20, 30, 40}; codes [x][y]:
    //   0 0 1 1
    //   0 0 1 1
    //   0 2 2 1
    const std::vector<long> codes{0, 0, 1, 1, 0, 0, 1, 1, 0, 2, 2, 1};
    const std::vector<std::string> names{"fixed_point", "periodic", "irregular"};
    const auto b = nms::class_boundaries(codes, {{0, 1, 2}, {10, 20, 30, 40}}, names);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(b[0].name, "fixed_point_periodic");
    EXPECT_EQ(b[0].points, (std::vector<double>{0, 25, 1, 25}));
    EXPECT_EQ(b[1].name, "fixed_point_irregular");
    EXPECT_EQ(b[1].points, (std::vector<double>{1.5, 20, 2, 15}));
    EXPECT_EQ(b[2].name, "periodic_irregular");
    EXPECT_EQ(b[2].points, (std::vector<double>{1.5, 30, 2, 35}));
    // Uncertainty: half the spacing along the axis crossed, 0 along the other.
    EXPECT_EQ(b[0].uncertainty, (std::vector<double>{0, 5, 0, 5}));
    EXPECT_EQ(b[1].uncertainty, (std::vector<double>{0.5, 0, 0, 5}));
    // 1-D; unknown codes (-1) are skipped; uneven spacing.
    const auto c = nms::class_boundaries({0, 0, 1, -1, 1, 0}, {{1, 2, 3, 4, 5, 7}}, names);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].points, (std::vector<double>{2.5, 6}));
    EXPECT_EQ(c[0].uncertainty, (std::vector<double>{0.5, 1}));
}

// ---- spec keys ---------------------------------------------------------------

namespace {
const char* base_spec = R"(
[model]
name = "jansen_rit"
preset = "classical"
[network]
connectome = "synthetic:1"
[integrator]
dt = 0.1
duration = 1000.0
)";
}

TEST(attractor_spec, options_and_random_ranges) {
    const std::string text = std::string(base_spec) + R"(
[initial]
random = { n = 5, seed = 3, ranges = { y1 = [10.0, 25.0], y4 = [0.0, 0.0] } }
[output]
features = ["attractor"]
[output.attractor]
rtol = 1e-4
atol = 1e-9
regular_tol = 0.02
min_cycles = 5
hysteresis = 0.2
per_node = true
cluster_tol = 0.05
)";
    const auto s = nms::parse_spec(text, "a.toml");
    EXPECT_EQ(s.features, std::vector<std::string>{"attractor"});
    EXPECT_DOUBLE_EQ(s.attractor.rtol, 1e-4);
    EXPECT_DOUBLE_EQ(s.attractor.atol, 1e-9);
    EXPECT_DOUBLE_EQ(s.attractor.regular_tol, 0.02);
    EXPECT_EQ(s.attractor.min_cycles, 5);
    EXPECT_DOUBLE_EQ(s.attractor.hysteresis, 0.2);
    EXPECT_TRUE(s.attractor.per_node);
    EXPECT_DOUBLE_EQ(s.attractor.cluster_tol, 0.05);
    ASSERT_EQ(s.axes.back().name, "initial");
    const auto net = nms::load_network(s);
    const auto sets = nms::initial_sets(s, net);
    ASSERT_EQ(sets.size(), 5u);
    for (const auto& set : sets) {
        const double y1 = set.at("y1").v[0], y4 = set.at("y4").v[0], y5 = set.at("y5").v[0];
        EXPECT_GE(y1, 10.0);
        EXPECT_LE(y1, 25.0);
        EXPECT_EQ(y4, 0.0);
        EXPECT_GE(y5, -500.0); // not in ranges: the model's state range
        EXPECT_LE(y5, 500.0);
    }
}

TEST(attractor_spec, bad_values_name_the_key) {
    auto fails_with = [](const std::string& extra, const std::string& what) {
        try {
            nms::parse_spec(std::string(base_spec) + extra, "a.toml");
            ADD_FAILURE() << "accepted: " << extra;
        } catch (const nms::input_error& e) {
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    fails_with("[output]\nfeatures = [\"attractor\"]\n[output.attractor]\nrtol = -1\n", "rtol");
    fails_with("[output]\nfeatures = [\"attractor\"]\n[output.attractor]\nmin_cycle = 3\n", "min_cycles");
    fails_with("[output]\nfeatures = [\"atractor\"]\n", "attractor");
    fails_with("[initial]\nrandom = { n = 2, ranges = { y9 = [0.0, 1.0] } }\n", "y9");
    fails_with("[initial]\nrandom = { n = 2, ranges = { y1 = [2.0, 1.0] } }\n", "lo <= hi");
}

// ---- end to end: maps, boundaries, diverged points ---------------------------

namespace {
const std::string bin = NMS_BIN;

int run_cli(const std::string& args, const fs::path& dir, std::string* out = nullptr) {
    const fs::path log = dir / "log.txt";
    const int rc = std::system((args + " > " + log.string() + " 2>&1").c_str());
    if (out) {
        std::ifstream f(log);
        std::stringstream ss;
        ss << f.rdbuf();
        *out = ss.str();
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

fs::path scratch(const std::string& name) {
    fs::path p = fs::temp_directory_path() / "nms_attractor" / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}
} // namespace

// Jansen-Rit, one column, coupling unused: 2-D grid (a dummy coupling axis x
// p) with 4 initial conditions. The maps lose the initial axis, the
// boundaries are in axis units, and the bistable points show n_attractors 2.
TEST(attractor_cli, maps_and_boundaries_of_a_2d_grid) {
    const auto dir = scratch("maps");
    std::ofstream(dir / "s.toml") << R"(
[model]
name = "jansen_rit"
preset = "classical"
[network]
connectome = "synthetic:1"
speed = 0
[coupling]
kind = "sigmoidal_jansen_rit"
[integrator]
dt = 0.1
duration = 20000.0
transient = 15000.0
[initial]
random = { n = 4, seed = 1, ranges = { y0 = [0.05, 0.12], y1 = [10.0, 25.0], y2 = [8.0, 16.0], y3 = [0.0, 0.0], y4 = [0.0, 0.0], y5 = [0.0, 0.0] } }
[[sweep]]
param = "coupling.cmin"
values = [0.0, 0.0]
[[sweep]]
param = "model.mu"
values = [0.08, 0.10, 0.20, 0.40]
[output]
features = ["attractor"]
sample_every = 10
)";
    const auto out = dir / "s.h5";
    std::string log;
    ASSERT_EQ(run_cli(bin + " run -q " + (dir / "s.toml").string() + " -o " + out.string(), dir, &log), 0)
        << log;
    std::vector<std::size_t> shape;
    const auto cls = nms::h5::read_dataset(out.string(), "features/attractor_class", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{2, 4, 4}));
    EXPECT_EQ(nms::h5::dimension_names(out.string(), "features/attractor_class"),
              (std::vector<std::string>{"coupling.cmin", "model.mu", "initial"}));
    const auto n_att = nms::h5::read_dataset(out.string(), "features/n_attractors", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{2, 4}));
    EXPECT_EQ(nms::h5::dimension_names(out.string(), "features/n_attractors"),
              (std::vector<std::string>{"coupling.cmin", "model.mu"}));
    const auto dom = nms::h5::read_dataset(out.string(), "features/dominant_class");
    const auto ms = nms::h5::read_dataset(out.string(), "features/multistable");
    for (int c = 0; c < 2; ++c) {
        // p = 80 and 100 Hz: two attractors (two fixed points; fixed point + alpha cycle);
        // p = 200: the alpha cycle alone; p = 400: the upper fixed point alone.
        EXPECT_EQ(n_att[c * 4 + 0], 2) << c;
        EXPECT_EQ(n_att[c * 4 + 1], 2) << c;
        EXPECT_EQ(n_att[c * 4 + 2], 1) << c;
        EXPECT_EQ(n_att[c * 4 + 3], 1) << c;
        EXPECT_EQ(ms[c * 4 + 1], 1);
        EXPECT_EQ(ms[c * 4 + 2], 0);
        EXPECT_EQ(dom[c * 4 + 0], nms::fixed_point);
        EXPECT_EQ(dom[c * 4 + 2], nms::periodic);
        EXPECT_EQ(dom[c * 4 + 3], nms::fixed_point);
    }
    // periodic at p = 200 only: boundaries at p = 150 and 300 on both rows (cmin = 0).
    const auto b = nms::h5::read_dataset(out.string(), "boundaries/fixed_point_periodic", &shape);
    ASSERT_EQ(shape.size(), 2u);
    EXPECT_EQ(shape[1], 2u);
    bool has150 = false, has300 = false;
    for (std::size_t k = 0; k < shape[0]; ++k) {
        has150 |= std::fabs(b[2 * k + 1] - 0.15) < 1e-12;
        has300 |= std::fabs(b[2 * k + 1] - 0.30) < 1e-12;
    }
    EXPECT_TRUE(has300);
    (void)has150; // p = 100 may be dominated by either class (2 of 4 each, ties: fixed point)
    EXPECT_EQ(nms::h5::read_string_attr(out.string(), "boundaries/fixed_point_periodic", "class_map"),
              "features/dominant_class");
    const auto bu = nms::h5::read_dataset(out.string(), "boundaries/fixed_point_periodic_uncertainty", &shape);
    ASSERT_EQ(bu.size(), b.size());
    for (std::size_t k = 0; k < bu.size() / 2; ++k) {
        EXPECT_EQ(bu[2 * k], 0.0); // along cmin: none crossed
        if (std::fabs(b[2 * k + 1] - 0.30) < 1e-12) EXPECT_NEAR(bu[2 * k + 1], 0.10, 1e-12); // 0.2 .. 0.4
    }
    // n_attractors 2 -> 1 between p = 100 and 200, on both rows.
    const auto nb = nms::h5::read_dataset(out.string(), "boundaries/n_attractors_1_2", &shape);
    const auto nu = nms::h5::read_dataset(out.string(), "boundaries/n_attractors_1_2_uncertainty");
    const std::vector<double> want{0.0, 0.15, 0.0, 0.15}, want_u{0.0, 0.05, 0.0, 0.05};
    ASSERT_EQ(nb.size(), 4u);
    ASSERT_EQ(nu.size(), 4u);
    for (int k = 0; k < 4; ++k) {
        EXPECT_NEAR(nb[k], want[k], 1e-12);
        EXPECT_NEAR(nu[k], want_u[k], 1e-12);
    }
    // Each start's own map: its class changes along p (a fixed point at 400 Hz, the alpha cycle at 200).
    for (int k = 0; k < 4; ++k) {
        const std::string g = "boundaries/initial_" + std::to_string(k) + "/fixed_point_periodic";
        const auto ib = nms::h5::read_dataset(out.string(), g, &shape);
        bool at300 = false;
        for (std::size_t q = 0; q < shape[0]; ++q) at300 |= std::fabs(ib[2 * q + 1] - 0.30) < 1e-12;
        EXPECT_TRUE(at300) << g;
        EXPECT_EQ(nms::h5::read_string_attr(out.string(), g, "class_map"),
                  "features/attractor_class at initial = " + std::to_string(k));
    }
    EXPECT_EQ(nms::h5::read_string_attr(out.string(), "features/attractor_class", "flag_meanings"),
              "fixed_point periodic irregular diverged unresolved");
    (void)cls;
}

// A point that diverges gets class 3 (and NaN amplitude), the others are
// classified; without an "initial" axis no multistability maps are written
// and the boundaries come from attractor_class itself.
TEST(attractor_cli, diverged_points_get_their_code) {
    const auto dir = scratch("diverged");
    std::ofstream(dir / "s.toml") << R"(
[model]
name = "linear"
[network]
connectome = "synthetic:2"
speed = 0
[integrator]
dt = 0.1
duration = 2000.0
transient = 100.0
[initial]
x = 0.5
[[sweep]]
param = "model.gamma"
values = [-0.1, 1.0]
[output]
observable = "x"
features = ["attractor", "mean"]
)";
    const auto out = dir / "s.h5";
    std::string log;
    ASSERT_EQ(run_cli(bin + " run -q " + (dir / "s.toml").string() + " -o " + out.string(), dir, &log), 0)
        << log;
    const auto cls = nms::h5::read_dataset(out.string(), "features/attractor_class");
    const auto amp = nms::h5::read_dataset(out.string(), "features/amplitude");
    const auto div = nms::h5::read_dataset(out.string(), "status/diverged_step");
    ASSERT_EQ(cls.size(), 2u);
    EXPECT_LT(div[0], 0);
    EXPECT_GE(div[1], 0);
    EXPECT_EQ(cls[0], nms::fixed_point);
    EXPECT_EQ(cls[1], nms::diverged);
    EXPECT_TRUE(std::isnan(amp[1]));
    EXPECT_THROW(nms::h5::read_dataset(out.string(), "features/n_attractors"), nms::input_error);
    std::vector<std::size_t> shape;
    const auto b = nms::h5::read_dataset(out.string(), "boundaries/fixed_point_diverged", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{1, 1}));
    EXPECT_DOUBLE_EQ(b[0], 0.45);
}
