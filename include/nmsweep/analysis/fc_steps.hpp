#pragma once

// Functional connectivity on the device, the per-thread parts (NMS_HD, so
// that tests run them on the host): the streaming co-moments of the nodes'
// observable that the host FC reducer keeps (src/sweep/fc.cpp, Welford's
// update, the same arithmetic in the same order), per instance, after each
// sample whose node values x[node * n + instance] the stepping kernels left:
//   fc_means: d = x - mean; mean += d / k; e = x - mean     (node, instance)
//   fc_row:   C(a, b) += d_a e_b for b >= a                 (row a, instance)
// C holds the upper triangle with the diagonal, row by row:
// C[(fc_pair(a, b, nn)) * n + instance].
// FCD: each open window keeps such co-moments; at its close
//   fcd_close_row: its FC's strict upper triangle as float, row a, instance
//                  i, pairs fcd_pair(a, b, nn), b > a (the host's store).

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

// Row a of instance i (n instances): C(a, b) += d_a e_b, b = a .. nn-1.
NMS_HD void fc_row(const double* d, const double* e, double* C, long a, long nn, long n, long i) {
    const double da = d[a * n + i];
    double* row = C + fc_pair(a, a, nn) * n + i;
    for (long b = a; b < nn; ++b) row[(b - a) * n] += da * e[b * n + i];
}

NMS_HD long fcd_pair(long a, long b, long nn) { return a * nn - a * (a + 1) / 2 + (b - a - 1); }
NMS_HD long fcd_pairs(long nn) { return nn * (nn - 1) / 2; }

NMS_HD void fcd_close_row(const double* C, float* fc, long a, long nn, long n, long i) {
    const double caa = C[fc_pair(a, a, nn) * n + i];
    for (long b = a + 1; b < nn; ++b)
        fc[fcd_pair(a, b, nn) * n + i] =
            float(C[fc_pair(a, b, nn) * n + i] / nsqrt(caa * C[fc_pair(b, b, nn) * n + i]));
}

} // namespace nms
