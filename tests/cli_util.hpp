#pragma once

// Helpers of the command-line tests: run `nmsweep` with arguments in a
// per-test scratch folder (CTest runs tests in parallel) and read results.
// NMS_BIN and NMS_TEST_DATA come from tests/CMakeLists.txt.

#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/driver.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

// Built with AddressSanitizer (the sanitize preset)?
#if defined(__SANITIZE_ADDRESS__)
#define NMS_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NMS_TEST_UNDER_ASAN 1
#endif
#endif

// An example workflow's numbers are checked in the release build; under the
// sanitizers (an -O1 engine, several times slower) it would add minutes and
// no memory check that the other tests of its commands lack.
#ifdef NMS_TEST_UNDER_ASAN
#define NMS_SKIP_EXAMPLE_UNDER_SANITIZERS() GTEST_SKIP() << "an example workflow: checked in the release build"
#else
#define NMS_SKIP_EXAMPLE_UNDER_SANITIZERS() (void)0
#endif

namespace nms::cli_test {

namespace fs = std::filesystem;

inline const std::string data = NMS_TEST_DATA;
inline const std::string bin = NMS_BIN;

struct result {
    int code;
    std::string output;
};

// The current test's own scratch folder.
inline fs::path scratch() {
    const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
    fs::path p =
        fs::temp_directory_path() / "nms_cli" / (std::string(t->test_suite_name()) + "." + t->name());
    fs::create_directories(p);
    return p;
}

// Runs spec text through the library's run_sweep (CPU, double, quiet) in
// the scratch folder; the result file's path.
inline std::string run_spec(const std::string& spec) {
    const auto path = scratch() / "spec.toml";
    std::ofstream(path) << spec;
    nms::sweep_request r;
    r.spec_path = path.string();
    r.output = (scratch() / "out.h5").string();
    r.backend = "cpu";
    r.precision = "double";
    r.overwrite = r.quiet = true;
    nms::run_sweep(r);
    return r.output;
}

// Runs `nmsweep ARGS`; exit code and stdout + stderr.
inline result sh(const std::string& args) {
    const fs::path log = scratch() / "log.txt";
    const std::string cmd = bin + " " + args + " > " + log.string() + " 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ss.str()};
}

// A fresh path in the scratch folder (removed if left from an earlier run).
inline fs::path tmp(const std::string& name) {
    fs::path p = scratch() / name;
    fs::remove(p);
    return p;
}

inline std::vector<double> read(const fs::path& p, const std::string& name,
                                std::vector<std::size_t>* shape = nullptr) {
    return nms::h5::read_dataset(p.string(), name, shape);
}

// `nmsweep run` on `base` with its first `from` replaced by `to` (written as
// bad.toml in the scratch folder, result to bad.h5 there).
struct modified_run {
    result r;
    fs::path spec, out;
};
inline modified_run run_modified(const std::string& base, const std::string& from, const std::string& to) {
    std::string text = base;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    const auto spec = tmp("bad.toml");
    std::ofstream(spec) << text;
    const auto out = tmp("bad.h5");
    return {sh("run -q " + spec.string() + " -o " + out.string()), spec, out};
}

} // namespace nms::cli_test
