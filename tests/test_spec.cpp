// Sweep specs: good specs give the right grid, values and batches; bad specs
// give an input_error that names the file, the line and the key.

#include "nmsweep/models/registry.hpp"
#include "nmsweep/sweep/plan.hpp"

#include "nmsweep/core/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

using namespace nms;

namespace {

const std::string dir = std::string(NMS_TEST_DATA) + "/specs/";

std::string read(const std::string& path) {
    std::ifstream f(path);
    std::ostringstream os;
    os << f.rdbuf();
    return os.str();
}

// Message of the input_error that f throws ("" if it throws none).
template <class F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const input_error& e) {
        return e.what();
    }
    return "";
}

// Reference formulas, written independently of the library (numpy's).
std::vector<double> np_linspace(double a, double b, int n) {
    std::vector<double> v;
    for (int i = 0; i < n; ++i) v.push_back(n == 1 ? a : a + (b - a) * i / (n - 1));
    return v;
}
std::vector<double> np_geomspace(double a, double b, int n) {
    std::vector<double> v;
    for (int i = 0; i < n; ++i) v.push_back(a * std::pow(b / a, n == 1 ? 0.0 : double(i) / (n - 1)));
    return v;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double rel = 1e-12) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_NEAR(got[i], want[i], rel * std::max(1.0, std::fabs(want[i]))) << "at " << i;
}

// A minimal valid spec plus extra text, for inline checks.
std::string base_spec(const std::string& extra, const std::string& integrator_extra = "") {
    return "[model]\nname = \"jansen_rit\"\n"
           "[network]\nconnectome = \"synthetic:8\"\n"
           "[coupling]\nkind = \"sigmoidal_jansen_rit\"\n"
           "[integrator]\ndt = 0.1\nduration = 100.0\n" +
           integrator_extra + extra;
}

} // namespace

TEST(spec, grid_shape_axes_and_settings) {
    const sweep_spec s = load_spec(dir + "good_grid.toml");
    EXPECT_EQ(grid_shape(s), (std::vector<std::size_t>{6, 3, 2}));
    EXPECT_EQ(n_points(s), 36u);
    ASSERT_EQ(s.axes.size(), 3u);
    EXPECT_EQ(s.axes[0].name, "coupling.a");
    EXPECT_EQ(s.axes[1].name, "model.mu");
    EXPECT_EQ(s.axes[1].unit, "1/ms");
    EXPECT_EQ(s.axes[2].name, "noise.seed");
    expect_near_all(s.axes[0].values, np_linspace(0.0, 0.5, 6));
    expect_near_all(s.axes[1].values, {0.1, 0.2, 0.3});

    EXPECT_EQ(s.model, "jansen_rit");
    EXPECT_EQ(s.preset, "classical");
    EXPECT_DOUBLE_EQ(s.params.at("model.v0").v[0], 6.0); // from the preset
    EXPECT_DOUBLE_EQ(s.params.at("model.mu").v[0], 0.22);
    EXPECT_EQ(s.params.at("model.A").k, field::kind::per_node);
    EXPECT_DOUBLE_EQ(s.params.at("model.A").v[2], 3.5);
    EXPECT_DOUBLE_EQ(s.params.at("coupling.a").v[0], 0.1);
    EXPECT_EQ(s.coupling, "sigmoidal_jansen_rit");
    EXPECT_EQ(s.connectome, "synthetic:8:3");
    EXPECT_DOUBLE_EQ(s.speed, 4.0);
    EXPECT_EQ(s.normalise, weight_norm::max);
    EXPECT_EQ(s.method, scheme::heun);
    EXPECT_EQ(s.delayed, delayed_coupling::hold); // TVB's convention by default
    EXPECT_EQ(n_steps(s), 1000);
    EXPECT_EQ(transient_steps(s), 200);
    ASSERT_EQ(s.noise_sigma.size(), 1u);
    EXPECT_DOUBLE_EQ(s.noise_sigma.at("y4"), 1e-4);
    EXPECT_EQ(s.seed, 11u);
    EXPECT_EQ(s.output_path, "jr_sweep.h5");
    EXPECT_EQ(s.observable_coef, (std::vector<double>{0, 1, -1, 0, 0, 0}));
    EXPECT_EQ(s.features, (std::vector<std::string>{"mean", "std", "min", "max", "final"}));
    EXPECT_EQ(s.sample_every, 10);
    EXPECT_TRUE(s.timeseries.enabled);
    EXPECT_EQ(s.timeseries.every, 10);
    EXPECT_EQ(s.timeseries.instances, (std::vector<std::size_t>{0, 5}));
    EXPECT_EQ(s.text, read(dir + "good_grid.toml"));
    EXPECT_EQ(s.path, dir + "good_grid.toml");
}

TEST(spec, make_batch_in_c_order) {
    const sweep_spec s = load_spec(dir + "good_grid.toml");
    const connectome net = load_network(s);
    ASSERT_EQ(net.n, 8u);
    double wmax = 0;
    for (double w : net.weights) wmax = std::max(wmax, w);
    EXPECT_DOUBLE_EQ(wmax, 1.0); // normalise = "max"

    const std::size_t first = 7, count = 20;
    const batch b = make_batch(s, net, first, count);
    EXPECT_NO_THROW(check_batch(b));
    EXPECT_EQ(b.n_instances, count);
    EXPECT_EQ(b.n_steps, 1000);
    EXPECT_EQ(b.coupling, "sigmoidal_jansen_rit");
    const field& a = b.params.at("coupling.a");
    const field& mu = b.params.at("model.mu");
    ASSERT_EQ(a.k, field::kind::per_instance);
    ASSERT_EQ(mu.k, field::kind::per_instance);
    ASSERT_EQ(b.seed_per_instance.size(), count);
    const double mus[] = {0.1, 0.2, 0.3};
    for (std::size_t j = 0; j < count; ++j) {
        const std::size_t g = first + j; // C order over (6, 3, 2)
        const std::size_t i0 = g / 6, i1 = (g / 2) % 3, i2 = g % 2;
        EXPECT_NEAR(a.v[j], 0.1 * double(i0), 1e-12) << g;
        EXPECT_DOUBLE_EQ(mu.v[j], mus[i1]) << g;
        EXPECT_EQ(b.seed_per_instance[j], std::uint64_t(1 + i2)) << g;
        EXPECT_EQ(grid_index(s, g), (std::vector<std::size_t>{i0, i1, i2}));
    }
    // Unswept settings pass through.
    EXPECT_DOUBLE_EQ(b.params.at("noise.y4").v[0], 1e-4);
    EXPECT_EQ(b.params.at("model.A").k, field::kind::per_node);
    EXPECT_DOUBLE_EQ(b.params.at("model.v0").v[0], 6.0);
    EXPECT_TRUE(b.speed_per_instance.empty());
    EXPECT_DOUBLE_EQ(b.speed, 4.0);

    EXPECT_THROW(make_batch(s, net, 30, 7), input_error);
    EXPECT_THROW(make_batch(s, net, 0, 0), input_error);
    EXPECT_NO_THROW(make_batch(s, net, 35, 1));
}

