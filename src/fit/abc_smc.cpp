#include "nmsweep/fit/abc_smc.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

namespace nms::fit {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

void check(const std::vector<double>& lower, const std::vector<double>& upper, const abc_options& o) {
    check_box(lower, upper, "abc-smc");
    if (o.population < 4) throw std::invalid_argument("abc-smc: a population of at least 4 particles");
    if (o.generations < 0) throw std::invalid_argument("abc-smc: generations < 0");
    if (!(o.quantile > 0 && o.quantile < 1))
        throw std::invalid_argument("abc-smc: quantile must be in (0, 1)");
    if (!(o.min_acceptance > 0 && o.min_acceptance <= 1))
        throw std::invalid_argument("abc-smc: min_acceptance must be in (0, 1]");
    if (!(o.epsilon >= 0)) throw std::invalid_argument("abc-smc: epsilon must be >= 0");
}

// The unweighted q-quantile (linear between order statistics).
double quantile_of(std::vector<double> d, double q) {
    std::sort(d.begin(), d.end());
    const double pos = q * double(d.size() - 1);
    const auto k = std::size_t(pos);
    return k + 1 < d.size() ? d[k] + (pos - double(k)) * (d[k + 1] - d[k]) : d[k];
}

struct population {
    std::vector<Eigen::VectorXd> u; // unit cube
    std::vector<double> w, d;
};

// Twice the weighted covariance (Beaumont et al. 2009), its Cholesky factor
// and inverse; a population collapsed onto a point keeps a small kernel.
// Twice the weighted covariance (Beaumont et al. 2009) as its Cholesky factor
// L; a population collapsed onto a point keeps a small kernel. The mixture
// density is evaluated in whitened coordinates z = L^-1 u, where the
// kernel's exponent is half the squared distance: O(N d) per candidate,
// without allocations.
struct kernel {
    Eigen::MatrixXd chol;
    std::size_t d = 0;
    std::vector<double> z, log_w; // [particle][d] whitened particles, their log weights
    Eigen::MatrixXd chol_inv;

    explicit kernel(const population& p) {
        const auto n = p.u.front().size();
        d = std::size_t(n);
        Eigen::VectorXd mean = Eigen::VectorXd::Zero(n);
        for (std::size_t i = 0; i < p.u.size(); ++i) mean += p.w[i] * p.u[i];
        Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(n, n);
        for (std::size_t i = 0; i < p.u.size(); ++i)
            cov += p.w[i] * (p.u[i] - mean) * (p.u[i] - mean).transpose();
        cov *= 2;
        cov += 1e-12 * Eigen::MatrixXd::Identity(n, n);
        Eigen::LLT<Eigen::MatrixXd> llt(cov);
        if (llt.info() != Eigen::Success || cov.diagonal().maxCoeff() < 1e-10) {
            cov = cov.diagonal().cwiseMax(1e-10).asDiagonal();
            llt.compute(cov);
        }
        chol = llt.matrixL();
        chol_inv = chol.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(n, n));
        for (std::size_t j = 0; j < p.u.size(); ++j) {
            const Eigen::VectorXd zj = chol_inv * p.u[j];
            z.insert(z.end(), zj.data(), zj.data() + n);
            log_w.push_back(std::log(p.w[j]));
        }
    }
    // log sum_j w_j K(u | u_j), up to the kernel's constant (it cancels).
    double log_mixture(const Eigen::VectorXd& u) const {
        const Eigen::VectorXd zu = chol_inv * u;
        double m = -inf;
        for (std::size_t j = 0; j < log_w.size(); ++j) m = std::max(m, log_w[j] - 0.5 * dist2(zu, j));
        double s = 0;
        for (std::size_t j = 0; j < log_w.size(); ++j) s += std::exp(log_w[j] - 0.5 * dist2(zu, j) - m);
        return m + std::log(s);
    }

  private:
    double dist2(const Eigen::VectorXd& zu, std::size_t j) const {
        const double* zj = z.data() + j * d;
        double s = 0;
        for (std::size_t k = 0; k < d; ++k)
            s += (zu(Eigen::Index(k)) - zj[k]) * (zu(Eigen::Index(k)) - zj[k]);
        return s;
    }
};

class sampler {
  public:
    sampler(const std::vector<double>& lower, const std::vector<double>& upper, const batch_cost& cost,
            abc_posterior& out)
        : lower_(lower), upper_(upper), cost_(cost), out_(out) {}

    std::vector<double> evaluate(const std::vector<Eigen::VectorXd>& us, int generation) {
        std::vector<std::vector<double>> xs;
        for (const auto& u : us) {
            std::vector<double> x(lower_.size());
            for (std::size_t k = 0; k < x.size(); ++k)
                x[k] = lower_[k] + (upper_[k] - lower_[k]) * u(Eigen::Index(k));
            xs.push_back(x);
        }
        const std::vector<double> c = cost_(xs);
        if (c.size() != xs.size())
            throw std::invalid_argument("abc-smc: the cost returned " + std::to_string(c.size()) +
                                        " values for " + std::to_string(xs.size()) + " candidates");
        ++out_.batches;
        for (std::size_t k = 0; k < xs.size(); ++k) out_.history.push_back({xs[k], c[k], generation});
        return c;
    }

