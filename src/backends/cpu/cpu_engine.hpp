#pragma once

// CPU backend: OpenMP over blocks of LANES instances, SIMD over the lanes of
// a block. Each thread keeps one block (its state and delay ring, instance
// fastest) for the whole run, so that the ring stays in cache while it
// steps. Every block is padded to full width, so every instance runs the
// same vector code whatever the batch size or thread count: results are
// bit-identical across both (the determinism tests check this).

#include "simd_math.hpp"

#include "nmsweep/core/noise.hpp"
#include "nmsweep/engine/node_update.hpp"
#include "nmsweep/engine/prepared.hpp"

#include <omp.h>

#ifndef NMS_CPU_LANE_BYTES
#define NMS_CPU_LANE_BYTES 64 // instances per block x sizeof(real): one AVX-512 register
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

namespace nms::cpu {

template <class T> constexpr int lanes_for = NMS_CPU_LANE_BYTES / int(sizeof(T));

template <class T> struct aligned_buffer {
    T* p = nullptr;
    explicit aligned_buffer(std::size_t n) {
        p = static_cast<T*>(std::aligned_alloc(64, ((n * sizeof(T) + 63) / 64) * 64 + 64));
        std::fill(p, p + n, T(0));
    }
    ~aligned_buffer() { std::free(p); }
    aligned_buffer(const aligned_buffer&) = delete;
    aligned_buffer& operator=(const aligned_buffer&) = delete;
};

// The block's parameter tables: pinst[k * L + l] for parameters the same
// over nodes, pnode[(slot * nn + n) * L + l] for those that vary (slot =
// node_slot[k]); lanes past the batch's end repeat its last instance.
template <class T, int L>
void load_parameters(const prepared& P, const std::vector<int>& node_slot, std::size_t i0, T* pinst,
                     T* pnode) {
    const std::size_t N = P.n_instances;
    const int nn = int(P.n_nodes);
    for (std::size_t k = 0; k < node_slot.size(); ++k) {
        const field& f = P.params[k];
        for (int l = 0; l < L; ++l) {
            const std::size_t i = std::min<std::size_t>(i0 + l, N - 1);
            if (node_slot[k] < 0)
                pinst[k * L + l] = T(f.at(0, i, N));
            else
                for (int n = 0; n < nn; ++n) pnode[(long(node_slot[k]) * nn + n) * L + l] = T(f.at(n, i, N));
        }
    }
}

// The block's initial state x, and its constant history in every slot of
// the delay ring (slot 0: the channels of the state at t = 0).
template <class M, class C, class T, int L>
void load_initial(const prepared& P, const std::vector<int>& node_slot, std::size_t i0, const T* pinst,
                  const T* pnode, T* x, T* ring, long slot, long rs) {
    constexpr int NS = M::n_state, NCH = C::n_channels;
    const std::size_t N = P.n_instances;
    const int nn = int(P.n_nodes), H = P.ring_len;
    for (int v = 0; v < NS; ++v)
        for (int n = 0; n < nn; ++n)
            for (int l = 0; l < L; ++l)
                x[(long(v) * nn + n) * L + l] =
                    T(P.initial[v].at(n, std::min<std::size_t>(i0 + l, N - 1), N));
    for (int n = 0; n < nn; ++n)
        for (int l = 0; l < L; ++l) {
            const std::size_t i = std::min<std::size_t>(i0 + l, N - 1);
            T xv[NS], ch[NCH], pc[C::n_params > 0 ? C::n_params : 1];
            for (int k = 0; k < C::n_params; ++k) {
                const int q = M::n_params + k;
                pc[k] = node_slot[q] < 0 ? pinst[q * L + l] : pnode[(long(node_slot[q]) * nn + n) * L + l];
            }
            for (int v = 0; v < NS; ++v) xv[v] = T(P.history[v].at(n, i, N));
            ring_channels<M, C>(pc, xv, ch);
            for (int s = 0; s < H; ++s)
                for (int c = 0; c < NCH; ++c) ring[s * slot + c * rs + long(n) * L + l] = ch[c];
            for (int v = 0; v < NS; ++v) xv[v] = x[(long(v) * nn + n) * L + l];
            ring_channels<M, C>(pc, xv, ch); // slot 0 holds t = 0
            for (int c = 0; c < NCH; ++c) ring[c * rs + long(n) * L + l] = ch[c];
        }
}

// The noise increments of node n at step t, dW[v * L + l] = sigma sqrt(dt)
// z. Every 4th step draws the next four deviates of each noisy variable of
// the node into zn: Philox words per lane, then Box-Muller, both vectorised.
template <class M, class C, class T, int L>
inline void node_noise(const prepared& P, const batch& b, const std::uint64_t* sd, std::size_t i0, int n,
                       long t, T* zn, const T* const* pp, T sqrt_dt, T* dW) {
    const int n_noisy = int(P.noise_vars.size());
    if ((t & 3) == 0) {
        for (int q = 0; q < n_noisy; ++q) {
            alignas(64) std::uint32_t u[4][L];
            const std::uint32_t var = std::uint32_t(P.noise_vars[q]);
#pragma omp simd
            for (int l = 0; l < L; ++l) {
                const auto r = philox_words(sd[l], std::uint32_t(b.first_instance + i0 + l), std::uint32_t(n),
                                            var, std::uint32_t(t >> 2));
                u[0][l] = r.v[0];
                u[1][l] = r.v[1];
                u[2][l] = r.v[2];
                u[3][l] = r.v[3];
            }
            T* z = zn + long(q) * 4 * L;
#pragma omp simd
            for (int l = 0; l < L; ++l) {
                box_muller<T>(u[0][l], u[1][l], z[l], z[L + l]);
                box_muller<T>(u[2][l], u[3][l], z[2 * L + l], z[3 * L + l]);
            }
        }
    }
    for (int q = 0; q < n_noisy; ++q) {
        const int v = P.noise_vars[q];
        const T* sg = pp[M::n_params + C::n_params + v];
        const T* z = zn + (long(q) * 4 + (t & 3)) * L;
#pragma omp simd
        for (int l = 0; l < L; ++l) dW[v * L + l] = sg[l] * sqrt_dt * z[l];
    }
}

// The delayed input of node n when every instance has its own delays
// (dinst[e * L + l]): acc[c * L + l] += w_e ring[t - d_e,l][c][src_e][l].
template <class T, int L, int NCH>
inline void gather_per_instance(const prepared& P, const T* w, const int* dinst, const T* ring, int n, long t,
                                int mask, long slot, long rs, T* acc) {
    for (int e = P.row_ptr[n]; e < P.row_ptr[n + 1]; ++e) {
        const T we = w[e];
        const int* de = dinst + std::size_t(e) * L;
        const T* src = ring + long(P.src[e]) * L;
        for (int c = 0; c < NCH; ++c)
#pragma omp simd
            for (int l = 0; l < L; ++l) acc[c * L + l] += we * src[((t - de[l]) & mask) * slot + c * rs + l];
    }
}

// Interpolate (node_update.hpp): the channel sums of node n at the stages'
// times, a0 at t, am at t + 1/2 (Mid: rk4) and a1 at t + 1, [c * L + l];
// one accumulator each, in edge order, as the CUDA node_step sums them.
template <class T, int L, int NCH, bool Mid>
inline void gather_staged(const prepared& P, const T* w, const int* dinst, const T* ring, int n, long t,
                          int mask, long slot, long rs, T* a0, T* am, T* a1) {
    for (int k = 0; k < NCH * L; ++k) a0[k] = am[k] = a1[k] = T(0);
    const long mid = long(NCH) * rs;
    for (int e = P.row_ptr[n]; e < P.row_ptr[n + 1]; ++e) {
        const T we = w[e];
        const T* src = ring + long(P.src[e]) * L;
        if (!P.per_instance_delay) {
            const stage_offsets o = stage_offsets_of(t, P.delay[e], mask, slot, mid);
            for (int c = 0; c < NCH; ++c)
#pragma omp simd
                for (int l = 0; l < L; ++l) {
                    a0[c * L + l] += we * src[o.s0 + c * rs + l];
                    a1[c * L + l] += we * src[o.s1 + c * rs + l];
                    if constexpr (Mid) am[c * L + l] += we * src[o.s1 + o.mid + c * rs + l];
                }
        } else {
            const int* de = dinst + std::size_t(e) * L;
            for (int c = 0; c < NCH; ++c)
#pragma omp simd
                for (int l = 0; l < L; ++l) {
                    const stage_offsets o = stage_offsets_of(t, de[l], mask, slot, mid);
                    a0[c * L + l] += we * src[o.s0 + c * rs + l];
                    a1[c * L + l] += we * src[o.s1 + c * rs + l];
                    if constexpr (Mid) am[c * L + l] += we * src[o.s1 + o.mid + c * rs + l];
                }
        }
    }
}

// The block's stimuli (waveform.hpp): their properties per lane, the
// waveform values of each step at its stage times (u[(k * 3 + g) * L +
// lane]), and per node what node_update needs: the drive buffer
// (load_drive's layout, only the targeted slots rewritten; the others stay
// 0), the offset parameters (pp pointed at pbuf) and the afferent inputs
// added to the channel sums. Sums run over the stimuli in order, as the
// CUDA kernels' node_stimuli sums them.
template <class M, class C, scheme S, class T, int L> struct block_stimuli {
    static constexpr int NS = M::n_state, NCV = M::n_cvar, W = NS + NCV, NCH = C::n_channels;
    const prepared& P;
    const batch& b;
    int K;
    std::vector<int> target, slots, params; // slots: targeted drive slots; params: offset parameters
    std::vector<T> weight;                  // [node][stimulus]
    std::vector<double> props;              // [(stimulus * n_wave_props + prop) * L + lane]
    std::vector<wave_shape> shape;
    aligned_buffer<T> u, drive, pbuf;

    block_stimuli(const prepared& P_, const batch& b_)
        : P(P_), b(b_), K(int(P_.stimuli.size())), weight(P_.n_nodes * P_.stimuli.size()),
          props(P_.stimuli.size() * n_wave_props * L), u(std::size_t(std::max(K, 1)) * 3 * L),
          drive(std::size_t(3) * W * L), pbuf(std::size_t(std::max(K, 1)) * L) {
        for (int k = 0; k < K; ++k) {
            const prepared_stimulus& s = P.stimuli[std::size_t(k)];
            target.push_back(s.target);
            shape.push_back(shape_of(s));
            for (std::size_t n = 0; n < P.n_nodes; ++n)
                weight[n * std::size_t(K) + std::size_t(k)] = T(s.weight[n]);
            auto& list = s.target >= W ? params : slots;
            if (s.target >= 0 && std::find(list.begin(), list.end(), s.target) == list.end())
                list.push_back(s.target);
        }
    }
    // What node_update must read (stim_mode): none when the stimuli only
    // offset parameters or feed afferents (done here, before it).
    int mode() const {
        int m = stim_none;
        for (int j : slots) m = std::max(m, j < NS ? int(stim_all) : int(stim_inputs));
        return m;
    }
    void load(std::size_t i0) {
        const std::size_t N = P.n_instances;
        for (int k = 0; k < K; ++k)
            for (int q = 0; q < n_wave_props; ++q)
                for (int l = 0; l < L; ++l)
                    props[(std::size_t(k) * n_wave_props + std::size_t(q)) * L + std::size_t(l)] =
                        P.stimuli[std::size_t(k)]
                            .props[std::size_t(q) * N + std::min(i0 + std::size_t(l), N - 1)];
    }
    // The values are a pure function of the half step: step t's start is
    // step t - 1's end (heun, rk4), kept rather than computed again.
    void at_step(long t, std::size_t i0, const std::uint64_t* seed) {
        for (int k = 0; k < K; ++k)
            for (int g = 0; g < 3; ++g) {
                if (!stage_used(S, g)) continue;
                T* out = u.p + (k * 3 + g) * L;
                if (g == 0 && t > 0 && S != scheme::euler) {
                    std::copy(out + 2 * L, out + 3 * L, out);
                    continue;
                }
                const double* q = props.data() + std::size_t(k) * n_wave_props * L;
                const wave kind = P.stimuli[std::size_t(k)].kind;
                const wave_shape sh = shape[std::size_t(k)];
                const std::uint32_t base = std::uint32_t(b.first_instance + i0);
#pragma omp simd
                for (int l = 0; l < L; ++l)
                    out[l] = T(wave_value(kind, q + l, L, sh, 2 * t + g, b.dt, seed[l],
                                          base + std::uint32_t(l), std::uint32_t(k)));
            }
    }
    // Node n: the drive buffer, the offset parameters (pp[q] -> pbuf) and,
    // with afferent stimuli, the channel sums acc[c * L + lane] of the
    // stages (acc_of(g): hold passes the same sums for every stage).
    // base(q): parameter q's own table for node n (pp[q] may hold the
    // previous node's offset copy).
    template <class Base, class Acc> void node(int n, const T** pp, Base&& base_of, Acc&& acc_of) {
        const T* w = weight.data() + std::size_t(n) * std::size_t(K);
        for (int j : slots)
            for (int g = 0; g < 3; ++g) {
                if (!stage_used(S, g)) continue;
                T* d = drive.p + (g * W + j) * L;
                for (int l = 0; l < L; ++l) d[l] = T(0);
                for (int k = 0; k < K; ++k) {
                    if (target[std::size_t(k)] != j) continue;
                    const T wk = w[k];
                    const T* uk = u.p + (k * 3 + g) * L;
#pragma omp simd
                    for (int l = 0; l < L; ++l) d[l] += wk * uk[l];
                }
            }
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int q = params[i] - W;
            T* buf = pbuf.p + i * L;
            const T* base = base_of(q);
            for (int l = 0; l < L; ++l) buf[l] = base[l];
            for (int k = 0; k < K; ++k) {
                if (target[std::size_t(k)] != params[i]) continue;
                const T wk = w[k];
                const T* uk = u.p + k * 3 * L;
#pragma omp simd
                for (int l = 0; l < L; ++l) buf[l] += wk * uk[l];
            }
            pp[q] = buf;
        }
        for (int k = 0; k < K; ++k) {
            if (target[std::size_t(k)] != stim_afferent) continue;
            const T wk = w[k];
            for (int g = 0; g < 3; ++g) {
                T* a = acc_of(g);
                if (!a) continue;
                const T* uk = u.p + (k * 3 + g) * L;
#pragma omp simd
                for (int l = 0; l < L; ++l) {
                    T pc[C::n_params > 0 ? C::n_params : 1], xv[NCV], ch[NCH];
                    for (int c = 0; c < C::n_params; ++c) pc[c] = pp[M::n_params + c][l];
                    for (int c = 0; c < NCV; ++c) xv[c] = c == 0 ? uk[l] : T(0);
                    C::pre(pc, xv, ch);
                    for (int c = 0; c < NCH; ++c) a[c * L + l] += wk * ch[c];
                }
            }
        }
    }
};

