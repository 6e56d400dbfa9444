// Inference on points (nmsweep/fit/inference.hpp) against closed forms: a
// Gaussian mean with a uniform prior (evidence, posterior mean and interval of
// the truncated normal), the synthetic likelihood against the Gaussian
// density computed by hand, the Bayes factor of the generating model, and
// marginals of a separable grid.

#include "nmsweep/fit/inference.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>
#include <stdexcept>

using namespace nms::fit;

namespace {

double Phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double phi(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); }

// y ~ N(theta, s^2), theta ~ U[a, b] on a fine grid.
struct conjugate {
    double y = 0.3, s = 0.5, a = -2, b = 2;
    std::vector<double> theta, loglik;
    explicit conjugate(std::size_t K) {
        for (std::size_t k = 0; k < K; ++k) {
            theta.push_back(a + (b - a) * (double(k) + 0.5) / double(K)); // midpoints: the prior's cells
            loglik.push_back(gaussian_log_likelihood({theta.back()}, {s}, {y}));
        }
    }
};

} // namespace

TEST(fit_inference, uniform_prior_gaussian_evidence_and_posterior_match_the_closed_form) {
    const conjugate c(20000);
    const auto post = posterior_on_points(c.loglik);
    // Evidence: (1 / (b - a)) int N(y; theta, s^2) dtheta.
    const double al = (c.a - c.y) / c.s, be = (c.b - c.y) / c.s;
    const double z = Phi(be) - Phi(al);
    EXPECT_NEAR(post.log_evidence, std::log(z / (c.b - c.a)), 1e-8);
    // The posterior is N(y, s^2) truncated to [a, b].
    const auto ci = credible_interval(c.theta, post.weight, 0.9);
    EXPECT_NEAR(ci.mean, c.y + c.s * (phi(al) - phi(be)) / z, 1e-8);
    auto quantile = [&](double q) { // of the truncated normal, by bisection of its CDF
        double lo = c.a, hi = c.b;
        for (int i = 0; i < 200; ++i) {
            const double m = 0.5 * (lo + hi);
            ((Phi((m - c.y) / c.s) - Phi(al)) / z < q ? lo : hi) = m;
        }
        return 0.5 * (lo + hi);
    };
    EXPECT_NEAR(ci.lo, quantile(0.05), 1e-6); // cells of 2e-4: the density is nearly constant in each
    EXPECT_NEAR(ci.hi, quantile(0.95), 1e-6);
    EXPECT_GT(post.ess, 1000);
}

TEST(fit_inference, the_generating_model_wins_the_bayes_factor) {
    const conjugate c(4000);
    const double free_model = posterior_on_points(c.loglik).log_evidence;
    // A model that fixes theta = 1.5: its evidence is the likelihood there.
    const double fixed = posterior_on_points({gaussian_log_likelihood({1.5}, {c.s}, {c.y})}).log_evidence;
    EXPECT_GT(log_bayes_factor(free_model, fixed), 0);
    // ... and loses to one that fixes theta at the data.
    const double at_y = posterior_on_points({gaussian_log_likelihood({c.y}, {c.s}, {c.y})}).log_evidence;
    EXPECT_LT(log_bayes_factor(free_model, at_y), 0);
}

TEST(fit_inference, synthetic_likelihood_is_the_gaussian_of_the_sample_moments) {
    // Three simulations of two summaries: mean (2, 1), covariance by hand.
    const std::vector<std::vector<double>> sims{{1, 0}, {2, 2}, {3, 1}};
    const std::vector<double> obs{2.5, 0.5};
    // deviations (-1,-1), (0,1), (1,0): S = [[2, 1], [1, 2]] / 2
    const double sxx = 1, syy = 1, sxy = 0.5, det = sxx * syy - sxy * sxy;
    const double dx = 0.5, dy = -0.5;
    const double q = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / det;
    const double want = -0.5 * (2 * std::log(2 * M_PI) + std::log(det) + q);
    EXPECT_NEAR(synthetic_log_likelihood(sims, obs), want, 1e-13);
    // Shrunk all the way: the diagonal Gaussian.
    EXPECT_NEAR(synthetic_log_likelihood(sims, obs, 1.0), gaussian_log_likelihood({2, 1}, {1, 1}, obs),
                1e-13);
    // A diverged simulation, a degenerate covariance: likelihood 0.
    EXPECT_EQ(synthetic_log_likelihood({{1, 0}, {NAN, 2}}, obs), -INFINITY);
    EXPECT_EQ(synthetic_log_likelihood({{1, 1}, {2, 2}, {3, 3}}, obs), -INFINITY); // rank 1
}

