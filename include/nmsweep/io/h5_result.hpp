#pragma once

// The result file of a sweep: one HDF5 file (HDF5 C API + H5DS dimension
// scales), readable as-is by h5py, h5netcdf and xarray.
//
// Layout (G = the grid axes in C order, first slowest; N = nodes):
//   /                      attrs: format="nmsweep-result", format_version=1,
//                          complete=0|1, axes=[axis names in order], and
//                          whatever provenance the caller sets (model,
//                          coupling, spec, version, backend, timings ...)
//   /axes/<axis>           float64 [len], attr units; dimension scale <axis>
//   /axes/node             int64 [N], attr labels=[region labels]; scale "node"
//   /status/diverged_step  int64 G, -1 = ok, else the step it diverged at
//   /status/done           uint8 G, 1 = point finished and flushed
//   /<group>/<name>        grid-shaped data (add_dataset): float64 or int64,
//                          shape G + extra dims, NaN / -1 where not yet written,
//                          contiguous, allocated and filled when created
//   /parameters            one float64 attribute per fixed parameter
//
// Every dimension of every dataset is attached to a dimension scale. So that
// `xarray.open_dataset(path, group=G, engine="h5netcdf")` gives labelled
// dims with coordinates (no phony dims), each group that holds grid data
// also holds hard links to the axis scales it uses (/features/<axis> is the
// same HDF5 object as /axes/<axis>, not a copy); extra dims other than
// "node" (e.g. "freq") get their own scale in that group.
//
// Crash safety (nothing a run computed is lost, nothing unfinished is called
// done; proven by tests/robustness/kill_harness.py with SIGKILL at random
// instants and inside HDF5's own writes):
// - create() builds the file at "<path>.partial" (locked, see below) and
//   leaves an existing file at <path> untouched; the first mark_done()
//   renames it into place (publish). A run that fails before its first
//   finished points leaves no file.
// - The first mark_done() seals the file: its structure (groups, datasets,
//   attributes) is final and reaches the disk (fsync). Datasets are allocated
//   when created, so a sealed file only ever receives raw bytes at fixed
//   places, and a kill, even inside a write, cannot damage its structure.
//   Structure calls on a sealed file throw std::logic_error.
// - mark_done() writes the points' data to disk (flush + fsync) before the
//   flags that call them done: a flag never precedes its data.
// - begin_final_writes() (called by finish() when needed) unseals the file
//   for the results written at the end (maps, totals, complete=1): first the
//   bytes those writes may change (everything but the datasets' data, a few
//   KiB to MiB) go to an undo journal at "<path>.partial" (undo_journal.hpp).
//   A run killed while finishing leaves the journal; resume() restores the
//   sealed file from it, and the end is redone.
// - Locks: each writer holds an exclusive flock(2) on its file (and on the
//   partial file), so a second writer (create with overwrite, resume) is
//   refused with a clear message; flock locks die with their process.
//   HDF5's own file locking is off (it would clash with these locks);
//   readers take no lock and see the last flushed state.
//
// Not thread-safe: one writer per file, used from one thread at a time.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace nms::h5 {

struct axis_desc {
    std::string name, unit;
    std::vector<double> values;
};

namespace impl {
struct writer_state;
}

class result_writer {
  public:
    // Creates a new result at `path`. Throws nms::input_error naming the
    // path if it exists and `overwrite` is false, or on any HDF5 failure.
    static result_writer create(const std::string& path, const std::vector<axis_desc>& axes,
                                std::size_t n_nodes, const std::vector<std::string>& node_labels,
                                bool overwrite);
    // Re-opens an incomplete result, sealed (input_error if missing, complete,
    // locked by another writer, or not an nmsweep result). The caller
    // compares axes() and the provenance with its spec.
    static result_writer resume(const std::string& path);