TEST(spec, whole_grid_runs_on_the_cpu) {
    const sweep_spec s = load_spec(dir + "good_grid.toml");
    const batch b = make_batch(s, load_network(s), 0, n_points(s));
    const run_result r = run_cpu<float>(b);
    ASSERT_EQ(r.diverged_step.size(), n_points(s));
    for (long d : r.diverged_step) EXPECT_EQ(d, -1);
}

TEST(spec, node_entries_speed_noise_scale_and_initial_file) {
    const sweep_spec s = load_spec(dir + "good_nodes.toml");
    EXPECT_EQ(grid_shape(s), (std::vector<std::size_t>{2, 3, 2, 3}));
    expect_near_all(s.axes[1].values, np_geomspace(0.01, 1.0, 3));
    expect_near_all(s.axes[3].values, np_geomspace(1e-4, 1e-2, 3));
    EXPECT_EQ(s.axes[2].unit, "mm/ms");
    EXPECT_EQ(s.axis_refs[0].label, "r3");
    EXPECT_EQ(s.axis_refs[1].node, 5);
    EXPECT_TRUE(std::isinf(s.speed));
    EXPECT_NE(s.connectome.find("conn8"), std::string::npos); // resolved against the spec's folder
    EXPECT_EQ(s.connectome.front(), '/');
    EXPECT_EQ(s.observable_coef, (std::vector<double>{2, 0.5, -0.5, 0, 0, 0}));

    const connectome net = load_network(s);
    const std::size_t N = n_points(s), n = net.n;
    const batch b = make_batch(s, net, 0, N);
    EXPECT_NO_THROW(check_batch(b));
    const field& mu = b.params.at("model.mu");
    ASSERT_EQ(mu.k, field::kind::per_node_instance);
    ASSERT_EQ(b.speed_per_instance.size(), N);
    const field& s4 = b.params.at("noise.y4");
    const field& s5 = b.params.at("noise.y5");
    const auto geo = np_geomspace(0.01, 1.0, 3), sig = np_geomspace(1e-4, 1e-2, 3);
    for (std::size_t g = 0; g < N; ++g) {
        const std::size_t i0 = g / 18, i1 = (g / 6) % 3, i2 = (g / 3) % 2, i3 = g % 3;
        for (std::size_t node = 0; node < n; ++node) {
            double want = 0.1 + 0.01 * double(node);
            if (node == 3) want = i0 ? 0.4 : 0.3;
            if (node == 5) want = geo[i1];
            EXPECT_NEAR(mu.at(node, g, N), want, 1e-12) << g << " " << node;
        }
        EXPECT_DOUBLE_EQ(b.speed_per_instance[g], i2 ? 8.0 : 2.0);
        // integrator.noise.sigma keeps the ratio y5 / y4 = 0.5.
        EXPECT_NEAR(s4.at(0, g, N), sig[i3], 1e-15);
        EXPECT_NEAR(s5.at(0, g, N), 0.5 * sig[i3], 1e-15);
    }
    // Initial state: y0 from [initial], y1 and y2 from the file, others default.
    EXPECT_EQ(b.initial.at("y0").k, field::kind::scalar);
    EXPECT_DOUBLE_EQ(b.initial.at("y0").v[0], 0.01);
    ASSERT_EQ(b.initial.at("y1").k, field::kind::per_node);
    for (std::size_t i = 0; i < n; ++i) {
        EXPECT_NEAR(b.initial.at("y1").v[i], 1.0 + 0.1 * double(i), 1e-12);
        EXPECT_NEAR(b.initial.at("y2").v[i], 2.0 + 0.1 * double(i), 1e-12);
    }
}

// The same per-node initial table as CSV, NumPy .npy (float32, Fortran
// order) and HDF5 (tests/reference/make_npy_h5_tables.py wrote the binary ones
// from the CSV).
TEST(spec, initial_table_from_csv_npy_and_hdf5) {
    std::ifstream in(dir + "good_nodes.toml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string base = ss.str();
    const auto at = base.find("\"../conn8\"");
    ASSERT_NE(at, std::string::npos);
    base.replace(at, 10, "\"" + dir + "../conn8\"");
    auto load_with = [&](const std::string& file_line) {
        std::string text = base;
        const auto k = text.find("file = \"ic8.csv\"");
        text.replace(k, 16, file_line);
        const std::string path =
            ::testing::TempDir() + "ic_" + std::to_string(std::hash<std::string>{}(file_line)) + ".toml";
        std::ofstream(path) << text;
        return load_spec(path);
    };
    const auto csv = load_with("file = \"" + dir + "ic8.csv\"").initial.table;
    const auto npy = load_with("file = \"" + dir + "ic8.npy\"").initial.table;
    const auto h5 = load_with("file = \"" + dir + "ic8.h5\"\ndataset = \"state\"").initial.table;
    ASSERT_EQ(csv.size(), 8u);
    ASSERT_EQ(npy.size(), 8u);
    ASSERT_EQ(h5, csv);
    for (std::size_t r = 0; r < 8; ++r)
        for (std::size_t c = 0; c < 6; ++c) EXPECT_NEAR(npy[r][c], csv[r][c], 1e-6) << r << " " << c;
    EXPECT_EQ(csv[3][1], 1.3);
    // A missing dataset and a dataset key on a CSV file are errors naming the key.
    EXPECT_THROW(load_with("file = \"" + dir + "ic8.h5\"\ndataset = \"nope\""), input_error);
    try {
        load_with("file = \"" + dir + "ic8.csv\"\ndataset = \"state\"");
        FAIL() << "dataset with a CSV file accepted";
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("dataset"), std::string::npos) << e.what();
    }
}

