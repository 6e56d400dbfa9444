// Gramians, Gu et al.'s controllability measures and minimum-energy control
// (nms::stability): against scipy (tests/reference/make_gramian_reference.py:
// Lyapunov solver and adaptive quadrature, not Van Loan), closed forms of
// scalar and diagonal systems, and the optimal input replayed through RK4.

#include "nmsweep/stability/gramians.hpp"
#include "ref_blocks.hpp"

#include <gtest/gtest.h>
#include <unsupported/Eigen/MatrixFunctions>

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

using Eigen::MatrixXd;
using Eigen::VectorXd;
using namespace nms::stability;

namespace {

using block_map = std::map<std::string, MatrixXd>;

block_map read_blocks(const std::string& name) {
    block_map out;
    for (const auto& [key, b] :
         nms::test_ref::read_blocks(std::string(NMS_TEST_DATA) + "/stability/gramian_" + name + ".txt"))
        out[key] = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            b.values.data(), b.rows, b.cols);
    return out;
}

double rel_err(const MatrixXd& x, const MatrixXd& ref) { return (x - ref).norm() / ref.norm(); }

MatrixXd row(const std::vector<double>& v) {
    return Eigen::Map<const MatrixXd>(v.data(), 1, static_cast<Eigen::Index>(v.size()));
}

VectorXd vec(const MatrixXd& m) { return Eigen::Map<const VectorXd>(m.data(), m.size()); }

const char* systems[] = {"sym", "osc", "nonnormal"};
constexpr double ref_tol = 1e-10;

void expect_close(const char* sys, const char* what, const MatrixXd& x, const MatrixXd& ref,
                  double tol = ref_tol) {
    ASSERT_EQ(x.rows(), ref.rows()) << sys << " " << what;
    ASSERT_EQ(x.cols(), ref.cols()) << sys << " " << what;
    const double e = rel_err(x, ref);
    std::cout << "  " << sys << " " << what << ": rel err " << e << "\n";
    EXPECT_LT(e, tol) << sys << " " << what;
}

// x' = A x + B u(t) by RK4 with step 2 dt on input samples every dt (the
// half steps RK4 needs).
VectorXd rk4(const MatrixXd& a, const MatrixXd& b, const VectorXd& x0, const MatrixXd& u, double dt) {
    VectorXd x = x0;
    const double h = 2 * dt;
    auto f = [&](const VectorXd& y, int k) -> VectorXd { return a * y + b * u.row(k).transpose(); };
    for (Eigen::Index k = 0; k + 2 < u.rows() + 1; k += 2) {
        const VectorXd k1 = f(x, k);
        const VectorXd k2 = f(x + h / 2 * k1, k + 1);
        const VectorXd k3 = f(x + h / 2 * k2, k + 1);
        const VectorXd k4 = f(x + h * k3, k + 2);
        x += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
    }
    return x;
}

} // namespace

TEST(Gramians, LyapunovSolvesItsEquation) {
    for (const char* sys : systems) {
        const auto d = read_blocks(sys);
        const MatrixXd& a = d.at("a");
        const MatrixXd q = d.at("b") * d.at("b").transpose();
        const MatrixXd x = lyapunov(a, q);
        // backward error: residual relative to the size of its terms
        const double res = (a * x + x * a.transpose() + q).norm() / (2 * a.norm() * x.norm() + q.norm());
        std::cout << "  " << sys << " Lyapunov backward error " << res << "\n";
        EXPECT_LT(res, 1e-14) << sys;
    }
}

