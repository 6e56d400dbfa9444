// Evoked responses against independent references: Lempel-Ziv counts of
// hand-parsed strings, the closed-form pulse response of a linear node
// (rise A (1 - e^{gamma t}) / (-gamma) during the pulse, exponential decay
// after), noise averaged down as 1/sqrt(n) over pulses, identical pulses of
// a periodic steady state, windows cut by the record, sensor space (the
// ERP is linear: a sensor's ERP is its gain row times the nodes' ERPs) and
// the spec's errors.

#include "analysis_test_util.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/observe/leadfield.hpp"
#include "nmsweep/sweep/evoked.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace nms;
using nms_test::result_of;

namespace {

std::vector<std::uint8_t> bits(const std::string& s) {
    std::vector<std::uint8_t> v;
    for (char ch : s) v.push_back(ch == '1' ? 1 : 0);
    return v;
}

connectome nodes(std::size_t n) {
    connectome c;
    c.n = n;
    c.weights.assign(n * n, 0.0);
    c.tract_lengths.assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i) c.labels.push_back("r" + std::to_string(i));
    c.source = "test";
    return c;
}

// The run's geometry: dt, duration, transient, sample_every.
struct run_geom {
    double dt = 0.01, duration = 1000, transient = 0;
    long sample_every = 1;
    sampling smp() const {
        sweep_spec s;
        s.dt = dt;
        s.duration = duration;
        s.transient = transient;
        s.sample_every = sample_every;
        return sampling_of(s);
    }
};

// x' = gamma x + u(t) per node, u = a pulse train on the derivative
// (weights per node), instances independent (noise sigma on x).
batch linear_batch(const run_geom& g, std::size_t n_nodes, std::size_t n_inst, double gamma, double f,
                   double width, double onset, std::vector<double> weights, double sigma = 0) {
    batch b;
    b.model = "linear";
    b.net = nodes(n_nodes);
    b.method = scheme::heun;
    b.dt = g.dt;
    b.n_steps = std::lround(g.duration / g.dt);
    b.n_instances = n_inst;
    b.params["model.gamma"] = field::scalar(gamma);
    if (sigma > 0) b.params["noise.x"] = field::scalar(sigma);
    b.seed = 11;
    b.initial["x"] = field::scalar(0.0);
    stimulus s;
    s.name = "tms";
    s.kind = wave::pulse_train;
    s.target = "x";
    s.props[wp_frequency] = f;
    s.props[wp_width] = width;
    s.props[wp_onset] = onset;
    s.weight = std::move(weights);
    b.stimuli = {s};
    return b;
}

// Feeds the state variable x to the reducer at the sampled steps, as the
// sweep observer does (obs[node * lanes + lane], net = the node mean).
struct feed_observer final : observer<double> {
    reducer* r;
    long transient, se;
    feed_observer(reducer* red, long tr, long every) : r(red), transient(tr), se(every) {
        this->every = every;
    }
    void observe(const block_state<double>& s) override {
        if (s.step <= transient || s.step % se != 0) return;
        const int L = s.lanes;
        std::vector<double> obs(std::size_t(s.n_nodes * L)), net(std::size_t(L), 0.0);
        for (int n = 0; n < s.n_nodes; ++n)
            for (int l = 0; l < L; ++l) {
                obs[std::size_t(n * L + l)] = s.at(0, n, l);
                net[std::size_t(l)] += s.at(0, n, l) / s.n_nodes;
            }
        r->accumulate(obs_block{s.step, s.inst0, L, s.n_valid, s.n_nodes, obs.data(), net.data()});
    }
};

void run_into(reducer& r, const batch& b, const run_geom& g) {
    r.set_batch(b);
    r.reset(b.n_instances, int(b.net.n));
    feed_observer obs(&r, std::lround(g.transient / g.dt), g.sample_every);
    run_cpu<double>(b, {}, &obs);
}

std::unique_ptr<reducer> evoked(const run_geom& g, double pre, double post, long max_pulses = 1000000) {
    evoked_options o;
    o.stimulus = "tms";
    o.pre_ms = pre;
    o.post_ms = post;
    o.max_pulses = max_pulses;
    return make_evoked_reducer(evoked_features(), o, g.smp(), "x");
}

} // namespace

