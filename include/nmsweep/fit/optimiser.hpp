#pragma once

// Global minimisation of a cost over a box, with pagmo2's algorithms, where
// every generation is evaluated as ONE batch: the caller's cost function
// receives all of a generation's candidates at once (so that a simulation
// backend integrates them side by side, one instance each).
//
// pagmo 2.18 (Debian 12) calls fitness() one candidate at a time, and only a
// few of its algorithms take a batch evaluator. The driver therefore steps
// the algorithm one generation at a time and first runs that generation on
// a copy of the algorithm and population whose problem only records the
// candidates it is asked for; those are evaluated as one batch, and the real
// generation is then run against a cache of the results. The candidates of
// a generation of CMA-ES, xNES, DE, SaDE and generational PSO are drawn
// before any of them is evaluated, so the copy asks for exactly the same
// points; any point the cache lacks (an algorithm whose draws depend on
// fitnesses within a generation) is evaluated on its own, which costs time,
// never correctness (`cache_misses` counts them).
//
// The search runs in the unit cube (each parameter scaled to its bounds), so
// step sizes are fractions of the range. Costs that are NaN (a diverged
// candidate) are ranked worst (+infinity) and kept as NaN in the history.
// Results are a deterministic function of the options and the costs.

#include <functional>
#include <string>
#include <vector>

namespace nms::fit {

// Costs of candidates xs (each of the box's dimension, in its units).
using batch_cost = std::function<std::vector<double>(const std::vector<std::vector<double>>& xs)>;

struct optimiser_options {
    std::string algorithm = "cmaes"; // optimiser_names()
    int generations = 50;            // after the initial population
    int population = 16;             // candidates per generation
    unsigned seed = 1;
    double sigma0 = 0.3; // cmaes, xnes: initial step, as a fraction of each range
    // Where given (finite, within the bounds), the first candidate of the
    // initial population takes these values instead of random ones; empty or
    // NaN: random.
    std::vector<double> start;
};

struct evaluation {
    std::vector<double> x;
    double cost = 0;
    int generation = 0; // 0: the initial population
};

struct optimisation {
    std::vector<evaluation> history; // every evaluated candidate, in order
    std::vector<double> best_x;
    double best_cost = 0;
    int batches = 0;      // calls of the batch cost
    int cache_misses = 0; // candidates evaluated alone (see above)
};

// Throws std::invalid_argument for an unknown algorithm, bounds with
// lower >= upper or non-finite, an empty box, or a population below the
// algorithm's minimum; and when the cost returns the wrong number of values.
optimisation minimise(const std::vector<double>& lower, const std::vector<double>& upper,
                      const batch_cost& cost, const optimiser_options& opt);

// The evaluation of least cost (NaN ranks last); history non-empty.
const evaluation& best_evaluation(const std::vector<evaluation>& history);

// std::invalid_argument ("WHO: ...") unless lower and upper are a box: the
// same non-zero size, finite, lower < upper.
void check_box(const std::vector<double>& lower, const std::vector<double>& upper, const std::string& who);

// "cmaes", "xnes", "de", "sade", "pso": the algorithms minimise() knows.
std::vector<std::string> optimiser_names();

} // namespace nms::fit
