// The analysis features end to end through `nmsweep run`: dataset shapes and
// dimension names, Jansen-Rit's alpha rhythm, and the Kuramoto transition.
#include "nmsweep/io/h5_result.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

const std::string data = NMS_TEST_DATA;
const std::string bin = NMS_BIN;

fs::path tmp_dir(const std::string& name) {
    fs::path p = fs::temp_directory_path() / "nms_analysis_cli" / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

struct result {
    int code;
    std::string output;
};

result run(const std::string& args, const fs::path& dir) {
    const fs::path log = dir / "log.txt";
    const int rc = std::system((args + " > " + log.string() + " 2>&1").c_str());
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ss.str()};
}

std::vector<double> read(const fs::path& p, const std::string& name,
                         std::vector<std::size_t>* shape = nullptr) {
    return nms::h5::read_dataset(p.string(), name, shape);
}
std::vector<std::string> dims(const fs::path& p, const std::string& name) {
    return nms::h5::dimension_names(p.string(), name);
}

const char* jr_spec = R"(# Jansen-Rit, classical parameters, weak coupling: an alpha rhythm
[model]
name = "jansen_rit"
preset = "classical"
params = { mu = 0.22 }

[network]
connectome = "synthetic:8:3"
speed = 4.0

[coupling]
kind = "sigmoidal_jansen_rit"

[integrator]
method = "heun"
dt = 0.1
duration = 4000.0
transient = 1000.0
noise = { sigma = { y4 = 1e-3 }, seed = 7 }

[[sweep]]
param = "coupling.a"
values = [0.0, 0.05, 0.1]

[output]
observable = "y1 - y2"
features = FEATURES
sample_every = 10
)";

std::string with(std::string spec, const std::string& features, const std::string& extra = "") {
    spec.replace(spec.find("FEATURES"), 8, features);
    return spec + extra;
}

} // namespace

// features = ["psd", "peak_freq", "kuramoto_r", "fc"]: the documented
// shapes and dimension names, the frequency scale, and the network's peak in
// the alpha band (8-13 Hz) at every coupling.
TEST(cli_analysis, jansen_rit_features_and_alpha_peak) {
    const auto dir = tmp_dir("jr");
    std::ofstream(dir / "jr.toml") << with(jr_spec, R"(["psd", "peak_freq", "kuramoto_r", "fc"])");
    const auto out = dir / "jr.h5";
    auto r = run(bin + " run -q " + (dir / "jr.toml").string() + " -o " + out.string(), dir);
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<std::size_t> shape;
    // fs = 1000 / (0.1 * 10) = 1000 Hz; 3000 samples; nperseg 1024 -> 513 bins
    const auto freq = read(out, "spectra/freq", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{513}));
    EXPECT_DOUBLE_EQ(freq[1], 1000.0 / 1024);
    read(out, "spectra/psd", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 8, 513}));
    EXPECT_EQ(dims(out, "spectra/psd"), (std::vector<std::string>{"coupling.a", "node", "freq"}));
    read(out, "spectra/network_psd", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 513}));
    EXPECT_EQ(dims(out, "spectra/network_psd"), (std::vector<std::string>{"coupling.a", "freq"}));
    const auto pf = read(out, "features/peak_freq", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 8}));
    EXPECT_EQ(dims(out, "features/peak_freq"), (std::vector<std::string>{"coupling.a", "node"}));
    const auto npf = read(out, "features/network_peak_freq", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3}));
    const auto R = read(out, "features/kuramoto_r", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3}));
    const auto fc = read(out, "features/fc", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 8, 8}));
    EXPECT_EQ(dims(out, "features/fc"), (std::vector<std::string>{"coupling.a", "node", "node_j"}));
    for (std::size_t k = 0; k < 3; ++k) {
        std::cout << "a = " << 0.05 * double(k) << ": network peak " << npf[k] << " Hz, R " << R[k] << "\n";
        EXPECT_GE(npf[k], 8.0);
        EXPECT_LE(npf[k], 13.0);
        for (int n = 0; n < 8; ++n) {
            EXPECT_GE(pf[k * 8 + std::size_t(n)], 8.0);
            EXPECT_LE(pf[k * 8 + std::size_t(n)], 13.0);
            EXPECT_NEAR(fc[(k * 8 + std::size_t(n)) * 8 + std::size_t(n)], 1.0, 1e-12);
        }
        EXPECT_GT(R[k], 0.0);
        EXPECT_LE(R[k], 1.0);
    }
    // The same numbers whatever the threads and batches (per-thread FFT
    // scratch, per-instance state).
    const auto out2 = dir / "jr2.h5";
    r = run(bin + " run -q --threads 2 --batch-size 2 " + (dir / "jr.toml").string() + " -o " + out2.string(),
            dir);
    ASSERT_EQ(r.code, 0) << r.output;
    for (const char* name : {"spectra/psd", "spectra/network_psd", "features/peak_freq",
                             "features/network_peak_freq", "features/kuramoto_r", "features/fc"})
        EXPECT_EQ(read(out, name), read(out2, name)) << name;
}

