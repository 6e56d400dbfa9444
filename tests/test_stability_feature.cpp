// Feature `stability`: fixed points by Newton from the simulated final state
// and the initial state, and the linearisation's eigenvalues, against a
// closed form (a linear ring) and the independent continuation of
// Jansen-Rit in tests/data/bifurcation (make_bifurcation_reference.py).

#include "cli_util.hpp"
#include "nmsweep/sweep/driver.hpp"

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <fstream>
#include <sstream>

namespace ct = nms::cli_test;

namespace {

std::string run(const std::string& spec) { return ct::run_spec(spec); }

// A network file pair in the test's scratch folder.
std::string network(const std::vector<std::vector<double>>& w) {
    std::ofstream fw(ct::scratch() / "w.txt"), fl(ct::scratch() / "l.txt");
    for (const auto& row : w) {
        for (double x : row) {
            fw << x << " ";
            fl << "10 ";
        }
        fw << "\n";
        fl << "\n";
    }
    return (ct::scratch() / "w.txt").string() + "," + (ct::scratch() / "l.txt").string();
}

// The "hopf P observable O frequency_Hz F" lines of the reference: (P, F).
std::vector<std::pair<double, double>> reference_hopf() {
    std::ifstream f(ct::data + "/bifurcation/jansen_rit_classical.txt");
    std::vector<std::pair<double, double>> out;
    for (std::string line; std::getline(f, line);) {
        std::istringstream is(line);
        std::string k, o, fk;
        double p, obs, hz;
        if (is >> k >> p >> o >> obs >> fk >> hz && k == "hopf") out.push_back({p, hz});
    }
    return out;
}

// The 3-node linear network of the controllability tests: A = gamma I + a W
// (W symmetric) and its eigenbasis A = V diag(l) V^T.
struct linear3 {
    std::vector<std::vector<double>> w{{0, 1, 0.5}, {1, 0, 0.2}, {0.5, 0.2, 0}};
    double gamma = -1.0, a = 0.3;
    Eigen::Vector3d l;
    Eigen::Matrix3d V;
    linear3() {
        Eigen::Matrix3d A;
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) A(i, j) = a * w[i][j] + (i == j ? gamma : 0);
        const Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> es(A);
        l = es.eigenvalues();
        V = es.eigenvectors();
    }
};

} // namespace

// x_i' = gamma x_i + a sum_j w_ij x_j on a ring of 6: the fixed point 0,
// eigenvalues gamma + 2 a cos(2 pi k / 6).
TEST(stability_feature, linear_ring_matches_the_closed_form) {
    std::vector<std::vector<double>> w(6, std::vector<double>(6, 0.0));
    for (int i = 0; i < 6; ++i) w[i][(i + 1) % 6] = w[i][(i + 5) % 6] = 1;
    const double a = 0.25;
    std::ostringstream os;
    os << "[model]\nname = \"linear\"\n[network]\nconnectome = \"" << network(w) << "\"\nspeed = 0.0\n"
       << "[coupling]\nkind = \"linear\"\na = " << a << "\n"
       << "[integrator]\nmethod = \"heun\"\ndt = 0.01\nduration = 1.0\n[initial]\nx = 0.2\n"
       << "[[sweep]]\nparam = \"model.gamma\"\nvalues = [-2.0, -1.0, -0.6, -0.4, 0.3]\n"
       << "[output]\nfeatures = [\"stability\"]\n";
    const auto f = run(os.str());
    std::vector<std::size_t> shape;
    const auto found = ct::read(f, "features/fixed_point_found", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{5, 2}));
    const auto re = ct::read(f, "features/leading_eigenvalue_real");
    const auto nu = ct::read(f, "features/n_unstable");
    const auto dist = ct::read(f, "features/fixed_point_distance");
    const auto fp = ct::read(f, "features/fixed_point", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{5, 2, 1, 6}));
    const double gammas[] = {-2.0, -1.0, -0.6, -0.4, 0.3};
    for (int p = 0; p < 5; ++p)
        for (int s = 0; s < 2; ++s) {
            const std::size_t at = std::size_t(p * 2 + s);
            EXPECT_EQ(found[at], 1);
            EXPECT_NEAR(re[at], gammas[p] + 2 * a, 1e-12);
            int unstable = 0;
            for (int k = 0; k < 6; ++k) unstable += gammas[p] + 2 * a * std::cos(2 * M_PI * k / 6) > 1e-9;
            EXPECT_EQ(nu[at], unstable) << "gamma " << gammas[p];
            for (int i = 0; i < 6; ++i) EXPECT_NEAR(fp[at * 6 + std::size_t(i)], 0, 1e-12);
            if (s == 1) EXPECT_NEAR(dist[at], 0.2, 1e-12); // from the initial state x = 0.2
        }
}

