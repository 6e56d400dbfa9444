// `nmsweep infer`: the posterior over a run's points. Three linear nodes,
// all-to-all, x' = -x + a sum_j x_j + noise: the stationary std of x grows
// with a towards the instability at a = 0.5, so the nodes' std identifies a.
// Data from a run at a = 0.3 (another noise seed); a grid over a x 8 seeds
// (the synthetic likelihood's replicates). The posterior must hold the truth,
// the generating model's evidence must beat a wrong model's (gamma = -2), and
// bad input is exit 2 with no file.

#include "cli_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

namespace ct = nms::cli_test;

namespace {

std::string spec(double gamma, const std::string& coupling, const std::string& seed, bool grid) {
    std::ofstream(ct::scratch() / "w.txt") << "0 1 1\n1 0 1\n1 1 0\n";
    std::ofstream(ct::scratch() / "l.txt") << "0 0 0\n0 0 0\n0 0 0\n";
    std::ostringstream o;
    o << "[model]\nname = \"linear\"\nparams = { gamma = " << gamma << " }\n[network]\nconnectome = \""
      << (ct::scratch() / "w.txt").string() << "," << (ct::scratch() / "l.txt").string()
      << "\"\nspeed = 0.0\n[coupling]\nkind = \"linear\"\n"
      << coupling << "[integrator]\nmethod = \"heun\"\ndt = 0.1\nprecision = \"double\"\nduration = 10000.0\n"
      << "transient = 100.0\nnoise = { sigma = 0.1, seed = " << seed << " }\n";
    if (grid)
        o << "[[sweep]]\nparam = \"coupling.a\"\nlinspace = [0.0, 0.45, 10]\n[[sweep]]\nparam = "
             "\"noise.seed\"\n"
             "values = [1, 2, 3, 4, 5, 6, 7, 8]\n";
    o << "[output]\npath = \"x.h5\"\nobservable = \"x\"\nfeatures = [\"std\"]\n";
    return o.str();
}

std::string run(const std::string& text, const std::string& name, const std::string& extra = "") {
    std::ofstream(ct::scratch() / (name + ".toml")) << text;
    const auto out = ct::scratch() / (name + ".h5");
    const auto r = ct::sh("run -q " + (ct::scratch() / (name + ".toml")).string() + " -o " + out.string() +
                          " --overwrite" + extra);
    EXPECT_TRUE(r.code == 0 || !extra.empty()) << r.output;
    return out.string();
}

std::string observed() {
    const auto data = run(spec(-1.0, "a = 0.3\n", "99", false), "data");
    std::ostringstream o;
    o.precision(17);
    const auto v = ct::read(data, "features/std");
    for (std::size_t k = 0; k < v.size(); ++k) o << (k ? "," : "") << v[k];
    return o.str();
}

} // namespace