// LZ76 against exhaustive histories parsed by hand.
TEST(evoked, lz76_counts_hand_parsed_strings) {
    EXPECT_EQ(lz76_complexity(bits("0001101001000101")), 6u); // 0.001.10.100.1000.101 (Kaspar & Schuster)
    EXPECT_EQ(lz76_complexity(bits("0010")), 3u);             // 0.01.0
    EXPECT_EQ(lz76_complexity(bits("1")), 1u);
    EXPECT_EQ(lz76_complexity(bits("")), 0u);
    EXPECT_EQ(lz76_complexity(bits(std::string(100, '0'))), 2u); // 0.000...
    std::string per;
    for (int k = 0; k < 50; ++k) per += "01";
    EXPECT_EQ(lz76_complexity(bits(per)), 3u); // 0.1.0101...
    std::string p3;
    for (int k = 0; k < 40; ++k) p3 += "011";
    EXPECT_EQ(lz76_complexity(bits(p3)), 4u);                    // 0.1.10.11011...
    EXPECT_EQ(lz76_normalised(bits(std::string(64, '1'))), 0.0); // H(p) = 0
    // A long random string is as complex as a string of its entropy can be.
    std::mt19937 gen(5);
    for (double p1 : {0.5, 0.2}) {
        std::bernoulli_distribution coin(p1);
        std::vector<std::uint8_t> r(20000);
        for (auto& x : r) x = coin(gen) ? 1 : 0;
        const double c = lz76_normalised(r);
        EXPECT_GT(c, 0.92) << p1;
        EXPECT_LT(c, 1.10) << p1;
        std::printf("normalised LZ76 of 2e4 random bits (p = %g): %.4f\n", p1, c);
    }
}

// PCI of a small ERP matrix: the significance threshold from the baseline
// and the time-major reading, written out by hand.
TEST(evoked, pci_binarises_time_major) {
    // 2 channels, lags -2..3: baselines {1,-1,0} (sd sqrt(2/3)) and {0,0,0} (sd 0).
    const double erp[] = {1, -1, 0, 0.5,  3, -3, // channel 0: |x| > 2 sqrt(2/3) = 1.63 at lags 2, 3
                          0, 0,  0, 1e-9, 0, 2}; // channel 1: > 0 at lags 1, 3
    // lag 1: (0, 1), lag 2: (1, 0), lag 3: (1, 1) -> "011011"
    EXPECT_DOUBLE_EQ(pci_of_erp(erp, 2, 2, 3, 2.0), lz76_normalised(bits("011011")));
    EXPECT_EQ(lz76_complexity(bits("011011")), 4u); // 0.1.10.11
}

// A linear node's ERP is its pulse response: closed form, peak at the
// pulse's end, decay time -1/gamma. Heun integrates a grid-edged pulse
// with trapezoid weights: the same charge, centred half a step early, so
// the reference pulse is [-dt/2, w - dt/2).
TEST(evoked, linear_node_matches_the_closed_form) {
    run_geom g;
    const double gamma = -0.1, w = 1.0, A = 1.0, pre = 10, post = 150;
    const auto b = linear_batch(g, 2, 1, gamma, 5.0, w, 50.0, {1.0, 0.0}); // pulses at 50, 250, ...
    auto r = evoked(g, pre, post);
    run_into(*r, b, g);
    // Windows [t_k - 10, t_k + 150] inside (0, 1000]: pulses at 50 .. 850 (850 + 150 = 1000).
    EXPECT_EQ(result_of(*r, "features/erp_n_pulses", 0)[0], 5.0);
    auto x = [&](double t) { // response to A on [-dt/2, w - dt/2), from rest
        const double t0 = t + g.dt / 2;
        if (t0 <= 0) return 0.0;
        const double rise = A / -gamma * (1 - std::exp(gamma * std::min(t0, w)));
        return t0 <= w ? rise : rise * std::exp(gamma * (t0 - w));
    };
    const long n_pre = std::lround(pre / g.dt), n_post = std::lround(post / g.dt);
    double base = 0;
    for (long j = -n_pre; j <= 0; ++j) base += x(double(j) * g.dt) / double(n_pre + 1);
    const auto erp = result_of(*r, "evoked/erp", 0);
    ASSERT_EQ(erp.size(), std::size_t(2 * (n_pre + 1 + n_post)));
    const double peak = x(w) - base;
    double err = 0;
    for (long j = -n_pre; j <= n_post; ++j)
        err = std::max(err, std::fabs(erp[std::size_t(j + n_pre)] - (x(double(j) * g.dt) - base)));
    std::printf("linear node: peak %.6f, max |ERP - closed form| %.2e\n", peak, err);
    EXPECT_LT(err, 1e-4 * peak);
    for (long j = 0; j < n_pre + 1 + n_post; ++j) EXPECT_EQ(erp[std::size_t(n_pre + 1 + n_post + j)], 0.0);
    const auto amp = result_of(*r, "features/erp_peak_amplitude", 0);
    EXPECT_NEAR(amp[0], peak, 1e-4 * peak);
    EXPECT_NEAR(result_of(*r, "features/erp_peak_latency", 0)[0], w, 1e-9); // the pulse's end, on the grid
    const double decay = result_of(*r, "features/erp_decay_time", 0)[0];
    std::printf("decay time %.5f ms (-1/gamma = %.5f)\n", decay, -1 / gamma);
    EXPECT_NEAR(decay, -1 / gamma, 0.01);
    EXPECT_NEAR(result_of(*r, "features/network_erp_peak_amplitude", 0)[0], peak / 2, 1e-4 * peak);
    EXPECT_NEAR(result_of(*r, "features/network_erp_decay_time", 0)[0], -1 / gamma, 0.01);
    EXPECT_TRUE(std::isnan(result_of(*r, "features/erp_peak_amplitude", 0)[1]) ||
                result_of(*r, "features/erp_peak_amplitude", 0)[1] == 0.0);
    EXPECT_GT(result_of(*r, "features/pci", 0)[0], 0.0);
}

