#pragma once

// CUDA backend, two thread mappings (gpu_mapping; bench/GPU.md has the
// arithmetic behind the automatic choice):
//
// - instance: one thread per instance steps every node of its own network,
//   so a step needs no synchronisation and the whole time loop runs inside
//   one launch (chunked only to hand observations to the host); parameters
//   stay in registers. It fills the GPU only with ~10^5 instances.
// - node: one thread per (node, instance), the same per-node code, and a
//   launch per K steps, K = the shortest delay + 1 (interpolate: the shortest
//   delay; bounded by the ring, node_steps_per_launch): within K steps every
//   delayed input was written before the launch began, so the threads of
//   a launch need no ordering.
//   nn times more threads: it fills the GPU with ~10^3-10^4 instances.
//
// All per-instance arrays (state, delay ring, parameters) are
// instance-fastest, so the threads of a warp touch consecutive words: every
// state, ring and parameter access is coalesced. The network (CSR inputs,
// weights, delays) is the same for all instances: broadcast loads from L1.
//
// The per-node physics is node_update(), the same NMS_HD function the CPU
// backend runs in its SIMD loop; the noise is the same Philox stream
// (core/noise.hpp), keyed by (seed, global instance, node, variable, step).
// Everything a sweep reduces for device-reducible observers stays on the
// device (device_analyses.hpp: the analysis units such as the moments and
// the attractor's cycle tracking, Welch spectra and Hilbert phases through
// cuFFT, FC and FCD, synchrony, BOLD, sensor modalities); only per-instance
// results leave it. Other observers get the observables, computed on the
// device, per sample.

#include "cuda_check.hpp"
#include "cuda_dispatch.hpp"

#include "bold_kernels.hpp"
#include "device_analyses.hpp"
#include "instance_kernels.hpp"
#include "instance_tables.hpp"
#include "nmsweep/analysis/channel_schedule.hpp"
#include "nmsweep/analysis/fc_steps.hpp"
#include "nmsweep/analysis/synchrony_steps.hpp"
#include "nmsweep/analysis/welch_steps.hpp"
#include "nmsweep/core/error.hpp"
#include "sensor_kernels.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nms::gpu {

// Threads per block: 128 unless NMS_CUDA_BLOCK (32 .. 256) says otherwise.
constexpr int max_block_threads = 256;
inline int block_threads() {
    static const int b = [] {
        const char* e = std::getenv("NMS_CUDA_BLOCK");
        const int v = e ? std::atoi(e) : 128;
        return v >= 32 && v <= max_block_threads && v % 32 == 0 ? v : 128;
    }();
    return b;
}

template <class M, class C, class T>
__global__ void __launch_bounds__(max_block_threads) init_kernel(const args_for<M, C, T> a, const T* hist) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < a.n) init_instance<M, C, T>(a, hist, i);
}

template <class M, class C, scheme S, class T, bool Interp>
__global__ void __launch_bounds__(max_block_threads)
    steps_kernel(const args_for<M, C, T> a, long t0, long t1, bool observe) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < a.n) step_instance<M, C, S, T, Interp>(a, t0, t1, observe, i);
}

template <class M, class C, scheme S, class T, bool Interp>
__global__ void __launch_bounds__(max_block_threads)
    node_kernel(const args_for<M, C, T> a, long t0, long ta, long tb, bool observe) {
    const long g = long(blockIdx.x) * blockDim.x + threadIdx.x;
    if (g < long(a.nn) * a.n)
        step_node<M, C, S, T, Interp>(a, t0, ta, tb, observe, int(g / a.n), int(g % a.n));
}

template <class M, class C, class T>
__global__ void __launch_bounds__(max_block_threads) net_kernel(const args_for<M, C, T> a, long t) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < a.n) net_reduce(a, t, i);
}

