// `nmsweep continue`: the equilibria of a network continued in one parameter
// (folds and Hopf points located and classified) and in two (curves), against
// the independent continuations in tests/data/bifurcation
// (make_bifurcation_reference.py) and the Montbrio-Pazo-Roxin cusp in closed
// form; bad input gives exit 2 and no file.

#include "cli_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace ct = nms::cli_test;

namespace {

struct ref_point {
    std::string kind;
    double value, frequency;
};

// "fold|hopf P observable O frequency_Hz F" lines of a reference file.
std::vector<ref_point> reference(const std::string& file) {
    std::ifstream f(ct::data + "/bifurcation/" + file);
    std::vector<ref_point> out;
    for (std::string line; std::getline(f, line);) {
        std::istringstream is(line);
        std::string k, o, fk;
        double p, obs, hz;
        if (is >> k >> p >> o >> obs >> fk >> hz && (k == "fold" || k == "hopf")) out.push_back({k, p, hz});
    }
    return out;
}

std::string one_node() {
    std::ofstream(ct::scratch() / "w.txt") << "0\n";
    std::ofstream(ct::scratch() / "l.txt") << "0\n";
    return (ct::scratch() / "w.txt").string() + "," + (ct::scratch() / "l.txt").string();
}

ct::result continue_spec(const std::string& text, const std::string& out) {
    std::ofstream(ct::scratch() / "c.toml") << text;
    return ct::sh("continue " + (ct::scratch() / "c.toml").string() + " -o " + out + " --overwrite");
}

// Each reference point found once, of the same kind, within rel_tol of its
// value (scale: the unit of the input), its frequency within 1e-4.
void expect_reference(const std::string& out, const std::vector<ref_point>& ref, double scale, double tol) {
    const auto kind = ct::read(out, "continuation/equilibria/special/kind");
    const auto par = ct::read(out, "continuation/equilibria/special/param");
    const auto hz = ct::read(out, "continuation/equilibria/special/frequency");
    for (const auto& r : ref) {
        int hits = 0;
        for (std::size_t k = 0; k < kind.size(); ++k) {
            const bool same = (r.kind == "fold" ? kind[k] == 0 : kind[k] == 1);
            if (!same || std::abs(par[k] * scale - r.value) > tol * std::abs(r.value)) continue;
            ++hits;
            if (r.kind == "hopf") EXPECT_NEAR(hz[k], r.frequency, 1e-4 * r.frequency);
        }
        EXPECT_EQ(hits, 1) << r.kind << " at " << r.value;
    }
    EXPECT_EQ(kind.size(), ref.size());
}

} // namespace

// Classical Jansen-Rit versus p: folds at 113.586 and -41.30 s^-1, Hopf
// points at -12.15, 89.83 and 315.70 (Grimbert & Faugeras 2006; the
// reference recomputes them with numpy/scipy) to 6 significant digits; the
// alpha rhythm's Hopf point (89.83) supercritical (l1 < 0).
TEST(continue_cli, jansen_rit_folds_and_hopf_points_match_the_reference) {
    const std::string out = (ct::scratch() / "jr.h5").string();
    std::ostringstream os;
    os << "[model]\nname = \"jansen_rit\"\npreset = \"classical\"\n[network]\nconnectome = \"" << one_node()
       << "\"\nspeed = 0.0\n[coupling]\nkind = \"sigmoidal_jansen_rit\"\n"
       << "[integrator]\nmethod = \"heun\"\ndt = 0.1\nduration = 1000.0\n[output]\nfeatures = [\"mean\"]\n"
       << "[continuation]\nparam = \"model.mu\"\nrange = [-0.1, 0.4]\nstep = 0.001\nmax_step = 0.05\n";
    const auto r = continue_spec(os.str(), out);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("hopf at model.mu = 0.0898291"), std::string::npos) << r.output;
    expect_reference(out, reference("jansen_rit_classical.txt"), 1000.0, 1e-6);
    const auto par = ct::read(out, "continuation/equilibria/special/param");
    const auto l1 = ct::read(out, "continuation/equilibria/special/l1");
    for (std::size_t k = 0; k < par.size(); ++k)
        if (std::abs(par[k] - 0.0898291) < 1e-6) EXPECT_LT(l1[k], 0);
    // Stability along the branch: the number of unstable eigenvalues is 0
    // between the fold at -41.3 and the Hopf point at -12.15 on the lower
    // part (the stable rest state) somewhere.
    const auto nu = ct::read(out, "continuation/equilibria/n_unstable");
    EXPECT_GT(std::count(nu.begin(), nu.end(), 0.0), 10);
    EXPECT_GT(std::count(nu.begin(), nu.end(), 2.0), 10);
}

