// The synchrony reducer on signals whose order parameter is known in closed
// form or statistically.
#include "analysis_test_util.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <iostream>
#include <random>

using namespace nms_test;

namespace {

constexpr double pi = 3.14159265358979323846;

nms::sampling at_1khz(long n) {
    nms::sampling s;
    s.fs = 1000;
    s.dt_ms = 1;
    s.n_samples = n;
    return s;
}

// |mean_n exp(i d_n)|
double order_of(const std::vector<double>& d) {
    std::complex<double> z(0, 0);
    for (double x : d) z += std::polar(1.0, x);
    return std::abs(z) / double(d.size());
}

} // namespace

// Identical phases: R = 1 at every sample, no fluctuation, PLV = 1.
TEST(synchrony, identical_phases_give_one) {
    auto r = nms::make_synchrony_reducer({"kuramoto_r", "metastability", "plv"}, {}, true, at_1khz(500));
    feed(*r, 3, 10, 500, 2, [](std::size_t i, long t, int) { return 0.07 * double(t) + double(i); });
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_NEAR(result_of(*r, "features/kuramoto_r", i)[0], 1.0, 1e-12);
        EXPECT_NEAR(result_of(*r, "features/metastability", i)[0], 0.0, 1e-7);
        for (double p : result_of(*r, "features/plv", i)) EXPECT_NEAR(p, 1.0, 1e-12);
    }
}

// Fixed phase offsets d_n on a common rotation: R = |mean exp(i d_n)|
// exactly (phase path) and to the Hilbert path's accuracy for 10 Hz sines
// in the default 8-13 Hz band; PLV = 1 for every pair.
TEST(synchrony, fixed_offsets_give_the_closed_form) {
    const std::vector<double> d{0.0, 0.4, 1.1, -0.7, 2.0};
    const double expect = order_of(d);
    auto phase = nms::make_synchrony_reducer({"kuramoto_r", "metastability", "plv"}, {}, true, at_1khz(3000));
    feed(*phase, 1, 5, 3000, 4,
         [&](std::size_t, long t, int n) { return 0.0628 * double(t) + d[std::size_t(n)]; });
    EXPECT_NEAR(result_of(*phase, "features/kuramoto_r", 0)[0], expect, 1e-12);
    EXPECT_NEAR(result_of(*phase, "features/metastability", 0)[0], 0.0, 1e-7);

    nms::synchrony_options o; // band 8-13 Hz, segments of 1024 samples
    auto hil = nms::make_synchrony_reducer({"kuramoto_r", "metastability", "plv"}, o, false, at_1khz(3000));
    // 10.3 Hz: not on a bin of the 1024-sample segment (leakage included);
    // different amplitudes and offsets per node do not matter.
    feed(*hil, 2, 5, 3000, 2, [&](std::size_t i, long t, int n) {
        return 3.0 +
               (1.0 + 0.3 * n) * std::cos(2 * pi * 10.3 * double(t) / 1000.0 + d[std::size_t(n)] + double(i));
    });
    for (std::size_t i = 0; i < 2; ++i) {
        const double R = result_of(*hil, "features/kuramoto_r", i)[0];
        const double meta = result_of(*hil, "features/metastability", i)[0];
        std::cout << "Hilbert R " << R << " (exact " << expect << "), metastability " << meta << "\n";
        EXPECT_NEAR(R, expect, 5e-3);
        EXPECT_LT(meta, 5e-3);
        for (double p : result_of(*hil, "features/plv", i)) EXPECT_NEAR(p, 1.0, 1e-3);
    }
}