// A batched real-to-complex FFT of B series of `length` samples laid out
// [t * B + b] (output [k * B + b]), in T's precision.
template <class T> struct welch_fft {
    cufftHandle plan = 0;
    welch_fft(long length, long B, cudaStream_t stream) {
        NMS_CUFFT_CHECK(cufftCreate(&plan));
        long long n[1] = {length}, in_embed[1] = {length}, out_embed[1] = {length / 2 + 1};
        std::size_t work = 0;
        NMS_CUFFT_CHECK(cufftMakePlanMany64(plan, 1, n, in_embed, B, 1, out_embed, B, 1,
                                            sizeof(T) == 4 ? CUFFT_R2C : CUFFT_D2Z, B, &work));
        NMS_CUFFT_CHECK(cufftSetStream(plan, stream));
    }
    void run(T* in, T* out) {
        if constexpr (sizeof(T) == 4)
            NMS_CUFFT_CHECK(
                cufftExecR2C(plan, reinterpret_cast<cufftReal*>(in), reinterpret_cast<cufftComplex*>(out)));
        else
            NMS_CUFFT_CHECK(cufftExecD2Z(plan, reinterpret_cast<cufftDoubleReal*>(in),
                                         reinterpret_cast<cufftDoubleComplex*>(out)));
    }
    ~welch_fft() {
        if (plan) cufftDestroy(plan);
    }
    welch_fft(const welch_fft&) = delete;
    welch_fft& operator=(const welch_fft&) = delete;
};

// A batched inverse complex FFT of B series of `length` values laid out
// [t * B + b], in place, in T's precision (unnormalised, as FFTW's backward).
template <class T> struct inverse_fft {
    cufftHandle plan = 0;
    inverse_fft(long length, long B, cudaStream_t stream) {
        NMS_CUFFT_CHECK(cufftCreate(&plan));
        long long n[1] = {length}, embed[1] = {length};
        std::size_t work = 0;
        NMS_CUFFT_CHECK(cufftMakePlanMany64(plan, 1, n, embed, B, 1, embed, B, 1,
                                            sizeof(T) == 4 ? CUFFT_C2C : CUFFT_Z2Z, B, &work));
        NMS_CUFFT_CHECK(cufftSetStream(plan, stream));
    }
    void run(T* z) {
        if constexpr (sizeof(T) == 4) {
            auto* p = reinterpret_cast<cufftComplex*>(z);
            NMS_CUFFT_CHECK(cufftExecC2C(plan, p, p, CUFFT_INVERSE));
        } else {
            auto* p = reinterpret_cast<cufftDoubleComplex*>(z);
            NMS_CUFFT_CHECK(cufftExecZ2Z(plan, p, p, CUFFT_INVERSE));
        }
    }
    ~inverse_fft() {
        if (plan) cufftDestroy(plan);
    }
    inverse_fft(const inverse_fft&) = delete;
    inverse_fft& operator=(const inverse_fft&) = delete;
};

template <class T> struct device_buffer {
    T* p = nullptr;
    std::size_t n = 0;
    device_buffer() = default;
    explicit device_buffer(std::size_t count) : n(count) {
        if (count) NMS_CUDA_CHECK(cudaMalloc(&p, count * sizeof(T)));
    }
    device_buffer(const std::vector<T>& h) : device_buffer(h.size()) {
        if (n) NMS_CUDA_CHECK(cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice));
    }
    // (Re)allocates `count` elements set to zero bytes.
    void zeros(std::size_t count) {
        if (p) cudaFree(p);
        p = nullptr;
        n = count;
        if (!count) return;
        NMS_CUDA_CHECK(cudaMalloc(&p, count * sizeof(T)));
        NMS_CUDA_CHECK(cudaMemset(p, 0, count * sizeof(T)));
    }
    std::vector<T> download() const {
        std::vector<T> h(n);
        if (n) NMS_CUDA_CHECK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
        return h;
    }
    ~device_buffer() {
        if (p) cudaFree(p);
    }
    device_buffer(const device_buffer&) = delete;
    device_buffer& operator=(const device_buffer&) = delete;
};

template <class T> struct pinned_buffer {
    T* p = nullptr;
    explicit pinned_buffer(std::size_t count) {
        if (count) NMS_CUDA_CHECK(cudaMallocHost(&p, count * sizeof(T)));
    }
    ~pinned_buffer() {
        if (p) cudaFreeHost(p);
    }
    pinned_buffer(const pinned_buffer&) = delete;
    pinned_buffer& operator=(const pinned_buffer&) = delete;
};

