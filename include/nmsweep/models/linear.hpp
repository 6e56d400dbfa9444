#pragma once

// Linear model dx/dt = gamma x + c (TVB's models.Linear): the simplest
// network model, with exact solutions for testing integrators and delays
// (a single node with a delayed self-connection is the DDE u' = k u(t - tau)).

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"
#include "nmsweep/models/preset.hpp"

namespace nms::models {

struct linear {
    static constexpr const char* name = "linear";
    static constexpr const char* tvb_name = "Linear";
    static constexpr const char* reference =
        "Linear relaxation dx/dt = gamma x + c, as TVB's Linear model; exact solutions make it the "
        "test bed for integrators and the delay ring.";
    static constexpr const char* observable = "x";

    enum { gamma, n_params };
    static constexpr param_info params[n_params] = {
        {"gamma", -10.0, "1/ms", "rate of the linear relaxation (negative: stable)", -100.0, 0.0},
    };
    static constexpr int n_state = 1;
    static constexpr state_info states[n_state] = {{"x", 0.0, -1.0, 1.0}};
    static constexpr int n_cvar = 1;
    static constexpr int cvar[n_cvar] = {0};
    static constexpr preset presets[] = {{"tvb", "TVB's defaults", {}}};

    template <class T> NMS_HD static void dfun(const T* p, const T* x, const T* c, T* dx) {
        dx[0] = p[gamma] * x[0] + c[0];
    }
    template <class T> NMS_HD static void bound(T*) {}
};

} // namespace nms::models
