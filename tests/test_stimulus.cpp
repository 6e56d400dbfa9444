// Stimuli against closed forms: charge of pulse trains (a pure integrator
// x' = u sums it exactly when pulses lie on the step grid), pulse timing,
// the steady state of a linear node driven by a sinusoid (its transfer
// function) for every scheme and its convergence order (stage times), and
// the spec's errors.

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace nms;

namespace {

connectome nodes(std::size_t n) {
    connectome c;
    c.n = n;
    c.weights.assign(n * n, 0.0);
    c.tract_lengths.assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i) c.labels.push_back("r" + std::to_string(i));
    c.source = "test";
    return c;
}

// x' = gamma x + u(t) on one node (the stimulus on the derivative).
batch driven_linear(const stimulus& s, scheme m, double dt, double T, double gamma) {
    batch b;
    b.model = "linear";
    b.net = nodes(1);
    b.method = m;
    b.dt = dt;
    b.n_steps = std::lround(T / dt);
    b.params["model.gamma"] = field::scalar(gamma);
    b.initial["x"] = field::scalar(0.0);
    b.stimuli = {s};
    b.stimuli[0].target = "x";
    return b;
}

stimulus train(double f, double width, bool biphasic, double ratio = 1, double gap = 0) {
    stimulus s;
    s.kind = wave::pulse_train;
    s.props[wp_frequency] = f;
    s.props[wp_width] = width;
    s.props[wp_biphasic] = biphasic ? 1 : 0;
    s.props[wp_ratio] = ratio;
    s.props[wp_gap] = gap;
    s.props[wp_amplitude] = 2.5;
    return s;
}

// The k-th pulse's first step, by the rule waveform.hpp documents,
// written out independently: onset snapped, then rint(k * period).
long pulse_start(double f, double onset, double dt, long k) {
    return std::lround(onset / dt) + std::lround(double(k) * (1000.0 / f) / dt);
}

template <class F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const input_error& e) {
        return e.what();
    }
    return "";
}

} // namespace

// Pulse edges sit on the step grid: the waveform is 1 exactly on the
// first-phase steps of each pulse and 0 between pulses, at every stage.
TEST(stimulus, pulse_timing_on_the_step_grid) {
    const double dt = 0.1, f = 130, onset = 1.04;
    double q[n_wave_props];
    const auto p = stimulus::default_props();
    std::copy(p.begin(), p.end(), q);
    q[wp_frequency] = f;
    q[wp_width] = 0.3;
    q[wp_onset] = onset;
    for (long k = 0; k < 40; ++k) {
        const long s = pulse_start(f, onset, dt, k);
        for (int h = -1; h <= 7; ++h) {
            const double v = wave_value(wave::pulse_train, q, {}, 2 * s + h, dt, 0, 0, 0);
            EXPECT_EQ(v, h >= 0 && h < 6 ? 1.0 : 0.0) << "pulse " << k << " half step " << h;
        }
    }
    EXPECT_EQ(wave_value(wave::pulse_train, q, {}, 2 * pulse_start(f, onset, dt, 0) - 1, dt, 0, 0, 0), 0.0);
}

// x' = u: every scheme integrates a grid-edged step function exactly, so
// x(T) is the stimulus's charge: monophasic A w dt per pulse, biphasic 0
// (the second phase balances the first, whatever ratio and gap).
TEST(stimulus, pulse_charge_and_biphasic_balance) {
    const double dt = 0.1, T = 100.0, f = 130;
    long n_pulses = 0;
    while (pulse_start(f, 0, dt, n_pulses) < std::lround(T / dt) - 20) ++n_pulses; // the last ends before T
    for (scheme m : {scheme::euler, scheme::heun, scheme::rk4}) {
        const auto mono = run_cpu<double>(driven_linear(train(f, 0.3, false), m, dt, T, 0.0));
        EXPECT_NEAR(mono.final_state[0], 2.5 * 0.3 * double(n_pulses), 1e-10) << int(m);
        for (double ratio : {1.0, 2.0, 3.0}) {
            const auto bi = run_cpu<double>(driven_linear(train(f, 0.2, true, ratio, 0.1), m, dt, T, 0.0));
            EXPECT_NEAR(bi.final_state[0], 0.0, 1e-11) << int(m) << " ratio " << ratio;
            const auto bf = run_cpu<float>(driven_linear(train(f, 0.2, true, ratio, 0.1), m, dt, T, 0.0));
            EXPECT_NEAR(bf.final_state[0], 0.0, 1e-5) << int(m) << " float, ratio " << ratio;
        }
    }
}

