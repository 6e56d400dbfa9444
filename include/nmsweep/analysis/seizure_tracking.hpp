#pragma once

// The device half of seizure detection: per channel (node or sensor), a
// measure of the signal smoothed by a first-order low-pass (time constant
// `window`), and a two-threshold state machine (hysteresis) that times
// entries into and exits from the seizure state. Not a feature family: the
// seizure reducer (src/sweep/seizure.cpp) asks for it and turns the states
// into onsets, ranks and recruitment.
//
//   measure m_k: level        x_k
//                line_length  |x_k - x_(k-1)| / dt  (1/s; 0 at the first sample)
//   smoothed    s_k = s_(k-1) + alpha (m_k - s_(k-1)),  alpha = 1 - exp(-dt / window)
//               (s_0 = m_0: a level needs no warm-up)
//   seizing from when s crosses `on` (upwards when on > off, downwards when
//   on < off) until it crosses `off` back; crossing times interpolated
//   linearly between samples.
// The low-pass delays each crossing by about window x ln(jump / (jump -
// threshold)); relative onsets (ranks, latencies) of similar signals keep
// their order.

#include "nmsweep/analysis/sampling.hpp"
#include "nmsweep/analysis/unit.hpp"
#include "nmsweep/core/cycle_tracker.hpp" // cycle_nan

namespace nms {

struct seizure_params {
    double t0_ms = 0, dt_ms = 1; // time of the first sample, between samples
    double alpha = 1;            // low-pass weight per sample (1: none)
    double on = 0, off = 0;      // thresholds on the smoothed measure
    int line_length = 0;         // measure: 0 level, 1 line length
};

struct seizure_state {
    double s, prev;         // smoothed measure, last sample
    double onset, offset;   // ms: first entry, first exit (NaN: none)
    long n, count, seizing; // samples seen, seizures begun, samples seizing
    int in;                 // seizing now
};

struct seizure_tracking {
    using params = seizure_params;
    using state = seizure_state;
    NMS_HD static state start(const params&) {
        const double nan = cycle_nan();
        return {0.0, 0.0, nan, nan, 0, 0, 0, 0};
    }
    NMS_HD static void update(state& st, const params& p, double x) {
        const double d = x < st.prev ? st.prev - x : x - st.prev;
        const double m = p.line_length ? (st.n > 0 ? d * (1000.0 / p.dt_ms) : 0.0) : x;
        const double s0 = st.s;
        st.s = st.n > 0 ? st.s + p.alpha * (m - st.s) : m;
        st.prev = x;
        const double sign = p.on >= p.off ? 1.0 : -1.0;
        if (!st.in && sign * st.s >= sign * p.on) {
            st.in = 1;
            ++st.count;
            if (!(st.onset == st.onset)) st.onset = crossed_at(st, p, s0, p.on);
        } else if (st.in && sign * st.s <= sign * p.off) {
            st.in = 0;
            if (!(st.offset == st.offset)) st.offset = crossed_at(st, p, s0, p.off);
        }
        st.seizing += st.in;
        ++st.n;
    }
    static constexpr bool featured = false;

    // When, between the last sample (s0) and this one, s crossed `level` (ms).
    NMS_HD static double crossed_at(const state& st, const params& p, double s0, double level) {
        const double t = p.t0_ms + double(st.n) * p.dt_ms;
        if (st.n == 0 || st.s == s0) return t;
        return t - p.dt_ms * (st.s - level) / (st.s - s0);
    }
};

} // namespace nms
