// With SLEEF (Debian's libsleef-dev): the AVX-512 vector exp that GCC's
// vectoriser calls from the `omp simd` loops (x86-64 vector-function ABI
// names, see simd_math.hpp) is SLEEF's 1-ulp expf/exp. A definition in the
// program takes precedence over glibc's libmvec, which keeps every other
// function and width. Measured on the Jansen-Rit case (AVX-512, one core):
// expf 25% -> 18% of the run, 9.6e7 -> 1.03e8 node-steps/s; SLEEF's sinf and
// logf were slower than libmvec's here, so only exp is taken from it.
#include <immintrin.h>
#include <sleef.h>

extern "C" {
__m512 _ZGVeN16v_expf(__m512 x) { return Sleef_expf16_u10(x); }
__m512d _ZGVeN8v_exp(__m512d x) { return Sleef_expd8_u10(x); }
}
