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

    // The instance's initial state in this layout, and its constant history
    // before t = 0 (what the delay ring holds at the start of a run).
    std::vector<double> initial_state() const;
    std::vector<double> history_state() const;

    // The right-hand side in the engine's pieces, for trajectories with
    // delays (optimal control): the source channels ch_j = pre(x_j) [node]
    // [channel], the edges (delays in steps of dt), the coupling c_i =
    // post(s_i, x_i) of a node's channel sums s_i, f_i = dfun(x_i, c_i),
    // and their transposed derivatives, which add w^T d(out)/d(in) to g.
    struct edge_list {
        const std::vector<int>& row_ptr; // node i's edges: row_ptr[i] .. row_ptr[i + 1]
        const std::vector<int>& src;
        const std::vector<int>& delay;
        const std::vector<double>& weight;
    };
    edge_list edges() const;
    int n_channels() const;
    int n_cvar() const;
    void channels(const double* x, double* ch) const;
    void coupling(int i, const double* x, const double* s, double* c) const;
    void node_dfun(int i, const double* xi, const double* c, double* f) const;
    void node_bound(double* xi) const;
    void node_dfun_vjp(int i, const double* xi, const double* c, const double* w, double* gx,
                       double* gc) const;
    void coupling_vjp(int i, const double* x, const double* s, const double* w, double* gs, double* gx) const;
    void channels_vjp(int j, const double* x, const double* w, double* gx) const;

    struct ops; // the model x coupling specific part
  private:
    network_linearisation assemble(const double* x, bool split) const;
    int n_nodes_ = 0, n_state_ = 0;
    std::unique_ptr<ops> ops_;
};

} // namespace nms::stability
