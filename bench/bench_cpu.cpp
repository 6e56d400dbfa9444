// CPU throughput of the engine core, in node-steps/s (instances x nodes x
// steps / s). Default case (issue #2): Jansen-Rit on TVB's 76-region
// connectome (or the built-in synthetic one when no file is given), delays
// at 4 mm/ms, stochastic Heun with noise on y4, dt 0.1 ms, 1024 instances,
// float, 1 and 2 threads.
//
//   bench_cpu [--connectome PATH|synthetic:N] [--instances N] [--steps N]
//             [--threads LIST] [--model M] [--coupling C] [--double] [--speed MM_PER_MS]
//
// Named cases of issue #7 (bench/cases.hpp; bench/run_cases.sh runs them all):
//
//   bench_cpu --case jr76|wc80|epileptor76|kuramoto998|mpr76 [--connectome PATH]
//             [--instances N] [--steps N] [--threads LIST (default: all cores)]
//             [--stimulus pulse_train|sine (on every node)]
//
// Each run prints one "result" line with case, backend, threads, lanes,
// precision, instances, nodes, steps, wall time, node-steps/s, peak resident
// memory of the process so far (getrusage ru_maxrss) and the 1-minute load
// average at the start (another job on the machine lowers the numbers).

#include "nmsweep/engine/batch.hpp"
#include "nmsweep/engine/prepared.hpp"

#include "cases.hpp"

#include <omp.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

double load1() {
    std::ifstream f("/proc/loadavg");
    double l = -1;
    f >> l;
    return l;
}

double peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0; // Linux: KiB
}

// --stimulus KIND: a stimulus on every node (the cost of stimuli, issue
// #16): pulse_train = DBS-like biphasic 130 Hz pulses on the coupling input,
// sine = a 10 Hz sine on it.
void add_stimulus(nms::batch& b, const std::string& kind) {
    if (kind.empty()) return;
    nms::stimulus s;
    s.name = "bench";
    s.target = "coupling_input";
    if (kind == "pulse_train") {
        s.kind = nms::wave::pulse_train;
        s.props[nms::wp_frequency] = 130;
        s.props[nms::wp_width] = 0.1;
        s.props[nms::wp_biphasic] = 1;
        s.props[nms::wp_amplitude] = 0.05;
    } else if (kind == "sine") {
        s.kind = nms::wave::sine;
        s.props[nms::wp_frequency] = 10;
        s.props[nms::wp_amplitude] = 0.05;
    } else {
        throw std::invalid_argument("--stimulus: pulse_train or sine, not " + kind);
    }
    b.stimuli.push_back(s);
}

int run_case(const std::string& name, const std::string& conn, long instances, long steps,
             std::string threads, const std::string& stim) {
    nms_bench::named_case c = nms_bench::make_case(name, conn, instances, steps, false);
    add_stimulus(c.b, stim);
    const nms::prepared P = nms::prepare(c.b);
    const int lanes = 64 / (c.dbl ? 8 : 4);
    const double ring_mib =
        double(P.ring_len) * P.n_channels * double(P.n_nodes) * lanes * (c.dbl ? 8 : 4) / 1048576.0;
    std::printf("case %s: %s\n", name.c_str(), c.title.c_str());
    std::printf("grid: %s = %zu instances\n", c.axes.c_str(), c.b.n_instances);
    std::printf(
        "connectome: %s, %zu nodes, %zu edges (%.1f inputs/node), max delay %d steps, ring %d slots x %d "
        "channels = %.2f MiB per block of %d lanes\n",
        c.b.net.source.c_str(), P.n_nodes, P.src.size(), double(P.src.size()) / double(P.n_nodes),
        P.max_delay, P.ring_len, P.n_channels, ring_mib, lanes);
    if (threads.empty()) threads = std::to_string(omp_get_max_threads());
    std::stringstream ts(threads);
    std::string tok;
    while (std::getline(ts, tok, ',')) {
        nms::run_options opt;
        opt.threads = std::stoi(tok);
        const double l1 = load1();
        nms::run_result r = c.dbl ? nms::run_cpu<double>(c.b, opt) : nms::run_cpu<float>(c.b, opt);
        long n_div = 0;
        for (long d : r.diverged_step) n_div += d >= 0;
        std::printf(
            "result case=%s%s%s backend=cpu threads=%d lanes=%d precision=%s instances=%zu nodes=%zu "
            "steps=%ld "
            "wall_s=%.3f node_steps_per_s=%.3e per_thread=%.3e peak_rss_MiB=%.1f diverged=%ld load1=%.2f\n",
            name.c_str(), stim.empty() ? "" : "+", stim.c_str(), r.threads, r.lanes,
            c.dbl ? "double" : "float", c.b.n_instances, P.n_nodes, c.b.n_steps, r.wall_seconds,
            r.node_steps_per_second, r.node_steps_per_second / r.threads, peak_rss_mib(), n_div, l1);
        std::fflush(stdout);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--case") {
            std::string name = argv[i + 1], conn, threads, stim;
            long instances = 0, steps = 0;
            for (int j = 1; j < argc; ++j) {
                std::string a = argv[j];
                auto next = [&] { return j + 1 < argc ? std::string(argv[++j]) : std::string(); };
                if (a == "--case")
                    next();
                else if (a == "--connectome")
                    conn = next();
                else if (a == "--instances")
                    instances = std::stol(next());
                else if (a == "--steps")
                    steps = std::stol(next());
                else if (a == "--threads")
                    threads = next();
                else if (a == "--stimulus")
                    stim = next();
                else {
                    std::fprintf(
                        stderr,
                        "--case takes --connectome, --instances, --steps, --threads, --stimulus; not %s\n",
                        a.c_str());
                    return 2;
                }
            }
            try {
                return run_case(name, conn, instances, steps, threads, stim);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "bench_cpu: %s\n", e.what());
                return 2;
            }
        }
    std::string conn = "synthetic:76", model = "jansen_rit", coupling = "sigmoidal_jansen_rit",
                noise_var = "y4";
    std::size_t instances = 1024;
    long steps = 2000;
    bool dbl = false;
    double speed = 4.0;
    std::string threads = "1,2";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--connectome")
            conn = next();
        else if (a == "--instances")
            instances = std::stoul(next());
        else if (a == "--steps")
            steps = std::stol(next());
        else if (a == "--threads")
            threads = next();
        else if (a == "--model")
            model = next();
        else if (a == "--coupling")
            coupling = next();
        else if (a == "--noise-var")
            noise_var = next();
        else if (a == "--double")
            dbl = true;
        else if (a == "--speed")
            speed = std::stod(next());
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
    std::printf("case: %s + %s, %zu nodes, %zu edges (%.1f inputs/node), max delay %d steps, ring %d, %s, "
                "%zu instances, %ld steps\n",
                model.c_str(), coupling.c_str(), P.n_nodes, P.src.size(),
                double(P.src.size()) / double(P.n_nodes), P.max_delay, P.ring_len, dbl ? "double" : "float",
                instances, steps);
    std::printf("connectome: %s\n", b.net.source.c_str());
    std::stringstream ts(threads);
    std::string tok;
    while (std::getline(ts, tok, ',')) {
        nms::run_options opt;
        opt.threads = std::stoi(tok);
        nms::run_result r = dbl ? nms::run_cpu<double>(b, opt) : nms::run_cpu<float>(b, opt);
        std::printf("threads %2d  lanes %2d  wall %8.3f s  node-steps/s %.3e  per thread %.3e\n", r.threads,
                    r.lanes, r.wall_seconds, r.node_steps_per_second, r.node_steps_per_second / r.threads);
    }
    return 0;
}
