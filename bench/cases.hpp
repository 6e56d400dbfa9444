#pragma once

// The named benchmark cases of issue #7, shared by bench_cpu and bench_gpu
// (`--case NAME`). Each fixes model, coupling, connectome, dt, steps, the
// number of instances (the points of a 2-D parameter grid) and the noise,
// so that one command reproduces one row of bench/RESULTS.md.
//
//   jr76         Jansen-Rit, sigmoidal coupling, 76 nodes with delays, stochastic
//                Heun (noise on y4), grid coupling.a x model.mu, float
//   wc80         Wilson-Cowan, linear coupling on E and I, 80 nodes, stochastic
//                Heun (noise on E, I), grid coupling.a x model.P, float
//   epileptor76  Epileptor, difference coupling, 76 nodes, dt 0.05 ms over a long
//                horizon (z moves on seconds), double as the README recommends,
//                noise on x2, y2, grid model.x0 x model.Ks
//   kuramoto998  Kuramoto, 998 nodes (sparse), row-normalised weights, stochastic
//                Heun (noise on theta), grid coupling.a x model.omega, float
//   mpr76        Montbrio-Pazo-Roxin, linear coupling, 76 nodes, stochastic Heun
//                (noise on r, V), grid coupling.a x model.eta, float
//
// Connectome: the file given with --connectome (a TVB zip, e.g.
// ../shared/data/tvb/connectivity_76.zip or connectivity_998.zip), else the
// built-in synthetic one with the case's node count. Weights are normalised
// to a maximum of 1 (Kuramoto: each row sums to 1) so that the grid ranges
// mean the same on either. Speed 4 mm/ms everywhere (TVB's default is 3;
// 4 is what the earlier benchmarks used).

#include "nmsweep/engine/batch.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace nms_bench {

struct named_case {
    std::string name;
    std::string title; // one line: what is integrated
    std::string axes;  // the grid, for the printout
    nms::batch b;
    bool dbl = false;
};

inline const char* case_names() { return "jr76|wc80|epileptor76|kuramoto998|mpr76"; }

