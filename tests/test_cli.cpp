// End-to-end tests of the nmsweep command line on small specs.
#include "cli_util.hpp"

#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/driver.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>

namespace fs = std::filesystem;
using namespace nms::cli_test;

TEST(cli, run_writes_grid_shaped_features_with_axes) {
    const auto out = tmp("grid.h5");
    auto r = sh("run -q " + data + "/cli/small_jr.toml -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<std::size_t> shape;
    auto a = read(out, "axes/coupling.a");
    EXPECT_EQ(a, (std::vector<double>{0.0, 5.0, 10.0}));
    auto mu = read(out, "axes/model.mu");
    EXPECT_EQ(mu, (std::vector<double>{0.08, 0.15, 0.22, 0.3}));
    auto std_ = read(out, "features/std", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 4, 8}));
    read(out, "features/network_mean", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 4}));
    read(out, "features/final_state", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 4, 6, 8}));
    for (double s : std_) EXPECT_TRUE(std::isfinite(s));
    EXPECT_EQ(nms::h5::read_string_attr(out.string(), "", "model"), "jansen_rit");
    EXPECT_EQ(nms::h5::dimension_names(out.string(), "features/std"),
              (std::vector<std::string>{"coupling.a", "model.mu", "node"}));
}

// A sweep point equals the same point run alone by `simulate` (same noise:
// the stream is keyed by the grid point, whatever the batch).
TEST(cli, sweep_point_equals_simulate) {
    const auto sweep = tmp("sweep.h5"), sim = tmp("sim.h5");
    ASSERT_EQ(sh("run -q --batch-size 5 " + data + "/cli/small_jr.toml -o " + sweep.string()).code, 0);
    const std::size_t point = 7; // a = 5, mu = 0.3
    auto r = sh("simulate -q --point 7 " + data + "/cli/small_jr.toml -o " + sim.string());
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<std::size_t> shape;
    auto state = read(sim, "timeseries/state", &shape);
    ASSERT_EQ(shape.size(), 3u);
    const std::size_t nt = shape[0], nv = shape[1], nn = shape[2];
    auto fin = read(sweep, "features/final_state");
    for (std::size_t v = 0; v < nv; ++v)
        for (std::size_t n = 0; n < nn; ++n)
            EXPECT_EQ(fin[(point * nv + v) * nn + n], state[((nt - 1) * nv + v) * nn + n]) << v << " " << n;
}

// A sampler besides a grid axis: the result's axes are the samples, then the
// grid axis; the sampled values are stored; a point equals `simulate` of it.
TEST(cli, sampler_with_a_grid_axis) {
    const auto spec = tmp("lhs.toml"), out = tmp("lhs.h5"), sim = tmp("sim.h5");
    std::ofstream(spec) << "[model]\nname = \"jansen_rit\"\n[network]\nconnectome = \"synthetic:8:3\"\n"
                           "[coupling]\nkind = \"sigmoidal_jansen_rit\"\n"
                           "[integrator]\ndt = 0.1\nduration = 50.0\n"
                           "[sampler]\nkind = \"lhs\"\nn = 5\nseed = 2\n"
                           "ranges = { \"coupling.a\" = [0.0, 5.0], \"model.mu\" = [0.1, 0.3] }\n"
                           "[[sweep]]\nparam = \"model.A\"\nvalues = [3.0, 3.5]\n"
                           "[output]\nfeatures = [\"mean\", \"final\"]\n";
    auto r = sh("run -q --precision double --batch-size 3 " + spec.string() + " -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(read(out, "axes/sample"), (std::vector<double>{0, 1, 2, 3, 4}));
    EXPECT_EQ(read(out, "axes/model.A"), (std::vector<double>{3.0, 3.5}));
    std::vector<std::size_t> shape;
    read(out, "features/mean", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{5, 2, 8}));
    const auto a = read(out, "samples/coupling.a");
    ASSERT_EQ(a.size(), 5u);
    for (double x : a) EXPECT_TRUE(x >= 0.0 && x <= 5.0) << x;
    // Point 7 = sample 3, A = 3.5.
    r = sh("simulate -q --precision double --point 7 " + spec.string() + " -o " + sim.string());
    ASSERT_EQ(r.code, 0) << r.output;
    auto state = read(sim, "timeseries/state", &shape);
    const std::size_t nt = shape[0], nv = shape[1], nn = shape[2];
    const auto fin = read(out, "features/final_state");
    for (std::size_t v = 0; v < nv; ++v)
        for (std::size_t n = 0; n < nn; ++n)
            EXPECT_EQ(fin[(7 * nv + v) * nn + n], state[((nt - 1) * nv + v) * nn + n]) << v << " " << n;
}