// Every analysis option at once: band powers per band, metastability, PLV,
// FCD with its matrix, fc_fit against an empirical FC; shapes, names, and
// (when Python with xarray is there) the xarray reading of every group.
TEST(cli_analysis, all_options_have_documented_layout) {
    const auto dir = tmp_dir("all");
    {
        std::ofstream e(dir / "emp.csv");
        for (int a = 0; a < 8; ++a)
            for (int b = 0; b < 8; ++b)
                e << (a == b ? 1.0 : 0.1 * double((a + b) % 5)) << (b < 7 ? ", " : "\n");
    }
    std::ofstream(dir / "all.toml") << with(
        jr_spec, R"(["psd", "peak_power", "band_power", "metastability", "plv", "fc", "fcd"])",
        R"(
[output.spectra]
nperseg = 512
per_node = false
fmax = 60.0
bands = { slow = [1.0, 7.0], alpha = [8.0, 13.0] }

[output.synchrony]
band = [7.0, 14.0]

[output.fc]
empirical = "emp.csv"
fcd_window = 1000.0
fcd_step = 500.0
fcd_matrix = true
)");
    const auto out = dir / "all.h5";
    auto r = run(bin + " run -q " + (dir / "all.toml").string() + " -o " + out.string(), dir);
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<std::size_t> shape;
    EXPECT_FALSE(nms::h5::read_dataset(out.string(), "spectra/network_psd", &shape).empty());
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 31})); // 0 .. 60 Hz in steps of 1000/512
    for (const char* name :
         {"features/band_power_slow", "features/band_power_alpha", "features/peak_power"}) {
        read(out, name, &shape);
        EXPECT_EQ(shape, (std::vector<std::size_t>{3, 8})) << name;
    }
    for (const char* name :
         {"features/network_band_power_slow", "features/network_band_power_alpha",
          "features/network_peak_power", "features/metastability", "features/fc_fit", "features/fcd_var"}) {
        const auto v = read(out, name, &shape);
        EXPECT_EQ(shape, (std::vector<std::size_t>{3})) << name;
        for (double x : v) EXPECT_TRUE(std::isfinite(x)) << name;
    }
    read(out, "features/plv", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 8, 8}));
    EXPECT_EQ(dims(out, "features/plv"), (std::vector<std::string>{"coupling.a", "node", "node_j"}));
    // 3000 ms recorded, windows of 1000 ms every 500 ms: 5 windows
    read(out, "features/fcd", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 5, 5}));
    EXPECT_EQ(dims(out, "features/fcd"), (std::vector<std::string>{"coupling.a", "window", "window_j"}));
    const auto centres = read(out, "features/window");
    ASSERT_EQ(centres.size(), 5u);
    EXPECT_NEAR(centres[0], 1001.0 + 499.5, 1e-9); // first sample at t = 1001 ms
    if (std::system("python3 -c 'import xarray, h5netcdf, h5py' > /dev/null 2>&1") == 0) {
        auto x = run("python3 " + data + "/../python/check_xarray.py " + out.string(), dir);
        EXPECT_EQ(x.code, 0) << x.output;
    }
}

// Spec errors in the new sub-tables name the file, key and value, exit 2,
// and leave no result behind.
TEST(cli_analysis, bad_options_fail_cleanly) {
    const auto dir = tmp_dir("bad");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"[output.spectra]\nnperseg = 5000\n", "nperseg"},
        {"[output.spectra]\nwindow = \"hamming\"\n", "window"},
        {"[output.spectra]\nnoverlapp = 3\n", "noverlap"},
        {"[output.synchrony]\nband = [13.0, 8.0]\n", "band"},
        {"[output.synchrony]\nband = [8.1, 8.2]\nsegment = 64\n", "band"},
        {"[output.fc]\nempirical = \"missing.csv\"\n", "missing.csv"},
        {"[output.fc]\nfcd_window = 9000.0\n", "fcd_window"},
    };
    for (const auto& [extra, expect] : cases) {
        std::ofstream(dir / "bad.toml") << with(jr_spec, R"(["psd", "kuramoto_r", "fc"])", extra);
        const auto out = dir / "bad.h5";
        auto r = run(bin + " run -q " + (dir / "bad.toml").string() + " -o " + out.string(), dir);
        EXPECT_EQ(r.code, 2) << extra << r.output;
        EXPECT_NE(r.output.find(expect), std::string::npos) << extra << r.output;
        EXPECT_NE(r.output.find("bad.toml"), std::string::npos) << r.output;
        EXPECT_FALSE(fs::exists(out)) << extra;
    }
    // an empirical FC of the wrong size
    std::ofstream(dir / "emp.csv") << "1 0\n0 1\n";
    std::ofstream(dir / "bad.toml") << with(jr_spec, R"(["fc"])", "[output.fc]\nempirical = \"emp.csv\"\n");
    auto r = run(bin + " run -q " + (dir / "bad.toml").string() + " -o " + (dir / "bad.h5").string(), dir);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("2 x 2"), std::string::npos) << r.output;
}

