#pragma once

// Exact derivatives of a node's physics by forward-mode AD (dual.hpp): the
// model's dfun and the coupling's pre and post, each evaluated once per
// direction with T = dual. No model carries a hand-written derivative.

#include "nmsweep/stability/dual.hpp"

namespace nms::stability {

// f = dfun(p, x, c) and its derivative along (dp, dx, dc); any direction
// pointer may be null (zero). p: the model's parameters.
template <class M>
void dfun_directional(const double* p, const double* x, const double* c, const double* dp, const double* dx,
                      const double* dc, double* f, double* df) {
    dual pd[M::n_params], xd[M::n_state], cd[M::n_cvar], fd[M::n_state];
    for (int k = 0; k < M::n_params; ++k) pd[k] = {p[k], dp ? dp[k] : 0.0};
    for (int k = 0; k < M::n_state; ++k) xd[k] = {x[k], dx ? dx[k] : 0.0};
    for (int k = 0; k < M::n_cvar; ++k) cd[k] = {c[k], dc ? dc[k] : 0.0};
    M::dfun(pd, xd, cd, fd);
    for (int k = 0; k < M::n_state; ++k) {
        if (f) f[k] = fd[k].v;
        df[k] = fd[k].d;
    }
}

// d dfun / dx (jx, n_state x n_state) and d dfun / dc (jc, n_state x n_cvar),
// row major.
template <class M>
void dfun_jacobian(const double* p, const double* x, const double* c, double* jx, double* jc) {
    constexpr int n = M::n_state, m = M::n_cvar;
    double e[n > m ? n : m] = {}, col[n];
    for (int k = 0; k < n; ++k) {
        e[k] = 1;
        dfun_directional<M>(p, x, c, nullptr, e, nullptr, nullptr, col);
        e[k] = 0;
        for (int i = 0; i < n; ++i) jx[i * n + k] = col[i];
    }
    for (int k = 0; k < m; ++k) {
        e[k] = 1;
        dfun_directional<M>(p, x, c, nullptr, nullptr, e, nullptr, col);
        e[k] = 0;
        for (int i = 0; i < n; ++i) jc[i * m + k] = col[i];
    }
}

// ch = pre(pc, xj) and its derivative along (dpc, dxj); xj: the source's
// coupling variables (NCV).
template <class C, int NCV>
void pre_directional(const double* pc, const double* xj, const double* dpc, const double* dxj, double* ch,
                     double* dch) {
    dual pd[C::n_params], xd[NCV], out[C::n_channels];
    for (int k = 0; k < C::n_params; ++k) pd[k] = {pc[k], dpc ? dpc[k] : 0.0};
    for (int k = 0; k < NCV; ++k) xd[k] = {xj[k], dxj ? dxj[k] : 0.0};
    C::pre(pd, xd, out);
    for (int k = 0; k < C::n_channels; ++k) {
        if (ch) ch[k] = out[k].v;
        dch[k] = out[k].d;
    }
}

// c = post(pc, s, xi, rowsum) and its derivative along (dpc, ds, dxi).
template <class C, int NCV>
void post_directional(const double* pc, const double* s, const double* xi, double rowsum, int n_nodes,
                      const double* dpc, const double* ds, const double* dxi, double* c, double* dc) {
    dual pd[C::n_params], sd[C::n_channels], xd[NCV], out[NCV];
    for (int k = 0; k < C::n_params; ++k) pd[k] = {pc[k], dpc ? dpc[k] : 0.0};
    for (int k = 0; k < C::n_channels; ++k) sd[k] = {s[k], ds ? ds[k] : 0.0};
    for (int k = 0; k < NCV; ++k) xd[k] = {xi[k], dxi ? dxi[k] : 0.0};
    C::post(pd, sd, xd, dual(rowsum), n_nodes, out);
    for (int k = 0; k < NCV; ++k) {
        if (c) c[k] = out[k].v;
        dc[k] = out[k].d;
    }
}

// d pre / d xj (n_channels x NCV), row major.
template <class C, int NCV> void pre_jacobian(const double* pc, const double* xj, double* j) {
    double e[NCV] = {}, col[C::n_channels];
    for (int k = 0; k < NCV; ++k) {
        e[k] = 1;
        pre_directional<C, NCV>(pc, xj, nullptr, e, nullptr, col);
        e[k] = 0;
        for (int i = 0; i < C::n_channels; ++i) j[i * NCV + k] = col[i];
    }
}

// d post / d s (js, NCV x n_channels) and d post / d xi (jx, NCV x NCV).
template <class C, int NCV>
void post_jacobian(const double* pc, const double* s, const double* xi, double rowsum, int n_nodes,
                   double* js, double* jx) {
    constexpr int nch = C::n_channels;
    double es[nch] = {}, ex[NCV] = {}, col[NCV];
    for (int k = 0; k < nch; ++k) {
        es[k] = 1;
        post_directional<C, NCV>(pc, s, xi, rowsum, n_nodes, nullptr, es, nullptr, nullptr, col);
        es[k] = 0;
        for (int i = 0; i < NCV; ++i) js[i * nch + k] = col[i];
    }
    for (int k = 0; k < NCV; ++k) {
        ex[k] = 1;
        post_directional<C, NCV>(pc, s, xi, rowsum, n_nodes, nullptr, nullptr, ex, nullptr, col);
        ex[k] = 0;
        for (int i = 0; i < NCV; ++i) jx[i * NCV + k] = col[i];
    }
}

} // namespace nms::stability
