#pragma once

// Wilson-Cowan excitatory/inhibitory population pair (Wilson & Cowan 1972,
// eqs. 11-12): E and I are the fractions of active excitatory and inhibitory
// cells. Equations, names and defaults follow TVB's models.WilsonCowan: the
// sigmoid is shifted so that S(0) = 0 (shift_sigmoid = 1; 0 gives the plain
// logistic), b_e/b_i are the sigmoid midpoints, theta_e/theta_i extra
// thresholds and alpha_e/alpha_i input gains. TVB's defaults (k = r = 1,
// tau = 10 ms) are not the paper's; preset "wc1972_limit_cycle" is the
// oscillating set of Wilson & Cowan 1972 (Fig. 5; k_e, k_i the maxima of the
// shifted sigmoids as in the paper) and "sanz_leon_2014" is TVB's documented
// ~20 Hz set (Daffertshofer & van Wijk 2011). Long-range input enters the E
// equation only, as coupling[0] (from E); cvar lists E and I as TVB does.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

#include <cmath>

namespace nms::models {

struct wilson_cowan {
    static constexpr const char* name = "wilson_cowan";
    static constexpr const char* tvb_name = "WilsonCowan";
    static constexpr const char* reference =
        "Wilson HR, Cowan JD (1972) Excitatory and inhibitory interactions in localized populations of "
        "model neurons. Biophys J 12:1-24. Equations and defaults as TVB's WilsonCowan.";
    static constexpr const char* observable = "E";

    // clang-format off
    enum { c_ee, c_ei, c_ie, c_ii, tau_e, tau_i, a_e, b_e, c_e, theta_e, a_i, b_i, theta_i, c_i, r_e, r_i,
           k_e, k_i, P, Q, alpha_e, alpha_i, shift_sigmoid, n_params };
    // clang-format on
    static constexpr param_info params[n_params] = {
        {"c_ee", 12.0, "", "excitatory to excitatory coupling coefficient", 11.0, 16.0},
        {"c_ei", 4.0, "", "inhibitory to excitatory coupling coefficient", 2.0, 15.0},
        {"c_ie", 13.0, "", "excitatory to inhibitory coupling coefficient", 2.0, 22.0},
        {"c_ii", 11.0, "", "inhibitory to inhibitory coupling coefficient", 2.0, 15.0},
        {"tau_e", 10.0, "ms", "excitatory membrane time constant", 0.0, 150.0},
        {"tau_i", 10.0, "ms", "inhibitory membrane time constant", 0.0, 150.0},
        {"a_e", 1.2, "", "slope of the excitatory response function", 0.0, 1.4},
        {"b_e", 2.8, "", "position of the maximum slope of the excitatory sigmoid", 1.4, 6.0},
        {"c_e", 1.0, "", "amplitude of the excitatory response function", 1.0, 20.0},
        {"theta_e", 0.0, "", "excitatory threshold", 0.0, 60.0},
        {"a_i", 1.0, "", "slope of the inhibitory response function", 0.0, 2.0},
        {"b_i", 4.0, "", "position of the maximum slope of the inhibitory sigmoid", 2.0, 6.0},
        {"theta_i", 0.0, "", "inhibitory threshold", 0.0, 60.0},
        {"c_i", 1.0, "", "amplitude of the inhibitory response function", 1.0, 20.0},
        {"r_e", 1.0, "", "excitatory refractory period", 0.5, 2.0},
        {"r_i", 1.0, "", "inhibitory refractory period", 0.5, 2.0},
        {"k_e", 1.0, "", "maximum value of the excitatory response function", 0.5, 2.0},
        {"k_i", 1.0, "", "maximum value of the inhibitory response function", 0.0, 2.0},
        {"P", 0.0, "", "external input to the excitatory population", 0.0, 20.0},
        {"Q", 0.0, "", "external input to the inhibitory population", 0.0, 20.0},
        {"alpha_e", 1.0, "", "gain of the excitatory input", 0.0, 20.0},
        {"alpha_i", 1.0, "", "gain of the inhibitory input", 0.0, 20.0},
        {"shift_sigmoid", 1.0, "", "1: sigmoids shifted so that S(0) = 0 (TVB's True); 0: plain logistic"},
    };

    static constexpr int n_state = 2;
    static constexpr state_info states[n_state] = {{"E", 0.1, 0.0, 1.0}, {"I", 0.1, 0.0, 1.0}};