// A run stopped after one batch and resumed gives the same datasets as an
// uninterrupted run.
TEST(cli, resume_gives_identical_results) {
    const auto full = tmp("full.h5"), part = tmp("part.h5");
    ASSERT_EQ(sh("run -q " + data + "/cli/small_jr.toml -o " + full.string()).code, 0);
    ASSERT_EQ(
        sh("run -q --batch-size 4 --stop-after-batches 1 " + data + "/cli/small_jr.toml -o " + part.string())
            .code,
        0);
    auto done = read(part, "status/done");
    EXPECT_EQ(std::count(done.begin(), done.end(), 1.0), 4);
    EXPECT_NE(sh("info " + part.string()).output.find("INCOMPLETE"), std::string::npos);
    auto r = sh("run -q --resume --batch-size 4 " + data + "/cli/small_jr.toml -o " + part.string());
    ASSERT_EQ(r.code, 0) << r.output;
    for (const char* name : {"features/mean", "features/std", "features/min", "features/max",
                             "features/network_std", "features/final_state", "status/diverged_step"})
        EXPECT_EQ(read(full, name), read(part, name)) << name;
    // --resume of a finished file (a requeued job that had finished): nothing to do, exit 0, unchanged.
    const auto before = read(part, "features/mean");
    r = sh("run --resume " + data + "/cli/small_jr.toml -o " + part.string());
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("nothing to resume"), std::string::npos) << r.output;
    EXPECT_EQ(read(part, "features/mean"), before);
    // ... but only of this run's file.
    r = sh("run -q --resume --precision double " + data + "/cli/small_jr.toml -o " + part.string());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("precision"), std::string::npos) << r.output;
}

TEST(cli, results_do_not_depend_on_threads) {
    const auto one = tmp("t1.h5"), two = tmp("t2.h5");
    ASSERT_EQ(sh("run -q --threads 1 " + data + "/cli/small_jr.toml -o " + one.string()).code, 0);
    ASSERT_EQ(sh("run -q --threads 2 --batch-size 3 " + data + "/cli/small_jr.toml -o " + two.string()).code,
              0);
    EXPECT_EQ(read(one, "features/final_state"), read(two, "features/final_state"));
}

// Each malformed spec: a clear error naming the problem, exit code 2 and no
// result file.
TEST(cli, malformed_specs_fail_cleanly) {
    const std::string good = [&] {
        std::ifstream f(data + "/cli/small_jr.toml");
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }();
    struct bad_case {
        std::string from, to, expect;
    };
    const std::vector<bad_case> cases = {
        {"name = \"jansen_rit\"", "name = \"jansen_ritt\"", "jansen_rit"},
        {"dt = 0.1", "dt = -0.1", "dt"},
        {"param = \"model.mu\"", "param = \"model.muu\"", "model.mu"},
        {"kind = \"sigmoidal_jansen_rit\"", "kind = \"sigmoid\"", "coupling"},
        {"transient = 100.0", "transient = 400.0", "transient"},
        {"[network]", "[netwrok]", "network"},
        {"observable = \"y1 - y2\"", "observable = \"y1 - y7\"", "y7"},
        {"connectome = \"synthetic:8:3\"", "connectome = \"no/such/conn.zip\"", "no/such/conn.zip"},
        {"speed = 4.0", "speed = \"fast\"", "speed"},
    };
    for (const auto& c : cases) {
        const auto [r, spec, out] = run_modified(good, c.from, c.to);
        EXPECT_EQ(r.code, 2) << c.to << "\n" << r.output;
        EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.to << "\n" << r.output;
        EXPECT_NE(r.output.find("bad.toml"), std::string::npos) << "the error names the file: " << r.output;
        EXPECT_FALSE(fs::exists(out)) << c.to;
    }
}

TEST(cli, models_and_check) {
    auto r = sh("models");
    EXPECT_EQ(r.code, 0);
    for (const char* m : {"jansen_rit", "linear"}) EXPECT_NE(r.output.find(m), std::string::npos) << m;
    r = sh("models jansen_rit");
    EXPECT_NE(r.output.find("v0"), std::string::npos);
    EXPECT_NE(r.output.find("5.52"), std::string::npos);
    r = sh("check " + data + "/cli/small_jr.toml");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("12 points"), std::string::npos) << r.output;
    EXPECT_NE(sh("--backend cuda run x.toml").code, 0);
}

// The largest peak resident memory of the runs so far (bytes).
double children_peak() {
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    return double(u.ru_maxrss) * 1024; // KiB on Linux
}

