// The noise stream: independent checks of its definition and statistics.
#include "nmsweep/core/noise.hpp"

#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace nms;

// Philox4x32-10 known-answer test from Random123's kat_vectors
// (counter = key = 0).
TEST(noise, philox_known_answer) {
    auto u = philox_words(0, 0, 0, 0, 0);
    EXPECT_EQ(u.v[0], 0x6627e8d5u);
    EXPECT_EQ(u.v[1], 0xe169c58du);
    EXPECT_EQ(u.v[2], 0xbc57ac4cu);
    EXPECT_EQ(u.v[3], 0x9b00dbd8u);
    // counter = key = all ones
    u = philox_words(~0ull, ~0u, ~0u, ~0u, ~0u);
    EXPECT_EQ(u.v[0], 0x408f276du);
    EXPECT_EQ(u.v[1], 0x41c83b0eu);
    EXPECT_EQ(u.v[2], 0xa20bc7c6u);
    EXPECT_EQ(u.v[3], 0x6d5451fdu);
}

TEST(noise, pure_function_of_its_key) {
    EXPECT_EQ(normal<double>(7, 3, 5, 2, 11), normal<double>(7, 3, 5, 2, 11));
    EXPECT_NE(normal<double>(7, 3, 5, 2, 11), normal<double>(8, 3, 5, 2, 11));
    EXPECT_NE(normal<double>(7, 3, 5, 2, 11), normal<double>(7, 4, 5, 2, 11));
    EXPECT_NE(normal<double>(7, 3, 5, 2, 11), normal<double>(7, 3, 6, 2, 11));
    EXPECT_NE(normal<double>(7, 3, 5, 2, 11), normal<double>(7, 3, 5, 3, 11));
    EXPECT_NE(normal<double>(7, 3, 5, 2, 11), normal<double>(7, 3, 5, 2, 12));
}

// Moments of N(0,1): mean 0, variance 1, kurtosis 3, within sampling error
// (n = 4e5: standard errors 1.6e-3, 2.2e-3, 7.7e-3).
TEST(noise, standard_normal_moments) {
    const int n = 400000;
    double m1 = 0, m2 = 0, m4 = 0;
    for (int i = 0; i < n; ++i) {
        double z =
            normal<double>(1234, std::uint32_t(i % 1000), std::uint32_t(i / 1000), std::uint32_t(i % 6), 9);
        m1 += z, m2 += z * z, m4 += z * z * z * z;
    }
    m1 /= n, m2 /= n, m4 /= n;
    EXPECT_NEAR(m1, 0.0, 6 * 1.6e-3);
    EXPECT_NEAR(m2, 1.0, 6 * 2.2e-3);
    EXPECT_NEAR(m4 / (m2 * m2), 3.0, 6 * 7.7e-3);
}

// The stream's definition, rebuilt from Random123's generator and the
// documented Box-Muller transform.
TEST(noise, stream_definition) {
    for (std::uint32_t step : {0u, 1u, 2u, 3u, 4u, 77u}) {
        r123::Philox4x32 rng;
        r123::Philox4x32::ctr_type c = {{step / 4, 9u, 4u, 2u}};
        r123::Philox4x32::key_type k = {{0x89abcdefu, 0x01234567u}};
        const auto u = rng(c, k);
        const std::uint32_t ua = (step % 4 < 2) ? u.v[0] : u.v[2], ub = (step % 4 < 2) ? u.v[1] : u.v[3];
        const double a = pi * r123::uneg11<double>(ua), r = std::sqrt(-2 * std::log(r123::u01<double>(ub)));
        const double want = (step % 2 == 0) ? r * std::sin(a) : r * std::sin(a + pi / 2);
        EXPECT_NEAR(normal<double>(0x0123456789abcdefull, 9, 4, 2, step), want, 1e-12) << step;
    }
}

// Neighbouring counters are uncorrelated (lag-1 correlation along steps).
TEST(noise, successive_steps_uncorrelated) {
    const int n = 200000;
    double s = 0, prev = normal<double>(5, 0, 0, 0, 0);
    for (int t = 1; t <= n; ++t) {
        double z = normal<double>(5, 0, 0, 0, std::uint32_t(t));
        s += z * prev;
        prev = z;
    }
    EXPECT_NEAR(s / n, 0.0, 5 / std::sqrt(double(n)));
}
