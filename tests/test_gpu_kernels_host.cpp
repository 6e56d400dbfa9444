// The CUDA kernels' per-instance functions (kernels/instance_kernels.hpp)
// run on the host, one loop iteration per GPU thread, with the tables the
// CUDA backend uploads (kernels/instance_tables.hpp), against the CPU
// backend. Runs everywhere: it checks the kernels' indexing (state, delay
// ring, per-node parameters, per-instance delays, noise keys, observation
// samples split over launches) on machines without a GPU; test_gpu_backend
// checks the same on a device.

#include "batch_util.hpp"
#include "bold_kernels.hpp"
#include "device_analyses.hpp"
#include "host_executor.hpp"
#include "instance_tables.hpp"
#include "nmsweep/analysis/channel_schedule.hpp"
#include "nmsweep/analysis/fc_steps.hpp"
#include "nmsweep/analysis/synchrony_steps.hpp"
#include "nmsweep/analysis/welch_steps.hpp"
#include "sensor_kernels.hpp"
#include "sweep_observer.hpp"

#include "nmsweep/analysis/unit_reducer.hpp"
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/observe/bold.hpp"
#include "nmsweep/observe/leadfield.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace {

template <class M, class C, nms::scheme S, class T> struct host_run {
    std::vector<T> x;  // final state [v][node][instance]
    std::vector<T> xc; // float: its compensation
    std::vector<long> div;
    std::vector<T> obs; // [sample][node][instance]
};

// The kernel arguments' arrays, on the host (as run_range points them into
// device memory).
template <class M, class C, class T>
void point_args(nms::gpu::args_for<M, C, T>& a, const nms::prepared& P, const nms::gpu::instance_tables<T>& h,
                T* x, T* xc, T* ring, long* div) {
    a.x = x;
    a.xc = xc;
    a.ring = ring;
    a.pinst = h.pinst.data();
    a.pnode = h.pnode.data();
    a.row_ptr = P.row_ptr.data();
    a.src = P.src.data();
    a.delay = P.delay.data();
    a.dinst = P.per_instance_delay ? h.dinst.data() : nullptr;
    a.weight = h.weight.data();
    a.rowsum = h.rowsum.data();
    a.seed = h.seeds.data();
    a.div_step = div;
    a.stim.props = h.stim_props.data();
    a.stim.weight = h.stim_weight.data();
    a.stim.shape = h.stim_shape.data();
}

// Steps t0 .. t1-1 of every instance as the CUDA backend's kernels do:
// one thread per instance, or (by_node) one thread per (node, instance) in
// launches of node_steps_per_launch steps (ended at moments samples, as
// run_range ends them). A launch's threads may run in any order; here each
// runs all its steps before the previous thread starts (reverse order), the
// most adverse order there is for the ring (forward_order: the other way
// round). per_launch > 0 overrides the launch length (to show that too long
// a launch is caught).
bool forward_order = false;

// after_sample (FC on the device) runs after every launch that ends at a
// reduced sample, and makes the instance mapping end its launches there too.
template <class M, class C, nms::scheme S, class T, bool Interp = false>
void advance(const nms::gpu::args_for<M, C, T>& a, const nms::prepared& P, const std::vector<int>& dinst,
             long t0, long t1, bool observe, bool by_node, long per_launch = 0,
             const std::function<void(long)>& after_sample = {}) {
    if (!by_node && !after_sample) {
        for (int i = 0; i < a.n; ++i) nms::gpu::step_instance<M, C, S, T, Interp>(a, t0, t1, observe, i);
        return;
    }
    const long K = per_launch > 0 ? per_launch : nms::gpu::node_steps_per_launch(P, dinst, 64, Interp);
    for (long t = t0; t < t1;) {
        long tb = by_node ? std::min(t1, t + K) : t1;
        if (a.reduce) tb = std::min(tb, std::max(a.reduce_first, (t + a.every) / a.every * a.every));
        if (by_node) {
            const long G = long(a.nn) * a.n;
            for (long k = 0; k < G; ++k) {
                const long g = forward_order ? k : G - 1 - k;
                nms::gpu::step_node<M, C, S, T, Interp>(a, t0, t, tb, observe, int(g / a.n), int(g % a.n));
            }
        } else {
            for (int i = 0; i < a.n; ++i) nms::gpu::step_instance<M, C, S, T, Interp>(a, t, tb, false, i);
        }
        if (a.reduce && tb >= a.reduce_first && tb % a.every == 0) {
            if (by_node)
                for (int i = 0; i < a.n; ++i) nms::gpu::net_reduce(a, tb - 1, i);
            if (after_sample) after_sample(tb);
        }
        t = tb;
    }
}

// Runs the batch as the CUDA backend would with one device batch, launching
// steps in chunks of `chunk` sampling periods. Interp: delayed_coupling =
// interpolate (b.delayed says so too).
template <class M, class C, nms::scheme S, class T, bool Interp = false>
host_run<M, C, S, T> run_host(const nms::batch& b, const std::vector<std::vector<double>>& coef, long every,
                              long chunk, bool by_node = false, long per_launch = 0) {
    const nms::prepared P = nms::prepare(b);
    std::vector<int> node_slot;
    const int n_node_params = nms::gpu::node_param_slots(P, node_slot);
    const std::size_t n = P.n_instances;
    auto h = nms::gpu::make_tables<T>(P, b, 0, n, node_slot, n_node_params);
    host_run<M, C, S, T> r;
    r.x = h.x0;
    r.xc.assign(r.x.size(), T(-12345)); // (init_instance zeroes it)
    r.div.assign(n, -1);
    constexpr int RW = nms::ring_width<C, S, Interp>;
    std::vector<T> ring(std::size_t(P.ring_len) * RW * P.n_nodes * n, T(-12345));
    nms::gpu::args_for<M, C, T> a;
    nms::gpu::set_args<M, C, T>(a, P, b, 0, n, node_slot, coef, RW);
    point_args<M, C, T>(a, P, h, r.x.data(), r.xc.data(), ring.data(), r.div.data());
    for (int i = 0; i < int(n); ++i) nms::gpu::init_instance<M, C, T>(a, h.h0.data(), i);
    const long steps = b.n_steps;
    if (coef.empty()) {
        advance<M, C, S, T, Interp>(a, P, h.dinst, 0, steps, false, by_node, per_launch);
        return r;
    }
    a.every = int(every);
    const long per_sample = long(coef.size()) * long(P.n_nodes) * long(n);
    std::vector<T> buf(std::size_t(chunk * per_sample));
    a.obs = buf.data();
    const long last = (steps / every) * every;
    long t = 0;
    while (t < last) {
        const long t1 = std::min(last, t + chunk * every);
        std::fill(buf.begin(), buf.end(), T(NAN));
        advance<M, C, S, T, Interp>(a, P, h.dinst, t, t1, true, by_node, per_launch);
        r.obs.insert(r.obs.end(), buf.begin(), buf.begin() + (t1 - t) / every * per_sample);
        t = t1;
    }
    advance<M, C, S, T, Interp>(a, P, h.dinst, t, steps, false, by_node, per_launch);
    return r;
}

nms::batch make_batch(const std::string& model, const std::string& coupling, std::size_t n) {
    return nms::test::spread_batch(model, coupling, n, 203, 5);
}

// What the reducers see of batch b sampled every `every` steps after `transient` steps.
nms::sampling sampling_of(const nms::batch& b, long transient, long every) {
    nms::sampling smp;
    smp.dt_ms = b.dt * double(every);
    smp.fs = 1000.0 / smp.dt_ms;
    smp.n_samples = b.n_steps / every - transient / every; // the steps > transient, multiples of every
    return smp;
}

template <class M, class C, nms::scheme S, class T, bool Interp = false>
void expect_matches_cpu(const nms::batch& b, double tol, const std::string& what) {
    ASSERT_EQ(b.delayed == nms::delayed_coupling::interpolate, Interp) << what;
    const auto cpu = nms::run_cpu<T>(b);
    const auto host = run_host<M, C, S, T, Interp>(b, {}, 1, 1);
    const std::size_t per_var = cpu.n_nodes * cpu.n_instances;
    for (std::size_t v = 0; v < cpu.n_state; ++v) {
        double scale = 1e-6;
        for (std::size_t k = 0; k < per_var; ++k)
            scale = std::max(scale, std::abs(cpu.final_state[v * per_var + k]));
        for (std::size_t k = 0; k < per_var; ++k)
            ASSERT_NEAR(double(host.x[v * per_var + k]), cpu.final_state[v * per_var + k], tol * scale)
                << what << " var " << v << " index " << k;
    }
    EXPECT_EQ(host.div, cpu.diverged_step) << what;
    // The node mapping does the same arithmetic in the same order per node:
    // bit for bit the instance mapping's result.
    const auto by_node = run_host<M, C, S, T, Interp>(b, {}, 1, 1, true);
    for (std::size_t k = 0; k < host.x.size(); ++k)
        ASSERT_EQ(by_node.x[k], host.x[k]) << what << " node mapping, index " << k;
    EXPECT_EQ(by_node.div, host.div) << what << " node mapping";
}

