#pragma once

#include "nmsweep/engine/prepared.hpp"

namespace nms::gpu {

// Defined in cuda_engine.cuh, instantiated once per model in its own
// translation unit (cuda_model.cu.in) so that models compile in parallel.
template <class M, class T>
void run_model(const prepared& P, const batch& b, const run_options& opt, observer<T>* obs, run_result& R);

} // namespace nms::gpu
