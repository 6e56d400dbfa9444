// `nmsweep fit`: parameter recovery (data made by a run at known parameters,
// found again by the optimiser), what the result holds (every evaluation,
// its cost and each target's part, the best candidate as [[sweep]] tables
// that reproduce it), determinism, and bad input (exit 2, nothing written).

#include "cli_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ct = nms::cli_test;

namespace {

// Four Jansen-Rit columns at a stable focus: the mean of y1 - y2 per node
// moves smoothly with the coupling, and without noise the run is exact.
std::string jr_spec(const std::string& coupling_line) {
    return "[model]\nname = \"jansen_rit\"\npreset = \"classical\"\nparams = { mu = 0.4 }\n[network]\n"
           "connectome = \"synthetic:4\"\nspeed = 0.0\n[coupling]\nkind = \"sigmoidal_jansen_rit\"\n" +
           coupling_line +
           "[integrator]\nmethod = \"heun\"\ndt = 0.1\nprecision = \"double\"\nduration = 1500.0\n"
           "transient = 1000.0\n[output]\npath = \"jr.h5\"\nfeatures = [\"mean\"]\n";
}

std::string numbers(const std::vector<double>& v) {
    std::ostringstream o;
    o.precision(17);
    for (std::size_t k = 0; k < v.size(); ++k) o << (k ? ", " : "") << v[k];
    return o.str();
}

// The per-node means at coupling a (the "recording").
std::vector<double> means_at(double a) {
    std::ofstream(ct::scratch() / "truth.toml") << jr_spec("a = " + std::to_string(a) + "\n");
    const auto out = ct::scratch() / "truth.h5";
    const auto r =
        ct::sh("run -q " + (ct::scratch() / "truth.toml").string() + " -o " + out.string() + " --overwrite");
    EXPECT_EQ(r.code, 0) << r.output;
    return ct::read(out, "features/mean");
}

std::string fit_section(const std::vector<double>& target, const std::string& extra = "") {
    return "[fit]\nalgorithm = \"cmaes\"\ngenerations = 20\npopulation = 8\nseed = 4\n" + extra +
           "[[fit.parameter]]\nname = \"coupling.a\"\nbounds = [0.0, 2.0]\n[[fit.target]]\ncost = "
           "\"squared_error\"\nfeature = \"features/mean\"\nvalues = [" +
           numbers(target) + "]\n";
}

ct::result fit(const std::string& spec, const std::string& out) {
    std::ofstream(ct::scratch() / "fit.toml") << spec;
    return ct::sh("fit " + (ct::scratch() / "fit.toml").string() + " -o " + out + " --overwrite");
}

} // namespace

