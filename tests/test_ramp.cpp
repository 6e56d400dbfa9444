// Parameter ramps: the windowed extrema against the ramped parameter, and a
// slow passage through a saddle-node. Two Kuramoto nodes with natural
// frequencies -D/2 and +D/2 and coupling a have the phase difference
// phi' = D - 2a sin(phi): they lock (phases at rest, the observable sin(theta)
// flat) while D <= 2a and slip beyond, a saddle-node on the circle at
// D = 2a. A ramp of D crosses it; the first slip comes after the fold by a
// delay that shrinks as the ramp slows (slow passage, ~ rate^(2/3) in D).

#include "cli_util.hpp"
#include "nmsweep/sweep/driver.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ct = nms::cli_test;

namespace {

double pi_sq() { return 9.869604401089358; }

std::string run(const std::string& spec) { return ct::run_spec(spec); }

// Kuramoto pair, D ramped 0 -> 4a over T ms; `windows` windows.
std::string pair_spec(double T, long windows, bool back = false,
                      const std::string& observable = "sin(theta)") {
    const double a = 0.05;
    std::ostringstream os;
    os << "[model]\nname = \"kuramoto\"\nparams = { omega = 0.0 }\n"
       << "[network]\nconnectome = \"" << (ct::scratch() / "w.txt").string() << ","
       << (ct::scratch() / "l.txt").string() << "\"\nspeed = 0.0\n"
       << "[coupling]\nkind = \"kuramoto\"\na = " << a << "\n"
       << "[integrator]\nmethod = \"heun\"\ndt = 0.1\nduration = " << T + 100 << "\ntransient = 50.0\n"
       << "[initial]\ntheta = 0.0\n"
       << "[[stimulus]]\nname = \"detune\"\nwaveform = \"piecewise\"\ntarget = \"model.omega\"\n"
       << "weights = [-0.5, 0.5]\nonset = 100.0\ntimes = [0.0, " << (back ? T / 2 : T)
       << (back ? ", " + std::to_string(T) : "") << "]\nvalues = [0.0, " << 4 * a << (back ? ", 0.0" : "")
       << "]\n"
       << "[output]\nobservable = \"" << observable << "\"\nfeatures = [\"ramp\"]\nsample_every = 5\n"
       << "ramp = { windows = " << windows << " }\n";
    return os.str();
}

void write_pair() {
    std::ofstream(ct::scratch() / "w.txt") << "0 1\n1 0\n";
    std::ofstream(ct::scratch() / "l.txt") << "0 1\n1 0\n";
}

// D (= -2 x the first node's omega) at the first window where node 0's
// phase moves by more than 0.5 rad (locked, it moves by 0.04 rad at most
// per 50 ms window until the very fold).
double unlocking_detuning(const std::string& file, long windows) {
    const auto hi = ct::read(file, "features/ramp_max"), lo = ct::read(file, "features/ramp_min");
    const auto value = ct::read(file, "features/ramp_value");
    for (long w = 0; w < windows; ++w)
        if (hi[std::size_t(w)] - lo[std::size_t(w)] > 0.5) return -2 * value[std::size_t(w)];
    return NAN;
}

} // namespace

TEST(ramp, windows_values_and_directions) {
    write_pair();
    const std::string f = run(pair_spec(400, 8, true));
    std::vector<std::size_t> shape;
    const auto hi = ct::read(f, "features/ramp_max", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{2, 8})); // (no sweep axis: one point, no grid dims)
    const auto value = ct::read(f, "features/ramp_value"), dir = ct::read(f, "features/ramp_direction");
    // Windows of 50 ms from t = 100: centres 125, 175, ...; up to 0.2 at 300, back to 0 at 500.
    for (int w = 0; w < 8; ++w) {
        const double t = 25 + 50 * w, D = t < 200 ? 0.2 * t / 200 : 0.2 * (400 - t) / 200;
        EXPECT_NEAR(value[std::size_t(w)], -D / 2, 1e-12) << w;
        EXPECT_EQ(dir[std::size_t(w)], w < 4 ? 1.0 : -1.0) << w;
    }
    const auto lo = ct::read(f, "features/ramp_min");
    for (std::size_t k = 0; k < hi.size(); ++k) EXPECT_LE(lo[k], hi[k]);
    EXPECT_EQ(ct::read(f, "features/network_ramp_max").size(), 8u);
}