using nms::scheme;

TEST(gpu_kernels_on_host, jansen_rit_stochastic_with_per_node_and_per_instance_parameters) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    nms::batch b = make_batch("jansen_rit", "sigmoidal_jansen_rit", 21);
    std::vector<double> mu(8), a(21);
    for (int q = 0; q < 8; ++q) mu[q] = 0.1 + 0.02 * q;
    for (int i = 0; i < 21; ++i) a[i] = 0.5 * i;
    b.params["model.mu"] = nms::field::per_node(mu);
    b.params["coupling.a"] = nms::field::per_instance(a);
    b.params["noise.y4"] = nms::field::scalar(1e-2);
    b.params["noise.y1"] = nms::field::scalar(1e-3);
    expect_matches_cpu<M, C, scheme::heun, double>(b, 1e-12, "jr heun double");
    expect_matches_cpu<M, C, scheme::heun, float>(b, 1e-4, "jr heun float");
    b.method = scheme::euler;
    expect_matches_cpu<M, C, scheme::euler, double>(b, 1e-12, "jr euler double");
    // A different seed must change the result: the comparison can fail.
    nms::batch other = b;
    other.seed = 6;
    const auto cpu = nms::run_cpu<double>(other);
    const auto host = run_host<M, C, scheme::euler, double>(b, {}, 1, 1);
    double d = 0;
    for (std::size_t k = 0; k < cpu.final_state.size(); ++k)
        d = std::max(d, std::abs(cpu.final_state[k] - host.x[k]));
    EXPECT_GT(d, 1e-6);
}

TEST(gpu_kernels_on_host, per_instance_delays_and_difference_coupling) {
    using M = nms::models::generic_2d_oscillator;
    using C = nms::coupling::difference<M::n_cvar>;
    nms::batch b = make_batch("generic_2d_oscillator", "difference", 9);
    for (int i = 0; i < 9; ++i) b.speed_per_instance.push_back(0.8 + 0.7 * i);
    b.params["noise.V"] = nms::field::scalar(1e-2);
    expect_matches_cpu<M, C, scheme::heun, double>(b, 1e-12, "g2d per-instance delays");
    b.method = scheme::rk4;
    b.params.erase("noise.V");
    expect_matches_cpu<M, C, scheme::rk4, double>(b, 1e-12, "g2d rk4");
}

// delayed_coupling = interpolate: the stage gathers (slot t - d + 1 and the
// mid-step channels beside it), per-instance delays, launches of the node
// mapping no longer than the shortest delay, a zero-delay edge (held).
TEST(gpu_kernels_on_host, interpolated_delayed_coupling) {
    using M = nms::models::generic_2d_oscillator;
    using C = nms::coupling::difference<M::n_cvar>;
    nms::batch b = make_batch("generic_2d_oscillator", "difference", 9);
    b.delayed = nms::delayed_coupling::interpolate;
    b.method = scheme::rk4;
    expect_matches_cpu<M, C, scheme::rk4, double, true>(b, 1e-12, "g2d rk4 interpolate");
    expect_matches_cpu<M, C, scheme::rk4, float, true>(b, 1e-4, "g2d rk4 interpolate float");
    {
        // Node mapping: a launch spans at most the shortest delay d, one step
        // less than hold's, since step t reads slot t - d + 1; one step more
        // and a thread reads a slot its launch has not written yet.
        nms::batch c = b;
        c.speed = 250.0; // shortest delay a few steps
        const nms::prepared P = nms::prepare(c);
        const int dmin = *std::min_element(P.delay.begin(), P.delay.end());
        const long K = nms::gpu::node_steps_per_launch(P, {}, 64, true);
        ASSERT_GE(dmin, 2);
        ASSERT_LT(dmin, 10);
        EXPECT_EQ(K, dmin);
        EXPECT_EQ(nms::gpu::node_steps_per_launch(P, {}, 64), K + 1);
        const auto inst = run_host<M, C, scheme::rk4, double, true>(c, {}, 1, 1);
        const auto ok = run_host<M, C, scheme::rk4, double, true>(c, {}, 1, 1, true, K);
        const auto bad = run_host<M, C, scheme::rk4, double, true>(c, {}, 1, 1, true, K + 1);
        EXPECT_EQ(ok.x, inst.x);
        EXPECT_NE(bad.x, inst.x);
    }
    for (int i = 0; i < 9; ++i) b.speed_per_instance.push_back(0.8 + 0.7 * i);
    expect_matches_cpu<M, C, scheme::rk4, double, true>(b, 1e-12, "g2d rk4 interpolate per-instance delays");
    b.method = scheme::heun;
    b.params["noise.V"] = nms::field::scalar(1e-2);
    expect_matches_cpu<M, C, scheme::heun, double, true>(b, 1e-12, "g2d heun interpolate per-instance");
    b.speed_per_instance.clear();
    b.net.tract_lengths[1] = 0.01; // node 1 -> node 0: zero delay at 2 mm/ms
    b.net.weights[1] = 0.5;
    expect_matches_cpu<M, C, scheme::heun, double, true>(b, 1e-12, "g2d heun interpolate zero delay");
    b.method = scheme::rk4;
    b.params.erase("noise.V");
    expect_matches_cpu<M, C, scheme::rk4, double, true>(b, 1e-12, "g2d rk4 interpolate zero delay");
    // Interpolate changes the result (the comparison can fail).
    nms::batch hold = b;
    hold.delayed = nms::delayed_coupling::hold;
    const auto h = nms::run_cpu<double>(hold), i = nms::run_cpu<double>(b);
    double d = 0;
    for (std::size_t k = 0; k < h.final_state.size(); ++k)
        d = std::max(d, std::abs(h.final_state[k] - i.final_state[k]));
    EXPECT_GT(d, 1e-9);
}

// Stimuli (waveform.hpp) as the kernels compute them from the step index:
// a biphasic pulse train on the coupling input with a per-instance
// frequency, a sine on a derivative over some nodes, a noise burst and a
// piecewise ramp of a parameter, every scheme, hold and interpolate.
TEST(gpu_kernels_on_host, stimuli_match_cpu) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    nms::batch b = make_batch("jansen_rit", "sigmoidal_jansen_rit", 11);
    nms::stimulus train;
    train.name = "dbs";
    train.target = "coupling_input";
    train.props[nms::wp_amplitude] = 40;
    train.props[nms::wp_width] = 0.3;
    train.props[nms::wp_biphasic] = 1;
    train.props[nms::wp_ratio] = 2;
    train.props[nms::wp_onset] = 1.2;
    std::vector<double> f(11);
    for (int i = 0; i < 11; ++i) f[std::size_t(i)] = 60 + 17.3 * i;
    b.params["stimulus.dbs.frequency"] = nms::field::per_instance(f);
    nms::stimulus sine;
    sine.name = "tacs";
    sine.kind = nms::wave::sine;
    sine.target = "y4";
    sine.props[nms::wp_frequency] = 10;
    sine.props[nms::wp_amplitude] = 500;
    sine.props[nms::wp_ramp] = 3;
    sine.weight.assign(8, 0.0);
    sine.weight[2] = 1;
    sine.weight[5] = -0.5;
    nms::stimulus burst;
    burst.name = "burst";
    burst.kind = nms::wave::noise;
    burst.target = "y1";
    burst.props[nms::wp_amplitude] = 0.1;
    burst.props[nms::wp_onset] = 2;
    burst.props[nms::wp_stop] = 6;
    nms::stimulus ramp;
    ramp.name = "ramp";
    ramp.kind = nms::wave::piecewise;
    ramp.target = "model.mu";
    ramp.knot_t = {0, 5, 10};
    ramp.knot_v = {0, 0.2, 0};
    b.stimuli = {train, sine, burst, ramp};
    expect_matches_cpu<M, C, scheme::heun, double>(b, 1e-12, "stimuli heun double");
    expect_matches_cpu<M, C, scheme::heun, float>(b, 1e-4, "stimuli heun float");
    b.method = scheme::euler;
    expect_matches_cpu<M, C, scheme::euler, double>(b, 1e-12, "stimuli euler double");
    b.method = scheme::rk4;
    expect_matches_cpu<M, C, scheme::rk4, double>(b, 1e-12, "stimuli rk4 double");
    b.delayed = nms::delayed_coupling::interpolate;
    expect_matches_cpu<M, C, scheme::rk4, double, true>(b, 1e-12, "stimuli rk4 interpolate");
    // The stimuli change the result (the comparison can fail).
    nms::batch none = b;
    none.stimuli.clear();
    none.params.erase("stimulus.dbs.frequency");
    const auto with = nms::run_cpu<double>(b), without = nms::run_cpu<double>(none);
    double d = 0;
    for (std::size_t k = 0; k < with.final_state.size(); ++k)
        d = std::max(d, std::abs(with.final_state[k] - without.final_state[k]));
    EXPECT_GT(d, 1e-3);
}

