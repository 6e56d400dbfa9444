// Seizure detection (nmsweep/analysis/seizure_tracking.hpp, src/sweep/
// seizure.cpp): the detector on signals whose crossings are known in closed
// form; recruitment order and latencies from the states; and on the
// Epileptor: a single 2-D Epileptor seizes exactly above the threshold that
// follows from its equations, recruitment follows the chain and the
// coupling strengths, an SEEG contact reports the onset of the region that
// dominates its gain; the spec's [output.seizure] and its errors.
#include "analysis_test_util.hpp"
#include "cli_util.hpp"
#include "nmsweep/analysis/unit_reducer.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

using namespace nms_test;
namespace cli = nms::cli_test;

namespace {

constexpr double pi = 3.14159265358979323846;

nms::sampling at_ms(double dt_ms, long n, double t0 = 0) {
    nms::sampling s;
    s.dt_ms = dt_ms;
    s.fs = 1000.0 / dt_ms;
    s.n_samples = n;
    s.t0_ms = t0;
    return s;
}

nms::seizure_options rule(const char* measure, double window, double on, double off) {
    nms::seizure_options o;
    o.measure = measure;
    o.window_ms = window;
    o.on = on;
    o.off = off;
    return o;
}

// Output `name` of instance i.
std::vector<double> get(const nms::reducer& r, const std::string& name, std::size_t i = 0) {
    return result_of(r, "features/" + name, i);
}

} // namespace

// Without smoothing a level step between two samples is dated by linear
// interpolation: x jumps from -1.5 (samples < 40) to 0.5, so it crosses
// on = -0.5 half-way between samples 39 and 40; it falls back to -1.5 from
// sample 70, crossing off = -1 three quarters of the way.
TEST(seizure_detector, level_steps_are_dated_by_interpolation) {
    const auto smp = at_ms(2.0, 100, 10.0);
    auto r = nms::make_seizure_reducer(rule("level", 0, -0.5, -1.0), smp);
    feed(*r, 1, 1, smp.n_samples, 1, [](std::size_t, long t, int) { return t >= 40 && t < 70 ? 0.5 : -1.5; });
    EXPECT_DOUBLE_EQ(get(*r, "seizure_onset")[0], 10.0 + 2.0 * 39.5);
    EXPECT_DOUBLE_EQ(get(*r, "seizure_offset")[0], 10.0 + 2.0 * 69.75);
    EXPECT_EQ(get(*r, "seizure_count")[0], 1.0);
    EXPECT_EQ(get(*r, "seizure_time")[0], 30 * 2.0);
    EXPECT_EQ(get(*r, "recruited")[0], 1.0);
}

// Hysteresis: a dip between off and on does not end the seizure, a dip
// below off does; a rise that stays below on starts nothing. And with
// on < off the detector looks for dips.
TEST(seizure_detector, hysteresis_and_direction) {
    const auto smp = at_ms(1.0, 100);
    const auto x = [](long t) {
        if (t < 10) return 0.0;
        if (t < 20) return 3.0; // above on = 2: onset
        if (t < 30) return 1.5; // between off = 1 and on: still seizing
        if (t < 40) return 3.0;
        if (t < 50) return 0.0; // below off: offset
        if (t < 60) return 1.8; // below on: nothing
        if (t < 70) return 2.5; // second seizure, to the end
        return 2.5;
    };
    auto up = nms::make_seizure_reducer(rule("level", 0, 2.0, 1.0), smp);
    feed(*up, 1, 1, smp.n_samples, 1, [&](std::size_t, long t, int) { return x(t); });
    EXPECT_EQ(get(*up, "seizure_count")[0], 2.0);
    EXPECT_EQ(get(*up, "seizure_time")[0], 30.0 + 40.0);
    EXPECT_NEAR(get(*up, "seizure_onset")[0], 9 + 2.0 / 3, 1e-12);
    EXPECT_NEAR(get(*up, "seizure_offset")[0], 39 + 2.0 / 3, 1e-12);
    // The mirror image, seized below -2 until above -1.
    auto down = nms::make_seizure_reducer(rule("level", 0, -2.0, -1.0), smp);
    feed(*down, 1, 1, smp.n_samples, 1, [&](std::size_t, long t, int) { return -x(t); });
    EXPECT_EQ(get(*down, "seizure_count")[0], 2.0);
    EXPECT_NEAR(get(*down, "seizure_onset")[0], 9 + 2.0 / 3, 1e-12);
    EXPECT_NEAR(get(*down, "seizure_offset")[0], 39 + 2.0 / 3, 1e-12);
}

