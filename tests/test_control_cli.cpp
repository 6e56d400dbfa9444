// `nmsweep control`: the optimal input of a delayed linear network replayed
// by `nmsweep run` (its waveform files and [[stimulus]] tables) reaches the
// state the control computed; a bistable Jansen-Rit column switched from
// its alpha rhythm to its rest state (examples/jansen_rit_control.toml);
// bad input gives exit 2, one message naming file, line and key, no files.

#include "cli_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace ct = nms::cli_test;

namespace {

// Three nodes, delays 2..5 ms at 10 mm/ms.
std::string linear_spec(const std::string& control) {
    const auto dir = ct::scratch();
    std::ofstream(dir / "w.txt") << "0 0.5 0.2\n0.5 0 0.4\n0.2 0.4 0\n";
    std::ofstream(dir / "l.txt") << "0 20 50\n20 0 30\n50 30 0\n";
    return "[model]\nname = \"linear\"\nparams = { gamma = -0.5 }\n"
           "[network]\nconnectome = \"" +
           (dir / "w.txt").string() + "," + (dir / "l.txt").string() +
           "\"\nspeed = 10.0\n"
           "[coupling]\nkind = \"linear\"\na = 0.3\n"
           "[integrator]\nmethod = \"heun\"\ndt = 0.05\nduration = 20.0\n"
           "[initial]\nx = [1.0, -0.5, 0.25]\n"
           "[output]\npath = \"" +
           (dir / "run.h5").string() + "\"\nfeatures = [\"final\"]\n" + control;
}

const std::string linear_control = "[control]\nregions = [0, 2]\nvariable = \"x\"\n"
                                   "target = \"state\"\ntarget_state = { x = [0.2, 0.8, -0.3] }\n"
                                   "error_weight = 50.0\nenergy_weight = 1.0\n";

std::string slurp(const ct::fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// `nmsweep control` on the linear spec with `control`, then `nmsweep run` of
// the spec with the tables it wrote (duration `replay_ms`): the run ends in
// the state the control computed, closer to the target than without input.
void expect_replay(const std::string& control, double replay_ms) {
    const auto dir = ct::scratch();
    std::ofstream(dir / "c.toml") << linear_spec(control);
    const auto out = dir / "c.control.h5";
    const auto r = ct::sh("control " + (dir / "c.toml").string() + " -o " + out.string() + " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("replay: append"), std::string::npos) << r.output;
    std::vector<std::size_t> shape;
    const auto state = ct::read(out, "control/state", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{401, 1, 3}));
    const auto u = ct::read(out, "control/u", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{401, 2}));
    EXPECT_GT(std::abs(u[2]), 0.0); // (from a run's end the first sample is held at 0)
    const double* xT = state.data() + 400 * 3;
    const auto free_state = ct::read(out, "control/free_state");
    const double t[3] = {0.2, 0.8, -0.3};
    double e_free = 0, e_ctl = 0;
    for (int q = 0; q < 3; ++q) {
        e_free += std::pow(free_state[400 * 3 + std::size_t(q)] - t[q], 2);
        e_ctl += std::pow(xT[q] - t[q], 2);
    }
    EXPECT_LT(e_ctl, 0.2 * e_free);
    const std::string snippet = slurp(dir / "c.control.stimulus.toml");
    ASSERT_NE(snippet.find("waveform = \"sampled\""), std::string::npos);
    std::string base = linear_spec("");
    base.replace(base.find("duration = 20.0"), 15, "duration = " + std::to_string(replay_ms));
    for (const char* name : {"replay", "free"}) {
        std::ofstream(dir / (std::string(name) + ".toml")) << base << (name[0] == 'r' ? snippet : "");
        const auto h5 = dir / (std::string(name) + ".h5");
        const auto rr = ct::sh("run " + (dir / (std::string(name) + ".toml")).string() + " -o " +
                               h5.string() + " --overwrite --precision double -q");
        ASSERT_EQ(rr.code, 0) << rr.output;
        const auto fin = ct::read(h5, "features/final_state");
        ASSERT_EQ(fin.size(), 3u);
        const double* want = name[0] == 'r' ? xT : free_state.data() + 400 * 3;
        for (int q = 0; q < 3; ++q) EXPECT_NEAR(fin[std::size_t(q)], want[q], 1e-9) << name << " node " << q;
    }
}

TEST(control_cli, the_replayed_input_reaches_the_computed_state) {
    expect_replay(linear_control + "start = \"initial\"\n", 20.0);
}

// From the end of the point's own 20 ms run: the delayed inputs of the
// horizon's first 5 ms come from that run (the past), and the replay's
// stimuli start at 20 ms.
TEST(control_cli, from_the_end_of_the_run_with_its_delayed_past) { expect_replay(linear_control, 40.0); }

// examples/jansen_rit_control.toml: point 0 ends on the alpha cycle, point 1
// at rest; the control moves point 0 to point 1's rest state and the
// replayed input leaves the column there, 500 ms after it stopped.
TEST(control_cli, switches_a_bistable_jansen_rit_column) {
    const auto dir = ct::scratch();
    const std::string ex = std::string(NMS_TEST_DATA) + "/../../examples/jansen_rit_control.toml";
    std::string spec = slurp(ex);
    const std::string rel = "data/one_column";
    const std::string abs = std::string(NMS_TEST_DATA) + "/../../examples/data/one_column";
    for (std::size_t at = 0; (at = spec.find(rel, at)) != std::string::npos; at += abs.size())
        spec.replace(at, rel.size(), abs);
    std::ofstream(dir / "jr.toml") << spec;
    const auto out = dir / "jr.control.h5";
    const auto r = ct::sh("control " + (dir / "jr.toml").string() + " -o " + out.string() + " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    const auto target = ct::read(out, "control/target");
    const auto state = ct::read(out, "control/state");
    const auto free_state = ct::read(out, "control/free_state");
    // y1 - y2 (variables 1 and 2): on the cycle without input, at rest with it.
    const std::size_t last = state.size() - 6;
    const double rest = target[1] - target[2];
    EXPECT_NEAR(rest, 1.56, 0.05);
    EXPECT_GT(free_state[last + 1] - free_state[last + 2], 4.0);
    EXPECT_NEAR(state[last + 1] - state[last + 2], rest, 0.3);
    // The replay, without [control] and 500 ms longer: still high.
    std::string replay = spec.substr(0, spec.find("\n[control]") + 1);
    replay.replace(replay.find("duration = 1000.0"), 17, "duration = 1600.0");
    replay += slurp(dir / "jr.control.stimulus.toml");
    std::ofstream(dir / "replay.toml") << replay;
    const auto h5 = dir / "replay.h5";
    ASSERT_EQ(ct::sh("run " + (dir / "replay.toml").string() + " -o " + h5.string() + " --overwrite -q").code,
              0);
    std::vector<std::size_t> shape;
    const auto fin = ct::read(h5, "features/final_state", &shape); // [initial, variable, node]
    ASSERT_EQ(fin.size(), 8u * 6u);
    EXPECT_NEAR(fin[1] - fin[2], rest, 0.01) << "point 0 did not stay at rest";
}

TEST(control_cli, bad_input_names_file_line_and_key) {
    const auto dir = ct::scratch();
    struct bad_case {
        std::string control, needle;
    } cases[] = {
        {"[control]\nvariable = \"x\"\ntarget_state = { x = 0.0 }\n", "[control] regions: required key"},
        {"[control]\nregions = [0]\nvariable = \"y\"\ntarget_state = { x = 0.0 }\n", "[control] variable"},
        {"[control]\nregions = [0]\nvariable = \"x\"\n", "target_state"},
        {"[control]\nregions = [0]\nvariable = \"x\"\ntarget_state = { z = 1.0 }\n",
         "'z' is not a state variable"},
        {"[control]\nregions = [\"nowhere\"]\nvariable = \"x\"\ntarget_state = { x = 1.0 }\n",
         "c.toml:20: [control] regions: 'nowhere' is neither a region label nor an index 0..2\n"},
        {"[control]\nregions = [0]\nvariable = \"x\"\ntarget_state = { x = [1.0, 2.0] }\n",
         "x has 2 values; give one, or one per node (3)"},
        {"[control]\nregions = [0]\nvariable = \"x\"\ntarget = \"desynchronise\"\n", "no phase variable"},
        {"[control]\nregions = [0]\nvariable = \"x\"\ntarget_point = 7\n", "grid point 7 does not exist"},
    };
    for (const auto& c : cases) {
        std::ofstream(dir / "c.toml") << linear_spec(c.control);
        const auto out = dir / "bad.control.h5";
        ct::fs::remove(out);
        const auto r = ct::sh("control " + (dir / "c.toml").string() + " -o " + out.string());
        EXPECT_EQ(r.code, 2) << c.control << r.output;
        EXPECT_NE(r.output.find(c.needle), std::string::npos)
            << "want: " << c.needle << "\ngot: " << r.output;
        EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
        EXPECT_FALSE(ct::fs::exists(out));
        EXPECT_FALSE(ct::fs::exists(dir / "bad.control.stimulus.toml"));
    }
    std::string rk4 = linear_spec(linear_control);
    rk4.replace(rk4.find("\"heun\""), 6, "\"rk4\"");
    std::ofstream(dir / "c.toml") << rk4;
    const auto r = ct::sh("control " + (dir / "c.toml").string() + " -o " + (dir / "x.h5").string());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("[integrator] method"), std::string::npos) << r.output;
}

} // namespace
