// Optimal control (stability/optimal_control.hpp): the adjoint gradient
// against central differences of the cost (Jansen-Rit, Kuramoto and linear
// networks with delays, Euler and Heun, state and desynchronisation
// targets), the optimum of a linear network against the closed-form
// linear-quadratic solution (tests/reference/make_optimal_control_reference.py),
// the group sparsity zeroing an input, the amplitude bound, and bad problems.

#include "nmsweep/stability/optimal_control.hpp"

#include "dense_net.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace nms::stability {
namespace {

using test::dense_net;

struct fixture {
    batch b;
    prepared P;
    network_system sys;
    explicit fixture(batch bb) : b(std::move(bb)), P(prepare(b)), sys(P, 0, b.dt) {}
};

batch make(const std::string& model, const std::string& coupling, int n, double speed, double dt) {
    batch b;
    b.model = model;
    b.coupling = coupling;
    b.net = dense_net(n, 5);
    b.speed = speed;
    b.dt = dt;
    return b;
}

control_problem problem(const network_system& sys, long steps, double dt, std::vector<control_input> in) {
    control_problem pb;
    pb.inputs = std::move(in);
    pb.dt = dt;
    pb.steps = steps;
    pb.x0 = sys.initial_state();
    pb.history = sys.history_state();
    pb.target.assign(std::size_t(sys.size()), 0.0);
    pb.target_weight.assign(std::size_t(sys.size()), 1.0);
    return pb;
}

// The adjoint gradient against central differences at random u, at the
// first and last samples and at random ones in between.
void expect_adjoint_gradient(const network_system& sys, const control_problem& pb, double amp,
                             unsigned seed) {
    std::mt19937 g(seed);
    std::normal_distribution<double> z(0, amp);
    std::vector<double> u((std::size_t(pb.steps) + 1) * pb.inputs.size());
    for (double& v : u) v = z(g);
    std::vector<double> grad;
    control_objective(sys, pb, u, &grad);
    double gmax = 0;
    for (double v : grad) gmax = std::max(gmax, std::abs(v));
    ASSERT_GT(gmax, 0);
    std::vector<std::size_t> ks{0, 1, u.size() - 1, u.size() - 2};
    std::uniform_int_distribution<std::size_t> pick(0, u.size() - 1);
    for (int k = 0; k < 12; ++k) ks.push_back(pick(g));
    for (std::size_t k : ks) {
        const double h = 1e-4 * std::max(1.0, std::abs(u[k]));
        auto J = [&](double d) {
            auto v = u;
            v[k] += d;
            return control_objective(sys, pb, v).total;
        };
        // Richardson: the O(h^2) terms of two central differences cancel.
        const double d1 = (J(h) - J(-h)) / (2 * h), d2 = (J(h / 2) - J(-h / 2)) / h;
        const double fd = (4 * d2 - d1) / 3;
        EXPECT_NEAR(grad[k], fd, 1e-7 * gmax + 1e-6 * std::abs(fd)) << "sample " << k / pb.inputs.size();
    }
}

TEST(optimal_control, adjoint_gradient_jansen_rit_with_delays_heun) {
    fixture f(make("jansen_rit", "sigmoidal_jansen_rit", 3, 10.0, 0.1)); // delays 20..150 steps
    ASSERT_GT(f.sys.n_delays(), 0);
    auto pb = problem(f.sys, 250, 0.1, {{0, 4}, {2, 3}});
    for (std::size_t q = 0; q < pb.target.size(); ++q) pb.target[q] = 0.01 * double(q);
    pb.window = 20;
    pb.energy_weight = 0.01;
    expect_adjoint_gradient(f.sys, pb, 5.0, 1);
}

TEST(optimal_control, adjoint_gradient_kuramoto_desynchronisation) {
    batch b = make("kuramoto", "kuramoto", 4, 5.0, 0.05);
    b.params["coupling.a"] = field::scalar(0.4);
    b.initial["theta"] = field::per_node({0.1, 0.5, 0.9, 1.3});
    fixture f(b);
    auto pb = problem(f.sys, 600, 0.05, {{1, 0}, {3, 0}});
    pb.phase_var = 0;
    pb.window = 100;
    expect_adjoint_gradient(f.sys, pb, 0.3, 2);
}

TEST(optimal_control, adjoint_gradient_linear_euler_and_difference_coupling) {
    batch b = make("linear", "difference", 4, 20.0, 0.1);
    b.params["model.gamma"] = field::scalar(-0.2);
    b.params["coupling.a"] = field::scalar(0.1);
    b.initial["x"] = field::per_node({0.3, -0.2, 0.5, 0.1});
    fixture f(b);
    auto pb = problem(f.sys, 150, 0.1, {{0, 0}});
    pb.scheme = control_scheme::euler;
    pb.window = 5;
    expect_adjoint_gradient(f.sys, pb, 1.0, 3);
}

// The reference rows: t u_0 u_2, and the final "nan x(T)" row.
std::vector<std::vector<double>> read_rows(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::vector<double>> rows;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream s(line);
        std::vector<double> r;
        for (std::string tok; s >> tok;) r.push_back(std::stod(tok));
        rows.push_back(r);
    }
    return rows;
}