TEST(infer_cli, the_posterior_holds_the_truth_and_the_generating_model_wins) {
    const std::string obs = observed();
    const std::string grid = run(spec(-1.0, "", "1", true), "grid");
    const std::string post = (ct::scratch() / "post.h5").string();
    auto r = ct::sh("infer " + grid + " --target std=" + obs + " -o " + post + " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    std::cout << r.output;
    std::vector<std::size_t> shape;
    const auto w = ct::read(post, "posterior/weight", &shape);
    ASSERT_EQ(shape, std::vector<std::size_t>{10});
    EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 1.0, 1e-12);
    const auto ci = ct::read(post, "posterior/coupling.a_interval");
    EXPECT_LE(ci[0], 0.3);
    EXPECT_GE(ci[1], 0.3);
    EXPECT_NEAR(ci[2], 0.3, 0.05);
    const double ev = nms::h5::read_number_attr(post, "posterior", "log_evidence");
    EXPECT_TRUE(std::isfinite(ev));

    // A wrong model (gamma = -2: every node relaxes twice as fast) explains the data worse.
    const std::string wrong = run(spec(-2.0, "", "1", true), "wrong");
    const std::string post2 = (ct::scratch() / "post2.h5").string();
    r = ct::sh("infer " + wrong + " --target std=" + obs + " -o " + post2 + " --overwrite --shrinkage 0.1");
    ASSERT_EQ(r.code, 0) << r.output;
    const double ev2 = nms::h5::read_number_attr(post2, "posterior", "log_evidence");
    std::cout << "  log Bayes factor (gamma -1 vs -2): " << ev - ev2 << "\n";
    EXPECT_GT(ev - ev2, 5);

    // A Gaussian noise model instead: the posterior still holds the truth.
    r = ct::sh("infer " + grid + " --target std=" + obs + " --sigma std=0.001 -o " + post2 + " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    const auto ci2 = ct::read(post2, "posterior/coupling.a_interval");
    EXPECT_LE(ci2[0], 0.3);
    EXPECT_GE(ci2[1], 0.3);
}

TEST(infer_cli, bad_input_is_one_clear_error_and_no_file) {
    const std::string grid = run(spec(-1.0, "", "1", true), "grid");
    const std::string cut = run(spec(-1.0, "", "1", true), "cut", " --batch-size 16 --stop-after-batches 1");
    const std::string plain = run(spec(-1.0, "a = 0.3\n", "1", false), "plain");
    const std::string out = (ct::scratch() / "bad.h5").string();
    for (const auto& [args, want] : std::vector<std::pair<std::string, std::string>>{
             {cut + " --target std=1,1,1", "not done"},
             {grid + " --target std=1,1", "2 observed values"},
             {grid + " --target mean=1,1,1", "no dataset features/mean"},
             {grid + " --target std=1,1,1 --replicates model.gamma", "no such axis"},
             {plain + " --target std=1,1,1", "replicates"},
             {grid + " --target std=1,1,1 --sigma std=-1", "--sigma"},
             {grid + " --target std=1,1,1 --level 1.5", "--level"},
             {(ct::scratch() / "w.txt").string() + " --target std=1,1,1", "w.txt"},
         }) {
        const auto r = ct::sh("infer " + args + " -o " + out);
        EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
        EXPECT_NE(r.output.find(want), std::string::npos) << r.output;
        EXPECT_FALSE(std::filesystem::exists(out)) << args;
    }
}

// A sampler run (Sobol points over a, each with the same 8 seeds): its points
// are draws from the uniform prior, so the posterior is the points weighted
// by their likelihood; the weighted samples hold the truth.
TEST(infer_cli, a_sampler_run_gives_weighted_posterior_samples) {
    const std::string obs = observed();
    std::string text = spec(-1.0, "", "1", false);
    text += "[sampler]\nkind = \"sobol\"\nn = 48\nseed = 3\nranges = { \"coupling.a\" = [0.0, 0.45] }\n"
            "[[sweep]]\nparam = \"noise.seed\"\nvalues = [1, 2, 3, 4, 5, 6, 7, 8]\n";
    const std::string sampled = run(text, "sampled");
    const std::string post = (ct::scratch() / "post_s.h5").string();
    const auto r = ct::sh("infer " + sampled + " --target std=" + obs + " -o " + post + " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    std::cout << r.output;
    std::vector<std::size_t> shape;
    const auto samples = ct::read(post, "posterior/samples", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{48, 1}));
    EXPECT_EQ(samples, ct::read(sampled, "samples/coupling.a"));
    const auto w = ct::read(post, "posterior/sample_weight");
    EXPECT_EQ(w, ct::read(post, "posterior/weight")); // the sample axis is the only one left
    EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 1.0, 1e-12);
    const auto ci = ct::read(post, "posterior/coupling.a_interval");
    EXPECT_LE(ci[0], 0.3);
    EXPECT_GE(ci[1], 0.3);
    EXPECT_NEAR(ci[2], 0.3, 0.05);
    double mean = 0;
    for (std::size_t i = 0; i < w.size(); ++i) mean += w[i] * samples[i];
    EXPECT_NEAR(ci[2], mean, 1e-12);
    const auto density = ct::read(post, "posterior/coupling.a_marginal");
    double mass = 0;
    for (double d : density) mass += d * 0.45 / double(density.size());
    EXPECT_NEAR(mass, 1.0, 1e-9);
}

