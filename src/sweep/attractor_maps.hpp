#pragma once

// The maps a run writes when every point is done, from the network-level
// attractor results of all points: n_attractors, multistable and
// dominant_class over the grid without its "initial" axis, and the class
// boundaries (README, "attractor").

#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/plan.hpp"

#include <cmath>
#include <vector>

namespace nms {

// Network-level attractor results of every grid point, kept by the driver
// for the maps written when the run finishes (a few doubles per point).
struct attractor_table {
    std::vector<double> cls, amplitude, frequency, mean;
    void resize(std::size_t n) {
        cls.assign(n, -1);
        amplitude.assign(n, std::nan(""));
        frequency.assign(n, std::nan(""));
        mean.assign(n, std::nan(""));
    }
};

void write_attractor_maps(h5::result_writer& w, const sweep_spec& s, const attractor_table& t);

} // namespace nms
