#pragma once

// Jansen-Rit cortical column (Jansen & Rit 1995, Biol. Cybern. 73:357; after
// Lopes da Silva 1974). Pyramidal (y0), excitatory (y1) and inhibitory (y2)
// interneuron PSPs with their derivatives y3..y5; the EEG-like output is
// y1 - y2. Equations, names and defaults follow TVB's models.JansenRit
// (ms, mV): the input mu is in ms^-1 (220 Hz = 0.22) and v0 defaults to
// TVB's 5.52 mV; the classical paper uses v0 = 6 mV and p = 120..320 Hz
// (preset "classical"). Long-range input enters y4 as coupling[0].

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

#include <cmath>

namespace nms::models {

struct jansen_rit {
    static constexpr const char* name = "jansen_rit";
    static constexpr const char* tvb_name = "JansenRit";
    static constexpr const char* reference =
        "Jansen BH, Rit VG (1995) Electroencephalogram and visual evoked potential generation "
        "in a mathematical model of coupled cortical columns. Biol Cybern 73:357-366. "
        "Equations and defaults as TVB's JansenRit.";
    static constexpr const char* observable = "y1 - y2";

    enum { A, B, a, b, v0, nu_max, r, J, a_1, a_2, a_3, a_4, mu, n_params };
    static constexpr param_info params[n_params] = {
        {"A", 3.25, "mV", "maximum amplitude of the excitatory PSP", 2.6, 9.75},
        {"B", 22.0, "mV", "maximum amplitude of the inhibitory PSP", 17.6, 110.0},
        {"a", 0.1, "1/ms", "reciprocal of the excitatory membrane time constant", 0.05, 0.15},
        {"b", 0.05, "1/ms", "reciprocal of the inhibitory membrane time constant", 0.025, 0.075},
        {"v0", 5.52, "mV", "firing threshold (half-activation potential)", 3.12, 6.0},
        {"nu_max", 0.0025, "1/ms", "half of the maximum firing rate", 0.00125, 0.00375},
        {"r", 0.56, "1/mV", "steepness of the sigmoid", 0.28, 0.84},
        {"J", 135.0, "", "average number of synapses between populations (C)", 65.0, 1350.0},
        {"a_1", 1.0, "", "pyramidal to excitatory interneurons (C1 = a_1 J)", 0.5, 1.5},
        {"a_2", 0.8, "", "excitatory interneurons to pyramidal (C2 = a_2 J)", 0.4, 1.2},
        {"a_3", 0.25, "", "pyramidal to inhibitory interneurons (C3 = a_3 J)", 0.125, 0.375},
        {"a_4", 0.25, "", "inhibitory interneurons to pyramidal (C4 = a_4 J)", 0.125, 0.375},
        {"mu", 0.22, "1/ms", "mean extrinsic input p (0.22 = 220 Hz)", 0.0, 0.22},
    };
    // Jansen & Rit's (and Grimbert & Faugeras') names for TVB's.
    static constexpr param_alias aliases[] = {
        {"p", "mu", "Jansen & Rit's input rate p, in 1/s, is mu = p / 1000 here, in 1/ms"},
        {"C", "J", "Jansen & Rit's C (average number of synapses) is J here"},
        {"e0", "nu_max",
         "Jansen & Rit's e0 (half the maximum firing rate, 1/s) is nu_max = e0 / 1000 here, in 1/ms"},
    };

    static constexpr int n_state = 6;
    // Random starts: the attractors of both presets for mu in [0, 0.35] lie
    // in y0 0.002..0.147, y1 0.68..28.9, y2 2.6..24.4 mV (fixed points, alpha
    // and spike-like cycles; tests/reference/make_initial_boxes.py); the
    // PSPs' rates start at rest, since drawn at random they scatter starts
    // across the basins' boundaries (8 starts then miss the classical
    // bistable window more often).
    static constexpr state_info states[n_state] = {
        {"y0", 0.0, -1.0, 1.0, 0.0, 0.15},   {"y1", 0.0, -500.0, 500.0, 0.0, 30.0},
        {"y2", 0.0, -50.0, 50.0, 0.0, 25.0}, {"y3", 0.0, -6.0, 6.0, 0.0, 0.0},
        {"y4", 0.0, -20.0, 20.0, 0.0, 0.0},  {"y5", 0.0, -500.0, 500.0, 0.0, 0.0},
    };

    static constexpr int n_cvar = 2;
    static constexpr int cvar[n_cvar] = {1, 2};

    static constexpr preset presets[] = {
        {"tvb", "TVB's defaults (v0 = 5.52 mV)", {}},
        {"classical", "Jansen & Rit 1995: v0 = 6 mV, p = 220 Hz", {{"v0", 6.0}, {"mu", 0.22}}},
    };

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* c, T* dx) {
        const T y0 = x[0], y1 = x[1], y2 = x[2], y3 = x[3], y4 = x[4], y5 = x[5];
        const T two_nu = T(2) * p[nu_max];
        const T s12 = two_nu / (T(1) + nexp(p[r] * (p[v0] - (y1 - y2))));
        const T s01 = two_nu / (T(1) + nexp(p[r] * (p[v0] - p[a_1] * p[J] * y0)));
        const T s03 = two_nu / (T(1) + nexp(p[r] * (p[v0] - p[a_3] * p[J] * y0)));
        dx[0] = y3;
        dx[1] = y4;
        dx[2] = y5;
        dx[3] = p[A] * p[a] * s12 - T(2) * p[a] * y3 - p[a] * p[a] * y0;
        dx[4] = p[A] * p[a] * (p[mu] + p[a_2] * p[J] * s01 + c[0]) - T(2) * p[a] * y4 - p[a] * p[a] * y1;
        dx[5] = p[B] * p[b] * (p[a_4] * p[J] * s03) - T(2) * p[b] * y5 - p[b] * p[b] * y2;
    }

    template <class T> NMS_HD static void bound(T*) {}

    // Rest curve (random starts, plan.cpp): the pyramidal PSP y0 at u of its
    // largest value A/a 2 nu_max, the interneurons' PSPs at equilibrium with
    // it (y1 with the extrinsic input mu, no coupling), rates 0. All fixed
    // points of a node lie on it.
    static void rest_state(const double* p, double u, double* x) {
        auto S = [&](double v) { return 2 * p[nu_max] / (1 + std::exp(p[r] * (p[v0] - v))); };
        x[0] = u * p[A] / p[a] * 2 * p[nu_max];
        x[1] = p[A] / p[a] * (p[mu] + p[a_2] * p[J] * S(p[a_1] * p[J] * x[0]));
        x[2] = p[B] / p[b] * p[a_4] * p[J] * S(p[a_3] * p[J] * x[0]);
        x[3] = x[4] = x[5] = 0;
    }
};

} // namespace nms::models