TEST(spec, latin_hypercube_sampler_is_stratified) {
    const sweep_spec s = load_spec(dir + "good_lhs.toml");
    EXPECT_EQ(s.sampler.kind, "lhs");
    EXPECT_EQ(grid_shape(s), (std::vector<std::size_t>{50, 2}));
    EXPECT_EQ(s.axes[0].name, "sample");
    expect_near_all(s.axes[0].values, np_linspace(0, 49, 50));
    ASSERT_EQ(s.sampler.params.size(), 3u);
    EXPECT_EQ(s.sampler.params[0].name, "coupling.a"); // file order
    EXPECT_EQ(s.sampler.params[1].name, "model.mu");
    EXPECT_EQ(s.sampler.params[2].name, "network.speed");
    EXPECT_NEAR(s.noise_sigma.at("y4"), 1e-4, 1e-18); // sigma = sqrt(2 nsig)
    const std::size_t n = 50;
    for (std::size_t d = 0; d < 3; ++d) {
        const double lo = s.sampler.ranges[d][0], hi = s.sampler.ranges[d][1];
        std::set<long> strata;
        for (double x : s.sampler.values[d]) {
            EXPECT_GE(x, lo);
            EXPECT_LT(x, hi);
            strata.insert(long(std::floor((x - lo) / (hi - lo) * double(n))));
        }
        EXPECT_EQ(strata.size(), n) << "dimension " << d; // each stratum hit exactly once
        EXPECT_EQ(*strata.begin(), 0);
        EXPECT_EQ(*strata.rbegin(), long(n - 1));
    }
    const connectome net = load_network(s);
    const batch b = make_batch(s, net, 13, 40);
    for (std::size_t j = 0; j < 40; ++j) {
        const std::size_t g = 13 + j, i = g / 2, k = g % 2;
        EXPECT_DOUBLE_EQ(b.params.at("coupling.a").v[j], s.sampler.values[0][i]);
        EXPECT_DOUBLE_EQ(b.params.at("model.mu").v[j], s.sampler.values[1][i]);
        EXPECT_DOUBLE_EQ(b.speed_per_instance[j], s.sampler.values[2][i]);
        EXPECT_EQ(b.seed_per_instance[j], 1 + k);
    }
    // Same seed, same points; another seed, other points.
    const std::string text = read(dir + "good_lhs.toml");
    EXPECT_EQ(parse_spec(text, "x.toml").sampler.values, s.sampler.values);
    std::string other = text;
    other.replace(other.find("seed = 7"), 8, "seed = 8");
    EXPECT_NE(parse_spec(other, "x.toml").sampler.values, s.sampler.values);
}

TEST(spec, uniform_and_sobol_samplers) {
    auto spec = [](const std::string& kind, int n) {
        return base_spec(
            "[sampler]\nkind = \"" + kind + "\"\nn = " + std::to_string(n) +
            "\nseed = 3\nranges = { \"model.mu\" = [0.1, 0.3], \"model.v0[2]\" = [5.0, 7.0] }\n");
    };
    const sweep_spec u = parse_spec(spec("uniform", 200), "u.toml");
    EXPECT_EQ(n_points(u), 200u);
    double mean = 0;
    for (double x : u.sampler.values[0]) {
        EXPECT_GE(x, 0.1);
        EXPECT_LT(x, 0.3);
        mean += x / 200;
    }
    EXPECT_NEAR(mean, 0.2, 0.02);
    // A node entry in a sampler: per_node_instance with node 2 sampled.
    const batch b = make_batch(u, synthetic_connectome(8), 0, 200);
    const field& v0 = b.params.at("model.v0");
    ASSERT_EQ(v0.k, field::kind::per_node_instance);
    for (std::size_t j = 0; j < 200; ++j) {
        EXPECT_DOUBLE_EQ(v0.at(2, j, 200), u.sampler.values[1][j]);
        EXPECT_DOUBLE_EQ(v0.at(1, j, 200), 5.52);
    }

    std::string msg = error_of([&] { parse_spec(spec("sobol", 64), "s.toml"); });
    if (msg.find("no Sobol") != std::string::npos) GTEST_SKIP() << "built without Boost.Random: " << msg;
    ASSERT_EQ(msg, "");
    const sweep_spec s = parse_spec(spec("sobol", 64), "s.toml");
    for (std::size_t d = 0; d < 2; ++d) {
        const double lo = s.sampler.ranges[d][0], hi = s.sampler.ranges[d][1];
        std::set<long> strata;
        for (double x : s.sampler.values[d]) strata.insert(long(std::floor((x - lo) / (hi - lo) * 64)));
        EXPECT_EQ(strata.size(), 64u); // a (0, m, 2) net: balanced in each dimension
    }
}

