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

// Row a of instances i0 .. i0 + W - 1: exp(i x_a) conj(exp(i x_b)),
// b = a+1 .. nn-1 (W = 1 on a GPU thread, the lanes innermost on the host).
template <int W>
NMS_HD void plv_phase_row(const double* x, long nn, long n, long a, long i0, double* re, double* im) {
    double ca[W], sa[W];
    NMS_LANES
    for (int w = 0; w < W; ++w) {
        ca[w] = ncos(x[a * n + i0 + w]);
        sa[w] = nsin(x[a * n + i0 + w]);
    }
    for (long b = a + 1; b < nn; ++b) {
        const long at = fc_pair(a, b, nn) * n + i0;
        NMS_LANES
        for (int w = 0; w < W; ++w) {
            const double cb = ncos(x[b * n + i0 + w]), sb = nsin(x[b * n + i0 + w]);
            re[at + w] += ca[w] * cb + sa[w] * sb;
            im[at + w] += sa[w] * cb - ca[w] * sb;
        }
    }
}

// Whether sample j (from 0) ends a segment of L samples, segments every hop
// samples from the first L (Hilbert and Welch segments alike).
NMS_HD bool segment_ends(long j, long L, long hop) { return j + 1 >= L && (j + 1 - L) % hop == 0; }

// A ring of samples, any channel set: slot t = sample % L, [t * B + b].
template <class T> NMS_HD void ring_store(const double* x, T* ring, long B, long slot, long b) {
    ring[slot * B + b] = T(x[b]);
}

// Series b0 .. b0 + W - 1 (W = 1 on a GPU thread, adjacent ones on the host)
// of the operations below.
// The segment whose oldest sample is in ring slot `first`.
template <int W, class T> NMS_HD void hilbert_prepare(const T* ring, long L, long first, T* seg, long B, long b0) {
    for (long t = 0; t < L; ++t) {
        const T* r = ring + ((first + t) % L) * B + b0;
        T* out = seg + t * B + b0;
        NMS_LANES
        for (int w = 0; w < W; ++w) out[w] = r[w];
    }
}

// Z: complex, interleaved, [k * B + b]; bins 0 .. L/2 hold the R2C output.
template <int W, class T> NMS_HD void hilbert_mask(T* Z, long L, long B, long k0, long k1, long b0) {
    for (long k = 0; k < L; ++k) {
        T* z = Z + 2 * (k * B + b0);
        const bool keep = k >= k0 && k < k1;
        const T g = !keep ? T(0) : (k == 0 || (L % 2 == 0 && k == L / 2)) ? T(1) : T(2);
        NMS_LANES
        for (int w = 0; w < 2 * W; ++w) z[w] = keep ? z[w] * g : T(0);
    }
}

// The analytic signal z at times off .. off+hop-1 made unit phasors (0 where
// it vanishes).
template <int W, class T> NMS_HD void hilbert_normalize(T* z, long B, long off, long hop, long b0) {
    for (long t = off; t < off + hop; ++t) {
        T* p = z + 2 * (t * B + b0);
        NMS_LANES
        for (int w = 0; w < W; ++w) {
            const double re = p[2 * w], im = p[2 * w + 1], m = nhypot(re, im);
            p[2 * w] = m > 0 ? T(re / m) : T(0);
            p[2 * w + 1] = m > 0 ? T(im / m) : T(0);
        }
    }
}

// R at the kept times in order, the (base + t + 1)-th R, instances i0 ..
// i0 + W - 1.
template <int W, class T>
NMS_HD void hilbert_order(const T* u, long B, long nn, long n, long off, long hop, long base, long i0,
                          double* r_mean, double* r_m2) {
    for (long t = 0; t < hop; ++t) {
        double re[W] = {}, im[W] = {};
        for (long q = 0; q < nn; ++q) {
            const T* p = u + 2 * ((off + t) * B + q * n + i0);
            NMS_LANES
            for (int w = 0; w < W; ++w) {
                re[w] += double(p[2 * w]);
                im[w] += double(p[2 * w + 1]);
            }
        }
        NMS_LANES
        for (int w = 0; w < W; ++w)
            welford_r(nhypot(re[w], im[w]) / double(nn), i0 + w, double(base + t + 1), r_mean, r_m2);
    }
}

// Sums over `hop` times (pa, pb: the first, `step` apart) of the real (Re)
// and/or imaginary (Im) parts of u_a conj(u_b), lanes 0 .. W-1.
template <int W, bool Re, bool Im, class T>
NMS_HD void conj_product_sums(const T* pa, const T* pb, long step, long hop, double* sr, double* si) {
    for (long t = 0; t < hop; ++t, pa += step, pb += step) {
        NMS_LANES
        for (int w = 0; w < W; ++w) {
            const double ar = double(pa[2 * w]), ai = double(pa[2 * w + 1]);
            const double br = double(pb[2 * w]), bi = double(pb[2 * w + 1]);
            if (Re) sr[w] += ar * br + ai * bi;
            if (Im) si[w] += ai * br - ar * bi;
        }
    }
}

// Row a of instances i0 .. i0 + W - 1: the kept times' sums of u_a conj(u_b),
// b > a. A lone lane sums the real and imaginary parts in two passes: in one,
// GCC 12 fuses them into complex multiply-adds whatever -ffp-contract says,
// and the lane would round unlike a lane of a vector (tests/test_lane_ops.cpp).
template <int W, class T>
NMS_HD void hilbert_plv_row(const T* u, long B, long nn, long n, long off, long hop, long a, long i0,
                            double* re, double* im) {
    const T* pa = u + 2 * (off * B + a * n + i0);
    for (long b = a + 1; b < nn; ++b) {
        const T* pb = u + 2 * (off * B + b * n + i0);
        double sr[W] = {}, si[W] = {};
        if (W > 1) {
            conj_product_sums<W, true, true>(pa, pb, 2 * B, hop, sr, si);
        } else {
            conj_product_sums<W, true, false>(pa, pb, 2 * B, hop, sr, si);
            conj_product_sums<W, false, true>(pa, pb, 2 * B, hop, sr, si);
        }
        const long at = fc_pair(a, b, nn) * n + i0;
        NMS_LANES
        for (int w = 0; w < W; ++w) {
            re[at + w] += sr[w];
            im[at + w] += si[w];
        }
    }
}

} // namespace nms
