#pragma once

// Stimulus waveforms, written once for both backends: the value of a
// stimulus at a stage time of a step is a pure function of the step index
// (no per-step arrays), its per-instance properties and its constant shape
// data, computed in double on the host and on the device alike.
//
// Time is counted in half steps h (tau = h dt / 2): a step t -> t + 1 has
// its stages at h = 2t (start), 2t + 1 (middle, rk4) and 2t + 2 (end, heun
// and rk4). Rectangular pulses are laid on the step grid: a train's k-th
// pulse starts at step s0 + rint(k P) (s0 = rint(onset / dt), P the period
// in steps) and each phase lasts a whole number of steps, so that every
// scheme integrates a pulse's charge exactly (trapezoid and Simpson weights
// of a step function with edges on the grid) and a biphasic pulse's two
// phases cancel to rounding.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/noise.hpp"
#include "nmsweep/integrators/schemes.hpp"

#include <cstdint>

namespace nms {

// phase: the waveform is a phase, 2 pi f (t - onset) + phase (rad, times
// amplitude), the state of a virtual phase oscillator for an afferent target.
enum class wave : int { pulse_train, pulse, sine, step, gaussian, noise, sampled, piecewise, phase };
constexpr int n_waves = 9;
constexpr const char* wave_names[n_waves] = {"pulse_train", "pulse",   "sine",      "step", "gaussian",
                                             "noise",       "sampled", "piecewise", "phase"};

// The numeric properties of a stimulus (each may vary over instances: a
// sweep axis "stimulus.<name>.<property>"). Units: amplitude in the target's
// units (per ms for a derivative), frequency in Hz, times in ms, phase in
// radians.
enum wave_prop : int {
    wp_amplitude, // scale of the waveform
    wp_frequency, // Hz: pulse_train, sine
    wp_width,     // ms: a pulse phase (pulse_train, pulse); the standard deviation (gaussian)
    wp_phase,     // rad: sine
    wp_onset,     // ms: the stimulus starts (pulse trains: snapped to the step grid)
    wp_stop,      // ms: no new pulse from here; other waveforms end here
    wp_ramp,      // ms: the envelope rises linearly from 0 to 1 over [onset, onset + ramp]
    wp_gap,       // ms: between a biphasic pulse's two phases
    wp_ratio,     // biphasic: the second phase is `ratio` times longer and 1/ratio as strong
    wp_center,    // ms: gaussian's peak
    wp_hold,      // ms: noise holds each deviate this long (at least one step)
    wp_biphasic,  // 0 / 1: pulses have a charge-balancing second phase
    n_wave_props
};
constexpr const char* wave_prop_names[n_wave_props] = {"amplitude", "frequency", "width", "phase",
                                                       "onset",     "stop",      "ramp",  "gap",
                                                       "ratio",     "center",    "hold",  "biphasic"};

// Shape data a property cannot carry: a sampled waveform's samples (every
// sample_dt ms from onset, linear between them, zero after the last) or a
// piecewise-linear one's knots (times after onset, values; held outside).
struct wave_shape {
    const double* t = nullptr; // piecewise: knot times (ms after onset)
    const double* v = nullptr; // samples or knot values
    int n = 0;
    double sample_dt = 0;
};

namespace impl {

// Step (relative to s0) at which pulse k of a train of period P steps starts.
NMS_HD double pulse_start(double k, double period) { return ::rint(k * period); }

// Value of a (biphasic) pulse train at half step h (period 1e308: a single
// pulse); q[prop * qs]: the properties.
NMS_HD double train_value(const double* q, long qs, long h, double dt, double period) {
    const double s0 = ::rint(q[wp_onset * qs] / dt);
    const double pos = 0.5 * double(h) - s0; // steps after the first pulse starts
    if (pos < 0) return 0.0;
    double k = period < 1e300 ? ::floor(pos / period) : 0.0;
    double start = impl::pulse_start(k, period);
    if (pos < start) start = impl::pulse_start(k -= 1, period); // rint moved the edge past pos
    if (period < 1e300) {
        const double next = impl::pulse_start(k + 1, period);
        if (pos >= next) start = impl::pulse_start(k += 1, period);
    }
    const double stop = q[wp_stop * qs];
    const double stop_steps = stop < 1e300 ? ::rint(stop / dt) : 1e300;
    if (s0 + start >= stop_steps) return 0.0; // pulses that started before stop complete
    const double width = q[wp_width * qs];
    const double w1 = nmax(1.0, ::rint(width / dt));
    const double r = pos - start;
    double env = 1.0;
    const double ramp = q[wp_ramp * qs];
    if (ramp > 0) env = nmin(1.0, start * dt / ramp); // per pulse: its phases balance
    if (r < w1) return env;
    if (q[wp_biphasic * qs] == 0) return 0.0;
    const double g = ::rint(q[wp_gap * qs] / dt), w2 = nmax(1.0, ::rint(width * q[wp_ratio * qs] / dt));
    // The second phase's strength makes its charge equal the first's exactly.
    return (r >= w1 + g && r < w1 + g + w2) ? -env * w1 / w2 : 0.0;
}

// Linear interpolation of samples v[j] at j = x (x >= 0); 0 past the end.
NMS_HD double sample_at(const wave_shape& s, double x) {
    const double j = ::floor(x);
    if (j >= double(s.n - 1)) return j == double(s.n - 1) ? s.v[s.n - 1] : 0.0;
    const int i = int(j);
    return s.v[i] + (x - j) * (s.v[i + 1] - s.v[i]);
}

NMS_HD double knot_at(const wave_shape& s, double x) {
    if (x <= s.t[0]) return s.v[0];
    for (int i = 1; i < s.n; ++i)
        if (x < s.t[i]) return s.v[i - 1] + (x - s.t[i - 1]) / (s.t[i] - s.t[i - 1]) * (s.v[i] - s.v[i - 1]);
    return s.v[s.n - 1];
}

} // namespace impl

// The stimulus value at half step h of instance `inst` (noise keys: seed,
// inst, stimulus index k). q[prop * qs]: the instance's properties (qs: the
// stride between them, so that lanes or threads read them in place).
NMS_HD double wave_value(wave kind, const double* q, long qs, const wave_shape& shape, long h, double dt,
                         std::uint64_t seed, std::uint32_t inst, std::uint32_t k) {
    if (kind == wave::pulse_train || kind == wave::pulse) {
        const double period = kind == wave::pulse ? 1e308 : 1000.0 / (q[wp_frequency * qs] * dt);
        return q[wp_amplitude * qs] * impl::train_value(q, qs, h, dt, period);
    }
    const double onset = q[wp_onset * qs];
    const double tau = 0.5 * double(h) * dt - onset; // ms after onset
    if (tau < 0 || 0.5 * double(h) * dt >= q[wp_stop * qs]) return 0.0;
    const double ramp = q[wp_ramp * qs];
    const double env = ramp > 0 ? nmin(1.0, tau / ramp) : 1.0;
    double y = 0.0;
    switch (kind) {
    case wave::sine:
        y = ::sin(2.0 * pi * q[wp_frequency * qs] * 1e-3 * tau + q[wp_phase * qs]);
        break;
    case wave::step:
        y = 1.0;
        break;
    case wave::phase:
        return q[wp_amplitude * qs] * (2.0 * pi * q[wp_frequency * qs] * 1e-3 * tau + q[wp_phase * qs]);
    case wave::gaussian: {
        const double z = (0.5 * double(h) * dt - q[wp_center * qs]) / q[wp_width * qs];
        y = ::exp(-0.5 * z * z);
        break;
    }
    case wave::noise: {
        // Piecewise constant: a new deviate every `hold` ms (at least a
        // step), cells counted in whole steps from onset; a stage inside a
        // step sees the cell of the step's start, the end the next step's.
        const double t_start = double(h >> 1) * dt - onset;
        const double cell = ::floor(nmax(t_start, 0.0) / nmax(q[wp_hold * qs], dt) + 1e-9);
        y = normal<double>(seed, inst, 0xffffff00u + k, 0u, std::uint32_t(cell));
        break;
    }
    case wave::sampled:
        y = impl::sample_at(shape, tau / shape.sample_dt);
        break;
    case wave::piecewise:
        y = impl::knot_at(shape, tau);
        break;
    default:
        break;
    }
    return q[wp_amplitude * qs] * env * y;
}

// The same with the properties contiguous (q[prop]).
NMS_HD double wave_value(wave kind, const double* q, const wave_shape& shape, long h, double dt,
                         std::uint64_t seed, std::uint32_t inst, std::uint32_t k) {
    return wave_value(kind, q, 1, shape, h, dt, seed, inst, k);
}

// What a stimulus drives, in one index space per (model, coupling):
// [0, NS) the derivative of state variable v, [NS, NS + NCV) the coupling
// input of coupling variable j, [NS + NCV, NS + NCV + NPMC) parameter q
// (model then coupling parameters, kernel order), offset by the stimulus at
// each step's start; stim_afferent: a virtual source region whose first
// coupling variable is the waveform, entering every node through the
// coupling function (its pre) with the node's weight, as a delayed input
// does (held over the step, or at the stage times with interpolate).
constexpr int stim_afferent = -1;

// Stages a scheme evaluates the stimulus at (0: start, 1: middle, 2: end).
NMS_HD constexpr bool stage_used(scheme s, int g) {
    return g == 0 || (g == 2 && s != scheme::euler) || (g == 1 && s == scheme::rk4);
}

// The drive of one node and lane at the stage times: dv[g][v] added to the
// derivatives, dc[g][j] to the coupling inputs (drive_dfun, schemes.hpp).
template <int NS, int NCV, class T> struct stim_drive {
    T dv[3][NS];
    T dc[3][NCV];
};
// Its layout in a backend's buffer: value j of stage g (j < NS: dv, else
// dc[j - NS]) at drive[(g * (NS + NCV) + j) * ds + lane].
// Mode (stim_mode, schemes.hpp): stim_inputs reads only the coupling inputs.
template <int NS, int NCV, scheme S, int Mode, class T>
NMS_HD void load_drive(const T* drive, long ds, int l, stim_drive<NS, NCV, T>& d) {
    NMS_UNROLL
    for (int g = 0; g < 3; ++g) {
        if (!stage_used(S, g)) continue;
        if (Mode == stim_all) NMS_UNROLL
        for (int v = 0; v < NS; ++v) d.dv[g][v] = drive[(g * (NS + NCV) + v) * ds + l];
        NMS_UNROLL
        for (int j = 0; j < NCV; ++j) d.dc[g][j] = drive[(g * (NS + NCV) + NS + j) * ds + l];
    }
}

} // namespace nms