struct stream_pair {
    cudaStream_t compute = nullptr, copy = nullptr;
    cudaEvent_t done_kernel[2] = {}, done_copy[2] = {};
    stream_pair() {
        // Blocking streams: they order with the legacy default stream, which
        // the synchronous uploads (cudaMemcpy from pageable memory may return
        // before its DMA lands) and the final downloads use.
        NMS_CUDA_CHECK(cudaStreamCreate(&compute));
        NMS_CUDA_CHECK(cudaStreamCreate(&copy));
        for (int k = 0; k < 2; ++k) {
            NMS_CUDA_CHECK(cudaEventCreateWithFlags(&done_kernel[k], cudaEventDisableTiming));
            NMS_CUDA_CHECK(cudaEventCreateWithFlags(&done_copy[k], cudaEventDisableTiming));
        }
    }
    ~stream_pair() {
        for (int k = 0; k < 2; ++k) {
            cudaEventDestroy(done_kernel[k]);
            cudaEventDestroy(done_copy[k]);
        }
        cudaStreamDestroy(compute);
        cudaStreamDestroy(copy);
    }
};

// One GPU thread per index g < count: op(g) (the operations of
// channel_schedule.hpp).
template <class Op>
__global__ void __launch_bounds__(max_block_threads) each_kernel(long count, const Op op) {
    const long g = long(blockIdx.x) * blockDim.x + threadIdx.x;
    if (g < count) op(g);
}

// A lane operation (channel_schedule.hpp's each_lanes) as one thread per
// lane: g = row * n + lane.
template <class Op> struct lane_thread {
    Op op;
    long n;
    __device__ void operator()(long g) const { op.template lanes<1>(g / n, g % n); }
};

// The executor of the per-sample schedule (channel_schedule.hpp) on a
// device stream: a launch per operation, cuFFT for the transforms.
template <class T> struct cuda_executor {
    template <class V> struct buffer : device_buffer<V> {
        void assign(const std::vector<V>& h) {
            this->zeros(h.size());
            if (!h.empty())
                NMS_CUDA_CHECK(cudaMemcpy(this->p, h.data(), h.size() * sizeof(V), cudaMemcpyHostToDevice));
        }
    };
    // Contents that live within one operation: owned by the schedule here.
    template <class V> struct scratch : buffer<V> {
        explicit scratch(int) {}
        V* get() const { return this->p; }
    };
    using r2c = welch_fft<T>;
    using inverse = inverse_fft<T>;
    cudaStream_t st;
    int bt;
    template <class Op> void each(long count, const Op& op) const {
        if (count <= 0) return;
        each_kernel<<<unsigned((count + bt - 1) / bt), bt, 0, st>>>(count, op);
        NMS_CUDA_LAUNCHED("per-sample reductions");
    }
    template <class Op> void each_lanes(long rows, long n, const Op& op) const {
        each(rows * n, lane_thread<Op>{op, n});
    }
    void zero(double* p, std::size_t n) const {
        NMS_CUDA_CHECK(cudaMemsetAsync(p, 0, n * sizeof(double), st));
    }
    std::unique_ptr<r2c> make_r2c(long L, long B) const { return std::make_unique<r2c>(L, B, st); }
    std::unique_ptr<inverse> make_inverse(long L, long B) const {
        return std::make_unique<inverse>(L, B, st);
    }
};
template <class T> using device_reductions = channel_reductions<T, cuda_executor<T>>;

// Bytes of device memory one instance needs (the observation buffers aside).
template <class M, class C, class T>
std::size_t bytes_per_instance(const prepared& P, int ring_w, int n_node_params, bool by_node,
                               const std::vector<device_request>& req0, const bold_params* bold,
                               const std::vector<sensor_params>& sensors) {
    const std::size_t nn = P.n_nodes;
    // State (and a float run's compensation, schemes.hpp) + history, ring, parameters.
    std::size_t words = std::size_t(M::n_state) * nn * (compensated<T> ? 3 : 2) +
                        std::size_t(P.ring_len) * ring_w * nn + n_all_params<M, C> +
                        std::size_t(n_node_params) * nn;
    std::size_t b = words * sizeof(T) + sizeof(std::uint64_t) + sizeof(long);
    if (P.per_instance_delay) b += P.src.size() * sizeof(int);
    // The nodes' analyses (units, Welch, FC, synchrony: device_analyses).
    b += device_reductions<T>::bytes(long(nn), req0);
    bool per_sample = bold || !sensors.empty();
    for (const auto& q : req0) per_sample |= !q.unit;
    if (by_node || per_sample) b += nn * sizeof(double); // node values at a sample
    // Sensor modalities: their signals and mean, and their reductions.
    // (Another projection's node values: at most one buffer per observer.)
    for (const auto& sp : sensors)
        b += std::size_t(sp.n_sensors + 1) * sizeof(double) +
             device_reductions<T>::bytes(sp.n_sensors, sp.requests) +
             (sp.source > 0 ? nn * sizeof(double) : 0);
    if (bold && bold->source > 0) b += nn * sizeof(double);
    // BOLD: balloon state, inputs, two BOLD values, the sample, co-moments
    // as FC's, the kept samples; constants per instance when swept.
    if (bold)
        b += (12 * nn + std::size_t(fc_pairs(long(nn))) + std::size_t(bold->n_keep) * nn) * sizeof(double) +
             (bold->per_instance.empty() ? 0 : sizeof(observe::balloon<double>));
    return b;
}

