// The line-length analysis unit (nmsweep/analysis/line_length.hpp) on
// signals whose line length is known in closed form, and through a spec.
#include "analysis_test_util.hpp"
#include "nmsweep/analysis/unit_reducer.hpp"
#include "nmsweep/sweep/features.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace nms_test;

namespace {

constexpr double pi = 3.14159265358979323846;

nms::sampling at(double fs, long n) {
    nms::sampling s;
    s.fs = fs;
    s.dt_ms = 1000.0 / fs;
    s.n_samples = n;
    return s;
}

std::unique_ptr<nms::reducer> make_ll(const nms::sampling& smp) {
    return std::make_unique<nms::unit_reducer<nms::line_length>>(std::vector<std::string>{"line_length"}, smp,
                                                                 "mV");
}

} // namespace

// A ramp x = a t per node: every step moves |a| dt, so L = |a| per second
// whatever the sampling; the node mean of ramps is the ramp of the mean slope.
TEST(line_length, ramps_move_by_their_slope) {
    const std::vector<double> slope{2.0, -3.0, 0.5}; // mV/s
    const nms::sampling smp = at(250, 400);
    auto r = make_ll(smp);
    feed(*r, 2, 3, smp.n_samples, 2, [&](std::size_t i, long t, int n) {
        return double(i) + slope[std::size_t(n)] * double(t) / smp.fs;
    });
    for (std::size_t i = 0; i < 2; ++i) {
        const auto L = result_of(*r, "features/line_length", i);
        for (int n = 0; n < 3; ++n) EXPECT_NEAR(L[std::size_t(n)], std::abs(slope[std::size_t(n)]), 1e-9);
        EXPECT_NEAR(result_of(*r, "features/network_line_length", i)[0], std::abs(2.0 - 3.0 + 0.5) / 3, 1e-9);
    }
    EXPECT_EQ(r->outputs()[0].units, "mV/s");
}

// A sine A sin(2 pi f t + phi) over whole periods, sampled on a grid that
// hits its extrema: L = 4 A f exactly (each period moves 4 A).
TEST(line_length, sines_over_whole_periods_give_four_a_f) {
    const double fs = 1000, f = 10; // 100 samples per period, extrema on samples 25, 75 (phi = 0)
    const long n = 20 * 100 + 1;    // 20 whole periods
    const std::vector<double> A{1.0, 0.25};
    auto r = make_ll(at(fs, n));
    feed(*r, 1, 2, n, 1, [&](std::size_t, long t, int k) {
        return A[std::size_t(k)] * std::sin(2 * pi * f * double(t) / fs + (k == 1 ? pi : 0.0));
    });
    const auto L = result_of(*r, "features/line_length", 0);
    EXPECT_NEAR(L[0], 4 * A[0] * f, 1e-9);
    EXPECT_NEAR(L[1], 4 * A[1] * f, 1e-9);
    // The node mean is (A0 - A1) / 2 sin: 2 (A0 - A1) f.
    EXPECT_NEAR(result_of(*r, "features/network_line_length", 0)[0], 2 * (A[0] - A[1]) * f, 1e-9);
}

// Fewer than two samples: no line length (NaN), not zero.
TEST(line_length, one_sample_is_nan) {
    auto r = make_ll(at(1000, 1));
    feed(*r, 1, 2, 1, 1, [](std::size_t, long, int) { return 1.0; });
    EXPECT_TRUE(std::isnan(result_of(*r, "features/line_length", 0)[0]));
}

// The feature table lists it (from the unit list), in sensor space too.
TEST(line_length, is_a_feature_of_the_table) {
    const auto* fam = nms::family_of("line_length");
    ASSERT_NE(fam, nullptr);
    EXPECT_EQ(fam->name, "line_length");
    EXPECT_TRUE(fam->sensor_space);
    const auto& sf = nms::sensor_features();
    EXPECT_NE(std::find(sf.begin(), sf.end(), "line_length"), sf.end());
}