// Wilson & Cowan 1972 (preset wc1972_limit_cycle) versus P.
TEST(continue_cli, wilson_cowan_folds_and_hopf_point_match_the_reference) {
    const std::string out = (ct::scratch() / "wc.h5").string();
    std::ostringstream os;
    os << "[model]\nname = \"wilson_cowan\"\npreset = \"wc1972_limit_cycle\"\nparams = { P = 0.5 }\n"
       << "[network]\nconnectome = \"" << one_node() << "\"\nspeed = 0.0\n[coupling]\nkind = \"linear\"\n"
       << "[integrator]\nmethod = \"heun\"\ndt = 0.05\nduration = 500.0\n[output]\nfeatures = [\"mean\"]\n"
       << "[continuation]\nparam = \"model.P\"\nrange = [0.0, 2.5]\nstep = 0.001\nmax_step = 0.01\n";
    const auto r = continue_spec(os.str(), out);
    ASSERT_EQ(r.code, 0) << r.output;
    expect_reference(out, reference("wilson_cowan_1972.txt"), 1.0, 1e-5);
}

// Montbrio-Pazo-Roxin: on the equilibria V = -Delta / (2 pi tau r) and
// eta(r) = pi^2 tau^2 r^2 - V^2 - J tau r - I. Folds: eta'(r) = 0, i.e.
// J tau = 2 pi^2 tau^2 r + Delta^2 / (2 pi^2 tau^2 r^3); the two fold curves
// meet where also eta''(r) = 0: r_c^4 = 3 Delta^2 / (4 pi^4 tau^4), the cusp.
TEST(continue_cli, montbrio_fold_curves_meet_at_the_analytic_cusp) {
    const double tau = 1, delta = 1, pi = M_PI;
    const double rc = std::pow(3 * delta * delta / (4 * std::pow(pi, 4) * std::pow(tau, 4)), 0.25);
    const double jc =
        (2 * pi * pi * tau * tau * rc + delta * delta / (2 * pi * pi * tau * tau * rc * rc * rc)) / tau;
    const double vc = -delta / (2 * pi * tau * rc);
    const double etac = pi * pi * tau * tau * rc * rc - vc * vc - jc * tau * rc;
    const std::string out = (ct::scratch() / "mpr.h5").string();
    std::ostringstream os;
    os << "[model]\nname = \"montbrio_pazo_roxin\"\nparams = { eta = -5.0, J = 15.0 }\n[network]\nconnectome "
          "= \""
       << one_node() << "\"\nspeed = 0.0\n[coupling]\nkind = \"linear\"\n"
       << "[integrator]\nmethod = \"heun\"\ndt = 0.01\nduration = 100.0\n[output]\nfeatures = [\"mean\"]\n"
       << "[continuation]\nparam = \"model.eta\"\nrange = [-20.0, 5.0]\nparam2 = \"model.J\"\nrange2 = [0.0, "
          "30.0]\n"
       << "step = 0.001\nmax_step = 0.05\n";
    const auto r = continue_spec(os.str(), out);
    ASSERT_EQ(r.code, 0) << r.output;
    int cusps = 0;
    for (int c = 0; c < 2; ++c) {
        const std::string g = "continuation/curve_" + std::to_string(c) + "/special/";
        const auto kind = ct::read(out, g + "kind");
        const auto eta = ct::read(out, g + "param"), J = ct::read(out, g + "param2");
        for (std::size_t k = 0; k < kind.size(); ++k)
            if (kind[k] == 3) { // cusp
                ++cusps;
                EXPECT_NEAR(eta[k], etac, 1e-6 * std::abs(etac));
                EXPECT_NEAR(J[k], jc, 1e-6 * jc);
            }
    }
    EXPECT_GE(cusps, 1);
}

