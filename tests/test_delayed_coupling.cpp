// [integrator] delayed_coupling: hold (TVB's coupling held over a step) and
// interpolate (each stage sees the delayed input at its own time), against
// the exact solution of u'(t) = -u(t - 1) and on small delayed networks.
#include "nmsweep/engine/batch.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <tuple>
#include <vector>

using namespace nms;

namespace {

// u'(t) = -u(t - 1), u = 0 before 0, u(0) = 1, by the method of steps: on
// [k, k+1], u = p_k(t - k) with p_0 = 1 and p_k(s) = p_{k-1}(1) - int_0^s
// p_{k-1}. Polynomial coefficients, lowest first.
double dde_exact(double t) {
    std::vector<double> p{1.0};
    const int k = std::min(int(t), 7);
    for (int j = 1; j <= k; ++j) {
        double end = 0;
        for (double c : p) end += c;
        std::vector<double> q{end};
        for (std::size_t i = 0; i < p.size(); ++i) q.push_back(-p[i] / double(i + 1));
        p = q;
    }
    double u = 0, s = t - k, pw = 1;
    for (double c : p) {
        u += c * pw;
        pw *= s;
    }
    return u;
}

connectome self_loop(double length) {
    connectome c;
    c.n = 1;
    c.weights = {1.0};
    c.tract_lengths = {length};
    c.source = "test:1";
    return c;
}

// |u(T) - exact| on one node with a self-connection of delay 1 ms.
double dde_error(scheme s, delayed_coupling mode, double dt, double T) {
    batch b;
    b.model = "linear";
    b.coupling = "linear";
    b.net = self_loop(1.0);
    b.speed = 1.0; // mm/ms: the delay is 1/dt steps
    b.method = s;
    b.delayed = mode;
    b.dt = dt;
    b.n_steps = std::lround(T / dt);
    b.params["model.gamma"] = field::scalar(0.0);
    b.params["coupling.a"] = field::scalar(-1.0);
    b.params["coupling.b"] = field::scalar(0.0);
    b.initial["x"] = field::scalar(1.0);
    b.history["x"] = field::scalar(0.0);
    return std::abs(run_cpu<double>(b).final_state[0] - dde_exact(T));
}

double dde_order(scheme s, delayed_coupling mode, double dt, double T) {
    const double e1 = dde_error(s, mode, dt, T), e2 = dde_error(s, mode, dt / 2, T);
    std::printf("u' = -u(t-1), %s %s, T = %g: error %.3g at dt = %g, %.3g at dt/2: order %.3f\n",
                s == scheme::euler  ? "euler"
                : s == scheme::heun ? "heun"
                                    : "rk4",
                mode == delayed_coupling::hold ? "hold" : "interpolate", T, e1, dt, e2, std::log2(e1 / e2));
    return std::log2(e1 / e2);
}

constexpr auto hold = delayed_coupling::hold;
constexpr auto interp = delayed_coupling::interpolate;

} // namespace

TEST(delayed_coupling, exact_solution_by_the_method_of_steps) {
    EXPECT_DOUBLE_EQ(dde_exact(0.5), 1.0);
    EXPECT_DOUBLE_EQ(dde_exact(1.5), 0.5);
    EXPECT_NEAR(dde_exact(2.5), 2.5 * 2.5 / 2 - 3 * 2.5 + 4, 1e-14);
    EXPECT_NEAR(dde_exact(3.0), -0.5, 1e-14);
}

// The orders on u' = -u(t - 1). Interpolate: Euler 1 (one stage: the same
// scheme as hold), Heun 2, RK4 4; hold: 1 for all three.
TEST(delayed_coupling, orders_on_a_delay_equation) {
    EXPECT_NEAR(dde_order(scheme::euler, interp, 0.02, 3.5), 1.0, 0.2);
    EXPECT_NEAR(dde_order(scheme::heun, interp, 0.02, 3.5), 2.0, 0.2);
    // Up to t = 5, u is a polynomial of degree <= 4 piecewise and RK4 with
    // its cubic mid-step extension integrates it exactly: measured beyond.
    EXPECT_LT(dde_error(scheme::rk4, interp, 0.1, 3.5), 1e-13);
    EXPECT_NEAR(dde_order(scheme::rk4, interp, 0.1, 5.5), 4.0, 0.3);
    EXPECT_NEAR(dde_order(scheme::rk4, interp, 0.05, 6.5), 4.0, 0.3);
    EXPECT_NEAR(dde_order(scheme::heun, interp, 0.02, 6.5), 2.0, 0.2);
    for (scheme s : {scheme::euler, scheme::heun, scheme::rk4})
        EXPECT_NEAR(dde_order(s, hold, 0.02, 3.5), 1.0, 0.1) << int(s);
    // Euler has one stage: interpolate is hold.
    EXPECT_EQ(dde_error(scheme::euler, interp, 0.01, 3.5), dde_error(scheme::euler, hold, 0.01, 3.5));
}

// The history is 0 and the initial state 1: the step that ends where the
// delayed time reaches 0 must see the history's value at its end, not u(0).
TEST(delayed_coupling, the_history_jump_at_zero_is_not_smeared) {
    for (double dt : {0.1, 0.05})
        for (scheme s : {scheme::heun, scheme::rk4})
            EXPECT_LT(dde_error(s, interp, dt, 1.5), 1e-14) << int(s);
}