// Classical Jansen-Rit, one column: past the fold at p = 113.6 s^-1 a single
// fixed point, unstable (alpha cycle) until the Hopf point at p = 315.7 s^-1
// where it regains stability; the leading pair's frequency there is the
// cycle's birth frequency. Both from the independent reference.
TEST(stability_feature, jansen_rit_hopf_point_and_frequency_match_the_reference) {
    const auto hopf = reference_hopf();
    ASSERT_EQ(hopf.size(), 3u);
    const double p_h = hopf[2].first, f_h = hopf[2].second;
    ASSERT_GT(p_h, 305);
    ASSERT_LT(p_h, 325);
    std::ostringstream os;
    os << "[model]\nname = \"jansen_rit\"\npreset = \"classical\"\n[network]\nconnectome = \""
       << network({{0.0}}) << "\"\nspeed = 0.0\n[coupling]\nkind = \"sigmoidal_jansen_rit\"\n"
       << "[integrator]\nmethod = \"heun\"\ndt = 0.1\nduration = 300.0\n"
       << "[[sweep]]\nparam = \"model.mu\"\nlinspace = [0.305, 0.325, 21]\n"
       << "[output]\nfeatures = [\"stability\"]\n[output.stability]\nstarts = [\"final\"]\n";
    const auto f = run(os.str());
    const auto found = ct::read(f, "features/fixed_point_found");
    const auto re = ct::read(f, "features/leading_eigenvalue_real");
    const auto nu = ct::read(f, "features/n_unstable");
    const auto freq = ct::read(f, "features/leading_pair_frequency");
    double crossing = NAN, f_cross = NAN;
    for (int k = 0; k < 21; ++k) {
        const double p = 305 + k; // s^-1
        ASSERT_EQ(found[k], 1) << p;
        EXPECT_EQ(nu[k], p < p_h ? 2 : 0) << p;
        if (k > 0 && re[k - 1] > 0 && re[k] <= 0) {
            const double t = re[k - 1] / (re[k - 1] - re[k]);
            crossing = p - 1 + t;
            f_cross = freq[k - 1] + t * (freq[k] - freq[k - 1]);
        }
    }
    // Linear interpolation over a 1 s^-1 grid step: 4 significant digits.
    EXPECT_NEAR(crossing, p_h, 0.03);
    EXPECT_NEAR(f_cross, f_h, 1e-3 * f_h);
}

// Free-running phase oscillators have no fixed point: Newton says so.
TEST(stability_feature, no_fixed_point_is_reported_not_invented) {
    std::ostringstream os;
    os << "[model]\nname = \"kuramoto\"\nparams = { omega = 1.0 }\n[network]\nconnectome = \""
       << network({{0, 1}, {1, 0}}) << "\"\nspeed = 0.0\n[coupling]\nkind = \"kuramoto\"\na = 0.1\n"
       << "[integrator]\nmethod = \"heun\"\ndt = 0.1\nduration = 10.0\n"
       << "[output]\nfeatures = [\"stability\"]\n";
    const auto f = run(os.str());
    const auto found = ct::read(f, "features/fixed_point_found");
    const auto re = ct::read(f, "features/leading_eigenvalue_real");
    ASSERT_EQ(found.size(), 2u);
    const auto nu = ct::read(f, "features/n_unstable");
    for (int s = 0; s < 2; ++s) {
        EXPECT_EQ(found[s], 0);
        EXPECT_TRUE(std::isnan(re[s]));
        EXPECT_EQ(nu[s], -1);
    }
}

