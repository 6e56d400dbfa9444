// Continuation of equilibria and of their bifurcations, against analytic
// results of normal forms and small models.

#include "nmsweep/stability/continuation.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <complex>
#include <functional>
#include <stdexcept>

namespace ns = nms::stability;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using cd = std::complex<double>;

namespace {

VectorXd vec(std::initializer_list<double> v) {
    VectorXd r(v.size());
    int i = 0;
    for (double d : v) r(i++) = d;
    return r;
}

std::vector<ns::special_point> of_kind(const ns::branch& b, ns::point_kind k) {
    std::vector<ns::special_point> r;
    for (const auto& s : b.special)
        if (s.kind == k) r.push_back(s);
    return r;
}

// x' = p + x^2: fold at (p, x) = (0, 0) with a = (1/2) f_xx = 1.
ns::system fold_normal_form() {
    ns::system s;
    s.n = 1;
    s.rhs = [](const VectorXd& x, const VectorXd& p, VectorXd& f) { f = vec({p(0) + x(0) * x(0)}); };
    s.jacobian = [](const VectorXd& x, const VectorXd&, MatrixXd& jx, MatrixXd& jp) {
        jx = MatrixXd::Constant(1, 1, 2 * x(0));
        jp = MatrixXd::Ones(1, 1);
    };
    return s;
}

// Hopf normal form in Cartesian form, z = x + iy: z' = (p + i w) z + s z |z|^2.
ns::system hopf_normal_form(double w, double s) {
    ns::system sys;
    sys.n = 2;
    sys.rhs = [w, s](const VectorXd& x, const VectorXd& p, VectorXd& f) {
        const double r2 = x.squaredNorm();
        f = vec({p(0) * x(0) - w * x(1) + s * x(0) * r2, w * x(0) + p(0) * x(1) + s * x(1) * r2});
    };
    sys.jacobian = [w, s](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
        const double r2 = x.squaredNorm();
        jx.resize(2, 2);
        jx << p(0) + s * (r2 + 2 * x(0) * x(0)), -w + 2 * s * x(0) * x(1), w + 2 * s * x(0) * x(1),
            p(0) + s * (r2 + 2 * x(1) * x(1));
        jp = x;
    };
    return sys;
}

// Brusselator x' = a - (b+1) x + x^2 y, y' = b x - x^2 y; p = (a, b).
ns::system brusselator() {
    ns::system s;
    s.n = 2;
    s.rhs = [](const VectorXd& x, const VectorXd& p, VectorXd& f) {
        const double q = x(0) * x(0) * x(1);
        f = vec({p(0) - (p(1) + 1) * x(0) + q, p(1) * x(0) - q});
    };
    s.jacobian = [](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
        const double u = x(0), v = x(1);
        jx.resize(2, 2);
        jx << -(p(1) + 1) + 2 * u * v, u * u, p(1) - 2 * u * v, -u * u;
        jp.resize(2, 2);
        jp << 1, -u, 0, u;
    };
    return s;
}

using form2 = std::function<Eigen::Vector2cd(const Eigen::Vector2cd&, const Eigen::Vector2cd&)>;
using form3 = std::function<Eigen::Vector2cd(const Eigen::Vector2cd&, const Eigen::Vector2cd&,
                                             const Eigen::Vector2cd&)>;

// Independent l1 of a planar system: Kuznetsov's planar formula (3rd ed.,
// sec. 3.5) c1 = i/(2w) (g20 g11 - 2|g11|^2 - |g02|^2/3) + g21/2, l1 = Re c1 / w,
// with g_kl from exact multilinear forms and eigenvectors A q = i w q,
// A^T p = -i w p given analytically (normalised here: |q| = 1, <p,q> = 1).
double planar_l1(Eigen::Vector2cd q, Eigen::Vector2cd p, double w, const form2& bf, const form3& cf) {
    q.normalize();
    p /= std::conj(p.dot(q));
    const Eigen::Vector2cd qb = q.conjugate();
    const cd g20 = p.dot(bf(q, q)), g11 = p.dot(bf(q, qb)), g02 = p.dot(bf(qb, qb)),
             g21 = p.dot(cf(q, q, qb));
    const cd c1 = cd(0, 1) / (2 * w) * (g20 * g11 - 2 * std::norm(g11) - std::norm(g02) / 3.0) + g21 / 2.0;
    return c1.real() / w;
}

} // namespace

TEST(continuation, fold_normal_form) {
    ns::continuation_options opt;
    opt.lower[0] = -2;
    opt.upper[0] = 2;
    const ns::branch b = ns::continue_equilibria(fold_normal_form(), vec({-1}), vec({-1}), 0, opt);
    ASSERT_GT(b.points.size(), 10u);
    for (const auto& pt : b.points) {
        EXPECT_NEAR(pt.p(0) + pt.x(0) * pt.x(0), 0, 1e-10);
        EXPECT_EQ(pt.n_unstable, pt.x(0) > 1e-6 ? 1 : 0);
    }
    const auto folds = of_kind(b, ns::point_kind::fold);
    ASSERT_EQ(folds.size(), 1u);
    EXPECT_NEAR(folds[0].p(0), 0, 1e-8);
    EXPECT_NEAR(folds[0].x(0), 0, 1e-8);
    EXPECT_NEAR(folds[0].a, 1, 1e-6); // q = w = 1: a = (1/2) f_xx
    EXPECT_TRUE(of_kind(b, ns::point_kind::hopf).empty());
}