TEST(spec, random_initial_conditions_axis) {
    const sweep_spec s = load_spec(dir + "good_random_ic.toml");
    EXPECT_EQ(grid_shape(s), (std::vector<std::size_t>{2, 4}));
    EXPECT_EQ(s.axes[1].name, "initial");
    EXPECT_EQ(s.coupling, "linear"); // default
    EXPECT_EQ(n_initial_sets(s), 4u);
    const connectome net = load_network(s);
    const auto sets = initial_sets(s, net);
    ASSERT_EQ(sets.size(), 4u);
    for (const auto& set : sets) {
        EXPECT_EQ(set.at("y0").k, field::kind::scalar); // fixed by [initial] y0
        ASSERT_EQ(set.at("y1").k, field::kind::per_node);
        for (double x : set.at("y1").v) {
            EXPECT_GE(x, -500.0);
            EXPECT_LE(x, 500.0);
        }
    }
    EXPECT_NE(sets[0].at("y1").v, sets[1].at("y1").v);
    EXPECT_EQ(initial_sets(s, net)[2].at("y3").v, sets[2].at("y3").v); // reproducible
    // A Latin hypercube in the model's start box (y1 in [0, 30] mV): at each
    // node the 4 sets take one value in each quarter of it.
    for (std::size_t i = 0; i < net.n; ++i) {
        std::vector<int> quarter;
        for (const auto& set : sets) quarter.push_back(int(set.at("y1").v[i] / 7.5));
        std::sort(quarter.begin(), quarter.end());
        EXPECT_EQ(quarter, (std::vector<int>{0, 1, 2, 3})) << "node " << i;
    }

    const batch b = make_batch(s, net, 0, 8);
    const field& y1 = b.initial.at("y1");
    ASSERT_EQ(y1.k, field::kind::per_node_instance);
    for (std::size_t g = 0; g < 8; ++g) {
        for (std::size_t i = 0; i < net.n; ++i) EXPECT_DOUBLE_EQ(y1.at(i, g, 8), sets[g % 4].at("y1").v[i]);
        EXPECT_DOUBLE_EQ(b.params.at("model.mu").v[g], g < 4 ? 0.1 : 0.2);
    }
    EXPECT_EQ(b.initial.at("y0").k, field::kind::per_instance);
    // An explicit initial axis picks sets in the given order.
    const sweep_spec s2 =
        parse_spec(read(dir + "good_random_ic.toml") + "[[sweep]]\nparam = \"initial\"\nvalues = [3, 1]\n",
                   dir + "x.toml");
    EXPECT_EQ(grid_shape(s2), (std::vector<std::size_t>{2, 2}));
    const batch b2 = make_batch(s2, net, 0, 4);
    EXPECT_DOUBLE_EQ(b2.initial.at("y1").at(0, 1, 4), sets[1].at("y1").v[0]);
    EXPECT_DOUBLE_EQ(b2.initial.at("y1").at(0, 0, 4), sets[3].at("y1").v[0]);
}

// random = { n } alone: each start on Jansen-Rit's rest curve at its own
// point's parameters (y0 = u A/a 2 nu_max, the interneurons' PSPs at
// equilibrium with it, rates 0), u a Latin hypercube over the starts.
TEST(spec, random_starts_on_the_rest_curve) {
    std::string text = read(dir + "good_random_ic.toml");
    text.replace(text.find("y0 = 0.0\n"), 9, "");
    const sweep_spec s = parse_spec(text, dir + "x.toml");
    const connectome net = load_network(s);
    const model_info& m = find_model("jansen_rit");
    const batch b = make_batch(s, net, 0, 8);
    const double y0_max = 3.25 / 0.1 * 2 * 0.0025;
    for (std::size_t i = 0; i < net.n; ++i) {
        std::vector<int> quarter;
        for (std::size_t g = 0; g < 8; ++g) {
            std::vector<double> p;
            for (const auto& q : m.params)
                p.push_back(q.name == std::string("mu") ? b.params.at("model.mu").v[g] : q.value);
            const double u = b.initial.at("y0").at(i, g, 8) / y0_max;
            double x[6];
            m.rest_state(p.data(), u, x);
            for (int v = 0; v < 6; ++v)
                EXPECT_NEAR(b.initial.at(m.states[std::size_t(v)].name).at(i, g, 8), x[v], 1e-12)
                    << g << " " << v;
            if (g < 4) quarter.push_back(int(u * 4));
            // the same start at mu = 0.2 instead of 0.1: y1 higher by A/a 0.1
            if (g < 4)
                EXPECT_NEAR(b.initial.at("y1").at(i, g + 4, 8) - b.initial.at("y1").at(i, g, 8), 3.25, 1e-9);
        }
        std::sort(quarter.begin(), quarter.end());
        EXPECT_EQ(quarter, (std::vector<int>{0, 1, 2, 3})) << "node " << i;
    }
}

TEST(spec, no_sweep_is_one_point) {
    const sweep_spec s = parse_spec(base_spec(""), "one.toml");
    EXPECT_EQ(n_points(s), 1u);
    EXPECT_TRUE(grid_shape(s).empty());
    EXPECT_EQ(s.output_path, "one.h5");
    EXPECT_EQ(s.observable, "y1 - y2"); // the model's default
    const batch b = make_batch(s, synthetic_connectome(8), 0, 1);
    EXPECT_NO_THROW(check_batch(b));
}

TEST(spec, sweepable_names) {
    auto r = parse_param_ref("model.mu[3]", "jansen_rit", "sigmoidal_jansen_rit");
    EXPECT_EQ(r.k, param_ref::kind::model);
    EXPECT_EQ(r.key, "model.mu");
    EXPECT_EQ(r.node, 3);
    r = parse_param_ref("model.mu[\"rHC\"]", "jansen_rit", "sigmoidal_jansen_rit");
    EXPECT_EQ(r.label, "rHC");
    r = parse_param_ref("model.mu[lHC]", "jansen_rit", "sigmoidal_jansen_rit");
    EXPECT_EQ(r.label, "lHC");
    EXPECT_EQ(parse_param_ref("noise.y4", "jansen_rit", "linear").k, param_ref::kind::noise_var);
    EXPECT_EQ(parse_param_ref("noise.seed", "jansen_rit", "linear").k, param_ref::kind::seed);
    EXPECT_EQ(parse_param_ref("network.speed", "jansen_rit", "linear").k, param_ref::kind::speed);
    EXPECT_EQ(parse_param_ref("integrator.noise.sigma", "jansen_rit", "linear").k,
              param_ref::kind::noise_all);
    EXPECT_EQ(parse_param_ref("initial", "jansen_rit", "linear").k, param_ref::kind::initial);
    EXPECT_NE(error_of([] {
                  parse_param_ref("coupling.midpiont", "jansen_rit", "sigmoidal_jansen_rit");
              }).find("did you mean 'midpoint'"),
              std::string::npos);
    EXPECT_NE(error_of([] { parse_param_ref("model.a[", "jansen_rit", "linear"); }), "");
    EXPECT_NE(error_of([] { parse_param_ref("netwrk.speed", "jansen_rit", "linear"); }).find("network.speed"),
              std::string::npos);
    EXPECT_NE(error_of([] { parse_param_ref("noise.y4[2]", "jansen_rit", "linear"); }), "");
}

