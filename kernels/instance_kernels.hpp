#pragma once

// The per-instance work of the CUDA backend's kernels, written as NMS_HD
// functions so that the host can run them too (tests check the kernels'
// indexing against the CPU backend on machines without a GPU). One call =
// one GPU thread = one network instance.

#include "nmsweep/analysis/units.hpp"
#include "nmsweep/core/noise.hpp"
#include "nmsweep/engine/batch.hpp" // max_projections
#include "nmsweep/engine/node_update.hpp"

#include <cstdint>
#include <type_traits>

#if defined(__CUDACC__)
#define NMS_PRAGMA(x) _Pragma(#x)
#define NMS_UNROLL_BY(n) NMS_PRAGMA(unroll n)
#else
#define NMS_UNROLL_BY(n)
#endif

namespace nms::gpu {

// Read-only loads through the non-coherent cache on the device.
template <class T> NMS_HD T ldg(const T* p) {
#if defined(__CUDA_ARCH__)
    return __ldg(p);
#else
    return *p;
#endif
}

// The stimuli on the device (waveform.hpp): kinds, targets, per-instance
// properties props[(k * n_wave_props + q) * n + i], per-node weights
// weight[node * n_stim + k], and the shapes' arrays (offsets into shape).
template <class T> struct device_stimuli {
    int n = 0;
    int kind[max_stimuli];
    int target[max_stimuli];
    int shape_t[max_stimuli], shape_v[max_stimuli], shape_n[max_stimuli];
    double sample_dt[max_stimuli];
    const double* props = nullptr;
    const T* weight = nullptr;
    const double* shape = nullptr;
};

template <class T, int NP, int NS> struct step_args {
    static constexpr int n_state = NS;
    int nn = 0, n = 0; // nodes; instances on this device batch
    int mask = 0;      // ring length - 1
    long slot = 0;     // ring slot stride: channels x nodes x instances
    long cs = 0;       // ring channel stride and state variable stride: nodes x instances
    long ring_size = 0;
    T* x = nullptr;           // [v][node][instance]
    T* xc = nullptr;          // float runs: the state's compensation, as x (schemes.hpp)
    T* ring = nullptr;        // [slot][channel][node][instance]
    const T* pinst = nullptr; // [param][instance]
    const T* pnode = nullptr; // [node param slot][node][instance]
    int node_slot[NP];        // -1: the parameter is the same for all nodes
    const int* row_ptr = nullptr;
    const int* src = nullptr;
    const int* delay = nullptr; // steps, per edge
    const int* dinst = nullptr; // [edge][instance] when delays differ per instance
    const T* weight = nullptr;
    const T* rowsum = nullptr;
    const std::uint64_t* seed = nullptr;
    std::uint64_t first_instance = 0; // global index of instance 0 (noise key)
    unsigned noisy_mask = 0;          // bit v: variable v has noise
    T dt = 0, sqrt_dt = 0;
    double dt_exact = 0; // the run's dt in double (stimulus timing)
    long* div_step = nullptr;
    // Observation: obs[(sample * nn + node) * n + instance] after every
    // `every` steps, sample counted from the first step of the launch.
    T* obs = nullptr;
    int every = 1;
    int n_proj = 0;
    bool trig = false;
    // Reductions of projection 0 on the device: at the reduced samples, the
    // multiples of `every` from step reduce_first on.
    bool reduce = false;
    long reduce_first = 0;
    // Projection 0 of each node at a reduced sample, net[node * n +
    // instance]: the node mapping sums it into the node mean (net_sample),
    // the per-sample schedule reads it (channel_schedule.hpp).
    double* net = nullptr;
    // Welch spectra: projection 0 at the reduced samples into the ring of
    // the last seg_len samples, seg_ring[(slot * (nn + 1) + channel) * n +
    // instance] (nmsweep/analysis/welch_steps.hpp).
    T* seg_ring = nullptr;
    long seg_len = 0;
    // Analysis units of projection 0 at the reduced samples (the channels:
    // the nodes, then the node mean).
    unit_slots units;
    double coef[max_projections][3 * NS];
    device_stimuli<T> stim;
};

// The stimuli's values for instance i at the stage times of step t,
// u[k * 3 + stage] (stages the scheme S does not use stay 0), as the CPU
// backend's block_stimuli computes them.
template <scheme S, class T, int NP, int NS>
NMS_HD void stimulus_values(const step_args<T, NP, NS>& a, long t, int i, std::uint64_t seed,
                            std::uint32_t inst, T (&u)[3 * max_stimuli]) {
    const device_stimuli<T>& s = a.stim;
    for (int k = 0; k < s.n; ++k) {
        const double* q = s.props + long(k) * n_wave_props * a.n + i;
        wave_shape sh;
        sh.t = s.shape + s.shape_t[k];
        sh.v = s.shape + s.shape_v[k];
        sh.n = s.shape_n[k];
        sh.sample_dt = s.sample_dt[k];
        const wave kind = wave(s.kind[k]);
        NMS_UNROLL
        for (int g = 0; g < 3; ++g)
            u[k * 3 + g] =
                stage_used(S, g)
                    ? T(wave_value(kind, q, a.n, sh, 2 * t + g, a.dt_exact, seed, inst, std::uint32_t(k)))
                    : T(0);
    }
}

template <class M, class C, class T> using args_for = step_args<T, n_all_params<M, C>, M::n_state>;

// Node n's share of the stimuli, as the CPU backend's block_stimuli::node
// makes it: the drive (load_drive's layout, stride 1), parameter offsets
// added to p (its per-node copy), afferent inputs added to the channel sums
// of the stages (acc[g]: hold passes the same sums for every stage, once).
template <class M, class C, scheme S, class T>
NMS_HD void node_stimuli(const device_stimuli<T>& st, int n, const T* u, T* p, T* drive, T* const (&acc)[3]) {
    constexpr int NS = M::n_state, NCV = M::n_cvar, W = NS + NCV, NCH = C::n_channels;
    NMS_UNROLL
    for (int j = 0; j < 3 * W; ++j) drive[j] = T(0);
    for (int k = 0; k < st.n; ++k) {
        const int tg = st.target[k];
        const T w = ldg(st.weight + long(n) * st.n + k);
        if (tg >= 0 && tg < W) {
            NMS_UNROLL
            for (int g = 0; g < 3; ++g)
                if (stage_used(S, g)) drive[g * W + tg] += w * u[k * 3 + g];
        } else if (tg >= W) {
            p[tg - W] += w * u[k * 3];
        } else {
            NMS_UNROLL
            for (int g = 0; g < 3; ++g) {
                if (!acc[g]) continue;
                T xv[NCV], ch[NCH];
                NMS_UNROLL
                for (int c = 0; c < NCV; ++c) xv[c] = c == 0 ? u[k * 3 + g] : T(0);
                C::pre(p + M::n_params, xv, ch);
                NMS_UNROLL
                for (int c = 0; c < NCH; ++c) acc[g][c] += w * ch[c];
            }
        }
    }
}

template <class A> NMS_HD double project_node(const A& a, int q, int n, int i) {
    constexpr int NS = std::remove_reference_t<decltype(a)>::n_state;
    const long N = a.n;
    double o = 0;
    NMS_UNROLL
    for (int v = 0; v < NS; ++v) {
        const double xv = double(a.x[v * a.cs + n * N + i]);
        o += a.coef[q][v] * xv;
        if (a.trig) o += a.coef[q][NS + v] * nsin(xv) + a.coef[q][2 * NS + v] * ncos(xv);
    }
    return o;
}

// Fills the delay ring of instance i: the channels of the constant history
// in every slot, those of the initial state in slot 0 (t = 0); float runs:
// no compensation yet.
template <class M, class C, class T>
NMS_HD void init_instance(const args_for<M, C, T>& a, const T* hist, int i) {
    constexpr int NS = M::n_state, NCH = C::n_channels, NPC = C::n_params;
    const long N = a.n;
    for (int n = 0; n < a.nn; ++n) {
        T pc[NPC > 0 ? NPC : 1];
        NMS_UNROLL
        for (int k = 0; k < NPC; ++k) {
            const int q = M::n_params + k;
            pc[k] =
                a.node_slot[q] < 0 ? a.pinst[q * N + i] : a.pnode[(long(a.node_slot[q]) * a.nn + n) * N + i];
        }
        T xv[NS], ch[NCH];
        NMS_UNROLL
        for (int v = 0; v < NS; ++v) xv[v] = hist[v * a.cs + n * N + i];
        ring_channels<M, C>(pc, xv, ch);
        for (int s = 1; s <= a.mask; ++s) NMS_UNROLL
        for (int c = 0; c < NCH; ++c) a.ring[s * a.slot + c * a.cs + n * N + i] = ch[c];
        NMS_UNROLL
        for (int v = 0; v < NS; ++v) xv[v] = a.x[v * a.cs + n * N + i];
        ring_channels<M, C>(pc, xv, ch); // slot 0 holds t = 0
        NMS_UNROLL
        for (int c = 0; c < NCH; ++c) a.ring[c * a.cs + n * N + i] = ch[c];
        if constexpr (compensated<T>) NMS_UNROLL
        for (int v = 0; v < NS; ++v) a.xc[v * a.cs + n * N + i] = T(0);
    }
}

// What a step does besides stepping: sample the observables (index sidx of
// the launch's buffer) and/or update the device reductions.
struct step_flags {
    bool sample = false, rsample = false;
    long sidx = 0;
    long slot = 0; // Welch ring slot of the reduced sample
};

template <class A> NMS_HD step_flags flags_at(const A& a, long t, long t0, bool observe) {
    step_flags f;
    const bool on_grid = (t + 1) % a.every == 0;
    f.sample = observe && on_grid;
    f.rsample = a.reduce && t + 1 >= a.reduce_first && on_grid;
    const long mi = f.rsample ? (t + 1 - a.reduce_first) / a.every : 0;
    f.slot = a.seg_len > 0 ? mi % a.seg_len : 0;
    f.sidx = (t + 1 - t0) / a.every - 1;
    return f;
}

// Hold: the delayed input of node n of instance i at step t (slot t - d),
// two accumulators (to be added) in the CPU backend's order.
template <class M, class C, class T>
NMS_HD void gather_held(const args_for<M, C, T>& a, long t, int n, int i, T (&s0)[C::n_channels],
                        T (&s1)[C::n_channels]) {
    constexpr int NCH = C::n_channels;
    const long N = a.n;
    const long t_off = (t & a.mask) * a.slot;
    NMS_UNROLL
    for (int c = 0; c < NCH; ++c) s0[c] = s1[c] = T(0);
    const int e1 = ldg(a.row_ptr + n + 1);
    auto add_edge = [&](int e, T(&acc)[NCH]) {
        const int d = a.dinst ? a.dinst[long(e) * N + i] : ldg(a.delay + e);
        const T w = ldg(a.weight + e);
        long pos = t_off - long(d) * a.slot;
        pos += pos < 0 ? a.ring_size : 0;
        const T* r = a.ring + pos + long(ldg(a.src + e)) * N + i;
        NMS_UNROLL
        for (int c = 0; c < NCH; ++c) acc[c] += w * r[c * a.cs];
    };
    int e = ldg(a.row_ptr + n);
    // Unrolled so that eight independent ring loads are in flight per
    // thread: a warp must cover DRAM latency, not wait on each input.
    NMS_UNROLL_BY(4)
    for (; e + 1 < e1; e += 2) {
        add_edge(e, s0);
        add_edge(e + 1, s1);
    }
    if (e < e1) add_edge(e, s0);
}

// Interpolate: the channel sums of node n of instance i at the stages'
// times (node_update.hpp: stage_offsets_of), one accumulator each in edge
// order, as the CPU backend's gather_staged sums them.
template <class M, class C, scheme S, class T>
NMS_HD void gather_staged(const args_for<M, C, T>& a, long t, int n, int i, T (&a0)[C::n_channels],
                          T (&am)[C::n_channels], T (&a1)[C::n_channels]) {
    constexpr int NCH = C::n_channels;
    const long N = a.n;
    NMS_UNROLL
    for (int c = 0; c < NCH; ++c) a0[c] = am[c] = a1[c] = T(0);
    const int e1 = ldg(a.row_ptr + n + 1);
    for (int e = ldg(a.row_ptr + n); e < e1; ++e) {
        const int d = a.dinst ? a.dinst[long(e) * N + i] : ldg(a.delay + e);
        const T w = ldg(a.weight + e);
        const stage_offsets o = stage_offsets_of(t, d, a.mask, a.slot, long(NCH) * a.cs);
        const T* r = a.ring + long(ldg(a.src + e)) * N + i;
        NMS_UNROLL
        for (int c = 0; c < NCH; ++c) {
            a0[c] += w * r[o.s0 + c * a.cs];
            a1[c] += w * r[o.s1 + c * a.cs];
            if constexpr (S == scheme::rk4) am[c] += w * r[o.s1 + o.mid + c * a.cs];
        }
    }
}

// Step t of node n of instance i: the parameters p (node-varying ones loaded
// here), the delayed input, the noise, node_update, the observables. Both
// mappings call it, so they do the same arithmetic in the same order.
// Returns whether the new state is finite; o0 = projection 0 of the node.
// Interp: delayed_coupling = interpolate (heun, rk4; node_update_staged).
template <class M, class C, scheme S, class T, bool Interp = false>
NMS_HD bool node_step(const args_for<M, C, T>& a, T (&p)[n_all_params<M, C>], bool node_params,
                      std::uint64_t seed, std::uint32_t inst, long t, int n, int i, const step_flags& f,
                      double& o0, const T* u) { // u: stimulus_values of this step
    constexpr int NS = M::n_state, NCH = C::n_channels, NP = n_all_params<M, C>;
    constexpr bool noisy_scheme = S != scheme::rk4;
    constexpr int sig0 = M::n_params + C::n_params;
    const long N = a.n;
    if (node_params) NMS_UNROLL
    for (int k = 0; k < NP; ++k)
        if (a.node_slot[k] >= 0) p[k] = a.pnode[(long(a.node_slot[k]) * a.nn + n) * N + i];
    // With stimuli, this node's parameters may be offset: a copy.
    T pn[NP];
    const T* pp[NP];
    NMS_UNROLL
    for (int k = 0; k < NP; ++k) {
        pn[k] = p[k];
        pp[k] = pn + k;
    }

    // Delayed input.
    T s0[NCH], s1[NCH], sm[NCH];
    if constexpr (Interp)
        gather_staged<M, C, S, T>(a, t, n, i, s0, sm, s1);
    else
        gather_held<M, C, T>(a, t, n, i, s0, s1);
    const bool stim = a.stim.n > 0;
    T drive[3 * (NS + M::n_cvar)];
    T acc[NCH];
    NMS_UNROLL
    for (int c = 0; c < NCH; ++c) acc[c] = s0[c] + s1[c];
    if (stim) {
        T* const held[3] = {acc, nullptr, nullptr};
        T* const staged[3] = {s0, S == scheme::rk4 ? sm : nullptr, s1};
        node_stimuli<M, C, S, T>(a.stim, n, u, pn, drive, Interp ? staged : held);
    }

    T dW[NS];
    NMS_UNROLL
    for (int v = 0; v < NS; ++v) {
        dW[v] = T(0);
        if (noisy_scheme && (a.noisy_mask >> v & 1u))
            dW[v] = p[sig0 + v] * a.sqrt_dt *
                    normal<T>(seed, inst, std::uint32_t(n), std::uint32_t(v), std::uint32_t(t));
    }
    T* xn = a.x + n * N + i;
    T* xcn = compensated<T> ? a.xc + n * N + i : nullptr;
    T* const ring_out = a.ring + ((t + 1) & a.mask) * a.slot + i;
    bool ok;
    if constexpr (Interp) {
        if (stim)
            ok = node_update_staged<M, C, S, noisy_scheme, stim_all>(pp, 0, xn, a.cs, xcn, s0, sm, s1, 1, dW,
                                                                     1, ring_out + n * N, a.cs,
                                                                     ldg(a.rowsum + n), a.nn, a.dt, drive, 1);
        else
            ok = node_update_staged<M, C, S, noisy_scheme>(pp, 0, xn, a.cs, xcn, s0, sm, s1, 1, dW, 1,
                                                           ring_out + n * N, a.cs, ldg(a.rowsum + n), a.nn,
                                                           a.dt);
    } else {
        if (stim)
            ok = node_update<M, C, S, noisy_scheme, stim_all>(pp, 0, xn, a.cs, xcn, acc, 1, dW, 1,
                                                              ring_out + n * N, a.cs, ldg(a.rowsum + n), a.nn,
                                                              a.dt, drive, 1);
        else
            ok = node_update<M, C, S, noisy_scheme>(pp, 0, xn, a.cs, xcn, acc, 1, dW, 1, ring_out + n * N,
                                                    a.cs, ldg(a.rowsum + n), a.nn, a.dt);
    }
    o0 = 0;
    if (f.sample || f.rsample) {
        double xv[NS];
        NMS_UNROLL
        for (int v = 0; v < NS; ++v) xv[v] = double(xn[v * a.cs]);
        for (int q = 0; q < a.n_proj; ++q) {
            double o = 0;
            NMS_UNROLL
            for (int v = 0; v < NS; ++v) {
                o += a.coef[q][v] * xv[v];
                if (a.trig) o += a.coef[q][NS + v] * nsin(xv[v]) + a.coef[q][2 * NS + v] * ncos(xv[v]);
            }
            if (f.sample) a.obs[((f.sidx * a.n_proj + q) * a.nn + n) * N + i] = T(o);
            if (f.rsample && q == 0) {
                if (a.seg_ring) a.seg_ring[(f.slot * (a.nn + 1) + n) * N + i] = T(o);
                if (a.net) a.net[n * N + i] = o;
                update_units<analysis_units>(a.units, n, N, i, o);
                o0 = o;
            }
        }
    }
    return ok;
}

// The node mean of instance i at a reduced sample.
template <class A> NMS_HD void net_sample(const A& a, double net, const step_flags& f, int i) {
    const long N = a.n;
    update_units<analysis_units>(a.units, a.nn, N, i, net);
    if (a.seg_ring)
        a.seg_ring[(f.slot * (a.nn + 1) + a.nn) * N + i] = std::remove_pointer_t<decltype(a.seg_ring)>(net);
}

template <class M, class C, class T>
NMS_HD bool load_params(const args_for<M, C, T>& a, T (&p)[n_all_params<M, C>], int i) {
    constexpr int NP = n_all_params<M, C>;
    bool node_params = false;
    NMS_UNROLL
    for (int k = 0; k < NP; ++k) {
        p[k] = a.pinst[k * long(a.n) + i];
        node_params |= a.node_slot[k] >= 0;
    }
    return node_params;
}

// Instance mapping: steps t0 .. t1-1 of instance i (one GPU thread), every
// node in turn. t0 is a multiple of a.every when observing.
template <class M, class C, scheme S, class T, bool Interp = false>
NMS_HD void step_instance(const args_for<M, C, T>& a, long t0, long t1, bool observe, int i) {
    // Parameters the same over nodes live in registers for the whole run.
    T p[n_all_params<M, C>];
    const bool node_params = load_params<M, C, T>(a, p, i);
    const std::uint64_t seed = a.seed[i];
    const std::uint32_t inst = std::uint32_t(a.first_instance + std::uint64_t(i));
    long div = a.div_step[i];
    const long N = a.n;

    T u[3 * max_stimuli];
    for (long t = t0; t < t1; ++t) {
        const step_flags f = flags_at(a, t, t0, observe);
        if (a.stim.n > 0) stimulus_values<S>(a, t, i, seed, inst, u);
        double net = 0;
        bool ok = true;
        for (int n = 0; n < a.nn; ++n) {
            double o0;
            ok &= node_step<M, C, S, T, Interp>(a, p, node_params, seed, inst, t, n, i, f, o0, u);
            if (f.rsample) net += o0 / a.nn;
        }
        if (f.rsample) net_sample(a, net, f, i);
        if (!ok && div < 0) div = t + 1;
    }
    a.div_step[i] = div;
}

// *at = min(*at, step), -1 (no divergence yet) being the largest value as
// unsigned: the earliest step any node of the instance diverged, whatever
// the order the threads of a launch ran in.
NMS_HD void first_divergence(long* at, long step) {
    static_assert(sizeof(long) == sizeof(unsigned long long), "64-bit long");
#if defined(__CUDA_ARCH__)
    atomicMin(reinterpret_cast<unsigned long long*>(at), static_cast<unsigned long long>(step));
#else
    if (static_cast<unsigned long long>(*at) > static_cast<unsigned long long>(step)) *at = step;
#endif
}

// Node mapping: steps ta .. tb-1 of node n of instance i, one GPU thread
// per (node, instance) pair. The threads of a launch run in no particular
// order, so a launch may span only steps whose ring reads were all written
// before it and whose ring writes overwrite nothing read in it
// (node_steps_per_launch); launch boundaries order the rest. All threads of
// an instance that find a non-finite state at step t write the same t + 1.
template <class M, class C, scheme S, class T, bool Interp = false>
NMS_HD void step_node(const args_for<M, C, T>& a, long t0, long ta, long tb, bool observe, int n, int i) {
    T p[n_all_params<M, C>];
    const bool node_params = load_params<M, C, T>(a, p, i);
    const std::uint64_t seed = a.seed[i];
    const std::uint32_t inst = std::uint32_t(a.first_instance + std::uint64_t(i));
    T u[3 * max_stimuli];
    for (long t = ta; t < tb; ++t) {
        const step_flags f = flags_at(a, t, t0, observe);
        if (a.stim.n > 0) stimulus_values<S>(a, t, i, seed, inst, u);
        double o0;
        const bool ok = node_step<M, C, S, T, Interp>(a, p, node_params, seed, inst, t, n, i, f, o0, u);
        if (!ok) first_divergence(a.div_step + i, t + 1);
    }
}

// Node mapping, after the step launch of a reduced sample: the node mean of
// instance i, summed in node order as step_instance sums it.
template <class A> NMS_HD void net_reduce(const A& a, long t, int i) {
    const step_flags f = flags_at(a, t, 0, false);
    if (!f.rsample) return;
    const long N = a.n;
    double net = 0;
    for (int n = 0; n < a.nn; ++n) net += a.net[n * N + i] / a.nn;
    net_sample(a, net, f, i);
}

} // namespace nms::gpu