TEST(continuation, two_folds) {
    // x' = p + x - x^3/3: equilibria p = x^3/3 - x, dp/dx = 0 at x = +-1,
    // folds at (x, p) = (1, -2/3) and (-1, 2/3).
    ns::system s;
    s.n = 1;
    s.rhs = [](const VectorXd& x, const VectorXd& p, VectorXd& f) {
        f = vec({p(0) + x(0) - x(0) * x(0) * x(0) / 3});
    };
    s.jacobian = [](const VectorXd& x, const VectorXd&, MatrixXd& jx, MatrixXd& jp) {
        jx = MatrixXd::Constant(1, 1, 1 - x(0) * x(0));
        jp = MatrixXd::Ones(1, 1);
    };
    ns::continuation_options opt;
    opt.lower[0] = -2;
    opt.upper[0] = 2;
    const ns::branch b = ns::continue_equilibria(s, vec({0}), vec({0}), 0, opt);
    const auto folds = of_kind(b, ns::point_kind::fold);
    ASSERT_EQ(folds.size(), 2u);
    for (const auto& f : folds) {
        const double x = f.x(0) > 0 ? 1 : -1;
        EXPECT_NEAR(f.x(0), x, 1e-8);
        EXPECT_NEAR(f.p(0), -2.0 / 3 * x, 1e-8);
        EXPECT_NEAR(f.a, -x, 1e-6); // (1/2) f_xx = -x
    }
    // both directions, ordered along the branch (increasing p first: x falls)
    EXPECT_GT(b.points.front().x(0), 1.5);
    EXPECT_LT(b.points.back().x(0), -1.5);
}

// Kuznetsov's l1 uses |q| = 1, <p,q> = 1. Here q = (1, -i)/sqrt2, so the
// coordinate of x = xi q + conj(xi q) is xi = (x + iy)/sqrt2 = z/sqrt2 and
// xi' = i w xi + 2 s xi |xi|^2: c1 = 2s, l1 = Re c1 / w = 2 s / w.
class hopf_nf : public ::testing::TestWithParam<double> {};

TEST_P(hopf_nf, location_frequency_and_l1) {
    const double s = GetParam(), w = 1.5;
    ns::continuation_options opt;
    opt.lower[0] = -1;
    opt.upper[0] = 1;
    const ns::branch b = ns::continue_equilibria(hopf_normal_form(w, s), vec({0, 0}), vec({-0.5}), 0, opt);
    const auto h = of_kind(b, ns::point_kind::hopf);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_NEAR(h[0].p(0), 0, 1e-10);
    EXPECT_NEAR(h[0].omega, w, 1e-10);
    EXPECT_NEAR(h[0].l1, 2 * s / w, 1e-5 * std::abs(2 * s / w));
    EXPECT_EQ(h[0].note, s < 0 ? "supercritical" : "subcritical");
    EXPECT_EQ(b.points.front().n_unstable, 0);
    EXPECT_EQ(b.points.back().n_unstable, 2);
}

INSTANTIATE_TEST_SUITE_P(continuation, hopf_nf, ::testing::Values(-1.0, 1.0));

TEST(continuation, brusselator_hopf) {
    // Equilibrium (a, b/a), A = [[b-1, a^2], [-b, -a^2]]: trace 0 at
    // b = 1 + a^2, det = a^2, so omega = a.
    const double a = 2;
    ns::continuation_options opt;
    opt.lower[0] = 3;
    opt.upper[0] = 7;
    const ns::branch br = ns::continue_equilibria(brusselator(), vec({a, 3 / a}), vec({a, 3}), 1, opt);
    const auto h = of_kind(br, ns::point_kind::hopf);
    ASSERT_EQ(h.size(), 1u);
    const double b = 1 + a * a;
    EXPECT_NEAR(h[0].p(1), b, 1e-9);
    EXPECT_NEAR(h[0].x(0), a, 1e-9);
    EXPECT_NEAR(h[0].x(1), b / a, 1e-9);
    EXPECT_NEAR(h[0].omega, a, 1e-9);

    // Independent l1 (planar formula on the exact forms). With u = x - a,
    // v = y - b/a the nonlinear part is F1 = -F2 = (b/a) u^2 + 2a u v + u^2 v.
    auto bf = [&](const Eigen::Vector2cd& s, const Eigen::Vector2cd& t) {
        const cd v = 2 * (b / a) * s(0) * t(0) + 2 * a * (s(0) * t(1) + s(1) * t(0));
        return Eigen::Vector2cd(v, -v);
    };
    auto cf = [&](const Eigen::Vector2cd& s, const Eigen::Vector2cd& t, const Eigen::Vector2cd& r) {
        const cd v = 2.0 * (s(0) * t(0) * r(1) + s(0) * t(1) * r(0) + s(1) * t(0) * r(0));
        return Eigen::Vector2cd(v, -v);
    };
    // A q = i a q: q2 = (i/a - 1) q1; A^T p = -i a p: p1 = (1 - i/a) p2
    const double l1 = planar_l1({1, cd(-1, 1 / a)}, {cd(1, -1 / a), 1}, a, bf, cf);
    EXPECT_LT(l1, 0);
    EXPECT_NEAR(h[0].l1, l1, 1e-6 * std::abs(l1));
    EXPECT_EQ(h[0].note, "supercritical");
}

