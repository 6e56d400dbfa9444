// Observation models end to end through `nmsweep run`: [output.bold] and
// [[output.sensors]] (specs in tests/data/observe/). Each check compares with
// a computation done here independently of the code under test: closed-form
// gains, the gain file itself, and Welch's PSD by a direct DFT of the
// projection of the stored region time series.
#include "cli_util.hpp"

#include "nmsweep/io/h5_result.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace nms::cli_test;

namespace {

const double pi = 3.14159265358979323846;

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Whitespace/comma table with an optional leading label per row, '#' comments.
std::vector<std::vector<double>> read_table(const std::string& path, bool labelled) {
    std::ifstream f(path);
    std::vector<std::vector<double>> rows;
    std::string line;
    while (std::getline(f, line)) {
        if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
        std::replace(line.begin(), line.end(), ',', ' ');
        std::istringstream ls(line);
        std::string tok;
        std::vector<double> row;
        bool first = true;
        while (ls >> tok) {
            if (!(first && labelled)) row.push_back(std::stod(tok));
            first = false;
        }
        if (!row.empty()) rows.push_back(row);
    }
    return rows;
}

using vec3 = std::array<double, 3>;

std::vector<vec3> read_xyz(const std::string& path) { // "label x y z" rows
    std::vector<vec3> out;
    for (const auto& r : read_table(path, true)) out.push_back({r[0], r[1], r[2]});
    return out;
}

// scipy.signal.welch(x, fs, window="hann", nperseg, noverlap=nperseg/2)
// by a direct DFT (no FFT): periodic Hann, constant detrend, one-sided
// density, mean over segments.
std::vector<double> welch_dft(const std::vector<double>& x, double fs, std::size_t nperseg) {
    const std::size_t step = nperseg - nperseg / 2, nf = nperseg / 2 + 1;
    std::vector<double> w(nperseg), psd(nf, 0.0);
    double s2 = 0;
    for (std::size_t k = 0; k < nperseg; ++k) {
        w[k] = 0.5 - 0.5 * std::cos(2 * pi * double(k) / double(nperseg));
        s2 += w[k] * w[k];
    }
    std::size_t nseg = 0;
    for (std::size_t a = 0; a + nperseg <= x.size(); a += step, ++nseg) {
        double mean = 0;
        for (std::size_t k = 0; k < nperseg; ++k) mean += x[a + k] / double(nperseg);
        for (std::size_t f = 0; f < nf; ++f) {
            double re = 0, im = 0;
            for (std::size_t k = 0; k < nperseg; ++k) {
                const double v = (x[a + k] - mean) * w[k],
                             ph = -2 * pi * double(f * k % nperseg) / double(nperseg);
                re += v * std::cos(ph);
                im += v * std::sin(ph);
            }
            const double twice = (f == 0 || (nperseg % 2 == 0 && f == nf - 1)) ? 1.0 : 2.0;
            psd[f] += twice * (re * re + im * im) / (fs * s2);
        }
    }
    for (auto& p : psd) p /= double(nseg);
    return psd;
}

} // namespace

// The linear model at its fixed point drives the balloon with exactly 0:
// BOLD stays exactly 0 (not a rounding residue) for every swept kappa, and
// so do the sensor signals.
TEST(observe_cli, bold_and_sensors_at_rest_are_exactly_zero) {
    const auto out = tmp("rest.h5");
    auto r = sh("run -q " + data + "/observe/rest_linear.toml -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<std::size_t> shape;
    const auto ts = read(out, "bold/timeseries", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 10, 8}));
    for (double y : ts) EXPECT_EQ(y, 0.0);
    EXPECT_EQ(nms::h5::dimension_names(out.string(), "bold/timeseries"),
              (std::vector<std::string>{"bold.kappa", "time", "node"}));
    // TR 1000 ms after a 2000 ms hemodynamic transient, from the first sample (t = 1 ms).
    const auto t = read(out, "bold/time");
    ASSERT_EQ(t.size(), 10u);
    for (std::size_t j = 0; j < t.size(); ++j) EXPECT_DOUBLE_EQ(t[j], 2001.0 + 1000.0 * double(j));
    read(out, "bold/fc", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 8, 8}));
    EXPECT_EQ(read(out, "axes/bold.kappa"), (std::vector<double>{0.5, 0.65, 0.8}));
    EXPECT_EQ(nms::h5::read_string_attr(out.string(), "bold", "preset"), "stephan2007");
    for (double y : read(out, "sensors/eeg/mean")) EXPECT_EQ(y, 0.0);
    for (double y : read(out, "sensors/eeg/psd")) EXPECT_EQ(y, 0.0);
    EXPECT_EQ(nms::h5::dimension_names(out.string(), "sensors/eeg/psd"),
              (std::vector<std::string>{"bold.kappa", "sensor", "freq"}));
}

