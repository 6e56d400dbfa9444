#pragma once

// Feature `stability`: per sweep point, the fixed point Newton's method finds
// from the simulated final state (and from the initial state), and the
// eigenvalues of the network's linearisation there (src/sweep/stability.cpp).

#include "nmsweep/observe/leadfield.hpp"

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace nms {

class reducer;
struct connectome;

struct stability_options {
    std::vector<std::string> starts{"final", "initial"}; // Newton's starting states, in this order
    double tol = 1e-10;       // converged: max |f(x)| <= tol (1 + max |x|) (f in state units per ms)
    long max_iterations = 50; // Newton steps (with backtracking)
    long max_size = 1500;     // nodes x state variables, for the dense linear algebra
    // With delays: "pseudospectral" (the delay equation's rightmost roots,
    // stability/delay_spectrum.hpp), "ignore" (the Jacobian with every delay
    // set to zero), "auto" (pseudospectral up to delay_max_size, else ignore).
    std::string delays = "auto";
    long degree = 0;            // pseudospectral degree; 0: automatic
    long delay_max_size = 1000; // largest n (M + 1) for the pseudospectral method
    long n_roots = 20;          // rightmost roots refined (unstable ones counted among them)
};

// n_state: the model's state variables.
std::unique_ptr<reducer> make_stability_reducer(const stability_options& o, int n_state);

// Feature `controllability` (src/sweep/controllability.cpp): around the
// stable fixed point Newton finds from the final state, the linearised
// network (delays set to zero) with one input per region: each region's
// average controllability (trace of its Gramian over `horizon`) and modal
// controllability (through the exact discretisation over `modal_dt`).
struct controllability_options {
    std::vector<std::string> regions;      // labels or indices; empty: every region
    std::string target = "coupling_input"; // where an input enters: the coupling input, or a state variable
    double horizon = std::numeric_limits<double>::infinity(); // ms
    double modal_dt = 1.0;                                    // ms
    double tol = 1e-10;                                       // Newton, as stability's
    // The state variable whose unit displacement at each region the
    // minimum energy reaches ("" = the model's first).
    std::string energy_variable;
    // An [[output.sensors]] modality's name: observability through its lead field.
    std::string sensors;
    // "regions": one unit input per region of `regions` at `target`;
    // "stimulus": one input per [[stimulus]], its spatial pattern at its target.
    std::string inputs = "regions";
};

// What the controllability feature takes from the rest of the spec: outputs
// through a lead field, y = C x with C[s][i ns + v] = gain(s, i) coef[v]
// (the gain made per batch from its network; empty: no observability), and
// the [[stimulus]] names (inputs = "stimulus": one input per stimulus).
struct controllability_context {
    std::vector<double> coef; // the modality's observable, per state variable
    std::function<observe::gain_matrix(const connectome&)> gain;
    std::vector<std::string> stimuli;
};

struct model_info;
struct coupling_info;
// The input regions' node indices; input_error naming a region that is not
// in the network, a target that is not a stimulus target, or an
// energy_variable that is not a state variable (none with inputs = "stimulus").
std::vector<int> controllability_regions(const controllability_options& o, const connectome& net,
                                         const model_info& m, const coupling_info& c);
// A stimulus target's index (engine/prepared.hpp's stimulus_target),
// refusing "afferent" (no input direction in the linearisation).
int controllability_target(const std::string& target, const model_info& m, const coupling_info& c);

// Region labels or node indices ("3") as node indices; input_error "AT: ..."
// naming one that is neither.
std::vector<int> resolve_regions(const std::vector<std::string>& names, const connectome& net,
                                 const std::string& at);

std::unique_ptr<reducer> make_controllability_reducer(const controllability_options& o,
                                                      controllability_context context = {});

} // namespace nms