TEST(gpu_kernels_on_host, epileptor_and_divergence) {
    using M = nms::models::epileptor;
    using C = nms::coupling::difference<M::n_cvar>;
    nms::batch b = make_batch("epileptor", "difference", 5);
    std::vector<double> x0(8);
    for (int q = 0; q < 8; ++q) x0[q] = -2.4 + 0.1 * q;
    b.params["model.x0"] = nms::field::per_node(x0);
    expect_matches_cpu<M, C, scheme::heun, double>(b, 1e-10, "epileptor per-node x0");

    using L = nms::models::linear;
    using CL = nms::coupling::linear<1>;
    nms::batch d = make_batch("linear", "linear", 3);
    d.initial.clear();
    d.initial["x"] = nms::field::scalar(1.0);
    d.params["model.gamma"] = nms::field::per_instance({-1.0, 200.0, -0.5});
    d.dt = 0.1;
    d.n_steps = 400;
    const auto host = run_host<L, CL, scheme::heun, float>(d, {}, 1, 1);
    EXPECT_EQ(host.div[0], -1);
    EXPECT_GT(host.div[1], 0);
    EXPECT_EQ(host.div[2], -1);
    EXPECT_EQ(host.div, nms::run_cpu<float>(d).diverged_step);
    const auto node_div = run_host<L, CL, scheme::heun, float>(d, {}, 1, 1, true).div;
    EXPECT_EQ(node_div, host.div);
}

// Observation samples written by launches of a few sampling periods each
// equal the observable of the CPU backend's state at the same steps.
struct recorder final : nms::observer<double> {
    std::vector<std::vector<double>> coefs;
    std::vector<std::vector<double>> at; // per sample: [projection][node][instance]
    std::size_t n = 0;
    std::mutex mu; // blocks are observed from several threads
    void observe(const nms::block_state<double>& s) override {
        std::lock_guard<std::mutex> lock(mu);
        const std::size_t k = std::size_t(s.step / every - 1);
        const std::size_t nn = std::size_t(s.n_nodes);
        if (at.size() <= k) at.resize(k + 1, std::vector<double>(coefs.size() * nn * n, 0.0));
        for (std::size_t p = 0; p < coefs.size(); ++p) {
            const auto& coef = coefs[p];
            for (int l = 0; l < s.n_valid; ++l)
                for (int q = 0; q < s.n_nodes; ++q) {
                    double o = 0;
                    for (int v = 0; v < s.n_state; ++v) {
                        const double x = s.at(v, q, l);
                        o += coef[v] * x;
                        if (coef.size() > std::size_t(s.n_state))
                            o += coef[s.n_state + v] * std::sin(x) + coef[2 * s.n_state + v] * std::cos(x);
                    }
                    at[k][(p * nn + std::size_t(q)) * n + s.inst0 + l] = o;
                }
        }
    }
};

TEST(gpu_kernels_on_host, observation_chunks_match_cpu_observer) {
    using M = nms::models::kuramoto;
    using C = nms::coupling::kuramoto<1>;
    nms::batch b = make_batch("kuramoto", "kuramoto", 19);
    b.params["noise.theta"] = nms::field::scalar(0.05);
    recorder rec;
    rec.coefs = {{0.5, 1.0, -2.0}, {0.0, 0.0, 1.0}}; // two observables: 0.5 theta + sin - 2 cos, and cos
    rec.every = 4;
    rec.n = 19;
    nms::run_cpu<double>(b, {}, &rec);
    for (bool by_node : {false, true}) {
        // 7 samples per launch
        const auto host = run_host<M, C, scheme::heun, double>(b, rec.coefs, 4, 7, by_node);
        const std::size_t per = 2 * 8 * 19;
        ASSERT_EQ(host.obs.size(), rec.at.size() * per);
        ASSERT_EQ(rec.at.size(), std::size_t(203 / 4));
        for (std::size_t k = 0; k < rec.at.size(); ++k)
            for (std::size_t j = 0; j < per; ++j)
                ASSERT_NEAR(host.obs[k * per + j], rec.at[k][j], 1e-9 * (1 + std::abs(rec.at[k][j])))
                    << (by_node ? "node" : "instance") << " mapping, sample " << k << " " << j;
    }
}

// Runs batch b through the kernels with the device reductions that dev_obs
// asks for, in launches as run_range makes them (two of them, and the
// segment ends), and hands them to dev_obs: the device's own set-up,
// per-sample schedule and hand-over (kernels/device_analyses.hpp) with the
// host executor: one loop iteration per GPU thread, FFTW standing in for
// cuFFT with the same strided layouts.
template <class M, class C, nms::scheme S>
void reduce_on_device(const nms::batch& b, nms::sweep_observer<double>& dev_obs, bool by_node) {
    using T = double;
    const nms::prepared P = nms::prepare(b);
    const int nn = int(P.n_nodes), n = int(P.n_instances);
    std::vector<int> node_slot;
    const int nnp = nms::gpu::node_param_slots(P, node_slot);
    auto h = nms::gpu::make_tables<T>(P, b, 0, std::size_t(n), node_slot, nnp);
    std::vector<T> x = h.x0, ring(std::size_t(P.ring_len) * C::n_channels * nn * n);
    std::vector<long> div(std::size_t(n), -1);
    nms::gpu::args_for<M, C, T> a;
    nms::gpu::set_args<M, C, T>(a, P, b, 0, std::size_t(n), node_slot, dev_obs.projections());
    point_args<M, C, T>(a, P, h, x.data(), nullptr, ring.data(), div.data()); // (double: no compensation)
    nms::host_executor<double> ex;
    nms::gpu::device_analyses<T, nms::host_executor<double>> dev(ex, dev_obs, 0, nn, n, a.n_proj, by_node);
    dev.attach(a);
    std::function<void(long)> after_sample;
    if (dev.per_sample()) after_sample = [&](long tb) { dev.after_sample(a, tb); };
    for (int i = 0; i < n; ++i) nms::gpu::init_instance<M, C, T>(a, h.h0.data(), i);
    std::vector<std::pair<long, long>> stops = dev.segment_stops(b.n_steps); // (step, sample) or -1
    stops.push_back({b.n_steps / 2, -1});
    std::sort(stops.begin(), stops.end());
    long t = 0;
    for (const auto& [at, smp] : stops) {
        advance<M, C, S, T>(a, P, h.dinst, t, at, false, by_node, 0, after_sample);
        t = at;
        if (smp >= 0) dev.welch_segment(smp);
    }
    advance<M, C, S, T>(a, P, h.dinst, t, b.n_steps, false, by_node, 0, after_sample);
    dev.hand_over(b.n_steps);
}

// The params of the schedule analysis Tag among requests r (false: none).
template <class Tag> bool find_schedule(const std::vector<nms::device_request>& r, typename Tag::params& p) {
    for (const auto& q : r)
        if (!q.unit && q.id == nms::unit_index<Tag>(nms::analysis_schedules{})) {
            p = nms::params_from<typename Tag::params>(q.params);
            return true;
        }
    return false;
}
std::size_t n_units(const std::vector<nms::device_request>& r) {
    return std::size_t(std::count_if(r.begin(), r.end(), [](const auto& q) { return q.unit; }));
}

