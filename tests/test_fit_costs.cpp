// Fitting costs (nmsweep/fit/costs.hpp) against scipy on fixed inputs
// (tests/reference/make_fit_cost_reference.py: pearsonr, ks_2samp, interp)
// and against closed forms.

#include "nmsweep/fit/costs.hpp"
#include "ref_blocks.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

using namespace nms::fit;

namespace {

const auto ref = nms::test_ref::read_blocks(std::string(NMS_TEST_DATA) + "/fit/costs.txt");
const std::vector<double>& values(const std::string& k) { return ref.at(k).values; }
double scalar(const std::string& k) { return ref.at(k).values.at(0); }

} // namespace

TEST(fit_costs, fc_measures_match_scipy) {
    const auto &sim = values("fc_sim"), &target = values("fc_target");
    const std::size_t n = std::size_t(ref.at("fc_sim").rows);
    EXPECT_NEAR(fc_correlation(sim, target, n), scalar("fc_corr"), 1e-14);
    EXPECT_NEAR(fc_rmse(sim, target, n), scalar("fc_rmse"), 1e-15);
    EXPECT_NEAR(fc_mean_difference(sim, target, n), scalar("fc_mean"), 1e-15);
    // Identical FCs: correlation 1, distances 0.
    EXPECT_NEAR(fc_correlation(sim, sim, n), 1.0, 1e-15);
    EXPECT_EQ(fc_rmse(sim, sim, n), 0.0);
    // The diagonal and the lower triangle do not count.
    auto other = sim;
    other[0] = 42; // diagonal
    other[n] = -7; // (1, 0): lower
    EXPECT_EQ(fc_rmse(other, sim, n), 0.0);
}

TEST(fit_costs, ks_distance_matches_scipy_with_and_without_ties) {
    EXPECT_NEAR(ks_distance(values("ks_a"), values("ks_b")), scalar("ks_ab"), 1e-15);
    EXPECT_NEAR(ks_distance(values("ks_c"), values("ks_d")), scalar("ks_cd"), 1e-15);
    // Closed forms: disjoint samples are 1 apart; a sample from itself is 0;
    // {0, 1} vs {1}: F_a(0) = 1/2, F_b(0) = 0 -> 1/2.
    EXPECT_EQ(ks_distance({1, 2, 3}, {4, 5}), 1.0);
    EXPECT_EQ(ks_distance({3, 1, 2, 2}, {2, 3, 2, 1}), 0.0);
    EXPECT_EQ(ks_distance({0, 1}, {1}), 0.5);
    EXPECT_EQ(ks_distance({1, 2}, {2, 1}), 0.0);
}

TEST(fit_costs, log_psd_distance_and_interpolation_match_numpy) {
    const auto& f = values("freqs");
    const auto& band = values("psd_band");
    EXPECT_NEAR(log_psd_distance(f, values("psd_sim"), values("psd_target"), band[0], band[1]),
                scalar("psd_dist"), 1e-15);
    const auto at = interpolate(values("target_freqs"), values("target_psd"), f);
    const auto& want = values("interp");
    ASSERT_EQ(at.size(), want.size());
    for (std::size_t k = 0; k < at.size(); ++k) EXPECT_NEAR(at[k], want[k], 1e-15) << f[k];
    // A spectrum ten times the target is one decade away everywhere.
    auto ten = values("psd_target");
    for (auto& v : ten) v *= 10;
    EXPECT_NEAR(log_psd_distance(f, ten, values("psd_target"), 0, 50), 1.0, 1e-15);
}

TEST(fit_costs, bad_input_is_refused) {
    const std::vector<double> m4(4, 0.5), m9(9, 0.5);
    EXPECT_THROW(fc_correlation(m4, m9, 2), std::invalid_argument);
    EXPECT_THROW(fc_rmse(m4, m4, 1), std::invalid_argument);
    auto bad = m4;
    bad[1] = NAN;
    EXPECT_THROW(fc_rmse(bad, m4, 2), std::invalid_argument);
    EXPECT_TRUE(std::isnan(pearson({1, 1, 1}, {1, 2, 3}))); // constant: no correlation
    EXPECT_THROW(pearson({1}, {1}), std::invalid_argument);
    EXPECT_THROW(ks_distance({}, {1}), std::invalid_argument);
    EXPECT_THROW(ks_distance({INFINITY}, {1}), std::invalid_argument);
    const std::vector<double> f{1, 2, 3}, p{1, 1, 1}, z{1, 0, 1};
    EXPECT_THROW(log_psd_distance(f, z, p, 0, 5), std::invalid_argument);   // log 0
    EXPECT_THROW(log_psd_distance(f, p, p, 10, 20), std::invalid_argument); // empty band
    EXPECT_THROW(log_psd_distance(f, {1, 1}, p, 0, 5), std::invalid_argument);
    EXPECT_THROW(interpolate(f, p, {4}), std::invalid_argument);         // outside
    EXPECT_THROW(interpolate({1, 1, 2}, p, {1}), std::invalid_argument); // not ascending
}