// Windows cut by the record's end or its transient do not count.
TEST(evoked, pulses_cut_by_the_record_are_excluded) {
    run_geom g;
    g.dt = 0.05;
    g.duration = 1000;
    auto count = [&](double transient, double post) {
        run_geom h = g;
        h.transient = transient;
        auto r = evoked(h, 10, post);
        run_into(*r, linear_batch(h, 1, 1, -0.1, 5.0, 1.0, 50.0, {}), h);
        return result_of(*r, "features/erp_n_pulses", 0)[0];
    };
    EXPECT_EQ(count(0, 150), 5.0);    // 850 + 150 = 1000: the last sample
    EXPECT_EQ(count(0, 151), 4.0);    // one sample past the end
    EXPECT_EQ(count(39.9, 150), 5.0); // the first window starts at 40: sampled
    EXPECT_EQ(count(40.0, 150), 4.0); // (samples after the transient: t > 40)
}

// Averaging n pulses divides the noise by sqrt(n): the residual against
// the noise-free ERP, 64 instances with their own noise.
TEST(evoked, noise_falls_as_one_over_sqrt_n) {
    run_geom g;
    g.dt = 0.05;
    g.duration = 64 * 200.0 + 100;
    const auto clean = linear_batch(g, 1, 1, -0.1, 5.0, 1.0, 50.0, {});
    auto r0 = evoked(g, 10, 100);
    run_into(*r0, clean, g);
    const auto ref = result_of(*r0, "evoked/erp", 0);
    std::vector<double> rms;
    for (long n : {4L, 64L}) {
        auto r = evoked(g, 10, 100, n);
        run_into(*r, linear_batch(g, 1, 64, -0.1, 5.0, 1.0, 50.0, {}, 0.05), g);
        double ss = 0;
        for (std::size_t i = 0; i < 64; ++i) {
            EXPECT_EQ(result_of(*r, "features/erp_n_pulses", i)[0], double(n));
            const auto e = result_of(*r, "evoked/erp", i);
            for (std::size_t j = 0; j < e.size(); ++j) ss += (e[j] - ref[j]) * (e[j] - ref[j]);
        }
        rms.push_back(std::sqrt(ss / double(64 * ref.size())));
    }
    std::printf("residual rms: 4 pulses %.4e, 64 pulses %.4e, ratio %.3f (sqrt(16) = 4)\n", rms[0], rms[1],
                rms[0] / rms[1]);
    EXPECT_NEAR(rms[0] / rms[1], 4.0, 0.6);
}

// In a deterministic periodic steady state every pulse evokes the same
// response: the ERP of the first counted pulse is the ERP of all of them.
TEST(evoked, periodic_steady_state_every_pulse_alike) {
    run_geom g;
    g.dt = 0.05;
    g.duration = 1500;
    g.transient = 600; // e^{-60}: the train's steady state
    const auto b = linear_batch(g, 2, 1, -0.1, 40.0, 2.0, 0.0, {1.0, 0.3});
    auto one = evoked(g, 5, 20, 1), all = evoked(g, 5, 20);
    run_into(*one, b, g);
    run_into(*all, b, g);
    EXPECT_EQ(result_of(*one, "features/erp_n_pulses", 0)[0], 1.0);
    EXPECT_GT(result_of(*all, "features/erp_n_pulses", 0)[0], 30.0);
    const auto e1 = result_of(*one, "evoked/erp", 0), ea = result_of(*all, "evoked/erp", 0);
    double peak = 0;
    for (double v : e1) peak = std::max(peak, std::fabs(v));
    ASSERT_GT(peak, 0.1);
    for (std::size_t j = 0; j < e1.size(); ++j) EXPECT_NEAR(ea[j], e1[j], 1e-10 * peak) << j;
    EXPECT_DOUBLE_EQ(result_of(*one, "features/erp_peak_latency", 0)[0],
                     result_of(*all, "features/erp_peak_latency", 0)[0]);
}

