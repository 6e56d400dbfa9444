// The CUDA backend's entry points: device discovery, the run, and the
// dispatch to the per-model translation units.
#include "cuda_check.hpp"
#include "cuda_dispatch.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/models/registry.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace nms {

bool cuda_built() { return true; }

std::vector<std::string> cuda_devices() {
    std::vector<std::string> out;
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); // clear the sticky "no device" error
        return out;
    }
    for (int d = 0; d < n; ++d) {
        cudaDeviceProp p{};
        if (cudaGetDeviceProperties(&p, d) != cudaSuccess) continue;
        char buf[256];
        std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %.0f GiB, %d SMs)", p.name, p.major, p.minor,
                      double(p.totalGlobalMem) / double(1u << 30), p.multiProcessorCount);
        out.emplace_back(buf);
    }
    return out;
}

template <class T> run_result run_cuda(const batch& b, const run_options& opt, observer<T>* obs) {
    const prepared P = prepare(b);
    if (obs && obs->every < 1) throw std::invalid_argument("observer.every must be >= 1");
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        cudaGetLastError();
        throw input_error(std::string("--backend cuda: no usable CUDA device (") +
                          (e != cudaSuccess ? cudaGetErrorString(e) : "no device found") +
                          "); use --backend cpu or auto");
    }
    for (int d : opt.devices)
        if (d < 0 || d >= n)
            throw input_error("--devices: no CUDA device " + std::to_string(d) + " (this machine has " +
                              std::to_string(n) + ")");
    run_result R;
    R.n_instances = P.n_instances;
    R.n_nodes = P.n_nodes;
    R.n_state = std::size_t(P.n_state);
    visit_model(b.model, [&](auto mt) { gpu::run_model<typename decltype(mt)::type, T>(P, b, opt, obs, R); });
    return R;
}

template run_result run_cuda<float>(const batch&, const run_options&, observer<float>*);
template run_result run_cuda<double>(const batch&, const run_options&, observer<double>*);

} // namespace nms
