#pragma once

// The plan of a run from a parsed spec (src/sweep/plan.cpp): the checks that
// need the network, the grid, the initial-condition sets, the batches of
// instances the backends run, and the cost estimate `check` prints.

#include "nmsweep/sweep/spec.hpp"

namespace nms {

// The checks that need the network (per-node array lengths, region labels,
// the initial-condition file's row count), then check_batch on instance 0.
void validate_with_network(const sweep_spec& s, const connectome& net);

// Loads and normalises the spec's connectome.
connectome load_network(const sweep_spec& s);

std::size_t n_points(const sweep_spec& s);
std::vector<std::size_t> grid_shape(const sweep_spec& s);
long n_steps(const sweep_spec& s);         // round(duration / dt)
long transient_steps(const sweep_spec& s); // round(transient / dt)

// Number of initial-condition sets (the range of the "initial" name).
std::size_t n_initial_sets(const sweep_spec& s);
// The initial-condition sets, each complete (every state variable), as
// scalar or per_node fields. Random sets are a Latin hypercube in each
// variable's box; a model with a rest curve given random = { n } alone
// starts instead on that curve at each point's parameters (make_batch).
std::vector<std::map<std::string, field>> initial_sets(const sweep_spec& s, const connectome& net);

// Grid point -> index along each axis (C order).
std::vector<std::size_t> grid_index(const sweep_spec& s, std::size_t point);

// Instances first .. first+count-1 of the grid. A batch shares one network:
// with a lesion axis its instances must share one lesion (std::logic_error
// otherwise; batch_end finds where a batch must end).
batch make_batch(const sweep_spec& s, const connectome& net, std::size_t first, std::size_t count);

// The network grid point `point` runs on: its lesion value (0 without a
// lesion axis).
std::size_t network_index(const sweep_spec& s, std::size_t point);
// The end of a batch from `first` of at most `limit` points (first + limit
// at most n_points): before the first point on another network.
std::size_t batch_end(const sweep_spec& s, std::size_t first, std::size_t limit);

// The sensors and gain of one [[output.sensors]] table for this network (read
// or computed, then re-referenced). Throws input_error "FILE:LINE:
// [output.sensors] KEY: message".
struct sensor_model {
    observe::sensor_set sensors; // empty when the gain came from a file without a sensor file
    observe::gain_matrix gain;
};
sensor_model make_sensor_model(const sweep_spec& s, const sensor_spec& m, const connectome& net);

// The BOLD constants of instances first .. first+count-1 when a bold.<c>
// constant is swept; empty otherwise (every instance has [output.bold]'s).
std::vector<observe::bold_constants> bold_instance_constants(const sweep_spec& s, std::size_t first,
                                                             std::size_t count);

// Rough memory and work of a run, for a float32 run (real_size = 4): the
// engine's delay ring, state and stage buffers and per-instance parameters
// per instance (the reducers' memory: reducer::bytes_per_instance; the
// whole run's: estimate_peak_memory in driver.hpp).
struct estimate {
    double bytes_per_instance = 0;
    double total_bytes = 0;
    double node_steps = 0; // instances x nodes x steps
};
estimate estimate_cost(const sweep_spec& s, const connectome& net, std::size_t real_size = 4);

} // namespace nms
