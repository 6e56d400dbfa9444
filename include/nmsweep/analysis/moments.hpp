#pragma once

// mean, std, min, max of the observable over the samples after the
// transient. Welford's update keeps the variance accurate when the mean is
// large compared with the fluctuations (e.g. Jansen-Rit's y1 - y2); std is
// the population standard deviation (numpy's default, ddof 0).

#include "nmsweep/analysis/sampling.hpp"
#include "nmsweep/analysis/unit.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace nms {

struct moments {
    struct params {};
    struct state {
        double mean, m2, min, max;
        long count;
    };
    NMS_HD static state start(const params&) { return {0.0, 0.0, HUGE_VAL, -HUGE_VAL, 0}; }
    NMS_HD static void update(state& s, const params&, double x) {
        const double k = double(++s.count);
        const double d = x - s.mean;
        s.mean += d / k;
        s.m2 += d * (x - s.mean);
        s.min = x < s.min ? x : s.min;
        s.max = s.max < x ? x : s.max;
    }

    static constexpr bool featured = true;
    static constexpr const char* name = "moments";
    static constexpr bool sensor_space = true;
    static params make_params(const sampling&) { return {}; }
    static std::vector<unit_value> values(const std::string& units) {
        std::vector<unit_value> v;
        for (const char* f : {"mean", "std", "min", "max"}) {
            const std::string F = f, what = F == "std"    ? "standard deviation"
                                            : F == "mean" ? "mean"
                                            : F == "min"  ? "minimum"
                                                          : "maximum";
            v.push_back({F, units, what + " of the observable per node after the transient",
                         what + " of the network-mean observable after the transient"});
        }
        return v;
    }
    static double value(int k, const state& s, const params&) {
        if (s.count == 0) return std::numeric_limits<double>::quiet_NaN();
        switch (k) {
        case 0:
            return s.mean;
        case 1:
            return std::sqrt(s.m2 / double(s.count));
        case 2:
            return s.min;
        default:
            return s.max;
        }
    }
};

} // namespace nms