TEST(stability_feature, bad_options_and_sizes_are_one_clear_error) {
    const std::string base =
        "[model]\nname = \"jansen_rit\"\n[network]\nconnectome = \"synthetic:40\"\n"
        "[integrator]\ndt = 0.1\nduration = 10.0\n[output]\nfeatures = [\"stability\"]\n";
    struct bad {
        std::string extra, want;
    };
    for (const auto& b : std::vector<bad>{
             {"[output.stability]\ndelays = \"fast\"\n", "delays"},
             {"[output.stability]\nstarts = [\"middle\"]\n", "starts"},
             {"[output.stability]\ntol = 0.5\n", "tol"},
             {"[output.stability]\nmax_size = 100\n", "max_size = 100"},
             {"[output.stability]\nmaxsize = 100\n", "unknown key"},
             {"[output.stability]\ndelays = \"pseudospectral\"\n", "delay_max_size"},
         }) {
        std::ofstream(ct::scratch() / "bad.toml") << base << b.extra;
        const auto out = ct::scratch() / "bad.h5";
        const auto r = ct::sh("run -q " + (ct::scratch() / "bad.toml").string() + " -o " + out.string());
        EXPECT_EQ(r.code, 2) << b.extra << r.output;
        EXPECT_NE(r.output.find(b.want), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("bad.toml"), std::string::npos) << r.output;
        EXPECT_FALSE(std::filesystem::exists(out));
    }
}

namespace {

// Case `name` of the delay-spectrum reference (make_delay_spectrum_reference.py):
// x' = a0 x + b x(t - tau), its rightmost root.
struct scalar_dde {
    double a0 = 0, tau = 0, b = 0;
    std::complex<double> root;
};
scalar_dde reference_case(const std::string& name) {
    std::ifstream f(ct::data + "/stability/delay_cases.txt");
    scalar_dde c;
    bool in = false, got_root = false;
    for (std::string line; std::getline(f, line);) {
        std::istringstream is(line);
        std::string k;
        is >> k;
        if (k == "case") {
            std::string n;
            is >> n;
            in = n == name;
        } else if (in && k == "a0") {
            is >> c.a0;
        } else if (in && k == "term") {
            is >> c.tau >> c.b;
        } else if (in && k == "root" && !got_root) {
            double re, im;
            is >> re >> im;
            c.root = {re, im};
            got_root = true;
        }
    }
    return c;
}

} // namespace

// One linear node with a delayed self-connection is the scalar delay
// equation; the feature's leading root against the Lambert-W reference, and
// with delays = "ignore" the root of x' = (a0 + b) x.
TEST(stability_feature, delayed_self_loop_matches_the_lambert_w_roots) {
    for (const std::string name : {"pure_delay", "real_positive_b"}) {
        const scalar_dde c = reference_case(name);
        ASSERT_GT(c.tau, 0) << name;
        for (const std::string delays : {"pseudospectral", "ignore"}) {
            std::ofstream(ct::scratch() / "w.txt") << "1\n";
            std::ofstream(ct::scratch() / "l.txt") << c.tau << "\n"; // speed 1 mm/ms: tau ms
            std::ostringstream os;
            os << "[model]\nname = \"linear\"\nparams = { gamma = " << c.a0
               << " }\n[network]\nconnectome = \"" << (ct::scratch() / "w.txt").string() << ","
               << (ct::scratch() / "l.txt").string()
               << "\"\nspeed = 1.0\n[coupling]\nkind = \"linear\"\na = " << c.b << "\n"
               << "[integrator]\nmethod = \"heun\"\ndt = 0.01\nduration = 5.0\n[initial]\nx = 0.1\n"
               << "[output]\nfeatures = [\"stability\"]\n[output.stability]\nstarts = [\"initial\"]\ndelays "
                  "= \""
               << delays << "\"\n";
            const auto f = run(os.str());
            const auto re = ct::read(f, "features/leading_eigenvalue_real");
            const auto im = ct::read(f, "features/leading_eigenvalue_imag");
            const auto method = ct::read(f, "features/spectrum_method");
            if (delays == "ignore") {
                EXPECT_EQ(method[0], 3);
                EXPECT_NEAR(re[0], c.a0 + c.b, 1e-12);
                continue;
            }
            EXPECT_EQ(method[0], 1) << name;
            EXPECT_NEAR(re[0], c.root.real(), 1e-9) << name;
            EXPECT_NEAR(im[0], std::abs(c.root.imag()), 1e-9) << name;
        }
    }
}

