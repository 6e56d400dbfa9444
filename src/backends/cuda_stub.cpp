// The CUDA backend's entry points in a build without nvcc: every request
// for it is one clear error.
#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/batch.hpp"

namespace nms {

bool cuda_built() { return false; }
std::vector<std::string> cuda_devices() { return {}; }

template <class T> run_result run_cuda(const batch&, const run_options&, observer<T>*) {
    throw input_error(
        "--backend cuda: this build of nmsweep has no CUDA backend (nvcc was not found when it was "
        "built); use --backend cpu or auto");
}

template run_result run_cuda<float>(const batch&, const run_options&, observer<float>*);
template run_result run_cuda<double>(const batch&, const run_options&, observer<double>*);

} // namespace nms
