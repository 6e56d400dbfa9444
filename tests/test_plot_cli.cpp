// `nmsweep plot` end to end: every kind of figure from one small result
// (PNG files with the PNG signature), and clear errors. Skipped where python3
// lacks numpy, h5py or matplotlib.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

const std::string bin = NMS_BIN;

int sh(const std::string& cmd, const fs::path& log, std::string* out = nullptr) {
    const int rc = std::system((cmd + " > " + log.string() + " 2>&1").c_str());
    if (out) {
        std::ifstream f(log);
        std::stringstream ss;
        ss << f.rdbuf();
        *out = ss.str();
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

bool is_png(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    char sig[8] = {};
    f.read(sig, 8);
    return f.good() && std::string(sig, 8) == std::string("\x89PNG\r\n\x1a\n", 8) && fs::file_size(p) > 5000;
}

class plot_cli : public ::testing::Test {
  protected:
    static fs::path dir_;
    static bool ok_;
    static void SetUpTestSuite() {
        // One folder per process: CTest runs the tests of this suite in parallel.
        dir_ = fs::temp_directory_path() / ("nms_plot_cli_" + std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        ok_ = sh("python3 -c 'import numpy, h5py, matplotlib'", dir_ / "py.txt") == 0;
        if (!ok_) return;
        std::ofstream(dir_ / "s.toml") << R"(
[model]
name = "jansen_rit"
preset = "classical"
[network]
connectome = "synthetic:4:2"
speed = 4.0
normalise = "max"
[coupling]
kind = "sigmoidal_jansen_rit"
[integrator]
dt = 0.1
duration = 3000.0
transient = 1000.0
noise = { sigma = { y4 = 1e-3 }, seed = 3 }
[initial]
random = { n = 2, seed = 1, ranges = { y0 = [0.05, 0.12], y1 = [10.0, 25.0], y2 = [8.0, 16.0], y3 = [0.0, 0.0], y4 = [0.0, 0.0], y5 = [0.0, 0.0] } }
[[sweep]]
param = "coupling.a"
values = [0.0, 5.0, 10.0]
[[sweep]]
param = "model.mu"
linspace = [0.05, 0.35, 7]
[output]
features = ["min", "max", "std", "attractor", "psd", "kuramoto_r", "metastability", "fc"]
sample_every = 10
[output.attractor]
regular_tol = 0.2
refine = { tol = 0.05, max_points = 40 }
)";
        ok_ = sh(bin + " run -q " + (dir_ / "s.toml").string() + " -o " + (dir_ / "s.h5").string(),
                 dir_ / "run.txt") == 0;
    }
    void SetUp() override {
        if (!fs::exists(dir_ / "s.h5") && !ok_)
            GTEST_SKIP() << "python3 with numpy, h5py and matplotlib is needed";
        ASSERT_TRUE(ok_) << "the result for the plots was not made (see " << (dir_ / "run.txt") << ")";
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }
    void plot(const std::string& args, const std::string& png) {
        std::string out;
        const auto file = dir_ / png;
        ASSERT_EQ(sh(bin + " plot " + (dir_ / "s.h5").string() + " " + args + " -o " + file.string(),
                     dir_ / "log.txt", &out),
                  0)
            << out;
        EXPECT_TRUE(is_png(file)) << file;
    }
};
fs::path plot_cli::dir_;
bool plot_cli::ok_ = false;

} // namespace

TEST_F(plot_cli, map_of_a_feature) { plot("map std --at initial=1", "map.png"); }
TEST_F(plot_cli, map_of_a_node) { plot("map std --node 2 --x model.mu --y coupling.a", "map_node.png"); }
TEST_F(plot_cli, classes_2d_with_boundaries) { plot("classes", "classes.png"); }
TEST_F(plot_cli, classes_1d) { plot("classes --at coupling.a=5", "classes1d.png"); }
TEST_F(plot_cli, bifurcation_diagram) { plot("bifurcation --at coupling.a=0", "bif.png"); }
TEST_F(plot_cli, bifurcation_of_a_node) { plot("bifurcation --x model.mu --node 1", "bif_node.png"); }
TEST_F(plot_cli, spectra) { plot("spectrum --at coupling.a=5 --vary model.mu --fmax 40", "psd.png"); }
TEST_F(plot_cli, synchrony) { plot("sync --x model.mu --vary coupling.a", "sync.png"); }
TEST_F(plot_cli, fc_matrix) { plot("fc --at coupling.a=10 --at model.mu=0.2", "fc.png"); }

// ---- evoked responses: `plot erp` of a pulse-driven linear pair, regions and sensors ----
TEST_F(plot_cli, erp_regions_and_sensors) {
    std::ofstream(dir_ / "erp.toml") << R"(
[model]
name = "linear"
params = { gamma = -0.1 }
[network]
connectome = "synthetic:4:2"
[integrator]
dt = 0.1
duration = 1200.0
[[stimulus]]
name = "tms"
waveform = "pulse_train"
frequency = 5.0
width = 1.0
onset = 50.0
target = "x"
regions = [0, 1]
[[sweep]]
param = "coupling.a"
values = [0.0, 0.01]
[output]
features = ["erp", "erp_peak_latency", "pci"]
[[output.sensors]]
name = "eeg"
gain = "dipole"
sensors = ")" + (fs::path(NMS_TEST_DATA) / "../../examples/data/eeg_synthetic_19.txt").string() +
                                            R"("
features = ["erp", "erp_peak_latency"]
)";
    std::string out;
    ASSERT_EQ(sh(bin + " run -q " + (dir_ / "erp.toml").string() + " -o " + (dir_ / "erp.h5").string(),
                 dir_ / "erp_run.txt", &out),
              0)
        << out;
    for (const std::string args : {"erp --at coupling.a=0.01", "erp --sensors eeg"}) {
        const auto png = dir_ / ("erp" + std::to_string(args.size()) + ".png");
        ASSERT_EQ(sh(bin + " plot " + (dir_ / "erp.h5").string() + " " + args + " -o " + png.string(),
                     dir_ / "log.txt", &out),
                  0)
            << out;
        EXPECT_TRUE(is_png(png)) << png;
    }
    EXPECT_EQ(sh(bin + " plot " + (dir_ / "s.h5").string() + " erp -o x.png", dir_ / "e.txt", &out), 2);
    EXPECT_NE(out.find("has no evoked/erp"), std::string::npos) << out;
}
// ---- end evoked responses ----

