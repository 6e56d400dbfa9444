#pragma once

// Kuramoto phase oscillator (Kuramoto 1975): dtheta/dt = omega + coupling[0],
// with TVB's models.Kuramoto names and defaults. omega is usually a per-node
// vector (a per-node parameter). With the "kuramoto" coupling,
// coupling[0] = a * sum_j w_ij sin(theta_j(t - d_ij) - theta_i): like TVB it
// is NOT divided by N, so the textbook K/N is a = K with weights 1/N (or
// a = K/N with unit weights). theta is never wrapped, as in TVB.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

namespace nms::models {

struct kuramoto {
    static constexpr const char* name = "kuramoto";
    static constexpr const char* tvb_name = "Kuramoto";
    static constexpr const char* reference =
        "Kuramoto Y (1975) Self-entrainment of a population of coupled non-linear oscillators. Lecture "
        "Notes in Physics 39:420-422. Equations and defaults as TVB's Kuramoto.";
    static constexpr const char* observable = "sin(theta)";

    enum { omega, n_params };
    static constexpr param_info params[n_params] = {
        {"omega", 1.0, "rad/ms", "natural angular frequency (1 rad/ms = 159 Hz)", 0.01, 200.0},
    };

    static constexpr int n_state = 1;
    static constexpr state_info states[n_state] = {{"theta", 0.0, 0.0, 2.0 * pi}};

    // A phase model: synchrony takes theta itself as the phase (no Hilbert
    // transform) when the observable is theta.
    static constexpr int phase_variable = 0;

    static constexpr int n_cvar = 1;
    static constexpr int cvar[n_cvar] = {0};

    static constexpr preset presets[] = {{"tvb", "TVB's defaults", {}}};

    template <class T> NMS_HD static void dfun(const T* p, const T*, const T* cp, T* dx) {
        dx[0] = p[omega] + cp[0];
    }

    template <class T> NMS_HD static void bound(T*) {}
};

} // namespace nms::models
