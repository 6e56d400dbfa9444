#pragma once

// `nmsweep control SPEC`: the open-loop input on chosen regions that drives
// the spec's network (one grid point) to a target at least cost
// (stability/optimal_control.hpp); the optimum in HDF5, and as sampled
// waveform files with the [[stimulus]] tables that replay it in a run.

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace nms {

struct sweep_request;

// [control]
struct control_spec {
    bool given = false;
    std::vector<std::string> regions; // labels or node indices: one input each
    std::string variable;             // the state variable whose derivative the inputs drive
    double duration = NAN;            // ms ([integrator] duration when NaN)
    std::string start = "final";  // from the end of the point's own run (its duration), or its initial state
    std::string target = "state"; // state | fixed_point | desynchronise
    std::map<std::string, std::vector<double>> target_state; // variable -> one value, or one per node
    long target_point = -1;                                  // >= 0: the final state of that grid point's run
    std::vector<std::string> error_variables; // the variables the error counts (empty: every one)
    double window = 0;                        // ms at the end over which the error is averaged
    double error_weight = 1, energy_weight = 1e-3, sparsity_weight = 0;
    double max_amplitude = INFINITY;
    long iterations = 300;
    double tol = 1e-6;
};

// Optimises the input for grid point `point` of the spec (its parameters;
// from the end of its run, or its initial state). Throws input_error on bad input.
void run_control(const sweep_request& r, long point);

} // namespace nms
