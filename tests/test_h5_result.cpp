// HDF5 result files: batches that cross axis rows, done mask and resume (also
// after a killed writer), dimension scales, overwrite protection, describe().

#include "nmsweep/core/error.hpp"
#include "nmsweep/io/h5_result.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using nms::h5::axis_desc;
using nms::h5::result_writer;

namespace {

// A fresh scratch folder per test, removed afterwards.
class scratch {
  public:
    scratch() {
        auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("nms_h5_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    ~scratch() { fs::remove_all(dir_); }
    std::string file(const std::string& name) const { return (dir_ / name).string(); }

  private:
    fs::path dir_;
};

const std::vector<axis_desc> axes_3x4 = {
    {"coupling.a", "1", {0.0, 0.25, 0.5}},
    {"network.speed", "mm/ms", {1.0, 2.0, 4.0, 8.0}},
};
const std::vector<std::string> labels5 = {"lA1", "lV2", "rA1", "rV2", "thal"};
const std::vector<double> freqs = {0.0, 10.0, 20.0};

double mean_value(std::size_t p, std::size_t n) { return 100.0 * double(p) + double(n) + 0.25; }
double psd_value(std::size_t p, std::size_t n, std::size_t k) { return 1000.0 * p + 10.0 * n + k; }
long count_value(std::size_t p, std::size_t n) { return long(7 * p + n); }

void add_sample_datasets(result_writer& w) {
    w.add_dataset("features/mean", {"node"}, {5}, false, "mV", "time average of the observable");
    w.add_dataset("features/network_mean", {}, {}, false, "mV", "mean over nodes");
    w.add_dataset("features/n_peaks", {"node"}, {5}, true, "", "number of peaks");
    w.add_dataset("spectra/psd", {"node", "freq"}, {5, freqs.size()}, false, "mV^2/Hz",
                  "power spectral density", {{}, freqs});
}

// Writes points [first, first+count) of every sample dataset, then marks them done.
void write_batch(result_writer& w, std::size_t first, std::size_t count) {
    std::vector<double> mean, net, psd;
    std::vector<long> peaks, div;
    for (std::size_t p = first; p < first + count; ++p) {
        double s = 0;
        for (std::size_t n = 0; n < 5; ++n) {
            mean.push_back(mean_value(p, n));
            peaks.push_back(count_value(p, n));
            s += mean_value(p, n);
            for (std::size_t k = 0; k < freqs.size(); ++k) psd.push_back(psd_value(p, n, k));
        }
        net.push_back(s / 5);
        div.push_back(p == 5 ? 1234 : -1);
    }
    w.write_points("features/mean", first, count, mean.data());
    w.write_points("features/network_mean", first, count, net.data());
    w.write_points("features/n_peaks", first, count, peaks.data());
    w.write_points("spectra/psd", first, count, psd.data());
    w.write_status(first, count, div.data());
    w.mark_done(first, count);
}

void expect_sample_values(const std::string& path, std::size_t upto = 12) {
    std::vector<std::size_t> shape;
    auto mean = nms::h5::read_dataset(path, "features/mean", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{3, 4, 5}));
    auto net = nms::h5::read_dataset(path, "features/network_mean", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{3, 4}));
    auto peaks = nms::h5::read_dataset(path, "features/n_peaks", &shape);
    auto psd = nms::h5::read_dataset(path, "spectra/psd", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{3, 4, 5, 3}));
    auto div = nms::h5::read_dataset(path, "status/diverged_step");
    for (std::size_t p = 0; p < 12; ++p) {
        double s = 0;
        for (std::size_t n = 0; n < 5; ++n) {
            s += mean_value(p, n);
            if (p < upto) {
                EXPECT_EQ(mean[p * 5 + n], mean_value(p, n)) << "point " << p << " node " << n;
                EXPECT_EQ(peaks[p * 5 + n], double(count_value(p, n))) << "point " << p << " node " << n;
                for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(psd[(p * 5 + n) * 3 + k], psd_value(p, n, k));
            } else {
                EXPECT_TRUE(std::isnan(mean[p * 5 + n])) << "unwritten point " << p << " must be NaN";
                EXPECT_EQ(peaks[p * 5 + n], -1.0);
            }
        }
        if (p < upto) {
            EXPECT_DOUBLE_EQ(net[p], s / 5);
            EXPECT_EQ(div[p], p == 5 ? 1234.0 : -1.0);
        }
    }
}

template <class F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const nms::input_error& e) {
        return e.what();
    }
    return "(no nms::input_error thrown)";
}

} // namespace

