#pragma once

// `nmsweep fit SPEC`: the spec's free parameters ([[fit.parameter]], within
// bounds) that minimise a weighted sum of distances between the run's
// features and target data ([[fit.target]]), by a pagmo2 optimiser whose
// every generation runs as one batch of instances (fit/optimiser.hpp,
// batch_runner.hpp). Every evaluated candidate, its cost and each target's
// part are stored in HDF5; the best parameters as [[sweep]] tables that fix
// them, to append to the spec.

#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace nms {

struct sweep_request;

struct fit_parameter {
    std::string name; // a sweepable name: model.<p>, coupling.<p>, model.<p>[k], network.speed, ...
    double lower = 0, upper = 0;
    // Per region a + b * map[k] (`map` a file of one value per region, in the
    // connectome's order): two free values, a within [lower, upper] and b
    // within `slope`; the region values are not clipped.
    std::vector<double> map;
    std::string map_file;
    std::array<double, 2> slope{0, 0};
    double start = NAN; // given: a member of the initial population (within bounds)
};

// One target: its cost compares the candidate's `feature` (a result dataset,
// per point) with `values` (rows x cols, from `file` or given inline).
//   fc_correlation  1 - Pearson r of the strict upper triangles (N x N)
//   fc_rmse         RMS difference of the strict upper triangles
//   fcd_ks          KS distance of the FCD's upper-triangle values (feature
//                   features/fcd, [output.fc] fcd_matrix = true) and the
//                   target's (a square FCD: its upper triangle; else all values)
//   log_psd         RMS of log10(sim / target) over `band` (Hz); target rows
//                   (frequency, power), interpolated onto the simulated bins;
//                   a per-node PSD is averaged over nodes first
//   squared_error   mean squared difference, same number of values
struct fit_target {
    std::string cost;
    std::string feature;
    std::string file;    // resolved; "" when inline
    std::string dataset; // of an HDF5 file (e.g. another run's features/fc)
    std::size_t rows = 0, cols = 0;
    std::vector<double> values; // row-major
    double weight = 1;
    std::array<double, 2> band{0, INFINITY};
    std::string where; // "FILE:LINE" for messages
};

// [fit]
struct fit_spec {
    bool given = false;
    std::string algorithm = "cmaes";
    long generations = 30;
    long population = 16;
    long seed = 1;
    double sigma0 = 0.3;
    long repeats = 1;  // noise seeds per candidate (noise.seed + 0 .. repeats-1): cost mean and spread
    long restarts = 1; // independent runs of the optimiser, seeds seed, seed + 1, ...
    // algorithm = "abc-smc" (fit/abc_smc.hpp): the cost is the ABC distance,
    // `population` particles, `generations` after the prior's.
    double quantile = 0.5;        // each tolerance: this quantile of the last distances
    double min_acceptance = 0.02; // below it a generation is abandoned and the run ends
    double epsilon = 0;           // stop once the tolerance reaches it
    double level = 0.9;           // credible intervals of the posterior
    std::vector<fit_parameter> parameters;
    std::vector<fit_target> targets;
};

// Throws input_error on bad input (before anything is written).
void run_fit(const sweep_request& r);

} // namespace nms
