// CUDA backend throughput in node-steps/s (instances x nodes x steps / s),
// with the bytes each node-step must move and the fraction of the device's
// memory bandwidth that reaches. Default case (issue #4): Jansen-Rit on
// TVB's 76-region connectome (or the synthetic one when no file is given),
// delays at 4 mm/ms, stochastic Heun with noise on y4, dt 0.1 ms, float,
// 16384 and 65536 instances.
//
//   bench_gpu [--connectome PATH|synthetic:N] [--instances LIST] [--steps N]
//             [--model M] [--coupling C] [--noise-var V|none] [--double]
//             [--speed MM_PER_MS] [--devices LIST] [--mapping M]
//   bench_gpu --case jr76|wc80|epileptor76|kuramoto998|mpr76 [--connectome PATH]
//             [--instances LIST] [--steps N] [--devices LIST] [--mapping M]
//
// --mapping auto|instance|node|both (default both): the CUDA backend's
// thread mapping (one thread per instance, or per (node, instance) with a
// launch per step); both runs each instance count with each, side by side.
//
// The named cases (bench/cases.hpp) are those of bench_cpu --case with more
// instances; each run prints a "result" line like bench_cpu's, with the
// device memory used (peak of cudaMemGetInfo sampled every 2 ms during the
// run, minus the use before it; device 0 only when several are used) and
// the fraction of the copy bandwidth.
//
// Bytes per node-step (the floor): each input reads its source's coupling
// channels from the delay ring (device memory: the rings of 10^4 instances
// are far larger than L2), the node writes its channels once and reads and
// writes its state. Parameters that do not vary over nodes and the network
// tables stay in registers and L1. The copy bandwidth is measured in the
// same run (device-to-device cudaMemcpy, bytes read + written).

#include "nmsweep/engine/batch.hpp"
#include "nmsweep/engine/prepared.hpp"

#include "cases.hpp"
#include "flop_count.hpp"

#include "nmsweep/models/registry.hpp"

#include <cuda_runtime.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// Peak fp32 and fp64 rates of device 0 (FMA = 2 flops): SMs x lanes per SM
// x 2 x clock; the lanes per SM of the architectures the build targets.
std::pair<double, double> peak_flops() {
    int sms = 0, khz = 0, major = 0, minor = 0;
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
    cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, 0);
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0);
    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, 0);
    const int f32 = major == 8 && minor == 0 ? 64 : 128; // sm_80: 64, sm_86/89/90: 128
    const int f64 = major == 9 || (major == 8 && minor == 0) ? f32 / 2 : 2;
    const double base = double(sms) * 2.0 * double(khz) * 1e3;
    return {base * f32, base * f64};
}

// Counted work of one node-step of the batch's model (flop_count.hpp).
nms::bench::node_step_work count_work(const nms::batch& b, const nms::prepared& P) {
    nms::bench::node_step_work w;
    std::vector<double> par;
    for (const auto& f : P.params) par.push_back(f.at(0, 0, P.n_instances));
    const double inputs = double(P.src.size()) / double(P.n_nodes);
    const int noisy = int(P.noise_vars.size());
    nms::visit_model(b.model, [&](auto mt) {
        using M = typename decltype(mt)::type;
        nms::visit_coupling<M::n_cvar>(b.coupling, [&](auto ct) {
            using C = typename decltype(ct)::type;
            switch (b.method) {
            case nms::scheme::heun:
                w = nms::bench::count_node_step<M, C, nms::scheme::heun>(par, inputs, noisy);
                break;
            case nms::scheme::euler:
                w = nms::bench::count_node_step<M, C, nms::scheme::euler>(par, inputs, noisy);
                break;
            case nms::scheme::rk4:
                w = nms::bench::count_node_step<M, C, nms::scheme::rk4>(par, inputs, noisy);
                break;
            }
        });
    });
    return w;
}

double copy_bandwidth() {
    const std::size_t bytes = std::size_t(2) << 30;
    void *a = nullptr, *b = nullptr;
    if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess) return 0;
    cudaMemset(a, 1, bytes);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
    std::vector<float> t;
    for (int k = 0; k < 7; ++k) {
        cudaEventRecord(e0);
        cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
        cudaEventRecord(e1);
        cudaEventSynchronize(e1);
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        t.push_back(ms);
    }
    std::sort(t.begin(), t.end());
    cudaFree(a);
    cudaFree(b);
    return 2.0 * double(bytes) / (double(t[t.size() / 2]) / 1e3);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string tok;
    while (std::getline(ss, tok, ',')) out.push_back(tok);
    return out;
}