TEST(h5_result, batches_crossing_rows_round_trip) {
    scratch tmp;
    auto path = tmp.file("r.h5");
    {
        auto w = result_writer::create(path, axes_3x4, 5, labels5, false);
        add_sample_datasets(w);
        // Rows of the grid hold 4 points: these batches start and end mid-row
        // and one spans a whole row plus parts of two others.
        write_batch(w, 0, 3);
        write_batch(w, 3, 7);
        write_batch(w, 10, 1);
        write_batch(w, 11, 1);
        w.finish();
    }
    expect_sample_values(path);
    EXPECT_EQ(nms::h5::read_number_attr(path, "", "complete"), 1.0);
    EXPECT_EQ(nms::h5::read_string_attr(path, "/", "format"), "nmsweep-result");
    EXPECT_EQ(nms::h5::read_number_attr(path, "", "format_version"), 1.0);
    EXPECT_EQ(nms::h5::read_dataset(path, "axes/network.speed"), axes_3x4[1].values);
    EXPECT_EQ(nms::h5::read_string_attr(path, "axes/network.speed", "units"), "mm/ms");
    EXPECT_EQ(nms::h5::read_dataset(path, "axes/node"), (std::vector<double>{0, 1, 2, 3, 4}));
    EXPECT_EQ(nms::h5::read_dataset(path, "spectra/freq"), freqs);
}

TEST(h5_result, random_runs_on_a_3d_grid_round_trip) {
    // Every split of a 3-D grid into runs must land each point where C order
    // puts it (runs cross rows and planes).
    scratch tmp;
    std::vector<axis_desc> axes = {
        {"a", "", {1, 2, 3}}, {"b", "", {1, 2, 3, 4, 5}}, {"c", "", {1, 2, 3, 4, 5, 6, 7}}};
    const std::size_t n = 3 * 5 * 7, nodes = 2;
    std::mt19937 rng(7);
    for (int trial = 0; trial < 6; ++trial) {
        auto path = tmp.file("g" + std::to_string(trial) + ".h5");
        auto w = result_writer::create(path, axes, nodes, {}, false);
        w.add_dataset("features/x", {"node"}, {nodes});
        std::vector<std::size_t> order; // batches written in a shuffled order
        std::vector<std::pair<std::size_t, std::size_t>> runs;
        for (std::size_t p = 0; p < n;) {
            std::size_t len = std::min<std::size_t>(n - p, 1 + rng() % (trial < 3 ? 9 : 40));
            runs.emplace_back(p, len);
            p += len;
        }
        std::shuffle(runs.begin(), runs.end(), rng);
        for (auto [first, len] : runs) {
            std::vector<double> d;
            for (std::size_t p = first; p < first + len; ++p)
                for (std::size_t k = 0; k < nodes; ++k) d.push_back(double(p * 10 + k));
            w.write_points("features/x", first, len, d.data());
        }
        w.finish();
        auto got = nms::h5::read_dataset(path, "features/x");
        ASSERT_EQ(got.size(), n * nodes);
        for (std::size_t i = 0; i < got.size(); ++i)
            ASSERT_EQ(got[i], double((i / nodes) * 10 + i % nodes)) << "trial " << trial << " element " << i;
    }
}