// Controllability of x' = (gamma I + a W) x + B u with W symmetric: in the
// eigenbasis A = V diag(l) V^T, an input at region i has average
// controllability sum_k V_ik^2 (1 - e^{2 l_k T}) / (-2 l_k) (T = inf: the
// limit) and modal controllability sum_k (1 - e^{2 l_k dt}) V_ik^2.
TEST(stability_feature, controllability_of_a_linear_network_matches_the_eigenbasis) {
    const linear3 net;
    const auto& w = net.w;
    const double gamma = net.gamma, a = net.a, modal_dt = 0.5;
    const Eigen::Vector3d& l = net.l;
    const Eigen::Matrix3d& V = net.V;
    for (const double horizon : {2.0, double(INFINITY)}) {
        std::ostringstream os;
        os << "[model]\nname = \"linear\"\nparams = { gamma = " << gamma << " }\n[network]\nconnectome = \""
           << network(w) << "\"\nspeed = 0.0\n[coupling]\nkind = \"linear\"\na = " << a << "\n"
           << "[integrator]\nmethod = \"heun\"\ndt = 0.01\nduration = 20.0\n[initial]\nx = 0.2\n"
           << "[output]\nfeatures = [\"controllability\"]\n[output.controllability]\nregions = [0, \"2\"]\n"
           << "modal_dt = " << modal_dt << "\nhorizon = ";
        if (std::isinf(horizon))
            os << "\"infinite\"\n";
        else
            os << horizon << "\n";
        const auto f = run(os.str());
        const auto status = ct::read(f, "features/controllability_status");
        const auto avg = ct::read(f, "features/average_controllability");
        const auto modal = ct::read(f, "features/modal_controllability");
        ASSERT_EQ(status.size(), 1u);
        EXPECT_EQ(status[0], 0);
        ASSERT_EQ(avg.size(), 3u);
        for (int i : {0, 2}) {
            double want_avg = 0, want_modal = 0;
            for (int k = 0; k < 3; ++k) {
                const double v2 = V(i, k) * V(i, k);
                want_avg += v2 * (std::isinf(horizon) ? 1.0 : 1 - std::exp(2 * l[k] * horizon)) / (-2 * l[k]);
                want_modal += (1 - std::exp(2 * l[k] * modal_dt)) * v2;
            }
            EXPECT_NEAR(avg[i], want_avg, 1e-12 * want_avg) << "region " << i << " horizon " << horizon;
            EXPECT_NEAR(modal[i], want_modal, 1e-12 * want_modal) << "region " << i;
        }
        EXPECT_TRUE(std::isnan(avg[1])); // no input there
        EXPECT_TRUE(std::isnan(modal[1]));
    }
}