TEST(continuation, cusp) {
    // x' = p1 + p2 x - x^3: folds where p2 = 3 x^2, hence p1 = -2 x^3 and
    // 4 p2^3 = 27 p1^2; the fold coefficient a = -3x vanishes at the cusp (0, 0).
    ns::system s;
    s.n = 1;
    s.rhs = [](const VectorXd& x, const VectorXd& p, VectorXd& f) {
        f = vec({p(0) + p(1) * x(0) - x(0) * x(0) * x(0)});
    };
    s.jacobian = [](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
        jx = MatrixXd::Constant(1, 1, p(1) - 3 * x(0) * x(0));
        jp.resize(1, 2);
        jp << 1, x(0);
    };
    ns::continuation_options opt;
    opt.lower = {-2, -2};
    opt.upper = {2, 2};
    const ns::branch b = ns::continue_equilibria(s, vec({0}), vec({0, 1}), 0, opt);
    const auto folds = of_kind(b, ns::point_kind::fold);
    ASSERT_EQ(folds.size(), 2u);
    const ns::branch c = ns::continue_fold_curve(s, folds[0], {0, 1}, opt);
    ASSERT_GT(c.points.size(), 20u);
    double worst = 0;
    for (const auto& pt : c.points) {
        const double x = pt.x(0);
        worst = std::max({worst, std::abs(pt.p(1) - 3 * x * x), std::abs(pt.p(0) + 2 * x * x * x)});
        EXPECT_NEAR(4 * std::pow(pt.p(1), 3), 27 * pt.p(0) * pt.p(0), 1e-8 * (1 + std::pow(pt.p(1), 3)));
    }
    EXPECT_LT(worst, 1e-9);
    const auto cusps = of_kind(c, ns::point_kind::cusp);
    ASSERT_EQ(cusps.size(), 1u);
    EXPECT_NEAR(cusps[0].p(0), 0, 1e-8);
    EXPECT_NEAR(cusps[0].p(1), 0, 1e-8);
    EXPECT_NEAR(cusps[0].x(0), 0, 1e-8);
    EXPECT_TRUE(of_kind(c, ns::point_kind::bogdanov_takens).empty());
}

// x' = y, y' = p1 + p2 x + x^2 + s x y. Equilibria y = 0, x^2 + p2 x + p1 = 0;
// A = [[0, 1], [p2 + 2x, s x]], tr A = s x, det A = -(p2 + 2x).
//   folds: det = 0, x = -p2/2, so p1 = p2^2/4; eigenvalues 0 and s x = -s p2/2.
//   Hopf: tr = 0, x = 0, so p1 = 0, and det = -p2 > 0: p2 < 0, omega^2 = -p2.
// Both curves reach the Bogdanov-Takens point (0, 0) (double zero eigenvalue).
ns::system bt_normal_form(double s) {
    ns::system sys;
    sys.n = 2;
    sys.rhs = [s](const VectorXd& x, const VectorXd& p, VectorXd& f) {
        f = vec({x(1), p(0) + p(1) * x(0) + x(0) * x(0) + s * x(0) * x(1)});
    };
    sys.jacobian = [s](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
        jx.resize(2, 2);
        jx << 0, 1, p(1) + 2 * x(0) + s * x(1), s * x(0);
        jp.resize(2, 2);
        jp << 0, 0, 1, x(0);
    };
    return sys;
}

TEST(continuation, bogdanov_takens) {
    const ns::system sys = bt_normal_form(-1);
    ns::continuation_options opt;
    opt.lower = {-1, -2};
    opt.upper = {1, 1};
    // p2 = -1: equilibria x^2 - x + p1 = 0; start at p1 = -1 on the lower root
    const ns::branch b =
        ns::continue_equilibria(sys, vec({(1 - std::sqrt(5.0)) / 2, 0}), vec({-1, -1}), 0, opt);
    const auto folds = of_kind(b, ns::point_kind::fold);
    const auto hopfs = of_kind(b, ns::point_kind::hopf);
    ASSERT_EQ(folds.size(), 1u);
    ASSERT_EQ(hopfs.size(), 1u);
    EXPECT_NEAR(folds[0].p(0), 0.25, 1e-10);
    EXPECT_NEAR(hopfs[0].p(0), 0, 1e-10);
    EXPECT_NEAR(hopfs[0].omega, 1, 1e-10);

    const ns::branch fc = ns::continue_fold_curve(sys, folds[0], {0, 1}, opt);
    for (const auto& pt : fc.points) {
        EXPECT_NEAR(pt.p(0), pt.p(1) * pt.p(1) / 4, 1e-10);
        EXPECT_NEAR(pt.x(0), -pt.p(1) / 2, 1e-10);
    }
    auto bt = of_kind(fc, ns::point_kind::bogdanov_takens);
    ASSERT_EQ(bt.size(), 1u);
    EXPECT_NEAR(bt[0].p(0), 0, 1e-8);
    EXPECT_NEAR(bt[0].p(1), 0, 1e-8);
    EXPECT_TRUE(of_kind(fc, ns::point_kind::cusp).empty());

    const ns::branch hc = ns::continue_hopf_curve(sys, hopfs[0], {0, 1}, opt);
    ASSERT_GT(hc.points.size(), 5u);
    for (const auto& pt : hc.points) {
        EXPECT_NEAR(pt.p(0), 0, 1e-10);
        EXPECT_NEAR(pt.x.norm(), 0, 1e-10);
        EXPECT_LE(pt.p(1), 1e-8);
        EXPECT_NEAR(pt.omega * pt.omega, -pt.p(1), 1e-9);
    }
    // l1 along the curve: x = 0, A = [[0, 1], [-w^2, 0]], q = (1, i w),
    // p = (-i w, 1); B(s, t) = (0, 2 s1 t1 + s (s1 t2 + s2 t1)), C = 0.
    auto bf = [](const Eigen::Vector2cd& u, const Eigen::Vector2cd& v) {
        return Eigen::Vector2cd(0, 2.0 * u(0) * v(0) - (u(0) * v(1) + u(1) * v(0)));
    };
    auto cf = [](const Eigen::Vector2cd&, const Eigen::Vector2cd&, const Eigen::Vector2cd&) {
        return Eigen::Vector2cd(0, 0);
    };
    int checked = 0;
    for (const auto& pt : hc.points) {
        if (!(pt.omega > 0.1)) continue;
        const double w = pt.omega, l1 = planar_l1({1, cd(0, w)}, {cd(0, -w), 1}, w, bf, cf);
        EXPECT_NEAR(pt.l1, l1, 1e-6 * std::abs(l1));
        EXPECT_LT(pt.l1, 0); // s < 0: supercritical near BT
        ++checked;
    }
    EXPECT_GT(checked, 5);
    bt = of_kind(hc, ns::point_kind::bogdanov_takens);
    ASSERT_EQ(bt.size(), 1u);
    EXPECT_NEAR(bt[0].p(0), 0, 1e-8);
    EXPECT_NEAR(bt[0].p(1), 0, 1e-8);
}