TEST(Gramians, MatchScipyReference) {
    for (const char* sys : systems) {
        const auto d = read_blocks(sys);
        const MatrixXd &a = d.at("a"), &b = d.at("b"), &c = d.at("c");
        const double t = d.at("horizon")(0, 0);
        expect_close(sys, "W_c(inf)", controllability_gramian(a, b, infinite_horizon), d.at("wc_inf"));
        expect_close(sys, "W_o(inf)", observability_gramian(a, c, infinite_horizon), d.at("wo_inf"));
        expect_close(sys, "W_c(T)", controllability_gramian(a, b, t), d.at("wc_T"));
        expect_close(sys, "W_o(T)", observability_gramian(a, c, t), d.at("wo_T"));
        expect_close(sys, "avg ctrl inf", row(average_controllability(a, b, infinite_horizon)),
                     d.at("avgc_inf"));
        expect_close(sys, "avg ctrl T", row(average_controllability(a, b, t)), d.at("avgc_T"));
        expect_close(sys, "avg ctrl T group", row(average_controllability(a, b, t, {{0, 1}})),
                     d.at("avgc_all_T"));
        expect_close(sys, "avg obs inf", row(average_observability(a, c, infinite_horizon)),
                     d.at("avgo_inf"));
        expect_close(sys, "avg obs T", row(average_observability(a, c, t)), d.at("avgo_T"));
        const VectorXd x0 = vec(d.at("x0")), xf = vec(d.at("xf"));
        expect_close(sys, "output energy inf",
                     MatrixXd::Constant(1, 1, output_energy(a, c, x0, infinite_horizon)), d.at("outE_inf"));
        expect_close(sys, "output energy T", MatrixXd::Constant(1, 1, output_energy(a, c, x0, t)),
                     d.at("outE_T"));
        const double dt = d.at("dt")(0, 0);
        expect_close(sys, "modal", row(modal_controllability(a, b, dt)), d.at("modal"));
        expect_close(sys, "modal B=I",
                     row(modal_controllability(a, MatrixXd::Identity(a.rows(), a.rows()), dt)),
                     d.at("modal_unit"));
        const MatrixXd& u_ref = d.at("input");
        const min_energy_control m = minimum_energy(a, b, x0, xf, t, static_cast<int>(u_ref.rows()) - 1);
        expect_close(sys, "min energy", MatrixXd::Constant(1, 1, m.energy), d.at("energy"));
        expect_close(sys, "input samples", m.input, u_ref.rightCols(b.cols()));
        EXPECT_LT((m.times - u_ref.col(0)).norm(), 1e-14 * t);
        EXPECT_EQ(m.rank, a.rows());
        EXPECT_LT(m.residual, 1e-12);
        const MatrixXd units = MatrixXd::Identity(a.rows(), a.rows());
        for (const auto& [key, horizon] : {std::pair<const char*, double>{"reach_inf", infinite_horizon},
                                           std::pair<const char*, double>{"reach_T", t}}) {
            const reach_energies r = reach_energy(controllability_gramian(a, b, horizon), units);
            expect_close(sys, key, row(r.energy), d.at(key));
            EXPECT_EQ(r.rank, a.rows());
        }
    }
}

TEST(Gramians, ScalarClosedForm) {
    for (double a : {-0.7, 0.4, -3.0}) { // a finite horizon accepts an unstable a
        const double t = 1.3, x0 = 0.8, xf = -1.1;
        const double w = std::expm1(2 * a * t) / (2 * a);
        const MatrixXd am = MatrixXd::Constant(1, 1, a), bm = MatrixXd::Ones(1, 1);
        EXPECT_NEAR(controllability_gramian(am, bm, t)(0, 0), w, 1e-14 * w) << a;
        EXPECT_NEAR(average_controllability(am, bm, t)[0], w, 1e-14 * w) << a;
        const double d = xf - std::exp(a * t) * x0;
        const auto m = minimum_energy(am, bm, VectorXd::Constant(1, x0), VectorXd::Constant(1, xf), t, 4);
        EXPECT_NEAR(m.energy, d * d / w, 1e-13 * d * d / w) << a;
        EXPECT_DOUBLE_EQ(m.condition, 1.0);
        for (int k = 0; k <= 4; ++k) {
            const double u = std::exp(a * (t - m.times(k))) * d / w;
            EXPECT_NEAR(m.input(k, 0), u, 1e-13 * std::abs(u)) << a << " k " << k;
        }
        if (a < 0) EXPECT_NEAR(controllability_gramian(am, bm, infinite_horizon)(0, 0), -1 / (2 * a), 1e-15);
    }
    // A horizon 300 time constants long: the finite Gramian meets the infinite one.
    const MatrixXd am = MatrixXd::Constant(1, 1, -1.0), bm = MatrixXd::Ones(1, 1);
    EXPECT_NEAR(controllability_gramian(am, bm, 300.0)(0, 0), 0.5, 1e-15);
}

