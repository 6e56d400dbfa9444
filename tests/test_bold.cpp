// The BOLD observation model (include/nmsweep/observe/bold.hpp) against an
// independent solve_ivp integration of the plain Balloon-Windkessel equations
// (tests/reference/make_bold_reference.py -> tests/data/bold), closed forms
// (resting and steady states), and an independent Pearson computation.
#include "nmsweep/core/error.hpp"
#include "nmsweep/observe/bold.hpp"

#include "analysis_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

using nms::observe::bold_options;

namespace {

const std::string dir = std::string(NMS_TEST_DATA) + "/bold/";

using nms_test::read_table;

// Feeds samples 0 .. n_samples-1 of n_inst instances in blocks of `lanes`
// lanes, as the sweep observer does: obs[node * lanes + lane], net = mean.
void feed(nms::reducer& r, std::size_t n_inst, int n_nodes, long n_samples, int lanes,
          const std::function<double(std::size_t, long, int)>& value) {
    r.reset(n_inst, n_nodes);
    std::vector<double> obs(std::size_t(n_nodes) * std::size_t(lanes));
    std::vector<double> net(static_cast<std::size_t>(lanes));
    for (std::size_t first = 0; first < n_inst; first += std::size_t(lanes)) {
        const int valid = int(std::min<std::size_t>(std::size_t(lanes), n_inst - first));
        for (long t = 0; t < n_samples; ++t) {
            std::fill(obs.begin(), obs.end(), -1e300); // padding lanes: must not be read
            std::fill(net.begin(), net.end(), 0.0);
            for (int l = 0; l < valid; ++l)
                for (int n = 0; n < n_nodes; ++n) {
                    const double x = value(first + std::size_t(l), t, n);
                    obs[std::size_t(n) * std::size_t(lanes) + std::size_t(l)] = x;
                    net[std::size_t(l)] += x / n_nodes;
                }
            nms::obs_block b{10 * (t + 1), first, lanes, valid, n_nodes, obs.data(), net.data()};
            r.accumulate(b);
        }
    }
}

std::size_t output_index(const nms::reducer& r, const std::string& name) {
    const auto outs = r.outputs();
    for (std::size_t k = 0; k < outs.size(); ++k)
        if (outs[k].name == name) return k;
    ADD_FAILURE() << "no output " << name;
    return 0;
}

std::vector<double> result_of(const nms::reducer& r, const std::string& name, std::size_t i) {
    const std::size_t k = output_index(r, name);
    const auto outs = r.outputs();
    std::size_t m = 1;
    for (auto e : outs[k].extra_sizes) m *= e;
    std::vector<double> out(m);
    r.result(k, i, out.data());
    return out;
}

// Features of a response sampled every 0.1 s: peak (index), the first zero
// crossing after the peak (linear interpolation, s) and the undershoot
// minimum (index).
struct shape {
    std::size_t peak, undershoot;
    double zero_s;
};
shape shape_of(const std::vector<double>& y, double dt_s) {
    shape s{};
    s.peak = std::size_t(std::max_element(y.begin(), y.end()) - y.begin());
    s.undershoot = std::size_t(std::min_element(y.begin() + long(s.peak), y.end()) - y.begin());
    s.zero_s = -1;
    for (std::size_t k = s.peak; k + 1 < y.size(); ++k)
        if (y[k] > 0 && y[k + 1] <= 0) {
            s.zero_s = dt_s * (double(k) + y[k] / (y[k] - y[k + 1]));
            break;
        }
    return s;
}

// Runs the impulse of the reference (z = amp for samples t < 100 ms) on node
// 0 of a 2-node network (node 1 stays at rest) and compares with the
// solve_ivp reference; returns the error relative to the peak.
double impulse_error(const std::string& preset, int amp, bold_options o, double sample_ms) {
    const auto ref = read_table(dir + preset + "_impulse" + std::to_string(amp) + ".txt");
    EXPECT_EQ(ref.size(), 301u);
    o.preset = preset;
    o.tr_ms = 100;
    o.transient_ms = 0;
    o.keep_timeseries = true;
    const long per_ms = std::lround(1.0 / sample_ms);
    o.n_samples = sample_ms >= 1 ? long(30000 / sample_ms) + 1 : 30001 * per_ms;
    auto r = nms::observe::make_bold_reducer(o, sample_ms, 2);
    EXPECT_EQ(nms::observe::bold_sample_count(o, sample_ms, o.n_samples), 301);
    feed(*r, 1, 2, o.n_samples, 4, [&](std::size_t, long t, int node) {
        return node == 0 && double(t) * sample_ms < 100.0 - 1e-9 ? double(amp) : 0.0;
    });
    const auto ts = result_of(*r, "bold/timeseries", 0);
    EXPECT_EQ(ts.size(), 301u * 2);
    std::vector<double> got(301), want(301);
    double peak = 0, err = 0;
    for (std::size_t j = 0; j < 301; ++j) {
        got[j] = ts[j * 2];
        want[j] = ref[j][1];
        EXPECT_EQ(ts[j * 2 + 1], 0.0) << "node at rest, sample " << j;
        peak = std::max(peak, std::abs(want[j]));
    }
    for (std::size_t j = 0; j < 301; ++j) err = std::max(err, std::abs(got[j] - want[j]) / peak);
    const shape a = shape_of(got, 0.1), b = shape_of(want, 0.1);
    EXPECT_EQ(a.peak, b.peak) << preset;
    EXPECT_EQ(a.undershoot, b.undershoot) << preset;
    EXPECT_NEAR(a.zero_s, b.zero_s, 1e-4) << preset; // s
    EXPECT_NEAR(got[a.undershoot], want[b.undershoot], 1e-6 * peak);
    EXPECT_GT(a.peak, 20u);             // a hemodynamic response: peak after 2 s,
    EXPECT_LT(a.peak, 60u);             // before 6 s,
    EXPECT_LT(want[b.undershoot], 0.0); // and an undershoot
    return err;
}

} // namespace