TEST(continuation, bautin) {
    // z' = (b1 + i w) z + b2 z|z|^2 - z|z|^4: Hopf curve b1 = 0 with
    // l1 = 2 b2 / w (normalisation as in hopf_nf), Bautin point at b2 = 0.
    const double w = 2;
    ns::system s;
    s.n = 2;
    s.rhs = [w](const VectorXd& x, const VectorXd& p, VectorXd& f) {
        const double r2 = x.squaredNorm(), g = p(1) * r2 - r2 * r2;
        f = vec({(p(0) + g) * x(0) - w * x(1), w * x(0) + (p(0) + g) * x(1)});
    };
    s.jacobian = [w](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
        const double r2 = x.squaredNorm(), g = p(1) * r2 - r2 * r2, dg = p(1) - 2 * r2;
        jx.resize(2, 2);
        jx << p(0) + g + 2 * x(0) * x(0) * dg, -w + 2 * x(0) * x(1) * dg, w + 2 * x(0) * x(1) * dg,
            p(0) + g + 2 * x(1) * x(1) * dg;
        jp.resize(2, 2);
        jp << x(0), r2 * x(0), x(1), r2 * x(1);
    };
    ns::continuation_options opt;
    opt.lower = {-1, -1};
    opt.upper = {1, 1};
    const ns::branch b = ns::continue_equilibria(s, vec({0, 0}), vec({-0.5, -0.5}), 0, opt);
    const auto h = of_kind(b, ns::point_kind::hopf);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_NEAR(h[0].l1, 2 * -0.5 / w, 1e-6);
    const ns::branch hc = ns::continue_hopf_curve(s, h[0], {0, 1}, opt);
    ASSERT_GT(hc.points.size(), 10u);
    for (const auto& pt : hc.points) {
        EXPECT_NEAR(pt.p(0), 0, 1e-10);
        EXPECT_NEAR(pt.omega, w, 1e-10);
        EXPECT_NEAR(pt.l1, 2 * pt.p(1) / w, 1e-6);
    }
    EXPECT_LT(hc.points.front().p(1), -0.9);
    EXPECT_GT(hc.points.back().p(1), 0.9);
    const auto gh = of_kind(hc, ns::point_kind::bautin);
    ASSERT_EQ(gh.size(), 1u);
    EXPECT_NEAR(gh[0].p(1), 0, 1e-8);
    EXPECT_NEAR(gh[0].p(0), 0, 1e-10);
}

TEST(continuation, transcritical_branch_point) {
    // x' = p x - x^2: the branches x = 0 and x = p cross at (0, 0)
    ns::system s;
    s.n = 1;
    s.rhs = [](const VectorXd& x, const VectorXd& p, VectorXd& f) { f = vec({p(0) * x(0) - x(0) * x(0)}); };
    s.jacobian = [](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
        jx = MatrixXd::Constant(1, 1, p(0) - 2 * x(0));
        jp = MatrixXd::Constant(1, 1, x(0));
    };
    ns::continuation_options opt;
    opt.lower[0] = -1;
    opt.upper[0] = 1;
    const ns::branch b = ns::continue_equilibria(s, vec({0}), vec({-0.5}), 0, opt);
    const auto bp = of_kind(b, ns::point_kind::branch_point);
    ASSERT_EQ(bp.size(), 1u);
    EXPECT_NEAR(bp[0].p(0), 0, 1e-10);
    EXPECT_NEAR(bp[0].x(0), 0, 1e-10);
    EXPECT_TRUE(of_kind(b, ns::point_kind::fold).empty());
}