TEST(fit_cli, recovers_the_coupling_that_made_the_data) {
    const double truth = 0.7;
    const auto target = means_at(truth);
    const std::string out = (ct::scratch() / "fit.h5").string();
    const auto r = fit(jr_spec("") + fit_section(target), out);
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<std::size_t> shape;
    const auto param = ct::read(out, "fit/param", &shape);
    const auto cost = ct::read(out, "fit/cost");
    const auto part = ct::read(out, "fit/target_cost");
    const auto gen = ct::read(out, "fit/generation");
    const auto best = ct::read(out, "fit/best_param");
    ASSERT_EQ(shape.size(), 2u);
    EXPECT_EQ(shape[1], 1u);
    // The initial population and 20 generations of 8; a candidate drawn twice
    // (CMA-ES clips to the bounds) is evaluated and stored once.
    EXPECT_LE(param.size(), 8u * 21u);
    EXPECT_GT(param.size(), 8u * 15u);
    EXPECT_EQ(cost.size(), param.size());
    EXPECT_EQ(part, cost); // one target of weight 1
    EXPECT_EQ(gen.front(), 0);
    EXPECT_EQ(gen.back(), 20);
    for (double p : param) EXPECT_TRUE(p >= 0 && p <= 2);
    std::cout << "  best coupling.a = " << best[0] << " (truth " << truth << ")\n";
    EXPECT_NEAR(best[0], truth, 1e-3);
    const auto k = std::size_t(std::min_element(cost.begin(), cost.end()) - cost.begin());
    EXPECT_EQ(param[k], best[0]);

    // The best candidate as [[sweep]] tables: appended to the spec, a run
    // gives the data back.
    std::ifstream in(ct::scratch() / "fit.best.toml");
    std::stringstream snippet;
    snippet << in.rdbuf();
    std::ofstream(ct::scratch() / "best.toml") << jr_spec("") << snippet.str();
    const auto again = ct::scratch() / "best.h5";
    const auto b =
        ct::sh("run -q " + (ct::scratch() / "best.toml").string() + " -o " + again.string() + " --overwrite");
    ASSERT_EQ(b.code, 0) << b.output;
    const auto m = ct::read(again, "features/mean");
    double se = 0;
    for (std::size_t i = 0; i < m.size(); ++i)
        se += (m[i] - target[i]) * (m[i] - target[i]) / double(m.size());
    EXPECT_NEAR(se, cost[k], 1e-12 + 1e-9 * cost[k]);
    // The best candidate's features stored beside the target give its cost.
    const auto sim = ct::read(out, "fit/best_fit/target0/simulated");
    const auto tgt = ct::read(out, "fit/best_fit/target0/target");
    EXPECT_EQ(tgt, target);
    ASSERT_EQ(sim.size(), target.size());
    double se2 = 0;
    for (std::size_t i = 0; i < sim.size(); ++i)
        se2 += (sim[i] - tgt[i]) * (sim[i] - tgt[i]) / double(sim.size());
    EXPECT_NEAR(se2, cost[k], 1e-12 + 1e-9 * cost[k]);

    // The same spec again, on 1 and on 2 threads: the same history, value for value.
    const std::string out2 = (ct::scratch() / "fit2.h5").string();
    for (const char* threads : {"1", "2"}) {
        const auto again = ct::sh("fit " + (ct::scratch() / "fit.toml").string() + " -o " + out2 +
                                  " --overwrite --threads " + threads);
        ASSERT_EQ(again.code, 0) << again.output;
        EXPECT_EQ(ct::read(out2, "fit/param"), param) << threads;
        EXPECT_EQ(ct::read(out2, "fit/cost"), cost) << threads;
    }

    // Two restarts: the first is the run above, the second another seed's.
    ASSERT_EQ(fit(jr_spec("") + fit_section(target, "restarts = 2\n"), out2).code, 0);
    const auto restart = ct::read(out2, "fit/restart");
    const auto cost2 = ct::read(out2, "fit/cost");
    ASSERT_GT(restart.size(), param.size());
    EXPECT_EQ(std::vector<double>(cost2.begin(), cost2.begin() + long(cost.size())), cost);
    EXPECT_EQ(restart[cost.size() - 1], 0);
    EXPECT_EQ(restart[cost.size()], 1);
    EXPECT_EQ(restart.back(), 1);
    EXPECT_NEAR(ct::read(out2, "fit/best_param")[0], truth, 1e-3);
}

