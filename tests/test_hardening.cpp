// Hostile input (issue "Nothing lost, nothing crashes"): every reader fails
// with one clear error naming the file (line, column, key where there is
// one) instead of crashing, hanging or accepting nonsense. The inputs that
// crashed or hung before are kept in tests/fuzz/regressions/.

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/isolated.hpp"
#include "nmsweep/io/text_table.hpp"
#include "nmsweep/network/connectome.hpp"
#include "nmsweep/observe/leadfield.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using nms::input_error;

namespace {

const std::string data = NMS_TEST_DATA;
const std::string regressions = NMS_FUZZ_REGRESSIONS;

template <class F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const input_error& e) {
        return e.what();
    }
    return "(no nms::input_error thrown)";
}

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

fs::path scratch() {
    const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
    fs::path p =
        fs::temp_directory_path() / ("nms_hard_" + std::string(t->name()) + std::to_string(getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

} // namespace

TEST(hardening, specs_that_crashed_toml11_are_refused_with_line_and_column) {
    // Stack exhaustion (nesting, dotted keys) and a byte that is not UTF-8.
    const std::pair<const char*, const char*> cases[] = {
        {"deep_arrays.toml", "deep_arrays.toml:1:"},
        {"deep_inline_tables.toml", "deep_inline_tables.toml:1:"},
        {"dotted_key.toml", "dotted_key.toml:1:"},
        {"dotted_header.toml", "dotted_header.toml:1:"},
        {"invalid_utf8.toml", "invalid_utf8.toml:4:15"},
        {"nul_byte.toml", "nul_byte.toml:2:"}};
    for (const auto& [file, where] : cases) {
        const fs::path p = fs::path(regressions) / "spec" / file;
        const std::string msg = error_of([&] { nms::parse_spec(slurp(p), p.string()); });
        EXPECT_HAS(msg, where);
    }
    EXPECT_HAS(
        error_of([&] { nms::parse_spec("x = " + std::string(65, '[') + std::string(65, ']'), "d.toml"); }),
        "nested deeper than 64 levels");
    // 64 levels are fine for the guard (toml11 then judges the key).
    EXPECT_HAS(
        error_of([&] { nms::parse_spec("x = " + std::string(64, '[') + std::string(64, ']'), "d.toml"); }),
        "unknown section");
}

TEST(hardening, a_long_one_line_array_parses_in_linear_time) {
    // 100000 values on one line took 120 s (toml11 scans each value's line);
    // the guard breaks such lines, and errors keep the original line numbers.
    const fs::path p = fs::path(regressions) / "spec" / "long_array.toml";
    EXPECT_HAS(error_of([&] { nms::parse_spec(slurp(p), p.string()); }),
               "long_array.toml:"); // ordinary error
    // Linear: 4x the values take ~4x the time (quadratic: 16x). The ratio,
    // not a time, so that slow (sanitizer) builds and busy machines pass;
    // the best of 3 tries each.
    auto seconds = [](int n) {
        std::string text = "values = [";
        for (int i = 0; i < n; ++i) text += (i ? ", " : "") + std::to_string(0.1 + i * 1e-6);
        text += "]\n";
        double best = 1e300;
        for (int k = 0; k < 3; ++k) {
            const auto t0 = std::chrono::steady_clock::now();
            error_of([&] { nms::parse_spec(text, "a.toml"); });
            best =
                std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        return best;
    };
    const double t1 = seconds(10000), t4 = seconds(40000);
    EXPECT_LT(t4 / t1, 9.0) << t1 << " s for 10000 values, " << t4 << " s for 40000: no longer linear";
    std::string text = "[model]\nname = \"jansen_rit\"\nparams = { mu = [";
    for (int i = 0; i < 3000; ++i) text += (i ? ", " : "") + std::to_string(0.1 + i * 1e-6);
    text += "] }\n[network]\nconnectome = \"synthetic:4\"\nspeed = -1.0\n";
    EXPECT_HAS(error_of([&] { nms::parse_spec(text, "m.toml"); }), "m.toml:6: [network] speed");
}

TEST(hardening, text_tables_refuse_non_finite_entries_with_line_and_column) {
    EXPECT_HAS(error_of([] { nms::parse_text_table("0 1\n1, nan\n", "fc.csv"); }),
               "fc.csv:2:4: 'nan' is not a finite");
    EXPECT_HAS(error_of([] { nms::parse_text_table("0 inf\n", "w.txt"); }), "w.txt:1:3: 'inf'");
    EXPECT_HAS(error_of([] { nms::parse_text_table("0 1e999\n", "w.txt"); }), "w.txt:1:3: '1e999'");
    EXPECT_HAS(error_of([] { nms::parse_text_table("0 x1\n", "w.txt"); }), "w.txt:1:3: not a number: 'x1'");
    EXPECT_HAS(error_of([] { nms::parse_text_table(std::string("0 1\n\0", 5), "w.txt"); }),
               "w.txt:2:1: a NUL");
    EXPECT_EQ(nms::parse_text_table("1e-400 2\n", "u.txt")[0][1], 2.0); // underflow to 0 is a number
}

TEST(hardening, npy_shapes_that_overflow_are_refused) {
    for (const char* f : {"npy_shape_overflow", "npy_shape_max", "npy_header_past_end"}) {
        const std::string bytes = slurp(fs::path(regressions) / "tables" / f).substr(1);
        std::size_t r = 0, c = 0;
        EXPECT_HAS(error_of([&] { nms::parse_npy_matrix(bytes, f, "gain", &r, &c); }), f);
    }
}

TEST(hardening, input_files_must_be_regular_and_bounded) {
    const fs::path d = scratch();
    const fs::path fifo = d / "fifo.txt";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
    // A FIFO used to block forever: refused at once.
    EXPECT_HAS(error_of([&] { nms::read_square_matrix(fifo.string()); }), "is a FIFO (named pipe)");
    EXPECT_HAS(error_of([&] { nms::read_square_matrix(d.string()); }), "is a directory");
    EXPECT_HAS(error_of([&] { nms::read_square_matrix("/dev/zero"); }), "is a device");
    EXPECT_HAS(error_of([&] { nms::read_square_matrix((d / "none.txt").string()); }),
               "none.txt: cannot open");
    std::ofstream(d / "big.txt") << std::string(5000, '1');
    EXPECT_HAS(error_of([&] { nms::read_input_file((d / "big.txt").string(), "table", 4096); }),
               "more than the 4.0 KiB allowed");
    // Every file read while a log is open is recorded with its SHA-256.
    std::ofstream(d / "abc.txt") << "abc";
    nms::input_log log;
    nms::read_input_file((d / "abc.txt").string(), "file");
    ASSERT_EQ(log.records().size(), 1u);
    EXPECT_EQ(log.records()[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    fs::remove_all(d);
}

TEST(hardening, tiny_speeds_are_refused_naming_the_key_for_every_swept_value) {
    const fs::path d = scratch();
    const std::string head = "[model]\nname = \"jansen_rit\"\n[network]\nconnectome = \"synthetic:8:3\"\n";
    const std::string tail = "[integrator]\ndt = 0.1\nduration = 10.0\n";
    std::ofstream(d / "fixed.toml") << head << "speed = 1e-9\n" << tail;
    EXPECT_HAS(error_of([&] { nms::load_spec((d / "fixed.toml").string()); }),
               "fixed.toml:5: [network] speed");
    // Only the last value of the axis is too small: still refused up front.
    std::ofstream(d / "axis.toml") << head << "speed = 4.0\n"
                                   << tail
                                   << "[[sweep]]\nparam = \"network.speed\"\nvalues = [4.0, 2.0, 1e-5]\n";
    const std::string msg = error_of([&] { nms::load_spec((d / "axis.toml").string()); });
    EXPECT_HAS(msg, "axis.toml:10: [sweep] param");
    EXPECT_HAS(msg, "more than the 16777216 allowed");
    // Huge tract lengths overflowed the int delay before.
    EXPECT_HAS(error_of([] { nms::delay_steps(1e300, 1.0, 0.1); }), "more than the 16777216 allowed");
    fs::remove_all(d);
}

TEST(hardening, synthetic_connectomes_are_bounded) {
    EXPECT_HAS(error_of([] { nms::load_connectome("synthetic:2000000"); }), "at most 16384 nodes");
}

TEST(hardening, sensor_and_gain_text_parsers_name_line_and_value) {
    EXPECT_HAS(error_of([] { nms::observe::parse_sensors("E1 1 2 nan\n", "s.txt"); }), "s.txt:1");
    EXPECT_HAS(error_of([] { nms::observe::parse_gain_text("1 2\n3 inf\n", "g.txt"); }), "g.txt:2");
}

TEST(hardening, an_isolated_read_turns_a_crash_or_a_hang_into_an_error) {
    EXPECT_EQ(nms::run_isolated([] { return std::string("fine"); }, "f.h5"), "fine");
    EXPECT_HAS(error_of([] {
                   nms::run_isolated(
                       [] {
                           std::raise(SIGSEGV);
                           return std::string();
                       },
                       "f.h5");
               }),
               // (a signal; under ASan its handler ends the child with a status)
               "f.h5: the file is damaged (reading it ");
    EXPECT_HAS(error_of([] {
                   nms::run_isolated(
                       [] {
                           while (true) pause();
                           return std::string();
                       },
                       "f.h5", 0.5);
               }),
               "f.h5: reading it did not end within 0 s");
    EXPECT_EQ(error_of([] {
                  nms::run_isolated([]() -> std::string { throw input_error("f.h5: not a result"); }, "f.h5");
              }),
              "f.h5: not a result");
}
