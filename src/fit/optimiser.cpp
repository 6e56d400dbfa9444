#include "nmsweep/fit/optimiser.hpp"

#include <pagmo/algorithm.hpp>
#include <pagmo/algorithms/cmaes.hpp>
#include <pagmo/algorithms/de.hpp>
#include <pagmo/algorithms/pso_gen.hpp>
#include <pagmo/algorithms/sade.hpp>
#include <pagmo/algorithms/xnes.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>

namespace nms::fit {

namespace {

// What the problem does when pagmo asks for a fitness.
struct evaluator {
    const batch_cost* cost = nullptr;
    std::vector<double> lower, width; // unit cube -> the box
    bool recording = false;
    std::vector<std::vector<double>> asked;      // recording: the points asked for
    std::map<std::vector<double>, double> cache; // unit-cube point -> cost
    optimisation* out = nullptr;
    int generation = 0;

    std::vector<double> to_box(const std::vector<double>& u) const {
        std::vector<double> x(u.size());
        for (std::size_t k = 0; k < u.size(); ++k) x[k] = lower[k] + width[k] * u[k];
        return x;
    }

    // Evaluates the points as one batch; records them in the history.
    std::vector<double> evaluate(const std::vector<std::vector<double>>& us) {
        std::vector<std::vector<double>> xs;
        for (const auto& u : us) xs.push_back(to_box(u));
        const std::vector<double> c = (*cost)(xs);
        if (c.size() != xs.size())
            throw std::invalid_argument("optimiser: the cost returned " + std::to_string(c.size()) +
                                        " values for " + std::to_string(xs.size()) + " candidates");
        ++out->batches;
        for (std::size_t k = 0; k < xs.size(); ++k) {
            out->history.push_back({xs[k], c[k], generation});
            cache[us[k]] = c[k];
        }
        return c;
    }

