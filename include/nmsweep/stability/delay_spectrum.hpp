#pragma once

// Rightmost characteristic roots of a linear delay differential equation
//
//     x'(t) = A0 x(t) + sum_k A_k x(t - tau_k),   x in R^n, tau_k >= 0 (ms),
//
// i.e. the roots of det Delta(lambda) = 0 with
//     Delta(lambda) = lambda I - A0 - sum_k A_k exp(-lambda tau_k).
//
// Method: pseudospectral (Chebyshev collocation) discretisation of the
// infinitesimal generator (Breda, Maset & Vermiglio, SIAM J Sci Comput 27
// (2005) 482): on the M + 1 Chebyshev extremal nodes of [-tau_max, 0] the
// generator becomes an n(M+1) matrix whose first block row is
// A0 l_j(0) + sum_k A_k l_j(-tau_k) (l_j: Lagrange basis) and whose other
// rows are the Chebyshev differentiation matrix (x) I_n. Its size does not
// depend on the number of delays, so hundreds of distinct tau_k cost only
// (M+1) K n^2 flops in the assembly. Each of the rightmost eigenvalues is then
// refined by Newton's method on Delta(lambda) v = 0, c^H v = 1.
//
// Degree (delay_spectrum_options::degree; 0 = automatic): M = max(24,
// 2 n_wanted / n + 16), lowered to the largest M with n(M+1) <= max_size (at
// least 4). Roots with |lambda| tau_max up to about M are resolved (the error
// of the eigenfunction exp(lambda theta) by a degree-M polynomial on
// [-tau_max, 0]). At the default degree the tests' rightmost 6 roots (scalar
// and 3x3 Lambert-W problems, 2 and 120 delays) are within 1.1e-10 relative
// before refinement (most within 1e-13), 4e-16 after. Farther out the
// generator has eigenvalues that are no roots: Newton fails there and the
// entry says refined = false with a large residual; trust an entry when it is
// refined or its residual is small (a repeated root may be unrefined but exact).
//
// Cost: a dense nonsymmetric eigenvalue problem of size N = n(M+1), O(N^3)
// with Eigen on one thread, plus an (n+1) LU per Newton step per wanted root.
// Measured (one shared core, 300 delays, M = 19): N = 500 about 1 s,
// N = 1000 about 7 s, N = 2000 1.5 to 3 min. Up to N of about 1000 it suits
// sweeps; the default max_size = 2000 is the limit for one-off analyses.
// Above max_size delay_eigenvalues() throws std::invalid_argument so that
// callers can fall back (fewer wanted roots, a smaller degree, or another
// method such as continuation of individual roots).

#include "nmsweep/stability/spectrum.hpp"

#include <Eigen/Dense>

#include <complex>
#include <cstddef>
#include <vector>

namespace nms::stability {

struct delayed_term {
    double tau;        // delay in ms, >= 0 (0 is added to A0)
    Eigen::MatrixXd a; // n x n
};

struct delay_spectrum_options {
    int degree = 0;              // M, Chebyshev degree on [-tau_max, 0]; 0: automatic (see above)
    int n_wanted = 20;           // rightmost eigenvalues refined and returned (a pair is kept whole)
    double tol = 1e-12;          // Newton stops when |d lambda| <= tol max(1, |lambda|)
    std::size_t max_size = 2000; // largest n(M+1) accepted
    bool refine = true;          // false: the generator's eigenvalues as they are (refined = false)
};

struct delay_eigenvalue {
    std::complex<double> value;
    bool refined;    // Newton converged to a root near the discretised one
    double residual; // sigma_min(Delta(value)) / (|value| + ||A0||_F + sum ||A_k||_F): backward error
};

// The degree delay_eigenvalues() would use (throws like it when n(M+1) would
// exceed opt.max_size).
int delay_spectrum_degree(int n, const delay_spectrum_options& opt = {});

// The opt.n_wanted rightmost characteristic roots, sorted like eigenvalues()
// (largest real part first; a conjugate pair: positive imaginary part first).
// With no delayed terms: the rightmost eigenvalues of A0. Throws
// std::invalid_argument on non-square or mismatched matrices, a negative or
// non-finite delay, or when n(M+1) > opt.max_size.
std::vector<delay_eigenvalue> delay_eigenvalues(const Eigen::MatrixXd& a0,
                                                const std::vector<delayed_term>& terms,
                                                const delay_spectrum_options& opt = {});

} // namespace nms::stability
