// Model dynamics against analytic or published results (not against values
// this code printed): Stuart-Landau limit cycle, Kuramoto locking and the
// large-N order parameter, the Jansen-Rit alpha rhythm and the Epileptor-2D
// seizure threshold.
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/models/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <mutex>
#include <string>
#include <vector>

using namespace nms;

namespace {

connectome uncoupled(std::size_t n) {
    connectome c;
    c.n = n;
    c.weights.assign(n * n, 0.0);
    c.tract_lengths.assign(n * n, 0.0);
    c.source = "test:uncoupled";
    return c;
}

// Records every observed state of every instance: rec.x[k][(v * n_nodes + node) * N + inst]
// for the k-th observation (steps every, 2 every, ...).
template <class T> struct recorder : observer<T> {
    std::size_t n_nodes, n_state, n_inst;
    std::vector<std::vector<double>> x;
    std::mutex mu;
    recorder(const batch& b, std::size_t n_state_, long every_)
        : n_nodes(b.net.n), n_state(n_state_), n_inst(b.n_instances),
          x(std::size_t(b.n_steps / every_), std::vector<double>(n_state_ * b.net.n * b.n_instances)) {
        this->every = every_;
    }
    void observe(const block_state<T>& s) override {
        auto& row = x[std::size_t(s.step / this->every - 1)];
        for (int l = 0; l < s.n_valid; ++l)
            for (std::size_t v = 0; v < n_state; ++v)
                for (std::size_t n = 0; n < n_nodes; ++n)
                    row[(v * n_nodes + n) * n_inst + s.inst0 + std::size_t(l)] =
                        double(s.at(int(v), int(n), l));
    }
    double at(std::size_t k, std::size_t v, std::size_t node, std::size_t inst) const {
        return x[k][(v * n_nodes + node) * n_inst + inst];
    }
};

template <class M> void apply_preset(batch& b, const std::string& name) {
    for (const auto& p : M::presets)
        if (name == p.name) {
            for (const auto& v : p.values) b.params["model." + std::string(v.name)] = field::scalar(v.value);
            return;
        }
    FAIL() << "no preset " << name;
}

// ---------------------------------------------------------------------------
// Stuart-Landau (SupHopf): in polar form r' = r (a - r^2), phi' = omega, so
// for a > 0 every orbit but the origin tends to the circle r = sqrt(a),
// travelled at angular frequency omega; for a < 0 it decays to 0 at rate a.
// RK4 (dt = 0.005) keeps the scheme's own error (O(dt^4)) far below the
// tolerances; Heun's invariant circle is off by O(dt^2) (6e-6 at a = 1).
TEST(stuart_landau, limit_cycle_radius_and_frequency) {
    const std::vector<double> a = {0.04, 0.25, 1.0, -0.5};
    const std::vector<double> om = {0.1, 0.5, 1.0, 1.0};
    batch b;
    b.model = "stuart_landau";
    b.coupling = "difference";
    b.net = uncoupled(1);
    b.n_instances = a.size();
    b.params["model.a"] = field::per_instance(a);
    b.params["model.omega"] = field::per_instance(om);
    b.initial["x"] = field::scalar(0.3);
    b.initial["y"] = field::scalar(0.1);
    b.method = scheme::rk4;
    b.dt = 0.005;
    b.n_steps = 120000; // 600 ms
    recorder<double> rec(b, 2, 10);
    run_cpu<double>(b, {}, &rec);
    const std::size_t k0 = rec.x.size() / 2; // after 300 ms (the slowest relaxation, rate 2a = 0.08: e^-24)
    for (std::size_t i = 0; i < a.size(); ++i) {
        double rmin = 1e9, rmax = 0, turns = 0;
        for (std::size_t k = k0; k < rec.x.size(); ++k) {
            const double x = rec.at(k, 0, 0, i), y = rec.at(k, 1, 0, i);
            const double r = std::hypot(x, y);
            rmin = std::min(rmin, r);
            rmax = std::max(rmax, r);
            if (k > k0) { // unwrapped phase advance
                const double x0 = rec.at(k - 1, 0, 0, i), y0 = rec.at(k - 1, 1, 0, i);
                turns += std::atan2(x0 * y - y0 * x, x0 * x + y0 * y);
            }
        }
        if (a[i] < 0) {
            EXPECT_LT(rmax, 1e-12) << "a < 0 must decay to the origin";
            continue;
        }
        EXPECT_NEAR(rmin, std::sqrt(a[i]), 1e-6 * std::sqrt(a[i])) << "a=" << a[i];
        EXPECT_NEAR(rmax, std::sqrt(a[i]), 1e-6 * std::sqrt(a[i])) << "a=" << a[i];
        const double T = double(rec.x.size() - 1 - k0) * 10 * b.dt;
        EXPECT_NEAR(turns / T, om[i], 1e-5 * om[i]) << "a=" << a[i];
    }
}

// ---------------------------------------------------------------------------
// Kuramoto, two oscillators. TVB's Kuramoto coupling is
//   c_i = a * sum_j w_ij sin(theta_j - theta_i)      (not divided by N),
// so with w_12 = w_21 = 1 and a = K the phase difference phi = theta_1 - theta_2 obeys
//   phi' = (omega_1 - omega_2) + K sin(-phi) - K sin(phi) = dw - 2 K sin(phi)
// (Adler's equation). It locks iff |dw| <= 2K, at sin(phi*) = dw / (2K);
// otherwise phi slips with period 2 pi / sqrt(dw^2 - 4 K^2). With the
// coupling held over a step (TVB's Heun) the scheme is Euler for this
// model: its fixed points are exact and its period is O(dt) accurate.
TEST(kuramoto, two_oscillators_lock_iff_detuning_below_2K) {
    const double K = 0.5;
    const std::vector<double> dw = {0.5, 0.9, 0.98, 1.02, 1.1, 1.5};
    const std::size_t n = dw.size();
    batch b;
    b.model = "kuramoto";
    b.coupling = "kuramoto";
    b.net.n = 2;
    b.net.weights = {0, 1, 1, 0};
    b.net.tract_lengths = {0, 0, 0, 0};
    b.net.source = "test:2";
    b.speed = INFINITY;
    b.n_instances = n;
    std::vector<double> omega(2 * n); // [node][instance]
    for (std::size_t i = 0; i < n; ++i) {
        omega[i] = 1.0 + dw[i];
        omega[n + i] = 1.0;
    }
    b.params["model.omega"] = field::per_node_instance(omega);
    b.params["coupling.a"] = field::scalar(K);
    b.initial["theta"] = field::scalar(0.0);
    b.dt = 0.001;
    b.n_steps = 600000; // 600 ms
    recorder<double> rec(b, 1, 10);
    run_cpu<double>(b, {}, &rec);
    const double h = 10 * b.dt;
    for (std::size_t i = 0; i < n; ++i) {
        auto phi = [&](std::size_t k) { return rec.at(k, 0, 0, i) - rec.at(k, 0, 1, i); };
        if (std::abs(dw[i]) <= 2 * K) {
            EXPECT_NEAR(phi(rec.x.size() - 1), std::asin(dw[i] / (2 * K)), 1e-6) << "dw=" << dw[i];
        } else {
            // Times at which phi passes pi + 2 pi m (linear interpolation).
            std::vector<double> t;
            for (std::size_t k = 1; k < rec.x.size(); ++k) {
                const double a0 = std::floor((phi(k - 1) - pi) / (2 * pi)),
                             a1 = std::floor((phi(k) - pi) / (2 * pi));
                if (a1 > a0) {
                    const double target = pi + 2 * pi * a1;
                    t.push_back(h * (double(k - 1) + (target - phi(k - 1)) / (phi(k) - phi(k - 1))));
                }
            }
            ASSERT_GE(t.size(), 5u) << "dw=" << dw[i] << ": no phase slips";
            const double period = (t.back() - t[1]) / double(t.size() - 2);
            const double want = 2 * pi / std::sqrt(dw[i] * dw[i] - 4 * K * K);
            EXPECT_NEAR(period, want, 2e-3 * want) << "dw=" << dw[i];
        }
    }
}

// Kuramoto, N -> infinity, Lorentzian natural frequencies of half-width
// gamma: with c_i = (K/N) sum_j sin(theta_j - theta_i) (weights 1/N, a = K)
// the stationary order parameter is r = sqrt(1 - 2 gamma / K) above
// K_c = 2 gamma and 0 below (Kuramoto 1975; Strogatz 2000). The frequencies
// are the N quantiles of the Lorentzian (deterministic, centred at 0, i.e.
// the frame rotating with the mean), one float instance per K.
TEST(kuramoto, large_n_order_parameter_matches_lorentzian_theory) {
    const std::size_t N = 1000;
    const double gamma = 0.5;
    const std::vector<double> K = {0.5, 1.5, 2.0, 3.0, 4.0};
    batch b;
    b.model = "kuramoto";
    b.coupling = "kuramoto";
    b.net.n = N;
    b.net.weights.assign(N * N, 1.0 / double(N));
    b.net.tract_lengths.assign(N * N, 0.0);
    b.net.source = "test:all-to-all";
    b.speed = INFINITY;
    b.n_instances = K.size();
    std::vector<double> omega(N);
    for (std::size_t i = 0; i < N; ++i)
        omega[i] = gamma * std::tan(pi * (double(i) + 0.5) / double(N) - pi / 2);
    b.params["model.omega"] = field::per_node(omega);
    b.params["coupling.a"] = field::per_instance(K);
    b.initial["theta"] = field::scalar(0.0); // start coherent
    b.dt = 0.05;
    b.n_steps = 800; // 40 ms; r settles within ~5 ms here (measured), average over 10..40 ms
    struct order : observer<float> {
        std::size_t N, n_inst;
        std::vector<std::vector<double>> r; // [observation][instance]
        order(std::size_t N_, std::size_t ni, long n_obs)
            : N(N_), n_inst(ni), r(std::size_t(n_obs), std::vector<double>(ni)) {
            every = 10;
        }
        void observe(const block_state<float>& s) override {
            for (int l = 0; l < s.n_valid; ++l) {
                std::complex<double> z = 0;
                for (std::size_t n = 0; n < N; ++n) z += std::polar(1.0, double(s.at(0, int(n), l)));
                r[std::size_t(s.step / every - 1)][s.inst0 + std::size_t(l)] = std::abs(z) / double(N);
            }
        }
    } obs(N, K.size(), b.n_steps / 10);
    run_cpu<float>(b, {}, &obs);
    for (std::size_t i = 0; i < K.size(); ++i) {
        double mean = 0;
        const std::size_t k0 = obs.r.size() / 4;
        for (std::size_t k = k0; k < obs.r.size(); ++k) mean += obs.r[k][i];
        mean /= double(obs.r.size() - k0);
        const double want = K[i] > 2 * gamma ? std::sqrt(1 - 2 * gamma / K[i]) : 0.0;
        // Finite N: fluctuations O(1/sqrt(N)) ~ 0.03 in the incoherent state, much less when locked.
        EXPECT_NEAR(mean, want, K[i] > 2 * gamma ? 0.02 : 0.06) << "K=" << K[i];
    }
}

// ---------------------------------------------------------------------------
// Jansen & Rit 1995: with the classical constants (v0 = 6 mV) and an input
// p of 120..320 Hz the column produces alpha-like oscillations (about 8-12
// Hz, their Fig. 3); for low input it rests at a stable fixed point (the
// lower Hopf bifurcation is at p ~ 90 Hz, Grimbert & Faugeras 2006).
TEST(jansen_rit, alpha_rhythm_for_classical_input_and_rest_for_low_input) {
    const std::vector<double> mu = {0.15, 0.22, 0.30, 0.0, 0.05}; // 1/ms: 150, 220, 300, 0, 50 Hz
    batch b;
    b.model = "jansen_rit";
    b.coupling = "sigmoidal_jansen_rit";
    b.net = uncoupled(1);
    b.n_instances = mu.size();
    apply_preset<models::jansen_rit>(b, "classical");
    b.params["model.mu"] = field::per_instance(mu);
    b.dt = 0.1;
    b.n_steps = 30000; // 3 s
    recorder<double> rec(b, 6, 1);
    run_cpu<double>(b, {}, &rec);
    const std::size_t k0 = 10000; // drop the first second
    for (std::size_t i = 0; i < mu.size(); ++i) {
        std::vector<double> s;
        for (std::size_t k = k0; k < rec.x.size(); ++k) s.push_back(rec.at(k, 1, 0, i) - rec.at(k, 2, 0, i));
        double mean = 0, var = 0;
        for (double v : s) mean += v;
        mean /= double(s.size());
        for (double v : s) var += (v - mean) * (v - mean);
        const double sd = std::sqrt(var / double(s.size()));
        if (mu[i] < 0.09) {
            EXPECT_LT(sd, 1e-6) << "mu=" << mu[i] << " should rest";
            continue;
        }
        EXPECT_GT(sd, 0.5) << "mu=" << mu[i] << " should oscillate (mV)";
        // Frequency from upward crossings of the mean.
        std::vector<double> t;
        for (std::size_t k = 1; k < s.size(); ++k)
            if (s[k - 1] < mean && s[k] >= mean) t.push_back(double(k) - (s[k] - mean) / (s[k] - s[k - 1]));
        ASSERT_GE(t.size(), 3u);
        const double f_hz = 1000.0 / ((t.back() - t.front()) / double(t.size() - 1) * b.dt);
        EXPECT_GT(f_hz, 8.0) << "mu=" << mu[i];
        EXPECT_LT(f_hz, 12.0) << "mu=" << mu[i];
    }
}

// ---------------------------------------------------------------------------
// Epileptor-2D with TVB's defaults (a=1, b=3, c=1, d=5, Iext=3.1):
// for x1 < 0 the x1-nullcline is z = 4.1 - x1^3 - 2 x1^2 and the z-nullcline
// z = 4 (x1 - x0). Their intersection is unique (the difference has slope
// -3x^2 - 4x - 4 < 0). The Jacobian there is [[f', -1], [4r, -r]] with
// f' = -3x^2 - 4x, det = r (4 - f') > 0, trace = f' - r: the rest state is
// stable iff f'(x*) < r, i.e. x* < x_H = (-4 - sqrt(16 - 12 r)) / 6 (just
// right of the knee at -4/3), and x0_H = x_H - (4.1 - x_H^3 - 2 x_H^2)/4
// = -2.0620 is the seizure threshold (the singular limit r -> 0 gives
// -4/3 - (4.1 + 64/27 - 32/9)/4 = -2.06204). Below it the node rests at the
// fixed point; above it the slow z drives relaxation oscillations between
// the left (interictal, x1 < -1) and right (ictal, x1 > 0) branches.
TEST(epileptor2d, rests_below_and_seizes_above_the_analytic_threshold) {
    const double r = 0.00035;
    const double xH = (-4 - std::sqrt(16 - 12 * r)) / 6;
    const double x0H = xH - (4.1 - xH * xH * xH - 2 * xH * xH) / 4;
    EXPECT_NEAR(x0H, -4.0 / 3 - (4.1 + 64.0 / 27 - 32.0 / 9) / 4, 1e-3);
    const std::vector<double> x0 = {x0H - 0.3, x0H - 0.05, x0H - 0.02, x0H + 0.02, x0H + 0.05, -1.6};
    batch b;
    b.model = "epileptor2d";
    b.coupling = "difference";
    b.net = uncoupled(1);
    b.n_instances = x0.size();
    b.params["model.x0"] = field::per_instance(x0);
    b.initial["x1"] = field::scalar(-1.5);
    b.initial["z"] = field::scalar(3.2);
    b.dt = 0.1;
    b.n_steps = 300000; // 30 s, ~10 slow time constants 1/r
    recorder<double> rec(b, 2, 100);
    run_cpu<double>(b, {}, &rec);
    for (std::size_t i = 0; i < x0.size(); ++i) {
        double xmax = -1e9;
        for (std::size_t k = rec.x.size() / 2; k < rec.x.size(); ++k)
            xmax = std::max(xmax, rec.at(k, 0, 0, i));
        if (x0[i] < x0H) {
            // Fixed point: Newton on 4.1 - x^3 - 2x^2 - 4 (x - x0) = 0 from the left branch.
            double x = -1.5;
            for (int it = 0; it < 50; ++it)
                x -= (4.1 - x * x * x - 2 * x * x - 4 * (x - x0[i])) / (-3 * x * x - 4 * x - 4);
            EXPECT_LT(xmax, -1.0) << "x0=" << x0[i] << " should stay interictal";
            EXPECT_NEAR(rec.at(rec.x.size() - 1, 0, 0, i), x, 1e-6) << "x0=" << x0[i];
            EXPECT_NEAR(rec.at(rec.x.size() - 1, 1, 0, i), 4 * (x - x0[i]), 1e-6) << "x0=" << x0[i];
        } else {
            EXPECT_GT(xmax, 0.0) << "x0=" << x0[i] << " should seize";
        }
    }
}

// ---------------------------------------------------------------------------
// TVB's state_variable_boundaries: x < lo -> lo, x > hi -> hi, exactly, on
// every stage. RWW: S in [0, 1]; MPR: r >= 0.
TEST(bounds, clip_exactly_like_tvb) {
    batch b;
    b.model = "reduced_wong_wang";
    b.coupling = "linear";
    b.net = uncoupled(1);
    b.n_instances = 3;
    b.method = scheme::euler;
    b.dt = 150.0; // one step of 1.5 tau_s
    b.n_steps = 1;
    // I_o = -10: H ~ 0, S -> S (1 - 1.5) < 0; gamma = 100: S -> >> 1; defaults: inside.
    b.params["model.I_o"] = field::per_instance({-10.0, 0.33, 0.33});
    b.params["model.gamma"] = field::per_instance({0.641, 100.0, 0.641});
    b.params["model.tau_s"] = field::per_instance({100.0, 100.0, 1e6});
    b.initial["S"] = field::scalar(0.5);
    for (auto r : {run_cpu<double>(b), run_cpu<float>(b)}) {
        EXPECT_EQ(r.final_state[0], 0.0);
        EXPECT_EQ(r.final_state[1], 1.0);
        EXPECT_GT(r.final_state[2], 0.5);
        EXPECT_LT(r.final_state[2], 1.0);
    }
    batch m;
    m.model = "montbrio_pazo_roxin";
    m.coupling = "linear";
    m.net = uncoupled(1);
    m.dt = 0.1;
    m.n_steps = 1;
    // Delta = 0: dr = 2 V r. Heun from r = 0.5, V = -20, dt = 0.1: the predictor
    // 0.5 - 2 is clipped to 0 (where dr = 0), the corrector 0.5 + 0.05 (-20) = -0.5 too.
    m.params["model.Delta"] = field::scalar(0.0);
    m.initial["r"] = field::scalar(0.5);
    m.initial["V"] = field::scalar(-20.0);
    EXPECT_EQ(run_cpu<double>(m).final_state[0], 0.0);
    EXPECT_EQ(run_cpu<float>(m).final_state[0], 0.0);
}

// Every preset names parameters of its own model.
TEST(presets, name_parameters_of_their_model) {
    for_each_model([](auto t) {
        using M = typename decltype(t)::type;
        for (const auto& p : M::presets)
            for (const auto& v : p.values) {
                bool found = false;
                for (const auto& q : M::params) found = found || std::string(q.name) == v.name;
                EXPECT_TRUE(found) << M::name << " preset " << p.name << ": no parameter " << v.name;
            }
    });
}

} // namespace