// Observed runs: chunks of whole sampling periods, the observable of chunk k
// copied to the host (double-buffered) while chunk k+1 runs; advance(t0,
// t1, observe) launches the steps.
template <class A, class T, class Advance>
void run_observed(A& a, observer<T>& obs, stream_pair& st, std::size_t i0, long n, int nn, long steps,
                  std::size_t obs_samples_cap, Advance&& advance) {
    const long every = obs.every;
    a.every = int(every);
    const long first_needed = obs.first_needed_step();
    const long per_sample = long(a.n_proj) * nn * n;
    const long samples = long(std::max<std::size_t>(1, obs_samples_cap));
    device_buffer<T> d_obs0(std::size_t(samples * per_sample)), d_obs1(std::size_t(samples * per_sample));
    pinned_buffer<T> h_obs0(std::size_t(samples * per_sample)), h_obs1(std::size_t(samples * per_sample));
    T* d_obs[2] = {d_obs0.p, d_obs1.p};
    T* h_obs[2] = {h_obs0.p, h_obs1.p};
    struct pending {
        bool active = false;
        long t0 = 0, n_samples = 0;
    } pend[2];
    auto deliver = [&](int k) {
        if (!pend[k].active) return;
        NMS_CUDA_CHECK(cudaEventSynchronize(st.done_copy[k]));
        for (long j = 0; j < pend[k].n_samples; ++j) {
            const long step = pend[k].t0 + (j + 1) * every;
            projected_state<T> ps{step, i0, n, int(n), nn, a.n_proj, h_obs[k] + j * per_sample};
            obs.observe_projected(ps);
        }
        pend[k].active = false;
    };
    // Unobserved lead-in (e.g. a sweep's transient) in one go.
    long t = std::min(steps, (std::max<long>(first_needed - 1, 0) / every) * every);
    if (t > 0) advance(0, t, false);
    int k = 0;
    const long last_sample_step = (steps / every) * every;
    while (t < last_sample_step) {
        const long t1 = std::min(last_sample_step, t + samples * every);
        NMS_CUDA_CHECK(cudaStreamWaitEvent(st.compute, st.done_copy[k], 0));
        a.obs = d_obs[k];
        advance(t, t1, true);
        NMS_CUDA_CHECK(cudaEventRecord(st.done_kernel[k], st.compute));
        NMS_CUDA_CHECK(cudaStreamWaitEvent(st.copy, st.done_kernel[k], 0));
        const long ns = (t1 - t) / every;
        NMS_CUDA_CHECK(cudaMemcpyAsync(h_obs[k], d_obs[k], std::size_t(ns * per_sample) * sizeof(T),
                                       cudaMemcpyDeviceToHost, st.copy));
        NMS_CUDA_CHECK(cudaEventRecord(st.done_copy[k], st.copy));
        pend[k] = {true, t, ns};
        deliver(1 - k); // the previous chunk, while this one runs
        k = 1 - k;
        t = t1;
    }
    if (t < steps) advance(t, steps, false);
    deliver(1 - k);
    deliver(k);
}