namespace {

// Wilson-Cowan pair with logistic S and no I-I coupling:
//   E' = -E + S(aee E - aei I + P),  tau I' = -I + S(aie E + Q).
// Equilibria, parametrised by E: I(E) = S(aie E + Q),
// P(E) = logit(E) - aee E + aei I(E). Folds: dP/dE = 0. With S' = S (1 - S),
//   A = [[-1 + aee s, -aei s], [aie r / tau, -1/tau]], s = E(1-E), r = I(1-I):
// tr A = 0 at aee s = 1 + 1/tau (two roots in E), a Hopf point where det A > 0,
// a neutral saddle where det A < 0.
struct wilson_cowan {
    double aee = 10, aei = 4, aie = 10, q = -2, tau = 2;
    static double sig(double u) { return 1 / (1 + std::exp(-u)); }
    double i_of(double e) const { return sig(aie * e + q); }
    double p_of(double e) const { return std::log(e / (1 - e)) - aee * e + aei * i_of(e); }
    double dp_of(double e) const {
        const double i = i_of(e);
        return 1 / (e * (1 - e)) - aee + aei * aie * i * (1 - i);
    }
    double d2p_of(double e) const {
        const double i = i_of(e), s = e * (1 - e);
        return -(1 - 2 * e) / (s * s) + aei * aie * aie * i * (1 - i) * (1 - 2 * i);
    }
    double det_of(double e) const {
        const double s = e * (1 - e), i = i_of(e), r = i * (1 - i);
        return (-1 + aee * s) * (-1 / tau) + aei * aie * s * r / tau;
    }
    ns::system sys() const {
        ns::system out;
        out.n = 2;
        const wilson_cowan m = *this;
        // p = (P, Q)
        out.rhs = [m](const VectorXd& x, const VectorXd& p, VectorXd& f) {
            f = vec({-x(0) + sig(m.aee * x(0) - m.aei * x(1) + p(0)),
                     (-x(1) + sig(m.aie * x(0) + p(1))) / m.tau});
        };
        out.jacobian = [m](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
            const double se = sig(m.aee * x(0) - m.aei * x(1) + p(0)), si = sig(m.aie * x(0) + p(1));
            const double de = se * (1 - se), di = si * (1 - si);
            jx.resize(2, 2);
            jx << -1 + m.aee * de, -m.aei * de, m.aie * di / m.tau, -1 / m.tau;
            jp.resize(2, 2);
            jp << de, 0, 0, di / m.tau;
        };
        return out;
    }
};

double bisect(const std::function<double(double)>& f, double a, double b) {
    double fa = f(a);
    for (int k = 0; k < 200 && b - a > 1e-15; ++k) {
        const double m = 0.5 * (a + b), fm = f(m);
        if ((fm > 0) == (fa > 0))
            a = m, fa = fm;
        else
            b = m;
    }
    return 0.5 * (a + b);
}

} // namespace

TEST(continuation, wilson_cowan_against_scan) {
    const wilson_cowan m;
    // independent: folds from a dense scan of dP/dE, refined by bisection
    std::vector<double> fold_e;
    const int grid = 100000;
    for (int k = 1; k < grid - 1; ++k) {
        const double e0 = double(k) / grid, e1 = double(k + 1) / grid;
        if (m.dp_of(e0) * m.dp_of(e1) < 0)
            fold_e.push_back(bisect([&](double e) { return m.dp_of(e); }, e0, e1));
    }
    ASSERT_EQ(fold_e.size(), 2u);
    const double disc = std::sqrt(1 - 4 * (1 + 1 / m.tau) / m.aee);
    const double e_h = (1 - disc) / 2, e_ns = (1 + disc) / 2;
    ASSERT_GT(m.det_of(e_h), 0);  // Hopf
    ASSERT_LT(m.det_of(e_ns), 0); // neutral saddle: must not be reported

    const double e0 = bisect([&](double e) { return m.p_of(e) + 3; }, 1e-6, fold_e[0]);
    ns::continuation_options opt;
    opt.lower[0] = -4;
    opt.upper[0] = 1;
    const ns::branch b = ns::continue_equilibria(m.sys(), vec({e0, m.i_of(e0)}), vec({-3, m.q}), 0, opt);
    double worst = 0;
    for (const auto& pt : b.points)
        worst = std::max({worst, std::abs(pt.p(0) - m.p_of(pt.x(0))), std::abs(pt.x(1) - m.i_of(pt.x(0)))});
    EXPECT_LT(worst, 1e-9);
    EXPECT_LT(b.points.front().p(0), -3.9);
    EXPECT_GT(b.points.back().p(0), 0.9);
    const auto folds = of_kind(b, ns::point_kind::fold);
    ASSERT_EQ(folds.size(), 2u);
    for (int k = 0; k < 2; ++k) {
        EXPECT_NEAR(folds[k].x(0), fold_e[k], 1e-8);
        EXPECT_NEAR(folds[k].p(0), m.p_of(fold_e[k]), 1e-8);
    }
    const auto h = of_kind(b, ns::point_kind::hopf);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_NEAR(h[0].x(0), e_h, 1e-8);
    EXPECT_NEAR(h[0].p(0), m.p_of(e_h), 1e-8);
    EXPECT_NEAR(h[0].omega, std::sqrt(m.det_of(e_h)), 1e-8);

    // l1 by the planar formula with the exact forms of the sigmoids (the
    // library differences the Jacobian: this checks its steps on a
    // non-polynomial f). With a = (aee, -aei), the forms of f1 are
    // S''(u_E) (a.u)(a.v) and S'''(u_E) (a.u)(a.v)(a.w); those of f2 are
    // S''(u_I) aie^2 u1 v1 / tau and S'''(u_I) aie^3 u1 v1 w1 / tau.
    const double ue = m.aee * h[0].x(0) - m.aei * h[0].x(1) + h[0].p(0), ui = m.aie * h[0].x(0) + m.q;
    auto derivs = [](double u) {
        const double sg = wilson_cowan::sig(u), d1 = sg * (1 - sg);
        return std::array<double, 3>{d1, d1 * (1 - 2 * sg), d1 * (1 - 6 * sg + 6 * sg * sg)};
    };
    const auto de = derivs(ue), di = derivs(ui);
    auto ae = [&](const Eigen::Vector2cd& u) { return m.aee * u(0) - m.aei * u(1); };
    auto bf = [&](const Eigen::Vector2cd& u, const Eigen::Vector2cd& v) {
        return Eigen::Vector2cd(de[1] * ae(u) * ae(v), di[1] * m.aie * m.aie * u(0) * v(0) / m.tau);
    };
    auto cf = [&](const Eigen::Vector2cd& u, const Eigen::Vector2cd& v, const Eigen::Vector2cd& w) {
        return Eigen::Vector2cd(de[2] * ae(u) * ae(v) * ae(w),
                                di[2] * std::pow(m.aie, 3) * u(0) * v(0) * w(0) / m.tau);
    };
    // 2 x 2 eigenvectors from the first rows: q = (A12, i w - A11),
    // p = (A21, -i w - A11) for A^T p = -i w p
    const double a11 = -1 + m.aee * de[0], a12 = -m.aei * de[0], a21 = m.aie * di[0] / m.tau, w = h[0].omega;
    const double l1 = planar_l1({a12, cd(-a11, w)}, {a21, cd(-a11, -w)}, w, bf, cf);
    EXPECT_NEAR(h[0].l1, l1, 1e-6 * std::abs(l1));
}

