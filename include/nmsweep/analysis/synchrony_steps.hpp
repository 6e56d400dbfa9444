#pragma once

// Synchrony on the device, the per-thread parts (NMS_HD, so that tests run
// them on the host): the host synchrony reducer's arithmetic in the same
// order (src/sweep/synchrony.cpp), per instance, on the nodes' values
// x[node * n + instance] the stepping kernels left after a sample.
//
// Phase observables (the observable is the phase), after every sample:
//   order_sample:  R = |mean_n exp(i x_n)|, Welford's update of its time mean
//                  and squared deviations (the k-th R);
//   plv_phase_row: sum over pairs (a, b > a) of exp(i (x_a - x_b)).
// Hilbert phases, on segments of L samples every `hop` samples, laid out
// [t * B + b], b = node * n + instance (B = nodes x instances series, so that
// one strided batched FFT takes them all):
//   ring_store:        the sample into ring slot t = sample % L;
//   hilbert_prepare:   the segment in time order;
//   (R2C FFT into Z)   hilbert_mask: the band's bins doubled (DC and Nyquist
//                      once), the rest zeroed: the analytic signal's spectrum;
//   (inverse C2C FFT)  hilbert_normalize: unit phasors at the kept times;
//   hilbert_order / hilbert_plv_row: R and PLV sums over the kept times.
// PLV sums: re / im[fc_pair(a, b, nn) * n + instance] (fc_steps.hpp).
// Moduli are hypot's, as std::abs of a complex (no overflow).

#include "nmsweep/analysis/fc_steps.hpp"
#include "nmsweep/core/hd.hpp"

namespace nms {

NMS_HD void welford_r(double r, long i, double k, double* r_mean, double* r_m2) {
    const double d = r - r_mean[i];
    r_mean[i] += d / k;
    r_m2[i] += d * (r - r_mean[i]);
}

NMS_HD void order_sample(const double* x, long nn, long n, long i, double k, double* r_mean, double* r_m2) {
    double re = 0, im = 0;
    for (long q = 0; q < nn; ++q) {
        re += ncos(x[q * n + i]);
        im += nsin(x[q * n + i]);
    }
    welford_r(nhypot(re, im) / double(nn), i, k, r_mean, r_m2);
}

// Row a of instance i: exp(i x_a) conj(exp(i x_b)), b = a+1 .. nn-1.
NMS_HD void plv_phase_row(const double* x, long nn, long n, long a, long i, double* re, double* im) {
    const double ca = ncos(x[a * n + i]), sa = nsin(x[a * n + i]);
    for (long b = a + 1; b < nn; ++b) {
        const double cb = ncos(x[b * n + i]), sb = nsin(x[b * n + i]);
        const long at = fc_pair(a, b, nn) * n + i;
        re[at] += ca * cb + sa * sb;
        im[at] += sa * cb - ca * sb;
    }
}

// Whether sample j (from 0) ends a segment of L samples, segments every hop
// samples from the first L (Hilbert and Welch segments alike).
NMS_HD bool segment_ends(long j, long L, long hop) { return j + 1 >= L && (j + 1 - L) % hop == 0; }

// A ring of samples, any channel set: slot t = sample % L, [t * B + b].
template <class T> NMS_HD void ring_store(const double* x, T* ring, long B, long slot, long b) {
    ring[slot * B + b] = T(x[b]);
}

// The segment whose oldest sample is in ring slot `first`.
template <class T> NMS_HD void hilbert_prepare(const T* ring, long L, long first, T* seg, long B, long b) {
    for (long t = 0; t < L; ++t) seg[t * B + b] = ring[((first + t) % L) * B + b];
}

// Z: complex, interleaved, [k * B + b]; bins 0 .. L/2 hold the R2C output.
template <class T> NMS_HD void hilbert_mask(T* Z, long L, long B, long k0, long k1, long b) {
    for (long k = 0; k < L; ++k) {
        T* z = Z + 2 * (k * B + b);
        if (k >= k0 && k < k1) {
            const T g = (k == 0 || (L % 2 == 0 && k == L / 2)) ? T(1) : T(2);
            z[0] *= g;
            z[1] *= g;
        } else {
            z[0] = z[1] = T(0);
        }
    }
}

// The analytic signal z at times off .. off+hop-1 made unit phasors (0 where
// it vanishes).
template <class T> NMS_HD void hilbert_normalize(T* z, long B, long off, long hop, long b) {
    for (long t = off; t < off + hop; ++t) {
        T* p = z + 2 * (t * B + b);
        const double re = p[0], im = p[1], m = nhypot(re, im);
        p[0] = m > 0 ? T(re / m) : T(0);
        p[1] = m > 0 ? T(im / m) : T(0);
    }
}

// R at the kept times in order, the (base + t + 1)-th R.
template <class T>
NMS_HD void hilbert_order(const T* u, long B, long nn, long n, long off, long hop, long base, long i,
                          double* r_mean, double* r_m2) {
    for (long t = 0; t < hop; ++t) {
        double re = 0, im = 0;
        for (long q = 0; q < nn; ++q) {
            const T* p = u + 2 * ((off + t) * B + q * n + i);
            re += double(p[0]);
            im += double(p[1]);
        }
        welford_r(nhypot(re, im) / double(nn), i, double(base + t + 1), r_mean, r_m2);
    }
}

// Row a of instance i: the kept times' sums of u_a conj(u_b), b > a.
template <class T>
NMS_HD void hilbert_plv_row(const T* u, long B, long nn, long n, long off, long hop, long a, long i,
                            double* re, double* im) {
    for (long b = a + 1; b < nn; ++b) {
        double sr = 0, si = 0;
        for (long t = off; t < off + hop; ++t) {
            const T* pa = u + 2 * (t * B + a * n + i);
            const T* pb = u + 2 * (t * B + b * n + i);
            sr += double(pa[0]) * double(pb[0]) + double(pa[1]) * double(pb[1]);
            si += double(pa[1]) * double(pb[0]) - double(pa[0]) * double(pb[1]);
        }
        const long at = fc_pair(a, b, nn) * n + i;
        re[at] += sr;
        im[at] += si;
    }
}

} // namespace nms
