// Nothing a run computed is lost, nothing unfinished is called done
// (h5_result.hpp, "Crash safety"): the sealed file's structure never changes
// while points are written, a second writer is refused, --overwrite keeps
// the old file until the new run has finished points, the end of a run is
// undone when it is interrupted, and --resume refuses to mix runs. The
// SIGKILL and disk-full harness (tests/robustness/crash_harness.py) runs
// the whole command line under real faults.

#include "cli_util.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/io/h5_result.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>

using namespace nms::cli_test;
using nms::h5::axis_desc;
using nms::h5::result_writer;

namespace {

const std::vector<axis_desc> axes = {{"coupling.a", "", {0.0, 1.0, 2.0}}, {"model.mu", "1/ms", {0.1, 0.2}}};

std::string bytes_of(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

template <class F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

result_writer new_file(const fs::path& p, bool overwrite = false) {
    auto w = result_writer::create(p.string(), axes, 3, {}, overwrite);
    w.add_dataset("features/mean", {"node"}, {3}, false, "mV", "mean");
    w.add_dataset("features/class", {}, {}, true);
    w.set_attr("", "model", "test");
    return w;
}

void write_points(result_writer& w, std::size_t first, std::size_t count) {
    std::vector<double> m(count * 3);
    std::vector<long> c(count), d(count, -1);
    for (std::size_t i = 0; i < m.size(); ++i) m[i] = double(first * 3 + i) + 0.5;
    for (std::size_t i = 0; i < count; ++i) c[i] = long(first + i);
    w.write_points("features/mean", first, count, m.data());
    w.write_points("features/class", first, count, c.data());
    w.write_status(first, count, d.data());
    w.mark_done(first, count);
}

// Where every dataset's raw data lie, read with the HDF5 API.
std::vector<std::pair<haddr_t, hsize_t>> raw_extents(const fs::path& p) {
    std::vector<std::pair<haddr_t, hsize_t>> out;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, false, true); // the writer holds its own lock
    hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    EXPECT_GE(f, 0) << p;
    for (const char* n : {"features/mean", "features/class", "status/done", "status/diverged_step"}) {
        hid_t ds = H5Dopen2(f, n, H5P_DEFAULT);
        out.push_back({H5Dget_offset(ds), H5Dget_storage_size(ds)});
        H5Dclose(ds);
    }
    H5Fclose(f);
    return out;
}

// The file's bytes with every dataset's raw data blanked: its structure.
std::string structure_of(const fs::path& p, const std::vector<std::pair<haddr_t, hsize_t>>& raw) {
    std::string b = bytes_of(p);
    for (auto [off, len] : raw)
        if (off != HADDR_UNDEF) std::fill(b.begin() + long(off), b.begin() + long(off + len), '\0');
    return b;
}

// "" when equal, else where they first differ (byte strings print badly).
std::string first_difference(const std::string& a, const std::string& b) {
    if (a == b) return "";
    std::size_t k = 0;
    while (k < a.size() && k < b.size() && a[k] == b[k]) ++k;
    return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
           ", first difference at byte " + std::to_string(k);
}

} // namespace

TEST(durability, a_sealed_file_receives_raw_data_only) {
    const fs::path p = tmp("sealed.h5");
    auto w = new_file(p);
    w.seal();
    const fs::path work = p.string() + ".partial"; // until the first points are done
    const auto raw = raw_extents(work);
    const std::string before = structure_of(work, raw), all_before = bytes_of(work);
    write_points(w, 0, 2);
    write_points(w, 2, 3);
    w.flush();
    // Not one byte of HDF5's own structures changed: a kill at any instant of
    // these writes cannot damage the file.
    for (auto [off, len] : raw) EXPECT_NE(off, HADDR_UNDEF);
    EXPECT_EQ(first_difference(structure_of(p, raw), before), "");
    EXPECT_NE(first_difference(bytes_of(p), all_before), ""); // while the data did change
    EXPECT_THROW(w.add_dataset("features/new", {}, {}), std::logic_error);
    EXPECT_THROW(w.set_attr("", "x", 1.0), std::logic_error);
    std::vector<double> a(2, 0.0);
    EXPECT_THROW(w.write_array("other/array", {2}, a.data(), {"k"}), std::logic_error);
}