TEST(h5_result, done_mask_and_resume_match_an_uninterrupted_run) {
    scratch tmp;
    auto whole = tmp.file("whole.h5"), parts = tmp.file("parts.h5");
    {
        auto w = result_writer::create(whole, axes_3x4, 5, labels5, false);
        add_sample_datasets(w);
        write_batch(w, 0, 12);
        w.finish();
    }
    {
        auto w = result_writer::create(parts, axes_3x4, 5, labels5, false);
        add_sample_datasets(w);
        write_batch(w, 0, 2);
        write_batch(w, 2, 4);
        auto mask = w.done_mask();
        EXPECT_EQ(mask, (std::vector<std::uint8_t>{1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
    } // destroyed without finish()
    EXPECT_EQ(nms::h5::read_number_attr(parts, "", "complete"), 0.0);
    expect_sample_values(parts, 6);
    {
        auto w = result_writer::resume(parts);
        EXPECT_EQ(w.n_points(), 12u);
        EXPECT_EQ(w.n_nodes(), 5u);
        ASSERT_EQ(w.axes().size(), 2u);
        EXPECT_EQ(w.axes()[1].name, "network.speed");
        EXPECT_EQ(w.axes()[1].unit, "mm/ms");
        EXPECT_EQ(w.axes()[1].values, axes_3x4[1].values);
        add_sample_datasets(w); // no-op on existing datasets
        auto mask = w.done_mask();
        for (std::size_t p = 0; p < 12; ++p) EXPECT_EQ(mask[p], p < 6 ? 1 : 0);
        write_batch(w, 6, 6);
        w.finish();
    }
    EXPECT_EQ(nms::h5::read_number_attr(parts, "", "complete"), 1.0);
    for (const char* name : {"features/mean", "features/network_mean", "features/n_peaks", "spectra/psd",
                             "status/diverged_step", "status/done"})
        EXPECT_EQ(nms::h5::read_dataset(parts, name), nms::h5::read_dataset(whole, name)) << name;

    // A complete result, a missing file and a foreign HDF5 file cannot be resumed.
    EXPECT_NE(error_of([&] { result_writer::resume(parts); }).find("already complete"), std::string::npos);
    auto missing = tmp.file("missing.h5");
    EXPECT_NE(error_of([&] { result_writer::resume(missing); }).find(missing), std::string::npos);
    auto foreign = tmp.file("foreign.h5");
    H5Fclose(H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    auto msg = error_of([&] { result_writer::resume(foreign); });
    EXPECT_NE(msg.find(foreign), std::string::npos) << msg;
    EXPECT_NE(msg.find("not an nmsweep result"), std::string::npos) << msg;
    auto text = tmp.file("text.h5");
    std::ofstream(text) << "hello\n";
    EXPECT_NE(error_of([&] { result_writer::resume(text); }).find("not an HDF5 file"), std::string::npos);
}

TEST(h5_result, a_killed_writer_keeps_the_flushed_points) {
    // The child process is killed (_exit without closing anything) after
    // marking 6 points done and while writing more; the file must still open
    // and resume with exactly those 6 points done and intact.
    scratch tmp;
    auto path = tmp.file("killed.h5");
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        try {
            auto* w = new result_writer(result_writer::create(path, axes_3x4, 5, labels5, false));
            add_sample_datasets(*w);
            write_batch(*w, 0, 6);
            std::vector<double> junk(3 * 5, 99.0);
            w->write_points("features/mean", 6, 3, junk.data()); // in flight, never flushed
            _exit(0);
        } catch (...) {
            _exit(3);
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(nms::h5::read_number_attr(path, "", "complete"), 0.0);
    auto w = result_writer::resume(path);
    auto mask = w.done_mask();
    for (std::size_t p = 0; p < 12; ++p) EXPECT_EQ(mask[p], p < 6 ? 1 : 0);
    add_sample_datasets(w);
    write_batch(w, 6, 6);
    w.finish();
    expect_sample_values(path);
}

TEST(h5_result, every_dimension_is_attached_to_its_scale) {
    scratch tmp;
    auto path = tmp.file("dims.h5");
    {
        auto w = result_writer::create(path, axes_3x4, 5, labels5, false);
        add_sample_datasets(w);
        w.finish();
    }
    using names = std::vector<std::string>;
    EXPECT_EQ(nms::h5::dimension_names(path, "features/mean"),
              (names{"coupling.a", "network.speed", "node"}));
    EXPECT_EQ(nms::h5::dimension_names(path, "features/network_mean"),
              (names{"coupling.a", "network.speed"}));
    EXPECT_EQ(nms::h5::dimension_names(path, "spectra/psd"),
              (names{"coupling.a", "network.speed", "node", "freq"}));
    EXPECT_EQ(nms::h5::dimension_names(path, "status/done"), (names{"coupling.a", "network.speed"}));

    // With the HDF5 API: the grid dims use the very /axes datasets (the
    // group-local names are hard links to them) and the scales are named.
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    hid_t ds = H5Dopen2(f, "/features/mean", H5P_DEFAULT);
    hid_t a = H5Dopen2(f, "/axes/coupling.a", H5P_DEFAULT);
    hid_t b = H5Dopen2(f, "/axes/network.speed", H5P_DEFAULT);
    hid_t node = H5Dopen2(f, "/axes/node", H5P_DEFAULT);
    hid_t psd = H5Dopen2(f, "/spectra/psd", H5P_DEFAULT);
    hid_t freq = H5Dopen2(f, "/spectra/freq", H5P_DEFAULT);
    EXPECT_GT(H5DSis_scale(a), 0);
    EXPECT_GT(H5DSis_attached(ds, a, 0), 0);
    EXPECT_GT(H5DSis_attached(ds, b, 1), 0);
    EXPECT_GT(H5DSis_attached(ds, node, 2), 0);
    EXPECT_EQ(H5DSis_attached(ds, a, 1), 0);
    EXPECT_GT(H5DSis_attached(psd, freq, 3), 0);
    char name[64] = "";
    H5DSget_scale_name(b, name, sizeof name);
    EXPECT_STREQ(name, "network.speed");
    EXPECT_GT(H5Aexists(ds, "DIMENSION_LIST"), 0);
    for (hid_t id : {ds, a, b, node, psd, freq}) H5Dclose(id);
    H5Fclose(f);
}

TEST(h5_result, create_refuses_an_existing_file_unless_overwriting) {
    scratch tmp;
    auto path = tmp.file("exists.h5");
    {
        auto w = result_writer::create(path, axes_3x4, 5, labels5, false);
        w.finish();
    }
    auto msg = error_of([&] { result_writer::create(path, axes_3x4, 5, labels5, false); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("already exists"), std::string::npos) << msg;
    auto w = result_writer::create(path, axes_3x4, 2, {}, true);
    EXPECT_EQ(w.n_nodes(), 2u);
}

TEST(h5_result, bad_input_is_reported_with_file_and_object) {
    scratch tmp;
    auto path = tmp.file("bad.h5");
    auto w = result_writer::create(path, axes_3x4, 5, labels5, false);
    w.add_dataset("features/mean", {"node"}, {5});
    std::vector<double> d(100, 1.0);
    auto msg = error_of([&] { w.write_points("features/nope", 0, 1, d.data()); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("features/nope"), std::string::npos) << msg;
    msg = error_of([&] { w.write_points("features/mean", 10, 3, d.data()); });
    EXPECT_NE(msg.find("outside the grid"), std::string::npos) << msg;
    msg = error_of([&] { w.add_dataset("features/mean", {"node"}, {6}); });
    EXPECT_NE(msg.find("exists with shape"), std::string::npos) << msg;
    msg = error_of([&] { w.set_attr("no/such/group", "x", 1.0); });
    EXPECT_NE(msg.find("/no/such/group"), std::string::npos) << msg;
    EXPECT_NE(error_of([&] {
                  result_writer::create(tmp.file("n.h5"), {{"node", "", {1}}}, 2, {}, false);
              }).find("'node'"),
              std::string::npos);
    EXPECT_NE(
        error_of([&] { result_writer::create(tmp.file("l.h5"), axes_3x4, 5, {"a"}, false); }).find("labels"),
        std::string::npos);
    EXPECT_FALSE(fs::exists(tmp.file("n.h5")));
    EXPECT_NE(error_of([&] { nms::h5::read_dataset(path + ".missing", "x"); }).find(path + ".missing"),
              std::string::npos);
}

TEST(h5_result, arrays_attributes_and_parameters) {
    scratch tmp;
    auto path = tmp.file("arr.h5");
    {
        auto w = result_writer::create(path, axes_3x4, 5, labels5, false);
        std::vector<double> t = {0.0, 0.5, 1.0, 1.5};
        w.write_array("timeseries/time", {4}, t.data(), {"time"}, {}, "ms");
        std::vector<double> x(4 * 2 * 5);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5 * double(i);
        w.write_array("timeseries/state", {4, 2, 5}, x.data(), {"time", "variable", "node"}, {{}, {0, 1}, {}},
                      "mV", "decimated state of point 0");
        w.set_attr("", "model", "jansen_rit");
        w.set_attr("", "coupling", std::string("sigmoidal_jansen_rit"));
        w.set_attr("", "wall_time_s", 1.5);
        w.set_attr("", "n_threads", 16);
        w.set_attr("", "devices", std::vector<std::string>{"cpu", "H200"});
        w.set_attr("timeseries/state", "point", 0L);
        w.set_parameter("model.mu", 0.22);
        w.set_parameter("integrator.dt", 0.1, "ms");
        w.finish();
    }
    using names = std::vector<std::string>;
    EXPECT_EQ(nms::h5::dimension_names(path, "timeseries/state"), (names{"time", "variable", "node"}));
    EXPECT_EQ(nms::h5::dimension_names(path, "timeseries/time"), (names{""})); // it is the scale itself
    std::vector<std::size_t> shape;
    auto x = nms::h5::read_dataset(path, "timeseries/state", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{4, 2, 5}));
    EXPECT_EQ(x[17], 8.5);
    EXPECT_EQ(nms::h5::read_dataset(path, "timeseries/variable"), (std::vector<double>{0, 1}));
    EXPECT_EQ(nms::h5::read_string_attr(path, "", "model"), "jansen_rit");
    EXPECT_EQ(nms::h5::read_number_attr(path, "", "wall_time_s"), 1.5);
    EXPECT_EQ(nms::h5::read_number_attr(path, "", "n_threads"), 16.0);
    EXPECT_EQ(nms::h5::read_number_attr(path, "timeseries/state", "point"), 0.0);
    EXPECT_EQ(nms::h5::read_number_attr(path, "parameters", "model.mu"), 0.22);
    EXPECT_EQ(nms::h5::read_string_attr(path, "parameters", "integrator.dt.units"), "ms");
}

TEST(h5_result, describe_explains_the_file) {
    scratch tmp;
    auto path = tmp.file("info.h5");
    {
        auto w = result_writer::create(path, axes_3x4, 5, labels5, false);
        add_sample_datasets(w);
        w.set_attr("", "model", "jansen_rit");
        w.set_attr("", "coupling", "sigmoidal_jansen_rit");
        w.set_attr("", "backend", "cpu");
        w.set_attr("", "spec", "[model]\nname = \"jansen_rit\"\n");
        w.set_parameter("model.mu", 0.22);
        write_batch(w, 0, 7); // point 5 diverged
    }
    std::string d = nms::h5::describe(path);
    for (const char* want :
         {"nmsweep sweep result", "INCOMPLETE", "7 of 12", "Diverged: 1 of the 7", "Model: jansen_rit",
          "Coupling: sigmoidal_jansen_rit", "coupling.a [1]: 3 values: 0, 0.25, 0.5", "network.speed [mm/ms]",
          "Nodes: 5 regions: lA1, lV2",
          "/features/mean  float64  3 x 4 x 5  (coupling.a, network.speed, node)  [mV]",
          "/spectra/psd  float64  3 x 4 x 5 x 3  (coupling.a, network.speed, node, freq)", "/spectra/freq",
          "backend: cpu", "model.mu = 0.22", "  | name = \"jansen_rit\""})
        EXPECT_NE(d.find(want), std::string::npos) << "missing '" << want << "' in:\n" << d;
    {
        auto w = result_writer::resume(path);
        write_batch(w, 7, 5);
        w.finish();
    }
    d = nms::h5::describe(path);
    EXPECT_NE(d.find("State: complete; 12 of 12"), std::string::npos) << d;
}

TEST(h5_result, a_single_point_without_axes) {
    // `nmsweep simulate` writes one point: no grid axes at all.
    scratch tmp;
    auto path = tmp.file("one.h5");
    {
        auto w = result_writer::create(path, {}, 3, {}, false);
        EXPECT_EQ(w.n_points(), 1u);
        w.add_dataset("features/mean", {"node"}, {3});
        w.add_dataset("features/r", {}, {});
        std::vector<double> m = {1, 2, 3};
        double r = 0.5;
        w.write_points("features/mean", 0, 1, m.data());
        w.write_points("features/r", 0, 1, &r);
        w.mark_done(0, 1);
        w.finish();
    }
    EXPECT_EQ(nms::h5::read_dataset(path, "features/mean"), (std::vector<double>{1, 2, 3}));
    EXPECT_EQ(nms::h5::read_dataset(path, "features/r"), (std::vector<double>{0.5}));
    EXPECT_EQ(nms::h5::read_dataset(path, "status/done"), (std::vector<double>{1}));
    EXPECT_EQ(nms::h5::dimension_names(path, "features/mean"), (std::vector<std::string>{"node"}));
}

TEST(h5_result, xarray_sample) {
    // Writes the sample that tests/python/check_xarray.py reads with xarray
    // (CTest passes the path in NMS_H5_SAMPLE_OUT); on its own it checks the
    // sample round-trips.
    scratch tmp;
    const char* env = std::getenv("NMS_H5_SAMPLE_OUT");
    std::string path = env && *env ? std::string(env) : tmp.file("sample.h5");
    {
        auto w = result_writer::create(path, axes_3x4, 5, labels5, true);
        add_sample_datasets(w);
        w.set_attr("", "model", "jansen_rit");
        std::vector<double> t = {0.0, 0.5, 1.0};
        w.write_array("timeseries/time", {3}, t.data(), {"time"}, {}, "ms");
        std::vector<double> x(3 * 5, 1.0);
        w.write_array("timeseries/state", {3, 5}, x.data(), {"time", "node"});
        write_batch(w, 0, 12);
        w.finish();
    }
    expect_sample_values(path);
}
