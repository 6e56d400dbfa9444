// Entrainment features (entrainment_options, nmsweep/sweep/reducers.hpp)
// against independent references: signals whose phase-locking, n:m ratio
// and harmonic power are known in closed form; the pulse-train phase
// against the pulse starts laid out by the rule waveform.hpp documents; a
// forced Stuart-Landau oscillator swept through the engine over (Omega, F),
// whose 1:1 tongue edges come from the rotating-frame fixed points
// (tests/entrainment_reference/stuart_landau_tongue.py -> sl_tongue.txt);
// and the spec's errors.

#include "analysis_test_util.hpp"
#include "entrainment_math.hpp"
#include "sweep_observer.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

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

stimulus sine(const std::string& name, double f, double amplitude, double phase = 0, double onset = 0) {
    stimulus s;
    s.name = name;
    s.kind = wave::sine;
    s.target = "x";
    s.props[wp_frequency] = f;
    s.props[wp_amplitude] = amplitude;
    s.props[wp_phase] = phase;
    s.props[wp_onset] = onset;
    return s;
}

// A one-node linear batch carrying stimulus s (dt 1 ms): what set_batch reads.
batch carrying(const stimulus& s, std::size_t n = 1) {
    batch b;
    b.model = "linear";
    b.net = nodes(1);
    b.dt = 1.0;
    b.n_instances = n;
    b.stimuli = {s};
    return b;
}

sampling samples(long n, double dt_ms = 1.0) {
    sampling smp;
    smp.n_samples = n;
    smp.dt_ms = dt_ms;
    smp.fs = 1000.0 / dt_ms;
    smp.t0_ms = dt_ms;
    return smp;
}

// The reducer fed x(t) (t = step dt ms, steps 1 .. n) on one node.
std::unique_ptr<reducer> fed(const batch& b, const entrainment_options& o, long n,
                             const std::function<double(double)>& x) {
    auto r = make_entrainment_reducer({"entrainment"}, o, samples(n), "");
    r->set_batch(b);
    nms_test::feed(*r, b.n_instances, 1, n, 4, [&](std::size_t, long t, int) { return x(double(t + 1)); });
    return r;
}