// x' = gamma x + A sin(W t): the steady state is A |H| sin(W t + arg H),
// H = 1 / (i W - gamma). Checked at several frequencies for every scheme,
// with each scheme's order: the stimulus is evaluated at the stage times
// (held at the step's start, heun and rk4 would fall to first order).
TEST(stimulus, linear_node_transfer_function_every_scheme) {
    const double gamma = -0.2, A = 3.0, T = 150.0;
    struct {
        scheme m;
        double order, tol;
    } cases[] = {{scheme::euler, 1, 3e-2}, {scheme::heun, 2, 1e-3}, {scheme::rk4, 4, 1e-6}};
    for (double f : {5.0, 20.0, 60.0}) {
        stimulus s;
        s.kind = wave::sine;
        s.props[wp_frequency] = f;
        s.props[wp_amplitude] = A;
        const double W = 2 * pi * f * 1e-3; // rad/ms
        // Exact solution from x(0) = 0: steady state plus the decaying homogeneous part.
        const double den = gamma * gamma + W * W;
        auto exact = [&](double t) {
            const double xs = A * (-gamma * std::sin(W * t) - W * std::cos(W * t)) / den;
            return xs + A * W / den * std::exp(gamma * t);
        };
        const double amp = A / std::sqrt(den);
        for (const auto& c : cases) {
            auto err = [&](double dt) {
                const auto r = run_cpu<double>(driven_linear(s, c.m, dt, T, gamma));
                return std::abs(r.final_state[0] - exact(T)) / amp;
            };
            const double e1 = err(0.05), e2 = err(0.025);
            EXPECT_LT(e1, c.tol) << "f " << f << " scheme " << int(c.m);
            EXPECT_NEAR(std::log2(e1 / e2), c.order, 0.25) << "f " << f << " scheme " << int(c.m);
        }
    }
}

// The coupling-input target reaches the model through c (linear: the same
// as the derivative), weights scale it per node, a parameter target offsets
// the parameter: x' = (gamma + u) x with u a step is exp((gamma + a) t).
TEST(stimulus, targets_and_weights) {
    stimulus s;
    s.kind = wave::step;
    s.props[wp_amplitude] = 0.5;
    s.target = "coupling_input";
    s.weight = {1.0, -2.0, 0.0};
    batch b;
    b.model = "linear";
    b.net = nodes(3);
    b.method = scheme::rk4;
    b.dt = 0.01;
    b.n_steps = 100;
    b.params["model.gamma"] = field::scalar(0.0);
    b.initial["x"] = field::scalar(0.0);
    b.stimuli = {s};
    auto r = run_cpu<double>(b);
    EXPECT_NEAR(r.final_state[0], 0.5, 1e-12);
    EXPECT_NEAR(r.final_state[1], -1.0, 1e-12);
    EXPECT_NEAR(r.final_state[2], 0.0, 1e-15);
    b.stimuli[0].target = "model.gamma";
    b.stimuli[0].weight.clear();
    b.stimuli[0].props[wp_amplitude] = -1.0;
    b.initial["x"] = field::scalar(1.0);
    b.params["model.gamma"] = field::scalar(-0.5);
    r = run_cpu<double>(b);
    EXPECT_NEAR(r.final_state[0], std::exp(-1.5), 1e-9);
    b.stimuli[0].target = "y1";
    EXPECT_NE(error_of([&] { check_batch(b); }).find("unknown target 'y1'"), std::string::npos);
}

TEST(stimulus, engine_refuses_bad_properties) {
    stimulus s = train(6000, 0.3, false);
    batch b = driven_linear(s, scheme::heun, 0.1, 1, -1);
    EXPECT_NE(error_of([&] { check_batch(b); }).find("Nyquist"), std::string::npos);
    b.stimuli[0] = train(130, 0.05, false);
    b.stimuli[0].target = "x";
    EXPECT_NE(error_of([&] { check_batch(b); }).find("shorter than one step"), std::string::npos);
    b.stimuli[0] = train(130, 0.3, false);
    b.stimuli[0].target = "x";
    b.params["stimulus.stim.frequency"] = field::per_instance({130.0});
    EXPECT_EQ(error_of([&] { check_batch(b); }), "");
    b.params["stimulus.stim.frequncy"] = field::per_instance({130.0});
    EXPECT_NE(error_of([&] { check_batch(b); }).find("did you mean 'frequency'"), std::string::npos);
}

