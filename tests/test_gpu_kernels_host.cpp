// The CUDA kernels' per-instance functions (kernels/instance_kernels.hpp)
// run on the host, one loop iteration per GPU thread, with the tables the
// CUDA backend uploads (kernels/instance_tables.hpp), against the CPU
// backend. Runs everywhere: it checks the kernels' indexing (state, delay
// ring, per-node parameters, per-instance delays, noise keys, observation
// samples split over launches) on machines without a GPU; test_gpu_backend
// checks the same on a device.

#include "batch_util.hpp"
#include "instance_tables.hpp"
#include "sweep_observer.hpp"

#include "nmsweep/engine/batch.hpp"
#include "nmsweep/models/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <mutex>
#include <string>
#include <vector>

namespace {

template <class M, class C, nms::scheme S, class T> struct host_run {
    std::vector<T> x; // final state [v][node][instance]
    std::vector<long> div;
    std::vector<T> obs; // [sample][node][instance]
};

// The kernel arguments' arrays, on the host (as run_range points them into
// device memory).
template <class M, class C, class T>
void point_args(nms::gpu::args_for<M, C, T>& a, const nms::prepared& P, const nms::gpu::instance_tables<T>& h,
                T* x, T* ring, long* div) {
    a.x = x;
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
}

// Runs the batch as the CUDA backend would with one device batch, launching
// steps in chunks of `chunk` sampling periods.
template <class M, class C, nms::scheme S, class T>
host_run<M, C, S, T> run_host(const nms::batch& b, const std::vector<std::vector<double>>& coef, long every,
                              long chunk) {
    const nms::prepared P = nms::prepare(b);
    std::vector<int> node_slot;
    const int n_node_params = nms::gpu::node_param_slots(P, node_slot);
    const std::size_t n = P.n_instances;
    auto h = nms::gpu::make_tables<T>(P, b, 0, n, node_slot, n_node_params);
    host_run<M, C, S, T> r;
    r.x = h.x0;
    r.div.assign(n, -1);
    std::vector<T> ring(std::size_t(P.ring_len) * C::n_channels * P.n_nodes * n, T(-12345));
    nms::gpu::args_for<M, C, T> a;
    nms::gpu::set_args<M, C, T>(a, P, b, 0, n, node_slot, coef);
    point_args<M, C, T>(a, P, h, r.x.data(), ring.data(), r.div.data());
    for (int i = 0; i < int(n); ++i) nms::gpu::init_instance<M, C, T>(a, h.h0.data(), i);
    const long steps = b.n_steps;
    if (coef.empty()) {
        for (int i = 0; i < int(n); ++i) nms::gpu::step_instance<M, C, S, T>(a, 0, steps, false, i);
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
        for (int i = 0; i < int(n); ++i) nms::gpu::step_instance<M, C, S, T>(a, t, t1, true, i);
        r.obs.insert(r.obs.end(), buf.begin(), buf.begin() + (t1 - t) / every * per_sample);
        t = t1;
    }
    for (int i = 0; i < int(n); ++i) nms::gpu::step_instance<M, C, S, T>(a, t, steps, false, i);
    return r;
}

nms::batch make_batch(const std::string& model, const std::string& coupling, std::size_t n) {
    return nms::test::spread_batch(model, coupling, n, 203, 5);
}

template <class M, class C, nms::scheme S, class T>
void expect_matches_cpu(const nms::batch& b, double tol, const std::string& what) {
    const auto cpu = nms::run_cpu<T>(b);
    const auto host = run_host<M, C, S, T>(b, {}, 1, 1);
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
    const auto host = run_host<M, C, scheme::heun, double>(b, rec.coefs, 4, 7); // 7 samples per launch
    const std::size_t per = 2 * 8 * 19;
    ASSERT_EQ(host.obs.size(), rec.at.size() * per);
    ASSERT_EQ(rec.at.size(), std::size_t(203 / 4));
    for (std::size_t k = 0; k < rec.at.size(); ++k)
        for (std::size_t j = 0; j < per; ++j)
            ASSERT_NEAR(host.obs[k * per + j], rec.at[k][j], 1e-9 * (1 + std::abs(rec.at[k][j])))
                << k << " " << j;
}

// Moments accumulated by the kernels (the device path of moments-only
// sweeps) equal the host moments reducer fed by the CPU backend.
TEST(gpu_kernels_on_host, device_moments_match_host_reducer) {
    using M = nms::models::jansen_rit;
    using C = nms::coupling::sigmoidal_jansen_rit<2>;
    using T = double;
    nms::batch b = make_batch("jansen_rit", "sigmoidal_jansen_rit", 13);
    b.params["noise.y4"] = nms::field::scalar(1e-2);
    b.n_steps = 301;
    const std::vector<std::string> feats{"mean", "std", "min", "max"};
    const std::vector<double> coef{0, 1, -1, 0, 0, 0}; // y1 - y2
    const long transient = 52, every = 5;

    auto ref = nms::make_moments_reducer(feats, "");
    ref->reset(13, 8);
    nms::sweep_observer<T> cpu_obs(coef, transient, every, {ref.get()}, 0);
    ASSERT_TRUE(cpu_obs.moments_only());
    nms::run_cpu<T>(b, {}, &cpu_obs);

    // The kernels with the moments enabled, as run_range sets them up.
    const nms::prepared P = nms::prepare(b);
    std::vector<int> node_slot;
    const int nnp = nms::gpu::node_param_slots(P, node_slot);
    auto h = nms::gpu::make_tables<T>(P, b, 0, 13, node_slot, nnp);
    std::vector<T> x = h.x0, ring(std::size_t(P.ring_len) * C::n_channels * 8 * 13);
    std::vector<long> div(13, -1);
    const std::size_t ms = 9 * 13;
    std::vector<double> mom(4 * ms, 0.0);
    std::fill(mom.begin() + 2 * ms, mom.begin() + 3 * ms, HUGE_VAL);
    std::fill(mom.begin() + 3 * ms, mom.end(), -HUGE_VAL);
    nms::gpu::args_for<M, C, T> a;
    nms::gpu::set_args<M, C, T>(a, P, b, 0, 13, node_slot, cpu_obs.projections());
    point_args<M, C, T>(a, P, h, x.data(), ring.data(), div.data());
    a.mom = mom.data();
    a.every = int(every);
    a.mom_first = (cpu_obs.first_needed_step() + every - 1) / every * every;
    ASSERT_EQ(a.mom_first, 55);
    for (int i = 0; i < 13; ++i) nms::gpu::init_instance<M, C, T>(a, h.h0.data(), i);
    for (int i = 0; i < 13; ++i) nms::gpu::step_instance<M, C, scheme::heun, T>(a, 0, 150, false, i);
    for (int i = 0; i < 13; ++i) nms::gpu::step_instance<M, C, scheme::heun, T>(a, 150, 301, false, i);

    auto got = nms::make_moments_reducer(feats, "");
    got->reset(13, 8);
    nms::sweep_observer<T> dev_obs(coef, transient, every, {got.get()}, 0);
    const long count = (301 - 55) / 5 + 1;
    dev_obs.observe_moments(
        {0, 13, 13, 8, count, mom.data(), mom.data() + ms, mom.data() + 2 * ms, mom.data() + 3 * ms});
    const auto outs = ref->outputs();
    ASSERT_EQ(outs.size(), 8u);
    for (std::size_t k = 0; k < outs.size(); ++k) {
        const std::size_t m = outs[k].extra_sizes.empty() ? 1 : outs[k].extra_sizes[0];
        std::vector<double> r(m), g(m);
        for (std::size_t i = 0; i < 13; ++i) {
            ref->result(k, i, r.data());
            got->result(k, i, g.data());
            for (std::size_t j = 0; j < m; ++j)
                ASSERT_NEAR(g[j], r[j], 1e-9 * (1 + std::abs(r[j]))) << outs[k].name << " instance " << i;
        }
    }
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
