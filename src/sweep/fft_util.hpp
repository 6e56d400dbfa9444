#pragma once

// FFTW helpers shared by the spectra and synchrony reducers. Plans are made
// once per reducer (FFTW_ESTIMATE: the same algorithm on every run, so the
// results are reproducible) under a global lock, because FFTW's planner is not
// thread-safe; they are then executed concurrently from the sweep's threads
// with the new-array interface on per-thread scratch buffers from
// fftw_malloc (the same alignment as the arrays the plan was made with).

#include <fftw3.h>

#include <complex>
#include <cstddef>
#include <mutex>
#include <new>

namespace nms::impl {

inline std::mutex& fftw_planner_lock() {
    static std::mutex m;
    return m;
}

// An fftw_malloc'd array that grows on demand.
template <class T> struct fftw_buffer {
    T* p = nullptr;
    std::size_t n = 0;
    fftw_buffer() = default;
    fftw_buffer(const fftw_buffer&) = delete;
    fftw_buffer& operator=(const fftw_buffer&) = delete;
    ~fftw_buffer() {
        if (p) fftw_free(p);
    }
    T* get(std::size_t m) {
        if (m > n) {
            if (p) fftw_free(p);
            p = static_cast<T*>(fftw_malloc(sizeof(T) * m));
            if (!p) throw std::bad_alloc();
            n = m;
        }
        return p;
    }
};

// One plan, destroyed with the owner.
class fftw_plan_holder {
  public:
    fftw_plan_holder() = default;
    fftw_plan_holder(const fftw_plan_holder&) = delete;
    fftw_plan_holder& operator=(const fftw_plan_holder&) = delete;
    ~fftw_plan_holder() { reset(); }
    void reset() {
        if (plan_) {
            std::lock_guard<std::mutex> lock(fftw_planner_lock());
            fftw_destroy_plan(plan_);
            plan_ = nullptr;
        }
    }
    // Real-to-complex forward transform of length n (n/2 + 1 outputs).
    void make_r2c(int n) {
        reset();
        std::lock_guard<std::mutex> lock(fftw_planner_lock());
        double* in = fftw_alloc_real(std::size_t(n));
        fftw_complex* out = fftw_alloc_complex(std::size_t(n / 2 + 1));
        plan_ = fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
        fftw_free(in);
        fftw_free(out);
        n_ = n;
    }
    // Complex-to-complex transform of length n, out of place.
    void make_c2c(int n, int sign) {
        reset();
        std::lock_guard<std::mutex> lock(fftw_planner_lock());
        fftw_complex* in = fftw_alloc_complex(std::size_t(n));
        fftw_complex* out = fftw_alloc_complex(std::size_t(n));
        plan_ = fftw_plan_dft_1d(n, in, out, sign, FFTW_ESTIMATE);
        fftw_free(in);
        fftw_free(out);
        n_ = n;
    }
    void r2c(double* in, fftw_complex* out) const { fftw_execute_dft_r2c(plan_, in, out); }
    void c2c(fftw_complex* in, fftw_complex* out) const { fftw_execute_dft(plan_, in, out); }
    int size() const { return n_; }
    fftw_plan get() const { return plan_; }

  private:
    fftw_plan plan_ = nullptr;
    int n_ = 0;
};

} // namespace nms::impl