// A per-region parameter as a + b map[k]: mu = 0.35 + 0.05 k made the data,
// and the fit finds a and b (two dimensions, four columns of the batch).
TEST(fit_cli, per_region_parameter_from_a_map) {
    const auto dir = ct::scratch();
    std::ofstream(dir / "map.txt") << "0\n1\n2\n3\n";
    std::string truth = jr_spec("a = 0.5\n");
    truth.replace(truth.find("params = { mu = 0.4 }"), 21, "params = { mu = [0.35, 0.4, 0.45, 0.5] }");
    std::ofstream(dir / "truth.toml") << truth;
    const auto t = dir / "truth.h5";
    ASSERT_EQ(ct::sh("run -q " + (dir / "truth.toml").string() + " -o " + t.string() + " --overwrite").code,
              0);
    const auto target = ct::read(t, "features/mean");
    const std::string out = (dir / "map.h5").string();
    const auto r = fit(jr_spec("a = 0.5\n") +
                           "[fit]\ngenerations = 30\npopulation = 10\n[[fit.parameter]]\n"
                           "name = \"model.mu\"\nbounds = [0.32, 0.45]\nmap = \"" +
                           (dir / "map.txt").string() +
                           "\"\nslope_bounds = [0.0, 0.1]\n[[fit.target]]\ncost = \"squared_error\"\n"
                           "feature = \"features/mean\"\nvalues = [" +
                           numbers(target) + "]\n",
                       out);
    ASSERT_EQ(r.code, 0) << r.output;
    const auto best = ct::read(out, "fit/best_param");
    ASSERT_EQ(best.size(), 2u);
    std::cout << "  a = " << best[0] << ", b = " << best[1] << " (truth 0.35, 0.05)\n";
    EXPECT_NEAR(best[0], 0.35, 1e-3);
    EXPECT_NEAR(best[1], 0.05, 1e-3);
    std::ifstream in(dir / "map.best.toml");
    std::stringstream snippet;
    snippet << in.rdbuf();
    EXPECT_NE(snippet.str().find("param = \"model.mu[3]\""), std::string::npos) << snippet.str();
}

// A fit killed after two batches keeps them in its journal; --resume replays
// the optimiser against it and ends with the history of an uninterrupted fit.
TEST(fit_cli, a_killed_fit_resumes_to_the_same_history) {
    const auto target = means_at(0.7);
    const std::string spec = jr_spec("") + fit_section(target);
    const std::string whole = (ct::scratch() / "whole.h5").string(),
                      cut = (ct::scratch() / "cut.h5").string();
    ASSERT_EQ(fit(spec, whole).code, 0);
    std::ofstream(ct::scratch() / "fit.toml") << spec;
    const std::string cmd = "fit " + (ct::scratch() / "fit.toml").string() + " -o " + cut;
    const auto journal = ct::scratch() / "cut.fit-journal";
    std::filesystem::remove(cut);
    std::filesystem::remove(journal);
    auto r = ct::sh(cmd + " --stop-after-batches 2");
    EXPECT_EQ(r.code, 75) << r.output;
    EXPECT_FALSE(std::filesystem::exists(cut));
    ASSERT_TRUE(std::filesystem::exists(journal));
    r = ct::sh(cmd); // neither --resume nor --overwrite: refused
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
    std::ofstream(journal, std::ios::app) << "0x1.6p-1 | 0x1"; // a line torn by the kill
    r = ct::sh(cmd + " --resume");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("resumed: 1"), std::string::npos) << r.output; // two batches of 8 (less repeats)
    EXPECT_FALSE(std::filesystem::exists(journal));
    for (const char* d : {"fit/param", "fit/cost", "fit/target_cost", "fit/generation", "fit/best_param"})
        EXPECT_EQ(ct::read(cut, d), ct::read(whole, d)) << d;
}

