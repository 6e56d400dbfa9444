#pragma once

// The host executor of the per-sample schedule (nmsweep/analysis/
// channel_schedule.hpp): one loop iteration per GPU thread, or per four
// lanes of a lane operation (the lanes the innermost, vectorised loop: the
// rows of FC and PLV and the segments' series are contiguous in the lanes),
// FFTW (double) standing in for cuFFT with the same strided batched layouts. The CPU
// sweep runs the schedule analyses with it (host_schedule.hpp), and the
// tests run the device's schedule with it on machines without a GPU.
//
// A batch of B series laid out [t * B + b] is transformed series by series:
// gathered (a tile of them at once, so that cache lines are read whole)
// into aligned scratch, through FFTW's one-dimensional plan of its length,
// and scattered back. That is the transform the spectra and synchrony
// reducers have always made, bit for bit, at their speed (a batched plan
// over the interleaved layout was 2x slower and rounds differently).

#include "fft_util.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace nms {

namespace impl {

// One FFTW plan per (kind, length) for the process, made on aligned arrays
// under the planner lock and executed with the new-array interface.
enum class fft_kind { r2c, backward };
inline fftw_plan cached_plan(fft_kind k, int L) {
    static std::map<std::pair<int, int>, std::unique_ptr<fftw_plan_holder>> plans;
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    auto& p = plans[{int(k), L}];
    if (!p) {
        p = std::make_unique<fftw_plan_holder>();
        if (k == fft_kind::r2c)
            p->make_r2c(L);
        else
            p->make_c2c(L, FFTW_BACKWARD);
    }
    return p->get();
}

// Per-thread aligned scratch, `slot` apart (a schedule's buffers that live
// only within one operation: its segments and their spectra).
inline double* thread_scratch(int slot, std::size_t doubles) {
    static thread_local fftw_buffer<double> pool[4];
    return pool[slot].get(std::max<std::size_t>(doubles, 1));
}

} // namespace impl

template <class T> struct host_executor {
    static_assert(std::is_same_v<T, double>, "the host executor transforms in double (FFTW)");

    template <class V> struct buffer {
        std::vector<V> v;
        V* p = nullptr;
        std::size_t n = 0;
        void zeros(std::size_t count) {
            v.assign(count, V(0));
            p = v.data();
            n = count;
        }
        void assign(const std::vector<V>& h) {
            v = h;
            p = v.data();
            n = v.size();
        }
        std::vector<V> download() const { return v; }
    };
    // Contents that live within one operation: per thread here (a CPU sweep
    // keeps a schedule per block of instances, but only its thread's
    // operations run at once).
    template <class V> struct scratch {
        static_assert(std::is_same_v<V, double>, "host scratch is double");
        int slot;
        std::size_t n = 0;
        explicit scratch(int s) : slot(s + 2) {} // slots 0, 1: the transforms' own
        void zeros(std::size_t count) { n = count; }
        V* get() const { return impl::thread_scratch(slot, n); }
    };

    // Series of L values (stride B) in and out, a tile at a time.
    static constexpr long tile = 8;
    static long padded(long m) { return (m + 7) / 8 * 8; } // each series 64-byte aligned

    // B real series of L samples [t * B + b] -> their L / 2 + 1 bins [k * B + b].
    struct r2c {
        long L, B, nf;
        fftw_plan plan;
        r2c(long L_, long B_)
            : L(L_), B(B_), nf(L_ / 2 + 1), plan(impl::cached_plan(impl::fft_kind::r2c, int(L_))) {}
        void run(const T* in, T* out) const {
            const long li = padded(L), lo = padded(2 * nf);
            double* a = impl::thread_scratch(0, std::size_t(tile * li));
            double* z = impl::thread_scratch(1, std::size_t(tile * lo));
            for (long b0 = 0; b0 < B; b0 += tile) {
                const long w = std::min(tile, B - b0);
                for (long t = 0; t < L; ++t)
                    for (long q = 0; q < w; ++q) a[q * li + t] = in[t * B + b0 + q];
                for (long q = 0; q < w; ++q)
                    fftw_execute_dft_r2c(plan, a + q * li, reinterpret_cast<fftw_complex*>(z + q * lo));
                for (long k = 0; k < nf; ++k)
                    for (long q = 0; q < w; ++q) {
                        out[2 * (k * B + b0 + q)] = z[q * lo + 2 * k];
                        out[2 * (k * B + b0 + q) + 1] = z[q * lo + 2 * k + 1];
                    }
            }
        }
    };

    // B complex series of L values [t * B + b], inverse, in place, unnormalised.
    struct inverse {
        long L, B;
        fftw_plan plan;
        inverse(long L_, long B_)
            : L(L_), B(B_), plan(impl::cached_plan(impl::fft_kind::backward, int(L_))) {}
        void run(T* zz) const {
            const long lp = padded(2 * L);
            double* a = impl::thread_scratch(0, std::size_t(tile * lp));
            double* z = impl::thread_scratch(1, std::size_t(tile * lp));
            for (long b0 = 0; b0 < B; b0 += tile) {
                const long w = std::min(tile, B - b0);
                for (long t = 0; t < L; ++t)
                    for (long q = 0; q < w; ++q) {
                        a[q * lp + 2 * t] = zz[2 * (t * B + b0 + q)];
                        a[q * lp + 2 * t + 1] = zz[2 * (t * B + b0 + q) + 1];
                    }
                for (long q = 0; q < w; ++q)
                    fftw_execute_dft(plan, reinterpret_cast<fftw_complex*>(a + q * lp),
                                     reinterpret_cast<fftw_complex*>(z + q * lp));
                for (long t = 0; t < L; ++t)
                    for (long q = 0; q < w; ++q) {
                        zz[2 * (t * B + b0 + q)] = z[q * lp + 2 * t];
                        zz[2 * (t * B + b0 + q) + 1] = z[q * lp + 2 * t + 1];
                    }
            }
        }
    };

    template <class Op> void each(long count, const Op& op) const {
        for (long g = 0; g < count; ++g) op(g);
    }
    // Lanes four at a time (a 256-bit vector of doubles), the rest one by one.
    static constexpr int lane_width = 4;
    template <class Op> void each_lanes(long rows, long n, const Op& op) const {
        for (long r = 0; r < rows; ++r) {
            long i = 0;
            for (; i + lane_width <= n; i += lane_width) op.template lanes<lane_width>(r, i);
            for (; i < n; ++i) op.template lanes<1>(r, i);
        }
    }
    void zero(double* p, std::size_t n) const { std::fill(p, p + n, 0.0); }
    std::unique_ptr<r2c> make_r2c(long L, long B) const { return std::make_unique<r2c>(L, B); }
    std::unique_ptr<inverse> make_inverse(long L, long B) const { return std::make_unique<inverse>(L, B); }
};

} // namespace nms