TEST(durability, a_new_file_appears_with_its_first_finished_points) {
    const fs::path p = tmp("new.h5");
    {
        auto w = new_file(p);
        EXPECT_FALSE(fs::exists(p)); // built beside it, at new.h5.partial
        EXPECT_TRUE(fs::exists(p.string() + ".partial"));
    } // dropped before any point finished: nothing is left
    EXPECT_FALSE(fs::exists(p));
    EXPECT_FALSE(fs::exists(p.string() + ".partial"));
    auto w = new_file(p);
    write_points(w, 0, 2);
    EXPECT_TRUE(fs::exists(p));
    EXPECT_FALSE(fs::exists(p.string() + ".partial"));
}

TEST(durability, overwrite_keeps_the_old_file_until_new_points_are_done) {
    const fs::path p = tmp("old.h5");
    {
        auto w = new_file(p);
        write_points(w, 0, 6);
        w.finish();
    }
    const std::string old = bytes_of(p);
    {
        auto w = new_file(p, true);
        EXPECT_EQ(first_difference(bytes_of(p), old), ""); // untouched while the new run starts
    }
    EXPECT_EQ(first_difference(bytes_of(p), old), ""); // and after it failed before finishing anything
    auto w = new_file(p, true);
    write_points(w, 0, 1);
    EXPECT_NE(first_difference(bytes_of(p), old), "");
    EXPECT_EQ(nms::h5::read_dataset(p.string(), "status/done")[1], 0.0);
}

TEST(durability, a_second_writer_is_refused) {
    const fs::path p = tmp("busy.h5");
    auto w = new_file(p);
    write_points(w, 0, 2);
    // Another writer (here: of this process, through its own file description)
    // cannot overwrite, resume or start beside the running one.
    EXPECT_NE(error_of([&] { new_file(p, true); }).find("another nmsweep run is writing this result"),
              std::string::npos);
    EXPECT_NE(error_of([&] { result_writer::resume(p.string()); }).find("another nmsweep run"),
              std::string::npos);
    // Readers are not refused: they see the last committed state.
    EXPECT_EQ(nms::h5::read_dataset(p.string(), "status/done")[1], 1.0);
}

TEST(durability, an_interrupted_end_is_undone_by_resume) {
    const fs::path p = tmp("end.h5");
    {
        auto w = new_file(p);
        write_points(w, 0, 6);
    }
    const std::string sealed = bytes_of(p);
    // A child starts the final writes and dies in the middle of them.
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        try {
            auto w = result_writer::resume(p.string());
            w.begin_final_writes();
            std::vector<double> m(6, 1.0);
            w.write_array("features/map", {3, 2}, m.data(), {"coupling.a", "model.mu"});
            w.set_attr("", "wall_seconds", 1.5);
            w.flush();
            _exit(0); // no finish(), no destructor: as if killed
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            _exit(3);
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_NE(first_difference(bytes_of(p), sealed), "");
    EXPECT_TRUE(fs::exists(p.string() + ".partial")); // the journal
    EXPECT_NE(nms::h5::describe(p.string()).find("stopped while writing its final results"),
              std::string::npos);
    { auto w = result_writer::resume(p.string()); } // restores, then closes
    EXPECT_FALSE(fs::exists(p.string() + ".partial"));
    EXPECT_EQ(first_difference(bytes_of(p), sealed), ""); // exactly the sealed file again
    auto w = result_writer::resume(p.string());
    w.finish();
    EXPECT_EQ(nms::h5::read_number_attr(p.string(), "", "complete"), 1.0);
}

// The command line: what --resume refuses, and exit codes.
TEST(durability, resume_refuses_to_mix_runs) {
    const fs::path dir = scratch() / "inputs";
    fs::create_directories(dir);
    fs::copy_file(data + "/observe/empirical_fc_8.csv", dir / "fc.csv", fs::copy_options::overwrite_existing);
    std::string spec = bytes_of(data + "/cli/small_jr.toml");
    spec += "\n[output.fc]\nempirical = \"fc.csv\"\n";
    spec.replace(spec.find("features = [\"mean\""), 18, "features = [\"fc\", \"mean\"");
    std::ofstream(dir / "s.toml") << spec;
    const fs::path out = tmp("mix.h5");
    const std::string run = "run -q --batch-size 4 " + (dir / "s.toml").string() + " -o " + out.string();
    ASSERT_EQ(sh(run + " --stop-after-batches 1").code, 0);
    auto r = sh(run + " --resume --precision double");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("computed in float precision, this run would use double"), std::string::npos)
        << r.output;
    // An input file edited since: refused, naming it.
    std::ofstream(dir / "fc.csv", std::ios::app) << "# edited\n";
    r = sh(run + " --resume");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("the input files differ"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("fc.csv"), std::string::npos) << r.output;
    // The file is untouched by the refusals and still resumable.
    const auto done = read(out, "status/done");
    EXPECT_EQ(std::count(done.begin(), done.end(), 1.0), 4);
}