// Every output of reducer `got` equals `ref`'s (1e-9 relative; codes exactly).
void expect_same_outputs(const nms::reducer& ref, const nms::reducer& got, std::size_t n,
                         const std::string& what) {
    const auto outs = ref.outputs();
    for (std::size_t k = 0; k < outs.size(); ++k) {
        std::size_t m = 1;
        for (auto e : outs[k].extra_sizes) m *= e;
        std::vector<double> r(m), g(m);
        for (std::size_t i = 0; i < n; ++i) {
            ref.result(k, i, r.data());
            got.result(k, i, g.data());
            for (std::size_t j = 0; j < m; ++j) {
                if (std::isnan(r[j])) {
                    ASSERT_TRUE(std::isnan(g[j])) << what << " " << outs[k].name << " instance " << i;
                    continue;
                }
                ASSERT_NEAR(g[j], r[j], 1e-9 * (1 + std::abs(r[j])))
                    << what << " " << outs[k].name << " instance " << i << " [" << j << "]";
            }
        }
    }
}

// Moments accumulated by the kernels (the device path of moments-only
// sweeps) equal the host moments reducer fed by the CPU backend.
TEST(gpu_kernels_on_host, device_moments_match_host_reducer) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    nms::batch b = make_batch("jansen_rit", "sigmoidal_jansen_rit", 13);
    b.params["noise.y4"] = nms::field::scalar(1e-2);
    b.n_steps = 301;
    const std::vector<std::string> feats{"mean", "std", "min", "max"};
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 52, every = 5;

    auto ref = nms::make_moments_reducer(feats, "");
    ref->reset(13, 8);
    nms::sweep_observer<double> cpu_obs(coef, transient, every, {ref.get()}, 0);
    ASSERT_TRUE(cpu_obs.device_reducible());
    ASSERT_EQ((cpu_obs.first_needed_step() + every - 1) / every * every, 55);
    nms::run_cpu<double>(b, {}, &cpu_obs);
    ASSERT_EQ(ref->outputs().size(), 8u);
    // Both mappings (the node mapping sums the node mean in its own kernel).
    for (bool by_node : {false, true}) {
        auto got = nms::make_moments_reducer(feats, "");
        got->reset(13, 8);
        nms::sweep_observer<double> dev_obs(coef, transient, every, {got.get()}, 0);
        reduce_on_device<M, C, scheme::heun>(b, dev_obs, by_node);
        expect_same_outputs(*ref, *got, 13, by_node ? "node mapping" : "instance mapping");
    }
}

// Analysis units (here line length, with the moments) updated by the
// stepping kernels at every sample equal the host unit reducer fed by the
// CPU backend, per node and of the node mean, in both mappings.
TEST(gpu_kernels_on_host, device_units_match_host_unit_reducer) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    const std::size_t n = 11;
    nms::batch b = make_batch("jansen_rit", "sigmoidal_jansen_rit", n);
    b.params["noise.y4"] = nms::field::scalar(1e-2);
    b.n_steps = 2001;
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 300, every = 3;
    const nms::sampling smp = sampling_of(b, transient, every);
    auto make = [&](std::unique_ptr<nms::reducer>& u, std::unique_ptr<nms::reducer>& m) {
        u = std::make_unique<nms::unit_reducer<nms::line_length>>(std::vector<std::string>{"line_length"},
                                                                  smp, "mV");
        m = nms::make_moments_reducer({"std"}, "");
        u->reset(n, 8);
        m->reset(n, 8);
    };
    std::unique_ptr<nms::reducer> ref_u, ref_m;
    make(ref_u, ref_m);
    nms::sweep_observer<double> cpu_obs(coef, transient, every, {ref_m.get(), ref_u.get()}, 0);
    ASSERT_TRUE(cpu_obs.device_reducible());
    ASSERT_EQ(n_units(cpu_obs.device_requests()), 2u); // the moments are a unit too
    nms::run_cpu<double>(b, {}, &cpu_obs);
    ASSERT_EQ(ref_u->outputs().size(), 2u);
    double L[8];
    ref_u->result(0, 0, L);
    EXPECT_GT(L[0], 0.0); // the signal moves: the comparison below means something
    for (bool by_node : {false, true}) {
        std::unique_ptr<nms::reducer> got_u, got_m;
        make(got_u, got_m);
        nms::sweep_observer<double> dev_obs(coef, transient, every, {got_m.get(), got_u.get()}, 0);
        reduce_on_device<M, C, scheme::heun>(b, dev_obs, by_node);
        expect_same_outputs(*ref_u, *got_u, n, by_node ? "node mapping" : "instance mapping");
        expect_same_outputs(*ref_m, *got_m, n, by_node ? "node mapping" : "instance mapping");
    }
}

// Seizure detection's states updated by the kernels equal the host
// reducer's (onsets, offsets, counts, ranks), in both mappings: Jansen-Rit
// with noise crosses thresholds set around its level many times.
TEST(gpu_kernels_on_host, device_seizure_matches_host_reducer) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    const std::size_t n = 9;
    nms::batch b = make_batch("jansen_rit", "sigmoidal_jansen_rit", n);
    b.params["noise.y4"] = nms::field::scalar(5e-2);
    b.n_steps = 3001;
    std::vector<double> mu(n);
    for (std::size_t i = 0; i < n; ++i) mu[i] = 0.02 + 0.03 * double(i);
    b.params["model.mu"] = nms::field::per_instance(mu);
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 200, every = 2;
    const nms::sampling smp = sampling_of(b, transient, every);
    nms::seizure_options o;
    o.measure = "line_length";
    o.window_ms = 5.0;
    o.on = 400.0;
    o.off = 200.0;
    auto make = [&] {
        auto r = nms::make_seizure_reducer(o, smp);
        r->reset(n, 8);
        return r;
    };
    auto ref = make();
    nms::sweep_observer<double> cpu_obs(coef, transient, every, {ref.get()}, 0);
    ASSERT_TRUE(cpu_obs.device_reducible());
    nms::run_cpu<double>(b, {}, &cpu_obs);
    double count[8], total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        ref->result(2, i, count);
        for (double c : count) total += c;
    }
    EXPECT_GT(total, 20.0); // seizures begin and end: the comparison below means something
    for (bool by_node : {false, true}) {
        auto got = make();
        nms::sweep_observer<double> dev_obs(coef, transient, every, {got.get()}, 0);
        reduce_on_device<M, C, scheme::heun>(b, dev_obs, by_node);
        expect_same_outputs(*ref, *got, n, by_node ? "node mapping" : "instance mapping");
    }
}

// The attractor classification's cycle states updated by the kernels (the
// device path of bifurcation sweeps: moments + attractor) give the host
// reducer's classes, amplitudes and frequencies, per node and of the node
// mean, in both mappings.
TEST(gpu_kernels_on_host, device_cycles_match_host_attractor) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    const std::size_t n = 12;
    nms::batch b = make_batch("jansen_rit", "sigmoidal_jansen_rit", n);
    b.dt = 0.1;
    b.n_steps = 10000; // 1 s: ~10 alpha cycles
    std::vector<double> mu(n);
    for (std::size_t i = 0; i < n; ++i) mu[i] = 0.03 * double(i); // across JR's Hopf points
    b.params["model.mu"] = nms::field::per_instance(mu);
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 2000, every = 4;
    const nms::sampling smp = sampling_of(b, transient, every);
    nms::attractor_options ao;
    ao.per_node = true;
    const std::vector<std::string> feats{"mean", "max"};

    auto ref_a = nms::make_attractor_reducer(ao, smp, "mV"), ref_m = nms::make_moments_reducer(feats, "");
    ref_a->reset(n, 8);
    ref_m->reset(n, 8);
    nms::sweep_observer<double> cpu_obs(coef, transient, every, {ref_m.get(), ref_a.get()}, 0);
    ASSERT_TRUE(cpu_obs.device_reducible());
    nms::run_cpu<double>(b, {}, &cpu_obs);
    // The check means something only if the batch spans several classes.
    std::set<double> classes;
    for (std::size_t i = 0; i < n; ++i) {
        double c;
        ref_a->result(0, i, &c);
        classes.insert(c);
    }
    ASSERT_GE(classes.size(), 2u) << "the mu range should cross a bifurcation";
    ASSERT_TRUE(classes.count(double(nms::periodic)));

    for (bool by_node : {false, true}) {
        auto got_a = nms::make_attractor_reducer(ao, smp, "mV"), got_m = nms::make_moments_reducer(feats, "");
        got_a->reset(n, 8);
        got_m->reset(n, 8);
        nms::sweep_observer<double> dev_obs(coef, transient, every, {got_m.get(), got_a.get()}, 0);
        reduce_on_device<M, C, scheme::heun>(b, dev_obs, by_node);
        const std::string what = by_node ? "node mapping" : "instance mapping";
        expect_same_outputs(*ref_a, *got_a, n, what);
        expect_same_outputs(*ref_m, *got_m, n, what);
    }
}