double get(const reducer& r, const std::string& name, std::size_t k = 0) {
    return nms_test::result_of(r, "features/" + name, 0)[k];
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

TEST(entrainment, best_ratio) {
    EXPECT_EQ(best_ratio(1.0, 4), std::make_pair(1, 1));
    EXPECT_EQ(best_ratio(2.04, 4), std::make_pair(2, 1));
    EXPECT_EQ(best_ratio(0.49, 4), std::make_pair(1, 2));
    EXPECT_EQ(best_ratio(1.37, 4), std::make_pair(4, 3));
    EXPECT_EQ(best_ratio(0.74, 4), std::make_pair(3, 4));
    EXPECT_EQ(best_ratio(1.37, 2), std::make_pair(1, 1));
    EXPECT_EQ(best_ratio(1.6, 2), std::make_pair(2, 1));
    EXPECT_EQ(best_ratio(std::nan(""), 4), std::make_pair(0, 0));
}

// Phase 0 at each pulse's first step: pulse k starts at rint(onset / dt) +
// rint(k P) steps (P = 1000 / (f dt), not a whole number here), and the
// phase grows by 2 pi / P per step in between.
TEST(entrainment, pulse_train_phase_on_the_step_grid) {
    stimulus s;
    s.kind = wave::pulse_train;
    s.props[wp_frequency] = 130.0;
    s.props[wp_onset] = 12.34;
    const double dt = 0.1, P = 1000.0 / (130.0 * dt);
    const long s0 = std::lround(12.34 / dt);
    EXPECT_TRUE(std::isnan(impl::stimulus_phase(wave::pulse_train, s.props.data(), s0 - 1, dt)));
    for (long k = 0; k < 200; ++k) {
        const long start = s0 + std::lround(double(k) * P), next = s0 + std::lround(double(k + 1) * P);
        EXPECT_DOUBLE_EQ(impl::stimulus_phase(wave::pulse_train, s.props.data(), start, dt), 0.0) << k;
        EXPECT_NEAR(impl::stimulus_phase(wave::pulse_train, s.props.data(), next - 1, dt),
                    2 * pi * double(next - 1 - start) / P, 1e-12);
    }
}

// The response is a sinusoid at the drive's phase (any offset): PLV 1,
// ratio 1, 1:1; twice the drive's frequency: 2:1; half: 1:2.
TEST(entrainment, locking_of_known_signals) {
    const double f = 10.0, w = 2 * pi * f / 1000.0;
    entrainment_options o;
    o.nperseg = 1000; // 1 Hz bins: f on a bin
    const auto b = carrying(sine("drive", f, 1.0, 0.4));
    auto r = fed(b, o, 5000, [&](double t) { return std::cos(w * t + 0.4 + 1.1); });
    EXPECT_NEAR(get(*r, "stim_plv"), 1.0, 1e-6);
    EXPECT_NEAR(get(*r, "network_stim_plv"), 1.0, 1e-6);
    EXPECT_DOUBLE_EQ(get(*r, "locking_ratio"), 1.0);
    EXPECT_EQ(get(*r, "locking_n"), 1.0);
    EXPECT_EQ(get(*r, "locking_m"), 1.0);
    EXPECT_NEAR(get(*r, "locking_index"), 1.0, 1e-6);

    r = fed(b, o, 5000, [&](double t) { return std::cos(2 * (w * t + 0.4) + 0.3); });
    EXPECT_DOUBLE_EQ(get(*r, "locking_ratio"), 2.0);
    EXPECT_EQ(get(*r, "locking_n"), 2.0);
    EXPECT_EQ(get(*r, "locking_m"), 1.0);
    EXPECT_NEAR(get(*r, "locking_index"), 1.0, 1e-6);

    r = fed(b, o, 5000, [&](double t) { return std::sin(0.5 * (w * t + 0.4) - 0.2); });
    EXPECT_DOUBLE_EQ(get(*r, "locking_ratio"), 0.5);
    EXPECT_EQ(get(*r, "locking_n"), 1.0);
    EXPECT_EQ(get(*r, "locking_m"), 2.0);
    EXPECT_NEAR(get(*r, "locking_index"), 1.0, 1e-6);

    // A rhythm of its own (13 Hz, off the drive) is not locked to it.
    r = fed(b, o, 5000, [&](double t) { return std::cos(2 * pi * 13.0 * t / 1000.0); });
    EXPECT_LT(get(*r, "stim_plv"), 0.1);
    EXPECT_DOUBLE_EQ(get(*r, "locking_ratio"), 1.3);
    EXPECT_EQ(get(*r, "locking_n"), 4.0);
    EXPECT_EQ(get(*r, "locking_m"), 3.0);
    EXPECT_LT(get(*r, "locking_index"), 0.1);
}

// A sinusoid locked to a pulse train's phase (period a whole number of steps).
TEST(entrainment, pulse_train_drive) {
    stimulus s;
    s.name = "dbs";
    s.kind = wave::pulse_train;
    s.target = "x";
    s.props[wp_frequency] = 20.0;
    s.props[wp_width] = 1.0;
    s.props[wp_onset] = 7.0;
    entrainment_options o;
    o.nperseg = 1000;
    auto r =
        fed(carrying(s), o, 4000, [&](double t) { return std::sin(2 * pi * 20.0 * (t - 7.0) / 1000.0); });
    EXPECT_NEAR(get(*r, "stim_plv"), 1.0, 1e-5); // (not a whole number of cycles)
    EXPECT_DOUBLE_EQ(get(*r, "locking_ratio"), 1.0);
}

// Harmonic power of A1 sin(w t) + A2 sin(2 w t + .4) + A3 cos(3 w t), every
// frequency on a bin: A_h^2 / 2 (Hann: the +-1 bins hold all of it).
TEST(entrainment, stim_power_closed_form) {
    const double f = 10.0, w = 2 * pi * f / 1000.0, A[3] = {1.5, 0.7, 0.2};
    entrainment_options o;
    o.nperseg = 1000;
    o.n_harmonics = 4;
    auto r = fed(carrying(sine("drive", f, 1.0)), o, 6000, [&](double t) {
        return A[0] * std::sin(w * t) + A[1] * std::sin(2 * w * t + 0.4) + A[2] * std::cos(3 * w * t) + 0.3;
    });
    const auto p = nms_test::result_of(*r, "features/stim_power", 0);
    ASSERT_EQ(p.size(), 4u);
    for (int h = 0; h < 3; ++h) EXPECT_NEAR(p[std::size_t(h)], A[h] * A[h] / 2, 1e-9 * A[0] * A[0]) << h + 1;
    EXPECT_NEAR(p[3], 0.0, 1e-12);
    const auto q = nms_test::result_of(*r, "features/network_stim_power", 0);
    EXPECT_NEAR(q[1], A[1] * A[1] / 2, 1e-9);
}

// An alpha rhythm (10 Hz, power 1/2) before a 25 Hz drive that replaces
// it by a weaker one (power 0.045) and a strong 25 Hz response.
TEST(entrainment, rhythm_before_and_during) {
    entrainment_options o;
    o.nperseg = 1000;
    const double onset = 2000.0;
    auto r = fed(carrying(sine("drive", 25.0, 1.0, 0.0, onset)), o, 5000, [&](double t) {
        const double alpha = std::sin(2 * pi * 10.0 * t / 1000.0);
        return t < onset ? alpha : 0.3 * alpha + std::sin(2 * pi * 25.0 * (t - onset) / 1000.0);
    });
    EXPECT_DOUBLE_EQ(get(*r, "peak_freq_before"), 10.0);
    EXPECT_DOUBLE_EQ(get(*r, "peak_freq_during"), 25.0);
    EXPECT_NEAR(get(*r, "band_power_before"), 0.5, 1e-9);
    EXPECT_NEAR(get(*r, "band_power_during"), 0.045, 1e-9);
    EXPECT_NEAR(get(*r, "stim_plv"), 1.0, 1e-3);
    EXPECT_NEAR(get(*r, "stim_power"), 0.5, 1e-9);
}

// ---- a forced Stuart-Landau oscillator through the engine -------------------

namespace {

// sl_tongue.txt: F, Delta_b (rad/ms), f_lo, f_hi (Hz) of the 1:1 tongue of
// z' = (a - |z|^2) z + i omega z + F e^{i Omega t} (a = 0.1, 10 Hz).
std::vector<std::vector<double>> tongue_reference() {
    return nms_test::read_table(std::string(NMS_ENTRAIN_REF) + "/sl_tongue.txt");
}

} // namespace

// F e^{i Omega t} as two sines on x' and y' (phases pi/2 and 0), swept over
// Omega (6 .. 14 Hz every 0.25 Hz) and two forces in one batch: stim_plv is
// near 1 well inside the tongue, clearly lower well outside, and its edge
// (PLV crossing 0.8) sits within one grid step of the reference edges.
TEST(entrainment, stuart_landau_arnold_tongue) {
    const auto ref = tongue_reference();
    ASSERT_GE(ref.size(), 2u);
    const double step_hz = 0.25, omega = 2 * pi * 10.0 / 1000.0;
    const int n_freq = 33, n_force = 2;
    std::vector<double> freq, force;
    for (int k = 0; k < n_force; ++k)
        for (int j = 0; j < n_freq; ++j) {
            freq.push_back(6.0 + step_hz * j);
            force.push_back(ref[std::size_t(k)][0]);
        }
    batch b;
    b.model = "stuart_landau";
    b.coupling = "difference";
    b.net = nodes(1);
    b.dt = 1.0;
    b.n_steps = 7000;
    b.n_instances = freq.size();
    b.params["model.a"] = field::scalar(0.1);
    b.params["model.omega"] = field::scalar(omega);
    b.initial["x"] = field::scalar(0.3);
    b.initial["y"] = field::scalar(0.0);
    b.stimuli = {sine("fx", 10.0, 0.0, pi / 2), sine("fy", 10.0, 0.0, 0.0)};
    b.stimuli[1].target = "y";
    for (const char* s : {"fx", "fy"}) {
        b.params[std::string("stimulus.") + s + ".frequency"] = field::per_instance(freq);
        b.params[std::string("stimulus.") + s + ".amplitude"] = field::per_instance(force);
    }
    entrainment_options o;
    o.stimulus = "fx";
    o.bandwidth = 0.8; // the band holds the free 10 Hz rhythm at every drive frequency
    const long transient = 1000;
    sampling smp = samples(b.n_steps - transient);
    smp.t0_ms = double(transient + 1);
    auto r = make_entrainment_reducer({"stim_plv", "locking"}, o, smp, "");
    r->set_batch(b);
    r->reset(b.n_instances, 1);
    sweep_observer<double> obs({1.0, 0.0}, transient, 1, {r.get()}, 0);
    const auto res = run_cpu<double>(b, {}, &obs);
    for (auto d : res.diverged_step) ASSERT_LT(d, 0);
    const auto k_plv = nms_test::output_index(*r, "features/network_stim_plv");
    const auto k_ratio = nms_test::output_index(*r, "features/network_locking_ratio");
    for (int k = 0; k < n_force; ++k) {
        const double f_lo = ref[std::size_t(k)][2], f_hi = ref[std::size_t(k)][3];
        std::vector<double> plv(n_freq);
        for (int j = 0; j < n_freq; ++j) r->result(k_plv, std::size_t(k * n_freq + j), &plv[std::size_t(j)]);
        double edge_lo = NAN, edge_hi = NAN;
        for (int j = 0; j < n_freq; ++j) {
            const double f = freq[std::size_t(j)];
            const double inside = std::min(f - f_lo, f_hi - f); // Hz from the nearest edge, > 0 inside
            if (inside > 2 * step_hz) {
                EXPECT_GT(plv[std::size_t(j)], 0.95) << "F " << force[std::size_t(k * n_freq)] << " f " << f;
                double ratio = 0;
                r->result(k_ratio, std::size_t(k * n_freq + j), &ratio);
                EXPECT_NEAR(ratio, 1.0, 1.0 / f) << "f " << f; // within a 1 Hz Welch bin
            }
            if (inside < -2 * step_hz) {
                EXPECT_LT(plv[std::size_t(j)], 0.7) << "F " << force[std::size_t(k * n_freq)] << " f " << f;
            }
            if (j > 0) {
                const bool a = plv[std::size_t(j - 1)] > 0.8, c = plv[std::size_t(j)] > 0.8;
                if (!a && c && std::isnan(edge_lo)) edge_lo = f - step_hz / 2;
                if (a && !c) edge_hi = f - step_hz / 2;
            }
        }
        std::printf("F %g: PLV edges %.3f .. %.3f Hz, reference %.3f .. %.3f Hz\n", ref[std::size_t(k)][0],
                    edge_lo, edge_hi, f_lo, f_hi);
        EXPECT_NEAR(edge_lo, f_lo, step_hz);
        EXPECT_NEAR(edge_hi, f_hi, step_hz);
    }
}

// ---- the spec's errors ------------------------------------------------------

TEST(entrainment, spec_errors_name_file_line_and_key) {
    const auto dir = std::filesystem::temp_directory_path() / ("nms_entrain_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string head = "[model]\nname = \"jansen_rit\"\n[network]\nconnectome = \"synthetic:4\"\n"
                             "[coupling]\nkind = \"sigmoidal_jansen_rit\"\n[integrator]\ndt = 0.1\n"
                             "duration = 1000.0\ntransient = 200.0\n";
    const std::string drive = "[[stimulus]]\nname = \"dbs\"\nwaveform = \"pulse_train\"\nfrequency = 130.0\n"
                              "width = 0.1\nonset = 500.0\n";
    auto error = [&](const std::string& extra) {
        const std::string path = (dir / "s.toml").string();
        std::ofstream(path) << head << extra;
        return error_of([&] { (void)load_spec(path); });
    };
    auto has = [](const std::string& msg, const std::string& part) {
        return msg.find(part) != std::string::npos;
    };
    const std::string out = "[output]\npath = \"x.h5\"\nfeatures = [\"stim_plv\"]\n";
    std::string e = error(out);
    EXPECT_TRUE(
        has(e, "s.toml:13: [output] features: entrainment features (stim_plv) need a periodic [[stimulus]]"))
        << e;
    e = error("[[stimulus]]\nwaveform = \"step\"\n" + out);
    EXPECT_TRUE(has(e, "no periodic one")) << e;
    e = error(drive + out + "[output.entrainment]\nstimulus = \"tms\"\n");
    EXPECT_TRUE(has(e, "s.toml:21: [output.entrainment] stimulus: no [[stimulus]] of that name")) << e;
    e = error(drive + "[[stimulus]]\nname = \"ramp\"\nwaveform = \"step\"\n" + out +
              "[output.entrainment]\nstimulus = \"ramp\"\n");
    EXPECT_TRUE(has(e, "[output.entrainment] stimulus: stimulus 'ramp' is a step")) << e;
    e = error(drive + out + "[output.entrainment]\nbandwidth = 1.5\n");
    EXPECT_TRUE(has(e, "s.toml:21: [output.entrainment] bandwidth: must be in (0, 1)")) << e;
    e = error(drive + out + "[output.entrainment]\nmax_ordr = 3\n");
    EXPECT_TRUE(has(e, "unknown key")) << e;
    // Too few samples before the onset for the rhythm before it.
    const std::string early =
        "[[stimulus]]\nname = \"dbs\"\nwaveform = \"sine\"\nfrequency = 20.0\nonset = 200.6\n";
    e = error(early + "[output]\npath = \"x.h5\"\nfeatures = [\"rhythm_change\"]\n");
    EXPECT_TRUE(
        has(e, "s.toml:15: [stimulus] onset: entrainment: 5 samples after the transient before the onset"))
        << e;
    // ... also when a sweep axis moves the onset.
    e = error(drive + "[[sweep]]\nparam = \"stimulus.dbs.onset\"\nvalues = [500.0, 200.0]\n" +
              "[output]\npath = \"x.h5\"\nfeatures = [\"entrainment\"]\n");
    EXPECT_TRUE(has(e, "0 samples after the transient before the onset")) << e;
    EXPECT_EQ(error(early + "[output]\npath = \"x.h5\"\nfeatures = [\"stim_plv\", \"locking\"]\n"), "");
    EXPECT_EQ(error(drive + out + "[output.entrainment]\nstimulus = \"dbs\"\nband = [13.0, 30.0]\n"), "");
    std::filesystem::remove_all(dir);
}
