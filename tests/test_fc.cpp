// The functional-connectivity reducer against numpy (reference data from
// tests/reference/make_welch_reference.py in tests/data/fc).
#include "analysis_test_util.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>

using namespace nms_test;

namespace {
const std::string dir = std::string(NMS_TEST_DATA) + "/fc/";
}

// FC = numpy.corrcoef; fc_fit = corrcoef of the upper triangles with the
// empirical FC; FCD (windows of 100 samples every 50) and its variance as
// computed by numpy on each window. The signal has offsets of 10 .. 15 and
// unit-scale fluctuations; two instances (the second sees 3 x - 7, which
// leaves every correlation unchanged).
TEST(fc, pearson_fit_and_fcd_match_numpy) {
    const auto sig = read_table(dir + "signal.txt");
    const auto fc = read_table(dir + "fc.txt");
    const auto fcd = read_table(dir + "fcd.txt");
    const double fit = read_table(dir + "fc_fit.txt")[0][0];
    const double fcd_var = read_table(dir + "fcd_var.txt")[0][0];
    const std::size_t N = 6, M = sig.size();
    ASSERT_EQ(M, 400u);
    nms::fc_options o;
    std::size_t n = 0;
    o.empirical = dir + "empirical.txt";
    o.empirical_fc = nms::read_square_matrix(o.empirical, &n);
    ASSERT_EQ(n, N);
    o.fcd_window_ms = 100 * 0.5; // samples of 0.5 ms
    o.fcd_step_ms = 50 * 0.5;
    o.fcd_matrix = true;
    nms::sampling smp;
    smp.dt_ms = 0.5;
    smp.fs = 2000;
    smp.t0_ms = 100;
    smp.n_samples = long(M);
    auto r = nms::make_fc_reducer({"fc", "fcd"}, o, smp);
    feed(*r, 2, int(N), long(M), 2, [&](std::size_t i, long t, int node) {
        const double x = sig[std::size_t(t)][std::size_t(node)];
        return i == 0 ? x : 3 * x - 7;
    });
    const auto outs = r->outputs();
    ASSERT_EQ(outs.size(), 4u);
    EXPECT_EQ(outs[0].name, "features/fc");
    EXPECT_EQ(outs[0].extra_dims, (std::vector<std::string>{"node", "node_j"}));
    EXPECT_EQ(outs[1].name, "features/fc_fit");
    EXPECT_EQ(outs[2].name, "features/fcd_var");
    EXPECT_EQ(outs[3].name, "features/fcd");
    EXPECT_EQ(outs[3].extra_dims, (std::vector<std::string>{"window", "window_j"}));
    const std::size_t nw = fcd.size();
    ASSERT_EQ(outs[3].extra_sizes, (std::vector<std::size_t>{nw, nw}));
    // window k covers samples 50k .. 50k + 99, at 100 + 0.5 s ms
    EXPECT_DOUBLE_EQ(outs[3].extra_scales[0][1], 100 + 0.5 * (50 + 49.5));
    double worst_fc = 0, worst_fcd = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        const auto f = result_of(*r, "features/fc", i);
        for (std::size_t a = 0; a < N; ++a)
            for (std::size_t b = 0; b < N; ++b)
                worst_fc = std::max(worst_fc, std::fabs(f[a * N + b] - fc[a][b]));
        EXPECT_NEAR(result_of(*r, "features/fc_fit", i)[0], fit, 1e-12);
        const auto d = result_of(*r, "features/fcd", i);
        for (std::size_t a = 0; a < nw; ++a)
            for (std::size_t b = 0; b < nw; ++b)
                worst_fcd = std::max(worst_fcd, std::fabs(d[a * nw + b] - fcd[a][b]));
        EXPECT_NEAR(result_of(*r, "features/fcd_var", i)[0], fcd_var, 1e-6 * fcd_var + 1e-9);
    }
    std::cout << "worst abs error: FC " << worst_fc << ", FCD " << worst_fcd << "\n";
    EXPECT_LT(worst_fc, 1e-12);
    EXPECT_LT(worst_fcd, 1e-6); // window FCs are kept as float
}

TEST(fc, matrix_files_and_errors) {
    const auto p = std::filesystem::temp_directory_path() / "nms_fc_bad.csv";
    std::ofstream(p) << "1, 0.5\n0.5, 1, 3\n";
    EXPECT_THROW(nms::read_square_matrix(p.string(), nullptr), nms::input_error);
    std::ofstream(p) << "# header comment\n1; 0.5\n\n0.5; 1\n";
    std::size_t n = 0;
    EXPECT_EQ(nms::read_square_matrix(p.string(), &n), (std::vector<double>{1, 0.5, 0.5, 1}));
    EXPECT_EQ(n, 2u);
    nms::fc_options o;
    o.empirical_fc = {1, 0, 0, 1};
    nms::sampling smp;
    smp.n_samples = 100;
    auto r = nms::make_fc_reducer({"fc"}, o, smp);
    EXPECT_THROW(r->reset(1, 3), nms::input_error); // a 2 x 2 empirical FC for 3 nodes
    // a constant node has no correlation
    auto c = nms::make_fc_reducer({"fc"}, {}, smp);
    feed(*c, 1, 2, 100, 1,
         [](std::size_t, long t, int node) { return node == 0 ? 1.0 : std::sin(double(t)); });
    EXPECT_TRUE(std::isnan(result_of(*c, "features/fc", 0)[1]));
    EXPECT_EQ(result_of(*c, "features/fc", 0)[3], 1.0);
}
