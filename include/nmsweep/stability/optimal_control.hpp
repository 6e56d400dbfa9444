#pragma once

// Open-loop optimal control of a network (stability/network_system.hpp):
// the inputs u_r(t), added to the derivative of one state variable of one
// node each, that minimise
//
//   J(u) = error(x) + beta/2 int |u|^2 dt + gamma sum_r ||u_r||_L2
//
// over a horizon of K steps of dt, the network integrated by the engine's
// Euler or Heun step with the coupling held over the step and the delays in
// whole steps (what `nmsweep run` does with the same inputs as sampled
// stimuli). The gradient is the exact discrete adjoint of that scheme,
// delays included (a source's channel at step m feeds its targets at steps
// m + d), so it equals finite differences of J to rounding. The error is
// either the distance to a target state or the Kuramoto order parameter of
// a phase variable (desynchronisation), each the mean over the last steps.
// gamma's group norm zeroes whole inputs (which regions are worth driving);
// accelerated proximal gradient (FISTA, backtracking, restarts) minimises J.

#include "nmsweep/stability/network_system.hpp"

#include <cmath>
#include <vector>

namespace nms::stability {

enum class control_scheme { euler, heun };

// u_r(t) is added to d x_{node, var} / dt.
struct control_input {
    int node = 0, var = 0;
};

struct control_problem {
    std::vector<control_input> inputs;
    control_scheme scheme = control_scheme::heun;
    double dt = 0.1;
    long steps = 0;                  // K: u is sampled at t_n = n dt, n = 0..K
    std::vector<double> x0, history; // [node * n_state + v]; history: the constant state before t = 0
    // The states at steps -P .. -1 ([k * N + q], oldest first) when the
    // horizon starts from a trajectory; before them, `history`.
    std::vector<double> past;
    // Error: mean over steps K - window .. K of
    //   error_weight / 2 * sum_q target_weight_q (x_q - target_q)^2,
    // or, with phase_var >= 0, error_weight * R^2 of that phase variable.
    std::vector<double> target, target_weight;
    long window = 0;
    int phase_var = -1;
    double error_weight = 1, energy_weight = 1e-3, sparsity_weight = 0;
    double max_amplitude = INFINITY; // |u| is clipped to this
    // u(0) held at 0: a replay that starts at the end of a run meets the
    // first sample already in the corrector of the run's last Heun step.
    bool zero_first = false;
};

struct control_cost {
    double total = 0, error = 0, energy = 0, sparsity = 0;
};

// The cost of u ([n * R + r], (K + 1) x R values), with the gradient of its
// smooth part (error + energy) and the trajectory ([n * N + q], (K + 1) x N)
// when asked. Throws std::invalid_argument on a problem of the wrong shape.
control_cost control_objective(const network_system& net, const control_problem& pb,
                               const std::vector<double>& u, std::vector<double>* grad = nullptr,
                               std::vector<double>* trajectory = nullptr);

struct control_options {
    int max_iterations = 300;
    double tol = 1e-6; // relative decrease of J over 5 iterations, or the step's relative size
};

struct control_result {
    std::vector<double> u, trajectory;
    control_cost cost, initial_cost;
    std::vector<double> cost_history; // J after each iteration
    int iterations = 0;
    bool converged = false;
};

// Minimises J from u0 (zero when empty).
control_result optimise_control(const network_system& net, const control_problem& pb,
                                const control_options& o, std::vector<double> u0 = {});

} // namespace nms::stability
