// Jacobians by forward-mode AD (stability/jacobian.hpp) against central
// finite differences of the double-precision physics, for every model and
// every coupling that fits it, at several states drawn in TVB's ranges.

#include "nmsweep/models/registry.hpp"
#include "nmsweep/stability/jacobian.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace nms::stability {
namespace {

// Central difference with Richardson extrapolation (h and h/2): error
// O(h^4), so a tolerance of 1e-7 relative tests the AD, not the stencil.
template <class F> double fd(F&& f, double x, double h) {
    auto c = [&](double s) { return (f(x + s) - f(x - s)) / (2 * s); };
    return (4 * c(h / 2) - c(h)) / 3;
}

// A step small against the variable and against the scales the physics
// varies on (sigmoids over ~1 mV, phases over ~1 rad).
double step(double x) { return 1e-3 * std::min(std::abs(x) + 1e-2, 1.0); }

void expect_close(double ad, double num, double scale, const std::string& what) {
    EXPECT_NEAR(ad, num, 1e-7 * (std::abs(num) + scale)) << what;
}

// A state in the model's range (see below), away from the Epileptor's switches (x1 = 0,
// x2 = -0.25, z = 0) so that the difference stencil does not straddle one.
template <class M> std::vector<double> draw_state(std::mt19937& g) {
    std::vector<double> x(M::n_state);
    for (int v = 0; v < M::n_state; ++v) {
        const auto& s = M::states[v];
        // The attractors' box where the model has one (the sigmoids are
        // not saturated there), else TVB's range.
        const bool box = s.start_hi > s.start_lo;
        std::uniform_real_distribution<double> u(box ? s.start_lo : s.lo, box ? s.start_hi : s.hi);
        x[v] = u(g);
        if (std::abs(x[v]) < 0.05 * (s.hi - s.lo) && s.lo < 0) x[v] += 0.1 * (s.hi - s.lo);
    }
    if constexpr (M::n_state == 6 && std::string_view(M::name) == "epileptor")
        if (std::abs(x[3] + 0.25) < 0.05) x[3] += 0.2;
    return x;
}

template <class M> std::vector<double> defaults() {
    std::vector<double> p(M::n_params);
    for (int k = 0; k < M::n_params; ++k) p[k] = M::params[k].value;
    return p;
}

template <class M> void check_model() {
    constexpr int n = M::n_state, m = M::n_cvar;
    std::mt19937 g(7);
    const auto p = defaults<M>();
    for (int trial = 0; trial < 5; ++trial) {
        const auto x = draw_state<M>(g);
        std::vector<double> c(m);
        for (auto& v : c) v = std::uniform_real_distribution<double>(-0.5, 0.5)(g);
        std::vector<double> jx(n * n), jc(n * m), f0(n), fad(n), dummy(n);
        dfun_jacobian<M>(p.data(), x.data(), c.data(), jx.data(), jc.data());
        // The values the dual carries are the double model's, bit for bit.
        M::dfun(p.data(), x.data(), c.data(), f0.data());
        dfun_directional<M>(p.data(), x.data(), c.data(), nullptr, nullptr, nullptr, fad.data(),
                            dummy.data());
        for (int i = 0; i < n; ++i) EXPECT_EQ(f0[i], fad[i]) << M::name << " f[" << i << "]";
        for (int i = 0; i < n; ++i) {
            const double scale = std::abs(f0[i]) + 1;
            for (int k = 0; k < n; ++k) {
                auto fk = [&](double xk) {
                    auto y = x;
                    y[k] = xk;
                    std::vector<double> f(n);
                    M::dfun(p.data(), y.data(), c.data(), f.data());
                    return f[i];
                };
                const double h = step(x[k]);
                expect_close(jx[i * n + k], fd(fk, x[k], h), scale / step(x[k]) * 1e-3,
                             std::string(M::name) + " df" + std::to_string(i) + "/dx" + std::to_string(k));
            }
            for (int k = 0; k < m; ++k) {
                auto fk = [&](double ck) {
                    auto cc = c;
                    cc[k] = ck;
                    std::vector<double> f(n);
                    M::dfun(p.data(), x.data(), cc.data(), f.data());
                    return f[i];
                };
                expect_close(jc[i * m + k], fd(fk, c[k], 1e-3), scale,
                             std::string(M::name) + " df" + std::to_string(i) + "/dc" + std::to_string(k));
            }
            // The derivative in each parameter (continuation needs it).
            for (int q = 0; q < M::n_params; ++q) {
                std::vector<double> dp(M::n_params, 0.0), df(n);
                dp[q] = 1;
                dfun_directional<M>(p.data(), x.data(), c.data(), dp.data(), nullptr, nullptr, nullptr,
                                    df.data());
                auto fq = [&](double pq) {
                    auto pp = p;
                    pp[q] = pq;
                    std::vector<double> f(n);
                    M::dfun(pp.data(), x.data(), c.data(), f.data());
                    return f[i];
                };
                const double h = step(p[q]);
                expect_close(df[i], fd(fq, p[q], h), scale / step(p[q]) * 1e-3,
                             std::string(M::name) + " df" + std::to_string(i) + "/d" + M::params[q].name);
            }
        }
    }
}

template <class M, class C> void check_coupling() {
    constexpr int ncv = M::n_cvar, nch = C::n_channels;
    std::mt19937 g(11);
    std::vector<double> pc(C::n_params);
    for (int k = 0; k < C::n_params; ++k) pc[k] = C::params[k].value == 0 ? 0.3 : C::params[k].value;
    for (int trial = 0; trial < 5; ++trial) {
        const auto x = draw_state<M>(g);
        std::vector<double> xj(ncv), xi(ncv), s(nch);
        for (int k = 0; k < ncv; ++k) xj[k] = x[M::cvar[k]];
        for (auto& v : xi) v = std::uniform_real_distribution<double>(-2, 2)(g);
        for (auto& v : s) v = std::uniform_real_distribution<double>(-2, 2)(g);
        const double rowsum = 1.7;
        const std::string what = std::string(M::name) + "/" + C::name;
        std::vector<double> jpre(nch * ncv), js(ncv * nch), jxi(ncv * ncv);
        pre_jacobian<C, ncv>(pc.data(), xj.data(), jpre.data());
        post_jacobian<C, ncv>(pc.data(), s.data(), xi.data(), rowsum, 4, js.data(), jxi.data());
        for (int i = 0; i < nch; ++i)
            for (int k = 0; k < ncv; ++k) {
                auto f = [&](double v) {
                    auto y = xj;
                    y[k] = v;
                    double ch[nch];
                    C::pre(pc.data(), y.data(), ch);
                    return ch[i];
                };
                expect_close(jpre[i * ncv + k], fd(f, xj[k], step(xj[k])), 1, what + " dpre/dx");
            }
        for (int i = 0; i < ncv; ++i) {
            for (int k = 0; k < nch; ++k) {
                auto f = [&](double v) {
                    auto y = s;
                    y[k] = v;
                    double c[ncv];
                    C::post(pc.data(), y.data(), xi.data(), rowsum, 4, c);
                    return c[i];
                };
                expect_close(js[i * nch + k], fd(f, s[k], 1e-3), 1, what + " dpost/ds");
            }
            for (int k = 0; k < ncv; ++k) {
                auto f = [&](double v) {
                    auto y = xi;
                    y[k] = v;
                    double c[ncv];
                    C::post(pc.data(), s.data(), y.data(), rowsum, 4, c);
                    return c[i];
                };
                expect_close(jxi[i * ncv + k], fd(f, xi[k], 1e-3), 1, what + " dpost/dxi");
            }
        }
    }
}

template <class M> void check_couplings_of() {
    impl::visit_all([](auto ct) { check_coupling<M, typename decltype(ct)::type>(); },
                    coupling_list<M::n_cvar>{});
}

TEST(jacobian, every_model_matches_finite_differences) {
    int n = 0;
    for_each_model([&](auto t) {
        check_model<typename decltype(t)::type>();
        ++n;
    });
    EXPECT_EQ(n, 11);
}

TEST(jacobian, every_coupling_matches_finite_differences) {
    for_each_model([](auto t) { check_couplings_of<typename decltype(t)::type>(); });
}

// A branch is differentiated as taken: the Epileptor's f1 switches at x1 = 0.
TEST(jacobian, branches_differentiate_the_side_taken) {
    using M = models::epileptor;
    const auto p = defaults<M>();
    double x[6] = {-1.0, 0, 3, -0.5, 0, 0}, c[2] = {0, 0}, jx[36], jc[12];
    dfun_jacobian<M>(p.data(), x, c, jx, jc);
    // x1 < 0: f1 x1 = -a x1^3 + b x1^2, d/dx1 = -3 a x1^2 + 2 b x1; tt = 1.
    const double a = M::params[M::a].value, b = M::params[M::b].value, tt = M::params[M::tt].value;
    EXPECT_NEAR(jx[0], tt * (-3 * a * x[0] * x[0] + 2 * b * x[0]), 1e-14);
}

} // namespace
} // namespace nms::stability
