// Characteristic roots of linear DDEs (nms::stability::delay_eigenvalues)
// against tests/data/stability/, written by
// tests/reference/make_delay_spectrum_reference.py without nmsweep: Lambert-W
// roots of scalar equations and of a commuting 3x3 system, roots of equations
// with 2 and 120 delays proven complete by the argument principle, and points
// on both sides of Hayes' stability boundary.
#include "nmsweep/stability/delay_spectrum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace nms::stability;
using cplx = std::complex<double>;

const std::string data = std::string(NMS_TEST_DATA) + "/stability/";

struct dde_case {
    std::string name;
    Eigen::MatrixXd a0;
    std::vector<delayed_term> terms;
    std::vector<cplx> roots; // rightmost first
};

Eigen::MatrixXd read_matrix(std::istringstream& in, int n) {
    Eigen::MatrixXd a(n, n);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) in >> a(i, j);
    return a;
}

std::vector<dde_case> read_cases() {
    std::ifstream f(data + "delay_cases.txt");
    EXPECT_TRUE(f.good()) << "missing " << data << "delay_cases.txt";
    std::vector<dde_case> cases;
    int n = 0;
    for (std::string line; std::getline(f, line);) {
        std::istringstream in(line);
        std::string key;
        in >> key;
        if (key == "case") {
            int k = 0;
            cases.emplace_back();
            in >> cases.back().name >> n >> k;
        } else if (key == "a0") {
            cases.back().a0 = read_matrix(in, n);
        } else if (key == "term") {
            double tau = 0;
            in >> tau;
            cases.back().terms.push_back({tau, read_matrix(in, n)});
        } else if (key == "root") {
            double re = 0, im = 0;
            in >> re >> im;
            cases.back().roots.emplace_back(re, im);
        }
    }
    return cases;
}

// Largest relative distance from each of the first `count` reference roots to
// the nearest computed one.
double worst_error(const std::vector<cplx>& ref, const std::vector<delay_eigenvalue>& got,
                   std::size_t count) {
    double worst = 0;
    for (std::size_t i = 0; i < std::min(count, ref.size()); ++i) {
        double best = INFINITY;
        for (const auto& e : got) best = std::min(best, std::abs(e.value - ref[i]) / std::abs(ref[i]));
        worst = std::max(worst, best);
    }
    return worst;
}

bool is_lambert_case(const dde_case& c) { return c.terms.size() == 1; }

TEST(delay_spectrum, reference_roots_after_refinement) {
    const auto cases = read_cases();
    ASSERT_EQ(cases.size(), 9u);
    for (const auto& c : cases) {
        delay_spectrum_options opt;
        opt.n_wanted = static_cast<int>(c.roots.size());
        const auto got = delay_eigenvalues(c.a0, c.terms, opt);
        // Lambert-W roots to 1e-10; roots of the many-delay equations, found by
        // scipy root-finding, to 1e-8.
        const std::size_t count = is_lambert_case(c) ? 6 : c.roots.size();
        const double err = worst_error(c.roots, got, count);
        EXPECT_LT(err, is_lambert_case(c) ? 1e-10 : 1e-8) << c.name;
        // The computed rightmost roots are the reference's, in order.
        ASSERT_GE(got.size(), count) << c.name;
        for (std::size_t i = 0; i < count; ++i) {
            EXPECT_TRUE(got[i].refined) << c.name << " root " << i;
            EXPECT_LT(got[i].residual, 1e-13) << c.name << " root " << i;
            EXPECT_LT(std::abs(got[i].value - c.roots[i]), 1e-8 * std::abs(c.roots[i])) << c.name << " " << i;
        }
        std::printf("  %-16s degree %d  rightmost %zu roots: max rel error %.1e\n", c.name.c_str(),
                    delay_spectrum_degree(static_cast<int>(c.a0.rows()), opt), count, err);
    }
}

// The generator's eigenvalues before refinement, at the default degree.
TEST(delay_spectrum, reference_roots_before_refinement) {
    for (const auto& c : read_cases()) {
        delay_spectrum_options opt;
        opt.refine = false;
        opt.n_wanted = static_cast<int>(c.roots.size());
        const auto got = delay_eigenvalues(c.a0, c.terms, opt);
        const std::size_t count = std::min<std::size_t>(6, c.roots.size());
        const double err = worst_error(c.roots, got, count);
        EXPECT_LT(err, 1e-8) << c.name; // the default degree's stated accuracy
        for (const auto& e : got) EXPECT_FALSE(e.refined);
        std::printf("  %-16s unrefined, rightmost %zu roots: max rel error %.1e\n", c.name.c_str(), count,
                    err);
    }
}

