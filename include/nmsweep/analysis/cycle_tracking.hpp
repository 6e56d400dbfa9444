#pragma once

// The device half of the attractor classification: its per-channel
// streaming state (core/cycle_tracker.hpp) as an analysis unit. Not a
// feature family: the attractor reducer (src/sweep/attractor.cpp) asks for
// it and classifies the states it gets back.

#include "nmsweep/analysis/unit.hpp"
#include "nmsweep/core/cycle_tracker.hpp"

namespace nms {

struct cycle_tracking {
    using params = cycle_params;
    using state = cycle_state;
    NMS_HD static state start(const params&) { return cycle_state::start(); }
    NMS_HD static void update(state& s, const params& p, double x) { s.add(p, x); }
    static constexpr bool featured = false;
};

} // namespace nms
