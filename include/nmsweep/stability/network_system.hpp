#pragma once

// The deterministic network of one instance of a batch as a dynamical
// system: noise and stimuli left out, the delayed coupling as a delay
// equation. Its right-hand side, exact Jacobian (stability/jacobian.hpp)
// and linearisation with the delays, for fixed points, their stability and
// continuation. State layout x[node * n_state + v].

#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/stability/delay_spectrum.hpp"

#include <Eigen/Dense>

#include <memory>
#include <string>
#include <vector>

namespace nms::stability {

// x'(t) = a0 x(t) + sum_k delayed[k].a x(t - delayed[k].tau), tau in ms.
struct network_linearisation {
    Eigen::MatrixXd a0;
    std::vector<delayed_term> delayed;
    Eigen::MatrixXd total() const; // a0 + sum a_k: the Jacobian with every delay set to zero
};

class network_system {
  public:
    // Instance `instance` of a prepared batch whose step is dt (ms).
    network_system(const prepared& p, std::size_t instance, double dt);
    ~network_system();
    network_system(network_system&&) noexcept;

    int size() const { return n_nodes_ * n_state_; }
    int n_nodes() const { return n_nodes_; }
    int n_state() const { return n_state_; }

    void rhs(const double* x, double* f) const;
    // d rhs / dx at x, every delay set to zero (the equilibria's Jacobian).
    Eigen::MatrixXd jacobian(const double* x) const;
    // The same split by delay (zero-delay edges in a0); dense per distinct
    // delay, so meant for small networks.
    network_linearisation linearise(const double* x) const;
    // Number of distinct non-zero delays (the terms linearise() returns).
    int n_delays() const;

    // A parameter in the prepared order ("model.mu", "coupling.a"): its
    // index (-1 when none), value (node 0's), a new value for every node,
    // and d rhs / d value.
    int param_index(const std::string& name) const;
    double param(int k) const;
    void set_param(int k, double value);
    Eigen::VectorXd param_derivative(const double* x, int k) const;

    // d rhs_node / d c_k: how node `node` responds to an input added to its
    // coupling variable k (n_state values; a stimulus's coupling_input).
    std::vector<double> coupling_input(const double* x, int node, int k) const;

    // The instance's initial state in this layout.
    std::vector<double> initial_state() const;

    struct ops; // the model x coupling specific part
  private:
    network_linearisation assemble(const double* x, bool split) const;
    int n_nodes_ = 0, n_state_ = 0;
    std::unique_ptr<ops> ops_;
};

} // namespace nms::stability
