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
    std::vector<prepared_stimulus> stimuli;
};

prepared prepare(const batch& b);

// TVB's rule: d = rint((L / v) / dt); no delays when v is infinite or <= 0.
// Delays longer than this many steps are refused (the ring would not fit).
inline constexpr int max_delay_steps = 1 << 24;
// Delay in steps, rounded as TVB does; input_error beyond max_delay_steps.
int delay_steps(double length, double speed, double dt);

// What is wrong with a stimulus of this kind and these properties at this
// dt ("" when nothing): frequencies at or above the Nyquist rate, pulse
// phases shorter than a step, pulses that overlap the next, ...
std::string stimulus_problem(wave kind, const double* props, double dt);

// The stimuli of a batch as a backend sees them (also for analyses that
// need the stimulus of each instance: entrainment, evoked responses).
std::vector<prepared_stimulus> prepare_stimuli(const batch& b);

// The index a stimulus target has in waveform.hpp's target space for this
// model and coupling; input_error naming the known targets.
int stimulus_target(const std::string& target, const model_info& m, const coupling_info& c);

} // namespace nms