TEST(Gramians, DiagonalClosedForm) {
    const VectorXd av = (VectorXd(4) << -0.5, -1.0, -2.5, -10.0).finished();
    const MatrixXd a = av.asDiagonal();
    const MatrixXd id = MatrixXd::Identity(4, 4);
    const double t = 0.9, dt = 0.25;
    const MatrixXd wt = controllability_gramian(a, id, t),
                   winf = controllability_gramian(a, id, infinite_horizon);
    const auto avg_t = average_controllability(a, id, t),
               avg_inf = average_controllability(a, id, infinite_horizon);
    const auto obs_t = average_observability(a, id, t);
    const auto modal = modal_controllability(a, id, dt);
    for (int i = 0; i < 4; ++i) {
        const double w = std::expm1(2 * av(i) * t) / (2 * av(i)), phi = 1 - std::exp(2 * av(i) * dt);
        EXPECT_NEAR(wt(i, i), w, 1e-14 * w);
        EXPECT_NEAR(winf(i, i), -1 / (2 * av(i)), 1e-15);
        EXPECT_NEAR(avg_t[i], w, 1e-14 * w);
        EXPECT_NEAR(obs_t[i], w, 1e-14 * w);
        EXPECT_NEAR(avg_inf[i], -1 / (2 * av(i)), 1e-15);
        EXPECT_NEAR(modal[i], phi, 1e-14) << i;
        for (int j = 0; j < 4; ++j)
            if (j != i) EXPECT_EQ(wt(i, j), 0.0);
    }
    // Groups sum their columns; observability of rows mirrors controllability of columns.
    const auto g = modal_controllability(a, id, dt, {{0, 2}, {3}});
    ASSERT_EQ(g.size(), 2u);
    EXPECT_NEAR(g[0], modal[0] + modal[2], 1e-15);
    EXPECT_NEAR(g[1], modal[3], 1e-15);
    // A column that mixes states: (v^T e_i)^2 weights, here 1/2 each.
    const MatrixXd mix = (MatrixXd(4, 1) << 1, 1, 0, 0).finished() / std::sqrt(2.0);
    EXPECT_NEAR(modal_controllability(a, mix, dt)[0], (modal[0] + modal[1]) / 2, 1e-15);
}

// Time scales 0.005 to 20 ms and T = 400 ms (|A| T ~ 1e5): Van Loan on T
// itself would need e^{-A T}; the doublings must still meet
// W(T) = W(inf) - e^{A T} W(inf) e^{A^T T}, which has no cancellation here.
TEST(Gramians, LongStiffHorizonMeetsLyapunov) {
    Eigen::MatrixXd s = Eigen::MatrixXd::Zero(5, 5);
    s.diagonal() << -200.0, -0.05, -3.0, -0.5, -40.0;
    s(0, 1) = 30;
    s(2, 3) = 4;
    s(3, 2) = -4;
    s(1, 4) = 2;
    const MatrixXd p = (MatrixXd(5, 5) << 1, 0.3, 0, 0, 0.1, 0, 1, 0.2, 0, 0, 0.5, 0, 1, 0.1, 0, 0, 0, 0.4, 1,
                        0.2, 0, 0.7, 0, 0, 1)
                           .finished();
    const MatrixXd a = p * s * p.inverse();
    const MatrixXd b = (MatrixXd(5, 2) << 1, 0, 0.5, 1, 0, -1, 0.2, 0.3, 1, 1).finished();
    const double t = 400;
    const MatrixXd winf = controllability_gramian(a, b, infinite_horizon);
    const MatrixXd e = (a * t).exp();
    const MatrixXd ref = winf - e * winf * e.transpose();
    const double err = rel_err(controllability_gramian(a, b, t), ref);
    std::cout << "  stiff T = 400 ms: rel err " << err << "\n";
    EXPECT_LT(err, 1e-10); // the reference itself: Lyapunov operator condition ~ |A| / 0.05
    const double err_short = rel_err(controllability_gramian(a, b, 0.01),
                                     winf - (a * 0.01).exp() * winf * (a * 0.01).exp().transpose());
    std::cout << "  stiff T = 0.01 ms: rel err " << err_short << " (reference itself cancels)\n";
    EXPECT_LT(err_short, 1e-8);
}

