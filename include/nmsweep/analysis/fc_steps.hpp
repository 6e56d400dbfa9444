#pragma once

// Functional connectivity on the device, the per-thread parts (NMS_HD, so
// that tests run them on the host): the streaming co-moments of the nodes'
// observable that the host FC reducer keeps (src/sweep/fc.cpp, Welford's
// update, the same arithmetic in the same order), per instance, after each
// sample whose node values x[node * n + instance] the stepping kernels left:
//   fc_means: d = x - mean; mean += d / k; e = x - mean     (node, instance)
//   fc_row:   C(a, b) += d_a e_b for b >= a                 (row a, instances)
// C holds the upper triangle with the diagonal, row by row:
// C[(fc_pair(a, b, nn)) * n + instance].
// FCD: each open window keeps such co-moments; at its close
//   fcd_close_row: its FC's strict upper triangle as float, row a, instances
//                  pairs fcd_pair(a, b, nn), b > a (the host's store).

#include "nmsweep/core/hd.hpp"

namespace nms {

NMS_HD long fc_pair(long a, long b, long nn) { return a * nn - a * (a - 1) / 2 + (b - a); }
NMS_HD long fc_pairs(long nn) { return nn * (nn + 1) / 2; }

// Node q of instance i at its k-th sample (k counted from 1).
NMS_HD void fc_means(const double* x, double* mean, double* d, double* e, double k, long at) {
    const double xv = x[at];
    d[at] = xv - mean[at];
    mean[at] += d[at] / k;
    e[at] = xv - mean[at];
}

// Row a of instances i0 .. i0 + W - 1 (n instances): C(a, b) += d_a e_b,
// b = a .. nn-1. A GPU thread takes one instance (W = 1); the host takes W
// adjacent ones, the innermost (vectorised) loop.
template <int W>
NMS_HD void fc_row(const double* d, const double* e, double* C, long a, long nn, long n, long i0) {
    const double* da = d + a * n + i0;
    double* row = C + fc_pair(a, a, nn) * n + i0;
    for (long b = a; b < nn; ++b) {
        const double* eb = e + b * n + i0;
        double* r = row + (b - a) * n;
        NMS_LANES
        for (int w = 0; w < W; ++w) r[w] += da[w] * eb[w];
    }
}

NMS_HD long fcd_pair(long a, long b, long nn) { return a * nn - a * (a + 1) / 2 + (b - a - 1); }
NMS_HD long fcd_pairs(long nn) { return nn * (nn - 1) / 2; }

template <int W> NMS_HD void fcd_close_row(const double* C, float* fc, long a, long nn, long n, long i0) {
    const double* caa = C + fc_pair(a, a, nn) * n + i0;
    for (long b = a + 1; b < nn; ++b) {
        const double* cab = C + fc_pair(a, b, nn) * n + i0;
        const double* cbb = C + fc_pair(b, b, nn) * n + i0;
        float* out = fc + fcd_pair(a, b, nn) * n + i0;
        NMS_LANES
        for (int w = 0; w < W; ++w) out[w] = float(cab[w] / nsqrt(caa[w] * cbb[w]));
    }
}

} // namespace nms