// A damaged result whose int64 status dataset crashed HDF5 when read as
// double (found by adversarial.py): --resume refuses it before opening it.
TEST(durability, resume_refuses_a_file_that_crashes_hdf5) {
    const fs::path out = tmp("damaged.h5");
    fs::copy_file(fs::path(NMS_FUZZ_REGRESSIONS) / "result" / "resume_int_to_double_conversion", out);
    const auto r = sh("run -q --batch-size 4 --resume " + data + "/cli/small_jr.toml -o " + out.string());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("damaged.h5: the file is damaged"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("stack smashing"), std::string::npos) << r.output; // the child's noise stays quiet
}

TEST(durability, bad_command_lines_and_outputs_exit_2_and_leave_nothing) {
    const std::string spec = data + "/cli/small_jr.toml";
    EXPECT_EQ(sh("run --no-such-option " + spec).code, 2);
    EXPECT_EQ(sh("run " + spec + " --threads 40000").code, 2);
    EXPECT_EQ(sh("run " + spec + " --precision quad").code, 2);
    EXPECT_EQ(sh("frobnicate").code, 2);
    EXPECT_EQ(sh("--version").code, 0);
    // An output that is a folder, in a missing folder, or the spec itself.
    auto r = sh("run -q " + spec + " -o " + scratch().string());
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("is a folder"), std::string::npos) << r.output;
    r = sh("run -q " + spec + " -o " + (scratch() / "no" / "such" / "x.h5").string());
    EXPECT_NE(r.output.find("does not exist"), std::string::npos) << r.output;
    const fs::path copy = tmp("self.toml");
    fs::copy_file(spec, copy);
    r = sh("run -q --overwrite " + copy.string() + " -o " + copy.string());
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("is the spec itself"), std::string::npos) << r.output;
    EXPECT_EQ(bytes_of(copy), bytes_of(spec));
    // A spec that stores nothing.
    auto m = run_modified(bytes_of(spec), "features = [\"mean\", \"std\", \"min\", \"max\", \"final\"]",
                          "features = []");
    EXPECT_EQ(m.r.code, 2);
    EXPECT_NE(m.r.output.find("the run would store nothing"), std::string::npos) << m.r.output;
    EXPECT_FALSE(fs::exists(m.out));
    EXPECT_EQ(sh("check " + m.spec.string()).code, 2);
}

TEST(durability, diverged_points_have_no_final_state) {
    // x' = gamma x on two uncoupled nodes: gamma = 1 blows up within the run.
    const fs::path spec = tmp("linear.toml"), out = tmp("linear.h5");
    std::ofstream(spec)
        << "[model]\nname = \"linear\"\n[network]\nconnectome = \"synthetic:2\"\nspeed = 0\n"
           "[integrator]\ndt = 0.1\nduration = 2000.0\ntransient = 100.0\n[initial]\nx = 0.5\n"
           "[[sweep]]\nparam = \"model.gamma\"\nvalues = [-0.1, 1.0]\n"
           "[output]\nobservable = \"x\"\nfeatures = [\"mean\", \"final\"]\n";
    ASSERT_EQ(sh("run -q " + spec.string() + " -o " + out.string()).code, 0);
    const auto div = read(out, "status/diverged_step"), fin = read(out, "features/final_state");
    ASSERT_EQ(fin.size(), 4u); // [point][variable x][node]
    EXPECT_LT(div[0], 0);
    EXPECT_GE(div[1], 0);
    EXPECT_NEAR(fin[0], 0.5 * std::exp(-0.1 * 2000.0), 1e-12);
    EXPECT_TRUE(std::isnan(fin[2]) && std::isnan(fin[3])); // was the last finite state, or inf
}