// Jansen-Rit, dt 0.1 ms, noise on y4, sampled every `every` steps after
// `transient` steps (the sampling the reducers are made with in smp).
nms::batch sampled_jr(std::size_t n, long steps, double noise, long transient, long every,
                      nms::sampling& smp) {
    nms::batch b = make_batch("jansen_rit", "sigmoidal_jansen_rit", n);
    b.dt = 0.1;
    b.n_steps = steps;
    b.params["noise.y4"] = nms::field::scalar(noise);
    smp = sampling_of(b, transient, every);
    return b;
}

// Welch spectra on the device (ring of samples, prepare, strided batched
// FFT, periodogram sums; FFTW standing in for cuFFT) give the host spectra
// reducer's PSDs, peaks and band powers, per node and of the node mean,
// with moments and the attractor classification in the same run, in both
// mappings; segment lengths a power of two and not.
TEST(gpu_kernels_on_host, device_spectra_match_host_welch) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    const std::size_t n = 7;
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 201, every = 4;
    nms::sampling smp;
    const nms::batch b = sampled_jr(n, 3001, 2e-2, transient, every, smp);
    for (auto [nperseg, noverlap, window] : {std::tuple{64L, 32L, "hann"}, std::tuple{50L, 10L, "boxcar"}}) {
        nms::spectra_options so;
        so.nperseg = nperseg;
        so.noverlap = noverlap;
        so.window = window;
        const std::vector<std::string> sf{"psd", "peak_freq", "peak_power", "band_power"}, mf{"mean", "std"};
        auto ref_s = nms::make_spectra_reducer(sf, so, smp, "mV");
        auto ref_m = nms::make_moments_reducer(mf, "");
        auto ref_a = nms::make_attractor_reducer({}, smp, "mV");
        for (auto* r : {ref_s.get(), ref_m.get(), ref_a.get()}) r->reset(n, 8);
        nms::sweep_observer<double> cpu_obs(coef, transient, every, {ref_m.get(), ref_s.get(), ref_a.get()},
                                            0);
        ASSERT_TRUE(cpu_obs.device_reducible());
        nms::run_cpu<double>(b, {}, &cpu_obs);
        for (bool by_node : {false, true}) {
            auto got_s = nms::make_spectra_reducer(sf, so, smp, "mV");
            auto got_m = nms::make_moments_reducer(mf, "");
            auto got_a = nms::make_attractor_reducer({}, smp, "mV");
            got_s->set_results_only(true); // no ring of samples on the host: the device's sums suffice
            for (auto* r : {got_s.get(), got_m.get(), got_a.get()}) r->reset(n, 8);
            nms::sweep_observer<double> dev_obs(coef, transient, every,
                                                {got_m.get(), got_s.get(), got_a.get()}, 0);
            reduce_on_device<M, C, scheme::heun>(b, dev_obs, by_node);
            const std::string what =
                std::string(by_node ? "node" : "instance") + " mapping, nperseg " + std::to_string(nperseg);
            expect_same_outputs(*ref_s, *got_s, n, what);
            expect_same_outputs(*ref_m, *got_m, n, what);
            expect_same_outputs(*ref_a, *got_a, n, what);
        }
        // The spectra are not trivially equal: some bin is well above zero.
        double top = 0, v[64];
        const auto outs = ref_s->outputs();
        ASSERT_EQ(outs[1].name, "spectra/network_psd");
        ref_s->result(1, 0, v);
        for (std::size_t k = 0; k < outs[1].extra_sizes[0]; ++k) top = std::max(top, v[k]);
        EXPECT_GT(top, 1e-6);
    }
}

// Functional connectivity on the device (co-moments after every sample,
// fc_steps.hpp) gives the host FC reducer's FC and its fit to an empirical
// FC, with moments and spectra in the same run, in both mappings.
TEST(gpu_kernels_on_host, device_fc_matches_host_fc) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    const std::size_t n = 9;
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 101, every = 3;
    nms::sampling smp;
    nms::batch b = sampled_jr(n, 2001, 5e-2, transient, every, smp);
    std::vector<double> ca(n);
    for (std::size_t i = 0; i < n; ++i) ca[i] = 0.5 * double(i);
    b.params["coupling.a"] = nms::field::per_instance(ca);
    nms::fc_options fo;
    fo.empirical = "synthetic";
    for (int p = 0; p < 8; ++p)
        for (int q = 0; q < 8; ++q)
            fo.empirical_fc.push_back(p == q ? 1.0 : 0.3 + 0.05 * double((p + q) % 5));
    nms::spectra_options so;
    so.nperseg = 128;
    // With FCD: windows of 60 samples every 20 (three open at once), the
    // FCD matrix kept.
    fo.fcd_window_ms = 60 * smp.dt_ms;
    fo.fcd_step_ms = 20 * smp.dt_ms;
    fo.fcd_matrix = true;
    for (const std::vector<std::string>& feats :
         {std::vector<std::string>{"fc"}, std::vector<std::string>{"fc", "fcd"}}) {
        // (on the device side, results_only: no open windows on the host)
        auto make = [&](std::vector<std::unique_ptr<nms::reducer>>& r, bool dev) {
            r.clear();
            r.push_back(nms::make_fc_reducer(feats, fo, smp));
            r.push_back(nms::make_moments_reducer({"mean", "std"}, ""));
            r.push_back(nms::make_spectra_reducer({"peak_freq"}, so, smp, "mV"));
            for (auto& x : r) {
                x->set_results_only(dev);
                x->reset(n, 8);
            }
            return std::vector<nms::reducer*>{r[0].get(), r[1].get(), r[2].get()};
        };
        std::vector<std::unique_ptr<nms::reducer>> ref, got;
        nms::sweep_observer<double> cpu_obs(coef, transient, every, make(ref, false), 0);
        ASSERT_TRUE(cpu_obs.device_reducible());
        nms::fc_params fp;
        ASSERT_TRUE(find_schedule<nms::fc_analysis>(cpu_obs.device_requests(), fp));
        ASSERT_EQ(fp.fcd, feats.size() == 2);
        if (fp.fcd) {
            ASSERT_EQ(fp.slots, 3);
            ASSERT_GE(fp.n_windows, 20);
        }
        nms::run_cpu<double>(b, {}, &cpu_obs);
        for (bool by_node : {false, true}) {
            nms::sweep_observer<double> dev_obs(coef, transient, every, make(got, true), 0);
            reduce_on_device<M, C, scheme::heun>(b, dev_obs, by_node);
            for (std::size_t k = 0; k < ref.size(); ++k)
                expect_same_outputs(*ref[k], *got[k], n, by_node ? "node mapping" : "instance mapping");
        }
        // Not trivially equal: the FC has off-diagonal entries well away from 0 and 1.
        double fc[64];
        ref[0]->result(0, n - 1, fc);
        double spread = 0;
        for (int k = 1; k < 8; ++k) spread = std::max(spread, std::abs(fc[k]));
        EXPECT_GT(spread, 0.05);
        EXPECT_LT(spread, 0.999);
        if (fp.fcd) { // the windows' FCs differ: FCD entries spread below 1
            const auto outs = ref[0]->outputs();
            ASSERT_EQ(outs[2].name, "features/fcd_var");
            double var;
            ref[0]->result(2, n - 1, &var);
            EXPECT_GT(var, 1e-4);
        }
    }
}