// x' = a x + b x(t - tau) close to both sides of Hayes' boundary: the sign of
// the leading real part, and the leading root itself.
TEST(delay_spectrum, hayes_stability_region) {
    std::ifstream f(data + "delay_hayes.txt");
    ASSERT_TRUE(f.good());
    int points = 0;
    for (std::string line; std::getline(f, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream in(line);
        double a = 0, b = 0, tau = 0, re = 0, im = 0;
        int sign = 0;
        in >> a >> b >> tau >> sign >> re >> im;
        Eigen::MatrixXd a0(1, 1), a1(1, 1);
        a0 << a;
        a1 << b;
        const auto got = delay_eigenvalues(a0, {{tau, a1}}, {});
        ASSERT_FALSE(got.empty());
        const cplx lead = got.front().value;
        EXPECT_EQ(lead.real() < 0 ? -1 : 1, sign) << "a " << a << " b " << b << " tau " << tau;
        EXPECT_LT(std::abs(lead - cplx(re, im)), 1e-10 * std::abs(cplx(re, im))) << a << " " << b;
        ++points;
    }
    EXPECT_EQ(points, 44);
}

TEST(delay_spectrum, sorted_like_eigenvalues) {
    const auto cases = read_cases();
    const auto got = delay_eigenvalues(cases.front().a0, cases.front().terms, {});
    ASSERT_EQ(got.size(), 20u);
    for (std::size_t i = 1; i < got.size(); ++i) EXPECT_GE(got[i - 1].value.real(), got[i].value.real());
    // Pairs: positive imaginary part first, exact conjugates.
    EXPECT_GT(got[0].value.imag(), 0);
    EXPECT_EQ(got[1].value, std::conj(got[0].value));
}

TEST(delay_spectrum, no_delays_gives_eigenvalues_of_a0) {
    std::mt19937 rng(17);
    std::normal_distribution<double> g;
    Eigen::MatrixXd a0(6, 6);
    for (int i = 0; i < 36; ++i) a0.data()[i] = g(rng);
    const cvec ev = eigenvalues(a0);
    const auto none = delay_eigenvalues(a0, {});
    const auto zero = delay_eigenvalues(a0 / 2, {{0.0, a0 / 2}}); // a zero delay is part of A0
    ASSERT_EQ(none.size(), ev.size());
    ASSERT_EQ(zero.size(), ev.size());
    for (std::size_t i = 0; i < ev.size(); ++i) {
        EXPECT_LT(std::abs(none[i].value - ev[i]), 1e-12 * std::abs(ev[i]));
        EXPECT_LT(std::abs(zero[i].value - ev[i]), 1e-12 * std::abs(ev[i]));
        EXPECT_TRUE(none[i].refined);
        EXPECT_LT(none[i].residual, 1e-14);
    }
}

// With a zero delayed matrix Delta(lambda) = lambda I - A0 has only A0's
// eigenvalues as roots; the generator's other eigenvalues are artefacts of
// the discretisation, and the refinement must say so.
TEST(delay_spectrum, flags_eigenvalues_that_are_no_roots) {
    std::mt19937 rng(17);
    std::normal_distribution<double> g;
    Eigen::MatrixXd a0(6, 6);
    for (int i = 0; i < 36; ++i) a0.data()[i] = g(rng);
    const cvec ev = eigenvalues(a0);
    const auto got = delay_eigenvalues(a0, {{3.0, Eigen::MatrixXd::Zero(6, 6)}});
    std::size_t refined = 0;
    for (const auto& e : got) {
        if (!e.refined) {
            EXPECT_GT(e.residual, 1e-3) << e.value;
            continue;
        }
        ++refined;
        double best = INFINITY;
        for (const auto& z : ev) best = std::min(best, std::abs(z - e.value));
        EXPECT_LT(best, 1e-12 * std::abs(e.value)) << e.value;
        EXPECT_LT(e.residual, 1e-14);
    }
    EXPECT_EQ(refined, ev.size());
}

TEST(delay_spectrum, refuses_sizes_above_max_size) {
    const Eigen::MatrixXd a = -Eigen::MatrixXd::Identity(100, 100);
    delay_spectrum_options opt;
    opt.degree = 20; // n(M+1) = 2100
    try {
        delay_eigenvalues(a, {{5.0, a / 2}}, opt);
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("max_size"), std::string::npos) << e.what();
    }
    // The automatic degree shrinks to fit, down to the smallest degree.
    EXPECT_EQ(delay_spectrum_degree(100), 19);
    EXPECT_EQ(delay_spectrum_degree(400), 4);
    EXPECT_THROW(delay_spectrum_degree(401), std::invalid_argument);
    opt.degree = 0;
    opt.max_size = 99;
    EXPECT_THROW(delay_eigenvalues(a, {}, opt), std::invalid_argument);
}

TEST(delay_spectrum, rejects_bad_input) {
    const Eigen::MatrixXd a = Eigen::MatrixXd::Identity(2, 2);
    EXPECT_THROW(delay_eigenvalues(Eigen::MatrixXd::Zero(2, 3), {}), std::invalid_argument);
    EXPECT_THROW(delay_eigenvalues(a, {{1.0, Eigen::MatrixXd::Zero(3, 3)}}), std::invalid_argument);
    EXPECT_THROW(delay_eigenvalues(a, {{-1.0, a}}), std::invalid_argument);
    EXPECT_THROW(delay_eigenvalues(a, {{NAN, a}}), std::invalid_argument);
}

} // namespace
