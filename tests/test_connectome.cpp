#include "nmsweep/core/error.hpp"
#include "nmsweep/network/connectome.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace nms;

TEST(connectome, synthetic_is_seeded_and_plausible) {
    auto a = synthetic_connectome(76, 1), b = synthetic_connectome(76, 1), c = synthetic_connectome(76, 2);
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_NE(a.weights, c.weights);
    std::size_t nz = 0;
    double maxw = 0, maxlen = 0;
    for (std::size_t i = 0; i < a.n; ++i) {
        EXPECT_EQ(a.w(i, i), 0.0);
        for (std::size_t j = 0; j < a.n; ++j) {
            nz += a.w(i, j) > 0;
            maxw = std::max(maxw, a.w(i, j));
            maxlen = std::max(maxlen, a.len(i, j));
            EXPECT_EQ(a.len(i, j), a.len(j, i));
        }
    }
    const double density = double(nz) / double(a.n * (a.n - 1));
    EXPECT_GT(density, 0.1);
    EXPECT_LT(density, 0.5);
    EXPECT_DOUBLE_EQ(maxw, 1.0); // normalised by max
    EXPECT_GT(maxlen, 100.0);    // brain-sized
    EXPECT_LT(maxlen, 300.0);
    EXPECT_EQ(a.centres.size(), a.n);
}

TEST(connectome, reads_tvb_folder) {
    auto c = load_connectome(std::string(NMS_TEST_DATA) + "/conn8");
    ASSERT_EQ(c.n, 8u);
    EXPECT_EQ(c.labels.size(), 8u);
    // Independent check: first row as written by tests/tvb_reference/make_tvb_reference.py.
    std::ifstream f(std::string(NMS_TEST_DATA) + "/conn8/weights.txt");
    double w00, w01;
    f >> w00 >> w01;
    EXPECT_EQ(c.w(0, 0), w00);
    EXPECT_EQ(c.w(0, 1), w01);
}

TEST(connectome, write_then_read_round_trip) {
    auto a = synthetic_connectome(12, 3);
    auto dir = std::filesystem::temp_directory_path() / "nms_conn_rt";
    write_tvb_folder(a, dir.string());
    auto b = load_connectome(dir.string());
    ASSERT_EQ(b.n, a.n);
    for (std::size_t k = 0; k < a.weights.size(); ++k) EXPECT_DOUBLE_EQ(a.weights[k], b.weights[k]);
    EXPECT_EQ(a.labels, b.labels);
    std::filesystem::remove_all(dir);
}

TEST(connectome, bad_matrices_name_the_problem) {
    auto dir = std::filesystem::temp_directory_path() / "nms_conn_bad";
    std::filesystem::create_directories(dir);
    auto write = [&](const char* name, const char* text) { std::ofstream(dir / name) << text; };
    auto expect_error = [&](const char* what) {
        try {
            load_connectome(dir.string());
            FAIL() << "expected an error mentioning " << what;
        } catch (const input_error& e) {
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    write("weights.txt", "0 1\n1 0 3\n");
    write("tract_lengths.txt", "0 1\n1 0\n");
    expect_error("not square");
    write("weights.txt", "0 1\n-1 0\n");
    expect_error("weights[1][0] = -1");
    write("weights.txt", "0 nan\n1 0\n");
    expect_error("weights.txt:1:3: 'nan' is not a finite number"); // file:line:column
    write("weights.txt", "0 1\n1 x\n");
    expect_error("weights.txt:2");
    write("weights.txt", "0 1 1\n1 0 1\n1 1 0\n");
    expect_error("tract_lengths");
    std::filesystem::remove_all(dir);
    EXPECT_THROW(load_connectome("no/such/file.zip"), input_error);
    EXPECT_THROW(load_connectome("synthetic:0"), input_error);
}

TEST(connectome, normalisation) {
    auto c = synthetic_connectome(10, 5);
    normalise(c, weight_norm::row_sum);
    for (std::size_t i = 0; i < c.n; ++i) {
        double s = 0;
        for (std::size_t j = 0; j < c.n; ++j) s += c.w(i, j);
        if (s > 0) EXPECT_NEAR(s, 1.0, 1e-12);
    }
}