TEST(fit_inference, marginals_of_a_separable_grid) {
    const std::vector<double> p{0.2, 0.8}, q{0.1, 0.3, 0.6};
    std::vector<double> w;
    for (double a : p)
        for (double b : q) w.push_back(a * b);
    const auto m0 = marginal(w, {2, 3}, 0), m1 = marginal(w, {2, 3}, 1);
    for (int i = 0; i < 2; ++i) EXPECT_NEAR(m0[i], p[i], 1e-15);
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(m1[j], q[j], 1e-15);
}

TEST(fit_inference, bad_input_is_refused) {
    EXPECT_THROW(posterior_on_points({}), std::invalid_argument);
    EXPECT_THROW(posterior_on_points({-INFINITY, -INFINITY}), std::invalid_argument);
    EXPECT_THROW(posterior_on_points({0.0, NAN}), std::invalid_argument);
    EXPECT_THROW(posterior_on_points({0.0, 0.0}, {0.0}), std::invalid_argument);
    EXPECT_THROW(synthetic_log_likelihood({{1.0}}, {1.0}), std::invalid_argument);
    EXPECT_THROW(synthetic_log_likelihood({{1.0}, {2.0, 3.0}}, {1.0}), std::invalid_argument);
    EXPECT_THROW(gaussian_log_likelihood({0}, {0}, {1}), std::invalid_argument);
    EXPECT_THROW(credible_interval({1, 0}, {0.5, 0.5}, 0.9), std::invalid_argument);
    EXPECT_THROW(credible_interval({0, 1}, {0.5, 0.5}, 1.0), std::invalid_argument);
    EXPECT_THROW(marginal({1, 2, 3}, {2, 2}, 0), std::invalid_argument);
}

// Simulation-based calibration on the conjugate toy: 400 datasets with
// theta* drawn from the prior and y ~ N(theta*, s^2); the grid posterior's 90%
// intervals must hold theta* in 90% of them (binomial sd 1.5%: within 5%),
// and its 50% intervals in half.
TEST(fit_inference, credible_intervals_cover_the_truth_at_the_nominal_rate) {
    std::mt19937_64 g(20101118);
    std::uniform_real_distribution<double> prior(-2.0, 2.0);
    std::normal_distribution<double> noise(0.0, 1.0);
    const double s = 0.5;
    std::vector<double> theta;
    for (int k = 0; k < 800; ++k) theta.push_back(-2.0 + 4.0 * (k + 0.5) / 800);
    int in90 = 0, in50 = 0;
    const int n = 400;
    for (int d = 0; d < n; ++d) {
        const double truth = prior(g), y = truth + s * noise(g);
        std::vector<double> ll;
        for (double t : theta) ll.push_back(gaussian_log_likelihood({t}, {s}, {y}));
        const auto post = posterior_on_points(ll);
        const auto c90 = credible_interval(theta, post.weight, 0.9),
                   c50 = credible_interval(theta, post.weight, 0.5);
        in90 += c90.lo <= truth && truth <= c90.hi;
        in50 += c50.lo <= truth && truth <= c50.hi;
    }
    std::cout << "  coverage: 90% intervals " << double(in90) / n << ", 50% intervals " << double(in50) / n
              << "\n";
    EXPECT_NEAR(double(in90) / n, 0.9, 0.05);
    EXPECT_NEAR(double(in50) / n, 0.5, 0.075);
}