// f(std::integral_constant<int, mode>) for a stim_mode known at run time.
template <class F> void dispatch_mode(int mode, F&& f) {
    if (mode == stim_all)
        f(std::integral_constant<int, stim_all>{});
    else if (mode == stim_inputs)
        f(std::integral_constant<int, stim_inputs>{});
    else
        f(std::integral_constant<int, stim_none>{});
}

// A finished block's final state and divergence steps into the run result.
template <class T, int L>
void store_block(const T* x, const long* div_step, std::size_t i0, int n_valid, int NS, int nn,
                 run_result& R) {
    const std::size_t N = R.diverged_step.size();
    for (int l = 0; l < n_valid; ++l) {
        R.diverged_step[i0 + l] = div_step[l];
        for (int v = 0; v < NS; ++v)
            for (int n = 0; n < nn; ++n)
                R.final_state[(std::size_t(v) * nn + n) * N + i0 + l] = double(x[(long(v) * nn + n) * L + l]);
    }
}

// Interp: delayed_coupling = interpolate (heun, rk4); hold keeps its own
// code path, untouched by the stage logic.
template <class M, class C, scheme S, bool Noisy, class T, bool Interp = false>
void run_blocks(const prepared& P, const batch& b, const run_options& opt, observer<T>* obs, run_result& R) {
    constexpr int L = lanes_for<T>;
    constexpr int NS = M::n_state;
    constexpr int NCH = C::n_channels;
    constexpr int NP = n_all_params<M, C>;
    const int nn = int(P.n_nodes);
    const std::size_t N = P.n_instances;
    const std::size_t n_blocks = (N + L - 1) / L;
    const int H = P.ring_len;
    const int mask = H - 1;
    const long steps = b.n_steps;
    const T dt = T(b.dt);
    const T sqrt_dt = T(std::sqrt(b.dt));
    const long xs = long(nn) * L; // stride between state variables
    const long rs = long(nn) * L; // stride between ring channels
    const long slot = long(ring_width<C, S, Interp>) * rs;
    const int n_edges = int(P.src.size());

    std::vector<T> w(P.weight.begin(), P.weight.end());
    // Per edge: the delay as an offset into the ring, and the source column.
    const long ring_size = long(H) * slot;
    std::vector<long> dslot(P.delay.size()), col(P.src.size());
    for (std::size_t e = 0; e < dslot.size(); ++e) {
        dslot[e] = long(P.delay[e]) * slot;
        col[e] = long(P.src[e]) * L;
    }
    std::vector<T> rowsum(P.rowsum.begin(), P.rowsum.end());
    std::vector<int> node_param_slot(NP, -1);
    int n_node_params = 0;
    for (int k = 0; k < NP; ++k)
        if (P.params[k].varies_over_nodes()) node_param_slot[k] = n_node_params++;
    const int n_noisy = int(P.noise_vars.size());

    R.final_state.assign(std::size_t(NS) * nn * N, 0.0);
    R.diverged_step.assign(N, -1);
    std::atomic<std::size_t> done{0};
    std::atomic<bool> stopped{false}; // opt.stop seen: the remaining blocks are skipped
    auto stop_now = [&] {
        if (opt.stop && opt.stop->load(std::memory_order_relaxed)) stopped.store(true);
        return stopped.load(std::memory_order_relaxed);
    };

    const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
    R.threads = threads;
    R.lanes = L;
    const auto t0 = std::chrono::steady_clock::now();

#pragma omp parallel num_threads(threads)
    {
        aligned_buffer<T> x(std::size_t(NS) * nn * L);
        aligned_buffer<T> xc(compensated<T> ? std::size_t(NS) * nn * L : 1); // float: Kahan (schemes.hpp)
        aligned_buffer<T> ring(std::size_t(H) * slot);
        aligned_buffer<T> pinst(std::size_t(NP) * L);
        aligned_buffer<T> pnode(std::size_t(std::max(n_node_params, 1)) * nn * L);
        aligned_buffer<T> acc(std::size_t(Interp ? 3 : 1) * NCH * L); // interpolate: t, t + 1/2, t + 1
        aligned_buffer<T> dW(std::size_t(NS) * L);
        aligned_buffer<T> zbuf(std::size_t(std::max(n_noisy, 1)) * nn * 4 * L);
        std::vector<int> dinst(P.per_instance_delay ? std::size_t(n_edges) * L : 0);
        std::vector<std::uint64_t> seed(L);
        std::vector<const T*> pp(NP);
        block_stimuli<M, C, S, T, L> stim(P, b);
        const bool stim_on = !P.stimuli.empty();
        const int smode = stim.mode();
        int ok[L];
        long div_step[L];

#pragma omp for schedule(dynamic, 1)
        for (long blk = 0; blk < long(n_blocks); ++blk) {
            if (stop_now()) continue;
            const std::size_t i0 = std::size_t(blk) * L;
            const int n_valid = int(std::min<std::size_t>(L, N - i0));
            auto inst = [&](int l) { return std::min<std::size_t>(i0 + l, N - 1); }; // pad with the last

            load_parameters<T, L>(P, node_param_slot, i0, pinst.p, pnode.p);
            for (int l = 0; l < L; ++l) {
                seed[l] = b.seed_per_instance.empty() ? b.seed : b.seed_per_instance[inst(l)];
                ok[l] = 1;
                div_step[l] = -1;
            }
            if (P.per_instance_delay)
                for (int e = 0; e < n_edges; ++e)
                    for (int l = 0; l < L; ++l)
                        dinst[std::size_t(e) * L + l] = delay_steps(P.length[e], P.speed[inst(l)], b.dt);
            // Parameter pointers: those of parameters the same over nodes are
            // set once; only per-node ones move with the node (setting all of
            // them per node-step cost 3% of the run).
            for (int k = 0; k < NP; ++k) pp[k] = pinst.p + k * L;
            auto param_base = [&](int n) {
                return [&, n](int k) -> const T* {
                    return node_param_slot[k] >= 0 ? pnode.p + (long(node_param_slot[k]) * nn + n) * L
                                                   : pinst.p + k * L;
                };
            };
            auto node_ptrs = [&](int n) {
                for (int k = 0; k < NP; ++k)
                    if (node_param_slot[k] >= 0) pp[k] = pnode.p + (long(node_param_slot[k]) * nn + n) * L;
            };

            load_initial<M, C, T, L>(P, node_param_slot, i0, pinst.p, pnode.p, x.p, ring.p, slot, rs);
            if (stim_on) stim.load(i0);
            if constexpr (compensated<T>) std::fill(xc.p, xc.p + long(NS) * xs, T(0));

            for (long t = 0; t < steps; ++t) {
                if ((t & 255) == 0 && stop_now()) break; // (the block's results are void then)
                T* const ring_out = ring.p + ((t + 1) & mask) * slot;
                if (stim_on) stim.at_step(t, i0, seed.data());
                for (int n = 0; n < nn; ++n) {
                    if (n_node_params > 0) node_ptrs(n);
                    if constexpr (Noisy)
                        node_noise<M, C, T, L>(P, b, seed.data(), i0, n, t,
                                               zbuf.p + long(n) * n_noisy * 4 * L, pp.data(), sqrt_dt, dW.p);
                    if constexpr (Interp) { // (discarded for hold: its code is the one below)
                        T* a0 = acc.p;
                        T* am = acc.p + NCH * L;
                        T* a1 = acc.p + 2 * NCH * L;
                        gather_staged<T, L, NCH, S == scheme::rk4>(P, w.data(), dinst.data(), ring.p, n, t,
                                                                   mask, slot, rs, a0, am, a1);
                        T* xn = x.p + long(n) * L;
                        T* xcn = compensated<T> ? xc.p + long(n) * L : nullptr;
                        T* rn = ring_out + long(n) * L;
                        const T rsum = rowsum[n];
                        if (stim_on) {
                            stim.node(n, pp.data(), param_base(n), [&](int g) {
                                return g == 0 ? a0 : g == 2 ? a1 : S == scheme::rk4 ? am : nullptr;
                            });
                            const T* const* ppd = pp.data();
                            const T* drv = stim.drive.p;
                            auto staged = [&](auto mode) {
#pragma omp simd
                                for (int l = 0; l < L; ++l)
                                    ok[l] &= int(node_update_staged<M, C, S, Noisy, decltype(mode)::value>(
                                        ppd, l, xn, xs, xcn, a0, am, a1, L, dW.p, L, rn, rs, rsum, nn, dt,
                                        drv, L));
                            };
                            dispatch_mode(smode, staged);
                            continue;
                        }
                        const T* const* ppd = pp.data();
#pragma omp simd
                        for (int l = 0; l < L; ++l)
                            ok[l] &= int(node_update_staged<M, C, S, Noisy>(
                                ppd, l, xn, xs, xcn, a0, am, a1, L, dW.p, L, rn, rs, rsum, nn, dt));
                        continue;
                    }
                    // Delayed input: sum over the inputs of node n.
                    for (int c = 0; c < NCH; ++c)
#pragma omp simd
                        for (int l = 0; l < L; ++l) acc.p[c * L + l] = T(0);
                    const int e1 = P.row_ptr[n + 1];
                    if (!P.per_instance_delay) {
                        // The ring is larger than L2 and read at ~20 scattered slots per
                        // node; prefetch the lines the same edges will read kPrefetch
                        // steps later, so that latency is hidden behind a whole step.
                        constexpr int kPrefetch = 2;
                        // Two accumulators break the FMA dependency chain. They are GCC
                        // vectors (one register per channel): as arrays inside `omp simd`
                        // loops GCC kept them on the stack, and every edge paid a
                        // store-to-load round trip (perf: ~20% of the run).
                        typedef T vreg __attribute__((vector_size(sizeof(T) * L)));
                        vreg a0[NCH], a1[NCH];
                        NMS_UNROLL
                        for (int c = 0; c < NCH; ++c) a0[c] = a1[c] = vreg{};
                        int e = P.row_ptr[n];
                        const long t_off = (t & mask) * slot;
                        auto add_edge = [&](int e_, vreg(&a)[NCH]) {
                            const T we = w[e_];
                            long pos = t_off - dslot[std::size_t(e_)];
                            pos += (pos >> 63) & ring_size; // wrap without a branch
                            long pre = pos + kPrefetch * slot;
                            pre -= pre >= ring_size ? ring_size : 0;
                            const T* src = ring.p + pos + col[std::size_t(e_)];
                            const T* nxt = ring.p + pre + col[std::size_t(e_)];
                            NMS_UNROLL
                            for (int c = 0; c < NCH; ++c) {
                                __builtin_prefetch(nxt + c * rs);
                                vreg v;
                                std::memcpy(&v, src + c * rs, sizeof v);
                                a[c] += we * v;
                            }
                        };
                        for (; e + 1 < e1; e += 2) {
                            add_edge(e, a0);
                            add_edge(e + 1, a1);
                        }
                        if (e < e1) add_edge(e, a0);
                        for (int c = 0; c < NCH; ++c) {
                            const vreg s = a0[c] + a1[c];
                            std::memcpy(acc.p + c * L, &s, sizeof s);
                        }
                    } else {
                        gather_per_instance<T, L, NCH>(P, w.data(), dinst.data(), ring.p, n, t, mask, slot,
                                                       rs, acc.p);
                    }
                    T* xn = x.p + long(n) * L;
                    T* xcn = compensated<T> ? xc.p + long(n) * L : nullptr;
                    T* rn = ring_out + long(n) * L;
                    const T rsum = rowsum[n];
                    if (stim_on) {
                        stim.node(n, pp.data(), param_base(n),
                                  [&](int g) { return g == 0 ? acc.p : nullptr; });
                        const T* const* ppd = pp.data();
                        const T* drv = stim.drive.p;
                        auto held = [&](auto mode) {
#pragma omp simd
                            for (int l = 0; l < L; ++l)
                                ok[l] &= int(node_update<M, C, S, Noisy, decltype(mode)::value>(
                                    ppd, l, xn, xs, xcn, acc.p, L, dW.p, L, rn, rs, rsum, nn, dt, drv, L));
                        };
                        dispatch_mode(smode, held);
                        continue;
                    }
                    const T* const* ppd = pp.data();
#pragma omp simd
                    for (int l = 0; l < L; ++l)
                        ok[l] &= int(node_update<M, C, S, Noisy>(ppd, l, xn, xs, xcn, acc.p, L, dW.p, L, rn,
                                                                 rs, rsum, nn, dt));
                }
                for (int l = 0; l < n_valid; ++l)
                    if (!ok[l] && div_step[l] < 0) div_step[l] = t + 1;
                if (obs && (t + 1) % obs->every == 0) {
                    block_state<T> s{t + 1, i0, L, n_valid, nn, NS, x.p};
                    obs->observe(s);
                }
            }

            store_block<T, L>(x.p, div_step, i0, n_valid, NS, nn, R);
            const std::size_t d = done.fetch_add(std::size_t(n_valid)) + std::size_t(n_valid);
            if (opt.on_block_done) opt.on_block_done(d);
        }
    }
    R.interrupted = stopped.load();
    R.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    R.node_steps_per_second = R.wall_seconds > 0 ? double(N) * nn * double(steps) / R.wall_seconds : 0;
}