// A burst of A sin(2 pi f t) between t1 and t2: its |dx/dt| averages 4 A f
// (1/s), so the low-passed line length (time constant tau) rises as
// 4Af (1 - exp(-(t - t1)/tau)) and crosses on = 2Af at t1 + tau ln 2, then
// decays as 4Af exp(-(t - t2)/tau) and crosses off = 0.4Af at t2 + tau ln 10
// (up to the ripple of |dx/dt| within a cycle, a few per cent of tau here).
TEST(seizure_detector, line_length_of_a_burst) {
    const double A = 2.0, f = 20.0, tau = 200.0, t1 = 1000.0, t2 = 3000.0; // Hz, ms
    const auto smp = at_ms(0.5, 10000);
    auto r = nms::make_seizure_reducer(rule("line_length", tau, 2 * A * f, 0.4 * A * f), smp);
    feed(*r, 1, 1, smp.n_samples, 1, [&](std::size_t, long k, int) {
        const double t = double(k) * 0.5;
        return t >= t1 && t < t2 ? A * std::sin(2 * pi * f * (t - t1) / 1000.0) : 0.0;
    });
    EXPECT_NEAR(get(*r, "seizure_onset")[0], t1 + tau * std::log(2.0), 0.05 * tau);
    EXPECT_NEAR(get(*r, "seizure_offset")[0], t2 + tau * std::log(10.0), 0.05 * tau);
    EXPECT_EQ(get(*r, "seizure_count")[0], 1.0);
}

// Onsets at 30, 10, 10, never, 50 ms: ranks 3 1 1 0 4 (ties share the lower
// rank), latencies from the first, 4 recruited, half of 5 (3) recruited 20
// ms after the first onset; generalised at 0.8 of the nodes, not at 0.9.
TEST(seizure_detector, recruitment_order_across_nodes) {
    const auto smp = at_ms(1.0, 100);
    const double onset[5] = {30, 10, 10, -1, 50};
    for (double g : {0.9, 0.8}) {
        auto o = rule("level", 0, 0.5, 0.25);
        o.generalised = g;
        auto r = nms::make_seizure_reducer(o, smp);
        feed(*r, 2, 5, smp.n_samples, 2, [&](std::size_t i, long t, int n) {
            if (i == 1) return 0.0; // a second instance that never seizes
            return onset[n] >= 0 && double(t) >= onset[n] ? 1.0 : 0.0;
        });
        // (The step crosses 0.5 half a sample before it is seen.)
        EXPECT_EQ(get(*r, "onset_rank"), (std::vector<double>{3, 1, 1, 0, 4}));
        const auto lat = get(*r, "onset_latency");
        EXPECT_DOUBLE_EQ(lat[0], 20);
        EXPECT_DOUBLE_EQ(lat[1], 0);
        EXPECT_TRUE(std::isnan(lat[3]));
        EXPECT_DOUBLE_EQ(lat[4], 40);
        EXPECT_DOUBLE_EQ(get(*r, "first_onset")[0], 9.5);
        EXPECT_EQ(get(*r, "n_recruited")[0], 4.0);
        EXPECT_DOUBLE_EQ(get(*r, "time_to_half")[0], 20.0);
        EXPECT_EQ(get(*r, "generalised")[0], g == 0.8 ? 1.0 : 0.0);
        EXPECT_EQ(get(*r, "n_recruited", 1)[0], 0.0);
        EXPECT_EQ(get(*r, "onset_rank", 1), std::vector<double>(5, 0.0));
        EXPECT_TRUE(std::isnan(get(*r, "time_to_half", 1)[0]));
    }
}

// ---- through the spec and the engine ----------------------------------------