TEST_F(plot_cli, errors_are_clear) {
    std::string out;
    EXPECT_EQ(
        sh(bin + " plot " + (dir_ / "s.h5").string() + " map no_such_feature -o x.png", dir_ / "e.txt", &out),
        2);
    EXPECT_NE(out.find("no feature 'no_such_feature'"), std::string::npos) << out;
    EXPECT_EQ(sh(bin + " plot " + (dir_ / "missing.h5").string() + " classes -o x.png", dir_ / "e.txt", &out),
              2);
    EXPECT_NE(out.find("cannot open"), std::string::npos) << out;
    EXPECT_EQ(
        sh(bin + " plot " + (dir_ / "s.h5").string() + " map std --at nope=1 -o x.png", dir_ / "e.txt", &out),
        2);
    EXPECT_NE(out.find("no axis 'nope'"), std::string::npos) << out;
    EXPECT_EQ(sh(bin + " plot -h", dir_ / "e.txt", &out), 0);
    EXPECT_NE(out.find("bifurcation"), std::string::npos) << out;
}

// A parameter ramp's hysteresis figure, from the ramp example's small copy;
// a file without a ramp is refused with one clear line.
TEST(plot_ramp, hysteresis_loop) {
    const fs::path dir = fs::temp_directory_path() / ("nms_plot_ramp_" + std::to_string(getpid()));
    fs::create_directories(dir);
    if (sh("python3 -c 'import numpy, h5py, matplotlib'", dir / "py.txt") != 0)
        GTEST_SKIP() << "python3 with numpy, h5py and matplotlib is needed";
    const std::string spec = std::string(NMS_TEST_DATA) + "/../regression/specs/ex_jansen_rit_ramp.toml";
    const std::string h5 = (dir / "ramp.h5").string();
    ASSERT_EQ(sh(bin + " run -q " + spec + " -o " + h5, dir / "run.txt"), 0);
    std::string out;
    for (const std::string args : {"--at coupling.a=20", "--node 1"}) {
        const fs::path png = dir / "h.png";
        fs::remove(png);
        ASSERT_EQ(
            sh(bin + " plot " + h5 + " hysteresis " + args + " -o " + png.string(), dir / "log.txt", &out), 0)
            << out;
        EXPECT_TRUE(is_png(png)) << args;
    }
    std::ofstream(dir / "s.toml")
        << "[model]\nname = \"linear\"\n[network]\nconnectome = \"synthetic:2\"\n"
           "[integrator]\ndt = 0.1\nduration = 10.0\n[output]\nfeatures = [\"mean\"]\n";
    ASSERT_EQ(
        sh(bin + " run -q " + (dir / "s.toml").string() + " -o " + (dir / "s.h5").string(), dir / "r.txt"),
        0);
    EXPECT_EQ(sh(bin + " plot " + (dir / "s.h5").string() + " hysteresis -o " + (dir / "x.png").string(),
                 dir / "log.txt", &out),
              2);
    EXPECT_NE(out.find("has no features/ramp_value"), std::string::npos) << out;
    fs::remove_all(dir);
}