// instances / steps <= 0: the case's default for the backend (gpu: more
// instances, so that a device is filled; cpu: each case ~10-30 s on 2 cores).
inline named_case make_case(const std::string& name, const std::string& connectome, long instances,
                            long steps, bool gpu) {
    named_case c;
    c.name = name;
    nms::batch& b = c.b;
    b.speed = 4.0;
    b.seed = 1;
    b.method = nms::scheme::heun;
    std::string conn, ax1, ax2;
    double lo1 = 0, hi1 = 0, lo2 = 0, hi2 = 0;
    long def_inst = 0, def_steps = 0;
    nms::weight_norm norm = nms::weight_norm::max;
    if (name == "jr76") {
        b.model = "jansen_rit";
        b.coupling = "sigmoidal_jansen_rit";
        b.dt = 0.1;
        conn = "synthetic:76";
        b.params["noise.y4"] = nms::field::scalar(1e-3);
        ax1 = "coupling.a", lo1 = 0.0, hi1 = 2.0;
        ax2 = "model.mu", lo2 = 0.05, hi2 = 0.35;
        def_inst = gpu ? 65536 : 1024, def_steps = 10000; // 1 s of model time
        c.title = "Jansen-Rit + sigmoidal coupling, delays at 4 mm/ms, stochastic Heun (noise on y4), dt 0.1 "
                  "ms, float";
    } else if (name == "wc80") {
        b.model = "wilson_cowan";
        b.coupling = "linear";
        b.dt = 0.1;
        conn = "synthetic:80";
        b.params["noise.E"] = nms::field::scalar(1e-3);
        b.params["noise.I"] = nms::field::scalar(1e-3);
        ax1 = "coupling.a", lo1 = 0.0, hi1 = 0.5;
        ax2 = "model.P", lo2 = 0.0, hi2 = 2.0;
        def_inst = gpu ? 65536 : 1024, def_steps = 10000;
        c.title =
            "Wilson-Cowan (TVB defaults) + linear coupling on E and I, delays at 4 mm/ms, stochastic Heun "
            "(noise on E, I), dt 0.1 ms, float";
    } else if (name == "epileptor76") {
        b.model = "epileptor";
        b.coupling = "difference";
        b.dt = 0.05;
        conn = "synthetic:76";
        // TVB's Epileptor demos: additive noise on the second population.
        b.params["noise.x2"] = nms::field::scalar(0.025);
        b.params["noise.y2"] = nms::field::scalar(0.025);
        ax1 = "model.x0", lo1 = -2.4, hi1 = -1.6;
        ax2 = "model.Ks", lo2 = 0.0, hi2 = -2.0;
        // 10 s of model time on the CPU (seizures recur every few seconds at
        // x0 = -1.6); 2 s on a GPU, so that the device check stays short.
        def_inst = gpu ? 16384 : 32, def_steps = gpu ? 40000 : 200000;
        c.title = "Epileptor + difference coupling, delays at 4 mm/ms, stochastic Heun (noise on x2, y2), "
                  "dt 0.05 ms, double";
        c.dbl = true;
    } else if (name == "kuramoto998") {
        b.model = "kuramoto";
        b.coupling = "kuramoto";
        b.dt = 0.1;
        conn = "synthetic:998";
        norm = nms::weight_norm::row_sum;
        b.params["noise.theta"] = nms::field::scalar(0.02);
        ax1 = "coupling.a", lo1 = 0.0, hi1 = 0.05;
        ax2 = "model.omega", lo2 = 0.0314, hi2 = 0.0628; // 5 .. 10 Hz
        def_inst = gpu ? 8192 : 64, def_steps = 2000;
        c.title =
            "Kuramoto + Kuramoto coupling (sin/cos in the ring), row-normalised weights, delays at 4 mm/ms, "
            "stochastic Heun (noise on theta), dt 0.1 ms, float";
    } else if (name == "mpr76") {
        b.model = "montbrio_pazo_roxin";
        b.coupling = "linear";
        b.dt = 0.1;
        conn = "synthetic:76";
        b.params["noise.r"] = nms::field::scalar(1e-3);
        b.params["noise.V"] = nms::field::scalar(1e-3);
        ax1 = "coupling.a", lo1 = 0.0, hi1 = 0.05; // no instance diverges on TVB's 76 regions
        ax2 = "model.eta", lo2 = -6.0, hi2 = -4.0;
        def_inst = gpu ? 65536 : 1024, def_steps = 10000;
        c.title =
            "Montbrio-Pazo-Roxin + linear coupling, delays at 4 mm/ms, stochastic Heun (noise on r, V), "
            "dt 0.1 ms, float";
    } else {
        throw std::invalid_argument("unknown case '" + name + "' (expected " + case_names() + ")");
    }
    if (!connectome.empty()) conn = connectome;
    b.net = nms::load_connectome(conn);
    nms::normalise(b.net, norm);
    b.n_instances = std::size_t(instances > 0 ? instances : def_inst);
    b.n_steps = steps > 0 ? steps : def_steps;
    // Random initial phases for Kuramoto (per node, the same for every instance).
    if (b.model == "kuramoto") {
        std::vector<double> th(b.net.n);
        for (std::size_t i = 0; i < b.net.n; ++i) th[i] = std::fmod(2.399963229728653 * double(i), 2 * M_PI);
        b.initial["theta"] = nms::field::per_node(th);
    }
    // The grid: n1 x n2 = N points, n2 the largest divisor of N not above
    // sqrt(N) (32 -> 8 x 4, 1024 -> 32 x 32); point i = (i / n2, i % n2).
    const std::size_t N = b.n_instances;
    std::size_t n2 = std::size_t(std::sqrt(double(N)));
    while (n2 > 1 && N % n2 != 0) --n2;
    n2 = std::max<std::size_t>(n2, 1);
    const std::size_t n1 = (N + n2 - 1) / n2;
    std::vector<double> v1(N), v2(N);
    auto lin = [](double lo, double hi, std::size_t k, std::size_t n) {
        return n > 1 ? lo + (hi - lo) * double(k) / double(n - 1) : lo;
    };
    for (std::size_t i = 0; i < N; ++i) {
        v1[i] = lin(lo1, hi1, i / n2, n1);
        v2[i] = lin(lo2, hi2, i % n2, n2);
    }
    b.params[ax1] = nms::field::per_instance(v1);
    b.params[ax2] = nms::field::per_instance(v2);
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s [%g, %g] x %zu  x  %s [%g, %g] x %zu", ax1.c_str(), lo1, hi1, n1,
                  ax2.c_str(), lo2, hi2, n2);
    c.axes = buf;
    return c;
}

} // namespace nms_bench
