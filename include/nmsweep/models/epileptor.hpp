#pragma once

// Epileptor (Jirsa et al. 2014): a fast subsystem (x1, y1) for the ictal
// discharges, a spike-wave subsystem (x2, y2) with its low-pass filter g, and
// the slow permittivity variable z that drives the system in and out of
// seizures; x0 is the epileptogenicity (seizures for x0 above about -2.06
// with the default Iext). Equations, names and defaults follow TVB's
// models.Epileptor (= the paper's Table 1); the piecewise terms are
// evaluated branch-free (both sides computed, then selected). Coupling:
// coupling[0] comes from x1 (Kvf into x1, Ks into z: permittivity coupling,
// Proix et al. 2014), coupling[1] from x2 (Kf); TVB's defaults Kvf = Kf =
// Ks = 0 switch the network off. `modification` = 1 selects TVB's nonlinear
// z-nullcline h = x0 + 3/(1 + exp(-(x1 + 0.5)/0.1)). TVB's unused
// parameter s is omitted.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

namespace nms::models {

struct epileptor {
    static constexpr const char* name = "epileptor";
    static constexpr const char* tvb_name = "Epileptor";
    static constexpr const char* reference =
        "Jirsa VK, Stacey WC, Quilichini PP, Ivanov AI, Bernard C (2014) On the nature of seizure dynamics. "
        "Brain 137:2210-2230. Equations and defaults as TVB's Epileptor.";
    static constexpr const char* observable = "x2 - x1";

    enum { a, b, c, d, r, x0, Iext, slope, Iext2, tau, aa, bb, Kvf, Kf, Ks, tt, modification, n_params };
    static constexpr param_info params[n_params] = {
        {"a", 1.0, "", "coefficient of the cubic term in x1"},
        {"b", 3.0, "", "coefficient of the squared term in x1"},
        {"c", 1.0, "", "additive coefficient in y1 (y0 in the paper)"},
        {"d", 5.0, "", "coefficient of the squared term in y1"},
        {"r", 0.00035, "1/ms", "time scale of the slow variable z (1/tau0)", 0.0, 0.001},
        {"x0", -1.6, "", "epileptogenicity", -3.0, -1.0},
        {"Iext", 3.1, "", "external input to the first population (I_rest1)", 1.5, 5.0},
        {"slope", 0.0, "", "linear coefficient in x1 for x1 >= 0", -16.0, 6.0},
        {"Iext2", 0.45, "", "external input to the second population (I_rest2)", 0.0, 1.0},
        {"tau", 10.0, "", "time scale of y2 (tau2)"},
        {"aa", 6.0, "", "linear coefficient in y2"},
        {"bb", 2.0, "", "coefficient of the low-pass variable g in x2"},
        {"Kvf", 0.0, "", "coupling into x1 (very fast time scale)", 0.0, 4.0},
        {"Kf", 0.0, "", "coupling into x2 (fast time scale)", 0.0, 4.0},
        {"Ks", 0.0, "", "permittivity coupling into z (slow time scale)", -4.0, 4.0},
        {"tt", 1.0, "", "time scaling of the whole system", 0.001, 10.0},
        {"modification", 0.0, "", "1: nonlinear influence of x1 on z (TVB's modification=True)"},
    };

    static constexpr int n_state = 6;
    static constexpr state_info states[n_state] = {
        {"x1", -1.5, -2.0, 1.0}, {"y1", -10.0, -20.0, 2.0}, {"z", 3.0, 2.0, 5.0},
        {"x2", -1.0, -2.0, 0.0}, {"y2", 0.0, 0.0, 2.0},     {"g", 0.0, -1.0, 1.0},
    };

    static constexpr int n_cvar = 2;
    static constexpr int cvar[n_cvar] = {0, 3};

    // Seizing: the fast discharges of x1 and x2 (line length of x2 - x1 in
    // the hundreds per second); at rest the signal drifts with z (about
    // 0.3-2 /s); the ictal DC shift before the offset still moves at ~8 /s.
    static constexpr seizure_rule seizure = {
        "line_length", 100.0, 20.0, 4.0,
        "line length of x2 - x1: ~300-600 /s in the discharges, ~8 /s in the DC shift before the offset, "
        "< 2 /s at rest (single node, default parameters)"};

    static constexpr preset presets[] = {
        {"tvb", "TVB's defaults = Jirsa et al. 2014 Table 1 (x0 = -1.6: seizing)", {}},
        {"healthy", "x0 = -2.2, below the seizure threshold (x0 ~ -2.06)", {{"x0", -2.2}}},
    };

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* cp, T* dx) {
        const T x1 = x[0], y1 = x[1], z = x[2], x2 = x[3], y2 = x[4], g = x[5];
        const T c1 = cp[0], c2 = cp[1];
        const T f_neg = -p[a] * (x1 * x1) + p[b] * x1;
        const T zm4 = z - T(4);
        const T f_pos = p[slope] - x2 + T(0.6) * (zm4 * zm4);
        const T f1 = x1 < T(0) ? f_neg : f_pos;
        dx[0] = p[tt] * (y1 - z + p[Iext] + p[Kvf] * c1 + f1 * x1);
        dx[1] = p[tt] * (p[c] - p[d] * (x1 * x1) - y1);
        const T z2 = z * z, z3 = z2 * z;
        const T zneg = z < T(0) ? T(-0.1) * (z3 * z3 * z) : T(0);
        const T h_lin = T(4) * (x1 - p[x0]) + zneg;
        const T h_mod = p[x0] + T(3) / (T(1) + nexp(-(x1 + T(0.5)) / T(0.1)));
        const T h = p[modification] != T(0) ? h_mod : h_lin;
        dx[2] = p[tt] * (p[r] * (h - z + p[Ks] * c1));
        dx[3] = p[tt] * (-y2 + x2 - x2 * x2 * x2 + p[Iext2] + p[bb] * g - T(0.3) * (z - T(3.5)) + p[Kf] * c2);
        const T f2 = x2 < T(-0.25) ? T(0) : p[aa] * (x2 + T(0.25));
        dx[4] = p[tt] * ((-y2 + f2) / p[tau]);
        dx[5] = p[tt] * (T(-0.01) * (g - T(0.1) * x1));
    }

    template <class T> NMS_HD static void bound(T*) {}
};

} // namespace nms::models
