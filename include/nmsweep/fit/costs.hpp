#pragma once

// Distances between a simulated summary and its target (the recording), the
// building blocks of fitting and inference: functional connectivity (FC),
// its dynamics (FCD) and spectra. Each is a plain function of numbers, the
// same for a grid point read from a result file and for a candidate of an
// optimiser. Conventions follow the fitting literature of whole-brain
// models (Deco et al.; Hansen et al. 2015 for FCD; cuBNM's costs):
//   - FC matrices are compared on their strict upper triangles;
//   - FCD is compared through the distributions of its upper-triangle
//     values, by the two-sample Kolmogorov-Smirnov statistic;
//   - spectra through their log10 ratio over a band.
// Every function throws std::invalid_argument on mismatched sizes, too few
// values or non-finite inputs, naming what it got.

#include <cstddef>
#include <vector>

namespace nms::fit {

// The strict upper triangle (i < j) of an n x n row-major matrix, row by row.
std::vector<double> upper_triangle(const std::vector<double>& m, std::size_t n);

// Pearson correlation of a and b (same length >= 2). NaN when either is
// constant (no correlation is defined), never a silent 0.
double pearson(const std::vector<double>& a, const std::vector<double>& b);

// FC similarity and distances on the strict upper triangles of two n x n
// matrices: their Pearson correlation, the root mean square of their
// difference, and the absolute difference of their means.
double fc_correlation(const std::vector<double>& sim, const std::vector<double>& target, std::size_t n);
double fc_rmse(const std::vector<double>& sim, const std::vector<double>& target, std::size_t n);
double fc_mean_difference(const std::vector<double>& sim, const std::vector<double>& target, std::size_t n);

// Two-sample Kolmogorov-Smirnov statistic sup_x |F_a(x) - F_b(x)| of the
// empirical distributions of a and b (each non-empty; ties handled exactly:
// both CDFs are evaluated after every distinct value).
double ks_distance(std::vector<double> a, std::vector<double> b);

// Root mean square of log10(sim / target) over the frequency bins f with
// low <= f <= high (Hz). sim and target are sampled on the same frequencies
// `freqs` (ascending); interpolate the target first (interpolate()) when its
// grid differs. Powers must be > 0 in the band (a log of 0 is an error).
double log_psd_distance(const std::vector<double>& freqs, const std::vector<double>& sim,
                        const std::vector<double>& target, double low, double high);

// y sampled at x (ascending) linearly interpolated at the points `at`
// (each within [x.front(), x.back()]).
std::vector<double> interpolate(const std::vector<double>& x, const std::vector<double>& y,
                                const std::vector<double>& at);

} // namespace nms::fit