TEST(Gramians, OptimalInputReachesTarget) {
    for (const char* sys : systems) {
        const auto d = read_blocks(sys);
        const MatrixXd &a = d.at("a"), &b = d.at("b");
        const VectorXd x0 = vec(d.at("x0")), xf = vec(d.at("xf"));
        const double t = d.at("horizon")(0, 0);
        const int n = 4000; // even: RK4 steps of 2 T / n
        const auto m = minimum_energy(a, b, x0, xf, t, n);
        const VectorXd x = rk4(a, b, x0, m.input, t / n);
        const double err = (x - xf).norm() / xf.norm();
        std::cout << "  " << sys << " RK4 landing error " << err << " (cond W_c " << m.condition << ")\n";
        EXPECT_LT(err, 1e-6) << sys;
        // The energy actually spent, by the trapezoid rule, is E.
        double e = 0;
        for (int k = 0; k < n; ++k)
            e += (m.input.row(k).squaredNorm() + m.input.row(k + 1).squaredNorm()) / 2;
        EXPECT_NEAR(e * t / n, m.energy, 1e-5 * m.energy) << sys;
    }
}

TEST(Gramians, UncontrollableSystemIsRankRevealed) {
    const MatrixXd a = (VectorXd(2) << -1.0, -2.0).finished().asDiagonal();
    const MatrixXd b = (MatrixXd(2, 1) << 1, 0).finished();
    const VectorXd x0 = VectorXd::Zero(2);
    const double t = 1.0, w = std::expm1(-2.0) / -2.0;
    const auto reach = minimum_energy(a, b, x0, (VectorXd(2) << 0.5, 0).finished(), t, 2);
    EXPECT_EQ(reach.rank, 1);
    EXPECT_TRUE(std::isinf(reach.condition));
    EXPECT_NEAR(reach.energy, 0.25 / w, 1e-14);
    EXPECT_LT(reach.residual, 1e-15);
    const auto beyond = minimum_energy(a, b, x0, (VectorXd(2) << 0, 1).finished(), t, 2);
    EXPECT_NEAR(beyond.residual, 1.0, 1e-15); // the second state cannot be reached at all
    EXPECT_EQ(beyond.energy, 0.0);
    // From the equilibrium: the first state costs 1 / w per unit squared, the second is out of reach.
    const auto units = reach_energy(controllability_gramian(a, b, t), MatrixXd::Identity(2, 2));
    EXPECT_EQ(units.rank, 1);
    EXPECT_NEAR(units.energy[0], 1 / w, 1e-13);
    EXPECT_TRUE(std::isinf(units.energy[1]));
    // Infinite horizon, x' = -x + u: W = 1/2, a unit step costs 2.
    EXPECT_NEAR(
        reach_energy(controllability_gramian(a, b, infinite_horizon), MatrixXd::Identity(2, 1)).energy[0],
        2.0, 1e-14);
}

