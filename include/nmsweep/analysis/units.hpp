#pragma once

// The analysis units (unit.hpp): one line per unit. Its index in this list
// is how a backend names it; each featured unit is also a family of the
// feature table (src/sweep/features.cpp), in this order, before the
// hand-written ones.

#include "nmsweep/analysis/cycle_tracking.hpp"
#include "nmsweep/analysis/line_length.hpp"
#include "nmsweep/analysis/moments.hpp"
#include "nmsweep/analysis/seizure_tracking.hpp"

namespace nms {

using analysis_units = unit_list<moments, line_length, cycle_tracking, seizure_tracking>;

} // namespace nms