TEST(spec, estimate_cost) {
    const sweep_spec s = load_spec(dir + "good_grid.toml");
    const connectome net = load_network(s);
    const estimate e = estimate_cost(s, net);
    EXPECT_DOUBLE_EQ(e.node_steps, 36.0 * 8 * 1000);
    EXPECT_GT(e.bytes_per_instance, 4.0 * 6 * 8); // at least the state
    EXPECT_GE(e.total_bytes, 36 * e.bytes_per_instance);
    EXPECT_GT(estimate_cost(s, net, 8).bytes_per_instance, e.bytes_per_instance);
}

// ---- Malformed specs: file name, line and key in every message.

struct bad_case {
    const char* file;
    const char* key;
    const char* also; // another substring the message must have
};

void PrintTo(const bad_case& c, std::ostream* os) { *os << c.file; }

class spec_bad_file : public ::testing::TestWithParam<bad_case> {};

TEST_P(spec_bad_file, names_file_line_and_key) {
    const bad_case c = GetParam();
    const std::string path = dir + c.file;
    // The offending line carries the comment "# ERROR".
    std::ifstream f(path);
    ASSERT_TRUE(f) << path;
    int line = 0, err_line = 0;
    for (std::string l; std::getline(f, l);) {
        ++line;
        if (l.find("# ERROR") != std::string::npos) err_line = line;
    }
    ASSERT_GT(err_line, 0) << "no '# ERROR' marker in " << c.file;
    const std::string msg = error_of([&] { load_spec(path); });
    ASSERT_NE(msg, "") << c.file << " was accepted";
    EXPECT_NE(msg.find(std::string(c.file) + ":" + std::to_string(err_line) + ":"), std::string::npos)
        << "expected " << c.file << ":" << err_line << " in: " << msg;
    EXPECT_NE(msg.find(c.key), std::string::npos) << "expected key '" << c.key << "' in: " << msg;
    EXPECT_NE(msg.find(c.also), std::string::npos) << "expected '" << c.also << "' in: " << msg;
}

INSTANTIATE_TEST_SUITE_P(
    spec, spec_bad_file,
    ::testing::Values(bad_case{"bad_section.toml", "[modle]", "did you mean 'model'"},
                      bad_case{"bad_key.toml", "dtt", "did you mean 'dt'"},
                      bad_case{"bad_model.toml", "name", "did you mean 'jansen_rit'"},
                      bad_case{"bad_param.toml", "params.muu", "did you mean 'mu'"},
                      bad_case{"bad_type.toml", "dt", "expected a number, got a string (value \"0.1\")"},
                      bad_case{"bad_dt.toml", "dt", "(value -0.1)"},
                      bad_case{"bad_transient.toml", "transient", "[0, duration"},
                      bad_case{"bad_pernode.toml", "params.A", "8 nodes"},
                      bad_case{"bad_observable.toml", "observable", "no state variable 'y7'"},
                      bad_case{"bad_feature.toml", "features", "did you mean 'std'"},
                      bad_case{"bad_sweep_param.toml", "param", "did you mean 'a'"},
                      bad_case{"bad_linspace.toml", "linspace", "n must be >= 1"},
                      bad_case{"bad_sampler_n.toml", "[sampler] n", "must be >= 1"},
                      bad_case{"bad_label.toml", "model.mu[\"r99\"]", "no region labelled 'r99'"},
                      bad_case{"bad_noise_var.toml", "noise.vars", "'y9'"},
                      bad_case{"bad_coupling_key.toml", "midpiont", "did you mean 'midpoint'"},
                      bad_case{"bad_syntax.toml", "syntax error", "dt"},
                      bad_case{"bad_sweep_table.toml", "[sweep]", "[[sweep]]"},
                      bad_case{"bad_rk4_noise.toml", "method", "rk4"},
                      bad_case{"bad_initial_var.toml", "y00", "did you mean 'y0'"},
                      bad_case{"bad_speed_value.toml", "values", "-2"},
                      bad_case{"bad_ic_rows.toml", "file", "3 rows"}),
    [](const ::testing::TestParamInfo<bad_case>& i) {
        std::string n = i.param.file;
        return n.substr(0, n.find('.'));
    });

// More checks on inline specs: (text appended to a valid spec, key, substring).
TEST(spec, delayed_coupling_reaches_the_batch) {
    const sweep_spec s = parse_spec(base_spec("", "delayed_coupling = \"interpolate\"\nmethod = \"rk4\"\n"),
                                    dir + "inline.toml");
    EXPECT_EQ(s.delayed, delayed_coupling::interpolate);
    EXPECT_EQ(make_batch(s, synthetic_connectome(8), 0, 1).delayed, delayed_coupling::interpolate);
    const sweep_spec h = parse_spec(base_spec("", "delayed_coupling = \"hold\"\n"), dir + "inline.toml");
    EXPECT_EQ(make_batch(h, synthetic_connectome(8), 0, 1).delayed, delayed_coupling::hold);
}