// ABC-SMC through `nmsweep fit`: the distance between simulated and observed
// stds, a tolerance that shrinks each generation, and particles whose
// weighted interval holds the truth; killed and resumed, the same history.
TEST(infer_cli, abc_smc_fit_holds_the_truth_and_resumes_exactly) {
    const std::string obs = observed();
    const std::string text =
        spec(-1.0, "", "1", false) +
        "[fit]\nalgorithm = \"abc-smc\"\npopulation = 48\ngenerations = 5\nseed = 2\n"
        "[[fit.parameter]]\nname = \"coupling.a\"\nbounds = [0.0, 0.45]\n"
        "[[fit.target]]\ncost = \"squared_error\"\nfeature = \"features/std\"\nvalues = [" +
        obs + "]\n";
    std::ofstream(ct::scratch() / "abc.toml") << text;
    const std::string toml = (ct::scratch() / "abc.toml").string();
    const std::string out = (ct::scratch() / "abc.h5").string();
    auto r = ct::sh("fit " + toml + " -o " + out + " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    std::cout << r.output;
    const auto eps = ct::read(out, "fit/epsilon");
    ASSERT_EQ(eps.size(), 6u);
    for (std::size_t g = 2; g < eps.size(); ++g) EXPECT_LT(eps[g], eps[g - 1]);
    std::vector<std::size_t> shape;
    const auto x = ct::read(out, "posterior/samples", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{48, 1}));
    const auto d = ct::read(out, "posterior/distance");
    for (double v : d) EXPECT_LE(v, eps.back());
    const auto w = ct::read(out, "posterior/sample_weight");
    EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 1.0, 1e-12);
    const auto ci = ct::read(out, "posterior/coupling.a_interval");
    EXPECT_LE(ci[0], 0.3);
    EXPECT_GE(ci[1], 0.3);
    EXPECT_NEAR(ci[2], 0.3, 0.05);

    // Killed after two batches, then resumed: the uninterrupted history.
    const std::string cut = (ct::scratch() / "abc_cut.h5").string();
    std::filesystem::remove(cut); // (a rerun's)
    r = ct::sh("fit " + toml + " -o " + cut + " --overwrite --stop-after-batches 2");
    EXPECT_EQ(r.code, 75) << r.output;
    EXPECT_FALSE(std::filesystem::exists(cut));
    r = ct::sh("fit " + toml + " -o " + cut + " --resume");
    ASSERT_EQ(r.code, 0) << r.output;
    for (const char* ds :
         {"fit/param", "fit/cost", "fit/epsilon", "posterior/samples", "posterior/sample_weight"})
        EXPECT_EQ(ct::read(cut, ds), ct::read(out, ds)) << ds;
}

// Simulation-based calibration through the engine (Talts et al. 2018): 100
// synthetic datasets, the truth uniform over the grid (each of 20 couplings
// with 5 data seeds unseen by the grid's 16), each inferred from the grid
// run. With a discrete prior the randomised rank u = P(a < truth) +
// U P(a = truth), U ~ U(0, 1), is uniform when the posterior is calibrated,
// so the central intervals of level L hold the truth at rate L. Short runs
// keep each posterior several grid cells wide.
TEST(infer_cli, grid_posteriors_are_calibrated_over_100_synthetic_datasets) {
    auto grid_spec = [](const std::string& seeds) {
        std::ofstream(ct::scratch() / "w.txt") << "0 1 1\n1 0 1\n1 1 0\n";
        std::ofstream(ct::scratch() / "l.txt") << "0 0 0\n0 0 0\n0 0 0\n";
        return "[model]\nname = \"linear\"\n[network]\nconnectome = \"" + (ct::scratch() / "w.txt").string() +
               "," + (ct::scratch() / "l.txt").string() +
               "\"\nspeed = 0.0\n[coupling]\nkind = \"linear\"\n[integrator]\nmethod = \"heun\"\ndt = 0.1\n"
               "precision = \"double\"\nduration = 600.0\ntransient = 100.0\nnoise = { sigma = 0.1, seed = 1 "
               "}\n"
               "[[sweep]]\nparam = \"coupling.a\"\nlinspace = [0.0, 0.38, 20]\n[[sweep]]\nparam = "
               "\"noise.seed\"\n"
               "values = [" +
               seeds + "]\n[output]\npath = \"x.h5\"\nobservable = \"x\"\nfeatures = [\"std\"]\n";
    };
    const std::string grid =
        run(grid_spec("1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16"), "sbc_grid");
    const std::string data = run(grid_spec("101, 102, 103, 104, 105"), "sbc_data");
    const auto obs = ct::read(data, "features/std"); // [20][5][3]
    const std::string post = (ct::scratch() / "sbc_post.h5").string();
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    int n = 0, in90 = 0, in50 = 0;
    double spread = 0; // the posterior's sd, in grid cells
    for (std::size_t i = 0; i < 20; ++i)
        for (std::size_t j = 0; j < 5; ++j) {
            std::ostringstream v;
            v.precision(17);
            for (std::size_t k = 0; k < 3; ++k) v << (k ? "," : "") << obs[(i * 5 + j) * 3 + k];
            const auto r =
                ct::sh("infer -q " + grid + " --target std=" + v.str() + " -o " + post + " --overwrite");
            ASSERT_EQ(r.code, 0) << r.output;
            const auto w = ct::read(post, "posterior/weight");
            ASSERT_EQ(w.size(), 20u);
            double below = 0, m = 0, m2 = 0;
            for (std::size_t k = 0; k < i; ++k) below += w[k];
            for (std::size_t k = 0; k < 20; ++k) {
                m += w[k] * double(k);
                m2 += w[k] * double(k * k);
            }
            spread += std::sqrt(std::max(0.0, m2 - m * m)) / 100;
            const double u = below + unif(rng) * w[i];
            ++n;
            in90 += u > 0.05 && u < 0.95;
            in50 += u > 0.25 && u < 0.75;
        }
    std::cout << "  " << n << " datasets: 90% intervals hold the truth in " << in90 << ", 50% in " << in50
              << "; posterior sd " << spread << " grid cells on average\n";
    EXPECT_GT(spread, 1.0); // wider than a cell: the calibration is not decided by the grid alone
    // Binomial(100, L): within three standard deviations.
    EXPECT_GE(in90, 81);
    EXPECT_LE(in90, 99);
    EXPECT_GE(in50, 35);
    EXPECT_LE(in50, 65);
}

