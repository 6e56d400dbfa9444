#pragma once

// Adaptive refinement of attractor boundaries ([output.attractor] refine):
// after the grid, every pair of neighbouring cells (along one axis) whose
// attractor signature differs is bisected along that axis, new points run
// in rounds, until the boundary is bracketed within the axis's tolerance or
// the point budget is spent. The bisection is here; running the points is
// the caller's (the driver runs them on the run's backend).

#include <cstddef>
#include <functional>
#include <vector>

namespace nms {

// What the refinement tells apart at a point: the class most initial
// conditions reach and the number of distinct attractors (the class itself
// and 1 without an initial axis). -1: no result.
struct attractor_signature {
    long cls = -1, n = -1;
    bool operator==(const attractor_signature& o) const { return cls == o.cls && n == o.n; }
    bool operator!=(const attractor_signature& o) const { return !(*this == o); }
};

struct refined_boundary {
    std::size_t axis = 0;          // index among the grid's axes (the initial axis left out)
    std::vector<double> at;        // midpoint of the final bracket (the other coordinates: its cells')
    double uncertainty = 0;        // half the bracket: the boundary lies within at[axis] +- it
    attractor_signature low, high; // at the bracket's ends (lower and higher axis value)
    bool resolved = false;         // bracket <= tol (false: the budget ran out first)
};

struct refine_result {
    std::vector<refined_boundary> boundaries;
    std::vector<std::vector<double>> samples; // every point run by the refinement, in order
    std::vector<attractor_signature> sample_signatures;
    std::size_t rounds = 0;
};

// Runs the points (each a coordinate per axis) and returns their signatures.
using signature_fn =
    std::function<std::vector<attractor_signature>(const std::vector<std::vector<double>>& points)>;

// axes: the values of each grid axis (C order, first slowest); grid: the
// signature of every grid cell; tol: per axis, in its units; max_points:
// the budget of new points. Brackets are refined in rounds: one call of
// `run` per round with the midpoints of every open bracket. categorical
// (empty, or one flag per axis): axes whose values are labels, not a scale
// (an ez axis's hypotheses): never bisected, their points keep the cells'
// values.
refine_result refine_boundaries(const std::vector<std::vector<double>>& axes,
                                const std::vector<attractor_signature>& grid, const std::vector<double>& tol,
                                std::size_t max_points, const signature_fn& run,
                                const std::vector<bool>& categorical = {});

} // namespace nms