TEST(continuation, wilson_cowan_fold_curve) {
    // Folds in (P, Q): dP/dE = 0 at the point's Q; a cusp also has d2P/dE2 = 0.
    wilson_cowan m;
    ns::continuation_options opt;
    opt.lower = {-6, -6};
    opt.upper = {4, 2};
    const double e0 = bisect([&](double e) { return m.p_of(e) + 3; }, 1e-6, 0.3);
    const ns::branch b = ns::continue_equilibria(m.sys(), vec({e0, m.i_of(e0)}), vec({-3, m.q}), 0, opt);
    const auto folds = of_kind(b, ns::point_kind::fold);
    ASSERT_EQ(folds.size(), 2u);
    const ns::branch c = ns::continue_fold_curve(m.sys(), folds[0], {0, 1}, opt);
    ASSERT_GT(c.points.size(), 20u);
    double worst = 0;
    for (const auto& pt : c.points) {
        m.q = pt.p(1);
        const double e = pt.x(0);
        worst = std::max(
            {worst, std::abs(m.dp_of(e)), std::abs(pt.p(0) - m.p_of(e)), std::abs(pt.x(1) - m.i_of(e))});
    }
    EXPECT_LT(worst, 1e-8);
    // the curve through both folds of the P-branch meets itself in a cusp
    const auto cusps = of_kind(c, ns::point_kind::cusp);
    ASSERT_GE(cusps.size(), 1u);
    for (const auto& cp : cusps) {
        m.q = cp.p(1);
        EXPECT_NEAR(m.dp_of(cp.x(0)), 0, 1e-8);
        EXPECT_NEAR(m.d2p_of(cp.x(0)), 0, 1e-6);
    }
    // Bogdanov-Takens points: det A = 0 and tr A = 0, i.e. aee E(1-E) = 1 + 1/tau
    // whatever Q: E is one of the two roots that the scan test names e_h, e_ns
    const double disc = std::sqrt(1 - 4 * (1 + 1 / m.tau) / m.aee);
    const auto bts = of_kind(c, ns::point_kind::bogdanov_takens);
    ASSERT_GE(bts.size(), 1u);
    for (const auto& bt : bts) {
        const double e = bt.x(0) < 0.5 ? (1 - disc) / 2 : (1 + disc) / 2;
        EXPECT_NEAR(bt.x(0), e, 1e-8);
        m.q = bt.p(1);
        EXPECT_NEAR(m.dp_of(bt.x(0)), 0, 1e-8);
    }
}