// Independent uniform phases: N R^2 is asymptotically Exp(1), so the time
// mean of R is sqrt(pi / (4 N)) and its standard deviation
// sqrt((4 - pi) / (4 N)) (Rayleigh).
TEST(synchrony, random_phases_give_rayleigh_statistics) {
    const int N = 400;
    const long M = 4000;
    std::mt19937_64 g(11);
    std::vector<double> ph(std::size_t(N) * std::size_t(M));
    for (auto& x : ph) x = 2 * pi * (double(g() >> 11) * 0x1.0p-53);
    auto r = nms::make_synchrony_reducer({"kuramoto_r", "metastability", "plv"}, {}, true, at_1khz(M));
    feed(*r, 1, N, M, 1, [&](std::size_t, long t, int n) { return ph[std::size_t(t) * N + std::size_t(n)]; });
    const double R = result_of(*r, "features/kuramoto_r", 0)[0],
                 meta = result_of(*r, "features/metastability", 0)[0];
    const double eR = std::sqrt(pi / (4.0 * N)), eS = std::sqrt((4 - pi) / (4.0 * N));
    std::cout << "random phases: R " << R << " (expected " << eR << "), metastability " << meta << " (" << eS
              << ")\n";
    EXPECT_NEAR(R, eR, 0.03 * eR);
    EXPECT_NEAR(meta, eS, 0.05 * eS);
    // PLV of independent phases over M samples: of order sqrt(pi / (4 M)).
    const auto plv = result_of(*r, "features/plv", 0);
    double mean = 0;
    for (int a = 0; a < N; ++a)
        for (int b = a + 1; b < N; ++b) mean += plv[std::size_t(a) * N + std::size_t(b)];
    mean /= double(N) * (N - 1) / 2;
    EXPECT_NEAR(mean, std::sqrt(pi / (4.0 * M)), 0.05 * std::sqrt(pi / (4.0 * M)));
}

// Hilbert path on independent band-limited noise: R small, of the
// sqrt(pi / (4 N)) scale.
TEST(synchrony, hilbert_independent_noise_is_incoherent) {
    const int N = 64;
    const long M = 32768;
    std::mt19937_64 g(5);
    std::normal_distribution<double> nd;
    // AR(2) resonators near 10 Hz, independent per node.
    std::vector<double> x(std::size_t(N) * std::size_t(M));
    const double rr = 0.98, w = 2 * pi * 10.0 / 1000.0;
    for (int n = 0; n < N; ++n) {
        double x1 = 0, x2 = 0;
        for (long t = 0; t < M; ++t) {
            const double v = 2 * rr * std::cos(w) * x1 - rr * rr * x2 + nd(g);
            x[std::size_t(t) * N + std::size_t(n)] = v;
            x2 = x1;
            x1 = v;
        }
    }
    auto r = nms::make_synchrony_reducer({"kuramoto_r"}, {}, false, at_1khz(M));
    feed(*r, 1, N, M, 1, [&](std::size_t, long t, int n) { return x[std::size_t(t) * N + std::size_t(n)]; });
    const double R = result_of(*r, "features/kuramoto_r", 0)[0];
    std::cout << "Hilbert, independent noise: R " << R << " (Rayleigh " << std::sqrt(pi / (4.0 * N)) << ")\n";
    EXPECT_NEAR(R, std::sqrt(pi / (4.0 * N)), 0.15 * std::sqrt(pi / (4.0 * N)));
}

TEST(synchrony, errors_and_state) {
    nms::synchrony_options o;
    o.band_lo = 8.1;
    o.band_hi = 8.2; // no bin of a 64-sample segment at 1 kHz
    o.segment = 64;
    EXPECT_THROW(nms::make_synchrony_reducer({"kuramoto_r"}, o, false, at_1khz(1000)), nms::input_error);
    EXPECT_THROW(nms::make_synchrony_reducer({"fc"}, {}, true, at_1khz(1000)), nms::input_error);
    auto r = nms::make_synchrony_reducer({"kuramoto_r"}, {}, false, at_1khz(100000));
    EXPECT_EQ(r->bytes_per_instance(10), 8u * 10u * 1024u); // one segment per node, whatever the duration
    r->reset(1, 10);
    EXPECT_TRUE(std::isnan(result_of(*r, "features/kuramoto_r", 0)[0]));
}
