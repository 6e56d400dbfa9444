#pragma once

// A small dense network for the stability and control tests: every pair
// connected, random weights (0.1..1) and tract lengths (20..150 mm).

#include "nmsweep/network/connectome.hpp"

#include <random>

namespace nms::test {

inline connectome dense_net(int n, unsigned seed) {
    std::mt19937 g(seed);
    std::uniform_real_distribution<double> w(0.1, 1.0), len(20, 150);
    connectome c;
    c.n = std::size_t(n);
    c.weights.assign(c.n * c.n, 0.0);
    c.tract_lengths.assign(c.n * c.n, 0.0);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            if (i != j) {
                c.weights[std::size_t(i * n + j)] = w(g);
                c.tract_lengths[std::size_t(i * n + j)] = len(g);
            }
    return c;
}

} // namespace nms::test
