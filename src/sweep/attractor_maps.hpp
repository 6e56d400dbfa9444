#pragma once

// The maps a run writes when every point is done, from the network-level
// attractor results of all points: n_attractors, multistable and
// dominant_class over the grid without its "initial" axis, and the class
// boundaries (README, "attractor").

#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/refine.hpp"

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

// The dominant class and number of attractors among the rows (the initial
// conditions of one point) of t.
attractor_signature point_signature(const attractor_table& t, const std::vector<std::size_t>& rows,
                                    const attractor_options& o);

// The grid seen without its initial axis: `other` the remaining axes (in
// order), n_other their points; rows(s, o) the grid points of point o, one
// per initial condition.
struct grid_layout {
    long initial = -1;
    std::vector<std::size_t> other;
    std::size_t n_ic = 1, n_other = 1;
    std::vector<std::size_t> rows(const sweep_spec& s, std::size_t o) const;
};
grid_layout grid_layout_of(const sweep_spec& s);

// /boundaries/refined: the boundary points refine_boundaries located.
void write_refined_boundaries(h5::result_writer& w, const sweep_spec& s, const refine_result& r);

} // namespace nms
