#pragma once

// A time-varying input of a batch (the spec's [[stimulus]]): a waveform
// (waveform.hpp), its properties, a target and a spatial pattern. Several
// stimuli are summed. Any property may vary over instances through the
// batch's params ("stimulus.<name>.<property>", per instance).

#include "nmsweep/stimulus/waveform.hpp"

#include <array>
#include <limits>
#include <string>
#include <vector>

namespace nms {

constexpr int max_stimuli = 8;

struct stimulus {
    std::string name = "stim";
    wave kind = wave::pulse_train;
    // "coupling_input" (the input of the first coupling variable, the one
    // the models read; "coupling_input.<var>" names one), a state variable
    // (its derivative), or "model.<p>" / "coupling.<p>" (the parameter,
    // offset at each step's start).
    std::string target = "coupling_input";
    std::vector<double> weight; // per node; empty: 1 on every node
    std::array<double, n_wave_props> props = default_props();
    std::vector<double> samples, knot_t, knot_v; // sampled / piecewise shapes
    double sample_dt = 0;                        // ms between samples

    static std::array<double, n_wave_props> default_props() {
        std::array<double, n_wave_props> p{};
        p[wp_amplitude] = 1;
        p[wp_stop] = std::numeric_limits<double>::infinity();
        p[wp_ratio] = 1;
        p[wp_center] = std::numeric_limits<double>::quiet_NaN(); // gaussian: onset + 4 width
        return p;
    }
};

// A stimulus prepared for a backend: its target in the index space of
// waveform.hpp, per-node weights and its properties per instance.
struct prepared_stimulus {
    wave kind = wave::pulse_train;
    int target = 0;
    std::vector<double> weight;           // [node]
    std::vector<double> props;            // [prop * n_instances + instance]
    std::vector<double> shape_t, shape_v; // wave_shape's arrays
    double sample_dt = 0;
};

// The property of stimulus `s` for instance i of n (props laid out as above).
inline const double* stimulus_props(const prepared_stimulus& s, std::size_t i, std::size_t n, double* out) {
    for (int q = 0; q < n_wave_props; ++q) out[q] = s.props[std::size_t(q) * n + i];
    return out;
}

inline wave_shape shape_of(const prepared_stimulus& s) {
    wave_shape w;
    w.t = s.shape_t.empty() ? nullptr : s.shape_t.data();
    w.v = s.shape_v.empty() ? nullptr : s.shape_v.data();
    w.n = int(s.shape_v.size());
    w.sample_dt = s.sample_dt;
    return w;
}

} // namespace nms
