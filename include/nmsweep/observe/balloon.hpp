#pragma once

// The Balloon-Windkessel hemodynamic model (Buxton et al. 1998; Friston et
// al. 2000, 2003) driven per node by a neural input z(t), in the log-normal
// state form of Stephan et al. (2007): the NMS_HD physics that the host BOLD
// reducer (bold.hpp) and the CUDA backend's BOLD kernels both run, and the
// sampling grid they share.
//
// Equations (t in SECONDS; f, v, q normalised to 1 at rest):
//   ds/dt = z - kappa s - gamma (f - 1)             vasodilatory signal (1/s)
//   df/dt = s                                        inflow
//   tau dv/dt = f - v^(1/alpha)                      venous volume
//   tau dq/dt = f E(f)/rho - v^(1/alpha) q / v       deoxyhaemoglobin
//   E(f) = 1 - (1 - rho)^(1/f)                       oxygen extraction
//   y = V0 [k1 (1 - q) + k2 (1 - q/v) + k3 (1 - v)]  BOLD signal change
// The state integrated is x = (s, ln f, ln v, ln q) (Stephan et al. 2007,
// NeuroImage 38:387, section "log-normal hemodynamic states"), which keeps
// f, v, q positive for any step. Every term is written as a difference from
// rest with expm1 (1 - q = -expm1(ln q), ...; see balloon_dfun), so that the
// resting state x = 0 is an exact fixed point: with z = 0 the BOLD signal is
// exactly 0, not a rounding residue, and small deviations keep full
// relative precision (also in float).
//
// Units: the neural model runs in ms; these functions take seconds. The
// reducer converts (h_s = h_ms / 1000) and documents it where it does.
//
// Templated on the real type; the host reducer and the CUDA backend both
// integrate in double (the hemodynamics run once per sample, not per step).

#include "nmsweep/core/hd.hpp"

#include <cmath>