    result_writer(result_writer&&) noexcept;
    result_writer& operator=(result_writer&&) noexcept;
    result_writer(const result_writer&) = delete;
    result_writer& operator=(const result_writer&) = delete;
    // Closes without finishing (complete stays 0); a file never published
    // (no mark_done) is removed, unfinished final writes are undone.
    ~result_writer();

    // Grid-shaped dataset [axes..., extra...] at `name` ("features/mean").
    // Extra dim "node" uses /axes/node; an extra dim with values in
    // `extra_scale_values[i]` (non-empty) gets a float64 scale of that name in
    // the dataset's group (or reuses one there of the same length); otherwise
    // an existing scale of that name in the group, or else an int64 index
    // scale 0..n-1. No-op if the dataset exists (resume).
    void add_dataset(const std::string& name, const std::vector<std::string>& extra_dims,
                     const std::vector<std::size_t>& extra_sizes, bool integer = false,
                     const std::string& units = "", const std::string& description = "",
                     const std::vector<std::vector<double>>& extra_scale_values = {});

    // Grid points first..first+count-1 (flattened C order); data laid out
    // [count][extra...]. HDF5 converts between the two element types.
    void write_points(const std::string& name, std::size_t first, std::size_t count, const double* data);
    void write_points(const std::string& name, std::size_t first, std::size_t count, const long* data);

    void write_status(std::size_t first, std::size_t count, const long* diverged_step);
    // The structure is final: flush, fsync, and from now on raw data only.
    void seal();
    bool sealed() const;
    // Commits these points: their data to disk first (seals the file the
    // first time), then done=1 for them; the first commit publishes the file.
    void mark_done(std::size_t first, std::size_t count);
    std::vector<std::uint8_t> done_mask() const;
    // A whole dataset, converted to double (e.g. results kept from an earlier run).
    std::vector<double> read_all(const std::string& name) const;
    // A string attribute ("" or "/" for the root), or `fallback` when absent.
    std::string string_attr(const std::string& object, const std::string& key,
                            const std::string& fallback = "") const;

    // A whole array (float64) with named dims. A 1-D array whose own name
    // equals its dim name becomes that dim's scale (a coordinate: write it
    // before the arrays that use it). Other dims attach to a scale of that
    // name in the array's group or in /axes; failing that, to a new scale
    // from `dim_values[i]` if given, else to an int64 index scale.
    // Rewrites the data if the array exists with the same shape (the only
    // use on a sealed file, and then without units or description).
    void write_array(const std::string& name, const std::vector<std::size_t>& shape, const double* data,
                     const std::vector<std::string>& dim_names,
                     const std::vector<std::vector<double>>& dim_values = {}, const std::string& units = "",
                     const std::string& description = "");
    // The same as int64 (e.g. masks).
    void write_array(const std::string& name, const std::vector<std::size_t>& shape, const long* data,
                     const std::vector<std::string>& dim_names,
                     const std::vector<std::vector<double>>& dim_values = {}, const std::string& units = "",
                     const std::string& description = "");

    // Attributes on the root ("" or "/") or any group/dataset path; replace
    // an existing attribute of that name. Integers are stored as int64.
    void set_attr(const std::string& object, const std::string& key, const std::string& value);
    void set_attr(const std::string& object, const std::string& key, const char* value);
    void set_attr(const std::string& object, const std::string& key, double value);
    void set_attr(const std::string& object, const std::string& key, long value);
    template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
    void set_attr(const std::string& object, const std::string& key, T value) {
        set_attr(object, key, static_cast<long>(value));
    }
    void set_attr(const std::string& object, const std::string& key, const std::vector<std::string>& value);
    void set_attr(const std::string& object, const std::string& key, const std::vector<double>& value);

    // The fixed (not swept) parameters: group /parameters, one float64
    // attribute per name ("model.mu", "coupling.a", ...), `units` optional
    // attribute "<name>.units" beside it when non-empty.
    void set_parameter(const std::string& name, double value, const std::string& units = "");

