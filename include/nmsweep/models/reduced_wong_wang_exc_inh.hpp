#pragma once

// Reduced Wong-Wang model with an excitatory (S_e) and an inhibitory (S_i)
// population (Deco et al. 2014): NMDA gating S_e, GABA gating S_i, with the
// feedback inhibition J_i. Equations, names (lamda as TVB spells it) and
// defaults follow TVB's models.ReducedWongWangExcInh, including its mixed
// units (a, b, d in n/C, Hz, s; gamma scaled by 1/1000 and tau in ms).
// coupling[0] (from S_e) enters as G J_N coupling[0], into the excitatory
// current and, with weight lamda, the inhibitory one. S_e and S_i are
// clipped to [0, 1] as TVB's state_variable_boundaries do. The rate
// function is evaluated as in reduced_wong_wang.hpp (series near y = 0).

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"
#include "nmsweep/models/reduced_wong_wang.hpp"

namespace nms::models {

struct reduced_wong_wang_exc_inh {
    static constexpr const char* name = "reduced_wong_wang_exc_inh";
    static constexpr const char* tvb_name = "ReducedWongWangExcInh";
    static constexpr const char* reference =
        "Deco G, Ponce-Alvarez A, Hagmann P, Romani GL, Mantini D, Corbetta M (2014) How local "
        "excitation-inhibition ratio impacts the whole brain dynamics. J Neurosci 34:7886-7898. "
        "Equations and defaults as TVB's ReducedWongWangExcInh.";
    static constexpr const char* observable = "S_e";

    // clang-format off
    enum { a_e, b_e, d_e, gamma_e, tau_e, w_p, J_N, W_e, a_i, b_i, d_i, gamma_i, tau_i, J_i, W_i, I_o, I_ext,
           G, lamda, n_params };
    // clang-format on
    static constexpr param_info params[n_params] = {
        {"a_e", 310.0, "1/nC", "excitatory input gain", 0.0, 500.0},
        {"b_e", 125.0, "Hz", "excitatory input shift", 0.0, 200.0},
        {"d_e", 0.160, "s", "excitatory curvature of the rate function", 0.0, 0.2},
        {"gamma_e", 0.641 / 1000, "", "excitatory kinetic parameter (NMDA)", 0.0, 0.001},
        {"tau_e", 100.0, "ms", "NMDA decay time constant", 50.0, 150.0},
        {"w_p", 1.4, "", "excitatory recurrence", 0.0, 2.0},
        {"J_N", 0.15, "nA", "NMDA coupling", 0.001, 0.5},
        {"W_e", 1.0, "", "scaling of the external input to the excitatory population", 0.0, 2.0},
        {"a_i", 615.0, "1/nC", "inhibitory input gain", 0.0, 1000.0},
        {"b_i", 177.0, "Hz", "inhibitory input shift", 0.0, 200.0},
        {"d_i", 0.087, "s", "inhibitory curvature of the rate function", 0.0, 0.2},
        {"gamma_i", 1.0 / 1000, "", "inhibitory kinetic parameter (GABA)", 0.0, 0.002},
        {"tau_i", 10.0, "ms", "GABA decay time constant", 5.0, 100.0},
        {"J_i", 1.0, "nA", "local feedback inhibition", 0.001, 2.0},
        {"W_i", 0.7, "", "scaling of the external input to the inhibitory population", 0.0, 1.0},
        {"I_o", 0.382, "nA", "effective external input", 0.0, 1.0},
        {"I_ext", 0.0, "nA", "external stimulation of the excitatory population", 0.0, 1.0},
        {"G", 2.0, "", "global coupling scaling", 0.0, 10.0},
        {"lamda", 0.0, "", "weight of long-range feedforward inhibition", 0.0, 1.0},
    };

    static constexpr int n_state = 2;
    static constexpr state_info states[n_state] = {{"S_e", 0.1, 0.0, 1.0}, {"S_i", 0.1, 0.0, 1.0}};

    static constexpr int n_cvar = 1;
    static constexpr int cvar[n_cvar] = {0};

    static constexpr preset presets[] = {{"tvb", "TVB's defaults = Deco et al. 2014 (no FIC: J_i = 1)", {}}};

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* cp, T* dx) {
        const T Se = x[0], Si = x[1];
        const T cc = p[G] * p[J_N] * cp[0];
        const T jnSe = p[J_N] * Se;
        const T xe = p[w_p] * jnSe - p[J_i] * Si + p[W_e] * p[I_o] + cc + p[I_ext];
        const T He = impl::wong_wang_rate(p[a_e] * xe - p[b_e], p[d_e]);
        dx[0] = -(Se / p[tau_e]) + (T(1) - Se) * He * p[gamma_e];
        const T xi = jnSe - Si + p[W_i] * p[I_o] + p[lamda] * cc;
        const T Hi = impl::wong_wang_rate(p[a_i] * xi - p[b_i], p[d_i]);
        dx[1] = -(Si / p[tau_i]) + Hi * p[gamma_i];
    }

    // TVB: S_e, S_i in [0, 1].
    template <class T> NMS_HD static void bound(T* x) {
        x[0] = impl::clip01(x[0]);
        x[1] = impl::clip01(x[1]);
    }
};

} // namespace nms::models
