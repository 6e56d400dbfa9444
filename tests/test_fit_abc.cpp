// ABC-SMC (nmsweep/fit/abc_smc.hpp) against closed-form ABC posteriors, and
// the weighted-sample summaries (fit/inference.hpp).
//
// With a uniform prior far wider than the data, a simulator s = theta + e,
// e ~ N(0, I_d), and the distance |s - y|, the ABC posterior at tolerance eps
// is N(y, I) convolved with the uniform ball of radius eps: mean y and
// per-dimension variance 1 + eps^2 / (d + 2) (the ball's second moment). The
// tests hold the particles to that, with the tolerance the run reached.

#include "nmsweep/fit/abc_smc.hpp"
#include "nmsweep/fit/inference.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

using namespace nms::fit;

namespace {

// theta + N(0, I) noise, distance to y; its own seeded generator.
struct gaussian_simulator {
    std::vector<double> y;
    std::mt19937_64 rng{2024};
    std::vector<double> operator()(const std::vector<std::vector<double>>& xs) {
        std::normal_distribution<double> e(0.0, 1.0);
        std::vector<double> out;
        for (const auto& x : xs) {
            double s = 0;
            for (std::size_t k = 0; k < x.size(); ++k) s += std::pow(x[k] + e(rng) - y[k], 2);
            out.push_back(std::sqrt(s));
        }
        return out;
    }
};

struct moments {
    std::vector<double> mean, var;
};

moments weighted_moments(const abc_posterior& p) {
    const std::size_t d = p.particles.front().size();
    moments m{std::vector<double>(d, 0.0), std::vector<double>(d, 0.0)};
    for (std::size_t i = 0; i < p.particles.size(); ++i)
        for (std::size_t k = 0; k < d; ++k) m.mean[k] += p.weights[i] * p.particles[i][k];
    for (std::size_t i = 0; i < p.particles.size(); ++i)
        for (std::size_t k = 0; k < d; ++k)
            m.var[k] += p.weights[i] * std::pow(p.particles[i][k] - m.mean[k], 2);
    return m;
}

void expect_abc_posterior(const std::vector<double>& y, const abc_posterior& p) {
    const double d = double(y.size()), eps = p.epsilon.back();
    const double var = 1 + eps * eps / (d + 2);
    const moments m = weighted_moments(p);
    for (std::size_t k = 0; k < y.size(); ++k) {
        // Monte Carlo error of a weighted mean: sd / sqrt(ess); 4 of them.
        EXPECT_NEAR(m.mean[k], y[k], 4 * std::sqrt(var / p.ess)) << "dimension " << k;
        EXPECT_NEAR(m.var[k] / var, 1.0, 0.15) << "dimension " << k << " eps " << eps;
    }
}

} // namespace

TEST(AbcSmc, OneDimensionalGaussianPosterior) {
    gaussian_simulator sim{{1.3}};
    abc_options o;
    o.population = 2000;
    o.generations = 12;
    const auto p = abc_smc({-10.0}, {10.0}, std::ref(sim), o);
    ASSERT_EQ(p.particles.size(), 2000u);
    // The tolerance halves until about 0.56 eps (the chance that s lands within
    // eps of y) falls below min_acceptance = 0.02: near eps = 0.035.
    std::cout << "  " << p.epsilon.size() - 1 << " generations, eps " << p.epsilon.back() << ", stopped by "
              << p.stopped << ", ess " << p.ess << "\n";
    EXPECT_EQ(p.stopped, "acceptance");
    EXPECT_LT(p.epsilon.back(), 0.1);
    for (std::size_t g = 2; g < p.epsilon.size(); ++g) EXPECT_LT(p.epsilon[g], p.epsilon[g - 1]);
    double s = 0;
    for (double w : p.weights) s += w;
    EXPECT_NEAR(s, 1.0, 1e-12);
    for (double d : p.distances) EXPECT_LE(d, p.epsilon.back());
    EXPECT_GT(p.ess, 500);
    expect_abc_posterior(sim.y, p);
    // Weighted 90% interval against N(1.3, 1)'s (the tolerance widens it by < 0.1%).
    std::vector<double> x;
    for (const auto& v : p.particles) x.push_back(v[0]);
    const auto ci = weighted_interval(x, p.weights, 0.9);
    EXPECT_NEAR(ci.lo, 1.3 - 1.644854, 0.15);
    EXPECT_NEAR(ci.hi, 1.3 + 1.644854, 0.15);
}

TEST(AbcSmc, FiveDimensionalGaussianPosterior) {
    gaussian_simulator sim{{0.5, -1.0, 0.0, 1.5, -0.5}};
    abc_options o;
    o.population = 1500;
    o.generations = 8;
    o.seed = 3;
    const auto p = abc_smc(std::vector<double>(5, -6.0), std::vector<double>(5, 6.0), std::ref(sim), o);
    std::cout << "  " << p.epsilon.size() - 1 << " generations, eps " << p.epsilon.back() << ", stopped by "
              << p.stopped << ", ess " << p.ess << "\n";
    EXPECT_LT(p.epsilon.back(), 3.0); // variance 1 + eps^2 / 7: nearly twice the posterior's, and tested
    expect_abc_posterior(sim.y, p);
}