TEST(continue_cli, bad_input_is_one_clear_error_and_no_file) {
    const std::string base = "[model]\nname = \"jansen_rit\"\n[network]\nconnectome = \"" + one_node() +
                             "\"\nspeed = 0.0\n[coupling]\nkind = \"sigmoidal_jansen_rit\"\n"
                             "[integrator]\ndt = 0.1\nduration = 100.0\n[output]\nfeatures = [\"mean\"]\n";
    struct bad {
        std::string extra, want;
    };
    for (const auto& b : std::vector<bad>{
             {"", "needs a [continuation] section"},
             {"[continuation]\nparam = \"model.mu\"\nrange = [0.3, 0.1]\n", "low < high"},
             {"[continuation]\nparam = \"model.muu\"\nrange = [0.0, 0.4]\n", "model.mu"},
             {"[continuation]\nparam = \"mu\"\nrange = [0.0, 0.4]\n", "model.<parameter>"},
             {"[continuation]\nparam = \"model.mu\"\nrange = [0.3, 0.4]\n", "outside range"},
             {"[continuation]\nparam = \"model.mu\"\nrange = [0.0, 0.4]\nstart = \"middle\"\n", "start"},
         }) {
        const std::string out = (ct::scratch() / "bad.h5").string();
        const auto r = continue_spec(base + b.extra, out);
        EXPECT_EQ(r.code, 2) << b.extra << r.output;
        EXPECT_NE(r.output.find(b.want), std::string::npos) << b.extra << r.output;
        EXPECT_FALSE(std::filesystem::exists(out)) << b.extra;
    }
    // No equilibrium to start from: free phase oscillators.
    const std::string out = (ct::scratch() / "k.h5").string();
    const auto r = continue_spec(
        "[model]\nname = \"kuramoto\"\nparams = { omega = 1.0 }\n[network]\nconnectome = \"" + one_node() +
            "\"\nspeed = 0.0\n[coupling]\nkind = \"kuramoto\"\n"
            "[integrator]\ndt = 0.1\nduration = 10.0\n"
            "[continuation]\nparam = \"model.omega\"\nrange = [0.0, 2.0]\n",
        out);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("residual"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(out));
    // A singular Jacobian at the start: x' = gamma x at gamma = 0 (every x an equilibrium).
    const auto s = continue_spec("[model]\nname = \"linear\"\nparams = { gamma = 0.0 }\n[network]\n"
                                 "connectome = \"" +
                                     one_node() +
                                     "\"\nspeed = 0.0\n[integrator]\ndt = 0.1\nduration = 1.0\n"
                                     "[initial]\nx = 0.0\n[continuation]\nparam = \"model.gamma\"\n"
                                     "range = [-1.0, 1.0]\nstart = \"initial\"\n",
                                 out);
    EXPECT_EQ(s.code, 2) << s.output;
    EXPECT_NE(s.output.find("singular"), std::string::npos) << s.output;
    EXPECT_FALSE(std::filesystem::exists(out));
}

