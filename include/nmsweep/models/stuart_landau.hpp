#pragma once

// Stuart-Landau oscillator: the normal form of a supercritical Hopf
// bifurcation in Cartesian coordinates (TVB's models.SupHopf, as used by
// Deco et al. 2017). For a < 0 the origin is a stable focus; for a > 0 the
// node oscillates on a circle of radius sqrt(a) with angular frequency omega.
// coupling[0] enters x and coupling[1] enters y (usually the "difference"
// coupling, as in Deco et al. 2017).

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

namespace nms::models {

struct stuart_landau {
    static constexpr const char* name = "stuart_landau";
    static constexpr const char* tvb_name = "SupHopf";
    static constexpr const char* reference =
        "Kuznetsov YA (2013) Elements of applied bifurcation theory; Deco G, Kringelbach ML, Jirsa VK, "
        "Ritter P (2017) The dynamics of resting fluctuations in the brain: metastability and its "
        "dynamical cortical core. Sci Rep 7:3095. Equations and defaults as TVB's SupHopf.";
    static constexpr const char* observable = "x";

    enum { a, omega, n_params };
    static constexpr param_info params[n_params] = {
        {"a", -0.5, "1/ms", "bifurcation parameter (Hopf at a = 0; limit-cycle radius sqrt(a))", -10.0, 10.0},
        {"omega", 1.0, "rad/ms", "angular frequency", 0.05, 630.0},
    };

    static constexpr int n_state = 2;
    static constexpr state_info states[n_state] = {{"x", 0.1, -5.0, 5.0}, {"y", 0.0, -5.0, 5.0}};

    static constexpr int n_cvar = 2;
    static constexpr int cvar[n_cvar] = {0, 1};

    static constexpr preset presets[] = {
        {"tvb", "TVB's defaults (a = -0.5: damped)", {}},
        {"oscillating", "a = 0.2: limit cycle of radius sqrt(0.2)", {{"a", 0.2}}},
    };

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* cp, T* dx) {
        const T X = x[0], Y = x[1];
        const T q = p[a] - X * X - Y * Y;
        dx[0] = q * X - p[omega] * Y + cp[0];
        dx[1] = q * Y + p[omega] * X + cp[1];
    }

    template <class T> NMS_HD static void bound(T*) {}
};

} // namespace nms::models