// BOLD on the device (balloon per node and instance after every sample,
// co-moments of the BOLD samples, kept samples; bold_kernels.hpp) gives the
// host BOLD reducer's FC, fit and time series, with moments and FC in the same
// run, in both mappings: inputs averaged in pairs (m = 2) with RK4, swept
// constants and TR off the input grid (interpolated samples); and inputs
// stepped in thirds (n_sub = 3) with Heun, TR on the grid, samples kept.
TEST(gpu_kernels_on_host, device_bold_matches_host_bold) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    const std::size_t n = 6;
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 101, every = 5;             // samples 0.5 ms apart
    nms::sampling smp;
    nms::batch b = sampled_jr(n, 12001, 5e-2, transient, every, smp);
    std::vector<double> ca(n);
    for (std::size_t i = 0; i < n; ++i) ca[i] = 0.4 * double(i);
    b.params["coupling.a"] = nms::field::per_instance(ca);
    struct config {
        double dt_ms, tr_ms;
        const char* method;
        bool swept, keep;
        long m, n_sub;
    };
    for (const config& cf :
         {config{1.0, 37.3, "rk4", true, false, 2, 1}, config{0.2, 20.0, "heun", false, true, 1, 3}}) {
        nms::observe::bold_options bo;
        bo.dt_ms = cf.dt_ms;
        bo.tr_ms = cf.tr_ms;
        bo.method = cf.method;
        bo.transient_ms = 90.0;
        bo.input_gain = 0.2;
        bo.input_offset = -0.5;
        bo.keep_timeseries = cf.keep;
        bo.n_samples = smp.n_samples;
        for (int p = 0; p < 8; ++p)
            for (int q = 0; q < 8; ++q)
                bo.empirical_fc.push_back(p == q ? 1.0 : 0.2 + 0.1 * double((p * q) % 4));
        const auto grid = nms::observe::make_bold_grid(bo, smp.dt_ms);
        ASSERT_EQ(grid.m, cf.m);
        ASSERT_EQ(grid.n_sub, cf.n_sub);
        std::vector<nms::observe::bold_constants> per;
        for (std::size_t i = 0; i < n; ++i)
            per.push_back(nms::observe::resolve_bold_constants(
                "friston2003", {{"kappa", 0.5 + 0.1 * double(i)}, {"tau", 0.7 + 0.05 * double(i)}}));
        nms::fc_options fo;
        auto make = [&](std::vector<std::unique_ptr<nms::reducer>>& r) {
            r.clear();
            r.push_back(nms::observe::make_bold_reducer(bo, smp.dt_ms, 8));
            r.push_back(nms::make_moments_reducer({"mean", "std"}, ""));
            r.push_back(nms::make_fc_reducer({"fc"}, fo, smp));
            for (auto& x : r) x->reset(n, 8);
            if (cf.swept) nms::observe::set_bold_instance_constants(*r[0], per);
            return std::vector<nms::reducer*>{r[0].get(), r[1].get(), r[2].get()};
        };
        // The Heun case drives BOLD with another observable (y0, an observer
        // channel: computed from the state on the device).
        const bool channel = !cf.swept;
        const std::vector<double> drive{1, 0, 0, 0, 0, 0};
        auto observer = [&](std::vector<std::unique_ptr<nms::reducer>>& r) {
            auto all = make(r);
            if (!channel)
                return std::make_unique<nms::sweep_observer<double>>(coef, transient, every, all, 0);
            auto o = std::make_unique<nms::sweep_observer<double>>(
                coef, transient, every, std::vector<nms::reducer*>{all[1], all[2]}, 0);
            o->add_channel(drive, {all[0]});
            return o;
        };
        std::vector<std::unique_ptr<nms::reducer>> ref, got;
        auto cpu_obs = observer(ref);
        nms::bold_params bp;
        ASSERT_TRUE(cpu_obs->device_reducible());
        ASSERT_TRUE(cpu_obs->device_bold(bp));
        ASSERT_EQ(bp.source, channel ? 1 : 0);
        ASSERT_EQ(bp.per_instance.size(), cf.swept ? n : 0u);
        nms::run_cpu<double>(b, {}, cpu_obs.get());
        for (bool by_node : {false, true}) {
            auto dev_obs = observer(got);
            reduce_on_device<M, C, scheme::heun>(b, *dev_obs, by_node);
            const std::string what = std::string(by_node ? "node" : "instance") + " mapping, " + cf.method;
            for (std::size_t k = 0; k < ref.size(); ++k) expect_same_outputs(*ref[k], *got[k], n, what);
        }
        // Not trivially equal: the BOLD FC has off-diagonal entries well away
        // from 0 and 1, from enough BOLD samples; the kept series moves.
        const auto outs = ref[0]->outputs();
        ASSERT_EQ(outs[0].name, "bold/fc");
        ASSERT_EQ(outs.size(), cf.keep ? 3u : 2u);
        ASSERT_GE(nms::observe::bold_sample_count(bo, smp.dt_ms, smp.n_samples), 25);
        double fc[64];
        ref[0]->result(0, n - 1, fc);
        double lo = 1, hi = 0;
        for (int k = 1; k < 8; ++k) {
            lo = std::min(lo, std::abs(fc[k]));
            hi = std::max(hi, std::abs(fc[k]));
        }
        EXPECT_GT(hi, 0.05) << cf.method;
        EXPECT_LT(lo, 0.999) << cf.method;
        if (cf.keep) {
            std::vector<double> ts(outs[2].extra_sizes[0] * 8);
            ref[0]->result(2, 0, ts.data());
            EXPECT_GT(std::abs(ts[8 * 40] - ts[8 * 10]), 1e-6);
        }
    }
}

// The Kuramoto order parameter of a phase model (the observable is the
// phase) on the device gives the host synchrony reducer's time mean,
// metastability and PLV, in both mappings.
TEST(gpu_kernels_on_host, device_order_parameter_matches_host_synchrony) {
    using M = nms::models::kuramoto;
    using C = nms::coupling::kuramoto<1>;
    const std::size_t n = 11;
    nms::batch b = make_batch("kuramoto", "kuramoto", n);
    b.n_steps = 1501;
    b.params["noise.theta"] = nms::field::scalar(0.02);
    std::vector<double> ca(n);
    for (std::size_t i = 0; i < n; ++i) ca[i] = 0.1 * double(i);
    b.params["coupling.a"] = nms::field::per_instance(ca);
    const std::vector<double> coef{1.0}; // theta
    const long transient = 301, every = 2;
    const nms::sampling smp = sampling_of(b, transient, every);
    for (const std::vector<std::string>& feats :
         {std::vector<std::string>{"kuramoto_r", "metastability"},
          std::vector<std::string>{"kuramoto_r", "metastability", "plv"}}) {
        auto ref = nms::make_synchrony_reducer(feats, {}, true, smp);
        ref->reset(n, 8);
        nms::sweep_observer<double> cpu_obs(coef, transient, every, {ref.get()}, 0);
        ASSERT_TRUE(cpu_obs.device_reducible());
        nms::run_cpu<double>(b, {}, &cpu_obs);
        for (bool by_node : {false, true}) {
            auto got = nms::make_synchrony_reducer(feats, {}, true, smp);
            got->reset(n, 8);
            nms::sweep_observer<double> dev_obs(coef, transient, every, {got.get()}, 0);
            reduce_on_device<M, C, scheme::heun>(b, dev_obs, by_node);
            expect_same_outputs(*ref, *got, n, by_node ? "node mapping" : "instance mapping");
        }
        // R spans a range over the coupling strengths: the comparison means something.
        double r0, r1;
        ref->result(0, 0, &r0);
        ref->result(0, n - 1, &r1);
        EXPECT_GT(std::abs(r1 - r0), 0.05) << r0 << " " << r1;
        if (feats.size() == 3) { // PLV entries spread between 0 and 1
            double plv[64], lo = 1, hi = 0;
            ref->result(2, n / 2, plv);
            for (int k = 1; k < 8; ++k) {
                lo = std::min(lo, plv[k]);
                hi = std::max(hi, plv[k]);
            }
            EXPECT_GT(hi - lo, 0.02) << lo << " " << hi;
        }
    }
}

