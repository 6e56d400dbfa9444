#pragma once

// The host executor of the per-sample schedule (channel_schedule.hpp): one
// loop iteration per GPU thread, FFTW (double) standing in for cuFFT with
// the same strided batched layouts. The tests run the device's schedule
// with it on machines without a GPU.

#include <fftw3.h>

#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

namespace nms::gpu {

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

    // B real series of L samples [t * B + b] -> their L / 2 + 1 bins [k * B + b].
    struct r2c {
        fftw_plan plan = nullptr;
        r2c(long L, long B) {
            const int len = int(L), nf = int(L / 2 + 1);
            std::vector<double> in(std::size_t(L * B));
            std::vector<double> out(std::size_t(2 * (L / 2 + 1) * B));
            plan = fftw_plan_many_dft_r2c(1, &len, int(B), in.data(), &len, int(B), 1,
                                          reinterpret_cast<fftw_complex*>(out.data()), &nf, int(B), 1,
                                          FFTW_ESTIMATE | FFTW_UNALIGNED);
        }
        void run(T* in, T* out) { fftw_execute_dft_r2c(plan, in, reinterpret_cast<fftw_complex*>(out)); }
        ~r2c() { fftw_destroy_plan(plan); }
        r2c(const r2c&) = delete;
        r2c& operator=(const r2c&) = delete;
    };

    // B complex series of L values [t * B + b], inverse, in place, unnormalised.
    struct inverse {
        fftw_plan plan = nullptr;
        inverse(long L, long B) {
            const int len = int(L);
            std::vector<double> z(std::size_t(2 * L * B));
            auto* c = reinterpret_cast<fftw_complex*>(z.data());
            plan = fftw_plan_many_dft(1, &len, int(B), c, &len, int(B), 1, c, &len, int(B), 1, FFTW_BACKWARD,
                                      FFTW_ESTIMATE | FFTW_UNALIGNED);
        }
        void run(T* z) {
            auto* c = reinterpret_cast<fftw_complex*>(z);
            fftw_execute_dft(plan, c, c);
        }
        ~inverse() { fftw_destroy_plan(plan); }
        inverse(const inverse&) = delete;
        inverse& operator=(const inverse&) = delete;
    };

    template <class Op> void each(long count, const Op& op) const {
        for (long g = 0; g < count; ++g) op(g);
    }
    void zero(double* p, std::size_t n) const { std::fill(p, p + n, 0.0); }
    std::unique_ptr<r2c> make_r2c(long L, long B) const { return std::make_unique<r2c>(L, B); }
    std::unique_ptr<inverse> make_inverse(long L, long B) const { return std::make_unique<inverse>(L, B); }
};

} // namespace nms::gpu
