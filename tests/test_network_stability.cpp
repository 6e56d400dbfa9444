// The network as a dynamical system (stability/network_system.hpp): its
// Jacobian against finite differences of its right-hand side for every
// model with each coupling, the split by delay, the parameter derivatives,
// and a linear network's spectrum against the closed form.

#include "nmsweep/models/registry.hpp"
#include "nmsweep/stability/network_system.hpp"
#include "nmsweep/stability/spectrum.hpp"

#include "dense_net.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace nms::stability {
namespace {

using test::dense_net;

batch small_batch(const std::string& model, const std::string& coupling, double speed) {
    batch b;
    b.model = model;
    b.coupling = coupling;
    b.net = dense_net(4, 3);
    b.speed = speed;
    b.dt = 0.1;
    return b;
}

// A state near the model's attractors (start box), else in TVB's range.
std::vector<double> draw_state(const model_info& m, int n, std::mt19937& g) {
    std::vector<double> x(std::size_t(n) * m.states.size());
    for (int i = 0; i < n; ++i)
        for (std::size_t v = 0; v < m.states.size(); ++v) {
            const auto& s = m.states[v];
            const bool box = s.start_hi > s.start_lo;
            std::uniform_real_distribution<double> u(box ? s.start_lo : s.lo, box ? s.start_hi : s.hi);
            x[i * m.states.size() + v] = u(g);
        }
    return x;
}

double fd_column(const network_system& sys, std::vector<double> x, int q, int r) {
    // Richardson-extrapolated central difference of rhs_r in x_q.
    const double h = 1e-4 * std::min(std::abs(x[q]) + 1e-2, 1.0);
    auto f = [&](double d) {
        auto y = x;
        y[q] += d;
        std::vector<double> out(std::size_t(sys.size()));
        sys.rhs(y.data(), out.data());
        return out[r];
    };
    auto c = [&](double s) { return (f(s) - f(-s)) / (2 * s); };
    return (4 * c(h / 2) - c(h)) / 3;
}

TEST(network_system, jacobian_matches_finite_differences_for_every_model_and_coupling) {
    std::mt19937 g(5);
    int pairs = 0;
    for (const auto& m : all_model_infos())
        for (const auto& cname : coupling_names()) {
            if (cname == "sigmoidal_jansen_rit" && m.cvar.size() < 2) continue;
            const coupling_info c = find_coupling(cname, int(m.cvar.size()));
            batch b = small_batch(m.name, c.name, 3.0);
            const prepared P = prepare(b);
            const network_system sys(P, 0, b.dt);
            const auto x = draw_state(m, sys.n_nodes(), g);
            const Eigen::MatrixXd J = sys.jacobian(x.data());
            for (int r = 0; r < sys.size(); ++r)
                for (int q = 0; q < sys.size(); ++q) {
                    const double num = fd_column(sys, x, q, r);
                    ASSERT_NEAR(J(r, q), num, 1e-6 * (std::abs(num) + 1))
                        << m.name << "/" << c.name << " J(" << r << ", " << q << ")";
                }
            ++pairs;
        }
    EXPECT_GE(pairs, 30);
}

TEST(network_system, delays_split_the_jacobian_and_sum_to_it) {
    batch b = small_batch("jansen_rit", "sigmoidal_jansen_rit", 3.0);
    const prepared P = prepare(b);
    const network_system sys(P, 0, b.dt);
    std::mt19937 g(1);
    const auto x = draw_state(find_model("jansen_rit"), sys.n_nodes(), g);
    const auto lin = sys.linearise(x.data());
    EXPECT_EQ(int(lin.delayed.size()), sys.n_delays());
    EXPECT_GT(sys.n_delays(), 3);
    EXPECT_LT((lin.total() - sys.jacobian(x.data())).norm(), 1e-12 * sys.jacobian(x.data()).norm());
    for (const auto& d : lin.delayed) {
        EXPECT_GT(d.tau, 0);
        EXPECT_NEAR(std::remainder(d.tau, b.dt), 0, 1e-12); // whole steps
    }
}

TEST(network_system, parameter_derivatives_match_finite_differences) {
    for (const auto& [model, coupling, names] :
         std::vector<std::tuple<std::string, std::string, std::vector<std::string>>>{
             {"jansen_rit", "sigmoidal_jansen_rit", {"model.mu", "model.A", "coupling.a", "coupling.r"}},
             {"wilson_cowan", "linear", {"model.P", "coupling.a", "coupling.b"}},
             {"kuramoto", "kuramoto", {"model.omega", "coupling.a"}}}) {
        batch b = small_batch(model, coupling, 0.0);
        const prepared P = prepare(b);
        network_system sys(P, 0, b.dt);
        std::mt19937 g(2);
        const auto x = draw_state(find_model(model), sys.n_nodes(), g);
        for (const auto& name : names) {
            const int k = sys.param_index(name);
            ASSERT_GE(k, 0) << name;
            const double p0 = sys.param(k), h = 1e-4 * (std::abs(p0) + 1e-3);
            const Eigen::VectorXd d = sys.param_derivative(x.data(), k);
            std::vector<double> fp(std::size_t(sys.size())), fm(fp);
            sys.set_param(k, p0 + h);
            sys.rhs(x.data(), fp.data());
            sys.set_param(k, p0 - h);
            sys.rhs(x.data(), fm.data());
            sys.set_param(k, p0);
            for (int r = 0; r < sys.size(); ++r) {
                const double num = (fp[r] - fm[r]) / (2 * h);
                EXPECT_NEAR(d[r], num, 1e-6 * (std::abs(num) + 1)) << model << " " << name << " row " << r;
            }
        }
    }
}

// x_i' = gamma x_i + a sum_j w_ij x_j: eigenvalues gamma + a mu_k(W). On a
// ring of N with unit weights both ways mu_k = 2 cos(2 pi k / N).
TEST(network_system, linear_ring_has_the_closed_form_spectrum) {
    const int N = 12;
    const double gamma = -1.5, a = 0.4;
    batch b;
    b.model = "linear";
    b.coupling = "linear";
    b.net.n = N;
    b.net.weights.assign(N * N, 0.0);
    b.net.tract_lengths.assign(N * N, 10.0);
    for (int i = 0; i < N; ++i) {
        b.net.weights[i * N + (i + 1) % N] = 1;
        b.net.weights[i * N + (i + N - 1) % N] = 1;
    }
    b.speed = 0; // no delays
    b.params["model.gamma"] = field::scalar(gamma);
    b.params["coupling.a"] = field::scalar(a);
    const prepared P = prepare(b);
    const network_system sys(P, 0, b.dt);
    std::vector<double> x(N, 0.3);
    auto ev = eigenvalues(sys.jacobian(x.data()));
    std::vector<double> want;
    for (int k = 0; k < N; ++k) want.push_back(gamma + a * 2 * std::cos(2 * pi * k / N));
    std::sort(want.rbegin(), want.rend());
    ASSERT_EQ(ev.size(), want.size());
    for (int k = 0; k < N; ++k) {
        EXPECT_NEAR(ev[k].real(), want[k], 1e-12);
        EXPECT_NEAR(ev[k].imag(), 0, 1e-12);
    }
}

// Per-instance parameters reach each instance's system.
TEST(network_system, each_instance_has_its_own_parameters) {
    batch b = small_batch("linear", "linear", 0.0);
    b.n_instances = 3;
    b.params["model.gamma"] = field::per_instance({-1.0, -2.0, -3.0});
    b.params["coupling.a"] = field::scalar(0.0);
    const prepared P = prepare(b);
    for (int i = 0; i < 3; ++i) {
        const network_system sys(P, std::size_t(i), b.dt);
        std::vector<double> x(std::size_t(sys.size()), 1.0);
        const auto ev = eigenvalues(sys.jacobian(x.data()));
        EXPECT_NEAR(ev.front().real(), -(i + 1.0), 1e-14);
    }
}

} // namespace
} // namespace nms::stability