TEST(fit_cli, bad_input_is_one_clear_error_and_no_file) {
    const auto target = std::vector<double>{8.6, 8.6, 8.6, 8.6};
    std::ofstream(ct::scratch() / "fc_3x2.csv") << "1, 0.5\n0.5, 1\n0.2, 0.1\n";
    std::ofstream(ct::scratch() / "fc_nan.csv") << "1, nan\nnan, 1\n";
    std::ofstream(ct::scratch() / "fc_4.csv") << "1, 0, 0, 0\n0, 1, 0, 0\n0, 0, 1, 0\n0, 0, 0, 1\n";
    (void)means_at(0.7); // truth.h5: an HDF5 file to name datasets of
    const std::string base = jr_spec("");
    const std::string param = "[[fit.parameter]]\nname = \"coupling.a\"\nbounds = [0.0, 2.0]\n";
    const std::string target_ok = "[[fit.target]]\ncost = \"squared_error\"\nfeature = \"features/mean\"\n"
                                  "values = [" +
                                  numbers(target) + "]\n";
    struct bad {
        std::string spec, want;
    };
    for (const auto& b : std::vector<bad>{
             {base, "needs a [fit] section"},
             {base + "[fit]\nalgorithm = \"simplex\"\n" + param + target_ok, "unknown optimiser"},
             {base + "[fit]\n[[fit.parameter]]\nname = \"coupling.a\"\nbounds = [2.0, 0.0]\n" + target_ok,
              "bounds"},
             {base + "[fit]\n" + param, "[fit] target"},
             {base + "[fit]\n[[fit.parameter]]\nname = \"model.nothing\"\nbounds = [0.0, 1.0]\n" + target_ok,
              "nothing"},
             {base + "[fit]\n" + param + "[[fit.target]]\ncost = \"fc_rmse\"\nfile = \"" +
                  (ct::scratch() / "fc_3x2.csv").string() + "\"\n",
              "square"},
             {base + "[fit]\n" + param + "[[fit.target]]\ncost = \"fc_rmse\"\nfile = \"" +
                  (ct::scratch() / "fc_nan.csv").string() + "\"\n",
              "nan"},
             {base + "[fit]\n" + param + "[[fit.target]]\ncost = \"fc_correlation\"\nvalues = [1.0, 2.0]\n",
              "square"},
             {base + "[fit]\n" + param +
                  "[[fit.target]]\ncost = \"squared_error\"\nfeature = "
                  "\"features/mean\"\nvalues = [1.0, 2.0]\n",
              "4 values per point, the target 2"},
             {base + "[fit]\n" + param + "[[fit.target]]\ncost = \"fc_rmse\"\nfile = \"" +
                  (ct::scratch() / "fc_4.csv").string() + "\"\n",
              "features/fc"},
             {base + "[fit]\ngenerations = 2\npopulation = 3\n" + param + target_ok, "population"},
             {base + "[fit]\nalgorithm = \"abc-smc\"\nquantile = 1.5\n" + param + target_ok, "quantile"},
             {base + "[fit]\n[[fit.parameter]]\nname = \"coupling.a\"\nbounds = [0.0, 1.0]\nstart = 1.5\n" +
                  target_ok,
              "outside the bounds"},
             {base + "[fit]\n" + param + "[[fit.target]]\ncost = \"fc_rmse\"\nfile = \"" +
                  (ct::scratch() / "fc_4.csv").string() + "\"\ndataset = \"features/fc\"\n",
              "only for an HDF5 file"},
             {base + "[fit]\n" + param + "[[fit.target]]\ncost = \"fc_rmse\"\nfile = \"" +
                  (ct::scratch() / "truth.h5").string() + "\"\n",
              "name its dataset"},
             {base + "[fit]\n" + param + "[[fit.target]]\ncost = \"fc_rmse\"\nfile = \"" +
                  (ct::scratch() / "truth.h5").string() + "\"\ndataset = \"features/nothing\"\n",
              "cannot read dataset"},
             {base + "[fit]\nalgorithm = \"abc-smc\"\nrestarts = 2\n" + param + target_ok, "one sequence"},
             {base + "[fit]\nalgorithm = \"abc-smc\"\npopulation = 3\n" + param + target_ok, "at least 4"},
         }) {
        const std::string out = (ct::scratch() / "bad.h5").string();
        const auto r = fit(b.spec, out);
        EXPECT_EQ(r.code, 2) << b.want << "\n" << r.output;
        EXPECT_NE(r.output.find(b.want), std::string::npos) << r.output;
        EXPECT_FALSE(std::filesystem::exists(out)) << b.want;
        EXPECT_FALSE(std::filesystem::exists(ct::scratch() / "bad.best.toml")) << b.want;
        EXPECT_FALSE(std::filesystem::exists(ct::scratch() / "bad.fit-journal")) << b.want;
    }
}

