#pragma once

// The streaming state of the attractor classification for one signal:
// running mean and extrema, a hysteresis level detector that times cycles,
// and running sums of the cycle periods, maxima, minima and amplitudes.
// NMS_HD and plain data, so that the CUDA backend updates it on the device
// per sample with the code the host reducer (src/sweep/attractor.cpp) runs;
// the classification of the final state stays on the host.

#include "nmsweep/core/hd.hpp"

#include <cmath>
#include <cstdint>

namespace nms {

// Quiet NaN by its bit pattern (no library call: usable in device code).
NMS_HD double cycle_nan() {
    union {
        std::uint64_t u;
        double f;
    } v{0x7ff8000000000000ull};
    return v.f;
}
NMS_HD bool cycle_isnan(double x) { return !nfinite(x) && x != HUGE_VAL && x != -HUGE_VAL; }

struct cycle_params {
    double atol = 0, rtol = 0; // fixed point: max - min <= atol + rtol max(|max|, |min|)
    double hysteresis = 0;     // of the level detector, a fraction of the cycle's range
    double dt = 0;             // sampling interval (ms)
    long n_samples = 0;        // samples in the whole record
};

// Running sums of a series v_k over the cycles k = 0, 1, ..., shifted by the
// first value (v0) so that slow drifts of a large value lose no precision.
struct cycle_series {
    double v0, s, ss, sk;
    NMS_HD void add(long k, double v) {
        if (k == 0) v0 = v;
        const double d = v - v0;
        s += d;
        ss += d * d;
        sk += double(k) * d;
    }
    NMS_HD double mean(long n) const { return v0 + s / double(n); }
    // Slope per cycle of the least-squares line (0 for n < 2).
    NMS_HD double slope(long n) const {
        if (n < 2) return 0;
        const double N = double(n), mk = (N - 1) / 2, vk = (N * N - 1) / 12;
        return (sk / N - mk * s / N) / vk;
    }
    // Standard deviation about the least-squares line over k (about the mean
    // when fewer than 6 cycles: a line through 3-5 points hides too much).
    NMS_HD double spread(long n) const {
        if (n < 2) return 0;
        const double N = double(n), md = s / N;
        double var = ss / N - md * md;
        if (n >= 6) {
            const double mk = (N - 1) / 2, vk = (N * N - 1) / 12, cov = sk / N - mk * md;
            var -= cov * cov / vk;
        }
        return nsqrt(nmax(0.0, var));
    }
};

// Least-squares sums of the log cycle amplitude y = ln a against the time t
// of the cycle (ms, from the start of its quarter of the record), and of
// x = a^2: the envelope's growth rate d(ln a)/dt in that quarter, and its
// mean squared amplitude (classification by the Hopf normal form).
struct envelope_fit {
    double n, t, tt, y, ty, yy, x;
    NMS_HD void add(double tc, double ly, double a2) {
        n += 1;
        t += tc;
        tt += tc * tc;
        y += ly;
        ty += tc * ly;
        yy += ly * ly;
        x += a2;
    }
};
constexpr int envelope_segments = 4;

struct cycle_state {
    long n;
    double mean, mn, mx, prev;
    int st;    // -1 below level - h, +1 above level + h, 0 not yet armed
    long n_up; // upward crossings
    double t_up, cmax, cmin;
    double pmax, pmin; // extrema of the last complete cycle
    double mx2, mn2;   // extrema over the second half of the record
    long nc;           // timed cycles
    cycle_series T, M, m, A;
    double a_first, a_mid, a_last;
    envelope_fit env[envelope_segments]; // per quarter of the record
    double at_half, at_3q;                // the signal where the third and fourth quarters begin

    // The state before the first sample.
    NMS_HD static cycle_state start() {
        const double nan = cycle_nan(), inf = HUGE_VAL;
        return {0,   0,    inf, -inf, nan, 0,  0,  0,  -inf, inf, nan, nan,
                -inf, inf, 0,    {},  {}, {}, {}, nan,  nan, nan, {}, nan, nan};
    }

    NMS_HD static double tolerance(const cycle_params& p, double a, double b) {
        return p.atol + p.rtol * nmax(nabs(a), nabs(b));
    }

    // One sample x (non-finite samples are skipped).
    NMS_HD void add(const cycle_params& p, double x) {
        if (!nfinite(x)) return;
        const double t = double(n) * p.dt;
        ++n;
        mean += (x - mean) / double(n);
        mn = nmin(mn, x);
        mx = nmax(mx, x);
        cmax = nmax(cmax, x);
        cmin = nmin(cmin, x);
        if (2 * n > p.n_samples) {
            mx2 = nmax(mx2, x);
            mn2 = nmin(mn2, x);
            if (cycle_isnan(at_half)) at_half = x;
        }
        if (4 * n > 3 * p.n_samples && cycle_isnan(at_3q)) at_3q = x;
        // The band follows the last complete cycle (so that a decaying or
        // growing oscillation keeps being timed), or the running range before.
        const bool cyc = !cycle_isnan(pmax);
        const double hi = cyc ? pmax : mx, lo = cyc ? pmin : mn;
        const double range = hi - lo;
        if (range > tolerance(p, hi, lo)) {
            const double level = 0.5 * (hi + lo), h = p.hysteresis * range;
            const double up = level + h;
            if (x < level - h) {
                st = -1;
            } else if (x > up) {
                if (st == -1) {
                    double frac = x != prev ? (up - prev) / (x - prev) : 1.0;
                    frac = nclamp(frac, 0.0, 1.0);
                    const double tc = t - p.dt + frac * p.dt;
                    ++n_up;
                    if (n_up >= 2) pmax = cmax, pmin = cmin;
                    if (n_up >= 3) { // the cycle from crossing n_up-1 (>= 2) to this one
                        const double a = cmax - cmin;
                        T.add(nc, tc - t_up);
                        M.add(nc, cmax);
                        m.add(nc, cmin);
                        A.add(nc, a);
                        if (nc == 0) a_first = a;
                        if (cycle_isnan(a_mid) && 2 * n >= p.n_samples) a_mid = a;
                        a_last = a;
                        if (a > 0) { // the quarter of the record the cycle ends in
                            const long q = nmin(long(envelope_segments) - 1,
                                                (n - 1) * envelope_segments / nmax(p.n_samples, 1L));
                            const double t0 = double(q) * double(p.n_samples) * p.dt / envelope_segments;
                            env[q].add(tc - t0, nlog(a), a * a);
                        }
                        ++nc;
                    }
                    t_up = tc;
                    cmax = cmin = x;
                }
                st = 1;
            }
        }
        prev = x;
    }
};

} // namespace nms