TEST(continuation, lorenz) {
    // Lorenz x' = s(y - x), y' = r x - y - x z, z' = x y - b z, p = (r, s, b).
    // C+ = (c, c, r - 1), c = sqrt(b (r - 1)); characteristic polynomial
    // l^3 + (s+b+1) l^2 + b(s+r) l + 2bs(r-1): l = i w gives w^2 = b(s+r) and
    // r_H = s(s+b+3)/(s-b-1); subcritical at s = 10, b = 8/3. The origin has a
    // pitchfork (branch point) at r = 1.
    ns::system sys;
    sys.n = 3;
    sys.rhs = [](const VectorXd& x, const VectorXd& p, VectorXd& f) {
        f = vec({p(1) * (x(1) - x(0)), p(0) * x(0) - x(1) - x(0) * x(2), x(0) * x(1) - p(2) * x(2)});
    };
    sys.jacobian = [](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
        jx.resize(3, 3);
        jx << -p(1), p(1), 0, p(0) - x(2), -1, -x(0), x(1), x(0), -p(2);
        jp.resize(3, 3);
        jp << 0, x(1) - x(0), 0, x(0), 0, 0, 0, 0, -x(2);
    };
    const double s = 10, bb = 8.0 / 3;
    auto r_hopf = [&](double sg) { return sg * (sg + bb + 3) / (sg - bb - 1); };
    ns::continuation_options opt;
    opt.lower = {2, 5};
    opt.upper = {30, 20};
    const double c = std::sqrt(bb * 9);
    const ns::branch b = ns::continue_equilibria(sys, vec({c, c, 9}), vec({10, s, bb}), 0, opt);
    const auto h = of_kind(b, ns::point_kind::hopf);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_NEAR(h[0].p(0), r_hopf(s), 1e-9 * r_hopf(s));
    EXPECT_NEAR(h[0].omega, std::sqrt(bb * (s + r_hopf(s))), 1e-9);
    EXPECT_GT(h[0].l1, 0);
    EXPECT_EQ(h[0].note, "subcritical");
    // l1 again by Kuznetsov's projection formula with the exact quadratic form
    // B(u, v) = (0, -(u1 v3 + u3 v1), u1 v2 + u2 v1) (C = 0): checks the
    // differences of the Jacobian and the eigenvectors of the library
    {
        MatrixXd a, jp;
        sys.jacobian(h[0].x, h[0].p, a, jp);
        const double w = h[0].omega;
        auto bf = [](const Eigen::Vector3cd& u, const Eigen::Vector3cd& v) {
            return Eigen::Vector3cd(0, -(u(0) * v(2) + u(2) * v(0)), u(0) * v(1) + u(1) * v(0));
        };
        auto near = [](const MatrixXd& m, cd z) {
            Eigen::ComplexEigenSolver<Eigen::MatrixXcd> es(m.cast<cd>());
            Eigen::Index k = 0;
            (es.eigenvalues().array() - z).abs().minCoeff(&k);
            return Eigen::Vector3cd(es.eigenvectors().col(k));
        };
        Eigen::Vector3cd q = near(a, cd(0, w)).normalized(), p = near(a.transpose(), cd(0, -w));
        p /= std::conj(p.dot(q));
        const Eigen::Matrix3cd ac = a.cast<cd>();
        const Eigen::Vector3cd h11 = ac.partialPivLu().solve(bf(q, q.conjugate()));
        const Eigen::Vector3cd h20 =
            (cd(0, 2 * w) * Eigen::Matrix3cd::Identity() - ac).partialPivLu().solve(bf(q, q));
        const double l1 = (-2.0 * p.dot(bf(q, h11)) + p.dot(bf(q.conjugate(), h20))).real() / (2 * w);
        EXPECT_NEAR(h[0].l1, l1, 1e-6 * std::abs(l1));
    }

    opt.upper[0] = 200;
    const ns::branch hc = ns::continue_hopf_curve(sys, h[0], {0, 1}, opt);
    ASSERT_GT(hc.points.size(), 10u);
    for (const auto& pt : hc.points) {
        EXPECT_NEAR(pt.p(0), r_hopf(pt.p(1)), 1e-8 * pt.p(0));
        EXPECT_NEAR(pt.omega * pt.omega, bb * (pt.p(1) + pt.p(0)), 1e-8 * pt.p(0));
    }

    ns::continuation_options o2;
    o2.lower[0] = 0;
    o2.upper[0] = 2;
    const ns::branch origin = ns::continue_equilibria(sys, vec({0, 0, 0}), vec({0.5, s, bb}), 0, o2);
    const auto bp = of_kind(origin, ns::point_kind::branch_point);
    ASSERT_EQ(bp.size(), 1u);
    EXPECT_NEAR(bp[0].p(0), 1, 1e-10);
}

TEST(continuation, closed_curve) {
    // x' = x^2 + p^2 - 1: the equilibria form the circle x^2 + p^2 = 1,
    // with folds at (x, p) = (0, +-1)
    ns::system s;
    s.n = 1;
    s.rhs = [](const VectorXd& x, const VectorXd& p, VectorXd& f) {
        f = vec({x(0) * x(0) + p(0) * p(0) - 1});
    };
    s.jacobian = [](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
        jx = MatrixXd::Constant(1, 1, 2 * x(0));
        jp = MatrixXd::Constant(1, 1, 2 * p(0));
    };
    ns::continuation_options opt;
    opt.max_points = 2000;
    const ns::branch b = ns::continue_equilibria(s, vec({std::sqrt(0.75)}), vec({0.5}), 0, opt);
    EXPECT_TRUE(b.closed);
    EXPECT_LT(b.points.size(), 500u);
    const auto folds = of_kind(b, ns::point_kind::fold);
    ASSERT_EQ(folds.size(), 2u);
    for (const auto& f : folds) {
        EXPECT_NEAR(f.x(0), 0, 1e-8);
        EXPECT_NEAR(std::abs(f.p(0)), 1, 1e-10);
    }
}

TEST(continuation, bad_start) {
    // x' = 1 + x^2 has no equilibrium: Newton cannot converge
    try {
        ns::continue_equilibria(fold_normal_form(), vec({0.3}), vec({1}), 0);
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("residual"), std::string::npos) << e.what();
    }
    // at the fold itself df/dx = 0
    try {
        ns::continue_equilibria(fold_normal_form(), vec({0}), vec({0}), 0);
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("singular"), std::string::npos) << e.what();
    }
    EXPECT_THROW(ns::continue_equilibria(fold_normal_form(), vec({-1}), vec({-1}), 3), std::invalid_argument);
    ns::continuation_options opt;
    opt.upper[0] = -2; // the start p = -1 lies outside
    EXPECT_THROW(ns::continue_equilibria(fold_normal_form(), vec({-1}), vec({-1}), 0, opt),
                 std::invalid_argument);
    // a Hopf curve cannot start from a fold, nor with the same parameter twice
    const ns::system bt = bt_normal_form(-1);
    const ns::branch b = ns::continue_equilibria(bt, vec({(1 - std::sqrt(5.0)) / 2, 0}), vec({-1, -1}), 0);
    ASSERT_FALSE(of_kind(b, ns::point_kind::fold).empty());
    const ns::special_point fold = of_kind(b, ns::point_kind::fold)[0];
    EXPECT_THROW(ns::continue_hopf_curve(bt, fold, {0, 1}), std::invalid_argument);
    EXPECT_THROW(ns::continue_fold_curve(bt, fold, {0, 0}), std::invalid_argument);
}

