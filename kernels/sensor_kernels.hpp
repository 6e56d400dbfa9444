#pragma once

// Sensor signals on the device, the per-thread parts (NMS_HD, so that tests
// run them on the host): observe::project's arithmetic in the same order
// (src/observe/leadfield.cpp), from the nodes' values x[node * n + instance]
// after a sample:
//   project_sensor: y[s * n + i] = sum_r G[s][r] x_r (+ white noise keyed as
//                   the host keys it);
//   sensor_mean:    y[S * n + i] = the mean over the S sensors.
// The sensors are then a channel set like the nodes (channel_reductions).

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/noise.hpp"

#include <cstdint>

namespace nms::gpu {

struct sensor_args {
    const double* gain = nullptr; // [s * nn + r]
    long nn = 0, S = 0, n = 0;
    double sigma = 0;
    std::uint64_t seed = 0;
    std::uint32_t var = 0;
    std::uint64_t first = 0; // global index of instance 0
};

NMS_HD void project_sensor(const sensor_args& a, const double* x, double* y, long s, long i, long step) {
    double v = 0;
    const double* row = a.gain + s * a.nn;
    for (long r = 0; r < a.nn; ++r)
        if (row[r] != 0) v += row[r] * x[r * a.n + i];
    if (a.sigma > 0)
        v += a.sigma * normal<double>(a.seed, std::uint32_t(a.first + std::uint64_t(i)), std::uint32_t(s),
                                      a.var, std::uint32_t(step));
    y[s * a.n + i] = v;
}

NMS_HD void sensor_mean(const sensor_args& a, double* y, long i) {
    double m = 0;
    for (long s = 0; s < a.S; ++s) m += y[s * a.n + i] / double(a.S);
    y[a.S * a.n + i] = m;
}

} // namespace nms::gpu
