#pragma once

// `nmsweep infer RESULT.h5`: the posterior over the points of a finished
// sweep or sampler run given observed summaries (fit/inference.hpp): the
// likelihood of each point is the synthetic likelihood of its replicates
// (an axis over noise seeds: Wood 2010) or a Gaussian noise model with given
// sigmas; the posterior over the other axes, its marginals and credible
// intervals, and the log evidence that compares two runs (two models,
// connectomes or hypotheses) by their Bayes factor.

#include <string>
#include <vector>

namespace nms {

struct infer_request {
    std::string result;               // a complete result file
    std::string output;               // "" : RESULT's stem + ".infer.h5"
    std::vector<std::string> targets; // "FEATURE=FILE" or "FEATURE=v1,v2,..." (values per point of FEATURE)
    std::string targets_file;         // more of them, one per line ('#' comments)
    std::vector<std::string>
        sigmas;             // "FEATURE=s": a Gaussian noise model instead of the synthetic likelihood
    std::string replicates; // the axis of noise seeds ("" : "noise.seed" when the file has it)
    double shrinkage = 0.0; // of the synthetic likelihood's covariance towards its diagonal
    double level = 0.9;     // credible intervals
    bool overwrite = false, quiet = false;
};

// Throws input_error on bad input (nothing written).
void run_infer(const infer_request& r);

} // namespace nms
