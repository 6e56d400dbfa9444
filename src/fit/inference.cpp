#include "nmsweep/fit/inference.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace nms::fit {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
const double log_2pi = std::log(2 * M_PI);

double log_sum_exp(const std::vector<double>& v) {
    double m = -inf;
    for (double x : v) m = std::max(m, x);
    if (m == -inf) return -inf;
    double s = 0;
    for (double x : v) s += std::exp(x - m);
    return m + std::log(s);
}

void need_finite(const std::vector<double>& v, const char* what) {
    for (std::size_t i = 0; i < v.size(); ++i)
        if (!std::isfinite(v[i]))
            throw std::invalid_argument(std::string(what) + ": entry " + std::to_string(i) +
                                        " is not finite");
}

} // namespace

double synthetic_log_likelihood(const std::vector<std::vector<double>>& sims,
                                const std::vector<double>& observed, double shrinkage) {
    const std::size_t R = sims.size(), d = observed.size();
    if (R < 2)
        throw std::invalid_argument("synthetic_log_likelihood: " + std::to_string(R) + " simulations (>= 2)");
    if (d == 0) throw std::invalid_argument("synthetic_log_likelihood: no summaries");
    if (!(shrinkage >= 0 && shrinkage <= 1))
        throw std::invalid_argument("synthetic_log_likelihood: shrinkage must be in [0, 1]");
    need_finite(observed, "synthetic_log_likelihood (observed)");
    Eigen::MatrixXd s(R, d);
    for (std::size_t r = 0; r < R; ++r) {
        if (sims[r].size() != d)
            throw std::invalid_argument("synthetic_log_likelihood: simulation " + std::to_string(r) +
                                        " has " + std::to_string(sims[r].size()) + " summaries, the data " +
                                        std::to_string(d));
        for (std::size_t k = 0; k < d; ++k) {
            if (!std::isfinite(sims[r][k])) return -inf; // a diverged simulation explains nothing
            s(Eigen::Index(r), Eigen::Index(k)) = sims[r][k];
        }
    }
    const Eigen::VectorXd mu = s.colwise().mean().transpose();
    const Eigen::MatrixXd c = s.rowwise() - mu.transpose();
    Eigen::MatrixXd cov = c.transpose() * c / double(R - 1);
    cov = (1 - shrinkage) * cov + shrinkage * Eigen::MatrixXd(cov.diagonal().asDiagonal());
    const Eigen::LLT<Eigen::MatrixXd> llt(cov);
    if (llt.info() != Eigen::Success) return -inf;
    const Eigen::MatrixXd l = llt.matrixL();
    double log_det = 0;
    for (Eigen::Index k = 0; k < l.rows(); ++k) {
        if (!(l(k, k) > 0)) return -inf;
        log_det += 2 * std::log(l(k, k));
    }
    const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(observed.data(), Eigen::Index(d)) - mu;
    const double q = x.dot(llt.solve(x));
    return -0.5 * (double(d) * log_2pi + log_det + q);
}

double gaussian_log_likelihood(const std::vector<double>& mean, const std::vector<double>& sigma,
                               const std::vector<double>& observed) {
    if (mean.size() != observed.size() || sigma.size() != observed.size() || observed.empty())
        throw std::invalid_argument("gaussian_log_likelihood: " + std::to_string(mean.size()) + " means, " +
                                    std::to_string(sigma.size()) + " sigmas, " +
                                    std::to_string(observed.size()) + " observations");
    need_finite(observed, "gaussian_log_likelihood (observed)");
    double s = 0;
    for (std::size_t k = 0; k < observed.size(); ++k) {
        if (!(sigma[k] > 0) || !std::isfinite(sigma[k]))
            throw std::invalid_argument("gaussian_log_likelihood: sigma " + std::to_string(k) +
                                        " must be > 0");
        if (!std::isfinite(mean[k])) return -inf;
        const double z = (observed[k] - mean[k]) / sigma[k];
        s += -0.5 * (log_2pi + z * z) - std::log(sigma[k]);
    }
    return s;
}

grid_posterior posterior_on_points(const std::vector<double>& log_likelihood,
                                   const std::vector<double>& log_prior) {
    const std::size_t K = log_likelihood.size();
    if (K == 0) throw std::invalid_argument("posterior_on_points: no points");
    std::vector<double> lp = log_prior;
    if (lp.empty()) lp.assign(K, -std::log(double(K)));
    if (lp.size() != K)
        throw std::invalid_argument("posterior_on_points: " + std::to_string(lp.size()) +
                                    " prior values for " + std::to_string(K) + " points");
    for (double v : log_likelihood)
        if (std::isnan(v) || v == inf)
            throw std::invalid_argument("posterior_on_points: a log-likelihood is NaN or +inf");
    const double norm = log_sum_exp(lp); // the prior made to sum to 1
    if (!std::isfinite(norm)) throw std::invalid_argument("posterior_on_points: the prior has no mass");
    std::vector<double> lw(K);
    for (std::size_t k = 0; k < K; ++k) lw[k] = log_likelihood[k] + lp[k] - norm;
    grid_posterior out;
    out.log_evidence = log_sum_exp(lw);
    if (out.log_evidence == -inf)
        throw std::invalid_argument(
            "posterior_on_points: every point has likelihood 0 (no point explains the data)");
    out.weight.resize(K);
    double s2 = 0;
    for (std::size_t k = 0; k < K; ++k) {
        out.weight[k] = std::exp(lw[k] - out.log_evidence);
        s2 += out.weight[k] * out.weight[k];
        out.n_effective += out.weight[k] > 0;
    }
    out.ess = 1 / s2;
    return out;
}