TEST(ramp, slow_passage_through_a_saddle_node_converges_to_the_fold) {
    write_pair();
    const double fold = 2 * 0.05;
    std::vector<double> delay;
    for (double T : {2000.0, 8000.0, 32000.0}) {
        const long windows = long(T / 50); // 50 ms windows: D resolution 0.01 x 1000 / T
        const double D = unlocking_detuning(run(pair_spec(T, windows, false, "theta")), windows);
        std::printf("T = %g ms: unlocks at D = %.5f (fold %.5f)\n", T, D, fold);
        ASSERT_TRUE(std::isfinite(D)) << T;
        delay.push_back(D - fold);
        EXPECT_GT(D, fold) << "slips before the fold, T = " << T;
    }
    // The delay shrinks with the ramp's rate, roughly as rate^(2/3) (x 1/2.5 per 4x slower).
    EXPECT_LT(delay[1], delay[0] / 1.8);
    EXPECT_LT(delay[2], delay[1] / 1.8);
    EXPECT_LT(delay[2], 0.03 * fold);
    // Slow passage through a saddle-node: the delay in D scales as rate^(2/3)
    // (measured 2000 -> 32000 ms: 0.0125 -> 0.0020, exponent 0.66).
    EXPECT_NEAR(std::log(delay[0] / delay[2]) / std::log(16.0), 2.0 / 3.0, 0.12);
}

// Hysteresis: the Montbrio-Pazo-Roxin mean field (tau = 1, Delta = 1) is
// bistable between its folds, where the fixed points r* (V* = -Delta / (2 pi
// r*)) of eta(r) = pi^2 r^2 - 1 / (4 pi^2 r^2) - J r turn: eta'(r) = 0. A
// ramp of eta up then down jumps up at the upper fold and down at the lower
// one, each a little late (the passage delay).
TEST(ramp, montbrio_hysteresis_loop_at_the_analytic_folds) {
    const double J = 15.0;
    // The folds, by bisection on eta'(r) = 2 pi^2 r + 1 / (2 pi^2 r^3) - J.
    auto d_eta = [&](double r) { return 2 * pi_sq() * r + 1 / (2 * pi_sq() * r * r * r) - J; };
    auto eta = [&](double r) { return pi_sq() * r * r - 1 / (4 * pi_sq() * r * r) - J * r; };
    auto root = [&](double a, double b) {
        for (int k = 0; k < 200; ++k) {
            const double m = 0.5 * (a + b);
            (d_eta(a) > 0) == (d_eta(m) > 0) ? a = m : b = m;
        }
        return 0.5 * (a + b);
    };
    // eta' > 0 for small r, < 0 between the turning points, > 0 beyond.
    const double r_min = root(0.01, 0.3), r_max = root(0.3, 2.0);
    const double eta_up = eta(r_min), eta_down = eta(r_max); // the low branch ends, the high one ends
    ASSERT_NEAR(eta_up, -3.136, 0.01);
    ASSERT_NEAR(eta_down, -5.744, 0.01);
    std::ostringstream os;
    os << "[model]\nname = \"montbrio_pazo_roxin\"\nparams = { eta = 0.0, J = " << J << " }\n"
       << "[network]\nconnectome = \"synthetic:1\"\n[coupling]\nkind = \"linear\"\na = 0.0\n"
       << "[integrator]\nmethod = \"heun\"\ndt = 0.01\nduration = 8100.0\ntransient = 100.0\n"
       << "[initial]\nr = 0.05\nV = -3.0\n"
       << "[[stimulus]]\nwaveform = \"piecewise\"\ntarget = \"model.eta\"\nonset = 100.0\n"
       << "times = [0.0, 4000.0, 8000.0]\nvalues = [-8.0, -2.0, -8.0]\n"
       << "[output]\nobservable = \"r\"\nfeatures = [\"ramp\"]\nsample_every = 10\nramp = { windows = 800 "
          "}\n";
    const std::string f = run(os.str());
    const auto hi = ct::read(f, "features/network_ramp_max"), value = ct::read(f, "features/ramp_value");
    const auto dir = ct::read(f, "features/ramp_direction");
    double up = NAN, down = NAN;
    for (std::size_t w = 1; w < hi.size(); ++w) {
        if (std::isnan(up) && dir[w] > 0 && hi[w] > 0.5) up = value[w];
        if (std::isnan(down) && dir[w] < 0 && hi[w] < 0.5) down = value[w];
    }
    std::printf("jumps up at eta = %.4f (fold %.4f), down at %.4f (fold %.4f)\n", up, eta_up, down, eta_down);
    EXPECT_GT(up, eta_up);
    EXPECT_LT(up, eta_up + 0.1);
    EXPECT_LT(down, eta_down);
    EXPECT_GT(down, eta_down - 0.1);
}

// Bad stimulus input through the command line: one message naming the file,
// line and key, exit 2, and no result file.
TEST(ramp, bad_stimulus_exits_2_without_a_result) {
    const auto path = ct::scratch() / "bad.toml";
    std::ofstream(path) << "[model]\nname = \"linear\"\n[network]\nconnectome = \"synthetic:2\"\n"
                           "[integrator]\ndt = 0.1\nduration = 10.0\n"
                           "[[stimulus]]\nwaveform = \"sine\"\nfrequency = 9000.0\n";
    const auto out = ct::scratch() / "bad.h5";
    std::filesystem::remove(out);
    const auto r = ct::sh("run " + path.string() + " -o " + out.string());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(
        r.output.find("bad.toml:10: [stimulus] frequency: frequency 9000 Hz is at or above the Nyquist"),
        std::string::npos)
        << r.output;
    EXPECT_FALSE(std::filesystem::exists(out));
}