TEST(spec, inline_errors_name_file_line_and_key) {
    struct item {
        std::string extra, integ, key, also;
    };
    const std::vector<item> items = {
        {"[[sweep]]\nparam = \"model.mu\"\nvalues = [0.1]\n[[sweep]]\nparam = \"model.mu\"\nvalues = [0.2]\n",
         "", "param", "swept twice"},
        {"[[sweep]]\nparam = \"model.mu\"\nvalues = [0.1]\nlinspace = [0, 1, 3]\n", "", "linspace",
         "give one of"},
        {"[[sweep]]\nparam = \"model.mu\"\n", "", "model.mu", "give one of"},
        {"[[sweep]]\nparam = \"model.mu\"\nvalues = []\n", "", "values", "empty"},
        {"[[sweep]]\nparam = \"model.mu\"\nlogspace = [0.0, 1.0, 4]\n", "", "logspace", "non-zero"},
        {"[[sweep]]\nparam = \"model.mu\"\nvalues = [0.1]\n[[sweep]]\nparam = \"model.mu[2]\"\nvalues = "
         "[0.2]\n",
         "", "param", "both set model.mu"},
        {"[[sweep]]\nparam = \"integrator.noise.sigma\"\nvalues = [0.1]\n", "", "param", "names none"},
        {"[[sweep]]\nparam = \"noise.seed\"\nvalues = [1.5]\n", "", "values", "integer"},
        {"[[sweep]]\nparam = \"initial\"\nvalues = [1]\n", "", "values", "outside 0..0"},
        {"[sampler]\nkind = \"lhs\"\nn = 4\nranges = { \"noise.seed\" = [0, 4] }\n", "", "ranges.noise.seed",
         "discrete"},
        {"[sampler]\nkind = \"latin\"\nn = 4\nranges = { \"model.mu\" = [0, 4] }\n", "", "kind",
         "unknown sampler"},
        {"[sampler]\nkind = \"lhs\"\nn = 4\nranges = { \"model.mu\" = [0.3, 0.1] }\n", "", "ranges.model.mu",
         "lo > hi"},
        {"[output]\ntimeseries = { every = 10, instances = [1] }\n", "", "timeseries.instances",
         "outside the grid"},
        {"[output]\ntimeseries = { evry = 10 }\n", "", "timeseries.evry", "did you mean 'every'"},
        {"[output]\nfeatures = [\"mean\", \"mean\"]\n", "", "features", "twice"},
        {"[output]\nsample_every = 0\n", "", "sample_every", ">= 1"},
        {"[output]\nobservable = \"y1 - 3\"\n", "", "observable", "constant term"},
        {"", "noise = { sigma = 1e-3, seeed = 1 }\n", "noise.seeed", "did you mean 'seed'"},
        {"", "noise = { sigma = 1e-3, nsig = 1e-3 }\n", "noise.nsig", "not both"},
        {"", "noise = { sigma = -1e-3 }\n", "noise.sigma", ">= 0"},
        {"", "noise = { sigma = { y9 = 1e-3 } }\n", "noise.sigma.y9", "did you mean"},
        {"", "method = \"heunn\"\n", "method", "did you mean 'heun'"},
        {"", "delayed_coupling = \"interpolat\"\n", "delayed_coupling", "did you mean 'interpolate'"},
        {"", "delayed_coupling = \"linear\"\n", "delayed_coupling", "expected hold or interpolate"},
        {"", "delayed_coupling = 1\n", "delayed_coupling", ""},
        {"", "transient = -1.0\n", "transient", "[0, duration"},
        {"[initial]\nfile = \"ic8.csv\"\nrandom = { n = 2 }\n", "", "random", "not both"},
        {"[initial]\nrandom = { n = 0 }\n", "", "random.n", ">= 1"},
        {"[model.params]\nA = \"x\"\n", "", "params.A", "expected a number or an array"},
        {"[model.params]\nA = [1.0, \"x\"]\n", "", "params.A[1]", "expected a number"},
    };
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& it = items[i];
        const std::string text = base_spec(it.extra, it.integ);
        const std::string msg = error_of([&] { parse_spec(text, dir + "inline.toml"); });
        ASSERT_NE(msg, "") << "accepted:\n" << text;
        EXPECT_NE(msg.find("inline.toml:"), std::string::npos) << msg;
        EXPECT_NE(msg.find(it.key), std::string::npos) << "key '" << it.key << "' not in: " << msg;
        EXPECT_NE(msg.find(it.also), std::string::npos) << "'" << it.also << "' not in: " << msg;
    }
    // A coupling parameter put in [model] params is pointed to [coupling].
    const std::string m = error_of([] {
        parse_spec("[model]\nname = \"jansen_rit\"\nparams = { midpoint = 6.0 }\n[network]\nconnectome = "
                   "\"synthetic:4\"\n[coupling]\nkind = \"sigmoidal_jansen_rit\"\n[integrator]\ndt = "
                   "0.1\nduration = 1.0\n",
                   "c.toml");
    });
    EXPECT_NE(m.find("c.toml:3: [model] params.midpoint"), std::string::npos) << m;
    EXPECT_NE(m.find("[coupling]"), std::string::npos) << m;
    // Missing required keys and sections.
    EXPECT_NE(error_of([] { parse_spec("[model]\nname = \"jansen_rit\"\n", "m.toml"); }).find("[network]"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  parse_spec("[model]\nname = \"jansen_rit\"\n[network]\nconnectome = "
                             "\"synthetic:4\"\n[integrator]\ndt = 0.1\n",
                             "m.toml");
              }).find("m.toml:5: [integrator] duration: required key is missing"),
              std::string::npos);
    EXPECT_NE(error_of([] { load_spec(dir + "no_such_spec.toml"); }).find("no_such_spec.toml: cannot open"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  parse_spec("[model]\nname = \"jansen_rit\"\n[network]\nconnectome = \"nowhere/conn.zip\"\n"
                             "[integrator]\ndt = 0.1\nduration = 1.0\n",
                             "m.toml");
              }).find("m.toml:4: [network] connectome: no such file"),
              std::string::npos);
}

