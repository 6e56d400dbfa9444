#pragma once

// Weighted posterior samples in a result file (ABC-SMC particles of
// `nmsweep fit`, the points of a sampler run in `nmsweep infer`): the samples,
// and per parameter a weighted histogram and an equal-tailed interval.

#include "nmsweep/io/h5_result.hpp"

#include <string>
#include <vector>

namespace nms {

struct weighted_samples {
    std::vector<std::string> names;          // parameters
    std::vector<std::vector<double>> values; // [sample][parameter]
    std::vector<double> weights;             // [sample], summing to 1
    std::vector<double> lower, upper;        // each parameter's range (the prior's box)
};

// posterior/samples [sample, parameter] (attribute names), sample_weight
// [sample], and per parameter
// posterior/<name>_marginal (density in `bins` bins over its range, the bin
// centres as coordinates) and <name>_interval (lower, upper, mean) at
// `level`. Prints each interval unless quiet.
void write_weighted_samples(h5::result_writer& w, const weighted_samples& s, double level, bool quiet,
                            std::size_t bins = 40);

} // namespace nms