// One active region (a constant 1, no coupling): every sensor reads that
// region's gain column, for a gain from a file (the file's column), the
// dipole model and the inverse-square model (closed forms computed here).
TEST(observe_cli, single_active_region_gives_its_gain_column) {
    const auto out = tmp("one.h5");
    auto r = sh("run -q " + data + "/observe/one_region.toml -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    const std::size_t active = 2;
    // From the file, exactly.
    const auto gfile = read_table(data + "/observe/gain_3x8.csv", true);
    const auto mfile = read(out, "sensors/file/mean");
    ASSERT_EQ(mfile.size(), 3u);
    for (std::size_t s = 0; s < 3; ++s) EXPECT_EQ(mfile[s], gfile[s][active]) << s;
    for (double x : read(out, "sensors/eeg/std")) EXPECT_EQ(x, 0.0);

    const auto centres = read_xyz(data + "/conn8/centres.txt");
    vec3 com{0, 0, 0};
    for (const auto& c : centres)
        for (int d = 0; d < 3; ++d) com[d] += c[d] / double(centres.size());
    const vec3& c = centres[active];
    // Dipole: unit radial moment p (from the centres' centre of mass), sigma 0.33 S/m, metres.
    {
        const auto sensors = read_xyz(data + "/sensors/eeg_4.txt");
        const auto m = read(out, "sensors/eeg/mean");
        ASSERT_EQ(m.size(), sensors.size());
        vec3 p{c[0] - com[0], c[1] - com[1], c[2] - com[2]};
        const double pn = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
        for (std::size_t s = 0; s < sensors.size(); ++s) {
            double dot = 0, d2 = 0;
            for (int d = 0; d < 3; ++d) {
                const double a = (sensors[s][d] - c[d]) * 1e-3;
                dot += p[d] / pn * a;
                d2 += a * a;
            }
            const double expect = dot / (4 * pi * 0.33 * std::pow(d2, 1.5));
            EXPECT_NEAR(m[s], expect, 1e-12 * std::fabs(expect)) << s;
        }
        auto labels = nms::h5::read_string_attr(out.string(), "sensors/eeg", "gain");
        EXPECT_EQ(labels, "computed: dipole");
    }
    // Inverse square: 1 / |x_s - c|^2 (mm^-2).
    {
        const auto sensors = read_xyz(data + "/observe/seeg_3.txt");
        const auto m = read(out, "sensors/seeg/mean");
        ASSERT_EQ(m.size(), sensors.size());
        for (std::size_t s = 0; s < sensors.size(); ++s) {
            double d2 = 0;
            for (int d = 0; d < 3; ++d) d2 += (sensors[s][d] - c[d]) * (sensors[s][d] - c[d]);
            EXPECT_NEAR(m[s], 1.0 / d2, 1e-14 / d2) << s;
        }
    }
    // The stored gain is sensors x nodes with the sensor labels on its scale.
    std::vector<std::size_t> shape;
    const auto g = read(out, "sensors/seeg/gain", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{3, 8}));
    EXPECT_EQ(nms::h5::dimension_names(out.string(), "sensors/seeg/gain"),
              (std::vector<std::string>{"sensor", "node"}));
}