std::vector<double> marginal(const std::vector<double>& weight, const std::vector<std::size_t>& shape,
                             std::size_t axis) {
    if (axis >= shape.size()) throw std::invalid_argument("marginal: axis out of range");
    const std::size_t total =
        std::accumulate(shape.begin(), shape.end(), std::size_t(1), std::multiplies<>());
    if (total != weight.size())
        throw std::invalid_argument("marginal: " + std::to_string(weight.size()) + " weights for a grid of " +
                                    std::to_string(total));
    std::size_t inner = 1;
    for (std::size_t k = axis + 1; k < shape.size(); ++k) inner *= shape[k];
    std::vector<double> out(shape[axis], 0.0);
    for (std::size_t i = 0; i < total; ++i) out[(i / inner) % shape[axis]] += weight[i];
    return out;
}

credible credible_interval(const std::vector<double>& values, const std::vector<double>& weights,
                           double level) {
    if (values.empty() || values.size() != weights.size())
        throw std::invalid_argument("credible_interval: " + std::to_string(values.size()) + " values and " +
                                    std::to_string(weights.size()) + " weights");
    if (!(level > 0 && level < 1)) throw std::invalid_argument("credible_interval: level must be in (0, 1)");
    for (std::size_t k = 1; k < values.size(); ++k)
        if (!(values[k] > values[k - 1]))
            throw std::invalid_argument("credible_interval: values not ascending");
    // Each value's mass spread evenly over its cell (edges halfway to its
    // neighbours, the end cells as wide as their neighbour's half-step): the
    // CDF is linear within cells, and a grid of cell midpoints is exact.
    const std::size_t K = values.size();
    std::vector<double> edge(K + 1), cdf(K + 1, 0.0);
    for (std::size_t k = 1; k < K; ++k) edge[k] = 0.5 * (values[k - 1] + values[k]);
    edge[0] = K > 1 ? values[0] - (edge[1] - values[0]) : values[0];
    edge[K] = K > 1 ? values[K - 1] + (values[K - 1] - edge[K - 1]) : values[0];
    credible out;
    double c = 0;
    for (std::size_t k = 0; k < K; ++k) {
        if (!(weights[k] >= 0)) throw std::invalid_argument("credible_interval: a negative or NaN weight");
        c += weights[k];
        cdf[k + 1] = c;
        out.mean += weights[k] * values[k];
    }
    if (!(c > 0)) throw std::invalid_argument("credible_interval: the weights sum to 0");
    out.mean /= c;
    auto quantile = [&](double q) {
        q *= c;
        const std::size_t k = std::size_t(std::lower_bound(cdf.begin() + 1, cdf.end(), q) - cdf.begin());
        if (k > K) return edge[K];
        const double span = cdf[k] - cdf[k - 1];
        return span > 0 ? edge[k - 1] + (q - cdf[k - 1]) / span * (edge[k] - edge[k - 1]) : edge[k];
    };
    out.lo = quantile((1 - level) / 2);
    out.hi = quantile((1 + level) / 2);
    return out;
}

} // namespace nms::fit

namespace nms::fit {

credible weighted_interval(const std::vector<double>& values, const std::vector<double>& weights,
                           double level) {
    if (values.empty() || values.size() != weights.size())
        throw std::invalid_argument("weighted_interval: " + std::to_string(values.size()) + " values and " +
                                    std::to_string(weights.size()) + " weights");
    if (!(level > 0 && level < 1)) throw std::invalid_argument("weighted_interval: level must be in (0, 1)");
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return values[a] < values[b]; });
    credible out;
    double total = 0;
    for (std::size_t k = 0; k < values.size(); ++k) {
        if (!(weights[k] >= 0) || !std::isfinite(values[k]))
            throw std::invalid_argument("weighted_interval: a negative or NaN weight, or a non-finite value");
        total += weights[k];
        out.mean += weights[k] * values[k];
    }
    if (!(total > 0)) throw std::invalid_argument("weighted_interval: the weights sum to 0");
    out.mean /= total;
    // The CDF at each sorted sample: the weight below it plus half its own.
    std::vector<double> v, mid;
    double c = 0;
    for (auto i : order) {
        if (weights[i] == 0) continue;
        v.push_back(values[i]);
        mid.push_back((c + 0.5 * weights[i]) / total);
        c += weights[i];
    }
    auto quantile = [&](double q) {
        if (q <= mid.front()) return v.front();
        if (q >= mid.back()) return v.back();
        const std::size_t k = std::size_t(std::lower_bound(mid.begin(), mid.end(), q) - mid.begin());
        return v[k - 1] + (q - mid[k - 1]) / (mid[k] - mid[k - 1]) * (v[k] - v[k - 1]);
    };
    out.lo = quantile((1 - level) / 2);
    out.hi = quantile((1 + level) / 2);
    return out;
}

std::vector<double> weighted_density(const std::vector<double>& values, const std::vector<double>& weights,
                                     double lo, double hi, std::size_t bins) {
    if (values.size() != weights.size() || bins == 0 || !(hi > lo))
        throw std::invalid_argument("weighted_density: bad sizes or range");
    std::vector<double> h(bins, 0.0);
    double total = 0;
    for (double w : weights) total += w;
    if (!(total > 0)) throw std::invalid_argument("weighted_density: the weights sum to 0");
    const double width = (hi - lo) / double(bins);
    for (std::size_t k = 0; k < values.size(); ++k) {
        if (!(values[k] >= lo && values[k] <= hi)) continue;
        const auto b = std::min(bins - 1, std::size_t((values[k] - lo) / width));
        h[b] += weights[k] / total / width;
    }
    return h;
}

} // namespace nms::fit
