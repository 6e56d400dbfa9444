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