// Noise-driven Stuart-Landau nodes: FC, FCD and spectrum of a run at
// coupling.a = 0.012 (noise seed 11) are the "recording"; the fit draws other
// noise (seed 5, two repeats per candidate) and lands near the truth. Checks
// the plumbing of fc_correlation, fcd_ks (FCD matrices) and log_psd
// (frequency coordinates, interpolation), and the repeats' spread.
TEST(fit_cli, fc_fcd_and_spectrum_targets_from_noisy_data) {
    const auto dir = ct::scratch();
    const std::string base =
        "[model]\nname = \"stuart_landau\"\nparams = { a = -0.02, omega = 0.0 }\n[network]\n"
        "connectome = \"synthetic:6\"\nspeed = 6.0\nnormalise = \"row_sum\"\n[coupling]\nkind = "
        "\"linear\"\n%A"
        "[integrator]\nmethod = \"heun\"\ndt = 0.1\nduration = 30000.0\ntransient = 1000.0\n"
        "noise = { sigma = 0.002, seed = %S }\n[output]\npath = \"t.h5\"\nobservable = \"x\"\n"
        "features = [\"fc\", \"fcd\", \"psd\"]\nsample_every = 10\n[output.fc]\nfcd_window = 5000.0\n"
        "fcd_step = 2500.0\nfcd_matrix = true\n[output.spectra]\nper_node = false\nfmax = 50.0\n";
    auto spec = [&](const std::string& a, const std::string& seed) {
        std::string t = base;
        t.replace(t.find("%A"), 2, a);
        t.replace(t.find("%S"), 2, seed);
        return t;
    };
    std::ofstream(dir / "truth.toml") << spec("a = 0.012\n", "11");
    const auto truth = dir / "truth.h5";
    ASSERT_EQ(
        ct::sh("run -q " + (dir / "truth.toml").string() + " -o " + truth.string() + " --overwrite").code, 0);
    auto write_csv = [&](const std::string& name, const std::vector<double>& v, std::size_t cols) {
        std::ofstream f(dir / name);
        f.precision(17);
        for (std::size_t i = 0; i < v.size(); ++i) f << v[i] << ((i + 1) % cols ? ", " : "\n");
    };
    write_csv("fc.csv", ct::read(truth, "features/fc"), 6);
    std::vector<std::size_t> shape;
    const auto fcd = ct::read(truth, "features/fcd", &shape);
    write_csv("fcd.csv", fcd, shape.back());
    const auto freq = ct::read(truth, "spectra/freq"), psd = ct::read(truth, "spectra/network_psd");
    std::vector<double> two;
    for (std::size_t k = 0; k < freq.size(); ++k) two.insert(two.end(), {freq[k], psd[k]});
    write_csv("psd.csv", two, 2);
    const std::string fit_text =
        spec("", "5") +
        "[fit]\ngenerations = 6\npopulation = 8\nseed = 2\nrepeats = 2\n"
        "[[fit.parameter]]\nname = \"coupling.a\"\nbounds = [0.0, 0.018]\n"
        "[[fit.target]]\ncost = \"fc_correlation\"\nfile = \"" +
        (dir / "fc.csv").string() + "\"\n[[fit.target]]\ncost = \"fcd_ks\"\nweight = 0.5\nfile = \"" +
        (dir / "fcd.csv").string() + "\"\n[[fit.target]]\ncost = \"log_psd\"\nband = [1.0, 40.0]\nfile = \"" +
        (dir / "psd.csv").string() + "\"\n";
    const std::string out = (dir / "fit.h5").string();
    const auto r = fit(fit_text, out);
    ASSERT_EQ(r.code, 0) << r.output;
    const auto part = ct::read(out, "fit/target_cost", &shape);
    ASSERT_EQ(shape.back(), 3u);
    for (double v : part) EXPECT_TRUE(std::isfinite(v) && v >= 0);
    const auto spread = ct::read(out, "fit/cost_std");
    EXPECT_GT(*std::max_element(spread.begin(), spread.end()), 0); // two noise seeds differ
    const auto best = ct::read(out, "fit/best_param");
    std::cout << "  best coupling.a = " << best[0] << " (truth 0.012)\n";
    EXPECT_NEAR(best[0], 0.012, 0.004);
    // The best fit beside each target: the FC (6 x 6), FCD and the network PSD on its frequencies.
    ct::read(out, "fit/best_fit/target0/simulated", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{6, 6}));
    ct::read(out, "fit/best_fit/target2/simulated", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{freq.size()}));
    EXPECT_EQ(ct::read(out, "fit/best_fit/target2/target").size(), 2 * freq.size());
    EXPECT_EQ(nms::h5::read_string_attr(out, "fit/best_fit/target1", "cost"), "fcd_ks");
    // Drawn (matrices side by side, the FCD distributions, spectra) where matplotlib is installed.
    if (std::system("python3 -c 'import numpy, h5py, matplotlib' 2>/dev/null") == 0) {
        const auto p = ct::sh("plot " + out + " fit_target -o " + (dir / "best.png").string());
        EXPECT_EQ(p.code, 0) << p.output;
        EXPECT_GT(std::filesystem::file_size(dir / "best.png"), 1000u);
    }
}

