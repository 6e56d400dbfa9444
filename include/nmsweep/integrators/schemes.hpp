#pragma once

// One integration step of a model with the long-range coupling held fixed
// over the step, as TVB's integrators do (coupling is evaluated once per
// step from the delay ring). Additive noise: dW is the per-step increment
// sigma_v * sqrt(dt) * z (TVB's nsig = sigma^2 / 2); the stochastic Heun
// scheme is TVB's HeunStochastic (the same increment in predictor and
// corrector). Bounds (TVB's state_variable_boundaries) are applied to every
// stage, as TVB's bound_and_clamp does.

#include "nmsweep/core/hd.hpp"

namespace nms {

enum class scheme { euler, heun, rk4 };

template <scheme S, bool Noisy, class M, class T>
NMS_HD void integrate_step(const T* p, T* x, const T* c, const T* dW, T dt) {
    constexpr int n = M::n_state;
    T f0[n];
    M::dfun(p, x, c, f0);
    if constexpr (S == scheme::euler) {
        NMS_UNROLL
        for (int v = 0; v < n; ++v) x[v] += dt * f0[v] + (Noisy ? dW[v] : T(0));
        M::bound(x);
    } else if constexpr (S == scheme::heun) {
        T xi[n], f1[n];
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + dt * f0[v] + (Noisy ? dW[v] : T(0));
        M::bound(xi);
        M::dfun(p, xi, c, f1);
        NMS_UNROLL
        for (int v = 0; v < n; ++v) x[v] += T(0.5) * dt * (f0[v] + f1[v]) + (Noisy ? dW[v] : T(0));
        M::bound(x);
    } else {
        static_assert(!Noisy, "rk4 is deterministic");
        T xi[n], k2[n], k3[n], k4[n];
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + T(0.5) * dt * f0[v];
        M::bound(xi);
        M::dfun(p, xi, c, k2);
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + T(0.5) * dt * k2[v];
        M::bound(xi);
        M::dfun(p, xi, c, k3);
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + dt * k3[v];
        M::bound(xi);
        M::dfun(p, xi, c, k4);
        NMS_UNROLL
        for (int v = 0; v < n; ++v) x[v] += dt / T(6) * (f0[v] + T(2) * (k2[v] + k3[v]) + k4[v]);
        M::bound(x);
    }
}

} // namespace nms
