#pragma once

// The observation models of a run ([output.bold], [[output.sensors]]):
// their reducers, the observable that drives each (the [output] observable,
// or its own expression: a channel of the sweep observer), what they write
// once into the result file (gains, sensor positions and labels, BOLD
// constants), and their per-batch settings (measurement-noise offsets, swept
// BOLD constants). The driver treats their reducers like its own.

#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/plan.hpp"

#include <memory>
#include <utility>
#include <vector>

namespace nms {

class observations {
  public:
    // Builds the reducers; throws input_error naming the spec's key.
    observations(const sweep_spec& s, const connectome& net);

    // Moves the reducers to the end of `out` (call once, before using the rest).
    void take_reducers(std::vector<std::unique_ptr<reducer>>& out);
    // False for a reducer of ours driven by its own observable (a channel).
    bool on_observable(const reducer* r) const;
    // The channels: coefficients (as sweep_spec::observable_coef) and the reducers they feed.
    std::vector<std::pair<std::vector<double>, std::vector<reducer*>>> channels() const;
    // Gains, sensor positions and labels, BOLD constants: once, in a new file,
    // after the reducers' datasets exist.
    void write_static(h5::result_writer& w) const;
    // After every reducer's reset(count) for instances first .. first+count-1.
    void prepare_batch(std::size_t first, std::size_t count) const;

  private:
    struct entry {
        reducer* r;
        std::vector<double> coef;
        bool main; // coef is the [output] observable's
    };
    const sweep_spec& s_;
    std::vector<std::unique_ptr<reducer>> owned_;
    std::vector<entry> entries_;
    reducer* bold_ = nullptr;
    std::vector<observe::projected_reducer*> projected_;
    std::vector<sensor_model> models_;
};

} // namespace nms