namespace {

// Runs `spec` (written to the test's scratch folder with the files given)
// on the CPU and returns the result's path.
std::string run(const std::string& spec, const std::vector<std::pair<std::string, std::string>>& files = {}) {
    const auto dir = cli::scratch();
    for (const auto& [name, text] : files) std::ofstream(dir / name) << text;
    const auto path = dir / "spec.toml";
    std::ofstream(path) << spec;
    nms::sweep_request r;
    r.spec_path = path.string();
    r.output = (dir / "out.h5").string();
    r.backend = "cpu";
    r.overwrite = r.quiet = true;
    nms::run_sweep(r);
    return r.output;
}

std::vector<double> read(const std::string& file, const std::string& name) {
    return nms::h5::read_dataset(file, name, nullptr);
}

// A 2-D Epileptor spec's head: model params, duration (ms).
std::string e2d(const std::string& params, const std::string& duration) {
    return "[model]\nname = \"epileptor2d\"\n" + (params.empty() ? "" : "params = " + params + "\n") + R"(
[coupling]
kind = "difference"
a = 1.0
[integrator]
method = "heun"
dt = 0.1
precision = "double"
duration = )" +
           duration + "\n";
}

} // namespace

// The 2-D Epileptor's fixed point leaves the left branch of the fast
// subsystem (knee x1 = -4/3, z = 4.1 + 64/27 - 32/9) where the z-nullcline
// z = 4 (x1 - x0) passes through the knee: x0c = -4/3 - z_knee / 4 =
// -2.0620. An uncoupled node is recruited exactly above it (its first
// seizure comes late near the threshold: 40 s of record).
TEST(seizure_epileptor, single_node_seizes_above_the_derived_threshold) {
    const double z_knee = 4.1 + 64.0 / 27 - 32.0 / 9, x0c = -4.0 / 3 - z_knee / 4;
    ASSERT_NEAR(x0c, -2.0620, 1e-4);
    const std::vector<double> x0{-2.2, -2.1, -2.07, -2.065, -2.059, -2.055, -2.0, -1.6};
    std::string vals;
    for (double x : x0) vals += (vals.empty() ? "" : ", ") + std::to_string(x);
    const auto out = run(e2d("", "40000.0") + R"(
[network]
connectome = "synthetic:1"
[[sweep]]
param = "model.x0"
values = [)" + vals + R"(]
[output]
observable = "x1"
features = ["seizure"]
sample_every = 10
)");
    const auto rec = read(out, "features/recruited");
    const auto count = read(out, "features/seizure_count");
    ASSERT_EQ(rec.size(), x0.size());
    for (std::size_t i = 0; i < x0.size(); ++i) {
        EXPECT_EQ(rec[i], x0[i] > x0c ? 1.0 : 0.0) << "x0 = " << x0[i];
        if (x0[i] > x0c) EXPECT_GE(count[i], 10.0) << "x0 = " << x0[i]; // seizes again and again
    }
}

namespace {
// A chain 0 - 1 - 2 - 3 (weights 1, 10 mm apart) with the EZ at node 0.
const std::vector<std::pair<std::string, std::string>> chain_files = {
    {"w.txt", "0 1 0 0\n1 0 1 0\n0 1 0 1\n0 0 1 0\n"},
    {"l.txt", "0 10 0 0\n10 0 10 0\n0 10 0 10\n0 0 10 0\n"}};
} // namespace

// Permittivity coupling (Ks < 0: a seizing neighbour lowers z) recruits the
// chain in order with latencies growing along it, faster with stronger
// coupling; uncoupled (Ks = 0) only the EZ seizes.
TEST(seizure_epileptor, chain_recruits_in_order) {
    const auto out = run(e2d("{ x0 = [-1.6, -2.2, -2.2, -2.2] }", "10000.0") + R"(
[network]
connectome = "w.txt,l.txt"
speed = 4.0
[[sweep]]
param = "model.Ks"
values = [0.0, -1.0, -4.0]
[output]
observable = "x1"
features = ["seizure"]
sample_every = 10
)",
                         chain_files);
    const auto rank = read(out, "features/onset_rank");
    const auto lat = read(out, "features/onset_latency");
    const auto n = read(out, "features/n_recruited");
    EXPECT_EQ(std::vector<double>(rank.begin(), rank.begin() + 4), (std::vector<double>{1, 0, 0, 0}));
    EXPECT_EQ(n[0], 1.0);
    for (int k = 1; k <= 2; ++k) {
        EXPECT_EQ(std::vector<double>(rank.begin() + 4 * k, rank.begin() + 4 * k + 4),
                  (std::vector<double>{1, 2, 3, 4}));
        EXPECT_EQ(n[std::size_t(k)], 4.0);
        for (int i = 1; i < 4; ++i) EXPECT_GT(lat[std::size_t(4 * k + i)], lat[std::size_t(4 * k + i - 1)]);
    }
    EXPECT_LT(lat[11], lat[7]); // stronger coupling: faster spread
}

