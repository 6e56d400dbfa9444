#pragma once

// CUDA error checks: every runtime call and every launch is checked, and a
// failure becomes an exception naming the call, the file and the line.

#include <cuda_runtime.h>
#include <cufft.h>

#include <stdexcept>
#include <string>

namespace nms::gpu {

inline void check(cudaError_t e, const char* what, const char* file, int line) {
    if (e != cudaSuccess)
        throw std::runtime_error(std::string("CUDA error: ") + what + ": " + cudaGetErrorString(e) + " (" +
                                 file + ":" + std::to_string(line) + ")");
}

inline void check(cufftResult e, const char* what, const char* file, int line) {
    if (e != CUFFT_SUCCESS)
        throw std::runtime_error(std::string("cuFFT error ") + std::to_string(int(e)) + ": " + what + " (" +
                                 file + ":" + std::to_string(line) + ")");
}

} // namespace nms::gpu

#define NMS_CUDA_CHECK(call) ::nms::gpu::check((call), #call, __FILE__, __LINE__)
#define NMS_CUFFT_CHECK(call) ::nms::gpu::check((call), #call, __FILE__, __LINE__)
#define NMS_CUDA_LAUNCHED(what) ::nms::gpu::check(cudaGetLastError(), what, __FILE__, __LINE__)
