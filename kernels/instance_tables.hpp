#pragma once

// Host side of the CUDA backend's per-instance layout: the tables a device
// batch of instances [i0, i0 + n) needs (parameters, initial state, history,
// seeds, per-instance delays), instance-fastest, and the kernel arguments
// that do not point into device memory. Plain C++, so that tests can run
// the kernels' per-instance functions on the host with these tables.

#include "instance_kernels.hpp"

#include "nmsweep/engine/prepared.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace nms::gpu {

template <class T> struct instance_tables {
    std::vector<T> pinst, pnode, x0, h0, weight, rowsum;
    std::vector<std::uint64_t> seeds;
    std::vector<int> dinst;
    std::vector<double> stim_props, stim_shape; // device_stimuli's arrays
    std::vector<T> stim_weight;
};

template <class T>
instance_tables<T> make_tables(const prepared& P, const batch& b, std::size_t i0, std::size_t n_sub,
                               const std::vector<int>& node_slot, int n_node_params) {
    const int nn = int(P.n_nodes), NP = P.n_all, NS = P.n_state;
    const std::size_t N = P.n_instances, cs = std::size_t(nn) * n_sub;
    instance_tables<T> h;
    h.pinst.resize(std::size_t(NP) * n_sub);
    h.pnode.resize(std::size_t(n_node_params) * cs);
    for (int k = 0; k < NP; ++k) {
        const field& f = P.params[k];
        for (std::size_t l = 0; l < n_sub; ++l) {
            h.pinst[k * n_sub + l] = T(f.at(0, i0 + l, N));
            if (node_slot[k] >= 0)
                for (int q = 0; q < nn; ++q)
                    h.pnode[(std::size_t(node_slot[k]) * nn + q) * n_sub + l] = T(f.at(q, i0 + l, N));
        }
    }
    h.x0.resize(NS * cs);
    h.h0.resize(NS * cs);
    for (int v = 0; v < NS; ++v)
        for (int q = 0; q < nn; ++q)
            for (std::size_t l = 0; l < n_sub; ++l) {
                h.x0[(std::size_t(v) * nn + q) * n_sub + l] = T(P.initial[v].at(q, i0 + l, N));
                h.h0[(std::size_t(v) * nn + q) * n_sub + l] = T(P.history[v].at(q, i0 + l, N));
            }
    h.seeds.resize(n_sub);
    for (std::size_t l = 0; l < n_sub; ++l)
        h.seeds[l] = b.seed_per_instance.empty() ? b.seed : b.seed_per_instance[i0 + l];
    if (P.per_instance_delay) {
        h.dinst.resize(P.src.size() * n_sub);
        for (std::size_t e = 0; e < P.src.size(); ++e)
            for (std::size_t l = 0; l < n_sub; ++l)
                h.dinst[e * n_sub + l] = delay_steps(P.length[e], P.speed[i0 + l], b.dt);
    }
    h.weight.assign(P.weight.begin(), P.weight.end());
    h.rowsum.assign(P.rowsum.begin(), P.rowsum.end());
    const std::size_t K = P.stimuli.size();
    for (std::size_t k = 0; k < K; ++k)
        for (int q = 0; q < n_wave_props; ++q)
            for (std::size_t l = 0; l < n_sub; ++l)
                h.stim_props.push_back(P.stimuli[k].props[std::size_t(q) * N + i0 + l]);
    h.stim_weight.resize(K * std::size_t(nn));
    for (std::size_t k = 0; k < K; ++k)
        for (int q = 0; q < nn; ++q)
            h.stim_weight[std::size_t(q) * K + k] = T(P.stimuli[k].weight[std::size_t(q)]);
    for (const auto& s : P.stimuli) {
        h.stim_shape.insert(h.stim_shape.end(), s.shape_t.begin(), s.shape_t.end());
        h.stim_shape.insert(h.stim_shape.end(), s.shape_v.begin(), s.shape_v.end());
    }
    return h;
}

// The stimuli's kinds, targets and shape offsets into a.stim (the arrays'
// pointers are set by the caller).
template <class T> void set_stimuli(device_stimuli<T>& d, const prepared& P) {
    d.n = int(P.stimuli.size());
    int off = 0;
    for (int k = 0; k < d.n; ++k) {
        const prepared_stimulus& s = P.stimuli[std::size_t(k)];
        d.kind[k] = int(s.kind);
        d.target[k] = s.target;
        d.shape_t[k] = off;
        off += int(s.shape_t.size());
        d.shape_v[k] = off;
        off += int(s.shape_v.size());
        d.shape_n[k] = int(s.shape_v.size());
        d.sample_dt[k] = s.sample_dt;
    }
}