// Sensor space: the projected reducer hands the batch on, and a sensor's
// ERP is its gain row times the nodes' ERPs.
TEST(evoked, sensor_erp_is_the_projected_node_erp) {
    run_geom g;
    g.dt = 0.05;
    g.duration = 700;
    const auto b = linear_batch(g, 2, 3, -0.2, 5.0, 1.0, 50.0, {1.0, 0.5});
    observe::gain_matrix G;
    G.n_sensors = 3;
    G.n_regions = 2;
    G.values = {1.0, 0.0, 0.5, -2.0, 0.25, 0.25};
    auto pr = observe::make_projected_reducer(G, evoked(g, 10, 100));
    auto nodes_r = evoked(g, 10, 100);
    run_into(*pr, b, g);
    run_into(*nodes_r, b, g);
    const long W = std::lround(110 / g.dt) + 1;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto en = result_of(*nodes_r, "evoked/erp", i);
        const auto es = result_of(*pr, "evoked/erp", i);
        ASSERT_EQ(es.size(), std::size_t(3 * W));
        EXPECT_EQ(result_of(*pr, "features/erp_n_pulses", i)[0], 3.0);
        for (std::size_t s = 0; s < 3; ++s)
            for (long j = 0; j < W; ++j) {
                const double want = G(s, 0) * en[std::size_t(j)] + G(s, 1) * en[std::size_t(W + j)];
                EXPECT_NEAR(es[s * std::size_t(W) + std::size_t(j)], want, 1e-12);
            }
    }
    const auto outs = pr->outputs();
    EXPECT_EQ(outs[0].extra_dims, (std::vector<std::string>{"sensor", "lag"}));
}

// Spec errors name the file, line and key.
TEST(evoked, spec_errors_name_file_line_and_key) {
    const std::string head = "[model]\nname = \"linear\"\n[network]\nconnectome = \"synthetic:2\"\n"
                             "[integrator]\ndt = 0.1\nduration = 1000.0\n";
    const std::string pulse = "[[stimulus]]\nname = \"tms\"\nwaveform = \"pulse_train\"\nfrequency = 2.0\n"
                              "width = 0.5\ntarget = \"x\"\n";
    auto error = [&](const std::string& extra) {
        try {
            (void)parse_spec(head + extra, "e.toml");
        } catch (const input_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    auto has = [](const std::string& msg, const std::string& part) {
        return msg.find(part) != std::string::npos;
    };
    std::string e = error("[output]\nfeatures = [\"erp\"]\n");
    EXPECT_TRUE(has(e, "e.toml:9: [output] features: evoked features")) << e;
    EXPECT_TRUE(has(e, "pulse_train")) << e;
    e = error(pulse + "[[stimulus]]\nname = \"s\"\nwaveform = \"sine\"\nfrequency = 10.0\ntarget = \"x\"\n"
                      "[output]\nfeatures = [\"pci\"]\n[output.evoked]\nstimulus = \"s\"\n");
    EXPECT_TRUE(has(e, "e.toml:22: [output.evoked] stimulus: the stimulus 's' is a sine")) << e;
    e = error(pulse + "[output]\nfeatures = [\"erp\"]\n[output.evoked]\nstimulus = \"tsm\"\n");
    EXPECT_TRUE(has(e, "e.toml:17: [output.evoked] stimulus: no [[stimulus]] named 'tsm'")) << e;
    EXPECT_TRUE(has(e, "did you mean 'tms'")) << e;
    e = error(pulse + "[output]\nfeatures = [\"erp\"]\n[output.evoked]\npre = -1.0\n");
    EXPECT_TRUE(has(e, "e.toml:17: [output.evoked] pre: must be >= 0 ms")) << e;
    e = error(pulse + "[output]\nfeatures = [\"erp\"]\n[output.evoked]\npost = 995.0\n");
    EXPECT_TRUE(has(e, "e.toml:17: [output.evoked] post: the window pre + post = 10 + 995 ms does not fit"))
        << e;
    e = error(pulse + "[output]\nfeatures = [\"mean\"]\n[output.evoked]\npre = 5.0\n");
    EXPECT_TRUE(has(e, "[output.evoked]: needs an evoked feature")) << e;
    e = error(pulse + "[output]\nfeatures = [\"erp\"]\n[output.evoked]\nbaseline = 5.0\n");
    EXPECT_TRUE(has(e, "e.toml:17: [output.evoked] baseline: unknown key")) << e;
    // The default window: post = min(200, the shortest swept period).
    const auto s = parse_spec(head + pulse +
                                  "[[sweep]]\nparam = \"stimulus.tms.frequency\"\nvalues = [2.0, 8.0]\n"
                                  "[output]\nfeatures = [\"erp\", \"pci\"]\n",
                              "ok.toml");
    EXPECT_EQ(s.evoked.stimulus, "tms");
    EXPECT_DOUBLE_EQ(s.evoked.post_ms, 125.0);
    EXPECT_DOUBLE_EQ(s.evoked.pre_ms, 10.0);
}
