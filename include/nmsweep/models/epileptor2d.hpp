#pragma once

// Two-dimensional Epileptor (Proix et al. 2014, 2017): the fast variable x1
// and the slow permittivity z, obtained from the Epileptor by averaging over
// the fast discharges. With the defaults the x1-nullcline is
// z = c + Iext - x1^3 - 2 x1^2 (x1 < 0), whose left knee is at x1 = -4/3;
// the single fixed point z = 4 (x1 - x0) leaves the stable left branch at
// x0 = -4/3 - (4.1 + 64/27 - 32/9)/4 = -2.062: below, the node rests; above,
// it seizes (relaxation oscillation). Equations, names and defaults follow
// TVB's models.Epileptor2D; piecewise terms are evaluated branch-free.
// coupling[0] comes from x1 (Kvf into x1, Ks into z).

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

namespace nms::models {

struct epileptor2d {
    static constexpr const char* name = "epileptor2d";
    static constexpr const char* tvb_name = "Epileptor2D";
    static constexpr const char* reference =
        "Proix T, Bartolomei F, Chauvel P, Bernard C, Jirsa VK (2014) Permittivity coupling across brain "
        "regions determines seizure recruitment in partial epilepsy. J Neurosci 34:15009-15021. "
        "Equations and defaults as TVB's Epileptor2D.";
    static constexpr const char* observable = "x1";

    enum { a, b, c, d, r, x0, Iext, slope, Kvf, Ks, tt, modification, n_params };
    static constexpr param_info params[n_params] = {
        {"a", 1.0, "", "coefficient of the cubic term in x1"},
        {"b", 3.0, "", "coefficient of the squared term in x1"},
        {"c", 1.0, "", "additive coefficient in x1 (y0 in the paper)"},
        {"d", 5.0, "", "coefficient of the squared term of the eliminated y1"},
        {"r", 0.00035, "1/ms", "time scale of the slow variable z (1/tau0)", 0.0, 0.001},
        {"x0", -1.6, "", "epileptogenicity", -3.0, -1.0},
        {"Iext", 3.1, "", "external input to x1", 1.5, 5.0},
        {"slope", 0.0, "", "linear coefficient in x1 for x1 >= 0", -16.0, 6.0},
        {"Kvf", 0.0, "", "coupling into x1 (very fast time scale)", 0.0, 4.0},
        {"Ks", 0.0, "", "permittivity coupling into z (slow time scale)", -4.0, 4.0},
        {"tt", 1.0, "", "time scaling of the whole system", 0.001, 1.0},
        {"modification", 0.0, "", "1: nonlinear influence of x1 on z (TVB's modification=True)"},
    };

    static constexpr int n_state = 2;
    static constexpr state_info states[n_state] = {{"x1", -1.5, -2.0, 1.0}, {"z", 3.0, 2.0, 5.0}};

    static constexpr int n_cvar = 1;
    static constexpr int cvar[n_cvar] = {0};

    // Seizing: x1 on the fast subsystem's right branch (x1 >= 0), at rest on
    // the left one (x1 <= -4/3); the thresholds lie between the branches.
    static constexpr seizure_rule seizure = {
        "level", 10.0, -0.5, -1.0,
        "x1 between the fast subsystem's stable branches (left: x1 <= -4/3, right: x1 >= 0)"};

    static constexpr preset presets[] = {
        {"tvb", "TVB's defaults (x0 = -1.6: seizing)", {}},
        {"healthy", "x0 = -2.2, below the seizure threshold x0 = -2.062", {{"x0", -2.2}}},
    };

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* cp, T* dx) {
        const T x1 = x[0], z = x[1];
        const T f_neg = p[a] * (x1 * x1) + (p[d] - p[b]) * x1;
        const T zm4 = z - T(4);
        const T f_pos = -p[slope] - T(0.6) * (zm4 * zm4) + p[d] * x1;
        const T f = x1 < T(0) ? f_neg : f_pos;
        dx[0] = p[tt] * (p[c] - z + p[Iext] + p[Kvf] * cp[0] - f * x1);
        const T z2 = z * z, z3 = z2 * z;
        const T zneg = z < T(0) ? T(-0.1) * (z3 * z3 * z) : T(0);
        const T h_lin = T(4) * (x1 - p[x0]) + zneg;
        const T h_mod = p[x0] + T(3) / (T(1) + nexp(-(x1 + T(0.5)) / T(0.1)));
        const T h = p[modification] != T(0) ? h_mod : h_lin;
        dx[1] = p[tt] * (p[r] * (h - z + p[Ks] * cp[0]));
    }

    template <class T> NMS_HD static void bound(T*) {}
};

} // namespace nms::models