// The rest curve random starts are drawn along (plan.cpp): every equation
// but the principal population's is at equilibrium, at any activity u and
// for the parameters of each preset; u runs the principal variable over
// its range (Jansen-Rit's y0 up to A/a 2 nu_max, Wilson-Cowan's E up to
// k_e c_e / (1 + r_e c_e)). Only the two models with a rest curve have one.
TEST(rest_curve, all_but_the_principal_equation_at_equilibrium) {
    auto check = [](const char* name, auto dfun, int principal, std::size_t var) {
        const model_info& m = find_model(name);
        ASSERT_NE(m.rest_state, nullptr) << name;
        for (const preset* pr : m.presets) {
            std::vector<double> p;
            for (const auto& q : m.params) {
                double v = q.value;
                for (const auto& pv : pr->values)
                    if (std::string(pv.name) == q.name) v = pv.value;
                p.push_back(v);
            }
            double prev = -1;
            for (double u : {0.0, 0.1, 0.35, 0.6, 0.9, 1.0}) {
                std::vector<double> x(m.states.size()), dx(m.states.size()), c(m.cvar.size(), 0.0);
                m.rest_state(p.data(), u, x.data());
                dfun(p.data(), x.data(), c.data(), dx.data());
                for (std::size_t v = 0; v < x.size(); ++v) {
                    const double scale = 1e-12 * (1 + std::fabs(x[v]));
                    if (int(v) != principal)
                        EXPECT_LT(std::fabs(dx[v]), scale)
                            << name << " " << pr->name << " u=" << u << " " << m.states[v].name;
                }
                EXPECT_GT(x[var], prev) << name << " u=" << u; // u moves the principal variable
                prev = x[var];
            }
        }
    };
    check("jansen_rit", models::jansen_rit::dfun<double>, 3, 0); // y3' holds y0's drive
    check("wilson_cowan", models::wilson_cowan::dfun<double>, 0, 0);
    const model_info& jr = find_model("jansen_rit");
    std::vector<double> p;
    for (const auto& q : jr.params) p.push_back(q.value);
    double x[6];
    jr.rest_state(p.data(), 1.0, x);
    EXPECT_DOUBLE_EQ(x[0], 3.25 / 0.1 * 2 * 0.0025); // A/a 2 nu_max
    for (const char* other : {"kuramoto", "epileptor", "linear"})
        EXPECT_EQ(find_model(other).rest_state, nullptr);
}