TEST(Gramians, RefusesBadInput) {
    const MatrixXd unstable = (MatrixXd(2, 2) << -1, 3, 0, 0.2).finished();
    const MatrixXd b = MatrixXd::Identity(2, 2), c = MatrixXd::Ones(1, 2);
    EXPECT_FALSE(is_hurwitz(unstable));
    EXPECT_THROW(lyapunov(unstable, b), std::invalid_argument);
    EXPECT_THROW(controllability_gramian(unstable, b, infinite_horizon), std::invalid_argument);
    EXPECT_THROW(observability_gramian(unstable, c, infinite_horizon), std::invalid_argument);
    EXPECT_THROW(average_controllability(unstable, b, infinite_horizon), std::invalid_argument);
    EXPECT_THROW(modal_controllability(unstable, b, 0.1), std::invalid_argument);
    EXPECT_NO_THROW(controllability_gramian(unstable, b, 2.0)); // finite horizon: fine
    // A marginal (neutral) mode has no infinite-horizon Gramian either.
    EXPECT_THROW(lyapunov(MatrixXd::Zero(1, 1), MatrixXd::Ones(1, 1)), std::invalid_argument);

    const MatrixXd a = (MatrixXd(2, 2) << -1, 0.5, 0, -2).finished();
    EXPECT_TRUE(is_hurwitz(a));
    const VectorXd x2 = VectorXd::Ones(2), x3 = VectorXd::Ones(3);
    EXPECT_THROW(minimum_energy(a, b, x2, x3, 1.0, 10), std::invalid_argument);
    EXPECT_THROW(minimum_energy(a, b, x3, x2, 1.0, 10), std::invalid_argument);
    EXPECT_THROW(output_energy(a, c, x3, 1.0), std::invalid_argument);
    const MatrixXd b3 = MatrixXd::Ones(3, 1);
    EXPECT_THROW(controllability_gramian(a, b3, 1.0), std::invalid_argument);
    EXPECT_THROW(average_controllability(a, b3, 1.0), std::invalid_argument);
    EXPECT_THROW(modal_controllability(a, b3, 0.1), std::invalid_argument);
    EXPECT_THROW(minimum_energy(a, b3, x2, x2, 1.0, 10), std::invalid_argument);
    EXPECT_THROW(observability_gramian(a, MatrixXd::Ones(1, 3), 1.0), std::invalid_argument);
    EXPECT_THROW(reach_energy(a, MatrixXd::Ones(3, 1)), std::invalid_argument);
    EXPECT_THROW(reach_energy(MatrixXd::Ones(2, 3), MatrixXd::Ones(2, 1)), std::invalid_argument);
    EXPECT_THROW(lyapunov(MatrixXd::Ones(2, 3), b), std::invalid_argument);
    EXPECT_THROW(lyapunov(a, MatrixXd::Ones(3, 3)), std::invalid_argument);
    // Horizons and steps.
    EXPECT_THROW(controllability_gramian(a, b, 0.0), std::invalid_argument);
    EXPECT_THROW(controllability_gramian(a, b, -1.0), std::invalid_argument);
    EXPECT_THROW(controllability_gramian(a, b, std::nan("")), std::invalid_argument);
    EXPECT_THROW(minimum_energy(a, b, x2, x2, infinite_horizon, 10), std::invalid_argument);
    EXPECT_THROW(minimum_energy(a, b, x2, x2, 1.0, 0), std::invalid_argument);
    EXPECT_THROW(modal_controllability(a, b, 0.0), std::invalid_argument);
    EXPECT_THROW(average_controllability(a, b, 1.0, {{0, 2}}), std::invalid_argument);
    // Defective A (a Jordan block): no eigenvector basis for modal controllability.
    const MatrixXd jordan = (MatrixXd(2, 2) << -1, 1, 0, -1).finished();
    EXPECT_THROW(modal_controllability(jordan, b, 0.1), std::invalid_argument);
}
