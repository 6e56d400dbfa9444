#pragma once

// `nmsweep continue SPEC`: pseudo-arclength continuation of the equilibria
// of the spec's network (stability/continuation.hpp) in one parameter, and
// of the folds and Hopf points it finds in a second; results in HDF5.

#include <array>
#include <limits>
#include <string>

namespace nms {

struct sweep_request;

// [continuation]
struct continuation_spec {
    bool given = false;
    std::string param;              // "model.mu", "coupling.a"
    std::array<double, 2> range{};  // bounds of param
    std::string param2;             // second parameter (curves of folds and Hopf points), "" none
    std::array<double, 2> range2{}; // its bounds
    std::string start = "final";    // Newton's start: the simulated final state, or the initial state
    double step = 0.01, max_step = 0.1;
    long max_points = 2000; // per direction
    // With delays: "pseudospectral" (stability and Hopf points from the delay
    // equation's rightmost roots), "ignore" (every delay zero), "refuse".
    std::string delays = "pseudospectral";
};

// Continues from grid point `point` of the spec (its parameter values; the
// start state from a simulation of it). Throws input_error on bad input.
void run_continuation(const sweep_request& r, long point);

} // namespace nms
