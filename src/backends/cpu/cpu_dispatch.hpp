#pragma once

#include "nmsweep/engine/prepared.hpp"

namespace nms::cpu {

// Defined in cpu_engine.hpp, instantiated once per model in its own
// translation unit (cpu_model.cpp.in) so that models compile in parallel.
template <class M, class T>
void run_model(const prepared& P, const batch& b, const run_options& opt, observer<T>* obs, run_result& R);

} // namespace nms::cpu