TEST(continuation, wilson_cowan_driving_28_slaves) {
    // n = 30: the Wilson-Cowan pair drives z_k' = -(k+1) z_k + E^2 + z_k E
    // (k = 0..27) without feedback. A is block triangular, the adjoint vector
    // of the pair has no z part and f_pair does not depend on z, so folds,
    // Hopf point and omega are those of the pair alone, and so is l1 up to
    // the normalisation of q.
    const wilson_cowan m;
    const ns::system pair = m.sys();
    constexpr int nz = 28;
    ns::system big;
    big.n = 2 + nz;
    big.rhs = [pair](const VectorXd& x, const VectorXd& p, VectorXd& f) {
        VectorXd fp;
        pair.rhs(x.head(2), p, fp);
        f.resize(2 + nz);
        f.head(2) = fp;
        for (int k = 0; k < nz; ++k) f(2 + k) = -(k + 1) * x(2 + k) + x(0) * x(0) + x(2 + k) * x(0);
    };
    big.jacobian = [pair](const VectorXd& x, const VectorXd& p, MatrixXd& jx, MatrixXd& jp) {
        MatrixXd ax, ap;
        pair.jacobian(x.head(2), p, ax, ap);
        jx = MatrixXd::Zero(2 + nz, 2 + nz);
        jp = MatrixXd::Zero(2 + nz, p.size());
        jx.topLeftCorner(2, 2) = ax;
        jp.topRows(2) = ap;
        for (int k = 0; k < nz; ++k) {
            jx(2 + k, 2 + k) = -(k + 1) + x(0);
            jx(2 + k, 0) = 2 * x(0) + x(2 + k);
        }
    };
    const double e0 = bisect([&](double e) { return m.p_of(e) + 3; }, 1e-6, 0.3);
    VectorXd x0 = VectorXd::Zero(2 + nz);
    x0.head(2) << e0, m.i_of(e0);
    for (int k = 0; k < nz; ++k) x0(2 + k) = e0 * e0 / (k + 1 - e0);
    ns::continuation_options opt;
    opt.lower = {-4, -6};
    opt.upper = {1, 2};
    const ns::branch small = ns::continue_equilibria(pair, x0.head(2), vec({-3, m.q}), 0, opt);
    const ns::branch b = ns::continue_equilibria(big, x0, vec({-3, m.q}), 0, opt);
    const auto fs = of_kind(small, ns::point_kind::fold), fb = of_kind(b, ns::point_kind::fold);
    const auto hs = of_kind(small, ns::point_kind::hopf), hb = of_kind(b, ns::point_kind::hopf);
    ASSERT_EQ(fs.size(), 2u);
    ASSERT_EQ(fb.size(), 2u);
    ASSERT_EQ(hs.size(), 1u);
    ASSERT_EQ(hb.size(), 1u);
    for (int k = 0; k < 2; ++k) EXPECT_NEAR(fb[k].p(0), fs[k].p(0), 1e-9);
    EXPECT_NEAR(hb[0].p(0), hs[0].p(0), 1e-9);
    EXPECT_NEAR(hb[0].omega, hs[0].omega, 1e-9);
    // l1 scales with |q|^2 and |q| = 1 over all 30 components: with q_pair
    // the pair's part of the big system's unit eigenvector, l1 = l1_pair |q_pair|^2
    MatrixXd a, ap;
    big.jacobian(hb[0].x, hb[0].p, a, ap);
    Eigen::ComplexEigenSolver<Eigen::MatrixXcd> es(a.cast<cd>());
    Eigen::Index k = 0;
    (es.eigenvalues().array() - cd(0, hb[0].omega)).abs().minCoeff(&k);
    const double share =
        es.eigenvectors().col(k).head(2).squaredNorm() / es.eigenvectors().col(k).squaredNorm();
    EXPECT_LT(share, 0.99); // the z part matters
    EXPECT_NEAR(hb[0].l1, hs[0].l1 * share, 1e-6 * std::abs(hs[0].l1));
    // the fold curve in (P, Q) of the big system lies on the pair's
    wilson_cowan mq = m;
    const ns::branch c = ns::continue_fold_curve(big, fb[0], {0, 1}, opt);
    ASSERT_GT(c.points.size(), 20u);
    for (const auto& pt : c.points) {
        mq.q = pt.p(1);
        EXPECT_NEAR(mq.dp_of(pt.x(0)), 0, 1e-8);
        EXPECT_NEAR(pt.p(0), mq.p_of(pt.x(0)), 1e-9);
    }
    // and the Hopf curve: trace zero, E on the root e_h (independent of Q)
    const ns::branch hc = ns::continue_hopf_curve(big, hb[0], {0, 1}, opt);
    ASSERT_GT(hc.points.size(), 10u);
    const double eh = (1 - std::sqrt(1 - 4 * (1 + 1 / m.tau) / m.aee)) / 2;
    for (const auto& pt : hc.points) {
        mq.q = pt.p(1);
        EXPECT_NEAR(pt.x(0), eh, 1e-9);
        EXPECT_NEAR(pt.p(0), mq.p_of(pt.x(0)), 1e-9);
    }
}