// An Arnold tongue: stim_plv over the stimulus frequency x amplitude axes
// with the locking-ratio regions (a result of its own, with a stimulus).
TEST_F(plot_cli, tongue_of_a_stimulus_sweep) {
    std::ofstream(dir_ / "t.toml") << R"(
[model]
name = "stuart_landau"
params = { a = 0.1, omega = 0.0628318530718 }
[network]
connectome = "synthetic:2"
[coupling]
kind = "difference"
a = 0.0
[integrator]
dt = 1.0
duration = 3000.0
transient = 500.0
[[stimulus]]
name = "drive"
waveform = "sine"
target = "x"
frequency = 10.0
[[sweep]]
param = "stimulus.drive.frequency"
linspace = [6.0, 14.0, 9]
[[sweep]]
param = "stimulus.drive.amplitude"
values = [0.0, 0.01, 0.03]
[output]
features = ["stim_plv", "locking"]
)";
    std::string out;
    ASSERT_EQ(sh(bin + " run -q " + (dir_ / "t.toml").string() + " -o " + (dir_ / "t.h5").string(),
                 dir_ / "t.txt", &out),
              0)
        << out;
    const auto file = dir_ / "tongue.png";
    ASSERT_EQ(
        sh(bin + " plot " + (dir_ / "t.h5").string() + " tongue -o " + file.string(), dir_ / "log.txt", &out),
        0)
        << out;
    EXPECT_TRUE(is_png(file));
    ASSERT_EQ(
        sh(bin + " plot " + (dir_ / "t.h5").string() + " tongue locking_index --node 1 -o " + file.string(),
           dir_ / "log.txt", &out),
        0)
        << out;
}

// The continuation figure from the example (0.1 s to continue, a few s to
// sweep): branches with the sweep overlaid, the two-parameter panel, and a
// file without /continuation refused with one clear line.
TEST(plot_continuation, branches_with_the_sweep_and_curves) {
    const fs::path dir = fs::temp_directory_path() / ("nms_plot_cont_" + std::to_string(getpid()));
    fs::create_directories(dir);
    if (sh("python3 -c 'import numpy, h5py, matplotlib'", dir / "py.txt") != 0)
        GTEST_SKIP() << "python3 with numpy, h5py and matplotlib is needed";
    const std::string ex = std::string(NMS_TEST_DATA) + "/../../examples/jansen_rit_continuation.toml";
    const std::string cont = (dir / "c.h5").string(), sweep = (dir / "s.h5").string();
    std::string out;
    ASSERT_EQ(sh(bin + " continue -q " + ex + " -o " + cont, dir / "c.txt", &out), 0) << out;
    ASSERT_EQ(sh(bin + " run -q " + ex + " -o " + sweep, dir / "r.txt", &out), 0) << out;
    const fs::path png = dir / "c.png";
    ASSERT_EQ(sh(bin + " plot " + cont + " continuation --sweep " + sweep + " -o " + png.string(),
                 dir / "p.txt", &out),
              0)
        << out;
    EXPECT_TRUE(is_png(png));
    // With curves: a spec of its own (param2 set).
    std::ifstream in(ex);
    std::stringstream text;
    text << in.rdbuf();
    std::string spec = text.str();
    spec.replace(spec.find("# param2"), 2, "");
    spec.replace(spec.find("# range2"), 2, "");
    const std::string rel = "\"data/one_column_weights.txt,data/one_column_lengths.txt\"";
    const std::string data = std::string(NMS_TEST_DATA) + "/../../examples/data/";
    ASSERT_NE(spec.find(rel), std::string::npos);
    spec.replace(spec.find(rel), rel.size(),
                 "\"" + data + "one_column_weights.txt," + data + "one_column_lengths.txt\"");
    std::ofstream(dir / "two.toml") << spec;
    const std::string cont2 = (dir / "c2.h5").string();
    ASSERT_EQ(sh(bin + " continue -q " + (dir / "two.toml").string() + " -o " + cont2, dir / "c2.txt", &out),
              0)
        << out;
    const fs::path png2 = dir / "c2.png";
    ASSERT_EQ(sh(bin + " plot " + cont2 + " continuation -o " + png2.string(), dir / "p2.txt", &out), 0)
        << out;
    EXPECT_TRUE(is_png(png2));
    EXPECT_EQ(
        sh(bin + " plot " + sweep + " continuation -o " + (dir / "x.png").string(), dir / "e.txt", &out), 2);
    EXPECT_NE(out.find("no /continuation"), std::string::npos) << out;
    fs::remove_all(dir);
}

