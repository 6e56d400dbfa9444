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

template <class M, class C, scheme S, bool Noisy, class T>
NMS_HD bool node_update(const T* const* pp,    // per-parameter pointers for this node, [lane]
                        int l,                 // lane
                        T* x, long xs,         // state of this node: x[v * xs + l]
                        T* xc,                 // float: its compensation, xc[v * xs + l] (schemes.hpp)
                        const T* acc, long as, // channel sums: acc[ch * as + l]
                        const T* dW, long ds,  // noise increments: dW[v * ds + l]
                        T* ring_out, long rs,  // ring slot of the new step: ring_out[ch * rs + l]
                        T rowsum, int n_nodes, T dt) {
    constexpr int np = n_all_params<M, C>;
    constexpr int ncv = M::n_cvar;
    constexpr int nch = C::n_channels;
    T p[np];
    NMS_UNROLL
    for (int k = 0; k < np; ++k) p[k] = pp[k][l];
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
    integrate_step<S, Noisy, M>(p, xv, c, w, dt, comp);
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

} // namespace nms