// examples/evidence_*.toml: an alpha rhythm made by a Jansen-Rit column
// (examples/data/eeg_alpha_summaries.txt, from data/make_eeg_summaries.py) is
// better explained by Jansen-Rit than by Wilson-Cowan with free drive and
// time constants; Jansen-Rit's posterior holds the generating mu = 0.22.
TEST(infer_cli, the_generating_model_wins_on_an_eeg_rhythm) {
    NMS_SKIP_EXAMPLE_UNDER_SANITIZERS();
    const std::string ex = std::string(NMS_TEST_DATA) + "/../../examples/";
    const std::string targets = ex + "data/eeg_alpha_summaries.txt";
    double evidence[2];
    const char* names[2] = {"evidence_jansen_rit", "evidence_wilson_cowan"};
    for (int m = 0; m < 2; ++m) {
        const std::string out = (ct::scratch() / (std::string(names[m]) + ".h5")).string();
        auto r = ct::sh("run -q " + ex + names[m] + ".toml -o " + out + " --overwrite");
        ASSERT_EQ(r.code, 0) << r.output;
        const std::string post = (ct::scratch() / (std::string(names[m]) + ".infer.h5")).string();
        r = ct::sh("infer " + out + " --targets " + targets + " -o " + post + " --overwrite");
        ASSERT_EQ(r.code, 0) << r.output;
        std::cout << names[m] << ": " << r.output;
        evidence[m] = nms::h5::read_number_attr(post, "posterior", "log_evidence");
        if (m == 0) {
            const auto ci = ct::read(post, "posterior/model.mu_interval");
            EXPECT_LE(ci[0], 0.22);
            EXPECT_GE(ci[1], 0.22);
        }
    }
    std::cout << "  log Bayes factor, Jansen-Rit vs Wilson-Cowan: " << evidence[0] - evidence[1] << "\n";
    // Measured 4.5: "strong" on Kass & Raftery's scale (B > 20: log B > 3). Wilson-Cowan's best
    // points need the strongest drive of its prior (P = 3) and tau_i near 37 ms.
    EXPECT_GT(evidence[0] - evidence[1], 3.0);
}

TEST(infer_cli, a_targets_file_with_a_bad_line_is_refused) {
    const std::string grid = run(spec(-1.0, "", "1", true), "grid");
    std::ofstream(ct::scratch() / "t.txt") << "# observed\nstd = 1,1,1\nstd 2\n";
    const std::string out = (ct::scratch() / "bad.h5").string();
    const auto r =
        ct::sh("infer " + grid + " --targets " + (ct::scratch() / "t.txt").string() + " -o " + out);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("t.txt:3"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(out));
}