// Hilbert phases on the device (ring of samples, strided batched R2C FFT,
// band mask, inverse C2C, middle halves; FFTW standing in for cuFFT) give
// the host synchrony reducer's R, metastability and PLV of a Jansen-Rit
// network, with moments in the same run, in both mappings; an even segment
// whose band reaches the Nyquist bin, and an odd one.
TEST(gpu_kernels_on_host, device_hilbert_synchrony_matches_host) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    const std::size_t n = 7;
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 1001, every = 10;           // fs = 1 kHz
    nms::sampling smp;
    nms::batch b = sampled_jr(n, 12001, 5e-2, transient, every, smp);
    std::vector<double> ca(n);
    for (std::size_t i = 0; i < n; ++i) ca[i] = 0.8 * double(i);
    b.params["coupling.a"] = nms::field::per_instance(ca);
    const std::vector<std::string> feats{"kuramoto_r", "metastability", "plv"};
    for (auto [segment, lo, hi] : {std::tuple{100L, 4.0, 500.0}, std::tuple{75L, 8.0, 40.0}}) {
        nms::synchrony_options so;
        so.phase = "hilbert";
        so.segment = segment;
        so.band_lo = lo;
        so.band_hi = hi;
        // (on the device side, results_only: no ring of samples on the host)
        auto make = [&](std::vector<std::unique_ptr<nms::reducer>>& r, bool dev) {
            r.clear();
            r.push_back(nms::make_synchrony_reducer(feats, so, false, smp));
            r.push_back(nms::make_moments_reducer({"mean", "std"}, ""));
            for (auto& x : r) {
                x->set_results_only(dev);
                x->reset(n, 8);
            }
            return std::vector<nms::reducer*>{r[0].get(), r[1].get()};
        };
        std::vector<std::unique_ptr<nms::reducer>> ref, got;
        nms::sweep_observer<double> cpu_obs(coef, transient, every, make(ref, false), 0);
        nms::synchrony_params yp;
        ASSERT_TRUE(cpu_obs.device_reducible());
        ASSERT_TRUE(find_schedule<nms::synchrony_analysis>(cpu_obs.device_requests(), yp));
        ASSERT_TRUE(yp.hilbert);
        ASSERT_EQ(yp.k1 - 1 == segment / 2, segment == 100) << "the first band should reach the Nyquist bin";
        nms::run_cpu<double>(b, {}, &cpu_obs);
        for (bool by_node : {false, true}) {
            nms::sweep_observer<double> dev_obs(coef, transient, every, make(got, true), 0);
            reduce_on_device<M, C, scheme::heun>(b, dev_obs, by_node);
            const std::string what =
                std::string(by_node ? "node" : "instance") + " mapping, segment " + std::to_string(segment);
            for (std::size_t k = 0; k < ref.size(); ++k) expect_same_outputs(*ref[k], *got[k], n, what);
        }
        double r, plv[64], pl = 1, ph = 0;
        ref[0]->result(0, n - 1, &r);
        EXPECT_GT(r, 0.05);
        EXPECT_LT(r, 0.999);
        ref[0]->result(2, n - 1, plv);
        for (int k = 1; k < 8; ++k) {
            pl = std::min(pl, plv[k]);
            ph = std::max(ph, plv[k]);
        }
        EXPECT_GT(ph - pl, 0.01) << pl << " " << ph;
    }
    // A results-only reducer (what the driver makes when the device reduces)
    // keeps no ring of samples, counts fewer bytes, and refuses samples.
    auto ro = nms::make_synchrony_reducer(feats, {}, false, smp);
    const std::size_t full = ro->bytes_per_instance(8);
    ro->set_results_only(true);
    EXPECT_LT(ro->bytes_per_instance(8), full);
    ro->reset(n, 8);
    std::vector<double> obs(8 * n, 0.0), net(n, 0.0);
    EXPECT_THROW(ro->accumulate({1, 0, int(n), int(n), 8, obs.data(), net.data()}), std::logic_error);
}

// Sensor modalities on the device (signals projected from the node values
// with measurement noise keyed as the host keys it, their mean, and the
// sensor-space moments, Welch spectra, FC + FCD and Hilbert synchrony + PLV
// by the same reductions as the nodes') give the host's projected reducers'
// outputs, two modalities in one run with the nodes' moments, in both
// mappings.
TEST(gpu_kernels_on_host, device_sensors_match_host_projection) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    const std::size_t n = 5;
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 501, every = 10;            // fs = 1 kHz
    nms::sampling smp;
    nms::batch b = sampled_jr(n, 8001, 5e-2, transient, every, smp);
    std::vector<double> ca(n);
    for (std::size_t i = 0; i < n; ++i) ca[i] = 1.0 * double(i);
    b.params["coupling.a"] = nms::field::per_instance(ca);
    nms::observe::gain_matrix G;
    G.n_sensors = 3;
    G.n_regions = 8;
    for (int s = 0; s < 3; ++s)
        for (int r = 0; r < 8; ++r)
            G.values.push_back(s == 1 && r == 4 ? 0.0 : 1.0 / (1.0 + double((s + 2 * r) % 7)));
    nms::spectra_options so;
    so.nperseg = 128;
    nms::synchrony_options yo;
    yo.phase = "hilbert";
    yo.segment = 100;
    yo.band_lo = 5;
    yo.band_hi = 30;
    nms::fc_options fo;
    fo.fcd_window_ms = 150;
    fo.fcd_step_ms = 50;
    auto make = [&](std::vector<std::unique_ptr<nms::reducer>>& r, bool dev) {
        r.clear();
        for (double sigma : {0.0, 20.0}) {
            std::vector<std::unique_ptr<nms::reducer>> parts;
            parts.push_back(nms::make_moments_reducer({"mean", "std", "min", "max"}, ""));
            parts.push_back(nms::make_spectra_reducer({"psd", "peak_freq", "band_power"}, so, smp, ""));
            parts.push_back(nms::make_synchrony_reducer({"kuramoto_r", "plv"}, yo, false, smp));
            parts.push_back(nms::make_fc_reducer({"fc", "fcd"}, fo, smp));
            parts.push_back(std::make_unique<nms::unit_reducer<nms::line_length>>(
                std::vector<std::string>{"line_length"}, smp, ""));
            nms::observe::projection_options po;
            po.group = sigma > 0 ? "sensors/noisy" : "sensors/eeg";
            po.noise.sigma = sigma;
            po.noise.seed = 17;
            auto pr =
                nms::observe::make_projected_reducer(G, nms::make_composite_reducer(std::move(parts)), po);
            pr->set_instance_offset(40); // the global index of the batch's first point keys the noise
            r.push_back(std::move(pr));
        }
        r.push_back(nms::make_moments_reducer({"mean", "std"}, ""));
        std::vector<nms::reducer*> out;
        for (auto& x : r) {
            x->set_results_only(dev);
            x->reset(n, 8);
            out.push_back(x.get());
        }
        return out;
    };
    // The noisy modality observes another observable (y0: an observer
    // channel, computed from the state on the device).
    const std::vector<double> y0{1, 0, 0, 0, 0, 0};
    auto observer = [&](std::vector<std::unique_ptr<nms::reducer>>& r, bool dev) {
        auto all = make(r, dev);
        auto o = std::make_unique<nms::sweep_observer<double>>(coef, transient, every,
                                                               std::vector<nms::reducer*>{all[0], all[2]}, 0);
        o->add_channel(y0, {all[1]});
        return o;
    };
    std::vector<std::unique_ptr<nms::reducer>> ref, got;
    auto cpu_obs_p = observer(ref, false);
    auto& cpu_obs = *cpu_obs_p;
    ASSERT_TRUE(cpu_obs.device_reducible());
    const auto sens = cpu_obs.device_sensors();
    ASSERT_EQ(sens.size(), 2u);
    ASSERT_EQ(sens[1].source, 1);
    nms::spectra_params wp;
    nms::fc_params fp;
    nms::synchrony_params yp;
    ASSERT_EQ(n_units(sens[0].requests), 2u);
    ASSERT_TRUE(find_schedule<nms::welch_analysis>(sens[0].requests, wp) &&
                find_schedule<nms::fc_analysis>(sens[0].requests, fp) && fp.fcd &&
                find_schedule<nms::synchrony_analysis>(sens[0].requests, yp) && yp.hilbert && yp.plv);
    nms::run_cpu<double>(b, {}, &cpu_obs);
    for (bool by_node : {false, true}) {
        auto dev_obs = observer(got, true);
        reduce_on_device<M, C, scheme::heun>(b, *dev_obs, by_node);
        for (std::size_t k = 0; k < ref.size(); ++k)
            expect_same_outputs(*ref[k], *got[k], n, by_node ? "node mapping" : "instance mapping");
    }
    // Not trivially equal: the two modalities see different signals.
    const auto outs = ref[0]->outputs();
    ASSERT_EQ(outs[2].name, "sensors/eeg/std");
    double clean[3], noisy[3];
    ref[0]->result(2, n - 1, clean);
    ref[1]->result(2, n - 1, noisy);
    EXPECT_GT(std::abs(noisy[0] - clean[0]), 1.0);
    // A modality whose parts cannot all go to the device keeps the sweep on the host.
    struct host_reducer final : nms::reducer { // reduces nothing on a device
        void reset(std::size_t, int) override {}
        void accumulate(const nms::obs_block&) override {}
        std::vector<nms::reducer_output> outputs() const override { return {}; }
        void result(std::size_t, std::size_t, double*) const override {}
    };
    std::vector<std::unique_ptr<nms::reducer>> parts;
    parts.push_back(nms::make_moments_reducer({"mean"}, ""));
    parts.push_back(std::make_unique<host_reducer>());
    auto host_only =
        nms::observe::make_projected_reducer(G, nms::make_composite_reducer(std::move(parts)), {});
    host_only->reset(n, 8);
    nms::sweep_observer<double> mixed(coef, transient, every, std::vector<nms::reducer*>{host_only.get()}, 0);
    EXPECT_FALSE(mixed.device_reducible());
}

