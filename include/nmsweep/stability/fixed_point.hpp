#pragma once

// Fixed points of a network_system by Newton's method: the exact Jacobian,
// a backtracking line search on max |f|, and a least-squares step where the
// Jacobian is singular (a phase model's rotation, a conserved quantity), so
// that the iteration still moves.

#include "nmsweep/stability/network_system.hpp"

#include <limits>
#include <vector>

namespace nms::stability {

struct newton_result {
    bool converged = false;
    long iterations = 0;
    double residual = std::numeric_limits<double>::quiet_NaN(); // max |f| at the last iterate
    std::vector<double> x;                                      // the last iterate
};

// Converged when max |f(x)| <= tol (1 + max |x|) (f in state units per ms).
newton_result find_fixed_point(const network_system& sys, std::vector<double> x, double tol,
                               long max_iterations);

} // namespace nms::stability
