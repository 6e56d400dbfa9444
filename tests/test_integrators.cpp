// Integrators and the delay ring against exact solutions.
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/engine/prepared.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace nms;

namespace {

connectome single_node(double self_weight = 0, double self_length = 0) {
    connectome c;
    c.n = 1;
    c.weights = {self_weight};
    c.tract_lengths = {self_length};
    c.source = "test:1";
    return c;
}

// x' = gamma x, x(0) = 1 on one node; returns |x(T) - exp(gamma T)|.
double decay_error(scheme s, double dt, double T = 2.0, double gamma = -1.5) {
    batch b;
    b.model = "linear";
    b.net = single_node();
    b.method = s;
    b.dt = dt;
    b.n_steps = std::lround(T / dt);
    b.params["model.gamma"] = field::scalar(gamma);
    b.initial["x"] = field::scalar(1.0);
    auto r = run_cpu<double>(b);
    return std::abs(r.final_state[0] - std::exp(gamma * T));
}

double observed_order(scheme s, double dt) { return std::log2(decay_error(s, dt) / decay_error(s, dt / 2)); }

} // namespace

// Float keeps increments far below its resolution: x' = gamma x with
// gamma dt = 1e-8, a relative step that plain float rounding drops entirely
// (x would stay 1), as near a fixed point whose level is large against its
// remaining distance. The compensated update follows exp(gamma T).
TEST(integrators, float_keeps_increments_below_its_resolution) {
    for (scheme s : {scheme::euler, scheme::heun, scheme::rk4}) {
        batch b;
        b.model = "linear";
        b.net = single_node();
        b.method = s;
        b.dt = 0.01;
        b.n_steps = 1000000; // T = 1e4 ms
        b.params["model.gamma"] = field::scalar(-1e-6);
        b.initial["x"] = field::scalar(1.0);
        const auto r = run_cpu<float>(b);
        EXPECT_NEAR(r.final_state[0], std::exp(-1e-2), 2e-7) << int(s);
    }
}

TEST(integrators, euler_is_first_order) { EXPECT_NEAR(observed_order(scheme::euler, 0.01), 1.0, 0.05); }

TEST(integrators, heun_is_second_order) { EXPECT_NEAR(observed_order(scheme::heun, 0.01), 2.0, 0.05); }

TEST(integrators, rk4_is_fourth_order) { EXPECT_NEAR(observed_order(scheme::rk4, 0.05), 4.0, 0.1); }

// u'(t) = -u(t - 1), u = 0 before 0, u(0) = 1. Method of steps:
//   [0,1]: u = 1;  [1,2]: u = 2 - t;  [2,3]: u = t^2/2 - 3t + 4;
//   [3,4]: u = -t^3/6 + 2t^2 - 7.5t + 26/3 + ... (below, from integrating).
double dde_exact(double t) {
    if (t <= 1) return 1.0;
    if (t <= 2) return 2.0 - t;
    if (t <= 3) return t * t / 2 - 3 * t + 4;
    // [3,4]: u' = -u(t-1) = -((t-1)^2/2 - 3(t-1) + 4), u(3) = -0.5
    auto F = [](double s) { // antiderivative of -((s-1)^2/2 - 3(s-1) + 4)
        const double y = s - 1;
        return -(y * y * y / 6 - 1.5 * y * y + 4 * y);
    };
    return -0.5 + F(t) - F(3.0);
}

double dde_error(double dt, double T) {
    batch b;
    b.model = "linear";
    b.coupling = "linear";
    b.net = single_node(1.0, 1.0); // self-connection, 1 mm
    b.speed = 1.0;                 // mm/ms: delay 1 ms = 1/dt steps
    b.method = scheme::heun;
    b.dt = dt;
    b.n_steps = std::lround(T / dt);
    b.params["model.gamma"] = field::scalar(0.0);
    b.params["coupling.a"] = field::scalar(-1.0);
    b.params["coupling.b"] = field::scalar(0.0);
    b.initial["x"] = field::scalar(1.0);
    b.history["x"] = field::scalar(0.0);
    auto r = run_cpu<double>(b);
    return std::abs(r.final_state[0] - dde_exact(T));
}