// The same network seen through a lead field G (2 sensors x 3 regions, y = G x)
// and driven from regions 0 and 2: in the eigenbasis both Gramians are
// V [M_kl g(l_k + l_l)] V^T with M = V^T B B^T V (or V^T G^T G V) and
// g(s) = (1 - e^{s T}) / -s (T = inf: -1/s). Minimum energy to move region i
// one unit: (W_c^-1)_ii; average observability of region i: (W_o)_ii, which
// is also the sensor energy of the response to an impulse at its input
// (b = e_i). With every region driven, W_c(inf) = -(2 A)^-1 and the energy
// is -2 A_ii = -2 gamma.
TEST(stability_feature, minimum_energy_and_observability_match_the_eigenbasis) {
    const linear3 net;
    const auto& w = net.w;
    const double gamma = net.gamma, a = net.a;
    const Eigen::Vector3d& l = net.l;
    const Eigen::Matrix3d& V = net.V;
    Eigen::Matrix<double, 2, 3> G;
    G << 1.0, -0.4, 0.3, 0.2, 0.8, -1.1;
    std::ofstream(ct::scratch() / "gain.csv") << "1.0, -0.4, 0.3\n0.2, 0.8, -1.1\n";
    Eigen::Matrix<double, 3, 2> B = Eigen::Matrix<double, 3, 2>::Zero();
    B(0, 0) = B(2, 1) = 1;
    auto gramian = [&](const Eigen::Matrix3d& q, double horizon) {
        Eigen::Matrix3d m = V.transpose() * q * V;
        for (int k = 0; k < 3; ++k)
            for (int j = 0; j < 3; ++j) {
                const double sum = l[k] + l[j];
                m(k, j) *= (std::isinf(horizon) ? 1.0 : 1 - std::exp(sum * horizon)) / -sum;
            }
        return Eigen::Matrix3d(V * m * V.transpose());
    };
    for (const double horizon : {3.0, double(INFINITY)}) {
        for (const bool all : {false, true}) {
            std::ostringstream os;
            os << "[model]\nname = \"linear\"\nparams = { gamma = " << gamma
               << " }\n[network]\nconnectome = \"" << network(w) << "\"\nspeed = 0.0\n[coupling]\nkind = "
               << "\"linear\"\na = " << a << "\n[integrator]\nmethod = \"heun\"\ndt = 0.01\nduration = 20.0\n"
               << "[initial]\nx = 0.2\n[output]\nfeatures = [\"controllability\"]\n"
               << "[[output.sensors]]\nname = \"eeg\"\ngain = \"" << (ct::scratch() / "gain.csv").string()
               << "\"\nfeatures = [\"mean\"]\n[output.controllability]\nsensors = \"eeg\"\n"
               << "energy_variable = \"x\"\n"
               << (all ? "" : "regions = [0, 2]\n") << "horizon = ";
            if (std::isinf(horizon))
                os << "\"infinite\"\n";
            else
                os << horizon << "\n";
            const auto f = run(os.str());
            const auto energy = ct::read(f, "features/minimum_energy");
            const auto obs = ct::read(f, "features/average_observability");
            const auto resp = ct::read(f, "features/sensor_response_energy");
            ASSERT_EQ(energy.size(), 3u);
            ASSERT_EQ(obs.size(), 3u);
            const Eigen::Matrix3d bb = all ? Eigen::Matrix3d::Identity() : Eigen::Matrix3d(B * B.transpose());
            const Eigen::Matrix3d wc_inv = gramian(bb, horizon).inverse();
            const Eigen::Matrix3d wo = gramian(G.transpose() * G, horizon);
            for (int i = 0; i < 3; ++i) {
                const std::string at = "region " + std::to_string(i) + " horizon " + std::to_string(horizon) +
                                       (all ? " all inputs" : " inputs 0, 2");
                EXPECT_NEAR(energy[i], wc_inv(i, i), 1e-10 * wc_inv(i, i)) << at;
                if (all && std::isinf(horizon)) EXPECT_NEAR(energy[i], -2 * gamma, 1e-12) << at;
                EXPECT_NEAR(obs[i], wo(i, i), 1e-12 * wo(i, i)) << at;
                if (all || i != 1)
                    EXPECT_NEAR(resp[i], wo(i, i), 1e-12 * wo(i, i)) << at;
                else
                    EXPECT_TRUE(std::isnan(resp[i])) << at;
            }
        }
    }
}