// check's memory estimate against the measured peak of the run, beyond the
// program's own (the peak of a one-point run), on one thread and on two. The
// reducers' buffers dominate: Welch segments, Hilbert phases, FC and FCD of
// 76 nodes (before, check counted 24 bytes per feature and node: 10 MiB for
// a run that peaked at 65 MB).
TEST(cli, check_memory_estimate_matches_the_measured_peak) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "the sanitizers' allocator changes the peak";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    GTEST_SKIP() << "the sanitizers' allocator changes the peak";
#endif
#endif
    const auto small = scratch() / "small.toml", big = scratch() / "big.toml";
    const std::string head = "[model]\nname = \"jansen_rit\"\n[coupling]\nkind = \"sigmoidal_jansen_rit\"\n";
    std::ofstream(small) << head << "[network]\nconnectome = \"synthetic:1\"\nspeed = 0\n"
                         << "[integrator]\ndt = 0.1\nduration = 100.0\n[output]\nfeatures = [\"mean\"]\n";
    std::ofstream(big) << head << "[network]\nconnectome = \"synthetic:76\"\nspeed = 4.0\n"
                       << "[integrator]\ndt = 0.1\nduration = 2000.0\ntransient = 200.0\n"
                       << "[[sweep]]\nparam = \"coupling.a\"\nlinspace = [0.0, 20.0, 4]\n"
                       << "[[sweep]]\nparam = \"model.mu\"\nlinspace = [0.05, 0.35, 8]\n"
                       << "[output]\nobservable = \"y1 - y2\"\nsample_every = 2\n"
                       << "features = [\"std\", \"psd\", \"kuramoto_r\", \"plv\", \"fc\", \"fcd\"]\n";
    ASSERT_EQ(sh("run -q --threads 1 " + small.string() + " -o " + tmp("s.h5").string()).code, 0);
    const double own = children_peak();
    for (int threads : {1, 2}) {
        const auto r = sh("run -q --threads " + std::to_string(threads) + " " + big.string() + " -o " +
                          tmp("b.h5").string());
        ASSERT_EQ(r.code, 0) << r.output;
        const double used = children_peak() - own, est = nms::estimate_peak_memory(big.string(), threads);
        EXPECT_GT(used, 20e6) << "the run should hold tens of MB";
        EXPECT_GT(est, used / 1.5) << threads << " threads";
        EXPECT_LT(est, used * 1.5) << threads << " threads";
        std::printf("%d threads: estimate %.1f MB, measured %.1f MB beyond the program's own\n", threads,
                    est / 1e6, used / 1e6);
    }
    const auto c = sh("check " + big.string());
    EXPECT_NE(c.output.find("at the peak"), std::string::npos) << c.output;
}

// --backend: cpu always works; cuda without a usable device is one clear
// error (exit 2, no result file); auto falls back to the CPU and says so in
// the file. With a device, cuda and auto run on it and record it.
TEST(cli, backend_choice_is_recorded_and_cuda_without_device_fails_cleanly) {
    const auto spec = data + "/cli/small_jr.toml";
    const auto cpu = tmp("cpu.h5"), cuda = tmp("cuda.h5"), autob = tmp("auto.h5");
    ASSERT_EQ(sh("run -q --backend cpu " + spec + " -o " + cpu.string()).code, 0);
    EXPECT_EQ(nms::h5::read_string_attr(cpu.string(), "", "backend"), "cpu");
    const auto check = sh("check " + spec);
    ASSERT_EQ(check.code, 0);
    const bool gpu = check.output.find("gpu: no usable") == std::string::npos &&
                     check.output.find("gpu: this build has no CUDA") == std::string::npos;
    const auto r = sh("run -q --backend cuda " + spec + " -o " + cuda.string());
    ASSERT_EQ(sh("run -q --backend auto " + spec + " -o " + autob.string()).code, 0);
    if (gpu) {
        EXPECT_EQ(r.code, 0) << r.output;
        EXPECT_EQ(nms::h5::read_string_attr(cuda.string(), "", "backend"), "cuda");
        EXPECT_EQ(nms::h5::read_string_attr(autob.string(), "", "backend"), "cuda");
    } else {
        EXPECT_EQ(r.code, 2) << r.output;
        EXPECT_NE(r.output.find("--backend cuda"), std::string::npos) << r.output;
        EXPECT_FALSE(fs::exists(cuda));
        EXPECT_EQ(nms::h5::read_string_attr(autob.string(), "", "backend"), "cpu");
        EXPECT_EQ(read(autob, "features/final_state"), read(cpu, "features/final_state"));
    }
}
