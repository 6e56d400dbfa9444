#pragma once

// Helpers for the analysis-reducer tests: read whitespace tables and feed a
// signal to a reducer the way the sweep observer does (obs[node * lanes +
// lane], net = the mean over nodes).

#include "nmsweep/sweep/reducers.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace nms_test {

inline std::vector<std::vector<double>> read_table(const std::string& path) {
    std::ifstream f(path);
    EXPECT_TRUE(f.good()) << path;
    std::vector<std::vector<double>> rows;
    std::string line;
    while (std::getline(f, line)) {
        if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
        std::istringstream is(line);
        std::vector<double> r;
        for (double x; is >> x;) r.push_back(x);
        if (!r.empty()) rows.push_back(std::move(r));
    }
    return rows;
}

// Feeds samples t = 0 .. n_samples-1 of n_inst instances in blocks of
// `lanes` lanes; value(i, t, node) gives instance i's observable.
inline void feed(nms::reducer& r, std::size_t n_inst, int n_nodes, long n_samples, int lanes,
                 const std::function<double(std::size_t, long, int)>& value) {
    r.reset(n_inst, n_nodes);
    std::vector<double> obs(static_cast<std::size_t>(n_nodes) * std::size_t(lanes)),
        net(static_cast<std::size_t>(lanes));
    for (std::size_t first = 0; first < n_inst; first += std::size_t(lanes)) {
        const int valid = int(std::min<std::size_t>(std::size_t(lanes), n_inst - first));
        for (long t = 0; t < n_samples; ++t) {
            std::fill(obs.begin(), obs.end(), 0.0);
            std::fill(net.begin(), net.end(), 0.0);
            for (int l = 0; l < valid; ++l)
                for (int n = 0; n < n_nodes; ++n) {
                    const double x = value(first + std::size_t(l), t, n);
                    obs[std::size_t(n) * std::size_t(lanes) + std::size_t(l)] = x;
                    net[std::size_t(l)] += x / n_nodes; // as sweep_observer
                }
            nms::obs_block b{t + 1, first, lanes, valid, n_nodes, obs.data(), net.data()};
            r.accumulate(b);
        }
    }
}

inline std::size_t output_index(const nms::reducer& r, const std::string& name) {
    const auto outs = r.outputs();
    for (std::size_t k = 0; k < outs.size(); ++k)
        if (outs[k].name == name) return k;
    ADD_FAILURE() << "no output " << name;
    return 0;
}

inline std::vector<double> result_of(const nms::reducer& r, const std::string& name, std::size_t i) {
    const std::size_t k = output_index(r, name);
    const auto outs = r.outputs();
    std::size_t m = 1;
    for (auto e : outs[k].extra_sizes) m *= e;
    std::vector<double> out(m);
    r.result(k, i, out.data());
    return out;
}

} // namespace nms_test