// Dispatch over coupling, scheme and noise for one model.
template <class M, class T>
void run_model(const prepared& P, const batch& b, const run_options& opt, observer<T>* obs, run_result& R) {
    bool found = visit_coupling<M::n_cvar>(P.coupling.name, [&](auto ct) {
        using C = typename decltype(ct)::type;
        // Euler has one stage: interpolate and hold are the same scheme.
        const bool interp = b.delayed == delayed_coupling::interpolate;
        auto go = [&](auto s_tag, auto noisy_tag) {
            constexpr scheme s = decltype(s_tag)::value;
            constexpr bool noisy = decltype(noisy_tag)::value;
            if constexpr (s != scheme::euler)
                if (interp) return run_blocks<M, C, s, noisy, T, true>(P, b, opt, obs, R);
            run_blocks<M, C, s, noisy, T>(P, b, opt, obs, R);
        };
        using heun = std::integral_constant<scheme, scheme::heun>;
        using euler = std::integral_constant<scheme, scheme::euler>;
        using rk4 = std::integral_constant<scheme, scheme::rk4>;
        using yes = std::true_type;
        using no = std::false_type;
        switch (b.method) {
        case scheme::heun:
            P.noisy ? go(heun{}, yes{}) : go(heun{}, no{});
            break;
        case scheme::euler:
            P.noisy ? go(euler{}, yes{}) : go(euler{}, no{});
            break;
        case scheme::rk4:
            go(rk4{}, no{});
            break;
        }
    });
    if (!found) throw std::logic_error("coupling dispatch failed for " + P.coupling.name);
}

} // namespace nms::cpu
