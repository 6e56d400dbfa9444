// CPU throughput of the engine core, in node-steps/s (instances x nodes x
// steps / s). Default case (issue #2): Jansen-Rit on TVB's 76-region
// connectome (or the built-in synthetic one when no file is given), delays
// at 4 mm/ms, stochastic Heun with noise on y4, dt 0.1 ms, 1024 instances,
// float, 1 and 2 threads.
//
//   bench_cpu [--connectome PATH|synthetic:N] [--instances N] [--steps N]
//             [--threads LIST] [--model M] [--coupling C] [--double] [--speed MM_PER_MS]

#include "nmsweep/engine/batch.hpp"
#include "nmsweep/engine/prepared.hpp"

#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    std::string conn = "synthetic:76", model = "jansen_rit", coupling = "sigmoidal_jansen_rit", noise_var = "y4";
    std::size_t instances = 1024;
    long steps = 2000;
    bool dbl = false;
    double speed = 4.0;
    std::string threads = "1,2";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--connectome") conn = next();
        else if (a == "--instances") instances = std::stoul(next());
        else if (a == "--steps") steps = std::stol(next());
        else if (a == "--threads") threads = next();
        else if (a == "--model") model = next();
        else if (a == "--coupling") coupling = next();
        else if (a == "--noise-var") noise_var = next();
        else if (a == "--double") dbl = true;
        else if (a == "--speed") speed = std::stod(next());
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    nms::batch b;
    b.model = model;
    b.coupling = coupling;
    b.net = nms::load_connectome(conn);
    b.speed = speed;
    b.dt = 0.1;
    b.n_steps = steps;
    b.n_instances = instances;
    b.seed = 1;
    if (!noise_var.empty() && noise_var != "none") b.params["noise." + noise_var] = nms::field::scalar(1e-3);
    // A sweep-like spread of the input, so that instances differ.
    if (model == "jansen_rit") {
        std::vector<double> mu(instances);
        for (std::size_t i = 0; i < instances; ++i) mu[i] = 0.1 + 0.2 * double(i) / double(instances);
        b.params["model.mu"] = nms::field::per_instance(mu);
    }
    const nms::prepared P = nms::prepare(b);
    std::printf("case: %s + %s, %zu nodes, %zu edges (%.1f inputs/node), max delay %d steps, ring %d, %s, %zu instances, %ld steps\n",
                model.c_str(), coupling.c_str(), P.n_nodes, P.src.size(), double(P.src.size()) / double(P.n_nodes),
                P.max_delay, P.ring_len, dbl ? "double" : "float", instances, steps);
    std::printf("connectome: %s\n", b.net.source.c_str());
    std::stringstream ts(threads);
    std::string tok;
    while (std::getline(ts, tok, ',')) {
        nms::run_options opt;
        opt.threads = std::stoi(tok);
        nms::run_result r = dbl ? nms::run_cpu<double>(b, opt) : nms::run_cpu<float>(b, opt);
        std::printf("threads %2d  lanes %2d  wall %8.3f s  node-steps/s %.3e  per thread %.3e\n", r.threads, r.lanes,
                    r.wall_seconds, r.node_steps_per_second, r.node_steps_per_second / r.threads);
    }
    return 0;
}