// A star around the EZ (node 0) with weights 0.3, 1, 0.6 to nodes 1, 2, 3:
// the leaves are recruited in the order of their coupling strengths.
TEST(seizure_epileptor, star_recruits_by_coupling_strength) {
    const auto out = run(e2d("{ x0 = [-1.6, -2.2, -2.2, -2.2], Ks = -2.0 }", "10000.0") + R"(
[network]
connectome = "w.txt,l.txt"
speed = 4.0
[output]
observable = "x1"
features = ["seizure"]
sample_every = 10
)",
                         {{"w.txt", "0 0.3 1 0.6\n0.3 0 0 0\n1 0 0 0\n0.6 0 0 0\n"},
                          {"l.txt", "0 10 10 10\n10 0 0 0\n10 0 0 0\n10 0 0 0\n"}});
    EXPECT_EQ(read(out, "features/onset_rank"), (std::vector<double>{1, 4, 2, 3}));
}

// SEEG: contact k sees region k with gain 1 and the others with 0.01; with
// the regions' thresholds its onset is its region's (within a sample and a
// half: the others shift its level a little).
TEST(seizure_epileptor, seeg_contact_reports_its_dominant_region) {
    std::string gain;
    for (int s = 0; s < 4; ++s)
        for (int r = 0; r < 4; ++r) gain += std::string(r == s ? "1.0" : "0.01") + (r == 3 ? "\n" : ",");
    const auto out = run(e2d("{ x0 = [-1.6, -2.2, -2.2, -2.2], Ks = -1.0 }", "10000.0") + R"(
[network]
connectome = "w.txt,l.txt"
speed = 4.0
[output]
observable = "x1"
features = ["seizure"]
sample_every = 10
[[output.sensors]]
name = "seeg"
gain = "gain.csv"
features = ["seizure"]
)",
                         {chain_files[0], chain_files[1], {"gain.csv", gain}});
    const auto region = read(out, "features/seizure_onset");
    const auto contact = read(out, "sensors/seeg/seizure_onset");
    ASSERT_EQ(contact.size(), 4u);
    for (std::size_t k = 0; k < 4; ++k) {
        EXPECT_TRUE(std::isfinite(region[k]));
        EXPECT_NEAR(contact[k], region[k], 1.5) << "contact " << k;
    }
    EXPECT_EQ(read(out, "sensors/seeg/onset_rank"), read(out, "features/onset_rank"));
}

// ---- [output.seizure] --------------------------------------------------------

namespace {
const char* jr_spec = R"(
[model]
name = "jansen_rit"
[network]
connectome = "synthetic:2"
[integrator]
dt = 0.1
duration = 1000.0
[output]
features = ["seizure"]
)";

std::string error_of(const std::string& text) {
    try {
        nms::parse_spec(text, "s.toml");
    } catch (const nms::input_error& e) {
        return e.what();
    }
    return "accepted";
}
} // namespace

TEST(seizure_spec, model_rule_and_overrides) {
    const auto s = nms::parse_spec(e2d("", "1000.0") + R"(
[network]
connectome = "synthetic:2"
[output]
features = ["seizure"]
)",
                                   "s.toml");
    EXPECT_EQ(s.seizure.measure, "level");
    EXPECT_EQ(s.seizure.on, -0.5);
    EXPECT_EQ(s.seizure.off, -1.0);
    EXPECT_NE(s.seizure.source.find("epileptor2d"), std::string::npos);
    const auto t = nms::parse_spec(std::string(jr_spec) + R"(
[output.seizure]
measure = "line_length"
window = 50.0
on = 100.0
off = 20.0
generalised = 0.5
)",
                                   "s.toml");
    EXPECT_EQ(t.seizure.measure, "line_length");
    EXPECT_EQ(t.seizure.window_ms, 50.0);
    EXPECT_EQ(t.seizure.generalised, 0.5);
}