TEST(delays, exact_dde_solution_through_the_ring) {
    for (double T : {0.5, 1.5, 2.5, 3.5}) {
        for (double dt : {0.1, 0.05, 0.01}) EXPECT_LT(dde_error(dt, T), dt) << "T=" << T << " dt=" << dt;
    }
    // On [0,2] the delayed input is piecewise constant and the scheme exact.
    EXPECT_LT(dde_error(0.01, 1.5), 1e-12);
    // Beyond, the delayed input is held over each step (TVB's scheme): first order.
    const double order = std::log2(dde_error(0.02, 3.5) / dde_error(0.01, 3.5));
    EXPECT_NEAR(order, 1.0, 0.1);
}

TEST(delays, tvb_rounding_rule) {
    EXPECT_EQ(delay_steps(10.0, 4.0, 0.1), 25);
    EXPECT_EQ(delay_steps(2.5, 1.0, 1.0), 2); // rint: half to even, as numpy
    EXPECT_EQ(delay_steps(3.5, 1.0, 1.0), 4);
    EXPECT_EQ(delay_steps(3.4, 1.0, 1.0), 3);
    EXPECT_EQ(delay_steps(100.0, INFINITY, 0.1), 0);
}

TEST(validation, bad_batches_are_rejected) {
    batch b;
    b.model = "linear";
    b.net = single_node();
    b.dt = 0;
    EXPECT_THROW(check_batch(b), std::runtime_error);
    b.dt = 0.1;
    b.params["model.gama"] = field::scalar(1.0);
    try {
        check_batch(b);
        FAIL() << "no error for a misspelt parameter";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("model.gamma"), std::string::npos) << e.what();
    }
    b.params.clear();
    b.params["model.gamma"] = field::per_node({1.0, 2.0});
    EXPECT_THROW(check_batch(b), std::runtime_error);
    b.params.clear();
    b.model = "jansen_ritt";
    try {
        check_batch(b);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("jansen_rit"), std::string::npos) << e.what();
    }
}

TEST(validation, required_delays) {
    batch b;
    b.model = "linear";
    b.net = synthetic_connectome(6, 1);
    b.net.tract_lengths[1] = 0.1; // node 1 -> node 0: 0.1 mm
    b.net.weights[1] = 0.5;
    b.speed = 4.0;
    b.dt = 0.1;
    EXPECT_NO_THROW(check_batch(b)); // zero delays are legal, as in TVB
    b.require_delays = true;
    try {
        check_batch(b);
        FAIL() << "no error for a zero delay";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("from node 1 (r1) to node 0 (r0)"), std::string::npos)
            << e.what();
    }
}

TEST(divergence, a_diverging_instance_is_flagged_and_others_continue) {
    batch b;
    b.model = "linear";
    b.net = single_node();
    b.n_instances = 3;
    b.dt = 0.1;
    b.n_steps = 2000;
    b.method = scheme::euler;
    b.params["model.gamma"] = field::per_instance({-1.0, 5.0, -2.0}); // the middle one blows up
    b.initial["x"] = field::scalar(1.0);
    auto r = run_cpu<float>(b);
    EXPECT_EQ(r.diverged_step[0], -1);
    EXPECT_EQ(r.diverged_step[2], -1);
    // x_k = 1.5^k; step k evaluates f = 5 x_{k-1}, which overflows float
    // (3.4e38) first when 1.5^(k-1) > 6.8e37, i.e. k - 1 = 215.
    EXPECT_EQ(r.diverged_step[1], 216);
    EXPECT_NEAR(r.final_state[0], 0.0, 1e-6);
}