namespace {

// Three Stuart-Landau oscillators (limit cycles), difference coupling (its
// post reads the target's own state), delays of 2-5 steps at dt = 0.04 ms;
// zero_delay: the edge 1 -> 0 is instantaneous.
batch three_nodes(scheme s, delayed_coupling mode, double dt, bool zero_delay) {
    batch b;
    b.model = "stuart_landau";
    b.coupling = "difference";
    b.net.n = 3;
    b.net.weights = {0, 0.8, 0.5, 0.6, 0, 0.9, 0.7, 0.4, 0}; // [target][source]
    b.net.tract_lengths = {0, 0.08, 0.2, 0.12, 0, 0.16, 0.2, 0.08, 0};
    if (zero_delay) b.net.tract_lengths[1] = 0;
    b.net.labels = {"a", "b", "c"};
    b.net.source = "test:3";
    b.speed = 1.0;
    b.method = s;
    b.delayed = mode;
    b.dt = dt;
    b.n_steps = std::lround(4.0 / dt);
    b.params["model.a"] = field::scalar(0.2);
    b.params["model.omega"] = field::per_node({1.0, 1.3, 0.8});
    b.params["coupling.a"] = field::scalar(0.5);
    b.initial["x"] = field::per_node({0.4, -0.2, 0.1});
    b.initial["y"] = field::per_node({0.0, 0.3, -0.4});
    return b;
}

double max_diff(const run_result& a, const run_result& b) {
    double d = 0;
    for (std::size_t k = 0; k < a.final_state.size(); ++k)
        d = std::max(d, std::abs(a.final_state[k] - b.final_state[k]));
    return d;
}

// Observed order of batches made by `make` at dt and dt/2 against dt/16.
template <class F> double network_order(F make, double dt) {
    const run_result ref = run_cpu<double>(make(dt / 16));
    const double e1 = max_diff(run_cpu<double>(make(dt)), ref),
                 e2 = max_diff(run_cpu<double>(make(dt / 2)), ref);
    const batch b = make(dt);
    std::printf("network, %s %s: error %.3g at dt = %g, %.3g at dt/2: order %.3f\n",
                b.method == scheme::heun ? "heun" : "rk4",
                b.delayed == delayed_coupling::hold ? "hold" : "interpolate", e1, dt, e2, std::log2(e1 / e2));
    return std::log2(e1 / e2);
}

} // namespace

TEST(delayed_coupling, network_orders) {
    using item = std::tuple<scheme, delayed_coupling, double, double>; // scheme, mode, order, tolerance
    const std::vector<item> items{{scheme::rk4, interp, 4.0, 0.3},
                                  {scheme::heun, interp, 2.0, 0.2},
                                  {scheme::rk4, hold, 1.0, 0.2},
                                  {scheme::heun, hold, 1.0, 0.2}};
    for (const item& it : items) {
        const scheme s = std::get<0>(it);
        const delayed_coupling mode = std::get<1>(it);
        auto make = [&](double dt) { return three_nodes(s, mode, dt, false); };
        EXPECT_NEAR(network_order(make, 0.04), std::get<2>(it), std::get<3>(it))
            << int(s) << " " << int(mode);
    }
}

// Zero-delay edges are held over the step in both modes (the source's stage
// states are not stored anywhere): first order, as hold. The target's own
// state in the post then moves with the stages while the source is held,
// which here costs ~20% more error than hold's consistent snapshot.
TEST(delayed_coupling, zero_delay_edges_are_held) {
    const run_result ref = run_cpu<double>(three_nodes(scheme::rk4, interp, 0.04 / 256, true));
    double e[2][2];
    for (int m = 0; m < 2; ++m)
        for (int k = 0; k < 2; ++k)
            e[m][k] = max_diff(
                run_cpu<double>(three_nodes(scheme::rk4, m ? hold : interp, 0.04 / (1 << k), true)), ref);
    std::printf("zero-delay edge, rk4 against dt/256: interpolate %.3g, %.3g; hold %.3g, %.3g\n", e[0][0],
                e[0][1], e[1][0], e[1][1]);
    for (int m = 0; m < 2; ++m) EXPECT_NEAR(std::log2(e[m][0] / e[m][1]), 1.0, 0.15) << m;
    EXPECT_LT(e[0][1], 1.5 * e[1][1]);
}

// A swept speed gives every instance its own delays (the per-lane gather):
// each instance equals the run at its speed alone, and keeps the order.
TEST(delayed_coupling, per_instance_delays) {
    const std::vector<double> speeds{1.0, 0.5, 0.25}; // integer delays at every dt of the test
    auto make = [&](double dt) {
        batch b = three_nodes(scheme::rk4, interp, dt, false);
        b.n_instances = speeds.size();
        b.speed_per_instance = speeds;
        return b;
    };
    const run_result all = run_cpu<double>(make(0.02));
    for (std::size_t i = 0; i < speeds.size(); ++i) {
        batch one = three_nodes(scheme::rk4, interp, 0.02, false);
        one.speed = speeds[i];
        const run_result r = run_cpu<double>(one);
        for (std::size_t v = 0; v < 2; ++v)
            for (std::size_t n = 0; n < 3; ++n)
                EXPECT_EQ(all.final_state[(v * 3 + n) * speeds.size() + i], r.final_state[v * 3 + n])
                    << "instance " << i;
    }
    EXPECT_NEAR(network_order(make, 0.04), 4.0, 0.3);
}

// Float runs interpolate too, within float's resolution of the double run.
TEST(delayed_coupling, float_follows_double) {
    const batch b = three_nodes(scheme::rk4, interp, 0.02, false);
    const run_result d = run_cpu<double>(b), f = run_cpu<float>(b);
    EXPECT_LT(max_diff(d, f), 1e-5);
}