// One linear node with a delayed self-loop, x' = gamma x + b x(t - tau)
// (b = -1, tau = 10 ms), continued in gamma: its equilibrium 0 never moves,
// and the undelayed x' = (gamma + b) x is stable throughout, but the delay
// equation loses stability where a pair iw crosses: gamma = cos(w tau),
// w = sin(w tau), i.e. tau sqrt(1 - gamma^2) = arccos(gamma) (Hayes 1950),
// solved here by bisection. delays = "ignore" finds no Hopf point; two
// parameters and delays = "refuse" are refused.
TEST(continue_cli, delayed_self_loop_hopf_point_matches_hayes) {
    const double tau = 10.0;
    double lo = -0.999999, hi = -0.5; // h(lo) < 0 < h(hi)
    auto h = [&](double g) { return tau * std::sqrt(1 - g * g) - std::acos(g); };
    ASSERT_LT(h(lo), 0);
    ASSERT_GT(h(hi), 0);
    for (int k = 0; k < 200; ++k) (h(0.5 * (lo + hi)) < 0 ? lo : hi) = 0.5 * (lo + hi);
    const double gamma_star = 0.5 * (lo + hi);
    const double hz = std::sqrt(1 - gamma_star * gamma_star) / (2 * M_PI) * 1000;
    std::ofstream(ct::scratch() / "w.txt") << "1\n";
    std::ofstream(ct::scratch() / "l.txt") << tau << "\n"; // speed 1 mm/ms: tau ms
    auto spec = [&](const std::string& extra) {
        return "[model]\nname = \"linear\"\nparams = { gamma = -1.2 }\n[network]\nconnectome = \"" +
               (ct::scratch() / "w.txt").string() + "," + (ct::scratch() / "l.txt").string() +
               "\"\nspeed = 1.0\n[coupling]\nkind = \"linear\"\na = -1.0\n[integrator]\ndt = 0.01\n"
               "duration = 1.0\n[initial]\nx = 0.0\n[continuation]\nparam = \"model.gamma\"\n"
               "range = [-1.3, -0.8]\nstart = \"initial\"\nmax_step = 0.02\n" +
               extra;
    };
    const std::string out = (ct::scratch() / "dde.h5").string();
    auto r = continue_spec(spec(""), out);
    ASSERT_EQ(r.code, 0) << r.output;
    const auto kind = ct::read(out, "continuation/equilibria/special/kind");
    const auto par = ct::read(out, "continuation/equilibria/special/param");
    const auto freq = ct::read(out, "continuation/equilibria/special/frequency");
    ASSERT_EQ(kind.size(), 1u) << r.output;
    EXPECT_EQ(kind[0], 1);
    std::cout << "  Hopf at gamma = " << par[0] << " (Hayes " << gamma_star << "), " << freq[0] << " Hz ("
              << hz << ")\n";
    EXPECT_NEAR(par[0], gamma_star, 1e-8);
    EXPECT_NEAR(freq[0], hz, 1e-6 * hz);
    const auto p = ct::read(out, "continuation/equilibria/param");
    const auto unstable = ct::read(out, "continuation/equilibria/n_unstable");
    for (std::size_t k = 0; k < p.size(); ++k)
        if (std::abs(p[k] - gamma_star) > 1e-6) EXPECT_EQ(unstable[k], p[k] > gamma_star ? 2 : 0) << p[k];

    r = continue_spec(spec("delays = \"ignore\"\n"), out);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_ANY_THROW(ct::read(out, "continuation/equilibria/special/kind")); // no special point
    for (const auto& [extra, want] : std::vector<std::pair<std::string, std::string>>{
             {"delays = \"refuse\"\n", "delays"},
             {"param2 = \"coupling.a\"\nrange2 = [-2.0, 0.0]\n", "param2"},
         }) {
        std::filesystem::remove(out);
        r = continue_spec(spec(extra), out);
        EXPECT_EQ(r.code, 2) << extra << r.output;
        EXPECT_NE(r.output.find(want), std::string::npos) << r.output;
        EXPECT_FALSE(std::filesystem::exists(out));
    }
}
