// The spectra reducer against scipy.signal.welch: reference signals and PSDs
// from tests/reference/make_welch_reference.py (tests/data/welch).
#include "analysis_test_util.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

using namespace nms_test;

namespace {

const std::string dir = std::string(NMS_TEST_DATA) + "/welch/";

struct welch_case {
    std::string name, window;
    double fs;
    long nperseg, noverlap, n;
};

std::vector<welch_case> cases() {
    std::ifstream f(dir + "cases.txt");
    std::vector<welch_case> out;
    welch_case c;
    while (f >> c.name >> c.fs >> c.nperseg >> c.noverlap >> c.window >> c.n) out.push_back(c);
    return out;
}

double rel(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-300); }

} // namespace

// PSD per node and of the network mean, the frequency scale, peak frequency
// and power, band powers: all against scipy, for Hann and boxcar windows,
// even and odd nperseg, overlaps 0 .. 50 %, two sampling rates, and (hann700)
// the defaults (nperseg = all 700 samples, noverlap = nperseg / 2). Three
// instances in blocks of two lanes; instance i sees (i + 1) x the signal.
TEST(spectra, welch_matches_scipy) {
    const auto sig = read_table(dir + "signal.txt");
    ASSERT_EQ(sig.size(), 2000u);
    const auto all = cases();
    ASSERT_EQ(all.size(), 5u);
    const char* bands[] = {"delta", "theta", "alpha", "beta", "gamma"};
    double worst_psd = 0, worst_feat = 0;
    for (const auto& c : all) {
        SCOPED_TRACE(c.name);
        const double before = worst_psd;
        const auto ref = read_table(dir + "psd_" + c.name + ".txt");
        const auto feat = read_table(dir + "features_" + c.name + ".txt");
        nms::spectra_options o;
        if (c.name != "hann700") {
            o.nperseg = c.nperseg;
            o.noverlap = c.noverlap;
        }
        o.window = c.window;
        nms::sampling smp;
        smp.fs = c.fs;
        smp.n_samples = c.n;
        auto r = nms::make_spectra_reducer({"psd", "peak_freq", "peak_power", "band_power"}, o, smp, "mV");
        feed(*r, 3, 3, c.n, 2, [&](std::size_t i, long t, int n) {
            return double(i + 1) * sig[std::size_t(t)][std::size_t(n)];
        });
        const std::size_t nf = ref.size();
        ASSERT_EQ(nf, std::size_t(c.nperseg / 2 + 1));
        const auto outs = r->outputs();
        const auto& po = outs[output_index(*r, "spectra/psd")];
        ASSERT_EQ(po.extra_dims, (std::vector<std::string>{"node", "freq"}));
        ASSERT_EQ(po.extra_sizes, (std::vector<std::size_t>{3, nf}));
        ASSERT_EQ(po.extra_scales.size(), 2u);
        for (std::size_t k = 0; k < nf; ++k) EXPECT_NEAR(po.extra_scales[1][k], ref[k][0], 1e-9 * c.fs);
        EXPECT_EQ(po.units, "mV^2/Hz");
        for (std::size_t i = 0; i < 3; ++i) {
            const double s2 = double((i + 1) * (i + 1));
            const auto psd = result_of(*r, "spectra/psd", i);
            const auto net = result_of(*r, "spectra/network_psd", i);
            // Relative error per bin; a bin at the rounding level (the DC bin
            // of a boxcar segment after the mean is removed: ~1e-33) is
            // compared with 1e-12 of the channel's largest bin instead.
            for (std::size_t ch = 0; ch < 4; ++ch) {
                double top = 0;
                for (std::size_t k = 0; k < nf; ++k) top = std::max(top, s2 * ref[k][1 + ch]);
                for (std::size_t k = 0; k < nf; ++k) {
                    const double mine = ch < 3 ? psd[ch * nf + k] : net[k], want = s2 * ref[k][1 + ch];
                    worst_psd =
                        std::max(worst_psd, std::fabs(mine - want) / std::max(std::fabs(want), 1e-12 * top));
                }
            }
            const auto pf = result_of(*r, "features/peak_freq", i),
                       pp = result_of(*r, "features/peak_power", i);
            for (std::size_t ch = 0; ch < 4; ++ch) {
                const bool network = ch == 3;
                const double f = network ? result_of(*r, "features/network_peak_freq", i)[0] : pf[ch];
                const double p = network ? result_of(*r, "features/network_peak_power", i)[0] : pp[ch];
                EXPECT_NEAR(f, feat[ch][0], 1e-9 * c.fs) << "channel " << ch;
                worst_feat = std::max(worst_feat, rel(p, s2 * feat[ch][1]));
                for (int b = 0; b < 5; ++b) {
                    const std::string nm =
                        std::string(network ? "features/network_band_power_" : "features/band_power_") +
                        bands[b];
                    const auto bp = result_of(*r, nm, i);
                    worst_feat = std::max(worst_feat,
                                          rel(network ? bp[0] : bp[ch], s2 * feat[ch][2 + std::size_t(b)]));
                }
            }
        }
        EXPECT_LT(worst_psd, 1e-5) << "PSD (worst so far " << before << ")";
    }
    std::cout << "worst relative error: PSD " << worst_psd << ", peak power and band power " << worst_feat
              << "\n";
    EXPECT_LT(worst_psd, 1e-5);
    EXPECT_LT(worst_feat, 1e-5);
}

