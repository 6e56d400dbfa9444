#pragma once

// Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC,
// population Monte Carlo: Toni et al. 2009, J R Soc Interface 6:187;
// Beaumont et al. 2009, Biometrika 96:983), for posteriors over more free
// parameters than a grid can cover. The prior is uniform over a box. Each
// generation's tolerance is a quantile of the previous population's
// distances (Del Moral et al. 2012); its candidates are drawn from the
// previous particles by weight and moved by a Gaussian kernel of twice their
// weighted covariance, redrawn whole (particle and move) until inside the
// box; a candidate whose distance is within the tolerance is accepted with
// weight prior / sum_j w_j K(theta | theta_j). Candidates are proposed N at a
// time and each such set is ONE batch of the cost, like the optimiser's
// generations. A generation that cannot accept N particles within
// N / min_acceptance proposals is abandoned and the previous one returned.
// NaN distances (diverged candidates) are never accepted. Deterministic in
// the options and the distances.

#include "nmsweep/fit/optimiser.hpp"

#include <string>
#include <vector>

namespace nms::fit {

struct abc_options {
    int population = 200; // particles N
    int generations = 10; // after generation 0 (N draws from the prior, all accepted)
    unsigned seed = 1;
    double quantile = 0.5; // the next tolerance: this quantile of the particles' distances
    double min_acceptance = 0.02;
    double epsilon = 0; // stop once the tolerance reaches it (0: run every generation)
};

struct abc_posterior {
    std::vector<evaluation> history;            // every candidate evaluated, in order
    std::vector<std::vector<double>> particles; // the last generation, in box units
    std::vector<double> weights;                // summing to 1
    std::vector<double> distances;
    std::vector<double> epsilon;    // per generation (generation 0: +inf)
    std::vector<double> acceptance; // accepted / proposed, per generation
    int batches = 0;
    double ess = 0;      // 1 / sum w^2 of the last generation
    std::string stopped; // why it ended
};

// std::invalid_argument for bad bounds or options, when the cost returns the
// wrong number of values, or when no prior draw has a finite distance.
abc_posterior abc_smc(const std::vector<double>& lower, const std::vector<double>& upper,
                      const batch_cost& distance, const abc_options& opt);

} // namespace nms::fit
