#pragma once

// Streaming reducers: they see the observable of every instance after each
// sampled step (after the transient) and keep only per-instance summaries,
// so memory does not grow with the duration. The sweep observer computes
// the observable once per block sample and hands it to every reducer;
// reducers touch only the instances of the block they are given, so blocks
// on different threads never share state.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace nms {

// One output array of a reducer: per grid point, [extra dims...].
struct reducer_output {
    std::string name;                      // e.g. "features/mean"
    std::vector<std::string> extra_dims;   // e.g. {"node"}; empty for network-level
    std::vector<std::size_t> extra_sizes;
    std::vector<std::vector<double>> extra_scales;  // values for non-node extra dims (may be empty)
    std::string units, description;
};

// A view of the observable of one block at one sampled step:
// obs[node * lanes + lane] and the network mean net[lane].
struct obs_block {
    long step;
    std::size_t first;  // index of lane 0 within the batch
    int lanes, n_valid, n_nodes;
    const double* obs;
    const double* net;
};

class reducer {
public:
    virtual ~reducer() = default;
    // Called once per batch before any sample: sizes its state for n instances.
    virtual void reset(std::size_t n_instances, int n_nodes) = 0;
    virtual void accumulate(const obs_block& b) = 0;
    virtual std::vector<reducer_output> outputs() const = 0;
    // Results of output k for instance i of the batch: extra-size values.
    virtual void result(std::size_t k, std::size_t i, double* out) const = 0;
};

// mean, std, min, max of the observable per node and of the network mean,
// over the samples after the transient. `features` picks a subset of
// {"mean","std","min","max"}.
std::unique_ptr<reducer> make_moments_reducer(const std::vector<std::string>& features, const std::string& units);

} // namespace nms