// EEG spectra and BOLD FC from one run, one file; the sensor PSD equals
// Welch's PSD (direct DFT here) of gain x the stored region time series, and
// the measurement noise adds its white floor 2 sigma^2 / fs.
TEST(observe_cli, sensor_spectra_equal_projection_of_region_series_and_bold_fc_in_same_file) {
    const auto out = tmp("eeg_bold.h5");
    auto r = sh("run -q " + data + "/observe/eeg_bold.toml -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<std::size_t> shape;
    // BOLD FC and its fit.
    const auto fc = read(out, "bold/fc", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{2, 8, 8}));
    for (std::size_t p = 0; p < 2; ++p)
        for (std::size_t a = 0; a < 8; ++a)
            for (std::size_t b = 0; b < 8; ++b) {
                EXPECT_TRUE(std::isfinite(fc[(p * 8 + a) * 8 + b]));
                EXPECT_EQ(fc[(p * 8 + a) * 8 + b], fc[(p * 8 + b) * 8 + a]);
                if (a == b) EXPECT_EQ(fc[(p * 8 + a) * 8 + b], 1.0);
            }
    const auto fit = read(out, "bold/fc_fit", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{2}));
    for (double x : fit) EXPECT_TRUE(x >= -1 && x <= 1) << x;
    EXPECT_EQ(nms::h5::read_string_attr(out.string(), "bold", "drive"), "y0");

    // The sensor PSD of point 1 against the independent computation.
    const auto psd = read(out, "sensors/eeg/psd", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{2, 3, 129}));
    const auto series = read(out, "timeseries/point_1", &shape); // [time, node], every 10 steps from step 10
    ASSERT_EQ(shape, (std::vector<std::size_t>{4000, 8}));
    const auto gain = read_table(data + "/observe/gain_3x8.csv", true);
    const std::size_t first = 500; // rows 0..499 are steps 10..5000: the transient (5000 steps)
    const double fs = 1000.0 / (0.1 * 10);
    for (std::size_t s = 0; s < 3; ++s) {
        std::vector<double> y;
        for (std::size_t t = first; t < 4000; ++t) {
            double v = 0;
            for (std::size_t n = 0; n < 8; ++n) v += gain[s][n] * series[t * 8 + n];
            y.push_back(v);
        }
        const auto ref = welch_dft(y, fs, 256);
        const double top = *std::max_element(ref.begin(), ref.end());
        for (std::size_t f = 0; f < ref.size(); ++f)
            EXPECT_NEAR(psd[(1 * 3 + s) * 129 + f], ref[f], 1e-9 * top) << "sensor " << s << " bin " << f;
    }
    EXPECT_EQ(nms::h5::dimension_names(out.string(), "sensors/eeg/band_power_alpha"),
              (std::vector<std::string>{"coupling.a", "sensor"}));

    // White measurement noise: the PSD rises by 2 sigma^2 / fs where the
    // signal has little power (200-500 Hz), and stays the same elsewhere on average.
    const auto noisy = read(out, "sensors/eeg_noisy/psd");
    const auto freq = read(out, "sensors/eeg/freq");
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t k = 0; k < 2 * 3; ++k)
        for (std::size_t f = 0; f < 129; ++f)
            if (freq[f] > 200 && freq[f] < 500) {
                sum += noisy[k * 129 + f] - psd[k * 129 + f];
                ++count;
            }
    EXPECT_NEAR(sum / double(count), 2 * 0.5 * 0.5 / fs, 0.1 * 2 * 0.5 * 0.5 / fs);
}

// A swept BOLD constant gives, at each value, what a run with that value
// fixed gives (deterministic model: same neural trajectory at every point).
TEST(observe_cli, swept_bold_constant_equals_fixed_constant) {
    std::string text = slurp(data + "/observe/eeg_bold.toml");
    auto sub = [&](const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
    };
    sub("noise = { sigma = { y4 = 1e-3 }, seed = 7 }\n", "");
    sub("timeseries = { every = 10, instances = [1] }\n", "");
    sub("gain = \"gain_3x8.csv\"", "gain = \"" + data + "/observe/gain_3x8.csv\"");
    sub("gain = \"gain_3x8.csv\"", "gain = \"" + data + "/observe/gain_3x8.csv\"");
    sub("empirical_fc = \"empirical_fc_8.csv\"", "empirical_fc = \"" + data +
                                                     "/observe/empirical_fc_8.csv\"\n"
                                                     "timeseries = true");
    sub("param = \"coupling.a\"\nvalues = [0.0, 5.0]", "param = \"bold.kappa\"\nvalues = [0.65, 0.9]");
    const auto swept = tmp("swept.toml"), fixed = tmp("fixed.toml");
    std::ofstream(swept) << text;
    sub("[[sweep]]\nparam = \"bold.kappa\"\nvalues = [0.65, 0.9]", "");
    sub("drive = \"y0\"", "drive = \"y0\"\nkappa = 0.9");
    std::ofstream(fixed) << text;
    const auto a = tmp("swept.h5"), b = tmp("fixed.h5");
    auto r = sh("run -q " + swept.string() + " -o " + a.string());
    ASSERT_EQ(r.code, 0) << r.output;
    r = sh("run -q " + fixed.string() + " -o " + b.string());
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<std::size_t> shape;
    const auto ts = read(a, "bold/timeseries", &shape);
    ASSERT_EQ(shape.size(), 3u);
    const std::size_t len = shape[1] * shape[2];
    const auto one = read(b, "bold/timeseries");
    ASSERT_EQ(one.size(), len);
    EXPECT_TRUE(std::equal(one.begin(), one.end(), ts.begin() + long(len)));
    EXPECT_FALSE(std::equal(one.begin(), one.end(), ts.begin()));
    const auto fa = read(a, "bold/fc"), fb = read(b, "bold/fc");
    ASSERT_EQ(fa.size(), 2 * fb.size());
    EXPECT_TRUE(std::equal(fb.begin(), fb.end(), fa.begin() + long(fb.size())));
}

