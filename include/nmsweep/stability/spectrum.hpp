#pragma once

// Eigenvalues of a linearisation and what a sweep reports of them: the
// leading eigenvalue (largest real part), the number of unstable directions
// and the frequency of the leading complex pair. Time in ms, so an
// eigenvalue's imaginary part is in rad/ms.

#include <Eigen/Dense>

#include <complex>
#include <vector>

namespace nms::stability {

using cvec = std::vector<std::complex<double>>;

struct spectrum_summary {
    std::complex<double> leading{0, 0}; // largest real part (of a pair, the one with imag >= 0)
    int n_unstable = 0;                 // real part > tol
    double frequency_hz = 0;            // |imag| of the leading complex pair / 2 pi, in Hz; 0: none
    double leading_pair_real = 0;       // real part of that pair (NaN when there is none)
};

// All eigenvalues of a dense matrix, largest real part first (a conjugate
// pair: positive imaginary part first).
cvec eigenvalues(const Eigen::MatrixXd& a);

// Sorts eigenvalues as eigenvalues() returns them.
void sort_by_real_part(cvec& ev);

// Summary of eigenvalues sorted as above; |re| <= tol counts as neutral
// (a phase model's zero eigenvalue is not unstable).
spectrum_summary summarise(const cvec& ev, double tol = 1e-9);

} // namespace nms::stability