// Runs instances [i0, i0 + n) of the batch on the current device.
// Returns the seconds spent in the stepping kernels. Interp: delayed_coupling
// = interpolate (rk4's ring slots then also hold the mid-step channels).
template <class M, class C, scheme S, class T, bool Interp>
double run_range(const prepared& P, const batch& b, observer<T>* obs, std::size_t i0, std::size_t n_sub,
                 const std::vector<int>& node_slot, int n_node_params, std::size_t obs_samples_cap,
                 bool by_node, run_result& R) {
    constexpr int NS = M::n_state, RW = ring_width<C, S, Interp>;
    const int nn = int(P.n_nodes);
    const std::size_t N = P.n_instances;
    const long n = long(n_sub);
    const std::size_t cs = std::size_t(nn) * n_sub;
    auto inst = [&](std::size_t l) { return i0 + l; };

    const instance_tables<T> h = make_tables<T>(P, b, i0, n_sub, node_slot, n_node_params);
    std::vector<long> div(n_sub, -1);
    device_buffer<T> d_pinst(h.pinst), d_pnode(h.pnode), d_x(h.x0), d_h(h.h0), d_w(h.weight),
        d_rowsum(h.rowsum);
    device_buffer<int> d_row(P.row_ptr), d_src(P.src), d_delay(P.delay), d_dinst(h.dinst);
    device_buffer<std::uint64_t> d_seed(h.seeds);
    device_buffer<double> d_stim_props(h.stim_props), d_stim_shape(h.stim_shape);
    device_buffer<T> d_stim_weight(h.stim_weight);
    device_buffer<long> d_div(div);
    device_buffer<T> d_ring(std::size_t(P.ring_len) * RW * cs);
    device_buffer<T> d_xc(compensated<T> ? std::size_t(NS) * cs : 0); // set by init_instance

    args_for<M, C, T> a;
    const auto proj = obs ? obs->projections() : std::vector<std::vector<double>>{};
    if (obs && proj.empty()) throw std::logic_error("the CUDA backend needs an observer with projections");
    set_args<M, C, T>(a, P, b, i0, n_sub, node_slot, proj, RW);
    a.x = d_x.p;
    a.xc = d_xc.p;
    a.ring = d_ring.p;
    a.pinst = d_pinst.p;
    a.pnode = d_pnode.p;
    a.row_ptr = d_row.p;
    a.src = d_src.p;
    a.delay = d_delay.p;
    a.dinst = P.per_instance_delay ? d_dinst.p : nullptr;
    a.weight = d_w.p;
    a.rowsum = d_rowsum.p;
    a.seed = d_seed.p;
    a.div_step = d_div.p;
    a.stim.props = d_stim_props.p;
    a.stim.weight = d_stim_weight.p;
    a.stim.shape = d_stim_shape.p;

    const int bt = block_threads();
    const dim3 grid{unsigned((n + bt - 1) / bt)}, block{unsigned(bt)};
    const dim3 node_grid{unsigned((long(nn) * n + bt - 1) / bt)};
    const long per_launch = node_steps_per_launch(P, h.dinst, 64, Interp);
    NMS_CUDA_CHECK(cudaDeviceSynchronize()); // every upload has landed
    stream_pair st;
    init_kernel<M, C, T><<<grid, block, 0, st.compute>>>(a, d_h.p);
    NMS_CUDA_LAUNCHED("init_kernel");
    cudaEvent_t ev0, ev1;
    NMS_CUDA_CHECK(cudaEventCreate(&ev0));
    NMS_CUDA_CHECK(cudaEventCreate(&ev1));
    NMS_CUDA_CHECK(cudaEventRecord(ev0, st.compute));

    const long steps = b.n_steps;
    // Observers that need only reductions of the observable: reduced on the
    // device (device_analyses.hpp), handed over once per device batch
    // (nothing per sample leaves the device).
    cuda_executor<T> ex{st.compute, bt};
    std::unique_ptr<device_analyses<T, cuda_executor<T>>> dev;
    if (obs && obs->device_reducible()) {
        dev = std::make_unique<device_analyses<T, cuda_executor<T>>>(ex, *obs, i0, nn, n, a.n_proj, by_node);
        dev->attach(a);
    }
    const bool per_sample = dev && dev->per_sample(); // schedule operations after every sample
    // Steps t0 .. t1-1 (t0: the start of the observation buffer's samples).
    auto advance = [&](long t0, long t1, bool observe) {
        if (!by_node && !per_sample) {
            steps_kernel<M, C, S, T, Interp><<<grid, block, 0, st.compute>>>(a, t0, t1, observe);
            NMS_CUDA_LAUNCHED("steps_kernel");
            return;
        }
        for (long t = t0; t < t1;) {
            long tb = by_node ? std::min(t1, t + per_launch) : t1;
            // A reduced sample ends a launch: its node values are summed
            // (node mean, co-moments) before the next sample overwrites them.
            if (a.reduce) {
                const long next = std::max(a.reduce_first, (t + 1 + a.every - 1) / a.every * a.every);
                tb = std::min(tb, next); // the launch's last step is next - 1
            }
            if (by_node)
                node_kernel<M, C, S, T, Interp><<<node_grid, block, 0, st.compute>>>(a, t0, t, tb, observe);
            else // observe is false here (per-sample reducers: no per-sample hand-over)
                steps_kernel<M, C, S, T, Interp><<<grid, block, 0, st.compute>>>(a, t, tb, false);
            if (a.reduce && tb >= a.reduce_first && tb % a.every == 0) {
                if (by_node) net_kernel<M, C, T><<<grid, block, 0, st.compute>>>(a, tb - 1);
                if (per_sample) dev->after_sample(a, tb);
            }
            t = tb;
        }
        NMS_CUDA_LAUNCHED("stepping kernels");
    };
    if (!obs || dev) {
        // Chunks of about 2^31 node-steps keep a launch short enough to interrupt.
        const long chunk = std::max<long>(1, long((1L << 31) / std::max<long>(1, long(nn) * n)));
        auto run_to = [&](long from, long to) {
            for (long t = from; t < to; t += chunk) advance(t, std::min(to, t + chunk), false);
        };
        long t = 0;
        for (const auto& [at, smp] : dev ? dev->segment_stops(steps) : std::vector<std::pair<long, long>>{}) {
            run_to(t, at);
            t = at;
            dev->welch_segment(smp);
        }
        run_to(t, steps);
    } else {
        run_observed(a, *obs, st, i0, n, nn, steps, obs_samples_cap, advance);
    }
    NMS_CUDA_CHECK(cudaEventRecord(ev1, st.compute));
    NMS_CUDA_CHECK(cudaStreamSynchronize(st.compute));
    float ms = 0;
    NMS_CUDA_CHECK(cudaEventElapsedTime(&ms, ev0, ev1));
    cudaEventDestroy(ev0);
    cudaEventDestroy(ev1);

    std::vector<T> xf(NS * cs);
    NMS_CUDA_CHECK(cudaMemcpy(xf.data(), d_x.p, xf.size() * sizeof(T), cudaMemcpyDeviceToHost));
    NMS_CUDA_CHECK(cudaMemcpy(div.data(), d_div.p, div.size() * sizeof(long), cudaMemcpyDeviceToHost));
    for (std::size_t l = 0; l < n_sub; ++l) {
        R.diverged_step[inst(l)] = div[l];
        for (int v = 0; v < NS; ++v)
            for (int q = 0; q < nn; ++q)
                R.final_state[(std::size_t(v) * nn + q) * N + inst(l)] =
                    double(xf[(std::size_t(v) * nn + q) * n_sub + l]);
    }
    if (dev) dev->hand_over(steps);
    return double(ms) / 1e3;
}