// Options: only the network PSD, fmax cuts the stored bins, peak_range picks
// the largest bin inside it (checked against the reference PSD), user bands.
TEST(spectra, options) {
    const auto sig = read_table(dir + "signal.txt");
    const auto ref = read_table(dir + "psd_hann256.txt");
    nms::spectra_options o;
    o.nperseg = 256;
    o.per_node = false;
    o.fmax = 100;
    o.peak_lo = 20;
    o.peak_hi = 30;
    o.bands = {{"low", 0, 20}, {"mid", 20.5, 50}};
    nms::sampling smp;
    smp.fs = 1000;
    smp.n_samples = 2000;
    auto r = nms::make_spectra_reducer({"psd", "peak_freq", "band_power"}, o, smp, "");
    std::vector<std::string> names;
    for (const auto& out : r->outputs()) names.push_back(out.name);
    EXPECT_EQ(names, (std::vector<std::string>{"spectra/network_psd", "features/peak_freq",
                                               "features/network_peak_freq", "features/band_power_low",
                                               "features/network_band_power_low", "features/band_power_mid",
                                               "features/network_band_power_mid"}));
    feed(*r, 1, 3, 2000, 4, [&](std::size_t, long t, int n) { return sig[std::size_t(t)][std::size_t(n)]; });
    const auto net = result_of(*r, "spectra/network_psd", 0);
    // bins 0 .. 100 Hz at 1000/256 Hz: 26 bins (f = 97.66 Hz is the last)
    ASSERT_EQ(net.size(), 26u);
    for (std::size_t k = 0; k < net.size(); ++k) EXPECT_NEAR(net[k], ref[k][4], 1e-9 * ref[k][4]);
    const auto pf = result_of(*r, "features/peak_freq", 0);
    for (std::size_t n = 0; n < 3; ++n) {
        std::size_t best = 0;
        for (std::size_t k = 0; k < ref.size(); ++k)
            if (ref[k][0] >= 20 && ref[k][0] <= 30 && (best == 0 || ref[k][1 + n] > ref[best][1 + n]))
                best = k;
        EXPECT_DOUBLE_EQ(pf[n], ref[best][0]) << n;
    }
    double low = 0, mid = 0;
    for (const auto& row : ref) {
        if (row[0] < 20) low += row[1];
        if (row[0] >= 20.5 && row[0] < 50) mid += row[1];
    }
    EXPECT_NEAR(result_of(*r, "features/band_power_low", 0)[0], low * 1000.0 / 256, 1e-9 * low);
    EXPECT_NEAR(result_of(*r, "features/band_power_mid", 0)[0], mid * 1000.0 / 256, 1e-9 * mid);

    // Relative band powers: over the power of the bands' span, 0 <= f < 50 Hz
    // (the gap 20 - 20.5 Hz included), from scipy's PSD.
    auto rel = nms::make_spectra_reducer({"relative_band_power"}, o, smp, "");
    feed(*rel, 1, 3, 2000, 4,
         [&](std::size_t, long t, int n) { return sig[std::size_t(t)][std::size_t(n)]; });
    for (std::size_t n = 0; n < 3; ++n) {
        double lo = 0, md = 0, span = 0;
        for (const auto& row : ref) {
            if (row[0] < 20) lo += row[1 + n];
            if (row[0] >= 20.5 && row[0] < 50) md += row[1 + n];
            if (row[0] < 50) span += row[1 + n];
        }
        EXPECT_NEAR(result_of(*rel, "features/relative_band_power_low", 0)[n], lo / span, 1e-9) << n;
        EXPECT_NEAR(result_of(*rel, "features/relative_band_power_mid", 0)[n], md / span, 1e-9) << n;
    }
    double net_low = 0, net_span = 0; // column 4: the network mean's PSD
    for (const auto& row : ref) {
        if (row[0] < 20) net_low += row[4];
        if (row[0] < 50) net_span += row[4];
    }
    EXPECT_NEAR(result_of(*rel, "features/network_relative_band_power_low", 0)[0], net_low / net_span, 1e-9);
}

// Memory does not grow with the duration; no samples give NaN; bad options
// are refused.
TEST(spectra, streaming_state_and_errors) {
    nms::spectra_options o;
    nms::sampling smp;
    smp.fs = 1000;
    smp.n_samples = 100000;
    auto r = nms::make_spectra_reducer({"psd"}, o, smp, "");
    EXPECT_EQ(r->bytes_per_instance(76), 8u * 77u * (1024u + 513u + 513u));
    r->reset(2, 4);
    EXPECT_TRUE(std::isnan(result_of(*r, "spectra/network_psd", 1)[3]));
    // A block that got fewer samples than planned is an error, not silently NaN.
    smp.n_samples = 300;
    o.nperseg = 64;
    auto s = nms::make_spectra_reducer({"psd"}, o, smp, "");
    feed(*s, 3, 2, 299, 2,
         [](std::size_t i, long t, int n) { return std::sin(0.1 * double(t * (n + 1) + long(i))); });
    EXPECT_THROW(result_of(*s, "spectra/network_psd", 0), std::logic_error);
    o.window = "hamming";
    EXPECT_THROW(nms::make_spectra_reducer({"psd"}, o, smp, ""), nms::input_error);
    o.window = "hann";
    o.nperseg = 64;
    o.noverlap = 64;
    EXPECT_THROW(nms::make_spectra_reducer({"psd"}, o, smp, ""), nms::input_error);
}