// Observables with sines and cosines of state variables (phase models), and
// the [integrator] precision key.
TEST(spec, trig_observable_and_precision) {
    const std::string base = "[model]\nname = \"kuramoto\"\n[network]\nconnectome = \"synthetic:4\"\n"
                             "[integrator]\ndt = 0.1\nduration = 10.0\n";
    // The model's default observable is sin(theta).
    sweep_spec s = parse_spec(base, "k.toml");
    ASSERT_EQ(s.observable_coef.size(), 3u); // theta | sin(theta) | cos(theta)
    EXPECT_EQ(s.observable_coef, (std::vector<double>{0.0, 1.0, 0.0}));
    EXPECT_EQ(s.precision, "float");
    s = parse_spec(base + "precision = \"double\"\n[output]\nobservable = \"theta - 0.5*cos(theta)\"\n",
                   "k.toml");
    EXPECT_EQ(s.observable_coef, (std::vector<double>{1.0, 0.0, -0.5}));
    EXPECT_EQ(s.precision, "double");
    EXPECT_THROW(parse_spec(base + "[output]\nobservable = \"sin(thet)\"\n", "k.toml"), input_error);
    EXPECT_THROW(parse_spec(base + "[output]\nobservable = \"sin(theta\"\n", "k.toml"), input_error);
    EXPECT_THROW(parse_spec(base + "precision = \"half\"\n", "k.toml"), input_error);
}

// A model parameter far outside its plausible domain (TVB's range) is a
// warning naming the place, the unit and, for a likely unit slip, the value
// meant; values near the domain (bifurcation sweeps go past TVB's ranges)
// are not. Literature names of parameters point at the model's name.
TEST(spec, domain_warnings_and_aliases) {
    auto jr = [](const std::string& params, const std::string& sweep) {
        return "[model]\nname = \"jansen_rit\"\n" + params +
               "[network]\nconnectome = \"synthetic:8\"\n[coupling]\nkind = \"sigmoidal_jansen_rit\"\n"
               "[integrator]\ndt = 0.1\nduration = 100.0\n" +
               sweep;
    };
    const sweep_spec a = parse_spec(jr("params = { mu = 220.0 }\n", ""), "a.toml");
    ASSERT_EQ(a.warnings.size(), 1u);
    EXPECT_NE(a.warnings[0].find("a.toml:3"), std::string::npos) << a.warnings[0];
    EXPECT_NE(a.warnings[0].find("mu = 220"), std::string::npos) << a.warnings[0];
    EXPECT_NE(a.warnings[0].find("1/ms"), std::string::npos) << a.warnings[0];
    EXPECT_NE(a.warnings[0].find("mu = 0.22"), std::string::npos) << a.warnings[0];
    const sweep_spec b =
        parse_spec(jr("", "[[sweep]]\nparam = \"model.mu\"\nvalues = [0.05, 0.35, 350.0]\n"), "b.toml");
    ASSERT_EQ(b.warnings.size(), 1u);
    EXPECT_NE(b.warnings[0].find("b.toml:11: [sweep]"), std::string::npos) << b.warnings[0];
    EXPECT_NE(b.warnings[0].find("mu = 0.35"), std::string::npos) << b.warnings[0];
    EXPECT_TRUE(parse_spec(jr("params = { mu = 0.35, A = 5.0 }\n", ""), "c.toml").warnings.empty());
    EXPECT_TRUE(parse_spec(jr("", "[[sweep]]\nparam = \"model.mu\"\nlinspace = [0.0, 0.5, 11]\n"), "d.toml")
                    .warnings.empty());

    const std::string p_sweep =
        error_of([&] { parse_spec(jr("", "[[sweep]]\nparam = \"model.p\"\nvalues = [100.0]\n"), "e.toml"); });
    EXPECT_NE(p_sweep.find("did you mean 'mu'"), std::string::npos) << p_sweep;
    EXPECT_NE(p_sweep.find("p / 1000"), std::string::npos) << p_sweep;
    const std::string p_param = error_of([&] { parse_spec(jr("params = { p = 220.0 }\n", ""), "f.toml"); });
    EXPECT_NE(p_param.find("did you mean 'mu'"), std::string::npos) << p_param;
}

// Every model's defaults lie in the domains its parameters carry (the
// domains are TVB's ranges: a wrong copy would show here first).
TEST(spec, model_defaults_inside_their_domains) {
    for (const auto& m : nms::all_model_infos())
        for (const auto& p : m.params) {
            EXPECT_LE(p.lo, p.value) << m.name << "." << p.name;
            EXPECT_GE(p.hi, p.value) << m.name << "." << p.name;
        }
}

