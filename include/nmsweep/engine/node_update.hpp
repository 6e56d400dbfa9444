#pragma once

// The per-node, per-instance update that both backends run: coupling post,
// one integration step, divergence check, and the coupling channels of the
// new state pushed into the delay ring. The CPU backend calls it inside a
// SIMD loop over the lanes of an instance block; the CUDA kernel calls it
// with one thread per instance. All arrays are instance-fastest, so `l`
// (the lane/instance) is the only index that varies between SIMD lanes or
// GPU threads.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/integrators/schemes.hpp"
#include "nmsweep/stimulus/waveform.hpp"

#include <utility>

namespace nms {

// The coupling variables of a model, read through constant expressions so
// that device code never touches the static array (CUDA cannot ODR-use a
// host static member from a kernel).
template <class M, int K> constexpr int cvar_v = M::cvar[K];
template <class M, class T, int... K>
NMS_HD void gather_cvars(const T* xv, T* out, std::integer_sequence<int, K...>) {
    ((out[K] = xv[cvar_v<M, K>]), ...);
}
template <class M, class T> NMS_HD void gather_cvars(const T* xv, T* out) {
    gather_cvars<M>(xv, out, std::make_integer_sequence<int, M::n_cvar>{});
}

// Total per-instance parameters of a (model, coupling) pair: model
// parameters, coupling parameters, then one noise sigma per state variable.
template <class M, class C> constexpr int n_all_params = M::n_params + C::n_params + M::n_state;

template <class M, class C, scheme S, bool Noisy, int Stim = stim_none, class T>
NMS_HD bool node_update(const T* const* pp,    // per-parameter pointers for this node, [lane]
                        int l,                 // lane
                        T* x, long xs,         // state of this node: x[v * xs + l]
                        T* xc,                 // float: its compensation, xc[v * xs + l] (schemes.hpp)
                        const T* acc, long as, // channel sums: acc[ch * as + l]
                        const T* dW, long ds,  // noise increments: dW[v * ds + l]
                        T* ring_out, long rs,  // ring slot of the new step: ring_out[ch * rs + l]
                        T rowsum, int n_nodes, T dt, const T* drive = nullptr,
                        long drs = 0) { // Stim: load_drive's buffer
    constexpr int np = n_all_params<M, C>;
    constexpr int ncv = M::n_cvar;
    constexpr int nch = C::n_channels;
    T p[np];
    NMS_UNROLL
    for (int k = 0; k < np; ++k) p[k] = pp[k][l];
    stim_drive<M::n_state, ncv, T> dr;
    if constexpr (Stim != stim_none) load_drive<M::n_state, ncv, S, Stim>(drive, drs, l, dr);
    T xv[M::n_state];
    NMS_UNROLL
    for (int v = 0; v < M::n_state; ++v) xv[v] = x[v * xs + l];
    T xi[ncv];
    gather_cvars<M>(xv, xi);
    T s[nch];
    NMS_UNROLL
    for (int k = 0; k < nch; ++k) s[k] = acc[k * as + l];
    T c[ncv];
    C::post(p + M::n_params, s, xi, rowsum, n_nodes, c);
    T w[M::n_state];
    if constexpr (Noisy) NMS_UNROLL
    for (int v = 0; v < M::n_state; ++v) w[v] = dW[v * ds + l];
    T comp[compensated<T> ? M::n_state : 1];
    if constexpr (compensated<T>) NMS_UNROLL
    for (int v = 0; v < M::n_state; ++v) comp[v] = xc[v * xs + l];
    integrate_step<S, Noisy, M, Stim>(p, xv, c, w, dt, comp, &dr);
    bool ok = true;
    NMS_UNROLL
    for (int v = 0; v < M::n_state; ++v) {
        x[v * xs + l] = xv[v];
        ok = ok & nfinite(xv[v]);
    }
    if constexpr (compensated<T>) NMS_UNROLL
    for (int v = 0; v < M::n_state; ++v) xc[v * xs + l] = comp[v];
    T cv[ncv];
    gather_cvars<M>(xv, cv);
    T ch[nch];
    C::pre(p + M::n_params, cv, ch);
    NMS_UNROLL
    for (int k = 0; k < nch; ++k) ring_out[k * rs + l] = ch[k];
    return ok;
}

// Channels of a given state (used to fill the initial history).
template <class M, class C, class T>
NMS_HD void ring_channels(const T* pc /* coupling params */, const T* xv, T* ch) {
    T cv[M::n_cvar];
    gather_cvars<M>(xv, cv);
    C::pre(pc, cv, ch);
}

// ---- delayed_coupling = interpolate -------------------------------------
//
// Every stage sees the delayed input at its own time, and the coupling's
// post of its own state (difference and Kuramoto couplings read the
// target's state x_i). The channel sums of a step t -> t+1 are taken at
//   t      (s0: ring slot t - d),
//   t + 1  (s1: slot t - d + 1, the end of the source's step t - d),
//   t + 1/2 (sm, rk4 only: the mid-step state of the source's step t - d,
//           which that step stored beside slot t - d + 1).
// The mid-step value comes from RK4's continuous extension (order 3, Hairer,
// Norsett & Wanner I, II.6) of the source's own step, not from a polynomial
// through neighbouring slots: such a stencil would straddle the kinks that
// a delay equation's solution has at multiples of the delay (and the jump
// at t = 0 when the history differs from the initial state), which costs
// two orders; the step's own extension never leaves its interval. Heun
// needs only the end value. Euler has one stage, so both modes agree.
//
// Not interpolated (the stage reads slot t - d, as hold does):
// - zero-delay edges: the source's stage states are not stored anywhere
//   (and its new state is not in the ring yet);
// - steps with t < d, whose delayed interval lies in the constant history:
//   slot t - d + 1 would be the initial state, not the history, when t + 1 = d.

// Channels per ring slot: rk4 with interpolate also keeps each step's
// mid-step channels, after the step's own ([slot][2 * NCH][node][lane]).
constexpr bool keeps_mid_step(scheme s, bool interp) { return interp && s == scheme::rk4; }
template <class C, scheme S, bool Interp>
constexpr int ring_width = (keeps_mid_step(S, Interp) ? 2 : 1) * C::n_channels;

// Ring offsets an edge of delay d reads at step t (interpolate): s0 (start),
// s1 (end; the mid channels at s1 + mid). slot: slot stride; mid: the offset
// of the mid channels within a slot.
struct stage_offsets {
    long s0, s1, mid;
};
NMS_HD stage_offsets stage_offsets_of(long t, int d, int mask, long slot, long mid) {
    const bool on = d >= 1 && t >= d;
    const long s0 = ((t - d) & mask) * slot;
    return {s0, on ? ((t - d + 1) & mask) * slot : s0, on ? mid : 0};
}

// f = dfun at stage state xs, with the coupling post of xs and sums s.
// Stim: the drive of stage g (schemes.hpp: drive_dfun).
template <class M, class C, int Stim = stim_none, class T, class D = no_drive>
NMS_HD void stage_rhs(const T* p, const T* xs, const T* s, T rowsum, int n_nodes, T* f, const D* d = nullptr,
                      int g = 0) {
    T xi[M::n_cvar], c[M::n_cvar];
    gather_cvars<M>(xs, xi);
    C::post(p + M::n_params, s, xi, rowsum, n_nodes, c);
    drive_dfun<M, Stim>(p, xs, c, d, g, f);
}

// integrate_step with the stages' own coupling. rk4 also returns the
// mid-step state xmid (continuous extension at theta = 1/2: weights 5/24,
// 1/6, 1/6, -1/24). Noise (heun, euler) enters as in integrate_step.
template <scheme S, bool Noisy, class M, class C, int Stim = stim_none, class T, class D = no_drive>
NMS_HD void integrate_staged(const T* p, T* x, const T* s0, const T* sm, const T* s1, T rowsum, int n_nodes,
                             const T* dW, T dt, T* comp, T* xmid, const D* d = nullptr) {
    constexpr int n = M::n_state;
    T f0[n];
    stage_rhs<M, C, Stim>(p, x, s0, rowsum, n_nodes, f0, d, 0);
    if constexpr (S == scheme::euler) {
        NMS_UNROLL
        for (int v = 0; v < n; ++v) add_step(x[v], comp + v, dt * f0[v] + (Noisy ? dW[v] : T(0)));
        M::bound(x);
    } else if constexpr (S == scheme::heun) {
        T xi[n], f1[n];
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + dt * f0[v] + (Noisy ? dW[v] : T(0));
        M::bound(xi);
        stage_rhs<M, C, Stim>(p, xi, s1, rowsum, n_nodes, f1, d, 2);
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
        stage_rhs<M, C, Stim>(p, xi, sm, rowsum, n_nodes, k2, d, 1);
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + T(0.5) * dt * k2[v];
        M::bound(xi);
        stage_rhs<M, C, Stim>(p, xi, sm, rowsum, n_nodes, k3, d, 1);
        NMS_UNROLL
        for (int v = 0; v < n; ++v) xi[v] = x[v] + dt * k3[v];
        M::bound(xi);
        stage_rhs<M, C, Stim>(p, xi, s1, rowsum, n_nodes, k4, d, 2);
        NMS_UNROLL
        for (int v = 0; v < n; ++v)
            xmid[v] = x[v] + dt * (T(5.0 / 24) * f0[v] + T(1.0 / 6) * (k2[v] + k3[v]) - T(1.0 / 24) * k4[v]);
        M::bound(xmid);
        NMS_UNROLL
        for (int v = 0; v < n; ++v)
            add_step(x[v], comp + v, dt / T(6) * (f0[v] + T(2) * (k2[v] + k3[v]) + k4[v]));
        M::bound(x);
    }
}

// node_update for interpolate: channel sums at the stages' times acc0
// (t), accm (t + 1/2, rk4) and acc1 (t + 1), each [ch * as + l]; rk4 also
// writes the mid-step channels to ring_out[(NCH + ch) * rs + l].
template <class M, class C, scheme S, bool Noisy, int Stim = stim_none, class T>
NMS_HD bool node_update_staged(const T* const* pp, int l, T* x, long xs, T* xc, const T* acc0, const T* accm,
                               const T* acc1, long as, const T* dW, long ds, T* ring_out, long rs, T rowsum,
                               int n_nodes, T dt, const T* drive = nullptr, long drs = 0) {
    constexpr int np = n_all_params<M, C>, ns = M::n_state, nch = C::n_channels;
    T p[np];
    NMS_UNROLL
    for (int k = 0; k < np; ++k) p[k] = pp[k][l];
    stim_drive<ns, M::n_cvar, T> dr;
    if constexpr (Stim != stim_none) load_drive<ns, M::n_cvar, S, Stim>(drive, drs, l, dr);
    T xv[ns], w[ns], comp[compensated<T> ? ns : 1], xmid[ns];
    NMS_UNROLL
    for (int v = 0; v < ns; ++v) {
        xv[v] = x[v * xs + l];
        w[v] = Noisy ? dW[v * ds + l] : T(0);
    }
    if constexpr (compensated<T>) NMS_UNROLL
    for (int v = 0; v < ns; ++v) comp[v] = xc[v * xs + l];
    T s0[nch], sm[nch], s1[nch];
    NMS_UNROLL
    for (int k = 0; k < nch; ++k) {
        s0[k] = acc0[k * as + l];
        sm[k] = S == scheme::rk4 ? accm[k * as + l] : T(0);
        s1[k] = acc1[k * as + l];
    }
    integrate_staged<S, Noisy, M, C, Stim>(p, xv, s0, sm, s1, rowsum, n_nodes, w, dt, comp, xmid, &dr);
    bool ok = true;
    NMS_UNROLL
    for (int v = 0; v < ns; ++v) {
        x[v * xs + l] = xv[v];
        ok = ok & nfinite(xv[v]);
    }
    if constexpr (compensated<T>) NMS_UNROLL
    for (int v = 0; v < ns; ++v) xc[v * xs + l] = comp[v];
    T ch[nch];
    ring_channels<M, C>(p + M::n_params, xv, ch);
    NMS_UNROLL
    for (int k = 0; k < nch; ++k) ring_out[k * rs + l] = ch[k];
    if constexpr (S == scheme::rk4) {
        ring_channels<M, C>(p + M::n_params, xmid, ch);
        NMS_UNROLL
        for (int k = 0; k < nch; ++k) ring_out[(nch + k) * rs + l] = ch[k];
    }
    return ok;
}

} // namespace nms