// Everything in the kernel arguments but the array pointers. ring_w:
// channels per ring slot (node_update.hpp: ring_width).
template <class M, class C, class T>
void set_args(args_for<M, C, T>& a, const prepared& P, const batch& b, std::size_t i0, std::size_t n_sub,
              const std::vector<int>& node_slot, const std::vector<std::vector<double>>& coef,
              int ring_w = C::n_channels) {
    constexpr int NS = M::n_state, NP = n_all_params<M, C>;
    const std::size_t cs = P.n_nodes * n_sub;
    a.nn = int(P.n_nodes);
    a.n = int(n_sub);
    a.mask = P.ring_len - 1;
    a.slot = long(ring_w) * long(cs);
    a.cs = long(cs);
    a.ring_size = long(P.ring_len) * a.slot;
    for (int k = 0; k < NP; ++k) a.node_slot[k] = node_slot[k];
    a.first_instance = b.first_instance + i0;
    a.noisy_mask = 0;
    for (int v : P.noise_vars) a.noisy_mask |= 1u << v;
    a.dt = T(b.dt);
    a.dt_exact = b.dt;
    a.sqrt_dt = T(std::sqrt(b.dt));
    set_stimuli(a.stim, P);
    if (coef.size() > std::size_t(max_projections))
        throw std::logic_error("the CUDA backend computes at most " + std::to_string(max_projections) +
                               " observables per run");
    a.n_proj = int(coef.size());
    a.trig = false;
    for (std::size_t q = 0; q < std::size_t(max_projections); ++q)
        for (int k = 0; k < 3 * NS; ++k) {
            a.coef[q][k] = q < coef.size() && std::size_t(k) < coef[q].size() ? coef[q][std::size_t(k)] : 0.0;
            if (k >= NS && a.coef[q][k] != 0) a.trig = true;
        }
}

// The automatic choice of gpu_mapping for a device batch of n_sub
// instances of nn nodes on a device that holds `resident` threads at once
// (SMs x threads per SM): one thread per instance while that alone fills at
// least half of them (no launch per step, parameters in registers for the
// whole run), else one thread per (node, instance).
inline bool use_node_mapping(gpu_mapping want, std::size_t n_sub, int nn, long resident) {
    if (want != gpu_mapping::automatic) return want == gpu_mapping::node;
    return nn > 1 && long(n_sub) < resident / 2;
}

// Node mapping: how many steps one launch may span. A launch covering steps
// t0 .. t0+K-1 reads ring slots t - d (t0 <= t < t0+K, d between the
// shortest and the longest delay) and writes slots t0+1 .. t0+K. Its reads
// were all written before it when K - 1 <= the shortest delay, and its
// writes destroy nothing it reads when the ring (L slots) holds
// longest delay + K + 1 slots. cap bounds it (observation samples).
// interp (delayed_coupling = interpolate): edges with d >= 1 also read slot
// t - d + 1, so K <= the shortest delay (zero-delay edges are held: K = 1).
inline long node_steps_per_launch(const prepared& P, const std::vector<int>& dinst, long cap,
                                  bool interp = false) {
    long dmin = cap;
    if (P.per_instance_delay)
        for (int d : dinst) dmin = std::min<long>(dmin, d);
    else
        for (int d : P.delay) dmin = std::min<long>(dmin, d);
    const long by_ring = long(P.ring_len) - long(P.max_delay) - 1;
    const long by_delay = interp ? std::max<long>(1, dmin) : dmin + 1;
    return std::max<long>(1, std::min({by_delay, by_ring, cap}));
}

// Parameters that vary over nodes get a slot in the per-node table.
inline int node_param_slots(const prepared& P, std::vector<int>& node_slot) {
    node_slot.assign(std::size_t(P.n_all), -1);
    int n = 0;
    for (int k = 0; k < P.n_all; ++k)
        if (P.params[k].varies_over_nodes()) node_slot[std::size_t(k)] = n++;
    return n;
}

} // namespace nms::gpu
