#pragma once

// Tells GCC that SIMD versions of these functions exist (glibc's libmvec;
// the AVX-512 exp from SLEEF where found: sleef_exp.cpp),
// so that `#pragma omp simd` loops over instance lanes call the vector variants
// (glibc only declares them under -ffast-math, which would also switch off
// NaN/Inf semantics that divergence detection relies on).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
extern "C" {
#pragma omp declare simd notinbranch
float expf(float) noexcept;
#pragma omp declare simd notinbranch
double exp(double) noexcept;
#pragma omp declare simd notinbranch
float logf(float) noexcept;
#pragma omp declare simd notinbranch
double log(double) noexcept;
#pragma omp declare simd notinbranch
float sinf(float) noexcept;
#pragma omp declare simd notinbranch
double sin(double) noexcept;
#pragma omp declare simd notinbranch
float cosf(float) noexcept;
#pragma omp declare simd notinbranch
double cos(double) noexcept;
#pragma omp declare simd notinbranch
void sincosf(float, float*, float*) noexcept;
#pragma omp declare simd notinbranch
void sincos(double, double*, double*) noexcept;
#pragma omp declare simd notinbranch
float tanhf(float) noexcept;
#pragma omp declare simd notinbranch
double tanh(double) noexcept;
#pragma omp declare simd notinbranch
float powf(float, float) noexcept;
#pragma omp declare simd notinbranch
double pow(double, double) noexcept;
}
#endif