// Splits the batch over the devices (contiguous shares, one host thread
// each) and each share into sub-batches that fit the device's free memory.
template <class M, class C, scheme S, class T, bool Interp>
void run_devices(const prepared& P, const batch& b, const run_options& opt, observer<T>* obs, run_result& R) {
    std::vector<int> node_slot;
    const int n_node_params = node_param_slots(P, node_slot);
    const std::size_t N = P.n_instances;
    R.final_state.assign(std::size_t(M::n_state) * P.n_nodes * N, 0.0);
    R.diverged_step.assign(N, -1);

    std::vector<int> devs = opt.devices;
    if (devs.empty()) {
        int nd = 0;
        NMS_CUDA_CHECK(cudaGetDeviceCount(&nd));
        for (int d = 0; d < nd; ++d) devs.push_back(d);
    }
    const std::size_t nd = std::min<std::size_t>(devs.size(), N);
    std::atomic<std::size_t> done{0};
    std::atomic<bool> stopped{false};
    std::vector<std::exception_ptr> errors(nd);
    std::vector<double> kernel_s(nd, 0.0);
    std::vector<int> used(nd, 0); // bit 0: instance mapping, bit 1: node mapping
    auto work = [&](std::size_t k) {
        try {
            NMS_CUDA_CHECK(cudaSetDevice(devs[k]));
            const std::size_t lo = N * k / nd, hi = N * (k + 1) / nd;
            std::size_t free_b = 0, total_b = 0;
            NMS_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
            int sms = 0, per_sm = 0;
            NMS_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, devs[k]));
            NMS_CUDA_CHECK(cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, devs[k]));
            const long resident = long(sms) * per_sm;
            // Observation buffers: two device + two pinned host chunks of up
            // to 256 MiB each, at least one sample.
            const std::size_t per_sample = P.n_nodes * sizeof(T) * (obs ? obs->projections().size() : 0);
            const std::size_t budget = std::size_t(free_b * 0.8);
            const bool node_any = opt.mapping != gpu_mapping::instance;
            const bool dev = obs && obs->device_reducible();
            bold_params bp;
            const bool bold = dev && obs->device_bold(bp);
            const std::size_t per = bytes_per_instance<M, C, T>(
                P, ring_width<C, S, Interp>, n_node_params, node_any,
                dev ? obs->device_requests() : std::vector<device_request>{}, bold ? &bp : nullptr,
                dev ? obs->device_sensors() : std::vector<sensor_params>{});
            std::size_t cap = std::max<std::size_t>(1, budget / (per + (obs ? 2 * per_sample : 0)));
            if (opt.device_batch > 0) cap = std::min(cap, opt.device_batch);
            std::size_t sub = std::max<std::size_t>(1, std::min(hi - lo, cap));
            std::size_t samples = 0;
            if (obs) {
                samples = std::max<std::size_t>(1, (std::size_t(256) << 20) / (per_sample * sub));
                const long total_samples = b.n_steps / obs->every;
                samples = std::min<std::size_t>(samples, std::size_t(std::max<long>(1, total_samples)));
            }
            for (std::size_t i = lo; i < hi; i += sub) {
                // A stop request ends the batch between device sub-batches
                // (its results are void; the driver keeps batches short).
                if (opt.stop && opt.stop->load(std::memory_order_relaxed)) {
                    stopped = true;
                    break;
                }
                const std::size_t m = std::min(sub, hi - i);
                const bool by_node = use_node_mapping(opt.mapping, m, int(P.n_nodes), resident);
                used[k] |= by_node ? 2 : 1;
                kernel_s[k] += run_range<M, C, S, T, Interp>(P, b, obs, i, m, node_slot, n_node_params,
                                                             samples, by_node, R);
                const std::size_t d = done.fetch_add(m) + m;
                if (opt.on_block_done) opt.on_block_done(d);
            }
        } catch (...) {
            errors[k] = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    for (std::size_t k = 1; k < nd; ++k) pool.emplace_back(work, k);
    work(0);
    for (auto& th : pool) th.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    R.interrupted = stopped.load();
    R.threads = int(nd);
    R.kernel_seconds = *std::max_element(kernel_s.begin(), kernel_s.end());
    int all = 0;
    for (int u : used) all |= u;
    R.mapping = all == 3 ? "instance+node" : all == 2 ? "node" : "instance";
}