namespace nms::observe {

NMS_HD float nexpm1(float x) { return ::expm1f(x); }
NMS_HD double nexpm1(double x) { return ::expm1(x); }

// Constants of one Balloon-Windkessel instance, derived quantities included,
// in the real type of the integration. Build with balloon_of(bold_constants).
template <class T> struct balloon {
    T kappa, gamma, inv_tau, inv_alpha, V0, k1, k2, k3;
    T ln_1m_rho;   // a = ln(1 - rho)
    T odds_1m_rho; // (1 - rho) / rho
};

// Right-hand side in the log form; x = (s, ln f, ln v, ln q), z the neural
// input (1/s^2: it enters ds/dt directly). Every term is a difference from
// rest written with expm1, so that x = 0, z = 0 gives exactly dx = 0 with
// any (scalar or SIMD) expm1 that maps 0 to 0:
//   E(f)/rho - 1 = -((1 - rho)/rho) expm1(a expm1(-ln f)),  a = ln(1 - rho)
//   f/v - v^(1/alpha - 1) = expm1(ln f - ln v) - expm1((1/alpha - 1) ln v)
//   (f/q) E/rho - v^(1/alpha - 1)
//       = expm1(ln f - ln q) E/rho + (E/rho - 1) - expm1((1/alpha - 1) ln v)
template <class T> NMS_HD void balloon_dfun(const balloon<T>& c, const T* x, T z, T* dx) {
    const T s = x[0], lf = x[1], lv = x[2], lq = x[3];
    const T d_e = -c.odds_1m_rho * nexpm1(c.ln_1m_rho * nexpm1(-lf)); // E(f)/rho - 1
    const T d_out = nexpm1(lv * (c.inv_alpha - T(1)));                // v^(1/alpha) / v - 1
    dx[0] = z - c.kappa * s - c.gamma * nexpm1(lf);
    dx[1] = s * nexp(-lf);                                              // d ln f = (df/dt) / f
    dx[2] = c.inv_tau * (nexpm1(lf - lv) - d_out);                      // d ln v = (f - v^(1/a)) / (tau v)
    dx[3] = c.inv_tau * (nexpm1(lf - lq) * (T(1) + d_e) + d_e - d_out); // d ln q
}

// BOLD signal change from the state (same units as V0: a fraction with the
// presets here; V0 = 4 gives percent, as SPM and TVB's BalloonModel).
template <class T> NMS_HD T balloon_bold(const balloon<T>& c, const T* x) {
    const T lv = x[2], lq = x[3];
    return -c.V0 * (c.k1 * nexpm1(lq) + c.k2 * nexpm1(lq - lv) + c.k3 * nexpm1(lv));
}

// One classical RK4 step of length h (s) with the input linear in time from
// z0 at the start to z1 at the end of the step (z at the midpoint stages is
// (z0 + z1) / 2).
template <class T> NMS_HD void balloon_rk4_step(const balloon<T>& c, T* x, T z0, T z1, T h) {
    T k1[4], k2[4], k3[4], k4[4], y[4];
    const T zm = T(0.5) * (z0 + z1);
    balloon_dfun(c, x, z0, k1);
    NMS_UNROLL for (int i = 0; i < 4; ++i) y[i] = x[i] + T(0.5) * h * k1[i];
    balloon_dfun(c, y, zm, k2);
    NMS_UNROLL for (int i = 0; i < 4; ++i) y[i] = x[i] + T(0.5) * h * k2[i];
    balloon_dfun(c, y, zm, k3);
    NMS_UNROLL for (int i = 0; i < 4; ++i) y[i] = x[i] + h * k3[i];
    balloon_dfun(c, y, z1, k4);
    NMS_UNROLL for (int i = 0; i < 4; ++i) x[i] += h / T(6) * (k1[i] + T(2) * (k2[i] + k3[i]) + k4[i]);
}

// One Heun (explicit trapezoid) step, same input convention.
template <class T> NMS_HD void balloon_heun_step(const balloon<T>& c, T* x, T z0, T z1, T h) {
    T k1[4], k2[4], y[4];
    balloon_dfun(c, x, z0, k1);
    NMS_UNROLL for (int i = 0; i < 4; ++i) y[i] = x[i] + h * k1[i];
    balloon_dfun(c, y, z1, k2);
    NMS_UNROLL for (int i = 0; i < 4; ++i) x[i] += T(0.5) * h * (k1[i] + k2[i]);
}

// The sampling geometry (host), shared by the reducer and the CUDA backend:
// with observable samples every sample_ms, m consecutive samples are averaged
// into one input value (m > 1 when sample_ms < dt_ms), input values are H =
// m sample_ms apart, each interval is split into n_sub hemodynamic steps of
// h_s seconds, and BOLD sample j is taken at transient_ms + j tr_ms after the
// first input value. Built (and checked) by make_bold_grid (bold.hpp).
struct bold_grid {
    long m = 1;
    long n_sub = 1;
    double H = 1.0;    // ms between input values
    double h_s = 1e-3; // step in seconds
    double tol = 0;    // ms; time comparisons
    double transient_ms = 0, tr_ms = 1.0;

    // The last BOLD sample index reached at input value g (time g H), or -1.
    long last_sample_at(long g) const {
        const double t = double(g) * H + tol - transient_ms;
        if (t < 0) return -1;
        return long(std::floor(t / tr_ms));
    }
    // BOLD sample j, due at input value g, lies between input values g-1 and
    // g: y = b(g-1) + w (b(g) - b(g-1)); exact (y = b(g)) when it falls on g.
    double weight(long j, long g, bool& exact) const {
        const double tj = transient_ms + double(j) * tr_ms;
        const double tg = double(g) * H;
        exact = g == 0 || std::abs(tj - tg) <= tol;
        if (exact) return 1.0;
        const double w = (tj - (tg - H)) / H;
        return w < 0 ? 0.0 : w > 1 ? 1.0 : w;
    }
};

} // namespace nms::observe
