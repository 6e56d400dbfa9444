#pragma once

// Feature `stability`: per sweep point, the fixed point Newton's method finds
// from the simulated final state (and from the initial state), and the
// eigenvalues of the network's linearisation there (src/sweep/stability.cpp).

#include <memory>
#include <string>
#include <vector>

namespace nms {

class reducer;

struct stability_options {
    std::vector<std::string> starts{"final", "initial"}; // Newton's starting states, in this order
    double tol = 1e-10;          // converged: max |f(x)| <= tol (1 + max |x|) (f in state units per ms)
    long max_iterations = 50;    // Newton steps (with backtracking)
    long max_size = 1500;        // nodes x state variables, for the dense linear algebra
    std::string delays = "auto"; // auto | ignore | pseudospectral (small networks)
    long degree = 0;             // pseudospectral degree; 0: automatic
};

// n_state: the model's state variables.
std::unique_ptr<reducer> make_stability_reducer(const stability_options& o, int n_state);

} // namespace nms