TEST(bold, presets_and_overrides) {
    using nms::observe::resolve_bold_constants;
    const auto f = resolve_bold_constants("friston2003", {});
    EXPECT_DOUBLE_EQ(f.kappa, 0.65);
    EXPECT_DOUBLE_EQ(f.gamma, 0.41);
    EXPECT_DOUBLE_EQ(f.tau, 0.98);
    EXPECT_DOUBLE_EQ(f.alpha, 0.32);
    EXPECT_DOUBLE_EQ(f.rho, 0.34);
    EXPECT_DOUBLE_EQ(f.V0, 0.02);
    EXPECT_DOUBLE_EQ(f.k1, 7 * 0.34);
    EXPECT_DOUBLE_EQ(f.k2, 2.0);
    EXPECT_DOUBLE_EQ(f.k3, 2 * 0.34 - 0.2);
    const auto s = resolve_bold_constants("stephan2007", {});
    EXPECT_DOUBLE_EQ(s.rho, 0.4);
    EXPECT_DOUBLE_EQ(s.V0, 0.04);
    EXPECT_DOUBLE_EQ(s.k1, 4.3 * 40.3 * 0.4 * 0.04);
    EXPECT_DOUBLE_EQ(s.k2, 1.43 * 25 * 0.4 * 0.04);
    EXPECT_DOUBLE_EQ(s.k3, 1 - 1.43);
    // a derived coefficient follows its ingredients; a direct value wins
    const auto e = resolve_bold_constants("stephan2007", {{"epsilon", 1.0}, {"rho", 0.34}, {"k1", 3.0}});
    EXPECT_DOUBLE_EQ(e.k2, 1.0 * 25 * 0.34 * 0.04);
    EXPECT_DOUBLE_EQ(e.k3, 0.0);
    EXPECT_DOUBLE_EQ(e.k1, 3.0);
    EXPECT_DOUBLE_EQ(resolve_bold_constants("friston2003", {{"rho", 0.4}}).k1, 2.8);
    auto msg = [](auto fn) {
        try {
            fn();
        } catch (const nms::input_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(msg([] { resolve_bold_constants("buxton", {}); }).find("known: friston2003, stephan2007"),
              std::string::npos);
    EXPECT_NE(msg([] {
                  resolve_bold_constants("friston2003", {{"epsilon", 1}});
              }).find("'epsilon'"),
              std::string::npos);
    EXPECT_NE(msg([] {
                  resolve_bold_constants("friston2003", {{"rho", 1.0}});
              }).find("rho = 1"),
              std::string::npos);
    EXPECT_NE(msg([] {
                  resolve_bold_constants("friston2003", {{"tau", -1}});
              }).find("tau"),
              std::string::npos);
}

// RK4 at 1 ms against solve_ivp (rtol 1e-12), both presets, a near-linear
// (z = 1) and a strongly nonlinear (z = 10) impulse.
TEST(bold, impulse_response_matches_solve_ivp) {
    for (const std::string preset : {"friston2003", "stephan2007"})
        for (int amp : {1, 10}) {
            const double err = impulse_error(preset, amp, bold_options{}, 1.0);
            std::cout << "  " << preset << " z=" << amp << " rk4 dt 1 ms: max error / peak = " << err << "\n";
            EXPECT_LT(err, 1e-9);
        }
}

// The other step geometries: Heun at 1 ms; RK4 with 4 sub-steps per 1 ms
// sample; RK4 over blocks of 4 samples of 0.25 ms averaged into one input
// value (the same values; the time coordinate starts 0.375 ms later, at the
// centre of the first block).
TEST(bold, heun_substeps_and_sample_averaging) {
    bold_options heun;
    heun.method = "heun";
    const double e_heun = impulse_error("friston2003", 10, heun, 1.0);
    bold_options sub;
    sub.dt_ms = 0.25;
    const double e_sub = impulse_error("friston2003", 10, sub, 1.0);
    const double e_avg = impulse_error("stephan2007", 10, bold_options{}, 0.25);
    std::cout << "  heun 1 ms: " << e_heun << ", rk4 0.25 ms sub-steps: " << e_sub
              << ", rk4 over 4 averaged samples: " << e_avg << " (max error / peak)\n";
    EXPECT_LT(e_heun, 1e-5);
    EXPECT_LT(e_sub, 1e-10);
    EXPECT_LT(e_avg, 1e-9);
    // fourth order: a quarter of the step, 1/256 of the error (up to rounding)
    EXPECT_LT(e_sub, impulse_error("friston2003", 10, bold_options{}, 1.0) / 100);
    bold_options o;
    o.keep_timeseries = true;
    o.transient_ms = 500;
    o.tr_ms = 1000;
    o.t0_ms = 200;
    o.n_samples = 4 * 3000;
    auto r = nms::observe::make_bold_reducer(o, 0.25, 1);
    const auto outs = r->outputs();
    ASSERT_EQ(outs.back().extra_scales.size(), 2u);
    const auto& t = outs.back().extra_scales[0];
    ASSERT_EQ(t.size(), 3u); // input values at 0 .. 2999 ms after the first: BOLD at 500, 1500, 2500
    EXPECT_DOUBLE_EQ(t[0], 200 + 0.375 + 500);
    EXPECT_DOUBLE_EQ(t[2], 200 + 0.375 + 2500);
}

// The float instantiation of the NMS_HD step (what the GPU will run).
TEST(bold, float_step_matches_reference) {
    const auto ref = read_table(dir + "stephan2007_impulse10.txt");
    const auto c = nms::observe::balloon_of<float>(nms::observe::resolve_bold_constants("stephan2007", {}));
    float x[4] = {0, 0, 0, 0};
    double peak = 0, err = 0;
    float zprev = 10;
    for (long k = 1; k <= 30000; ++k) {
        const float z = k < 100 ? 10.f : 0.f;
        nms::observe::balloon_rk4_step(c, x, zprev, z, 1e-3f);
        zprev = z;
        if (k % 100 == 0) {
            const double want = ref[std::size_t(k / 100)][1];
            peak = std::max(peak, std::abs(want));
            err = std::max(err, std::abs(double(nms::observe::balloon_bold(c, x)) - want));
        }
    }
    std::cout << "  float rk4 1 ms: max error / peak = " << err / peak << "\n";
    EXPECT_LT(err / peak, 1e-5);
}

// z = 0 (here 2 * 5 - 10 through the input gain and offset): the resting
// state is an exact fixed point, BOLD is exactly 0 and its FC undefined.
// A constant input settles on the closed-form steady state
//   s = 0, f = 1 + z / gamma, v = f^alpha, q = v E(f) / rho.
TEST(bold, rest_is_exactly_zero_and_steady_state_is_analytic) {
    bold_options o;
    o.keep_timeseries = true;
    o.transient_ms = 0;
    o.tr_ms = 500;
    o.n_samples = 60000;
    o.input_gain = 2;
    o.input_offset = -10;
    auto r = nms::observe::make_bold_reducer(o, 2.0, 3);
    feed(*r, 2, 3, o.n_samples, 4, [](std::size_t, long, int) { return 5.0; });
    for (std::size_t i = 0; i < 2; ++i) {
        for (double y : result_of(*r, "bold/timeseries", i)) ASSERT_EQ(y, 0.0);
        for (double y : result_of(*r, "bold/fc", i)) EXPECT_TRUE(std::isnan(y));
    }
    for (const std::string preset : {"friston2003", "stephan2007"}) {
        bold_options c;
        c.preset = preset;
        c.keep_timeseries = true;
        c.transient_ms = 0;
        c.tr_ms = 1000;
        c.n_samples = 150001; // 150 s
        auto rc = nms::observe::make_bold_reducer(c, 1.0, 2);
        feed(*rc, 1, 2, c.n_samples, 2, [](std::size_t, long, int n) { return n == 0 ? 0.05 : 0.3; });
        const auto ts = result_of(*rc, "bold/timeseries", 0);
        const auto k = nms::observe::resolve_bold_constants(preset, {});
        for (int n = 0; n < 2; ++n) {
            const double z = n == 0 ? 0.05 : 0.3;
            const double f = 1 + z / k.gamma, v = std::pow(f, k.alpha);
            const double q = v * (1 - std::pow(1 - k.rho, 1 / f)) / k.rho;
            const double y = k.V0 * (k.k1 * (1 - q) + k.k2 * (1 - q / v) + k.k3 * (1 - v));
            EXPECT_NEAR(ts[150 * 2 + std::size_t(n)], y, 1e-12 * std::abs(y)) << preset << " z " << z;
        }
    }
}

// bold/fc and bold/fc_fit equal Pearson correlations computed here from the
// reducer's own BOLD series; TR samples that fall between hemodynamic steps
// are the linear interpolation of the step values; the transient is dropped.
TEST(bold, fc_and_fit_equal_independent_pearson) {
    const int N = 4;
    const std::size_t n_inst = 3;
    const double sample_ms = 10;
    auto signal = [](std::size_t i, long t, int n) {
        const double s = double(t) * 0.01; // seconds
        const double ph = 0.7 * double(n) + 1.3 * double(i);
        return 0.2 * std::sin(2 * nms::pi * s / (17 + 3 * n) + ph) +
               0.1 * std::sin(2 * nms::pi * s / 7.3 + ph * ph) * (n % 2 ? 1 : -1) +
               0.05 * std::sin(2 * nms::pi * s / 3.1 + double(n * n)) + 0.1 * double(i);
    };
    const long n_samples = 30000; // 300 s
    std::vector<double> emp(N * N);
    for (int a = 0; a < N; ++a)
        for (int b = 0; b < N; ++b)
            emp[std::size_t(a * N + b)] = a == b ? 1 : std::cos(0.9 * (a + 2 * b) * (b + 2 * a));

    bold_options o;
    o.keep_timeseries = true;
    o.transient_ms = 20000;
    o.tr_ms = 725; // not a multiple of the 10 ms input interval
    o.n_samples = n_samples;
    o.empirical_fc = emp;
    auto r = nms::observe::make_bold_reducer(o, sample_ms, N);
    feed(*r, n_inst, N, n_samples, 2, signal);
    // the same input, a BOLD sample at every 10 ms step from t = 0
    bold_options fine = o;
    fine.tr_ms = 10;
    fine.transient_ms = 0;
    fine.empirical_fc.clear();
    auto rf = nms::observe::make_bold_reducer(fine, sample_ms, N);
    feed(*rf, n_inst, N, n_samples, 3, signal);

    const long T = nms::observe::bold_sample_count(o, sample_ms, n_samples);
    EXPECT_EQ(T, long((299990 - 20000) / 725) + 1);
    const auto outs = r->outputs();
    ASSERT_EQ(outs.size(), 3u);
    EXPECT_EQ(outs[0].name, "bold/fc");
    EXPECT_EQ(outs[0].extra_dims, (std::vector<std::string>{"node", "node_j"}));
    EXPECT_EQ(outs[1].name, "bold/fc_fit");
    EXPECT_TRUE(outs[1].extra_dims.empty());
    EXPECT_EQ(outs[2].name, "bold/timeseries");
    EXPECT_EQ(outs[2].extra_dims, (std::vector<std::string>{"time", "node"}));
    ASSERT_EQ(outs[2].extra_sizes, (std::vector<std::size_t>{std::size_t(T), std::size_t(N)}));
    EXPECT_DOUBLE_EQ(outs[2].extra_scales[0][0], 20000.0);
    EXPECT_DOUBLE_EQ(outs[2].extra_scales[0][1], 20725.0);

    for (std::size_t i = 0; i < n_inst; ++i) {
        const auto ts = result_of(*r, "bold/timeseries", i);
        const auto tf = result_of(*rf, "bold/timeseries", i);
        // interpolation between the 10 ms steps
        double scale = 0, ierr = 0;
        for (long j = 0; j < T; ++j) {
            const double t = 20000 + 725.0 * double(j);
            const auto g = std::size_t(std::floor(t / 10));
            const double w = (t - 10.0 * double(g)) / 10;
            for (int n = 0; n < N; ++n) {
                const double a = tf[g * N + std::size_t(n)];
                const double want = w == 0 ? a : a + w * (tf[(g + 1) * N + std::size_t(n)] - a);
                scale = std::max(scale, std::abs(want));
                ierr = std::max(ierr, std::abs(ts[std::size_t(j) * N + std::size_t(n)] - want));
            }
        }
        EXPECT_LE(ierr, 1e-14 * scale) << "instance " << i;
        // two-pass Pearson
        std::vector<double> mean(N, 0.0), fc(N * N);
        for (long j = 0; j < T; ++j)
            for (int n = 0; n < N; ++n)
                mean[std::size_t(n)] += ts[std::size_t(j) * N + std::size_t(n)] / double(T);
        for (int a = 0; a < N; ++a)
            for (int b = 0; b < N; ++b) {
                double sab = 0, saa = 0, sbb = 0;
                for (long j = 0; j < T; ++j) {
                    const double da = ts[std::size_t(j) * N + std::size_t(a)] - mean[std::size_t(a)];
                    const double db = ts[std::size_t(j) * N + std::size_t(b)] - mean[std::size_t(b)];
                    sab += da * db;
                    saa += da * da;
                    sbb += db * db;
                }
                fc[std::size_t(a * N + b)] = sab / std::sqrt(saa * sbb);
            }
        const auto got = result_of(*r, "bold/fc", i);
        double fc_err = 0;
        for (std::size_t k = 0; k < got.size(); ++k) fc_err = std::max(fc_err, std::abs(got[k] - fc[k]));
        EXPECT_LT(fc_err, 1e-12) << "instance " << i;
        std::vector<double> u, v;
        for (int a = 0; a < N; ++a)
            for (int b = a + 1; b < N; ++b) {
                u.push_back(fc[std::size_t(a * N + b)]);
                v.push_back(emp[std::size_t(a * N + b)]);
            }
        const double mu = std::accumulate(u.begin(), u.end(), 0.0) / double(u.size());
        const double mv = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
        double suv = 0, suu = 0, svv = 0;
        for (std::size_t k = 0; k < u.size(); ++k) {
            suv += (u[k] - mu) * (v[k] - mv);
            suu += (u[k] - mu) * (u[k] - mu);
            svv += (v[k] - mv) * (v[k] - mv);
        }
        EXPECT_NEAR(result_of(*r, "bold/fc_fit", i)[0], suv / std::sqrt(suu * svv), 1e-12)
            << "instance " << i;
        std::cout << "  instance " << i << ": FC error " << fc_err << ", fc_fit "
                  << result_of(*r, "bold/fc_fit", i)[0] << "\n";
    }
}

TEST(bold, bad_options_are_input_errors) {
    using nms::observe::make_bold_reducer;
    bold_options o;
    o.method = "euler";
    EXPECT_THROW(make_bold_reducer(o, 1.0, 2), nms::input_error);
    o = {};
    o.tr_ms = 0;
    EXPECT_THROW(make_bold_reducer(o, 1.0, 2), nms::input_error);
    o = {};
    o.keep_timeseries = true;
    o.n_samples = 5000; // 5 s of 1 ms samples: nothing after the 10 s transient
    EXPECT_THROW(make_bold_reducer(o, 1.0, 2), nms::input_error);
    o = {};
    o.empirical_fc.assign(9, 0.0);
    o.empirical_source = "emp.csv";
    try {
        make_bold_reducer(o, 1.0, 2);
        ADD_FAILURE() << "no error";
    } catch (const nms::input_error& e) {
        EXPECT_NE(std::string(e.what()).find("emp.csv has 9 entries, expected 2 x 2"), std::string::npos)
            << e.what();
    }
    auto r = make_bold_reducer(bold_options{}, 1.0, 2);
    EXPECT_THROW(r->reset(1, 3), nms::input_error);
}