// The figure of a fit: a small fit of one Jansen-Rit coupling, its history
// drawn; a file without /fit refused with one clear line.
TEST(plot_fit, history_of_a_fit) {
    const fs::path dir = fs::temp_directory_path() / ("nms_plot_fit_" + std::to_string(getpid()));
    fs::create_directories(dir);
    if (sh("python3 -c 'import numpy, h5py, matplotlib'", dir / "py.txt") != 0)
        GTEST_SKIP() << "python3 with numpy, h5py and matplotlib is needed";
    std::ofstream(dir / "fit.toml")
        << "[model]\nname = \"jansen_rit\"\npreset = \"classical\"\nparams = { mu = 0.4 }\n[network]\n"
           "connectome = \"synthetic:4\"\nspeed = 0.0\n[coupling]\nkind = \"sigmoidal_jansen_rit\"\n"
           "[integrator]\ndt = 0.1\nduration = 600.0\ntransient = 500.0\n[output]\npath = \"f.h5\"\n"
           "features = [\"mean\"]\n[fit]\ngenerations = 4\npopulation = 6\n[[fit.parameter]]\n"
           "name = \"coupling.a\"\nbounds = [0.0, 2.0]\n[[fit.target]]\ncost = \"squared_error\"\n"
           "feature = \"features/mean\"\nvalues = [8.6, 8.6, 8.62, 8.6]\n";
    const std::string out = (dir / "f.h5").string();
    std::string log;
    ASSERT_EQ(sh(bin + " fit -q " + (dir / "fit.toml").string() + " -o " + out, dir / "f.txt", &log), 0)
        << log;
    const fs::path png = dir / "fit.png";
    ASSERT_EQ(sh(bin + " plot " + out + " fit -o " + png.string(), dir / "p.txt", &log), 0) << log;
    EXPECT_TRUE(is_png(png));
    const fs::path png2 = dir / "best.png";
    ASSERT_EQ(sh(bin + " plot " + out + " fit_target -o " + png2.string(), dir / "b.txt", &log), 0) << log;
    EXPECT_TRUE(is_png(png2));
    const std::string run = (dir / "r.h5").string();
    ASSERT_EQ(sh(bin + " run -q " + (dir / "fit.toml").string() + " -o " + run, dir / "r.txt", &log), 0)
        << log;
    EXPECT_EQ(sh(bin + " plot " + run + " fit -o " + (dir / "x.png").string(), dir / "e.txt", &log), 2);
    EXPECT_NE(log.find("no /fit"), std::string::npos) << log;
    fs::remove_all(dir);
}

