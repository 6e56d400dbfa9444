#pragma once

// The Kuramoto order parameter on the device, for phase observables (the
// host synchrony reducer's phase path, src/sweep/synchrony.cpp, the same
// arithmetic): after each sample, per instance, R = |mean_n exp(i x_n)| of
// the nodes' values x[node * n + instance] the stepping kernels left, and
// Welford's update of its time mean and squared deviations (the k-th R).

#include "nmsweep/core/hd.hpp"

namespace nms::gpu {

NMS_HD void order_sample(const double* x, long nn, long n, long i, double k, double* r_mean, double* r_m2) {
    double re = 0, im = 0;
    for (long q = 0; q < nn; ++q) {
        re += ncos(x[q * n + i]);
        im += nsin(x[q * n + i]);
    }
    const double r = nsqrt(re * re + im * im) / double(nn);
    const double d = r - r_mean[i];
    r_mean[i] += d / k;
    r_m2[i] += d * (r - r_mean[i]);
}

} // namespace nms::gpu