    double fitness(const std::vector<double>& u) {
        if (recording) {
            asked.push_back(u);
            return 0.0;
        }
        auto it = cache.find(u);
        if (it == cache.end()) {
            ++out->cache_misses;
            evaluate({u});
            it = cache.find(u);
        }
        return std::isnan(it->second) ? std::numeric_limits<double>::infinity() : it->second;
    }
};

// pagmo's user-defined problem: the unit cube, fitness through the evaluator.
struct unit_problem {
    std::shared_ptr<evaluator> ev;
    std::size_t dim = 1;
    std::vector<double> fitness(const std::vector<double>& u) const { return {ev->fitness(u)}; }
    std::pair<std::vector<double>, std::vector<double>> get_bounds() const {
        return {std::vector<double>(dim, 0.0), std::vector<double>(dim, 1.0)};
    }
};

// One generation per evolve(); memory kept between calls; no stopping on
// tolerances (the caller decides when to stop).
pagmo::algorithm make_algorithm(const optimiser_options& o) {
    const double s = o.sigma0;
    if (o.algorithm == "cmaes")
        return pagmo::algorithm(pagmo::cmaes(1, -1, -1, -1, -1, s, 0, 0, true, true, o.seed));
    if (o.algorithm == "xnes")
        return pagmo::algorithm(pagmo::xnes(1, -1, -1, -1, s, 0, 0, true, true, o.seed));
    if (o.algorithm == "de") return pagmo::algorithm(pagmo::de(1, 0.8, 0.9, 2, 0, 0, o.seed));
    if (o.algorithm == "sade") return pagmo::algorithm(pagmo::sade(1, 2, 1, 0, 0, true, o.seed));
    if (o.algorithm == "pso")
        return pagmo::algorithm(pagmo::pso_gen(1, 0.7298, 2.05, 2.05, 0.5, 5, 2, 4, true, o.seed));
    std::string known;
    for (const auto& n : optimiser_names()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("optimiser: unknown algorithm '" + o.algorithm + "' (known: " + known + ")");
}

int minimum_population(const std::string& a) { return a == "cmaes" ? 5 : a == "de" || a == "sade" ? 7 : 2; }

void check(const std::vector<double>& lower, const std::vector<double>& upper, const optimiser_options& o) {
    check_box(lower, upper, "optimiser");
    if (o.population < minimum_population(o.algorithm))
        throw std::invalid_argument("optimiser: " + o.algorithm + " needs a population of at least " +
                                    std::to_string(minimum_population(o.algorithm)) + ", got " +
                                    std::to_string(o.population));
    if (o.generations < 0) throw std::invalid_argument("optimiser: generations < 0");
    for (std::size_t k = 0; k < o.start.size(); ++k)
        if (!std::isnan(o.start[k]) && !(o.start[k] >= lower[k] && o.start[k] <= upper[k]))
            throw std::invalid_argument("optimiser: the start of parameter " + std::to_string(k) +
                                        " lies outside its bounds");
    if (!(o.sigma0 > 0 && o.sigma0 <= 1)) throw std::invalid_argument("optimiser: sigma0 must be in (0, 1]");
}

} // namespace

const evaluation& best_evaluation(const std::vector<evaluation>& history) {
    return *std::min_element(history.begin(), history.end(), [](const auto& a, const auto& b) {
        return (std::isnan(a.cost) ? INFINITY : a.cost) < (std::isnan(b.cost) ? INFINITY : b.cost);
    });
}

void check_box(const std::vector<double>& lower, const std::vector<double>& upper, const std::string& who) {
    if (lower.empty() || lower.size() != upper.size())
        throw std::invalid_argument(who + ": bounds of " + std::to_string(lower.size()) + " and " +
                                    std::to_string(upper.size()) + " parameters");
    for (std::size_t k = 0; k < lower.size(); ++k)
        if (!std::isfinite(lower[k]) || !std::isfinite(upper[k]) || !(lower[k] < upper[k]))
            throw std::invalid_argument(who + ": parameter " + std::to_string(k) + " has bounds [" +
                                        std::to_string(lower[k]) + ", " + std::to_string(upper[k]) +
                                        "] (finite, lower < upper expected)");
}

std::vector<std::string> optimiser_names() { return {"cmaes", "xnes", "de", "sade", "pso"}; }

optimisation minimise(const std::vector<double>& lower, const std::vector<double>& upper,
                      const batch_cost& cost, const optimiser_options& opt) {
    check(lower, upper, opt);
    pagmo::algorithm algo = make_algorithm(opt);
    optimisation out;
    auto ev = std::make_shared<evaluator>();
    ev->cost = &cost;
    ev->lower = lower;
    for (std::size_t k = 0; k < lower.size(); ++k) ev->width.push_back(upper[k] - lower[k]);
    ev->out = &out;
    const pagmo::problem prob(unit_problem{ev, lower.size()});

    // The initial population: uniform in the cube (pagmo's generator, seeded), one batch.
    pagmo::population pop(prob, 0u, opt.seed);
    std::vector<std::vector<double>> first;
    for (int i = 0; i < opt.population; ++i) first.push_back(pop.random_decision_vector());
    for (std::size_t k = 0; k < opt.start.size() && k < lower.size(); ++k)
        if (!std::isnan(opt.start[k])) first[0][k] = (opt.start[k] - lower[k]) / ev->width[k];
    const std::vector<double> c0 = ev->evaluate(first);
    for (std::size_t i = 0; i < first.size(); ++i)
        pop.push_back(first[i], {std::isnan(c0[i]) ? std::numeric_limits<double>::infinity() : c0[i]});

    for (int g = 1; g <= opt.generations; ++g) {
        ev->generation = g;
        // Rehearsal on copies: the candidates this generation will ask for.
        ev->recording = true;
        ev->asked.clear();
        {
            const pagmo::algorithm rehearsal = algo;
            (void)rehearsal.evolve(pop);
        }
        ev->recording = false;
        std::vector<std::vector<double>> fresh;
        for (const auto& u : ev->asked)
            if (!ev->cache.count(u) && std::find(fresh.begin(), fresh.end(), u) == fresh.end())
                fresh.push_back(u);
        if (!fresh.empty()) ev->evaluate(fresh);
        pop = algo.evolve(pop);
    }
    const evaluation& best = best_evaluation(out.history);
    out.best_x = best.x;
    out.best_cost = best.cost;
    return out;
}

} // namespace nms::fit
