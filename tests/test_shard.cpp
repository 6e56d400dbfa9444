// Shards of a campaign (shard.hpp): I/N and Slurm job array parsing, part
// file names, the work estimate per point (a lesion axis changes the edges
// a point integrates) and contiguous ranges that balance it.
// The end-to-end checks (shards and MPI ranks merged bit for bit, signals,
// kills) are tests/hpc/campaign.py.

#include "cli_util.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/shard.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <numeric>

using namespace nms;
using namespace nms::cli_test;

namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const input_error& e) {
        return e.what();
    }
    return "";
}

std::vector<std::size_t> sizes(const std::vector<std::size_t>& b) {
    std::vector<std::size_t> n;
    for (std::size_t k = 0; k + 1 < b.size(); ++k) n.push_back(b[k + 1] - b[k]);
    return n;
}

} // namespace

TEST(shard, parses_i_of_n_and_refuses_the_rest) {
    const shard_id s = parse_shard("2/5");
    EXPECT_EQ(s.index, 2);
    EXPECT_EQ(s.count, 5);
    for (const char* bad : {"5/5", "-1/5", "1/0", "x/2", "1", "1/2/3", ""})
        EXPECT_NE(error_of([&] { parse_shard(bad); }).find("--shard"), std::string::npos) << bad;
    EXPECT_NE(error_of([&] { parse_shard("3/3"); }).find("0 .. 2"), std::string::npos);
}

TEST(shard, slurm_job_array_environment) {
    unsetenv("SLURM_ARRAY_TASK_ID");
    EXPECT_FALSE(shard_from_environment());
    // --array=10-20:5 -> tasks 10, 15, 20 are shards 0, 1, 2 of 3
    setenv("SLURM_ARRAY_TASK_ID", "15", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "10", 1);
    setenv("SLURM_ARRAY_TASK_STEP", "5", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
    shard_id s = shard_from_environment();
    EXPECT_EQ(s.index, 1);
    EXPECT_EQ(s.count, 3);
    unsetenv("SLURM_ARRAY_TASK_STEP"); // step 1: --array=10-12
    setenv("SLURM_ARRAY_TASK_ID", "12", 1);
    EXPECT_EQ(shard_from_environment().index, 2);
    setenv("SLURM_ARRAY_TASK_ID", "13", 1); // past the count
    EXPECT_NE(error_of([] { shard_from_environment(); }).find("SLURM_ARRAY_TASK_ID"), std::string::npos);
    setenv("SLURM_ARRAY_TASK_ID", "abc", 1);
    EXPECT_NE(error_of([] { shard_from_environment(); }).find("--shard"), std::string::npos);
    for (const char* v : {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT"})
        unsetenv(v);
}

TEST(shard, part_file_names) {
    EXPECT_EQ(part_path("res/jr.h5", {2, 8}), "res/jr.part2of8.h5");
    EXPECT_EQ(part_path("jr.h5", {0, 1}), "jr.part0of1.h5");
    EXPECT_EQ(part_path("/a/b/out.hdf5", {1, 3}), "/a/b/out.hdf5.part1of3.h5");
}

TEST(shard, equal_costs_split_as_evenly_as_counts_allow) {
    for (std::size_t P : {1u, 7u, 10u, 32u, 1000u})
        for (long N : {1L, 2L, 3L, 7L}) {
            if (std::size_t(N) > P) continue;
            const auto b = shard_bounds(std::vector<double>(P, 2.5), N);
            ASSERT_EQ(b.size(), std::size_t(N) + 1);
            EXPECT_EQ(b.front(), 0u);
            EXPECT_EQ(b.back(), P);
            const auto n = sizes(b);
            EXPECT_LE(*std::max_element(n.begin(), n.end()) - *std::min_element(n.begin(), n.end()), 1u)
                << P << " points, " << N << " shards";
        }
}

TEST(shard, unequal_costs_balance_the_cost_not_the_count) {
    // 30 cheap points then 10 ten times dearer (total 130): two shards of
    // about 65 each, not 20 points each.
    std::vector<double> c(30, 1.0);
    c.insert(c.end(), 10, 10.0);
    const auto b = shard_bounds(c, 2);
    const double first = std::accumulate(c.begin(), c.begin() + long(b[1]), 0.0);
    EXPECT_NEAR(first, 65.0, 5.0);
    EXPECT_GT(b[1], 30u); // the first shard takes all the cheap points and some dear ones
}

TEST(shard, lesions_change_a_points_cost_by_its_edges) {
    // Six nodes, 9 non-zero weights; removing node 0 removes its row (2
    // entries) and column (1 more): 6 left. lesion "rHC" vs intact.
    fs::create_directories(scratch() / "net");
    std::ofstream(scratch() / "net/weights.txt") << "0 2 0.25 0 0 0\n2 0 1 0 0 0\n0 1 0 0.5 0 0\n"
                                                    "0 0 0.5 0 0.5 0\n0 0 0 0.5 0 0\n0 0 0 0 0 0\n";
    std::ofstream(scratch() / "net/tract_lengths.txt")
        << "0 10 10 10 10 10\n10 0 10 10 10 10\n10 10 0 10 10 10\n"
           "10 10 10 0 10 10\n10 10 10 10 0 10\n10 10 10 10 10 0\n";
    std::ofstream(scratch() / "net/centres.txt") << "rHC 1 0 0\nrAMYG 2 0 0\nrPHC 3 0 0\nrTP 4 0 0\n"
                                                    "lHC 5 0 0\nlIns 6 0 0\n";
    const auto spec = scratch() / "s.toml";
    std::ofstream(spec)
        << "[model]\nname = \"epileptor2d\"\n[network]\nconnectome = \"net\"\nnormalise = \"none\"\n"
           "[coupling]\nkind = \"difference\"\n[integrator]\ndt = 0.1\nduration = 5.0\n"
           "[[sweep]]\nlesion = { each = [\"rHC\"], intact = true }\n"
           "[[sweep]]\nparam = \"model.x0\"\nvalues = [-2.0, -1.8]\n"
           "[output]\nfeatures = [\"max\"]\n";
    const sweep_spec s = load_spec(spec.string());
    const connectome net = load_network(s);
    const auto c = point_costs(s, net);
    ASSERT_EQ(c.size(), 4u);
    const double intact = 50.0 * (4 * 6 + 9), resected = 50.0 * (4 * 6 + 6);
    std::size_t n_resected = 0;
    for (double x : c) {
        EXPECT_TRUE(x == intact || x == resected) << x;
        n_resected += x == resected;
    }
    EXPECT_EQ(n_resected, 2u); // one lesion value x two x0 values
}