// examples/fit_coupling_speed.toml: coupling and conduction speed of 40 Hz
// Stuart-Landau nodes from a subject's FC and FCD that
// examples/data/make_subject_fc_fcd.py made at a = 0.012, speed = 3 mm/ms with
// another noise seed and noise on the FC.
TEST(fit_cli, the_coupling_speed_example_recovers_its_subject) {
    NMS_SKIP_EXAMPLE_UNDER_SANITIZERS();
    const std::string ex = std::string(NMS_TEST_DATA) + "/../../examples/fit_coupling_speed.toml";
    const std::string out = (ct::scratch() / "cs.fit.h5").string();
    const auto r = ct::sh("fit -q " + ex + " -o " + out + " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    const auto best = ct::read(out, "fit/best_param");
    std::cout << "  coupling.a = " << best[0] << ", speed = " << best[1] << " (subject 0.012, 3)\n";
    EXPECT_NEAR(best[0], 0.012, 0.0015); // measured 0.01154
    EXPECT_NEAR(best[1], 3.0, 0.3);      // measured 2.825: the FC pattern's period is set by the delays
}

// A target read from another run's result file (HDF5, dataset named), and a
// start at the truth: before any generation the best candidate is the start,
// with cost 0.
TEST(fit_cli, an_hdf5_target_and_a_start) {
    (void)means_at(0.7); // truth.h5
    const std::string spec =
        jr_spec("") +
        "[fit]\ngenerations = 0\npopulation = 8\n[[fit.parameter]]\nname = \"coupling.a\"\n"
        "bounds = [0.0, 2.0]\nstart = 0.7\n[[fit.target]]\ncost = \"squared_error\"\n"
        "feature = \"features/mean\"\nfile = \"" +
        (ct::scratch() / "truth.h5").string() + "\"\ndataset = \"features/mean\"\n";
    const std::string out = (ct::scratch() / "h5.fit.h5").string();
    const auto r = fit(spec, out);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(ct::read(out, "fit/param")[0], 0.7);
    EXPECT_EQ(ct::read(out, "fit/best_param")[0], 0.7);
    EXPECT_EQ(nms::h5::read_number_attr(out, "fit", "best_cost"), 0.0);
    EXPECT_EQ(ct::read(out, "fit/best_fit/target0/target"),
              ct::read(ct::scratch() / "truth.h5", "features/mean"));
}
