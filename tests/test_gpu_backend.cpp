// The CUDA backend against the CPU backend: every model with every coupling
// it admits, every scheme, float and double, deterministic and stochastic
// (identical noise streams), per-node and per-instance parameters,
// per-instance delays, sub-batches and batch offsets, divergence flags and
// the observable handed to observers. The CPU backend is the reference: it is
// itself validated against analytic results and TVB (test_core,
// test_tvb_match). Tests skip without a CUDA device; the error for
// --backend cuda without one is checked everywhere.

#include "batch_util.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/models/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

bool have_gpu() { return nms::cuda_built() && !nms::cuda_devices().empty(); }

nms::batch base_batch(const std::string& model, const std::string& coupling, std::size_t n) {
    nms::batch b = nms::test::spread_batch(model, coupling, n, 240, 11);
    const auto& m = nms::find_model(model);
    // A coupling strength per instance.
    const auto& c = nms::find_coupling(coupling, int(m.cvar.size()));
    std::vector<double> a(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = c.params[0].value * (0.2 + 1.6 * double(i) / double(n));
    b.params[std::string("coupling.") + c.params[0].name] = nms::field::per_instance(a);
    return b;
}

// Largest difference relative to the variable's range in the reference.
double max_rel_diff(const nms::run_result& ref, const nms::run_result& got) {
    const std::size_t per_var = ref.n_nodes * ref.n_instances;
    double worst = 0;
    for (std::size_t v = 0; v < ref.n_state; ++v) {
        double scale = 1e-6;
        for (std::size_t k = 0; k < per_var; ++k)
            scale = std::max(scale, std::abs(ref.final_state[v * per_var + k]));
        for (std::size_t k = 0; k < per_var; ++k) {
            const double a = ref.final_state[v * per_var + k], b = got.final_state[v * per_var + k];
            if (std::isnan(a) != std::isnan(b)) return INFINITY;
            if (!std::isnan(a)) worst = std::max(worst, std::abs(a - b) / scale);
        }
    }
    return worst;
}

nms::run_options mapped(nms::gpu_mapping m) {
    nms::run_options o;
    o.mapping = m;
    return o;
}
const nms::gpu_mapping both_mappings[] = {nms::gpu_mapping::instance, nms::gpu_mapping::node};
const char* name_of(nms::gpu_mapping m) { return m == nms::gpu_mapping::node ? "node" : "instance"; }

// The CPU backend against the GPU in both thread mappings.
template <class T> void compare(const nms::batch& b, double tol, const std::string& what) {
    const auto cpu = nms::run_cpu<T>(b);
    for (auto m : both_mappings) {
        const auto gpu = nms::run_cuda<T>(b, mapped(m));
        EXPECT_EQ(gpu.backend, "cuda");
        EXPECT_EQ(gpu.mapping, name_of(m));
        ASSERT_EQ(cpu.final_state.size(), gpu.final_state.size());
        EXPECT_LE(max_rel_diff(cpu, gpu), tol) << what << ", " << name_of(m) << " mapping";
        EXPECT_EQ(cpu.diverged_step, gpu.diverged_step) << what << ", " << name_of(m) << " mapping";
    }
}

// Every model x coupling x scheme, deterministic and stochastic.
template <class T> void all_models(double tol) {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
    for (const auto& m : nms::all_model_infos()) {
        for (const auto& cname : nms::coupling_names()) {
            bool fits = true;
            try {
                nms::find_coupling(cname, int(m.cvar.size()));
            } catch (const std::exception&) {
                fits = false;
            }
            if (!fits) continue;
            for (auto method : {nms::scheme::heun, nms::scheme::euler, nms::scheme::rk4}) {
                for (bool noisy : {false, true}) {
                    if (noisy && method == nms::scheme::rk4) continue;
                    nms::batch b = base_batch(m.name, cname, 37); // not a multiple of the warp size
                    b.method = method;
                    if (noisy)
                        for (const auto& s : m.states)
                            b.params["noise." + std::string(s.name)] = nms::field::scalar(1e-3);
                    compare<T>(b, tol,
                               m.name + " / " + cname + " / scheme " + std::to_string(int(method)) +
                                   (noisy ? " / noisy" : ""));
                }
            }
        }
    }
}

TEST(gpu_backend, every_model_float) { all_models<float>(2e-3); }
TEST(gpu_backend, every_model_double) { all_models<double>(1e-9); }

TEST(gpu_backend, per_node_parameters_and_per_instance_delays) {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
    nms::batch b = base_batch("jansen_rit", "sigmoidal_jansen_rit", 45);
    std::vector<double> mu(8);
    for (int n = 0; n < 8; ++n) mu[n] = 0.1 + 0.02 * n;
    b.params["model.mu"] = nms::field::per_node(mu);
    b.params["noise.y4"] = nms::field::scalar(1e-3);
    for (std::size_t i = 0; i < b.n_instances; ++i) b.speed_per_instance.push_back(1.0 + 0.2 * double(i));
    compare<double>(b, 1e-9, "per-node mu, per-instance speed (double)");
    compare<float>(b, 2e-3, "per-node mu, per-instance speed (float)");
}

// Stimuli computed on the device from the step index match the CPU's: a
// biphasic pulse train with a per-instance frequency on the coupling input,
// a sine on a derivative over some nodes, a noise burst, a parameter ramp;
// the pulse train alone on a pure integrator gives its charge exactly.
TEST(gpu_backend, stimuli_identical) {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
    nms::batch b = base_batch("jansen_rit", "sigmoidal_jansen_rit", 45);
    nms::stimulus train;
    train.name = "dbs";
    train.props[nms::wp_amplitude] = 0.3;
    train.props[nms::wp_width] = 0.3;
    train.props[nms::wp_biphasic] = 1;
    std::vector<double> f(45);
    for (std::size_t i = 0; i < 45; ++i) f[i] = 40 + 4.0 * double(i);
    b.params["stimulus.dbs.frequency"] = nms::field::per_instance(f);
    nms::stimulus sine;
    sine.name = "tacs";
    sine.kind = nms::wave::sine;
    sine.target = "y4";
    sine.props[nms::wp_frequency] = 10;
    sine.props[nms::wp_amplitude] = 1;
    sine.weight.assign(8, 0.0);
    sine.weight[3] = 1;
    nms::stimulus burst;
    burst.name = "burst";
    burst.kind = nms::wave::noise;
    burst.target = "y1";
    burst.props[nms::wp_amplitude] = 0.05;
    nms::stimulus ramp;
    ramp.name = "ramp";
    ramp.kind = nms::wave::piecewise;
    ramp.target = "model.mu";
    ramp.knot_t = {0, 10};
    ramp.knot_v = {0, 0.1};
    b.stimuli = {train, sine, burst, ramp};
    for (auto method : {nms::scheme::heun, nms::scheme::euler, nms::scheme::rk4}) {
        b.method = method;
        compare<double>(b, 1e-9, "stimuli (double), scheme " + std::to_string(int(method)));
        compare<float>(b, 2e-3, "stimuli (float), scheme " + std::to_string(int(method)));
    }
    nms::batch q;
    q.model = "linear";
    q.net.n = 1;
    q.net.weights = {0.0};
    q.net.tract_lengths = {0.0};
    q.n_steps = 1000;
    q.params["model.gamma"] = nms::field::scalar(0.0);
    q.initial["x"] = nms::field::scalar(0.0);
    nms::stimulus mono = train;
    mono.props[nms::wp_biphasic] = 0;
    mono.props[nms::wp_frequency] = 130;
    mono.target = "x";
    q.stimuli = {mono};
    for (auto m : both_mappings) {
        const auto r = nms::run_cuda<double>(q, mapped(m));
        // 13 pulses start within 100 ms at 130 Hz, each 3 steps of 0.3.
        EXPECT_NEAR(r.final_state[0], 13 * 0.3 * 0.3, 1e-12) << name_of(m);
    }
}

// The linear model is linear in its noise: equal trajectories mean equal deviates.
TEST(gpu_backend, noise_streams_identical) {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
    nms::batch b = base_batch("linear", "linear", 33);
    b.params["noise.x"] = nms::field::scalar(0.5);
    b.n_steps = 1001; // not a multiple of 4: the Philox call serves 4 steps
    const auto cpu = nms::run_cpu<double>(b);
    for (auto m : both_mappings) EXPECT_LE(max_rel_diff(cpu, nms::run_cuda<double>(b, mapped(m))), 1e-11);
    // With another seed the result must differ: the comparison can fail.
    b.seed = 12;
    const auto other = nms::run_cuda<double>(b);
    EXPECT_GT(max_rel_diff(cpu, other), 1e-2);
}

// Sub-batches and batch offsets: the same instance gives the same bits.
TEST(gpu_backend, batching_is_invisible) {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
    nms::batch b = base_batch("jansen_rit", "sigmoidal_jansen_rit", 40);
    b.params["noise.y4"] = nms::field::scalar(1e-3);
    b.params.erase("coupling.a"); // the same parameters everywhere, so the tail below is a sub-batch
    b.initial.clear();
    const auto whole = nms::run_cuda<float>(b);
    nms::run_options small;
    small.device_batch = 7;
    const auto pieces = nms::run_cuda<float>(b, small);
    EXPECT_EQ(whole.final_state, pieces.final_state);
    nms::batch tail = b;
    tail.n_instances = 23;
    tail.first_instance = 17;
    const auto t = nms::run_cuda<float>(tail);
    for (std::size_t v = 0; v < whole.n_state * whole.n_nodes; ++v)
        for (std::size_t i = 0; i < 23; ++i)
            ASSERT_EQ(t.final_state[v * 23 + i], whole.final_state[v * 40 + 17 + i]) << v << " " << i;
}

TEST(gpu_backend, divergence_flagged_per_instance) {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
    // dx/dt = gamma x with gamma > 0 grows as exp(gamma t): instance 1 overflows float.
    nms::batch b = base_batch("linear", "linear", 3);
    b.initial.clear();
    b.initial["x"] = nms::field::scalar(1.0);
    b.params["model.gamma"] = nms::field::per_instance({-1.0, 200.0, -0.5});
    b.n_steps = 2000;
    b.dt = 0.1;
    const auto cpu = nms::run_cpu<float>(b);
    for (auto m : both_mappings) {
        const auto gpu = nms::run_cuda<float>(b, mapped(m));
        EXPECT_EQ(cpu.diverged_step, gpu.diverged_step) << name_of(m);
        EXPECT_EQ(gpu.diverged_step[0], -1);
        EXPECT_GT(gpu.diverged_step[1], 0);
        EXPECT_EQ(gpu.diverged_step[2], -1);
    }
}

// An observer that keeps the projected observable of every sampled step.
template <class T> struct keeper final : nms::observer<T> {
    std::vector<std::vector<double>> coefs;
    std::map<std::pair<long, std::size_t>, std::vector<double>> seen; // (step, instance) -> per node
    std::mutex mu;
    void observe(const nms::block_state<T>& s) override {
        std::lock_guard<std::mutex> lock(mu);
        for (int l = 0; l < s.n_valid; ++l) {
            auto& o = seen[{s.step, s.inst0 + std::size_t(l)}];
            o.assign(coefs.size() * std::size_t(s.n_nodes), 0.0);
            for (std::size_t p = 0; p < coefs.size(); ++p)
                for (int n = 0; n < s.n_nodes; ++n)
                    for (int v = 0; v < s.n_state; ++v) {
                        const auto& coef = coefs[p];
                        const double x = double(s.at(v, n, l));
                        double& out = o[p * std::size_t(s.n_nodes) + std::size_t(n)];
                        out += coef[v] * x;
                        if (coef.size() > std::size_t(s.n_state))
                            out += coef[s.n_state + v] * std::sin(x) + coef[2 * s.n_state + v] * std::cos(x);
                    }
        }
    }
    std::vector<std::vector<double>> projections() const override { return coefs; }
    void observe_projected(const nms::projected_state<T>& s) override {
        std::lock_guard<std::mutex> lock(mu);
        for (int l = 0; l < s.n_valid; ++l) {
            auto& o = seen[{s.step, s.first + std::size_t(l)}];
            o.assign(std::size_t(s.n_proj * s.n_nodes), 0.0);
            for (int k = 0; k < s.n_proj * s.n_nodes; ++k)
                o[std::size_t(k)] = double(s.obs[k * s.stride + l]);
        }
    }
};

TEST(gpu_backend, observed_projection_matches_cpu) {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
    for (const char* model : {"jansen_rit", "kuramoto"}) {
        const std::string cpl = std::string(model) == "kuramoto" ? "kuramoto" : "sigmoidal_jansen_rit";
        nms::batch b = base_batch(model, cpl, 50);
        const auto& m = nms::find_model(model);
        keeper<double> kc;
        if (m.states.size() == 1)
            kc.coefs = {{0.5, 1.0, -2.0}, {0, 0, 1}}; // 0.5 theta + sin theta - 2 cos theta; cos theta
        else
            kc.coefs = {{0, 1, -1, 0, 0, 0}, {1, 0, 0, 0, 0, 0}}; // y1 - y2; y0
        kc.every = 7;
        nms::run_cpu<double>(b, {}, &kc);
        ASSERT_EQ(kc.seen.size(), std::size_t(b.n_steps / 7) * 50);
        for (auto mp : both_mappings) {
            keeper<double> kg;
            kg.coefs = kc.coefs;
            kg.every = 7;
            nms::run_options opt = mapped(mp);
            opt.device_batch = 19; // several device batches, each with several chunks
            nms::run_cuda<double>(b, opt, &kg);
            ASSERT_EQ(kc.seen.size(), kg.seen.size()) << model;
            for (const auto& [key, o] : kc.seen) {
                const auto& g = kg.seen.at(key);
                for (std::size_t n = 0; n < o.size(); ++n)
                    ASSERT_NEAR(g[n], o[n], 1e-9 * (1 + std::abs(o[n])))
                        << model << " step " << key.first << ", " << name_of(mp) << " mapping";
            }
        }
    }
}

TEST(gpu_backend, no_device_is_one_clear_error) {
    if (have_gpu()) GTEST_SKIP() << "a CUDA device is present";
    nms::batch b = base_batch("linear", "linear", 2);
    try {
        nms::run_cuda<float>(b);
        FAIL() << "run_cuda without a device did not throw";
    } catch (const nms::input_error& e) {
        EXPECT_NE(std::string(e.what()).find("--backend cuda"), std::string::npos) << e.what();
    }
}

} // namespace
