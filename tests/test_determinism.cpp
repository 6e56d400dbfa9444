// The same seed gives bit-identical results whatever the thread count and
// however the instances are split into batches (DESIGN.md, Noise).
#include "nmsweep/engine/batch.hpp"

#include <gtest/gtest.h>

using namespace nms;

namespace {

batch jr_batch(std::size_t first, std::size_t count, std::size_t total) {
    batch b;
    b.model = "jansen_rit";
    b.coupling = "sigmoidal_jansen_rit";
    b.net = synthetic_connectome(12, 9);
    b.speed = 4.0;
    b.dt = 0.1;
    b.n_steps = 700;
    b.seed = 2024;
    b.n_instances = count;
    b.first_instance = first;
    std::vector<double> mu;
    for (std::size_t i = first; i < first + count; ++i) mu.push_back(0.1 + 0.2 * double(i) / double(total));
    b.params["model.mu"] = field::per_instance(mu);
    b.params["noise.y4"] = field::scalar(1e-2);
    return b;
}

template <class T> void check_splits() {
    const std::size_t N = 40;
    run_options one, two;
    one.threads = 1;
    two.threads = 2;
    const auto a = run_cpu<T>(jr_batch(0, N, N), one);
    const auto b = run_cpu<T>(jr_batch(0, N, N), two);
    EXPECT_EQ(a.final_state, b.final_state);
    // Two batches of 17 and 23 instances.
    const auto c1 = run_cpu<T>(jr_batch(0, 17, N), two);
    const auto c2 = run_cpu<T>(jr_batch(17, 23, N), one);
    const std::size_t per = a.final_state.size() / N; // values per instance
    for (std::size_t k = 0; k < per; ++k)
        for (std::size_t i = 0; i < N; ++i) {
            const double got = i < 17 ? c1.final_state[k * 17 + i] : c2.final_state[k * 23 + (i - 17)];
            ASSERT_EQ(a.final_state[k * N + i], got) << "value " << k << " instance " << i;
        }
    // And the noise matters: another seed gives another trajectory.
    auto d = jr_batch(0, N, N);
    d.seed = 2025;
    EXPECT_NE(run_cpu<T>(d, two).final_state, a.final_state);
}

} // namespace

TEST(determinism, float_threads_and_batches) { check_splits<float>(); }
TEST(determinism, double_threads_and_batches) { check_splits<double>(); }
