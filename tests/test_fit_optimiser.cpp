// The optimiser driver (nmsweep/fit/optimiser.hpp) on standard test functions
// with known minima (sphere, Rosenbrock, Rastrigin), generation batching
// (one cost call per generation, every candidate served from it), the
// history, determinism and bad input.

#include "nmsweep/fit/optimiser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

using namespace nms::fit;

namespace {

double sphere(const std::vector<double>& x) {
    double s = 0;
    for (std::size_t k = 0; k < x.size(); ++k) s += (x[k] - 0.7) * (x[k] - 0.7);
    return s;
}

double rosenbrock(const std::vector<double>& x) {
    double s = 0;
    for (std::size_t k = 0; k + 1 < x.size(); ++k)
        s += 100 * std::pow(x[k + 1] - x[k] * x[k], 2) + std::pow(1 - x[k], 2);
    return s;
}

double rastrigin(const std::vector<double>& x) {
    double s = 10.0 * double(x.size());
    for (double v : x) s += v * v - 10 * std::cos(2 * M_PI * v);
    return s;
}

batch_cost batched(double (*f)(const std::vector<double>&), std::vector<std::size_t>* sizes = nullptr) {
    return [f, sizes](const std::vector<std::vector<double>>& xs) {
        if (sizes) sizes->push_back(xs.size());
        std::vector<double> out;
        for (const auto& x : xs) out.push_back(f(x));
        return out;
    };
}

} // namespace

TEST(fit_optimiser, every_algorithm_finds_the_sphere_minimum_one_batch_per_generation) {
    for (const auto& name : optimiser_names()) {
        optimiser_options o;
        o.algorithm = name;
        o.population = 20;
        o.generations = 150;
        o.seed = 3;
        std::vector<std::size_t> sizes;
        const auto r = minimise({-2, -2, -2}, {3, 3, 3}, batched(sphere, &sizes), o);
        std::cout << "  " << name << ": best " << r.best_cost << ", batches " << r.batches << ", misses "
                  << r.cache_misses << "\n";
        const bool pso = name == "pso"; // particle swarms close in slowly
        EXPECT_LT(r.best_cost, pso ? 1e-3 : 1e-6) << name;
        for (double v : r.best_x) EXPECT_NEAR(v, 0.7, pso ? 0.03 : 1e-3) << name;
        EXPECT_EQ(r.cache_misses, 0) << name; // every candidate came from its generation's batch
        EXPECT_EQ(r.batches, o.generations + 1) << name;
        ASSERT_EQ(sizes.size(), std::size_t(r.batches));
        EXPECT_EQ(sizes[0], std::size_t(o.population)) << name;
        std::size_t total = 0;
        for (auto s : sizes) total += s;
        EXPECT_EQ(total, r.history.size()) << name;
        for (const auto& e : r.history)
            for (double v : e.x) EXPECT_TRUE(v >= -2 && v <= 3) << name; // inside the box
        EXPECT_EQ(r.history.back().generation, o.generations) << name;
    }
}

TEST(fit_optimiser, cmaes_solves_rosenbrock_and_de_rastrigin) {
    optimiser_options o;
    o.population = 16;
    o.generations = 400;
    const auto r = minimise({-5, -5, -5, -5}, {5, 5, 5, 5}, batched(rosenbrock), o);
    EXPECT_LT(r.best_cost, 1e-8);
    for (double v : r.best_x) EXPECT_NEAR(v, 1.0, 1e-3);
    o.algorithm = "de";
    o.population = 30;
    o.generations = 300;
    const auto d = minimise({-5.12, -5.12}, {5.12, 5.12}, batched(rastrigin), o);
    EXPECT_LT(d.best_cost, 1e-6);
    for (double v : d.best_x) EXPECT_NEAR(v, 0.0, 1e-3);
}

TEST(fit_optimiser, deterministic_for_a_seed_and_nan_costs_rank_last) {
    optimiser_options o;
    o.generations = 20;
    o.seed = 11;
    auto nan_half = [](const std::vector<std::vector<double>>& xs) {
        std::vector<double> out;
        for (const auto& x : xs) out.push_back(x[0] > 0.5 ? NAN : sphere(x));
        return out;
    };
    const auto a = minimise({0, 0}, {1, 1}, nan_half, o), b = minimise({0, 0}, {1, 1}, nan_half, o);
    ASSERT_EQ(a.history.size(), b.history.size());
    for (std::size_t k = 0; k < a.history.size(); ++k) {
        EXPECT_EQ(a.history[k].x, b.history[k].x);
        EXPECT_TRUE(a.history[k].cost == b.history[k].cost ||
                    (std::isnan(a.history[k].cost) && std::isnan(b.history[k].cost)));
    }
    EXPECT_LE(a.best_x[0], 0.5); // the NaN half never wins
    EXPECT_FALSE(std::isnan(a.best_cost));
    o.seed = 12;
    EXPECT_NE(minimise({0, 0}, {1, 1}, nan_half, o).history[0].x, a.history[0].x);
}

TEST(fit_optimiser, bad_input_is_refused) {
    optimiser_options o;
    const auto f = batched(sphere);
    EXPECT_THROW(minimise({}, {}, f, o), std::invalid_argument);
    EXPECT_THROW(minimise({0, 1}, {1, 1}, f, o), std::invalid_argument); // lower == upper
    EXPECT_THROW(minimise({0}, {INFINITY}, f, o), std::invalid_argument);
    EXPECT_THROW(minimise({0}, {1, 2}, f, o), std::invalid_argument);
    o.algorithm = "simplex";
    EXPECT_THROW(minimise({0}, {1}, f, o), std::invalid_argument);
    o.algorithm = "cmaes";
    o.population = 3;
    EXPECT_THROW(minimise({0}, {1}, f, o), std::invalid_argument);
    o.population = 8;
    auto short_cost = [](const std::vector<std::vector<double>>&) { return std::vector<double>{1.0}; };
    EXPECT_THROW(minimise({0}, {1}, short_cost, o), std::invalid_argument);
}

// A start joins the initial population as its first candidate: at the
// sphere's minimum, the best cost is 0 before any generation.
TEST(fit_optimiser, a_start_is_the_first_candidate) {
    optimiser_options o;
    o.generations = 0;
    o.population = 8;
    o.start = {0.7, NAN, 0.7};
    const auto r = minimise({0.0, 0.0, 0.0}, {1.0, 1.0, 1.0}, batched(sphere), o);
    ASSERT_EQ(r.history.size(), 8u);
    EXPECT_DOUBLE_EQ(r.history[0].x[0], 0.7);
    EXPECT_DOUBLE_EQ(r.history[0].x[2], 0.7);
    EXPECT_NE(r.history[0].x[1], 0.7);
    o.start = {0.7, 0.7, 0.7};
    const auto s = minimise({0.0, 0.0, 0.0}, {1.0, 1.0, 1.0}, batched(sphere), o);
    EXPECT_EQ(s.best_cost, 0.0);
    o.start = {0.7, 1.5, 0.7};
    EXPECT_THROW(minimise({0.0, 0.0, 0.0}, {1.0, 1.0, 1.0}, batched(sphere), o), std::invalid_argument);
}