TEST(stability_feature, controllability_refuses_unknown_regions_and_targets) {
    const std::string base =
        "[model]\nname = \"jansen_rit\"\n[network]\nconnectome = \"synthetic:4\"\n"
        "[integrator]\ndt = 0.1\nduration = 10.0\n[output]\nfeatures = [\"controllability\"]\n";
    for (const auto& [extra, want] : std::vector<std::pair<std::string, std::string>>{
             {"[output.controllability]\nregions = [\"nowhere\"]\n", "nowhere"},
             {"[output.controllability]\nregions = [7]\n", "'7'"},
             {"[output.controllability]\ntarget = \"y9\"\n", "y9"},
             {"[output.controllability]\nhorizon = -1.0\n", "horizon"},
             {"[output.controllability]\nenergy_variable = \"y7\"\n", "energy_variable = \"y7\""},
             {"[output.controllability]\nsensors = \"meg\"\n", "sensors = \"meg\""},
             {"[output.controllability]\ninputs = \"stimulus\"\n", "no [[stimulus]]"},
             {"[output.controllability]\ninputs = \"stimuli\"\n", "inputs"},
             {"[output.controllability]\ninputs = \"stimulus\"\nregions = [1]\n", "not used with inputs"},
             {"[output.controllability]\ntarget = \"afferent\"\n", "afferent"},
         }) {
        std::ofstream(ct::scratch() / "bad.toml") << base << extra;
        const auto out = ct::scratch() / "bad.h5";
        const auto r = ct::sh("run -q " + (ct::scratch() / "bad.toml").string() + " -o " + out.string());
        EXPECT_EQ(r.code, 2) << extra << r.output;
        EXPECT_NE(r.output.find(want), std::string::npos) << r.output;
        EXPECT_FALSE(std::filesystem::exists(out));
    }
}

