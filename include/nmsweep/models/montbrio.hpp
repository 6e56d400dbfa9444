#pragma once

// Montbrio-Pazo-Roxin mean field of an infinite population of quadratic
// integrate-and-fire neurons with Lorentzian-distributed excitabilities
// (Montbrio, Pazo & Roxin 2015): firing rate r and mean membrane potential
// V, exact in the thermodynamic limit. Equations, names and defaults follow
// TVB's models.MontbrioPazoRoxin (= the paper's Delta = 1, J = 15,
// eta = -5); coupling[0] (from r) enters V with weight cr, coupling[1]
// (from V) with weight cv. r is clipped at 0 as TVB's
// state_variable_boundaries do. TVB's unused parameter Gamma is omitted.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

namespace nms::models {

struct montbrio {
    static constexpr const char* name = "montbrio_pazo_roxin";
    static constexpr const char* tvb_name = "MontbrioPazoRoxin";
    static constexpr const char* reference =
        "Montbrio E, Pazo D, Roxin A (2015) Macroscopic description for networks of spiking neurons. "
        "Phys Rev X 5:021028. Equations and defaults as TVB's MontbrioPazoRoxin.";
    static constexpr const char* observable = "r";

    enum { tau, I, Delta, J, eta, cr, cv, n_params };
    static constexpr param_info params[n_params] = {
        {"tau", 1.0, "ms", "membrane time constant", 0.001, 15.0},
        {"I", 0.0, "", "external current", -10.0, 10.0},
        {"Delta", 1.0, "", "half-width of the Lorentzian distribution of excitabilities", 0.0, 10.0},
        {"J", 15.0, "", "mean synaptic weight", -25.0, 25.0},
        {"eta", -5.0, "", "centre of the distribution of excitabilities", -10.0, 10.0},
        {"cr", 1.0, "", "weight of the rate coupling (coupling[0])", 0.0, 1.0},
        {"cv", 0.0, "", "weight of the voltage coupling (coupling[1])", 0.0, 1.0},
    };

    static constexpr int n_state = 2;
    static constexpr state_info states[n_state] = {{"r", 0.1, 0.0, 2.0}, {"V", -2.0, -2.0, 1.5}};

    static constexpr int n_cvar = 2;
    static constexpr int cvar[n_cvar] = {0, 1};

    static constexpr preset presets[] = {{"tvb", "TVB's defaults = Montbrio et al. 2015", {}}};

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* cp, T* dx) {
        const T r_ = x[0], V = x[1];
        const T t = p[tau], inv_tau = T(1) / t;
        constexpr double pi2 = pi * pi;
        dx[0] = inv_tau * (p[Delta] / (T(pi) * t) + T(2) * V * r_);
        dx[1] = inv_tau * (V * V - T(pi2) * (t * t) * (r_ * r_) + p[eta] + p[J] * t * r_ + p[I] +
                           p[cr] * cp[0] + p[cv] * cp[1]);
    }

    // TVB: r in [0, inf). Written as r - min(r, 0) (exact: r - r = 0) rather
    // than a select of the constant 0, which stops GCC vectorising the lane
    // loop (see impl::clip01 in reduced_wong_wang.hpp); NaN is kept.
    template <class T> NMS_HD static void bound(T* x) { x[0] -= x[0] < T(0) ? x[0] : T(0); }
};

} // namespace nms::models