TEST(seizure_spec, bad_input_names_file_line_key_and_value) {
    EXPECT_NE(error_of(jr_spec).find(
                  "s.toml:10: [output] features: 'seizure': model jansen_rit has no seizure rule"),
              std::string::npos)
        << error_of(jr_spec);
    auto with = [&](const std::string& extra) { return error_of(std::string(jr_spec) + extra); };
    EXPECT_NE(with("[output.seizure]\non = 1.0\noff = 1.0\n")
                  .find("s.toml:11: [output.seizure] on: on and off must differ"),
              std::string::npos)
        << with("[output.seizure]\non = 1.0\noff = 1.0\n");
    const auto m = with("[output.seizure]\nmeasure = \"power\"\non = 1.0\noff = 0.0\n");
    EXPECT_NE(m.find("s.toml:12: [output.seizure] measure: expected level or line_length"), std::string::npos)
        << m;
    EXPECT_NE(m.find("(value \"power\")"), std::string::npos) << m;
    const auto w = with("[output.seizure]\nwindow = -1.0\non = 1.0\noff = 0.0\n");
    EXPECT_NE(w.find("s.toml:12: [output.seizure] window: must be >= 0 ms"), std::string::npos) << w;
    const auto g = with("[output.seizure]\non = 1.0\noff = 0.0\ngeneralised = 1.5\n");
    EXPECT_NE(g.find("[output.seizure] generalised: must be a fraction"), std::string::npos) << g;
    const auto u = with("[output.seizure]\non = 1.0\noff = 0.0\nonn = 2\n");
    EXPECT_NE(u.find("[output.seizure] onn: unknown key (did you mean 'on'?)"), std::string::npos) << u;
}

// ---- observed onsets and the ranking of hypotheses --------------------------

namespace {
// A chain 0 - 1 - 2 - 3 - 4 with uneven weights (no mirror symmetry).
const std::vector<std::pair<std::string, std::string>> chain5 = {
    {"w.txt", "0 1 0 0 0\n1 0 0.6 0 0\n0 0.6 0 0.8 0\n0 0 0.8 0 0.5\n0 0 0 0.5 0\n"},
    {"l.txt", "0 10 0 0 0\n10 0 10 0 0\n0 10 0 10 0\n0 0 10 0 10\n0 0 0 10 0\n"}};
const char* chain5_net = R"(
[network]
connectome = "w.txt,l.txt"
speed = 4.0
)";
} // namespace

// A synthetic recording: the zone at node 1, simulated with noise, its
// onsets jittered by up to 15 ms. Every single-region hypothesis run
// without noise and scored against it: the generating one ranks first,
// and a region that seizes in every hypothesis has recruitment probability 1.
TEST(seizure_ranking, recovers_the_generating_hypothesis) {
    const std::string head = e2d("{ x0 = [-2.2, -1.6, -2.2, -2.2, -2.2], Ks = -1.0 }", "8000.0");
    const auto rec_out = run(head + "noise = { sigma = { x1 = 2e-3 }, seed = 5 }\n" + chain5_net + R"(
[output]
observable = "x1"
features = ["seizure"]
sample_every = 10
)",
                             chain5);
    const auto onset = read(rec_out, "features/seizure_onset");
    ASSERT_EQ(onset.size(), 5u);
    std::string obs = "# region onset_ms (synthetic: zone at node 1, noise, jitter)\n";
    const double jitter[5] = {12.0, -7.0, 15.0, -15.0, 4.0};
    int recruited = 0;
    for (int n = 0; n < 5; ++n)
        if (std::isfinite(onset[std::size_t(n)])) {
            obs +=
                std::to_string(n) + " " + std::to_string(onset[std::size_t(n)] + 1000.0 + jitter[n]) + "\n";
            ++recruited;
        }
    ASSERT_GE(recruited, 4); // the seizure spreads: the order carries the information
    const auto out = run(e2d("{ Ks = -1.0 }", "8000.0") + chain5_net + R"(
[[sweep]]
param = "model.x0"
ez = { regions = "all", k = 1, value = -1.6, base = -2.2 }
[output]
observable = "x1"
features = ["seizure"]
sample_every = 10
[output.seizure]
observed = "observed.txt"
top = 3
)",
                         {chain5[0], chain5[1], {"observed.txt", obs}});
    const auto point = read(out, "seizure/ranking/point");
    const auto score = read(out, "seizure/ranking/score");
    ASSERT_EQ(point.size(), 3u);
    EXPECT_EQ(point[0], 1.0);
    EXPECT_GT(score[0], score[1]);
    EXPECT_EQ(nms::h5::read_strings_attr(out, "seizure/ranking", "labels").at(0), "ez=1");
    // Per hypothesis the score is the product of the agreements.
    const auto j = read(out, "features/observed_jaccard"), rho = read(out, "features/observed_rank_corr"),
               sc = read(out, "features/observed_score");
    for (std::size_t h = 0; h < 5; ++h)
        EXPECT_NEAR(sc[h], std::isnan(rho[h]) ? j[h] : j[h] * (1 + rho[h]) / 2, 1e-12);
    const auto p = read(out, "seizure/recruitment_probability"),
               q = read(out, "seizure/propagation_probability");
    const auto rec = read(out, "features/recruited");
    for (std::size_t n = 0; n < 5; ++n) {
        double sum = 0, out_sum = 0;
        for (std::size_t h = 0; h < 5; ++h) sum += rec[h * 5 + n], out_sum += h == n ? 0 : rec[h * 5 + n];
        EXPECT_DOUBLE_EQ(p[n], sum / 5);
        EXPECT_DOUBLE_EQ(q[n], out_sum / 4);
    }
}

