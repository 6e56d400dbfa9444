#pragma once

// A batch checked and turned into what a backend needs: the full parameter
// table in the model's order, the network as per-target input lists (zero
// weights skipped), integer delays and the ring length.

#include "nmsweep/engine/batch.hpp"
#include "nmsweep/models/registry.hpp"

namespace nms {

struct prepared {
    model_info model;
    coupling_info coupling;
    int np_model = 0, np_coupling = 0, n_all = 0, n_state = 0, n_cvar = 0, n_channels = 0;
    std::vector<std::string> param_names; // "model.A", ..., "coupling.a", ..., "noise.y0", ...
    std::vector<field> params;            // n_all, in kernel order
    std::vector<field> initial;           // n_state
    std::vector<field> history;           // n_state, constant state before t = 0
    std::size_t n_nodes = 0, n_instances = 0;
    // Inputs of node i: edges row_ptr[i] .. row_ptr[i+1]-1.
    std::vector<int> row_ptr, src, delay;
    std::vector<double> weight, length, rowsum;
    bool per_instance_delay = false;
    std::vector<double> speed; // per instance when per_instance_delay
    int max_delay = 0;         // over all edges and instances
    int ring_len = 1;          // power of two >= max_delay + 2
    bool noisy = false;
    std::vector<int> noise_vars;
};

prepared prepare(const batch& b);

// TVB's rule: d = rint((L / v) / dt); no delays when v is infinite or <= 0.
// Delays longer than this many steps are refused (the ring would not fit).
inline constexpr int max_delay_steps = 1 << 24;
// Delay in steps, rounded as TVB does; input_error beyond max_delay_steps.
int delay_steps(double length, double speed, double dt);

} // namespace nms
