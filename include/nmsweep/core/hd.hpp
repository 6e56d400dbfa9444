#pragma once

// Host/device qualifier: the physics (models, couplings, schemes, noise) is
// written once and compiled by both the C++ compiler and nvcc.
#if defined(__CUDACC__)
#define NMS_HD __host__ __device__ __forceinline__
#define NMS_DEVICE_CODE 1
#else
#define NMS_HD inline __attribute__((always_inline))
#endif

// Fixed-count loops over variables/parameters inside NMS_HD code are fully
// unrolled, so that the CPU backend's SIMD loop over instance lanes sees
// straight-line code (GCC will not vectorise an outer loop around them).
#if defined(__CUDACC__)
#define NMS_UNROLL _Pragma("unroll")
#elif defined(__clang__)
#define NMS_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define NMS_UNROLL _Pragma("GCC unroll 64")
#else
#define NMS_UNROLL
#endif

// A loop over adjacent instance lanes inside NMS_HD code (a GPU thread runs
// it for its one lane; the host for several): the host vectorises it as it
// stands, whatever the loops around it (the build passes -fopenmp-simd).
#if defined(__CUDACC__)
#define NMS_LANES _Pragma("unroll")
#elif defined(__GNUC__) || defined(__clang__)
#define NMS_LANES _Pragma("omp simd")
#else
#define NMS_LANES
#endif

#include <cmath>
#include <cstdint>

namespace nms {

// Math wrappers with one overload per real type, callable from device code.
NMS_HD float nexp(float x) { return ::expf(x); }
NMS_HD double nexp(double x) { return ::exp(x); }
NMS_HD float nlog(float x) { return ::logf(x); }
NMS_HD double nlog(double x) { return ::log(x); }
NMS_HD float nsqrt(float x) { return ::sqrtf(x); }
NMS_HD double nsqrt(double x) { return ::sqrt(x); }
NMS_HD float nsin(float x) { return ::sinf(x); }
NMS_HD double nsin(double x) { return ::sin(x); }
NMS_HD float ncos(float x) { return ::cosf(x); }
NMS_HD double ncos(double x) { return ::cos(x); }
NMS_HD float ntanh(float x) { return ::tanhf(x); }
NMS_HD double ntanh(double x) { return ::tanh(x); }
NMS_HD float nhypot(float x, float y) { return ::hypotf(x, y); }
NMS_HD double nhypot(double x, double y) { return ::hypot(x, y); }
NMS_HD float nabs(float x) { return ::fabsf(x); }
NMS_HD double nabs(double x) { return ::fabs(x); }
NMS_HD float npow(float x, float y) { return ::powf(x, y); }
NMS_HD double npow(double x, double y) { return ::pow(x, y); }

template <class T> NMS_HD T nmin(T a, T b) { return a < b ? a : b; }
template <class T> NMS_HD T nmax(T a, T b) { return a > b ? a : b; }
template <class T> NMS_HD T nclamp(T x, T lo, T hi) { return nmin(nmax(x, lo), hi); }

// Finite test on the bit pattern, so that it survives -ffinite-math-only.
NMS_HD bool nfinite(float x) {
    union {
        float f;
        std::uint32_t u;
    } v{x};
    return (v.u & 0x7f800000u) != 0x7f800000u;
}
NMS_HD bool nfinite(double x) {
    union {
        double f;
        std::uint64_t u;
    } v{x};
    return (v.u & 0x7ff0000000000000ull) != 0x7ff0000000000000ull;
}

constexpr double pi = 3.14159265358979323846;

} // namespace nms