  private:
    const std::vector<double>&lower_, &upper_;
    const batch_cost& cost_;
    abc_posterior& out_;
};

// A candidate from the previous population: a particle by weight, moved by
// the kernel; both redrawn until inside the cube (the prior's support).
Eigen::VectorXd propose(const population& p, const std::vector<double>& cdf, const kernel& k,
                        std::mt19937_64& rng) {
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    std::normal_distribution<double> normal(0.0, 1.0);
    const auto n = p.u.front().size();
    for (int tries = 0; tries < 100000; ++tries) {
        const double r = unif(rng);
        const auto i = std::size_t(std::lower_bound(cdf.begin(), cdf.end(), r) - cdf.begin());
        Eigen::VectorXd z(n);
        for (Eigen::Index j = 0; j < n; ++j) z(j) = normal(rng);
        const Eigen::VectorXd u = p.u[std::min(i, p.u.size() - 1)] + k.chol * z;
        if ((u.array() >= 0).all() && (u.array() <= 1).all()) return u;
    }
    throw std::invalid_argument("abc-smc: no proposal inside the bounds in 100000 tries");
}

// One generation at tolerance eps from `prev`; false when abandoned.
bool next_generation(const population& prev, double eps, int g, const abc_options& o, sampler& s,
                     std::mt19937_64& rng, population& next, double& acceptance) {
    const kernel k(prev);
    std::vector<double> cdf;
    double c = 0;
    for (double w : prev.w) cdf.push_back(c += w);
    const std::size_t N = std::size_t(o.population);
    const double cap = double(N) / o.min_acceptance;
    std::size_t proposed = 0;
    std::vector<double> logw;
    while (next.u.size() < N) {
        if (double(proposed) >= cap) {
            acceptance = double(next.u.size()) / double(proposed);
            return false;
        }
        std::vector<Eigen::VectorXd> batch;
        for (std::size_t i = 0; i < N; ++i) batch.push_back(propose(prev, cdf, k, rng));
        const auto d = s.evaluate(batch, g);
        proposed += N;
        for (std::size_t i = 0; i < N && next.u.size() < N; ++i)
            if (d[i] <= eps) {
                next.u.push_back(batch[i]);
                next.d.push_back(d[i]);
                logw.push_back(-k.log_mixture(batch[i]));
            }
    }
    acceptance = double(N) / double(proposed);
    const double m = *std::max_element(logw.begin(), logw.end());
    double total = 0;
    for (double l : logw) total += std::exp(l - m);
    for (double l : logw) next.w.push_back(std::exp(l - m) / total);
    return true;
}

} // namespace

abc_posterior abc_smc(const std::vector<double>& lower, const std::vector<double>& upper,
                      const batch_cost& distance, const abc_options& o) {
    check(lower, upper, o);
    abc_posterior out;
    sampler s(lower, upper, distance, out);
    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    const auto n = Eigen::Index(lower.size());

    // Generation 0: the prior, every finite distance accepted.
    std::vector<Eigen::VectorXd> first;
    for (int i = 0; i < o.population; ++i) {
        Eigen::VectorXd u(n);
        for (Eigen::Index j = 0; j < n; ++j) u(j) = unif(rng);
        first.push_back(u);
    }
    const auto d0 = s.evaluate(first, 0);
    population pop;
    for (std::size_t i = 0; i < first.size(); ++i)
        if (std::isfinite(d0[i])) {
            pop.u.push_back(first[i]);
            pop.d.push_back(d0[i]);
        }
    if (pop.u.empty()) throw std::invalid_argument("abc-smc: no draw from the prior has a finite distance");
    pop.w.assign(pop.u.size(), 1.0 / double(pop.u.size()));
    out.epsilon.push_back(inf);
    out.acceptance.push_back(double(pop.u.size()) / double(first.size()));
    out.stopped = "generations";
    for (int g = 1; g <= o.generations; ++g) {
        double eps = quantile_of(pop.d, o.quantile);
        const bool last = eps <= o.epsilon;
        eps = std::max(eps, o.epsilon);
        population next;
        double acc = 0;
        if (!next_generation(pop, eps, g, o, s, rng, next, acc)) {
            out.stopped = "acceptance";
            break;
        }
        pop = std::move(next);
        out.epsilon.push_back(eps);
        out.acceptance.push_back(acc);
        if (last) {
            out.stopped = "epsilon";
            break;
        }
    }
    double sw2 = 0;
    for (std::size_t i = 0; i < pop.u.size(); ++i) {
        std::vector<double> x(lower.size());
        for (std::size_t k = 0; k < x.size(); ++k)
            x[k] = lower[k] + (upper[k] - lower[k]) * pop.u[i](Eigen::Index(k));
        out.particles.push_back(x);
        sw2 += pop.w[i] * pop.w[i];
    }
    out.weights = pop.w;
    out.distances = pop.d;
    out.ess = 1 / sw2;
    return out;
}

} // namespace nms::fit