// Kuramoto oscillators with Lorentzian natural frequencies (half width
// gamma, drawn with a fixed seed), all-to-all with weights 1/N (TVB's
// coupling is not divided by N, so coupling.a is the textbook K), no delays:
// the stationary order parameter is sqrt(1 - 2 gamma / K) above K_c =
// 2 gamma and O(1/sqrt(N)) below (Kuramoto 1975; Strogatz 2000). With the
// model's default observable sin(theta) the order parameter is still that
// of the phases theta (not of Hilbert phases of the alpha band): the same
// numbers bit for bit.
TEST(synchrony_cli, kuramoto_lorentzian_transition) {
    const auto dir = tmp_dir("kuramoto");
    if (run(bin + " models kuramoto", dir).code != 0) GTEST_SKIP() << "this build has no kuramoto model";
    const int N = 128;
    const double gamma = 0.02; // rad/ms
    std::mt19937_64 g(2024);
    std::ostringstream omega;
    for (int n = 0; n < N; ++n) {
        const double u = (double(g() >> 11) + 0.5) * 0x1.0p-53;
        omega << (n ? ", " : "") << gamma * std::tan(3.14159265358979323846 * (u - 0.5));
    }
    {
        std::ofstream w(dir / "w.txt"), l(dir / "l.txt");
        for (int a = 0; a < N; ++a)
            for (int b = 0; b < N; ++b) {
                w << (a == b ? 0.0 : 1.0 / N) << (b + 1 < N ? " " : "\n");
                l << 0 << (b + 1 < N ? " " : "\n");
            }
    }
    const std::vector<double> K{0.02, 0.03, 0.08, 0.12, 0.2};
    std::vector<double> first;
    for (const std::string observable : {"observable = \"theta\"\n", ""}) {
        std::ostringstream spec;
        spec << "[model]\nname = \"kuramoto\"\nparams = { omega = [" << omega.str() << "] }\n"
             << "[network]\nconnectome = \"w.txt,l.txt\"\nspeed = 0\n"
             << "[coupling]\nkind = \"kuramoto\"\n"
             << "[integrator]\nmethod = \"heun\"\ndt = 0.1\nduration = 1500.0\ntransient = 500.0\n"
             << "[initial]\nrandom = { n = 1, seed = 3 }\n"
             << "[[sweep]]\nparam = \"coupling.a\"\nvalues = [0.02, 0.03, 0.08, 0.12, 0.2]\n"
             << "[output]\n"
             << observable << "features = [\"kuramoto_r\", \"metastability\"]\nsample_every = 10\n";
        std::ofstream(dir / "k.toml") << spec.str();
        const auto out = dir / (observable.empty() ? "k_default.h5" : "k.h5");
        auto r = run(bin + " run -q " + (dir / "k.toml").string() + " -o " + out.string(), dir);
        ASSERT_EQ(r.code, 0) << r.output;
        std::vector<std::size_t> shape;
        const auto R = read(out, "features/kuramoto_r", &shape);
        ASSERT_EQ(R.size(), K.size());
        const auto meta = read(out, "features/metastability");
        for (std::size_t k = 0; k < K.size(); ++k) {
            const double theory = K[k] > 2 * gamma ? std::sqrt(1 - 2 * gamma / K[k]) : 0.0;
            std::cout << "K = " << K[k] << ": r = " << R[k] << " (theory " << theory << "), metastability "
                      << meta[k] << "\n";
            if (K[k] > 2 * gamma)
                EXPECT_NEAR(R[k], theory, 0.05) << "K = " << K[k]; // finite N: O(1/sqrt(N)) = 0.09
            else
                EXPECT_LT(R[k], 0.25) << "K = " << K[k]; // incoherent: O(1/sqrt(N (1 - K/K_c)))
        }
        if (first.empty())
            first = R;
        else
            EXPECT_EQ(R, first) << "kuramoto_r with the default observable sin(theta)";
    }
}