// Spec errors name the file, line and key, with the value.
TEST(stimulus, spec_errors_name_file_line_and_key) {
    const auto dir = std::filesystem::temp_directory_path() / ("nms_stim_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string head = "[model]\nname = \"jansen_rit\"\n[network]\nconnectome = \"synthetic:4\"\n"
                             "[coupling]\nkind = \"sigmoidal_jansen_rit\"\n[integrator]\ndt = 0.1\n"
                             "duration = 100.0\n[output]\npath = \"x.h5\"\n";
    auto error = [&](const std::string& extra) {
        const std::string path = (dir / "s.toml").string();
        std::ofstream(path) << head << extra;
        return error_of([&] { (void)load_spec(path); });
    };
    auto has = [](const std::string& msg, const std::string& part) {
        return msg.find(part) != std::string::npos;
    };
    std::string e = error("[[stimulus]]\nwaveform = \"pulse_train\"\nfrequency = 6000.0\nwidth = 0.1\n");
    EXPECT_TRUE(has(e, "s.toml:14: [stimulus] frequency: frequency 6000 Hz is at or above the Nyquist")) << e;
    e = error("[[stimulus]]\nwaveform = \"pulse_train\"\nfrequency = 130.0\nwidth = 0.05\n");
    EXPECT_TRUE(has(e, "s.toml:15: [stimulus] width: width 0.05 ms is shorter than one step")) << e;
    e = error("[[stimulus]]\nwaveform = \"sine\"\nfrequency = 10.0\ntarget = \"y9\"\n");
    EXPECT_TRUE(has(e, "s.toml:15: [stimulus] target: unknown target 'y9'")) << e;
    e = error("[[stimulus]]\nwaveform = \"sine\"\nfrequency = 10.0\nregions = [\"nowhere\"]\n");
    EXPECT_TRUE(has(e, "s.toml:15: [stimulus] regions")) << e;
    EXPECT_TRUE(has(e, "nowhere")) << e;
    std::ofstream(dir / "w.txt") << "0\n1\n2\n";
    e = error("[[stimulus]]\nwaveform = \"sampled\"\nfile = \"w.txt\"\nsample_dt = 1.0\nstop = 10.0\n");
    EXPECT_TRUE(
        has(e, "s.toml:14: [stimulus] file: has 3 samples, but onset 0 to stop 10 ms every 1 ms needs 11"))
        << e;
    e = error("[[stimulus]]\nname = \"dbs\"\nwaveform = \"pulse_train\"\nfrequency = 130.0\nwidth = 0.1\n"
              "[[sweep]]\nparam = \"stimulus.dbs.frequency\"\nvalues = [100.0, 5500.0]\n");
    EXPECT_TRUE(has(e, "s.toml:18: [sweep] param")) << e;
    EXPECT_TRUE(has(e, "Nyquist")) << e;
    e = error("[[stimulus]]\nwaveform = \"step\"\nfrequency = 10.0\n");
    EXPECT_TRUE(has(e, "[stimulus] frequency: has no meaning for waveform 'step'")) << e;
    EXPECT_EQ(
        error("[[stimulus]]\nname = \"dbs\"\nwaveform = \"pulse_train\"\nfrequency = 130.0\nwidth = 0.1\n"
              "biphasic = true\nregions = [\"r0\", 2]\n[[sweep]]\nparam = \"stimulus.dbs.amplitude\"\n"
              "linspace = [0.0, 10.0, 3]\n"),
        "");
    std::filesystem::remove_all(dir);
}

// A phase oscillator driven through its phase coupling: a virtual source
// whose phase is Omega t (waveform "phase", target "afferent") reaches a
// Kuramoto node through the coupling, theta' = omega + a sin(Omega t - theta).
// The phase difference phi = theta - Omega t obeys phi' = (omega - Omega) -
// a sin(phi): 1:1 locking exactly where |omega - Omega| <= a (phi then rests
// at asin((omega - Omega) / a)). A sweep of the drive frequency (one value
// per instance) finds the tongue's edges within one grid step.
TEST(stimulus, forced_kuramoto_locks_inside_the_analytic_tongue) {
    const double omega = 0.06, a = 0.01, T = 20000.0, df = 0.1; // rad/ms; ms; Hz
    std::vector<double> f;
    for (double x = 6.0; x <= 13.0 + 1e-9; x += df) f.push_back(x);
    batch b;
    b.model = "kuramoto";
    b.coupling = "kuramoto";
    b.net = nodes(1);
    b.n_instances = f.size();
    b.dt = 0.1;
    b.n_steps = std::lround(T / b.dt);
    b.params["model.omega"] = field::scalar(omega);
    b.params["coupling.a"] = field::scalar(a);
    b.initial["theta"] = field::scalar(0.0);
    stimulus drive;
    drive.name = "drive";
    drive.kind = wave::phase;
    drive.target = "afferent";
    b.stimuli = {drive};
    b.params["stimulus.drive.frequency"] = field::per_instance(f);
    const auto r = run_cpu<double>(b);
    const double step = 2 * pi * df * 1e-3; // one grid step in rad/ms
    int checked = 0;
    for (std::size_t i = 0; i < f.size(); ++i) {
        const double W = 2 * pi * f[i] * 1e-3, detune = omega - W;
        const double phi = r.final_state[i] - W * T;
        if (std::abs(detune) < a - step) {
            EXPECT_NEAR(phi, std::asin(detune / a), 0.02) << "locked at " << f[i] << " Hz";
            ++checked;
        } else if (std::abs(detune) > a + step) {
            EXPECT_GT(std::abs(phi), 2 * pi) << "drifts at " << f[i] << " Hz";
            ++checked;
        }
    }
    EXPECT_GT(checked, 60);
}

// Spatial patterns from the spec: weights by region label from a file, and
// a lead field's transpose times electrode currents (given per row or by
// sensor label): w_r = sum_s G[s][r] e_s.
TEST(stimulus, spatial_patterns_from_files_and_lead_fields) {
    const auto dir = std::filesystem::temp_directory_path() / ("nms_stim_pat_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "w.txt") << "r2 0.5\nr0 -1.0\n";
    std::ofstream(dir / "gain.txt") << "C3 1.0 2.0 0.0 4.0\nC4 0.5 0.0 3.0 1.0\nCz 0.0 1.0 1.0 1.0\n";
    const std::string head = "[model]\nname = \"linear\"\n[network]\nconnectome = \"synthetic:4\"\n"
                             "[integrator]\ndt = 0.1\nduration = 10.0\n[output]\npath = \"x.h5\"\n";
    auto load = [&](const std::string& extra) {
        std::ofstream(dir / "s.toml") << head << extra;
        return load_spec((dir / "s.toml").string());
    };
    auto s = load("[[stimulus]]\nwaveform = \"step\"\ntarget = \"x\"\nweights = { file = \"w.txt\", default "
                  "= 0.25 }\n");
    EXPECT_EQ(s.stimuli[0].stim.weight, (std::vector<double>{-1.0, 0.25, 0.5, 0.25}));
    EXPECT_EQ(s.params.count("stimulus.stim1.weights"), 0u); // not a parameter
    s = load("[[stimulus]]\nwaveform = \"step\"\ntarget = \"x\"\ngain = \"gain.txt\"\nelectrodes = [1.0, "
             "-2.0, 0.5]\n");
    EXPECT_EQ(s.stimuli[0].stim.weight, (std::vector<double>{0.0, 2.5, -5.5, 2.5}));
    s = load("[[stimulus]]\nwaveform = \"step\"\ntarget = \"x\"\ngain = \"gain.txt\"\n"
             "electrodes = { C4 = 2.0, C3 = 1.0 }\n");
    EXPECT_EQ(s.stimuli[0].stim.weight, (std::vector<double>{2.0, 2.0, 6.0, 6.0}));
    const std::string e = error_of([&] {
        (void)load("[[stimulus]]\nwaveform = \"step\"\ntarget = \"x\"\ngain = \"gain.txt\"\nelectrodes = { "
                   "Fz = 1.0 }\n");
    });
    EXPECT_NE(e.find("s.toml:14: [stimulus] electrodes: no sensor 'Fz'"), std::string::npos) << e;
    std::filesystem::remove_all(dir);
}