// Peak memory in use on device 0 (the sampling thread's current device)
// while it lives, sampled every 2 ms; other processes' use counts too.
struct mem_sampler {
    std::atomic<bool> stop{false};
    std::size_t base_used = 0, peak_used = 0;
    std::thread th;
    static std::size_t used() {
        std::size_t fr = 0, tot = 0;
        if (cudaMemGetInfo(&fr, &tot) != cudaSuccess) return 0;
        return tot - fr;
    }
    mem_sampler() {
        base_used = peak_used = used();
        th = std::thread([this] {
            while (!stop.load()) {
                peak_used = std::max(peak_used, used());
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
        });
    }
    double finish_mib() {
        stop = true;
        th.join();
        peak_used = std::max(peak_used, used());
        return double(peak_used - base_used) / 1048576.0;
    }
};

double load1() {
    std::ifstream f("/proc/loadavg");
    double l = -1;
    f >> l;
    return l;
}

} // namespace

int main(int argc, char** argv) {
    std::string conn = "synthetic:76", model = "jansen_rit", coupling = "sigmoidal_jansen_rit",
                noise_var = "y4";
    std::string instances = "16384,65536", devices, mapping = "both";
    long steps = 4000;
    bool steps_given = false, instances_given = false, conn_given = false;
    std::string case_name;
    bool dbl = false;
    double speed = 4.0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--connectome")
            conn = next(), conn_given = true;
        else if (a == "--instances")
            instances = next(), instances_given = true;
        else if (a == "--steps")
            steps = std::stol(next()), steps_given = true;
        else if (a == "--case")
            case_name = next();
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
        else if (a == "--devices")
            devices = next();
        else if (a == "--mapping")
            mapping = next();
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    std::vector<std::pair<std::string, nms::gpu_mapping>> mappings;
    if (mapping == "both" || mapping == "instance")
        mappings.push_back({"instance", nms::gpu_mapping::instance});
    if (mapping == "both" || mapping == "node") mappings.push_back({"node", nms::gpu_mapping::node});
    if (mapping == "auto") mappings.push_back({"auto", nms::gpu_mapping::automatic});
    if (mappings.empty()) {
        std::fprintf(stderr, "bench_gpu: --mapping %s: expected auto, instance, node or both\n",
                     mapping.c_str());
        return 2;
    }
    const auto devs = nms::cuda_devices();
    if (devs.empty()) {
        std::fprintf(stderr, "bench_gpu: no usable CUDA device\n");
        return 1;
    }
    for (const auto& d : devs) std::printf("device: %s\n", d.c_str());
    const double bw = copy_bandwidth();
    std::printf("measured copy bandwidth (read + write): %.2f TB/s\n", bw / 1e12);

    nms::batch b;
    b.model = model;
    b.coupling = coupling;
    b.net = nms::load_connectome(conn);
    b.speed = speed;
    b.dt = 0.1;
    b.n_steps = steps;
    b.seed = 1;
    if (!noise_var.empty() && noise_var != "none") b.params["noise." + noise_var] = nms::field::scalar(1e-3);
    nms::run_options opt;
    for (const auto& d : split(devices)) opt.devices.push_back(std::stoi(d));
    if (!case_name.empty()) {
        try {
            const auto c =
                nms_bench::make_case(case_name, conn_given ? conn : "", 0, steps_given ? steps : 0, true);
            std::printf("case %s: %s\n", case_name.c_str(), c.title.c_str());
            model = c.b.model, coupling = c.b.coupling, dbl = c.dbl, steps = c.b.n_steps;
            noise_var = "(the case's)";
            if (!instances_given) instances = std::to_string(c.b.n_instances);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench_gpu: %s\n", e.what());
            return 2;
        }
    }

    bool first = true;
    const auto peak = peak_flops();
    nms::bench::node_step_work nsw;
    for (const auto& tok : split(instances)) {
        const std::size_t n = std::stoul(tok);
        if (!case_name.empty()) {
            auto c = nms_bench::make_case(case_name, conn_given ? conn : "", long(n), steps, true);
            std::printf("grid: %s = %zu instances\n", c.axes.c_str(), n);
            b = std::move(c.b);
        }
        b.n_instances = n;
        if (case_name.empty()) {
            b.params.erase("model.mu");
            if (model == "jansen_rit") { // a sweep-like spread of the input, so that instances differ
                std::vector<double> mu(n);
                for (std::size_t i = 0; i < n; ++i) mu[i] = 0.1 + 0.2 * double(i) / double(n);
                b.params["model.mu"] = nms::field::per_instance(mu);
            }
        }
        const nms::prepared P = nms::prepare(b);
        const std::size_t T = dbl ? 8 : 4;
        const double inputs = double(P.src.size()) / double(P.n_nodes);
        int n_node_params = 0;
        for (const auto& f : P.params) n_node_params += f.varies_over_nodes();
        const double bytes =
            double(T) * (inputs * P.n_channels + P.n_channels + 2.0 * P.n_state + n_node_params);
        if (first) {
            std::printf(
                "case: %s + %s, %zu nodes, %zu edges (%.1f inputs/node), max delay %d steps, ring %d, %s, "
                "%ld steps, noise on %s\n",
                model.c_str(), coupling.c_str(), P.n_nodes, P.src.size(), inputs, P.max_delay, P.ring_len,
                dbl ? "double" : "float", steps, noise_var.c_str());
            std::printf("connectome: %s\n", b.net.source.c_str());
            std::printf("bytes per node-step (floor): %.0f = %zu B x (%.1f inputs x %d channels + %d ring "
                        "write + 2 x %d "
                        "state + %d node params)\n",
                        bytes, T, inputs, P.n_channels, P.n_channels, P.n_state, n_node_params);
            std::printf("bandwidth ceiling: %.2e node-steps/s at the measured copy bandwidth\n", bw / bytes);
            nsw = count_work(b, P);
            std::printf("flops per node-step (counted, flop_count.hpp): %.0f + %.0f special-function calls; "
                        "intensity %.2f flop/B; peak %.1f TFLOP/s %s -> compute ceiling %.2e node-steps/s\n",
                        nsw.flops, nsw.special, nsw.flops / bytes, (dbl ? peak.second : peak.first) / 1e12,
                        dbl ? "fp64" : "fp32", (dbl ? peak.second : peak.first) / nsw.flops);
            first = false;
            // Warm-up: module load and first allocations stay out of the numbers.
            nms::batch w = b;
            w.n_steps = 8;
            for (const auto& mm : mappings) {
                opt.mapping = mm.second;
                if (dbl)
                    nms::run_cuda<double>(w, opt);
                else
                    nms::run_cuda<float>(w, opt);
            }
        }
        for (const auto& [mname, m] : mappings) {
            opt.mapping = m;
            const double l1 = load1();
            mem_sampler ms;
            const nms::run_result r = dbl ? nms::run_cuda<double>(b, opt) : nms::run_cuda<float>(b, opt);
            const double dev_mib = ms.finish_mib();
            const double work = double(n) * double(P.n_nodes) * double(steps);
            const double k_rate = work / r.kernel_seconds;
            long n_div = 0;
            for (long d : r.diverged_step) n_div += d >= 0;
            std::printf(
                "instances %7zu  mapping %-8s devices %d  wall %7.3f s  kernels %7.3f s  node-steps/s "
                "%.3e (wall %.3e)  %.2f TB/s = %.0f%% of copy bandwidth  diverged %ld\n",
                n, r.mapping.c_str(), r.threads, r.wall_seconds, r.kernel_seconds, k_rate,
                r.node_steps_per_second, k_rate * bytes / 1e12, 100.0 * k_rate * bytes / bw, n_div);
            rusage u{};
            getrusage(RUSAGE_SELF, &u);
            std::printf(
                "result case=%s backend=cuda mapping=%s devices=%d precision=%s instances=%zu nodes=%zu "
                "steps=%ld wall_s=%.3f kernel_s=%.3f node_steps_per_s=%.3e wall_node_steps_per_s=%.3e "
                "bytes_per_node_step=%.0f copy_bw_fraction=%.3f flops_per_node_step=%.0f "
                "special_per_node_step=%.0f "
                "peak_flops_fraction=%.3f device_MiB=%.1f peak_rss_MiB=%.1f diverged=%ld load1=%.2f\n",
                case_name.empty() ? "custom" : case_name.c_str(), r.mapping.c_str(), r.threads,
                dbl ? "double" : "float", n, P.n_nodes, b.n_steps, r.wall_seconds, r.kernel_seconds, k_rate,
                r.node_steps_per_second, bytes, k_rate * bytes / bw, nsw.flops, nsw.special,
                k_rate * nsw.flops / (dbl ? peak.second : peak.first), dev_mib, double(u.ru_maxrss) / 1024.0,
                n_div, l1);
            std::fflush(stdout);
        }
    }
    return 0;
}