// The figure of a posterior: `nmsweep infer` on a small grid (coupling x
// gamma x noise seeds of three linear nodes), drawn; a file without
// /posterior refused.
TEST(plot_fit, posterior_of_an_inference) {
    const fs::path dir = fs::temp_directory_path() / ("nms_plot_post_" + std::to_string(getpid()));
    fs::create_directories(dir);
    if (sh("python3 -c 'import numpy, h5py, matplotlib'", dir / "py.txt") != 0)
        GTEST_SKIP() << "python3 with numpy, h5py and matplotlib is needed";
    std::ofstream(dir / "w.txt") << "0 1 1\n1 0 1\n1 1 0\n";
    std::ofstream(dir / "l.txt") << "0 0 0\n0 0 0\n0 0 0\n";
    std::ofstream(dir / "grid.toml")
        << "[model]\nname = \"linear\"\n[network]\nconnectome = \"" << (dir / "w.txt").string() << ","
        << (dir / "l.txt").string()
        << "\"\nspeed = 0.0\n[integrator]\ndt = 0.1\nduration = 3000.0\n"
           "noise = { sigma = 0.1, seed = 1 }\n[[sweep]]\nparam = \"coupling.a\"\n"
           "linspace = [0.0, 0.4, 5]\n[[sweep]]\nparam = \"model.gamma\"\n"
           "values = [-1.2, -1.0]\n[[sweep]]\nparam = \"noise.seed\"\n"
           "values = [1, 2, 3, 4, 5, 6]\n[output]\nobservable = \"x\"\n"
           "features = [\"std\"]\n";
    const std::string grid = (dir / "g.h5").string(), post = (dir / "p.h5").string();
    std::string log;
    ASSERT_EQ(sh(bin + " run -q " + (dir / "grid.toml").string() + " -o " + grid, dir / "g.txt", &log), 0)
        << log;
    ASSERT_EQ(
        sh(bin + " infer -q " + grid + " --target std=0.075,0.075,0.075 -o " + post, dir / "i.txt", &log), 0)
        << log;
    const fs::path png = dir / "post.png";
    ASSERT_EQ(sh(bin + " plot " + post + " posterior -o " + png.string(), dir / "p.txt", &log), 0) << log;
    EXPECT_TRUE(is_png(png));
    EXPECT_EQ(sh(bin + " plot " + grid + " posterior -o " + (dir / "x.png").string(), dir / "e.txt", &log),
              2);
    EXPECT_NE(log.find("no /posterior"), std::string::npos) << log;
    fs::remove_all(dir);
}

// Weighted samples: `nmsweep infer` on a sampler run of two parameters (each
// point with six noise seeds), drawn as histograms and a weighted scatter.
TEST(plot_fit, posterior_of_weighted_samples) {
    const fs::path dir = fs::temp_directory_path() / ("nms_plot_samples_" + std::to_string(getpid()));
    fs::create_directories(dir);
    if (sh("python3 -c 'import numpy, h5py, matplotlib'", dir / "py.txt") != 0)
        GTEST_SKIP() << "python3 with numpy, h5py and matplotlib is needed";
    std::ofstream(dir / "w.txt") << "0 1 1\n1 0 1\n1 1 0\n";
    std::ofstream(dir / "l.txt") << "0 0 0\n0 0 0\n0 0 0\n";
    std::ofstream(dir / "s.toml")
        << "[model]\nname = \"linear\"\n[network]\nconnectome = \"" << (dir / "w.txt").string() << ","
        << (dir / "l.txt").string()
        << "\"\nspeed = 0.0\n[integrator]\ndt = 0.1\nduration = 3000.0\n"
           "noise = { sigma = 0.1, seed = 1 }\n[sampler]\nkind = \"lhs\"\nn = 12\nseed = 5\n"
           "ranges = { \"coupling.a\" = [0.0, 0.4], \"model.gamma\" = [-1.2, -1.0] }\n"
           "[[sweep]]\nparam = \"noise.seed\"\nvalues = [1, 2, 3, 4, 5, 6]\n[output]\nobservable = \"x\"\n"
           "features = [\"std\"]\n";
    const std::string run = (dir / "s.h5").string(), post = (dir / "p.h5").string();
    std::string log;
    ASSERT_EQ(sh(bin + " run -q " + (dir / "s.toml").string() + " -o " + run, dir / "g.txt", &log), 0) << log;
    ASSERT_EQ(
        sh(bin + " infer -q " + run + " --target std=0.075,0.075,0.075 -o " + post, dir / "i.txt", &log), 0)
        << log;
    const fs::path png = dir / "post.png";
    ASSERT_EQ(sh(bin + " plot " + post + " posterior -o " + png.string(), dir / "p.txt", &log), 0) << log;
    EXPECT_TRUE(is_png(png));
    EXPECT_EQ(sh(bin + " plot " + post + " posterior --x model.mu -o " + (dir / "x.png").string(),
                 dir / "e.txt", &log),
              2);
    EXPECT_NE(log.find("no parameter 'model.mu'"), std::string::npos) << log;
    fs::remove_all(dir);
}