// [output.attractor] refine: tolerances as a fraction or per axis, and one
// clear error for each way to get it wrong.
TEST(spec, attractor_refine_options) {
    const std::string grid = "[[sweep]]\nparam = \"model.mu\"\nlinspace = [0.05, 0.35, 7]\n"
                             "[[sweep]]\nparam = \"coupling.a\"\nvalues = [1.0, 2.0]\n";
    auto spec = [&](const std::string& refine, const std::string& features = "[\"attractor\"]") {
        return base_spec(grid + "[output]\nfeatures = " + features +
                         "\n[output.attractor]\nrefine = " + refine + "\n");
    };
    const sweep_spec a = parse_spec(spec("{ tol = 0.01, max_points = 40 }"), "r.toml");
    EXPECT_TRUE(a.attractor.refine);
    EXPECT_DOUBLE_EQ(a.attractor.refine_tol, 0.01);
    EXPECT_EQ(a.attractor.refine_max_points, 40);
    const sweep_spec b = parse_spec(spec("{ tol = { \"model.mu\" = 0.0002 } }"), "r.toml");
    ASSERT_EQ(b.attractor.refine_tol_axis.size(), 1u);
    EXPECT_EQ(b.attractor.refine_tol_axis[0].first, "model.mu");
    EXPECT_FALSE(parse_spec(base_spec(grid), "r.toml").attractor.refine);
    auto err = [&](const std::string& text) { return error_of([&] { parse_spec(text, "r.toml"); }); };
    EXPECT_NE(err(spec("{ tol = 1.5 }")).find("refine.tol"), std::string::npos);
    EXPECT_NE(err(spec("{ tol = { \"model.nu\" = 0.1 } }")).find("did you mean 'model.mu'"),
              std::string::npos);
    EXPECT_NE(err(spec("{ tol = { \"model.mu\" = -1 } }")).find("must be > 0"), std::string::npos);
    EXPECT_NE(err(spec("{ max_points = 0 }")).find("refine.max_points"), std::string::npos);
    EXPECT_NE(err(spec("{ tols = 0.1 }")).find("tols"), std::string::npos);
    EXPECT_NE(err(spec("{ tol = 0.1 }", "[\"mean\"]")).find("needs \"attractor\""), std::string::npos);
    EXPECT_NE(err(spec("0.1")).find("expected a table"), std::string::npos);
    const std::string sampler = "[sampler]\nkind = \"lhs\"\nn = 8\nranges = { \"model.mu\" = [0.1, 0.3] }\n";
    EXPECT_NE(error_of([&] {
                  parse_spec(base_spec(sampler + "[output]\nfeatures = [\"attractor\"]\n[output.attractor]\n"
                                                 "refine = { tol = 0.1 }\n"),
                             "r.toml");
              }).find("needs a grid"),
              std::string::npos);
}

// Per-node parameters from files: values in node order (text or .npy), or
// rows naming regions with a default for the rest; each mistake is one
// error naming the file and line (or the spec's key) and the value.
TEST(spec, per_node_parameters_from_files) {
    const auto tmp = std::filesystem::temp_directory_path() / ("nms_node_files_" + std::to_string(getpid()));
    std::filesystem::create_directories(tmp);
    auto put = [&](const std::string& name, const std::string& text) {
        std::ofstream(tmp / name) << text;
        return (tmp / name).string();
    };
    auto spec_with = [&](const std::string& x0) {
        const std::string p = put("s.toml", "[model]\nname = \"epileptor\"\nparams = { x0 = " + x0 +
                                                " }\n[network]\nconnectome = \"synthetic:4\"\n"
                                                "[integrator]\ndt = 0.05\nduration = 10.0\n");
        return load_spec(p);
    };
    auto x0_of = [](const sweep_spec& s) { return s.params.at("model.x0").v; };
    put("order.csv", "x0\n-2.2\n-1.6\n-2.2\n-2.0\n");
    EXPECT_EQ(x0_of(spec_with("{ file = \"order.csv\" }")), (std::vector<double>{-2.2, -1.6, -2.2, -2.0}));
    put("ez.csv", "# region, x0\nlabel,x0\nr1, -1.6\nr3,-1.8  # propagation zone\n");
    const sweep_spec s = spec_with("{ file = \"ez.csv\", default = -2.2 }");
    EXPECT_EQ(x0_of(s), (std::vector<double>{-2.2, -1.6, -2.2, -1.8}));
    EXPECT_EQ(s.params.at("model.x0").k, field::kind::per_node);
    const batch b = make_batch(s, load_network(s), 0, 1);
    EXPECT_DOUBLE_EQ(b.params.at("model.x0").at(1, 0, 1), -1.6);

    auto err = [&](const std::string& x0) { return error_of([&] { spec_with(x0); }); };
    put("typo.csv", "r1 -1.6\nr33 -1.8\n");
    const std::string e1 = err("{ file = \"typo.csv\", default = -2.2 }");
    EXPECT_NE(e1.find("typo.csv:2: region 'r33' is not in the network"), std::string::npos) << e1;
    EXPECT_NE(e1.find("did you mean"), std::string::npos) << e1;
    const std::string e2 = err("{ file = \"ez.csv\" }");
    EXPECT_NE(e2.find("[model] params.x0: region 'r0' has no value in"), std::string::npos) << e2;
    put("twice.csv", "r1 -1.6\nr1 -1.7\n");
    EXPECT_NE(
        err("{ file = \"twice.csv\", default = 0 }").find("twice.csv:2: region 'r1' again (first on line 1)"),
        std::string::npos);
    put("bad.csv", "r1 -1.6\nr2 abc\n");
    EXPECT_NE(err("{ file = \"bad.csv\" }").find("bad.csv:2: not a finite number: 'abc'"), std::string::npos);
    put("mixed.csv", "-1.6\nr2 -1.7\n");
    EXPECT_NE(err("{ file = \"mixed.csv\" }").find("mixed.csv:2: expected one value per row"),
              std::string::npos);
    const std::string e3 = err("{ file = \"order.csv\", default = -2.2 }");
    EXPECT_NE(e3.find("params.x0.default: only for a file whose rows name regions"), std::string::npos) << e3;
    EXPECT_NE(err("{ file = \"nope.csv\" }").find("nope.csv"), std::string::npos);
    EXPECT_NE(err("{ fil = \"ez.csv\" }").find("did you mean 'file'"), std::string::npos);
    { // a NumPy (4, 1) float64 array, written by hand: version 1.0, header padded to 128 bytes
        std::string h = "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 1), }";
        h.append(128 - 10 - h.size() - 1, ' ');
        h += '\n';
        std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + char(h.size()) + char(0) + h;
        for (double x : {-2.2, -2.2, -1.5, -2.2}) bytes.append(reinterpret_cast<const char*>(&x), 8);
        put("x0.npy", bytes);
        EXPECT_EQ(x0_of(spec_with("{ file = \"x0.npy\" }")), (std::vector<double>{-2.2, -2.2, -1.5, -2.2}));
    }
    put("short.csv", "-2.2\n-1.6\n");
    EXPECT_NE(err("{ file = \"short.csv\" }").find("has 2 values, but the network"), std::string::npos);
    std::filesystem::remove_all(tmp);
}
