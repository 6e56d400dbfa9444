#pragma once

// Bayesian inference on the points of a sweep or sampler run: likelihoods of
// observed summary statistics, the posterior over the points, its marginals
// and credible intervals, and the model evidence that compares two specs
// (Bayes factors, as Dynamic Causal Modelling does).
//
//   synthetic likelihood (Wood 2010, Nature 466:1102): the summaries s of R
//   simulations at one parameter point (different noise seeds) give a
//   Gaussian N(mu, Sigma) with the sample mean and covariance; the observed
//   summaries' log density under it is that point's log-likelihood. Sigma is
//   shrunk towards its diagonal by `shrinkage` (0: none) so that R close to
//   the dimension stays usable;
//   grid posterior: p_k proportional to exp(loglik_k) prior_k, normalised over
//   the points, with the log evidence log sum_k prior_k exp(loglik_k), the
//   prior weights summing to 1 (a uniform grid over a box: 1/K each, and the
//   evidence approximates the integral of the likelihood against the prior).
// Everything in log space with log-sum-exp: likelihoods spanning hundreds of
// orders of magnitude stay exact. std::invalid_argument on bad sizes or
// values, naming them.

#include <cstddef>
#include <vector>

namespace nms::fit {

// log N(observed; mean(sims), cov(sims)) with sims [R][d] (R >= 2, rows of d
// values). -infinity when a simulated summary is not finite (a diverged
// point) or the covariance is singular even after shrinkage.
double synthetic_log_likelihood(const std::vector<std::vector<double>>& sims,
                                const std::vector<double>& observed, double shrinkage = 0.0);

// log N(observed; mean, diag(sigma^2)): a user-given independent Gaussian
// noise model on each summary.
double gaussian_log_likelihood(const std::vector<double>& mean, const std::vector<double>& sigma,
                               const std::vector<double>& observed);

struct grid_posterior {
    std::vector<double> weight; // posterior probability of each point, summing to 1
    double log_evidence = 0;    // log sum_k prior_k exp(loglik_k)
    std::size_t n_effective = 0;
    double ess = 0; // 1 / sum w^2: how many points carry the posterior
};

// log_prior empty: uniform (1/K). Points with loglik -infinity get weight 0;
// all of them -infinity is an error (no point explains the data).
grid_posterior posterior_on_points(const std::vector<double>& log_likelihood,
                                   const std::vector<double>& log_prior = {});

// The marginal of a posterior on a C-order grid of `shape` along `axis`.
std::vector<double> marginal(const std::vector<double>& weight, const std::vector<std::size_t>& shape,
                             std::size_t axis);

// Equal-tailed credible interval [lo, hi] of a posterior on grid values
// (ascending; weights summing to 1) at `level` (e.g. 0.9), each value's mass
// spread evenly over its cell (edges halfway to its neighbours; the end cells
// extend half a step beyond the grid), so that a grid of cell midpoints gives
// the exact quantiles of the piecewise-constant density. Also its mean.
struct credible {
    double lo = 0, hi = 0, mean = 0;
};
credible credible_interval(const std::vector<double>& values, const std::vector<double>& weights,
                           double level);

// log B_12 = log evidence of 1 - log evidence of 2.
inline double log_bayes_factor(double log_evidence_1, double log_evidence_2) {
    return log_evidence_1 - log_evidence_2;
}

} // namespace nms::fit

namespace nms::fit {

// Weighted samples (importance or ABC-SMC particles): the equal-tailed
// interval at `level` and the mean. Each sample carries its weight at a point
// and the CDF is linear between consecutive sorted samples, through the
// midpoints of their cumulative weights.
credible weighted_interval(const std::vector<double>& values, const std::vector<double>& weights,
                           double level);

// Weighted histogram as a density over [lo, hi] in `bins` equal bins
// (integrating to the weight inside the range).
std::vector<double> weighted_density(const std::vector<double>& values, const std::vector<double>& weights,
                                     double lo, double hi, std::size_t bins);

} // namespace nms::fit