// An observed file whose labels are not channels: one error naming the
// file and line, exit 2, and no result file.
TEST(seizure_ranking, observed_labels_must_match) {
    const auto dir = cli::scratch();
    for (const auto& [name, text] : chain5) std::ofstream(dir / name) << text;
    std::ofstream(dir / "observed.txt") << "0 10\n7 20\n";
    const std::string spec = e2d("{ Ks = -1.0 }", "100.0") + chain5_net + R"(
[output]
observable = "x1"
features = ["seizure"]
[output.seizure]
observed = "observed.txt"
)";
    std::ofstream(dir / "spec.toml") << spec;
    const auto out = cli::tmp("out.h5");
    const auto r = cli::sh("run -q " + (dir / "spec.toml").string() + " -o " + out.string());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("observed.txt:2: '7' is not one of the regions of the connectome"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(std::filesystem::exists(out));
    std::ofstream(dir / "observed.txt") << "0 10\n1 x\n";
    const auto r2 = cli::sh("run -q " + (dir / "spec.toml").string() + " -o " + out.string());
    EXPECT_EQ(r2.code, 2);
    EXPECT_NE(r2.output.find("observed.txt:2: onset 'x' is not a number (ms)"), std::string::npos)
        << r2.output;
    std::ofstream(dir / "observed.txt") << "0 10\n0 20\n";
    const auto r3 = cli::sh("run -q " + (dir / "spec.toml").string() + " -o " + out.string());
    EXPECT_NE(r3.output.find("observed.txt:2: '0' again (first on line 1)"), std::string::npos) << r3.output;
    EXPECT_FALSE(std::filesystem::exists(out));
}

// `nmsweep plot` recruitment, onsets and ranking from an ez sweep with an
// observation (PNG files); a file without seizure results: a clear error.
TEST(seizure_plots, recruitment_onsets_and_ranking) {
    if (cli::sh("plot -h").code != 0 ||
        std::system("python3 -c 'import numpy, h5py, matplotlib' 2>/dev/null"))
        GTEST_SKIP() << "python3 with numpy, h5py and matplotlib is needed";
    const auto out = run(e2d("{ Ks = -1.0 }", "3000.0") + chain5_net + R"(
[[sweep]]
param = "model.x0"
ez = { regions = "all", k = 1, value = -1.6, base = -2.2 }
[[sweep]]
param = "coupling.a"
values = [0.5, 1.0]
[output]
observable = "x1"
features = ["seizure"]
sample_every = 10
[output.seizure]
observed = "observed.txt"
)",
                         {chain5[0], chain5[1], {"observed.txt", "1 0\n0 50\n2 80\n"}});
    for (const std::string what : {"recruitment --at coupling.a=1", "onsets --at ez=2", "ranking"}) {
        const auto png = cli::tmp("p.png");
        const auto r = cli::sh("plot " + out + " " + what + " -o " + png.string());
        EXPECT_EQ(r.code, 0) << what << ": " << r.output;
        EXPECT_TRUE(std::filesystem::exists(png) && std::filesystem::file_size(png) > 5000) << what;
    }
    const auto plain =
        run(e2d("", "100.0") + "[network]\nconnectome = \"synthetic:2\"\n[output]\nfeatures = [\"mean\"]\n");
    const auto r = cli::sh("plot " + plain + " recruitment -o " + cli::tmp("q.png").string());
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("has no seizure/recruitment_probability"), std::string::npos) << r.output;
}