    void flush();
    // After the last mark_done(): structure may be written again (maps,
    // boundaries, run totals), under an undo journal; finish() ends it.
    void begin_final_writes();
    // complete=1, to disk, close, and (when not yet) publish; the writer is
    // then closed. On a sealed file it calls begin_final_writes() first.
    void finish();

    const std::string& path() const;
    const std::vector<axis_desc>& axes() const;
    std::vector<std::size_t> grid_shape() const;
    std::size_t n_points() const;
    std::size_t n_nodes() const;
    bool is_open() const;

  private:
    explicit result_writer(std::unique_ptr<impl::writer_state> s);
    template <class T>
    void write_array_impl(const std::string& name, const std::vector<std::size_t>& shape, const T* data,
                          const std::vector<std::string>& dim_names,
                          const std::vector<std::vector<double>>& dim_values, const std::string& units,
                          const std::string& description);
    template <class T>
    void write_points_impl(const std::string& name, std::size_t first, std::size_t count, const T* data);
    template <class F> void with_object(const std::string& object, F&& put);
    void publish(); // rename the work file to path()
    std::unique_ptr<impl::writer_state> s_;
};

// Reads grid points of another result file (merge: parts into one file),
// in the stored type: float64 datasets as double, int64 ones as long.
class point_reader {
  public:
    point_reader(const std::string& path, const std::vector<std::size_t>& grid_shape);
    point_reader(point_reader&&) noexcept;
    point_reader& operator=(point_reader&&) noexcept;
    ~point_reader();
    bool has(const std::string& name) const;
    bool integer(const std::string& name) const;
    // Values per point (the product of the dims after the grid's).
    std::size_t per_point(const std::string& name) const;
    // Points first..first+count-1, laid out [count][extra...].
    void read(const std::string& name, std::size_t first, std::size_t count, double* out) const;
    void read(const std::string& name, std::size_t first, std::size_t count, long* out) const;
    const std::string& path() const;

  private:
    struct state;
    std::unique_ptr<state> s_;
};

// How far a result file is (a part of a campaign, a merged file); read in a
// child process. Times in seconds since the epoch (0: not recorded).
struct progress_record {
    std::string path, shard, spec_sha256; // shard "I/N", or "" for a whole run
    std::size_t points = 0, done = 0, diverged = 0;
    std::size_t first = 0, end = 0; // the range of a part (the whole grid otherwise)
    bool complete = false;
    double created = 0, finished = 0, modified = 0;
    std::vector<std::pair<std::size_t, std::size_t>> runs; // [a, b) of done points
};
progress_record read_progress(const std::string& path);

// Plain-language description of a result file, for `nmsweep info FILE`.
// Read in a child process (nmsweep/io/isolated.hpp): a damaged file gives
// an input_error, never a crash of the caller.
std::string describe(const std::string& path);

// Reads every attribute and dataset of a file in a child process, as a
// resumed run will; input_error "the file is damaged ..." when that fails or
// crashes (HDF5 may crash on damaged metadata).
void read_through(const std::string& path);

// One dataset of a user's HDF5 data file (e.g. initial states), converted to
// double: read through read_input_file (regular file, recorded SHA-256) and
// parsed in a child process from those bytes.
std::vector<double> read_input_dataset(const std::string& path, const std::string& name,
                                       std::vector<std::size_t>* shape = nullptr);

// Reading helpers (tests, merge). read_dataset converts to double.
std::vector<double> read_dataset(const std::string& path, const std::string& name,
                                 std::vector<std::size_t>* shape = nullptr);
std::string read_string_attr(const std::string& path, const std::string& object, const std::string& key);
double read_number_attr(const std::string& path, const std::string& object, const std::string& key);
std::vector<double> read_numbers_attr(const std::string& path, const std::string& object,
                                      const std::string& key);
std::vector<std::string> read_strings_attr(const std::string& path, const std::string& object,
                                           const std::string& key);
// Names of the scales attached to each dimension of a dataset ("" = none).
std::vector<std::string> dimension_names(const std::string& path, const std::string& name);

} // namespace nms::h5