    static constexpr int n_cvar = 2;
    static constexpr int cvar[n_cvar] = {0, 1};

    static constexpr preset presets[] = {
        {"tvb", "TVB's defaults", {}},
        {"wc1972_limit_cycle",
         "Wilson & Cowan 1972 Fig. 5 limit cycle (P = 1.25; k = max of the shifted sigmoid)",
         {{"c_ee", 16.0},
          {"c_ei", 12.0},
          {"c_ie", 15.0},
          {"c_ii", 3.0},
          {"a_e", 1.3},
          {"b_e", 4.0},
          {"a_i", 2.0},
          {"b_i", 3.7},
          {"k_e", 0.9945137011005496},
          {"k_i", 0.9993891206405656},
          {"P", 1.25},
          {"Q", 0.0}}},
        {"sanz_leon_2014",
         "TVB's documented ~20 Hz set (Sanz-Leon et al. 2014 after Daffertshofer 2011)",
         {{"k_e", 1.0},     {"k_i", 1.0},     {"r_e", 0.0},          {"r_i", 0.0},   {"tau_e", 10.0},
          {"tau_i", 10.0},  {"c_ee", 10.0},   {"c_ei", 6.0},         {"c_ie", 10.0}, {"c_ii", 1.0},
          {"a_e", 1.0},     {"a_i", 1.0},     {"b_e", 0.0},          {"b_i", 0.0},   {"theta_e", 2.0},
          {"theta_i", 3.5}, {"alpha_e", 1.2}, {"alpha_i", 2.0},      {"P", 0.5},     {"Q", 0.0},
          {"c_e", 1.0},     {"c_i", 1.0},     {"shift_sigmoid", 0.0}}},
    };

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* cp, T* dx) {
        const T E = x[0], I = x[1];
        const T x_e = p[alpha_e] * (p[c_ee] * E - p[c_ei] * I + p[P] - p[theta_e] + cp[0]);
        const T x_i = p[alpha_i] * (p[c_ie] * E - p[c_ii] * I + p[Q] - p[theta_i]);
        const T ge = T(1) / (T(1) + nexp(-p[a_e] * (x_e - p[b_e])));
        const T gi = T(1) / (T(1) + nexp(-p[a_i] * (x_i - p[b_i])));
        const T ge0 = T(1) / (T(1) + nexp(p[a_e] * p[b_e])); // the sigmoid at x = 0
        const T gi0 = T(1) / (T(1) + nexp(p[a_i] * p[b_i]));
        const bool shift = p[shift_sigmoid] != T(0);
        const T s_e = p[c_e] * (shift ? ge - ge0 : ge);
        const T s_i = p[c_i] * (shift ? gi - gi0 : gi);
        dx[0] = (-E + (p[k_e] - p[r_e] * E) * s_e) / p[tau_e];
        dx[1] = (-I + (p[k_i] - p[r_i] * I) * s_i) / p[tau_i];
    }

    template <class T> NMS_HD static void bound(T*) {}

    // Rest curve (random starts, plan.cpp): E at u of its largest steady
    // value k_e c_e / (1 + r_e c_e), I at equilibrium with it (no coupling;
    // the steady I decreases the I equation's right-hand side, so bisection
    // finds it). All fixed points of a node lie on it.
    static void rest_state(const double* p, double u, double* x) {
        const double E = u * p[k_e] * p[c_e] / (1 + p[r_e] * p[c_e]);
        auto g = [&](double I) {
            const double xi = p[alpha_i] * (p[c_ie] * E - p[c_ii] * I + p[Q] - p[theta_i]);
            const double gi = 1 / (1 + std::exp(-p[a_i] * (xi - p[b_i])));
            const double gi0 = 1 / (1 + std::exp(p[a_i] * p[b_i]));
            const double s_i = p[c_i] * (p[shift_sigmoid] != 0 ? gi - gi0 : gi);
            return -I + (p[k_i] - p[r_i] * I) * s_i;
        };
        double lo = -1, hi = std::abs(p[k_i] * p[c_i]) + 1;
        if (!(g(lo) > 0 && g(hi) < 0)) lo = hi = 0; // no bracket: I = 0
        for (int it = 0; it < 100 && hi - lo > 1e-15; ++it)
            (g(0.5 * (lo + hi)) > 0 ? lo : hi) = 0.5 * (lo + hi);
        x[0] = E;
        x[1] = 0.5 * (lo + hi);
    }
};

} // namespace nms::models
