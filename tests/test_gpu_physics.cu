// The physics written once for CPU and GPU: device builds of every model's
// per-node update and of the noise stream, compared with the host's.
// Compiled wherever nvcc exists (so device-incompatible code in the shared
// headers fails the build); the comparisons run only where a GPU is present
// and skip cleanly elsewhere.
#include "nmsweep/core/noise.hpp"
#include "nmsweep/engine/node_update.hpp"
#include "nmsweep/models/registry.hpp"

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <vector>

namespace {

bool have_gpu() {
    int n = 0;
    return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

template <class T>
__global__ void normals(std::uint64_t seed, int n_inst, int n_node, int n_var, int n_step, T* out) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n_inst) return;
    for (int n = 0; n < n_node; ++n)
        for (int v = 0; v < n_var; ++v)
            for (int t = 0; t < n_step; ++t)
                out[((std::size_t(i) * n_node + n) * n_var + v) * n_step + t] =
                    nms::normal<T>(seed, i, n, v, t);
}

template <class T> void compare_normals() {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
    const int ni = 64, nn = 3, nv = 5, ns = 9;
    const std::size_t m = std::size_t(ni) * nn * nv * ns;
    T* d = nullptr;
    ASSERT_EQ(cudaMalloc(&d, m * sizeof(T)), cudaSuccess);
    normals<T><<<1, ni>>>(77, ni, nn, nv, ns, d);
    std::vector<T> got(m);
    ASSERT_EQ(cudaMemcpy(got.data(), d, m * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
    cudaFree(d);
    std::size_t k = 0;
    for (int i = 0; i < ni; ++i)
        for (int n = 0; n < nn; ++n)
            for (int v = 0; v < nv; ++v)
                for (int t = 0; t < ns; ++t, ++k) {
                    // Same Philox words; the transcendental functions may differ in the last ulps.
                    const T want = nms::normal<T>(77, i, n, v, t);
                    ASSERT_NEAR(got[k], want, (sizeof(T) == 4 ? 2e-5 : 1e-12) * (1 + std::abs(double(want))));
                }
}

// One node update of model M with coupling C on the device and on the host,
// from the same state, parameters, inputs and noise.
template <class M, class C, class T>
__global__ void one_update(const T* par, T* x, const T* acc, const T* dW, T* ring, int* ok) {
    const T* pp[nms::n_all_params<M, C>];
    for (int k = 0; k < nms::n_all_params<M, C>; ++k) pp[k] = par + k;
    T xc[M::n_state] = {}; // float's compensation (schemes.hpp), from zero as on the host
    *ok = nms::node_update<M, C, nms::scheme::heun, true, nms::stim_none, T>(pp, 0, x, 1, xc, acc, 1, dW, 1,
                                                                             ring, 1, T(0.7), 4, T(0.05));
}

template <class M, class C, class T> void compare_update() {
    constexpr int np = nms::n_all_params<M, C>, ns = M::n_state, nch = C::n_channels;
    std::vector<T> par(np), x(ns), acc(nch), dW(ns), ring(nch);
    for (int k = 0; k < M::n_params; ++k) par[k] = T(M::params[k].value);
    for (int k = 0; k < C::n_params; ++k) par[M::n_params + k] = T(C::params[k].value);
    for (int v = 0; v < ns; ++v) {
        x[v] = T(0.5 * (M::states[v].lo + M::states[v].hi)) + T(0.01 * v);
        dW[v] = T(1e-3 * (v + 1));
    }
    for (int c = 0; c < nch; ++c) acc[c] = T(0.1 * (c + 1));
    // Host.
    std::vector<T> hx = x, hring(nch);
    std::vector<const T*> hp(np);
    for (int k = 0; k < np; ++k) hp[k] = par.data() + k;
    std::vector<T> hxc(ns, T(0));
    nms::node_update<M, C, nms::scheme::heun, true, nms::stim_none, T>(hp.data(), 0, hx.data(), 1, hxc.data(),
                                                                       acc.data(), 1, dW.data(), 1,
                                                                       hring.data(), 1, T(0.7), 4, T(0.05));
    // Device.
    T *dpar, *dx, *dacc, *ddW, *dring;
    int* dok;
    cudaMalloc(&dpar, np * sizeof(T));
    cudaMalloc(&dx, ns * sizeof(T));
    cudaMalloc(&dacc, nch * sizeof(T));
    cudaMalloc(&ddW, ns * sizeof(T));
    cudaMalloc(&dring, nch * sizeof(T));
    cudaMalloc(&dok, sizeof(int));
    cudaMemcpy(dpar, par.data(), np * sizeof(T), cudaMemcpyHostToDevice);
    cudaMemcpy(dx, x.data(), ns * sizeof(T), cudaMemcpyHostToDevice);
    cudaMemcpy(dacc, acc.data(), nch * sizeof(T), cudaMemcpyHostToDevice);
    cudaMemcpy(ddW, dW.data(), ns * sizeof(T), cudaMemcpyHostToDevice);
    one_update<M, C, T><<<1, 1>>>(dpar, dx, dacc, ddW, dring, dok);
    std::vector<T> gx(ns), gring(nch);
    ASSERT_EQ(cudaMemcpy(gx.data(), dx, ns * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
    cudaMemcpy(gring.data(), dring, nch * sizeof(T), cudaMemcpyDeviceToHost);
    for (T* p : {dpar, dx, dacc, ddW, dring}) cudaFree(p);
    cudaFree(dok);
    const double tol = sizeof(T) == 4 ? 1e-5 : 1e-12;
    for (int v = 0; v < ns; ++v)
        EXPECT_NEAR(gx[v], hx[v], tol * (1 + std::abs(double(hx[v]))))
            << M::name << " " << C::name << " var " << v;
    for (int c = 0; c < nch; ++c)
        EXPECT_NEAR(gring[c], hring[c], tol * (1 + std::abs(double(hring[c])))) << M::name << " " << C::name;
}

template <class T> void compare_all_models() {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
    nms::for_each_model([](auto mt) {
        using M = typename decltype(mt)::type;
        compare_update<M, nms::coupling::linear<M::n_cvar>, T>();
        compare_update<M, nms::coupling::difference<M::n_cvar>, T>();
        compare_update<M, nms::coupling::kuramoto<M::n_cvar>, T>();
    });
    compare_update<nms::models::jansen_rit, nms::coupling::sigmoidal_jansen_rit<2>, T>();
}

} // namespace

TEST(gpu_physics, noise_float_matches_host) { compare_normals<float>(); }
TEST(gpu_physics, noise_double_matches_host) { compare_normals<double>(); }
TEST(gpu_physics, node_update_float_matches_host) { compare_all_models<float>(); }
TEST(gpu_physics, node_update_double_matches_host) { compare_all_models<double>(); }
