// Bisection of attractor boundaries (nmsweep/sweep/refine.hpp) against
// signature maps whose boundaries are known exactly.
#include "nmsweep/sweep/refine.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace nms;

namespace {

std::vector<double> linspace(double a, double b, int n) {
    std::vector<double> v;
    for (int k = 0; k < n; ++k) v.push_back(a + (b - a) * k / (n - 1));
    return v;
}

// Inside (class 1) or outside (class 0) a circle of radius R around (0.5, 0.5).
constexpr double R = 0.37;
attractor_signature circle(double x, double y) { return {std::hypot(x - 0.5, y - 0.5) < R ? 1L : 0L, 1}; }

std::vector<attractor_signature> grid_of(const std::vector<std::vector<double>>& axes,
                                         attractor_signature (*f)(double, double)) {
    std::vector<attractor_signature> g;
    for (double x : axes[0])
        for (double y : axes[1]) g.push_back(f(x, y));
    return g;
}

} // namespace

// Every boundary between grid cells of different class is bracketed to the
// tolerance, and the circle crosses the bisected axis inside the bracket.
TEST(refine, brackets_a_circle_to_the_tolerance) {
    const std::vector<std::vector<double>> axes{linspace(0, 1, 11), linspace(0, 1, 11)};
    const auto grid = grid_of(axes, circle);
    std::size_t pairs = 0; // neighbouring cells of different class
    for (std::size_t i = 0; i < 11; ++i)
        for (std::size_t j = 0; j < 11; ++j) {
            if (i + 1 < 11) pairs += grid[i * 11 + j] != grid[(i + 1) * 11 + j];
            if (j + 1 < 11) pairs += grid[i * 11 + j] != grid[i * 11 + j + 1];
        }
    std::size_t calls = 0;
    const auto res = refine_boundaries(axes, grid, {1e-3, 1e-3}, 100000, [&](const auto& pts) {
        ++calls;
        std::vector<attractor_signature> out;
        for (const auto& p : pts) out.push_back(circle(p[0], p[1]));
        return out;
    });
    ASSERT_EQ(res.boundaries.size(), pairs);
    EXPECT_EQ(res.rounds, 7u); // 0.1 / 2^7 < 1e-3 <= 0.1 / 2^6
    EXPECT_EQ(calls, res.rounds);
    EXPECT_EQ(res.samples.size(), 7 * pairs);
    for (const auto& b : res.boundaries) {
        EXPECT_TRUE(b.resolved);
        EXPECT_LE(b.uncertainty, 5e-4);
        EXPECT_NE(b.low, b.high);
        const std::size_t o = 1 - b.axis;
        const double h = std::sqrt(R * R - (b.at[o] - 0.5) * (b.at[o] - 0.5));
        const double exact = b.at[b.axis] < 0.5 ? 0.5 - h : 0.5 + h; // where the circle crosses
        EXPECT_LE(std::fabs(b.at[b.axis] - exact), b.uncertainty) << b.axis << " " << b.at[o];
        EXPECT_EQ(b.low,
                  circle(b.at[0] - (b.axis == 0) * b.uncertainty, b.at[1] - (b.axis == 1) * b.uncertainty));
    }
}

// The budget ends the refinement: every point counted, brackets that did not
// reach the tolerance say so and still contain the boundary.
TEST(refine, budget_leaves_brackets_unresolved_but_true) {
    const std::vector<std::vector<double>> axes{linspace(0, 1, 6), linspace(0, 1, 6)};
    const auto res = refine_boundaries(axes, grid_of(axes, circle), {1e-6, 1e-6}, 30, [](const auto& pts) {
        std::vector<attractor_signature> out;
        for (const auto& p : pts) out.push_back(circle(p[0], p[1]));
        return out;
    });
    EXPECT_EQ(res.samples.size(), 30u);
    ASSERT_FALSE(res.boundaries.empty());
    for (const auto& b : res.boundaries) {
        EXPECT_FALSE(b.resolved);
        const std::size_t o = 1 - b.axis;
        const double h = std::sqrt(R * R - (b.at[o] - 0.5) * (b.at[o] - 0.5));
        const double exact = b.at[b.axis] < 0.5 ? 0.5 - h : 0.5 + h;
        EXPECT_LE(std::fabs(b.at[b.axis] - exact), b.uncertainty + 1e-15);
    }
}

// A class met only between two grid points (A | B | C along one axis, B
// narrower than the grid): the bracket splits into two boundaries, each
// located; a map with one class needs no run at all.
TEST(refine, a_narrow_class_between_grid_points_gives_two_boundaries) {
    // A = (fixed point, 1 attractor), B = (periodic, 2), C = (periodic, 1)
    auto f = [](double x) -> attractor_signature {
        return {x < 0.3 ? 0L : 1L, x >= 0.3 && x < 0.31 ? 2L : 1L};
    };
    const auto res = refine_boundaries({{0.0, 1.0}}, {f(0.0), f(1.0)}, {1e-5}, 1000, [&](const auto& pts) {
        std::vector<attractor_signature> out;
        for (const auto& p : pts) out.push_back(f(p[0]));
        return out;
    });
    ASSERT_EQ(res.boundaries.size(), 2u);
    const auto& a = res.boundaries[0].at[0] < res.boundaries[1].at[0] ? res.boundaries[0] : res.boundaries[1];
    const auto& b = &a == &res.boundaries[0] ? res.boundaries[1] : res.boundaries[0];
    EXPECT_NEAR(a.at[0], 0.3, a.uncertainty);
    EXPECT_NEAR(b.at[0], 0.31, b.uncertainty);
    EXPECT_EQ(a.high, (attractor_signature{1, 2}));
    EXPECT_EQ(b.low, (attractor_signature{1, 2}));
    EXPECT_EQ(b.high, (attractor_signature{1, 1}));
    EXPECT_TRUE(a.resolved && b.resolved);

    bool called = false;
    const auto none =
        refine_boundaries({{0.0, 0.5, 1.0}}, {f(0.5), f(0.6), f(0.9)}, {1e-3}, 10, [&](const auto&) {
            called = true;
            return std::vector<attractor_signature>{};
        });
    EXPECT_TRUE(none.boundaries.empty());
    EXPECT_FALSE(called);
}