// Bad observation keys: FILE:LINE: [section] key: message, exit 2, no result file.
TEST(observe_cli, bad_observation_keys_fail_cleanly) {
    std::string base = slurp(data + "/observe/eeg_bold.toml");
    for (const std::string f : {"gain_3x8.csv", "empirical_fc_8.csv"})
        for (std::size_t at = 0; (at = base.find("\"" + f + "\"", at)) != std::string::npos; at += f.size())
            base.replace(at, f.size() + 2, "\"" + data + "/observe/" + f + "\"");
    struct bad_case {
        std::string from, to, expect;
    };
    const std::vector<bad_case> cases = {
        {"drive = \"y0\"", "drive = \"y0\"\nkapa = 1.0",
         "[output.bold] kapa: unknown key (did you mean 'kappa'?)"},
        {"tr = 200.0", "tr = 0.0", "[output.bold] tr: must be > 0 ms"},
        {"tr = 200.0", "tr = 5000.0", "[output.bold] tr: the run gives 1 BOLD sample(s)"},
        {"drive = \"y0\"", "drive = \"y9\"",
         "[output.bold] drive: model jansen_rit has no state variable 'y9'"},
        {"drive = \"y0\"", "drive = \"y0\"\npreset = \"friston\"", "[output.bold] preset: unknown preset"},
        {"drive = \"y0\"", "drive = \"y0\"\ntheta0 = 40.0", "[output.bold] theta0: not a constant of preset"},
        {"drive = \"y0\"", "drive = \"y0\"\nrho = 1.5", "[output.bold] rho: rho = 1.5 must lie in (0, 1)"},
        {"param = \"coupling.a\"\nvalues = [0.0, 5.0]", "param = \"bold.rho\"\nvalues = [0.3, 1.2]",
         "[sweep] param: bold.rho: rho = 1.2 must lie in (0, 1)"},
        {"param = \"coupling.a\"\nvalues = [0.0, 5.0]", "param = \"bold.kapa\"\nvalues = [0.3]",
         "no BOLD constant 'kapa' (did you mean 'kappa'?)"},
        {"[output.bold]", "[output.bolt]", "[output] bolt: unknown key (did you mean 'bold'?)"},
        {"features = [\"psd\"]", "features = [\"final\"]",
         "[output.sensors] features: not available in sensor space"},
        {"name = \"eeg_noisy\"", "name = \"eeg\"",
         "[output.sensors] name: two [[output.sensors]] tables named 'eeg'"},
        {"noise = { sigma = 0.5, seed = 11 }", "noise = { sigma = -0.5, seed = 11 }",
         "[output.sensors] noise.sigma: must be >= 0"},
        {"name = \"eeg\"\n", "name = \"eeg\"\nconductivity = 0.3\n",
         "[output.sensors] conductivity: only used by gain = \"dipole\""},
        {"name = \"eeg\"\n", "name = \"eeg\"\nreference = \"XX\"\n",
         "[output.sensors] reference: reference 'XX'"},
        {"name = \"eeg_noisy\"\ngain = \"" + data + "/observe/gain_3x8.csv\"",
         "name = \"eeg_noisy\"\ngain = \"dipol\"", "[output.sensors] gain: expected dipole"},
        {"name = \"eeg_noisy\"\ngain = \"" + data + "/observe/gain_3x8.csv\"",
         "name = \"eeg_noisy\"\ngain = \"" + data + "/sensors/gain_3x2.csv\"",
         "[output.sensors] gain: " + data + "/sensors/gain_3x2.csv: the gain matrix has 2 columns"},
        {"name = \"eeg_noisy\"\ngain = \"" + data + "/observe/gain_3x8.csv\"",
         "name = \"eeg_noisy\"\ngain = \"dipole\"", "[output.sensors] sensors: required key is missing"},
    };
    for (const auto& c : cases) {
        const auto [r, spec, out] = run_modified(base, c.from, c.to);
        EXPECT_EQ(r.code, 2) << c.to << "\n" << r.output;
        EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.to << "\n" << r.output;
        EXPECT_NE(r.output.find(spec.string() + ":"), std::string::npos) << "names the file: " << r.output;
        EXPECT_FALSE(fs::exists(out)) << c.to;
    }
    // The line: "kapa" is on the line after drive.
    std::string text = base;
    text.replace(text.find("drive = \"y0\""), 12, "drive = \"y0\"\nkapa = 1.0");
    std::size_t line =
        1 + std::size_t(std::count(text.begin(), text.begin() + long(text.find("kapa")), '\n'));
    const auto spec = tmp("bad.toml");
    std::ofstream(spec) << text;
    auto r = sh("check " + spec.string());
    EXPECT_NE(r.output.find(spec.string() + ":" + std::to_string(line) + ": [output.bold] kapa"),
              std::string::npos)
        << r.output;
}
