#pragma once

// Controllability and observability of a network linearised around a stable
// fixed point: the LTI system x' = A x + B u, y = C x (time in ms). Gramians
// (finite or infinite horizon), the per-region measures of Gu et al. 2015
// (Nat Commun 6:8414) carried over to continuous time, and minimum-energy
// control. Plain Eigen matrices in, plain numbers out; building A, B, C from
// the models is the caller's business.
//
// Horizons: a finite T > 0 (ms) or infinite_horizon. The infinite horizon
// needs a Hurwitz A (every eigenvalue with real part < 0) and throws
// std::invalid_argument otherwise; finite horizons accept any A.

#include <Eigen/Dense>

#include <limits>
#include <vector>

namespace nms::stability {

inline constexpr double infinite_horizon = std::numeric_limits<double>::infinity();

// Groups of columns of B (one group = one input region with several inputs,
// e.g. a weighted pattern split over state variables) or of rows of C. An
// empty list means: every column (row) is its own group.
using index_groups = std::vector<std::vector<int>>;

// True when every eigenvalue of a has a negative real part.
bool is_hurwitz(const Eigen::MatrixXd& a);

// X with A X + X A^T + Q = 0 (Bartels-Stewart on the complex Schur form).
// Throws std::invalid_argument unless A is Hurwitz (then X is unique and,
// for Q = B B^T, the infinite-horizon Gramian) or when sizes differ.
Eigen::MatrixXd lyapunov(const Eigen::MatrixXd& a, const Eigen::MatrixXd& q);

// W_c(T) = int_0^T e^{A t} B B^T e^{A^T t} dt (horizon T in ms, or
// infinite_horizon).
Eigen::MatrixXd controllability_gramian(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, double horizon);

// W_o(T) = int_0^T e^{A^T t} C^T C e^{A t} dt.
Eigen::MatrixXd observability_gramian(const Eigen::MatrixXd& a, const Eigen::MatrixXd& c, double horizon);

// Average controllability of each group of columns of B: trace W_c(T) of
// that group alone, i.e. int_0^T |e^{A t} B_g|_F^2 dt, the energy of the
// state's impulse response to the group's inputs (Gu et al.'s trace of the
// discrete Gramian sum_k A^k B B^T A^kT, with the sum over steps turned into
// the integral over [0, T]). One Lyapunov solve (or Van Loan) for all groups.
std::vector<double> average_controllability(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b,
                                            double horizon, const index_groups& groups = {});

// Trace of W_o(T) of each group of rows of C: the output energy summed over
// unit initial states, int_0^T |C_g e^{A t}|_F^2 dt.
std::vector<double> average_observability(const Eigen::MatrixXd& a, const Eigen::MatrixXd& c, double horizon,
                                          const index_groups& groups = {});

// Energy of the output of the free response from x0: int_0^T |y|^2 dt =
// x0^T W_o(T) x0.
double output_energy(const Eigen::MatrixXd& a, const Eigen::MatrixXd& c, const Eigen::VectorXd& x0,
                     double horizon);

// Modal controllability of each group of columns of B (Gu et al.'s
// phi_i = sum_j (1 - lambda_j^2) v_ij^2), on the exact discretisation
// A_d = e^{A dt} of the sampling step dt (ms): mode j of A_d has eigenvalue
// mu_j = e^{lambda_j dt} and the eigenvector v_j of A, so
//   phi_g = sum_j (1 - |mu_j|^2) |(V^{-1} B_g)_j|^2,
// V with unit-norm columns. (V^{-1} b)_j is the input's gain on the modal
// coordinate z_j of x = V z; for a symmetric A, V^{-1} = V^T and this is Gu's
// v_ij for b = e_i. Complex modes: |.| is the modulus, and each member of a
// conjugate pair counts once (as the two real directions they span).
// As dt -> 0, phi / dt -> sum_j (-2 Re lambda_j) |(V^{-1} B_g)_j|^2.
// Throws std::invalid_argument for an unstable A (Re lambda > 1e-9, a weight
// < 0), a defective A (eigenvector matrix V with reciprocal condition number
// below sqrt(eps), ~1.5e-8: an exact Jordan block gives ~eps), dt <= 0, or
// bad sizes.
std::vector<double> modal_controllability(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, double dt,
                                          const index_groups& groups = {});

struct min_energy_control {
    double energy = 0;     // E = d^T W_c(T)^+ d, d = xf - e^{A T} x0
    double condition = 0;  // 2-norm condition number of W_c(T) (inf when singular)
    int rank = 0;          // numerical rank of W_c(T) (< n: not controllable)
    double residual = 0;   // |W_c lambda - d| / |d|: ~0 when xf is reachable
    Eigen::VectorXd times; // samples t_k = k T / n_intervals, k = 0..n_intervals
    Eigen::MatrixXd input; // u(t_k) = B^T e^{A^T (T - t_k)} W_c^+ d; rows = samples, columns = inputs
};

// Minimum-energy input steering x(0) = x0 to x(T) = xf. W_c(T) is inverted
// through its symmetric eigendecomposition, dropping eigenvalues below
// n eps max(eig) (pseudo-inverse: for an unreachable xf it reaches the
// nearest reachable state, see residual). Throws std::invalid_argument for
// T not finite and > 0, n_intervals < 1, or sizes that do not match A.
min_energy_control minimum_energy(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b,
                                  const Eigen::VectorXd& x0, const Eigen::VectorXd& xf, double horizon,
                                  int n_intervals);

// The least input energy that reaches each column d_k of D from the
// equilibrium (x0 = 0) over the horizon whose controllability Gramian is w
// (W_c(T), or W_c(inf): the infimum over all horizons for a stable A):
// E_k = d_k^T W^+ d_k, W^+ the pseudo-inverse of minimum_energy. E_k is
// +infinity where d_k lies outside W's numerical range (relative residual
// |W W^+ d_k - d_k| / |d_k| > 1e-6: that direction is not controllable).
struct reach_energies {
    std::vector<double> energy;
    double condition = 0; // 2-norm condition number of W (inf when singular)
    int rank = 0;         // numerical rank of W
};
reach_energies reach_energy(const Eigen::MatrixXd& w, const Eigen::MatrixXd& d);

} // namespace nms::stability