template <class M, class T>
void run_model(const prepared& P, const batch& b, const run_options& opt, observer<T>* obs, run_result& R) {
    const auto t0 = std::chrono::steady_clock::now();
    bool found = visit_coupling<M::n_cvar>(P.coupling.name, [&](auto ct) {
        using C = typename decltype(ct)::type;
        // Euler has one stage: interpolate and hold are the same scheme.
        const bool interp = b.delayed == delayed_coupling::interpolate;
        switch (b.method) {
        case scheme::heun:
            interp ? run_devices<M, C, scheme::heun, T, true>(P, b, opt, obs, R)
                   : run_devices<M, C, scheme::heun, T, false>(P, b, opt, obs, R);
            break;
        case scheme::euler:
            run_devices<M, C, scheme::euler, T, false>(P, b, opt, obs, R);
            break;
        case scheme::rk4:
            interp ? run_devices<M, C, scheme::rk4, T, true>(P, b, opt, obs, R)
                   : run_devices<M, C, scheme::rk4, T, false>(P, b, opt, obs, R);
            break;
        }
    });
    if (!found) throw std::logic_error("coupling dispatch failed for " + P.coupling.name);
    R.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    R.node_steps_per_second =
        R.wall_seconds > 0 ? double(P.n_instances) * double(P.n_nodes) * double(b.n_steps) / R.wall_seconds
                           : 0;
    R.lanes = block_threads();
    R.backend = "cuda";
}

} // namespace nms::gpu
