#pragma once

// Reduced Wong-Wang model (Wong & Wang 2006, reduced to one excitatory
// NMDA gating variable by Deco et al. 2013): S is the fraction of open NMDA
// channels, H(x) = (a x - b)/(1 - exp(-d (a x - b))) the population rate.
// Equations, names and defaults follow TVB's models.ReducedWongWang (ms,
// kHz, nA); coupling[0] (from S) enters the input current scaled by J_N.
// S is clipped to [0, 1] as TVB's state_variable_boundaries do. TVB's unused
// sigma_noise is omitted (noise is set per variable on the batch).
//
// H is evaluated as TVB writes it except where |d y| is tiny (y = a x - b):
// there the removable singularity at y = 0 makes the literal form 0/0 = NaN
// (TVB's too) and loses digits to cancellation, so the Taylor series
// y/(1 - e^{-dy}) = (1/d)(1 + u/2 + u^2/12 - u^4/720), u = d y, is used;
// both agree to the working precision at the switch.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

namespace nms::models {

namespace impl {
// y / (1 - exp(-d y)), continuous through y = 0 (see above).
template <class T> NMS_HD T wong_wang_rate(T y, T d) {
    const T u = d * y;
    const T lit = y / (T(1) - nexp(-u));
    const T u2 = u * u;
    const T ser = (T(1) + T(0.5) * u + u2 * (T(1.0 / 12) - u2 * T(1.0 / 720))) / d;
    constexpr T cut = sizeof(T) < 8 ? T(0.05) : T(1e-3); // truncation u^6/30240: < 1e-12 resp. 1e-22
    return nabs(u) < cut ? ser : lit;
}

// TVB's clipping to [0, 1] (x < 0 -> 0, x > 1 -> 1), NaN kept so that
// divergence is still detected. Written as x minus its excess rather than as
// a select of the constant bound: with the latter GCC threads the constant
// into node_update's finiteness check and the lane loop stops vectorising.
// Exact: x - x = 0, and for 1 < x < 2^24 (float) x - 1 is exact, so
// x - (x - 1) = 1.
template <class T> NMS_HD T clip01(T x) {
    x -= x < T(0) ? x : T(0);
    return x - (x > T(1) ? x - T(1) : T(0));
}
} // namespace impl

struct reduced_wong_wang {
    static constexpr const char* name = "reduced_wong_wang";
    static constexpr const char* tvb_name = "ReducedWongWang";
    static constexpr const char* reference =
        "Wong KF, Wang XJ (2006) A recurrent network mechanism of time integration in perceptual decisions. "
        "J Neurosci 26:1314-1328; Deco G, Ponce-Alvarez A, Mantini D, Romani GL, Hagmann P, Corbetta M "
        "(2013) Resting-state functional connectivity emerges from structurally and dynamically shaped "
        "slow linear fluctuations. J Neurosci 33:11239-11252. Equations and defaults as TVB's "
        "ReducedWongWang.";
    static constexpr const char* observable = "S";

    enum { a, b, d, gamma, tau_s, w, J_N, I_o, n_params };
    static constexpr param_info params[n_params] = {
        {"a", 0.270, "1/nC", "input gain of the rate function (270 n/C)", 0.0, 0.27},
        {"b", 0.108, "kHz", "input shift of the rate function (108 Hz)", 0.0, 1.0},
        {"d", 154.0, "ms", "curvature of the rate function (0.154 s)", 0.0, 200.0},
        {"gamma", 0.641, "", "kinetic parameter of NMDA gating", 0.0, 1.0},
        {"tau_s", 100.0, "ms", "NMDA decay time constant", 50.0, 150.0},
        {"w", 0.6, "", "recurrent excitation weight", 0.0, 1.0},
        {"J_N", 0.2609, "nA", "NMDA synaptic coupling", 0.2609, 0.5},
        {"I_o", 0.33, "nA", "effective external input", 0.0, 1.0},
    };

    static constexpr int n_state = 1;
    static constexpr state_info states[n_state] = {{"S", 0.1, 0.0, 1.0}};

    static constexpr int n_cvar = 1;
    static constexpr int cvar[n_cvar] = {0};

    static constexpr preset presets[] = {{"tvb", "TVB's defaults = Deco et al. 2013", {}}};

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* cp, T* dx) {
        const T S = x[0];
        const T xin = p[w] * p[J_N] * S + p[I_o] + p[J_N] * cp[0];
        const T H = impl::wong_wang_rate(p[a] * xin - p[b], p[d]);
        dx[0] = -(S / p[tau_s]) + (T(1) - S) * H * p[gamma];
    }

    // TVB: S in [0, 1].
    template <class T> NMS_HD static void bound(T* x) { x[0] = impl::clip01(x[0]); }
};

} // namespace nms::models
