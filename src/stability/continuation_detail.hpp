#pragma once

// Internals of the continuation: a generic pseudo-arclength tracer of the
// solution curve of g(y) = 0, g: R^(N+1) -> R^N, the location of zeros of test
// functions on it, and the derivatives of the Jacobian that the extended
// systems and the normal forms need.

#include "nmsweep/stability/continuation.hpp"

#include <cmath>
#include <complex>

namespace nms::stability::detail {

using Eigen::MatrixXd;
using Eigen::VectorXd;
using cvecxd = Eigen::VectorXcd;

struct curve_problem {
    int dim = 0; // unknowns; dim - 1 equations
    std::function<void(const VectorXd& y, VectorXd& g, MatrixXd& jg)> eval;
    // called on each accepted point: may refresh reference vectors as long as
    // y stays a solution
    std::function<void(const VectorXd& y)> accept;
    // inside the bounds (a point outside ends the direction)
    std::function<bool(const VectorXd& y)> inside;
};

struct traced {
    std::vector<VectorXd> y, t; // points and unit tangents, all oriented one way
    int start = 0;              // index of the start point
    bool closed = false;        // a closed curve: the last point repeats the first
};

// Unit null vector of jg (N x N+1), oriented along ref when given.
VectorXd tangent(const MatrixXd& jg, const VectorXd* ref);

// Newton on [g(y); t.(y - y_pred)] = 0 from y_pred; y receives the result.
bool correct(const curve_problem& pb, const VectorXd& y_pred, const VectorXd& t,
             const continuation_options& opt, VectorXd& y, int* iterations = nullptr);

// Both directions from y0 (a solution), merged in one order.
traced trace(const curve_problem& pb, const VectorXd& y0, const continuation_options& opt);

// A zero of psi between points i and i+1 of tr, where psi changes sign;
// psi(y, t) gets the corrected point and its tangent. Returns the point.
VectorXd locate(const curve_problem& pb, const traced& tr, int i,
                const std::function<double(const VectorXd&, const VectorXd&)>& psi,
                const continuation_options& opt);

// Newton to an equilibrium at fixed p; throws std::invalid_argument.
VectorXd newton_equilibrium(const system& sys, const VectorXd& x0, const VectorXd& p);

// dJx/dz_k for z = (x, p[free...]) by central differences of the exact
// Jacobian: n + free.size() matrices.
std::vector<MatrixXd> jacobian_derivatives(const system& sys, const VectorXd& x, const VectorXd& p,
                                           const std::vector<int>& free);

MatrixXd jx_at(const system& sys, const VectorXd& x, const VectorXd& p);
MatrixXd jp_at(const system& sys, const VectorXd& x, const VectorXd& p);

// Multilinear forms of f at x (4th-order differences of the Jacobian).
cvecxd form_b(const system& sys, const VectorXd& x, const VectorXd& p, const cvecxd& u, const cvecxd& v);
cvecxd form_c_sym(const system& sys, const VectorXd& x, const VectorXd& p, const cvecxd& u, const cvecxd& v);

// Right and left null vectors of a (nearly) singular A: unit vectors of the
// smallest singular value.
void null_vectors(const MatrixXd& a, VectorXd& q, VectorXd& w);

// Complex eigenvector q (A q = i omega q, |q| = 1) and adjoint p (A^T p =
// -i omega p, <p,q> = 1) for the eigenvalue nearest i omega.
void hopf_vectors(const MatrixXd& a, double omega, cvecxd& q, cvecxd& p);

// Fold quadratic coefficient (1/2) w.B(q,q), unnormalised.
double fold_form(const system& sys, const VectorXd& x, const VectorXd& p, const VectorXd& q,
                 const VectorXd& w);

// sys.spectrum(x, p), or the eigenvalues of df/dx when it has none.
cvec roots_at(const system& sys, const VectorXd& x, const VectorXd& p);
void fill_spectrum(const system& sys, cont_point& pt);

// A test function changes sign between two points (0 counts as positive, so
// a zero on a point is found once).
inline bool changes_sign(double a, double b) {
    return std::isfinite(a) && std::isfinite(b) && (a < 0) != (b < 0);
}

} // namespace nms::stability::detail
