#pragma once

// Line length (Esteller et al. 2001, a seizure-onset marker): the summed
// absolute change of the signal between consecutive samples, here per
// second of record so that it depends neither on the duration nor (for a
// resolved signal) on the sampling:
//   L = sum_{k=1}^{N-1} |x_k - x_{k-1}| / ((N - 1) dt),
// dt the time between samples in seconds; NaN with fewer than 2 samples.
// For A sin(2 pi f t), resolved, L -> 4 A f.

#include "nmsweep/analysis/sampling.hpp"
#include "nmsweep/analysis/unit.hpp"

#include <limits>
#include <string>
#include <vector>

namespace nms {

struct line_length {
    struct params {
        double dt_s = 1e-3;
    };
    struct state {
        double prev, sum;
        long count;
    };
    NMS_HD static state start(const params&) { return {0.0, 0.0, 0}; }
    NMS_HD static void update(state& s, const params&, double x) {
        if (s.count > 0) s.sum += x < s.prev ? s.prev - x : x - s.prev;
        s.prev = x;
        ++s.count;
    }

    static constexpr bool featured = true;
    static constexpr const char* name = "line_length";
    static constexpr bool sensor_space = true;
    static params make_params(const sampling& smp) { return {smp.dt_ms / 1000.0}; }
    static std::vector<unit_value> values(const std::string& units) {
        const std::string what = "line length (summed |x_k - x_(k-1)| per second of record)";
        return {{"line_length", (units.empty() ? "1" : units) + "/s",
                 what + " of the observable per node after the transient",
                 what + " of the network-mean observable after the transient"}};
    }
    static double value(int /*k*/, const state& s, const params& p) {
        if (s.count < 2) return std::numeric_limits<double>::quiet_NaN();
        return s.sum / (double(s.count - 1) * p.dt_s);
    }
};

} // namespace nms
