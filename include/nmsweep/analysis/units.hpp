#pragma once

// The analysis units (unit.hpp): one line per unit. Its index in this list
// is how a backend names it; each unit also becomes a family of the feature
// table (src/sweep/features.cpp), after the hand-written ones.

#include "nmsweep/analysis/line_length.hpp"

namespace nms {

using analysis_units = unit_list<line_length>;

} // namespace nms
