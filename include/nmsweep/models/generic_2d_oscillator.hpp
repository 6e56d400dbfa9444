#pragma once

// Generic 2D oscillator (Sanz-Leon et al. 2015; FitzHugh-Nagumo-like): a
// cubic V-nullcline and a configurable quadratic W-nullcline, which give
// excitable, bistable and oscillating regimes. Equations, names and defaults
// (excitable) follow TVB's models.Generic2dOscillator; coupling[0] (from V)
// enters V scaled by gamma. Presets are configurations documented by TVB.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

namespace nms::models {

struct generic_2d_oscillator {
    static constexpr const char* name = "generic_2d_oscillator";
    static constexpr const char* tvb_name = "Generic2dOscillator";
    static constexpr const char* reference =
        "Sanz-Leon P, Knock SA, Spiegler A, Jirsa VK (2015) Mathematical framework for large-scale brain "
        "network modeling in The Virtual Brain. NeuroImage 111:385-430. Equations and defaults as TVB's "
        "Generic2dOscillator.";
    static constexpr const char* observable = "V";

    enum { tau, I, a, b, c, d, e, f, g, alpha, beta, gamma, n_params };
    static constexpr param_info params[n_params] = {
        {"tau", 1.0, "", "time-scale separation between V and W", 1.0, 5.0},
        {"I", 0.0, "", "baseline input to V", -5.0, 5.0},
        {"a", -2.0, "", "constant term of the W-nullcline", -5.0, 5.0},
        {"b", -10.0, "", "linear term of the W-nullcline", -20.0, 15.0},
        {"c", 0.0, "", "quadratic term of the W-nullcline", -10.0, 10.0},
        {"d", 0.02, "1/ms", "temporal scale factor", 0.0001, 1.0},
        {"e", 3.0, "", "quadratic term of the V-nullcline", -5.0, 5.0},
        {"f", 1.0, "", "cubic term of the V-nullcline", -5.0, 5.0},
        {"g", 0.0, "", "linear term of the V-nullcline", -5.0, 5.0},
        {"alpha", 1.0, "", "weight of W in the V equation", -5.0, 5.0},
        {"beta", 1.0, "", "decay of W", -5.0, 5.0},
        {"gamma", 1.0, "", "scaling of the input and the coupling", -1.0, 1.0},
    };

    static constexpr int n_state = 2;
    static constexpr state_info states[n_state] = {{"V", 0.0, -2.0, 4.0}, {"W", 0.0, -6.0, 6.0}};

    static constexpr int n_cvar = 1;
    static constexpr int cvar[n_cvar] = {0};

    static constexpr preset presets[] = {
        {"tvb", "TVB's defaults: excitable (Table 1)", {}},
        {"limit_cycle", "TVB's Table 1 with a = 2: limit cycle", {{"a", 2.0}}},
        {"ghosh_2008",
         "TVB's Table 4 (Ghosh et al. 2008, Knock et al. 2009): damped focus, ~10 Hz peak with noise",
         {{"a", 1.05},
          {"b", -1.0},
          {"c", 0.0},
          {"d", 0.1},
          {"I", 0.0},
          {"alpha", 1.0},
          {"beta", 0.2},
          {"gamma", -1.0},
          {"e", 0.0},
          {"g", 1.0},
          {"f", 1.0 / 3.0},
          {"tau", 1.25}}},
    };

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* cp, T* dx) {
        const T V = x[0], W = x[1], V2 = V * V;
        dx[0] = p[d] * p[tau] *
                (p[alpha] * W - p[f] * V2 * V + p[e] * V2 + p[g] * V + p[gamma] * p[I] + p[gamma] * cp[0]);
        dx[1] = p[d] * (p[a] + p[b] * V + p[c] * V2 - p[beta] * W) / p[tau];
    }

    template <class T> NMS_HD static void bound(T*) {}
};

} // namespace nms::models