TEST(AbcSmc, EveryGenerationOneBatchPerPopulationAndDeterministic) {
    auto run = [] {
        gaussian_simulator sim{{0.0, 0.0}};
        abc_options o;
        o.population = 100;
        o.generations = 4;
        std::vector<std::size_t> sizes;
        auto cost = [&](const std::vector<std::vector<double>>& xs) {
            sizes.push_back(xs.size());
            return sim(xs);
        };
        auto p = abc_smc({-3.0, -3.0}, {3.0, 3.0}, cost, o);
        for (auto s : sizes) EXPECT_EQ(s, 100u);
        EXPECT_EQ(std::size_t(p.batches), sizes.size());
        EXPECT_EQ(p.history.size(), 100 * sizes.size());
        return p;
    };
    const auto a = run(), b = run();
    ASSERT_EQ(a.history.size(), b.history.size());
    for (std::size_t i = 0; i < a.history.size(); ++i) {
        EXPECT_EQ(a.history[i].x, b.history[i].x);
        EXPECT_EQ(a.history[i].cost, b.history[i].cost);
    }
    EXPECT_EQ(a.weights, b.weights);
}

TEST(AbcSmc, StopsAtTheToleranceOrWhenAcceptanceCollapses) {
    // A distance that ignores theta: each tolerance accepts `quantile` of the proposals.
    std::mt19937_64 rng(5);
    auto noise = [&](const std::vector<std::vector<double>>& xs) {
        std::uniform_real_distribution<double> u(0.0, 1.0);
        std::vector<double> out;
        for (std::size_t i = 0; i < xs.size(); ++i) out.push_back(u(rng));
        return out;
    };
    abc_options o;
    o.population = 200;
    o.generations = 10;
    o.quantile = 0.1;
    o.min_acceptance = 0.5;
    auto p = abc_smc({0.0}, {1.0}, noise, o);
    EXPECT_EQ(p.stopped, "acceptance");
    EXPECT_EQ(p.epsilon.size(), 1u); // generation 1 abandoned: the prior's population returned
    EXPECT_EQ(p.particles.size(), 200u);

    o.quantile = 0.5;
    o.min_acceptance = 0.02;
    o.epsilon = 0.2;
    p = abc_smc({0.0}, {1.0}, noise, o);
    EXPECT_EQ(p.stopped, "epsilon");
    EXPECT_DOUBLE_EQ(p.epsilon.back(), 0.2);
    EXPECT_EQ(p.epsilon.size(), 4u); // 0.5, 0.25, then 0.125 < 0.2 -> 0.2
}

TEST(AbcSmc, BadInput) {
    gaussian_simulator sim{{0.0}};
    abc_options o;
    EXPECT_THROW(abc_smc({1.0}, {1.0}, std::ref(sim), o), std::invalid_argument);
    EXPECT_THROW(abc_smc({}, {}, std::ref(sim), o), std::invalid_argument);
    o.quantile = 1;
    EXPECT_THROW(abc_smc({0.0}, {1.0}, std::ref(sim), o), std::invalid_argument);
    o = abc_options{};
    auto short_cost = [](const std::vector<std::vector<double>>&) { return std::vector<double>{1.0}; };
    EXPECT_THROW(abc_smc({0.0}, {1.0}, short_cost, o), std::invalid_argument);
    auto all_nan = [](const std::vector<std::vector<double>>& xs) {
        return std::vector<double>(xs.size(), NAN);
    };
    EXPECT_THROW(abc_smc({0.0}, {1.0}, all_nan, o), std::invalid_argument);
}

TEST(WeightedSamples, IntervalAndDensityOfAWeightedUniformGrid) {
    // Uniform samples weighted by a normal density: its quantiles and density.
    std::vector<double> x, w;
    for (int i = 0; i < 200000; ++i) {
        x.push_back(-8 + 16 * (i + 0.5) / 200000);
        w.push_back(std::exp(-0.5 * std::pow((x.back() - 0.4) / 1.5, 2)));
    }
    const auto ci = weighted_interval(x, w, 0.9);
    EXPECT_NEAR(ci.lo, 0.4 - 1.5 * 1.6448536, 1e-4);
    EXPECT_NEAR(ci.hi, 0.4 + 1.5 * 1.6448536, 1e-4);
    EXPECT_NEAR(ci.mean, 0.4, 1e-5); // (the grid's ends cut the tails unevenly: 1.5e-6)
    const auto h = weighted_density(x, w, -8, 8, 160);
    for (std::size_t b = 0; b < h.size(); ++b) {
        const double c = -8 + 0.1 * (double(b) + 0.5);
        const double pdf = std::exp(-0.5 * std::pow((c - 0.4) / 1.5, 2)) / (1.5 * std::sqrt(2 * M_PI));
        EXPECT_NEAR(h[b], pdf, 2e-4) << c;
    }
    EXPECT_THROW(weighted_interval({1.0}, {0.0}, 0.9), std::invalid_argument);
    EXPECT_THROW(weighted_interval({1.0, 2.0}, {1.0}, 0.9), std::invalid_argument);
}