// examples/wilson_cowan_controllability.toml at a = 0: 76 identical uncoupled
// columns, so A is block diagonal and every region has the same minimum
// energy, while its observability is one column's Gramian seen through its
// own gain column: average_observability and sensor_response_energy divided
// by sum_s G_si^2 (G as the file stores it) are the same for every region.
TEST(stability_feature, wilson_cowan_example_uncoupled_columns_scale_with_their_gain) {
    const std::string ex = std::string(NMS_TEST_DATA) + "/../../examples/wilson_cowan_controllability.toml";
    const auto out = ct::scratch() / "wc.h5";
    const auto r = ct::sh("run -q " + ex + " -o " + out.string() + " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    const auto status = ct::read(out, "features/controllability_status");
    const auto energy = ct::read(out, "features/minimum_energy");
    const auto obs = ct::read(out, "features/average_observability");
    const auto resp = ct::read(out, "features/sensor_response_energy");
    const auto gain = ct::read(out, "sensors/eeg/gain");
    const std::size_t n = 76, sensors = gain.size() / n;
    ASSERT_EQ(gain.size(), sensors * n);
    ASSERT_EQ(status[0], 0);
    std::vector<double> g2(n, 0.0);
    for (std::size_t s = 0; s < sensors; ++s)
        for (std::size_t i = 0; i < n; ++i) g2[i] += gain[s * n + i] * gain[s * n + i];
    for (std::size_t i = 0; i < n; ++i) {
        EXPECT_NEAR(energy[i], energy[0], 1e-9 * energy[0]) << i;
        EXPECT_NEAR(obs[i] / g2[i], obs[0] / g2[0], 1e-9 * obs[0] / g2[0]) << i;
        EXPECT_NEAR(resp[i] / g2[i], resp[0] / g2[0], 1e-9 * resp[0] / g2[0]) << i;
    }
    EXPECT_GT(resp[0], 0);
    // Once coupled, regions differ (the connectome breaks the symmetry).
    double lo = energy[5 * n], hi = lo;
    for (std::size_t i = 0; i < n; ++i) {
        lo = std::min(lo, energy[5 * n + i]);
        hi = std::max(hi, energy[5 * n + i]);
    }
    EXPECT_GT(hi, 1.01 * lo);
}

// inputs = "stimulus": one input per [[stimulus]], its pattern at its target.
// On the linear network of the tests above with weights b_1 = (1, 0, 0.5)
// and b_2 = e_1 (both at the coupling input, which is x' itself), the
// average controllability is b^T V diag(-1 / 2 l) V^T b and the minimum
// energy (W_c^-1)_ii with W_c from both columns. On Jansen-Rit, a stimulus of
// model.mu enters y4' through A a, so its average controllability is
// (A a)^2 times that of the same region's y4 (3.25 mV x 0.1 / ms).
TEST(stability_feature, stimulus_inputs_are_the_stimulus_patterns) {
    const linear3 net;
    const auto& w = net.w;
    const double gamma = net.gamma, a = net.a;
    const Eigen::Vector3d& l = net.l;
    const Eigen::Matrix3d& V = net.V;
    Eigen::Matrix<double, 3, 2> B;
    B << 1, 0, 0, 1, 0.5, 0;
    const std::string stim = "[[stimulus]]\nname = \"%s\"\nwaveform = \"sine\"\nfrequency = 10.0\n"
                             "amplitude = 0.0\ntarget = \"%t\"\n%r\n";
    auto stimulus = [&](const std::string& name, const std::string& target, const std::string& where) {
        std::string t = stim;
        t.replace(t.find("%s"), 2, name);
        t.replace(t.find("%t"), 2, target);
        t.replace(t.find("%r"), 2, where);
        return t;
    };
    std::ostringstream os;
    os << "[model]\nname = \"linear\"\nparams = { gamma = " << gamma << " }\n[network]\nconnectome = \""
       << network(w) << "\"\nspeed = 0.0\n[coupling]\nkind = \"linear\"\na = " << a << "\n"
       << "[integrator]\nmethod = \"heun\"\ndt = 0.01\nduration = 20.0\n[initial]\nx = 0.2\n"
       << stimulus("one", "coupling_input", "weights = [1.0, 0.0, 0.5]")
       << stimulus("two", "x", "regions = [1]")
       << "[output]\nfeatures = [\"controllability\"]\n[output.controllability]\ninputs = \"stimulus\"\n";
    const auto f = run(os.str());
    std::vector<std::size_t> shape;
    const auto avg = ct::read(f, "features/average_controllability", &shape);
    ASSERT_EQ(avg.size(), 2u);
    ASSERT_EQ(shape.back(), 2u);
    const Eigen::Matrix3d m = V * (-0.5 * l.cwiseInverse()).asDiagonal() * V.transpose();
    for (int k = 0; k < 2; ++k) {
        const double want = B.col(k).dot(m * B.col(k));
        EXPECT_NEAR(avg[k], want, 1e-12 * want) << "stimulus " << k;
    }
    Eigen::Matrix3d q = V.transpose() * B * B.transpose() * V;
    for (int k = 0; k < 3; ++k)
        for (int j = 0; j < 3; ++j) q(k, j) /= -(l[k] + l[j]);
    const Eigen::Matrix3d wc_inv = (V * q * V.transpose()).inverse();
    const auto energy = ct::read(f, "features/minimum_energy");
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(energy[i], wc_inv(i, i), 1e-9 * wc_inv(i, i)) << i;

    std::ostringstream jr;
    jr << "[model]\nname = \"jansen_rit\"\npreset = \"classical\"\nparams = { mu = 0.4 }\n" // a stable focus
       << "[network]\nconnectome = \"synthetic:3\"\nspeed = 0.0\n[integrator]\ndt = 0.1\nduration = 2000.0\n"
       << stimulus("mu", "model.mu", "regions = [2]") << stimulus("y4", "y4", "regions = [2]")
       << "[output]\nfeatures = [\"controllability\"]\n[output.controllability]\ninputs = \"stimulus\"\n";
    const auto g = run(jr.str());
    const auto status = ct::read(g, "features/controllability_status");
    ASSERT_EQ(status[0], 0);
    const auto jr_avg = ct::read(g, "features/average_controllability");
    ASSERT_EQ(jr_avg.size(), 2u);
    EXPECT_NEAR(jr_avg[0], 0.325 * 0.325 * jr_avg[1], 1e-12 * jr_avg[0]);
}
