#pragma once

// One integration step of a model with the long-range coupling held fixed
// over the step, as TVB's integrators do (coupling is evaluated once per
// step from the delay ring). Additive noise: dW is the per-step increment
// sigma_v * sqrt(dt) * z (TVB's nsig = sigma^2 / 2); the stochastic Heun
// scheme is TVB's HeunStochastic (the same increment in predictor and
// corrector). Bounds (TVB's state_variable_boundaries) are applied to every
// stage, as TVB's bound_and_clamp does.
//
// Float runs carry a compensation per state variable (Kahan summation of
// the steps' increments): near a fixed point the increment dt f(x) falls
// below x's float resolution, and plain x += inc then rounds it away or
// onto a grid, which stalls the decay or sustains a rounding-driven cycle
// (its size ~1/dt) that a double run does not have. With the compensation
// the state follows the double trajectory to within float's resolution.
// Double runs have none, and their arithmetic is unchanged.

#include "nmsweep/core/hd.hpp"

#include <type_traits>

namespace nms {

enum class scheme { euler, heun, rk4 };

// When a step's stages see the delayed coupling ([integrator]
// delayed_coupling): hold = once per step, at its start, for every stage
// (TVB's convention, the default); interpolate = at each stage's own time
// (node_update.hpp: integrate_staged), which keeps the scheme's order on
// delay equations.
enum class delayed_coupling { hold, interpolate };

template <class T> constexpr bool compensated = std::is_same_v<T, float>;

// x += inc; comp: the (negated) low-order part of x that rounding dropped.
template <class T> NMS_HD void add_step(T& x, T* comp, T inc) {
    if constexpr (compensated<T>) {
        const T y = inc - *comp;
        const T t = x + y;
        *comp = (t - x) - y;
        x = t;
    } else {
        x += inc;
    }
}

// What a stimulus drive carries (waveform.hpp): nothing, the coupling
// inputs only (d->dc), or the derivatives too (d->dv). The mode is a
// template argument so that a run reads only the slots it can have.
enum stim_mode : int { stim_none = 0, stim_inputs = 1, stim_all = 2 };

// The right-hand side at stage g (0: step start, 1: middle, 2: end) with a
// stimulus drive d: d->dc[g] added to the coupling input, d->dv[g] to the
// derivatives, as Stim says (stim_none: d is not read).
template <class M, int Stim, class T, class D>
NMS_HD void drive_dfun(const T* p, const T* x, const T* c, const D* d, int g, T* f) {
    if constexpr (Stim != stim_none) {
        T cs[M::n_cvar];
        NMS_UNROLL
        for (int j = 0; j < M::n_cvar; ++j) cs[j] = c[j] + d->dc[g][j];
        M::dfun(p, x, cs, f);
        if constexpr (Stim == stim_all) NMS_UNROLL
        for (int v = 0; v < M::n_state; ++v) f[v] += d->dv[g][v];
    } else {
        M::dfun(p, x, c, f);
    }
}

// No stimulus: integrate_step's drive argument.
struct no_drive {};

// comp: one compensation per state variable (float runs; unused in double).
// d: the stimulus drive at the stage times (Stim).
template <scheme S, bool Noisy, class M, int Stim = stim_none, class T, class D = no_drive>
NMS_HD void integrate_step(const T* p, T* x, const T* c, const T* dW, T dt, T* comp, const D* d = nullptr) {
    constexpr int n = M::n_state;
    T f0[n];
    drive_dfun<M, Stim>(p, x, c, d, 0, f0);
    if constexpr (S == scheme::euler) {
        NMS_UNROLL
        for (int v = 0; v < n; ++v) add_step(x[v], comp + v, dt * f0[v] + (Noisy ? dW[v] : T(0)));
        M::bound(x);
    } else if constexpr (S == scheme::heun) {
        T xi[n], f1[n];
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + dt * f0[v] + (Noisy ? dW[v] : T(0));
        M::bound(xi);
        drive_dfun<M, Stim>(p, xi, c, d, 2, f1);
        NMS_UNROLL
        for (int v = 0; v < n; ++v)
            add_step(x[v], comp + v, T(0.5) * dt * (f0[v] + f1[v]) + (Noisy ? dW[v] : T(0)));
        M::bound(x);
    } else {
        static_assert(!Noisy, "rk4 is deterministic");
        T xi[n], k2[n], k3[n], k4[n];
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + T(0.5) * dt * f0[v];
        M::bound(xi);
        drive_dfun<M, Stim>(p, xi, c, d, 1, k2);
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + T(0.5) * dt * k2[v];
        M::bound(xi);
        drive_dfun<M, Stim>(p, xi, c, d, 1, k3);
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + dt * k3[v];
        M::bound(xi);
        drive_dfun<M, Stim>(p, xi, c, d, 2, k4);
        NMS_UNROLL
        for (int v = 0; v < n; ++v)
            add_step(x[v], comp + v, dt / T(6) * (f0[v] + T(2) * (k2[v] + k3[v]) + k4[v]));
        M::bound(x);
    }
}

} // namespace nms