// The linear network of make_optimal_control_reference.py: A = -0.5 I + 0.3 W.
fixture lq_network() {
    batch b;
    b.model = "linear";
    b.coupling = "linear";
    b.net.n = 3;
    b.net.weights = {0, 0.5, 0.2, 0.5, 0, 0.4, 0.2, 0.4, 0};
    b.net.tract_lengths.assign(9, 0.0);
    b.speed = 0;
    b.dt = 0.001;
    b.params["model.gamma"] = field::scalar(-0.5);
    b.params["coupling.a"] = field::scalar(0.3);
    b.initial["x"] = field::per_node({1.0, -0.5, 0.25});
    return fixture(b);
}

TEST(optimal_control, linear_quadratic_optimum_matches_the_closed_form) {
    const auto ref = read_rows(std::string(NMS_TEST_DATA) + "/stability/lq_control.txt");
    ASSERT_EQ(ref.size(), 22u);
    fixture f = lq_network();
    auto pb = problem(f.sys, 2000, 0.001, {{0, 0}, {2, 0}});
    pb.target = {0.2, 0.8, -0.3};
    pb.error_weight = 50;
    pb.energy_weight = 1;
    control_options o;
    o.max_iterations = 3000;
    o.tol = 1e-13;
    const auto r = optimise_control(f.sys, pb, o);
    EXPECT_TRUE(r.converged);
    EXPECT_LT(r.cost.total, r.initial_cost.total);
    double umax = 0;
    for (std::size_t k = 0; k + 1 < ref.size(); ++k)
        umax = std::max({umax, std::abs(ref[k][1]), std::abs(ref[k][2])});
    for (std::size_t k = 0; k + 1 < ref.size(); ++k) {
        const std::size_t n = std::size_t(std::lround(ref[k][0] / 0.001));
        EXPECT_NEAR(r.u[n * 2 + 0], ref[k][1], 2e-3 * umax) << "t = " << ref[k][0];
        EXPECT_NEAR(r.u[n * 2 + 1], ref[k][2], 2e-3 * umax) << "t = " << ref[k][0];
    }
    const auto& xT = ref.back();
    for (int q = 0; q < 3; ++q)
        EXPECT_NEAR(r.trajectory[std::size_t(2000 * 3 + q)], xT[std::size_t(q + 1)], 1e-3);
}

TEST(optimal_control, group_sparsity_drops_the_weaker_input_and_the_bound_holds) {
    fixture f = lq_network();
    auto pb = problem(f.sys, 2000, 0.001, {{0, 0}, {1, 0}});
    pb.target = {0.8, 0.0, 0.0};
    pb.target_weight = {1, 0, 0}; // only node 0 matters: its own input is the cheap one
    pb.error_weight = 50;
    pb.energy_weight = 1;
    control_options o;
    o.max_iterations = 2000;
    o.tol = 1e-10;
    auto norm = [&](const control_result& r, int in) {
        double q = 0;
        for (long n = 0; n <= pb.steps; ++n)
            q += r.u[std::size_t(n) * 2 + std::size_t(in)] * r.u[std::size_t(n) * 2 + std::size_t(in)];
        return std::sqrt(q);
    };
    const auto dense = optimise_control(f.sys, pb, o);
    EXPECT_GT(norm(dense, 1), 1e-3 * norm(dense, 0)); // without sparsity both inputs help
    pb.sparsity_weight = 0.5;
    const auto sparse = optimise_control(f.sys, pb, o);
    EXPECT_EQ(norm(sparse, 1), 0.0);
    EXPECT_GT(norm(sparse, 0), 0.0);
    double umax = 0;
    for (double v : dense.u) umax = std::max(umax, std::abs(v));
    pb.sparsity_weight = 0;
    pb.max_amplitude = 0.5 * umax;
    const auto bounded = optimise_control(f.sys, pb, o);
    for (double v : bounded.u) EXPECT_LE(std::abs(v), 0.5 * umax);
    EXPECT_GT(bounded.cost.total, dense.cost.total);
}

TEST(optimal_control, a_problem_of_the_wrong_shape_is_refused) {
    fixture f = lq_network();
    auto pb = problem(f.sys, 10, 0.001, {{0, 0}});
    pb.target = {0.0, 1.0};
    EXPECT_THROW(control_objective(f.sys, pb, std::vector<double>(11, 0.0)), std::invalid_argument);
    pb = problem(f.sys, 10, 0.001, {{5, 0}});
    EXPECT_THROW(control_objective(f.sys, pb, std::vector<double>(11, 0.0)), std::invalid_argument);
    pb = problem(f.sys, 10, 0.001, {{0, 0}});
    EXPECT_THROW(control_objective(f.sys, pb, std::vector<double>(7, 0.0)), std::invalid_argument);
}

} // namespace
} // namespace nms::stability
