#pragma once

// Many runs of one spec at parameter points given as numbers, results kept in
// memory (the Python package's batch call: a simulator for inference, an
// optimiser's generations). The spec is read, its network loaded and its
// reducers built once; each call runs its points as a spec run with those
// points as its grid would: point i of a call is grid point i (its noise
// stream included), so the results equal a result file's, value for value.

#include "nmsweep/sweep/driver.hpp"

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nms {

// One per-point output of a call: [n][shape...] values.
struct batch_output {
    std::string name;                        // as in a result file: "features/mean", "spectra/psd", ...
    std::vector<std::string> dims;           // the dims after the point's ("node", "frequency", ...)
    std::vector<std::size_t> shape;          // their sizes
    std::vector<std::vector<double>> scales; // coordinates of non-node dims (e.g. frequencies), may be empty
    bool integer = false;                    // a result file stores it as int64
    std::vector<double> data;
};

class batch_runner {
  public:
    // r: the spec (spec_path or spec_text), backend, precision, threads,
    // batch_size. params: the sweepable names each point sets (model.<p>,
    // coupling.<p>, model.<p>[k], network.speed, integrator.noise.sigma,
    // noise.<var>, noise.seed, bold.<c>). The spec's own grid is replaced
    // (its [[sweep]] and [sampler]); ez and lesion axes and random initial
    // sets are refused. Throws input_error.
    batch_runner(const sweep_request& r, const std::vector<std::string>& params);
    ~batch_runner();
    batch_runner(const batch_runner&) = delete;
    batch_runner& operator=(const batch_runner&) = delete;

    const std::vector<std::string>& params() const;
    std::size_t n_nodes() const;
    const std::vector<std::string>& node_labels() const;
    const std::string& backend() const;
    const std::string& precision() const;

    // theta: n rows of params().size() values (row-major). Returns every
    // per-point output and "status/diverged_step" (-1: did not diverge).
    // Throws input_error for a non-finite value or a bad seed (naming the
    // row and parameter), interrupted when *stop is set during the run.
    std::vector<batch_output> run(const double* theta, std::size_t n, const std::atomic<int>* stop = nullptr,
                                  const std::function<void(std::size_t, std::size_t)>& on_progress = {});

  private:
    struct impl;
    std::unique_ptr<impl> p_;
};

} // namespace nms