// The node mapping's launches span several steps (the shortest delay + 1,
// bounded by the ring): the results stay those of the instance mapping when
// each thread runs all its steps of a launch before the next starts, and a
// launch one step longer than allowed is caught by the same comparison.
TEST(gpu_kernels_on_host, node_mapping_launch_length) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    nms::batch b = make_batch("jansen_rit", "sigmoidal_jansen_rit", 6);
    b.params["noise.y4"] = nms::field::scalar(1e-2);
    b.n_steps = 400;
    // 18 mm/ms: the shortest delay bounds a launch; 21 mm/ms: the ring does.
    for (double speed : {18.0, 21.0}) {
        b.speed = speed;
        const nms::prepared P = nms::prepare(b);
        int dmin = P.max_delay;
        for (int d : P.delay) dmin = std::min(dmin, d);
        const long K = nms::gpu::node_steps_per_launch(P, {}, 64);
        const long by_ring = P.ring_len - P.max_delay - 1;
        ASSERT_EQ(K, std::min<long>({dmin + 1L, by_ring, 64L}));
        ASSERT_EQ(K == by_ring, speed == 21.0) << "shortest delay " << dmin << ", ring " << P.ring_len;
        ASSERT_GT(K, 2) << "the test connectome should allow multi-step launches";
        ASSERT_GT(b.n_steps, 2 * P.max_delay);
        const auto ref = run_host<M, C, scheme::heun, double>(b, {}, 1, 1);
        bool caught = false;
        for (bool fwd : {false, true}) {
            forward_order = fwd;
            const auto ok = run_host<M, C, scheme::heun, double>(b, {}, 1, 1, true, K);
            EXPECT_EQ(ok.x, ref.x) << (fwd ? "forward" : "reverse") << " order, speed " << speed;
            // A source of a shortest-delay input that runs after its reader
            // (one of the two orders) hands it a stale slot; a ring write
            // overwrites a longest-delay input before its reader runs.
            caught |= run_host<M, C, scheme::heun, double>(b, {}, 1, 1, true, K + 1).x != ref.x;
        }
        forward_order = false;
        EXPECT_TRUE(caught) << "a launch of " << K + 1 << " steps must go wrong, speed " << speed;
    }
    // With a per-instance speed the shortest delay is that of the fastest instance.
    b.speed = 2.0;
    const nms::prepared P = nms::prepare(b);
    int dmin = P.max_delay;
    for (int d : P.delay) dmin = std::min(dmin, d);
    nms::batch v = b;
    for (std::size_t i = 0; i < 6; ++i) v.speed_per_instance.push_back(2.0 + 3.0 * double(i));
    const nms::prepared PV = nms::prepare(v);
    std::vector<int> node_slot;
    const int nnp = nms::gpu::node_param_slots(PV, node_slot);
    const auto hv = nms::gpu::make_tables<double>(PV, v, 0, 6, node_slot, nnp);
    int vmin = PV.max_delay;
    for (int d : hv.dinst) vmin = std::min(vmin, d);
    EXPECT_EQ(nms::gpu::node_steps_per_launch(PV, hv.dinst, 64),
              std::min<long>({vmin + 1L, long(PV.ring_len - PV.max_delay - 1), 64L}));
    EXPECT_LT(vmin, dmin);
}

// The automatic mapping: one thread per instance once the batch alone fills
// half the device's resident threads, else one per (node, instance).
TEST(gpu_kernels_on_host, automatic_mapping_follows_the_device_size) {
    using nms::gpu::use_node_mapping;
    using G = nms::gpu_mapping;
    const long h200 = 132L * 2048; // SMs x resident threads per SM
    EXPECT_TRUE(use_node_mapping(G::automatic, 16384, 76, h200));
    EXPECT_TRUE(use_node_mapping(G::automatic, 1000, 998, h200));
    EXPECT_FALSE(use_node_mapping(G::automatic, 1 << 18, 76, h200));
    EXPECT_TRUE(use_node_mapping(G::automatic, 1 << 17, 76, h200)); // 131072 < 135168
    EXPECT_FALSE(use_node_mapping(G::automatic, 100, 1, h200));     // one node: nothing to spread
    EXPECT_TRUE(use_node_mapping(G::node, 1 << 20, 76, h200));
    EXPECT_FALSE(use_node_mapping(G::instance, 10, 998, h200));
}

// The host side of the GPU path: the sweep observer fed projected
// observables (as the CUDA backend hands them over: several projections,
// all instances of a device batch at once) gives every reducer, the main
// one and an added channel's, the same result as when fed whole states.
TEST(gpu_kernels_on_host, projected_samples_feed_the_reducers_as_states_do) {
    const int nn = 3, ns = 2, lanes = 300; // more lanes than one chunk of the observer
    const std::vector<double> main_coef{1.0, -0.5},
        chan_coef{0.0, 0.0, 0.3, 0.0, 0.0, 1.0}; // x0 - x1/2; 0.3 sin x0 + cos x1
    const std::vector<std::string> feats{"mean", "std", "min", "max"};
    auto r_state = nms::make_moments_reducer(feats, ""), c_state = nms::make_moments_reducer(feats, "");
    auto r_proj = nms::make_moments_reducer(feats, ""), c_proj = nms::make_moments_reducer(feats, "");
    for (auto* r : {r_state.get(), c_state.get(), r_proj.get(), c_proj.get()}) r->reset(lanes, nn);
    nms::sweep_observer<double> by_state(main_coef, 0, 1, {r_state.get()}, 0);
    nms::sweep_observer<double> by_proj(main_coef, 0, 1, {r_proj.get()}, 0);
    by_state.add_channel(chan_coef, {c_state.get()});
    by_proj.add_channel(chan_coef, {c_proj.get()});
    ASSERT_EQ(by_proj.projections().size(), 2u);
    std::vector<double> x(std::size_t(ns) * nn * lanes), proj(std::size_t(2) * nn * lanes);
    for (long step = 1; step <= 20; ++step) {
        for (std::size_t k = 0; k < x.size(); ++k) x[k] = std::sin(0.37 * double(k) + 0.91 * double(step));
        for (int n = 0; n < nn; ++n)
            for (int l = 0; l < lanes; ++l) {
                const double x0 = x[(0 * nn + n) * lanes + l], x1 = x[(1 * nn + n) * lanes + l];
                proj[(0 * nn + n) * lanes + l] = x0 - 0.5 * x1;
                proj[(1 * nn + n) * lanes + l] = 0.3 * std::sin(x0) + std::cos(x1);
            }
        by_state.observe(nms::block_state<double>{step, 0, lanes, lanes, nn, ns, x.data()});
        by_proj.observe_projected(nms::projected_state<double>{step, 0, lanes, lanes, nn, 2, proj.data()});
    }
    for (auto [a, b] : {std::pair{r_state.get(), r_proj.get()}, std::pair{c_state.get(), c_proj.get()}}) {
        const auto outs = a->outputs();
        for (std::size_t k = 0; k < outs.size(); ++k) {
            const std::size_t m = outs[k].extra_sizes.empty() ? 1 : outs[k].extra_sizes[0];
            std::vector<double> ra(m), rb(m);
            for (std::size_t i = 0; i < std::size_t(lanes); ++i) {
                a->result(k, i, ra.data());
                b->result(k, i, rb.data());
                for (std::size_t j = 0; j < m; ++j)
                    ASSERT_NEAR(rb[j], ra[j], 1e-12) << outs[k].name << " instance " << i;
            }
        }
    }
}

} // namespace
