#pragma once

// A small test batch shared by the backend comparisons: `n` instances of
// `model` on the synthetic 8-node connectome with delays (2 mm/ms, dt 0.05
// ms), each node and instance started at a different point inside the state
// variables' ranges (away from the fixed point, so that the dynamics and
// the delayed inputs matter).

#include "nmsweep/engine/batch.hpp"
#include "nmsweep/models/registry.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace nms::test {

inline batch spread_batch(const std::string& model, const std::string& coupling, std::size_t n, long steps,
                          std::uint64_t seed) {
    batch b;
    b.model = model;
    b.coupling = coupling;
    b.net = synthetic_connectome(8, 3);
    b.speed = 2.0;
    b.n_instances = n;
    b.dt = 0.05;
    b.n_steps = steps;
    b.seed = seed;
    const auto& m = find_model(model);
    for (std::size_t v = 0; v < m.states.size(); ++v) {
        std::vector<double> x(8 * n);
        const double lo = m.states[v].lo, hi = m.states[v].hi;
        for (std::size_t k = 0; k < x.size(); ++k)
            x[k] = lo + (hi - lo) * (0.3 + 0.4 * std::fmod(0.618034 * double(k + 7 * v), 1.0));
        b.initial[m.states[v].name] = field::per_node_instance(x);
    }
    return b;
}

} // namespace nms::test
