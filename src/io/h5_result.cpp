// HDF5 result file: see include/nmsweep/io/h5_result.hpp for the layout and
// the crash-safety protocol.
//
// Decisions:
// - Every dimension is a dimension scale (H5DS). Groups holding grid data get
//   hard links to the /axes scales they use, because h5netcdf/xarray look up
//   a variable's dimensions (and load coordinates) in the variable's group.
// - Datasets are contiguous and allocated (and filled) when created, so that
//   writing points later only overwrites raw bytes at fixed places: HDF5 then
//   never rewrites its own structures during a run, and a run killed at any
//   instant, even inside a write, leaves a file whose structure is intact
//   (h5_result.hpp, "Crash safety"). The price is no compression: on the
//   float64 features it saved 10-20 %, and a run now needs its whole file's
//   space up front (checked before starting).
// - A run of flattened points is split into at most ~2 x rank hyperslab
//   boxes (a partial row, whole blocks, a partial row ...) joined into one
//   selection and written with one H5Dwrite. Hyperslab unions are iterated
//   in the file's C order, which is the order of the points in memory.
// - Strings are variable-length UTF-8 (no 64 KiB attribute limit).
// - HDF5's automatic error printing is off; failures become nms::input_error
//   naming the file and the object, with HDF5's innermost reason appended.

#include "nmsweep/io/h5_result.hpp"

#include "h5_writer_state.hpp"
#include "nmsweep/core/error.hpp"
#include "undo_journal.hpp"

#include <hdf5_hl.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace nms::h5 {

using namespace detail;
namespace fs = std::filesystem;

namespace {

std::string partial_of(const std::string& path) { return path + ".partial"; }

// Where the raw data of every allocated contiguous dataset lies in the file.
std::vector<byte_range> raw_extents(hid_t file, const std::string& path) {
    struct ctx {
        hid_t file;
        std::vector<byte_range> out;
    } c{file, {}};
    auto visit = [](hid_t, const char* name, const H5O_info_t* info, void* data) -> herr_t {
        auto* c = static_cast<ctx*>(data);
        if (info->type != H5O_TYPE_DATASET) return 0;
        handle ds(H5Dopen2(c->file, name, H5P_DEFAULT), H5Dclose);
        if (!ds) return 0;
        const haddr_t off = H5Dget_offset(ds);
        if (off != HADDR_UNDEF) c->out.push_back({off, H5Dget_storage_size(ds)});
        H5Eclear2(H5E_DEFAULT);
        return 0;
    };
    check(H5Ovisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, visit, &c), path, "cannot list the datasets");
    return c.out;
}

std::string locked_message(const std::string& path) {
    return path +
           ": another nmsweep run is writing this result (it holds the file's lock); wait for it to end, or "
           "choose another output path";
}

// A lock on `p` (created when missing), or the error that another run holds it.
file_lock lock_partial(const std::string& path, const std::string& p) {
    file_lock l = file_lock::try_acquire(p, true);
    if (!l.held() || !l.still_at(p))
        throw input_error(path + ": another nmsweep run is starting or finishing this result (" + p +
                          " is locked); wait for it to end, or choose another output path");
    return l;
}

handle create_file(const std::string& work, const std::string& path) {
    handle fcpl = make_plist(H5P_FILE_CREATE, path);
    check(H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_NONE, 0, 1), path,
          "cannot set file space strategy");
    handle fapl = file_access(path, true);
    return checked(H5Fcreate(work.c_str(), H5F_ACC_TRUNC, fcpl, fapl), H5Fclose, path,
                   "cannot create the result file");
}

handle open_file(const std::string& work, const std::string& path) {
    handle fapl = file_access(path, true);
    return checked(H5Fopen(work.c_str(), H5F_ACC_RDWR, fapl), H5Fclose, path, "cannot open the result file");
}

} // namespace

// ---------------------------------------------------------------- writer state

namespace impl {

writer_state::~writer_state() { abandon(); }

void writer_state::close() {
    datasets.clear(); // before the file
    file.reset();
}

void writer_state::abandon() {
    close();
    if (!published && work_lock.held() && work_lock.still_at(work_path)) ::unlink(work_path.c_str());
    if (journal_lock.held()) { // the final writes failed: back to the sealed file
        try {
            apply_undo_journal(path, partial_of(path));
        } catch (const std::exception&) {
            // --resume restores it
        }
    }
    journal_lock.release();
    work_lock.release();
    old_lock.release();
}

void writer_state::require_open() const {
    if (!file) throw input_error(path + ": the result writer is closed");
}

void writer_state::require_unsealed(const char* what) const {
    require_open();
    if (sealed)
        throw std::logic_error(path + ": cannot " + std::string(what) +
                               " in a sealed result file (its structure is final; see h5_result.hpp)");
}

void writer_state::select_run(hid_t space, const std::vector<hsize_t>& dims, std::size_t first,
                              std::size_t count, const std::string& name) {
    select_points(space, grid, dims, first, count, path, name);
}

template <class T>
void writer_state::write_run(const std::string& name, std::size_t first, std::size_t count, const T* data) {
    require_open();
    if (count == 0) return;
    if (first > n_points || count > n_points - first)
        throw input_error(path + ": points " + std::to_string(first) + ".." +
                          std::to_string(first + count - 1) + " are outside the grid of " +
                          std::to_string(n_points) + " points");
    hid_t ds = grid_dataset(name);
    std::string what = "'/" + normalise(name) + "'";
    handle fs = checked(H5Dget_space(ds), H5Sclose, path, "cannot get the shape of " + what);
    int rank = H5Sget_simple_extent_ndims(fs);
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank > 0) H5Sget_simple_extent_dims(fs, dims.data(), nullptr);
    select_run(fs, dims, first, count, what);
    hsize_t n = static_cast<hsize_t>(count) * product(dims, grid.size());
    handle ms = checked(H5Screate_simple(1, &n, nullptr), H5Sclose, path, "cannot create a dataspace");
    check(H5Dwrite(ds, mem_type_of<T>(), ms, fs, H5P_DEFAULT, data), path,
          "cannot write points " + std::to_string(first) + ".." + std::to_string(first + count - 1) + " of " +
              what);
}

void writer_state::flush() {
    require_open();
    check(H5Fflush(file, H5F_SCOPE_LOCAL), path, "cannot flush the file");
}

void writer_state::sync() {
    flush();
    if (::fsync(work_lock.fd()) != 0)
        throw input_error(path + ": cannot write the result to disk (" + std::string(std::strerror(errno)) +
                          ")");
}

} // namespace impl

// ---------------------------------------------------------------- writer

result_writer::result_writer(std::unique_ptr<impl::writer_state> s) : s_(std::move(s)) {}
result_writer::result_writer(result_writer&&) noexcept = default;
result_writer& result_writer::operator=(result_writer&&) noexcept = default;
result_writer::~result_writer() = default;

namespace {
// The state of a writer; a moved-from writer has none.
impl::writer_state& live(const std::unique_ptr<impl::writer_state>& s) {
    if (!s) throw input_error("result writer used after it was moved from");
    return *s;
}

void check_axes(const std::string& path, const std::vector<axis_desc>& axes) {
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const auto& a = axes[i];
        if (a.name.empty() || a.name.find('/') != std::string::npos || a.name == "." || a.name == "..")
            throw input_error(path + ": invalid axis name '" + a.name + "' (no '/' allowed)");
        if (a.name == "node")
            throw input_error(path + ": an axis cannot be called 'node' (a reserved dimension)");
        if (a.values.empty()) throw input_error(path + ": axis '" + a.name + "' has no values");
        for (std::size_t j = 0; j < i; ++j)
            if (axes[j].name == a.name) throw input_error(path + ": axis '" + a.name + "' given twice");
    }
}
} // namespace

result_writer result_writer::create(const std::string& path, const std::vector<axis_desc>& axes,
                                    std::size_t n_nodes, const std::vector<std::string>& node_labels,
                                    bool overwrite) {
    quiet();
    if (n_nodes == 0) throw input_error(path + ": a result needs at least one node");
    if (!node_labels.empty() && node_labels.size() != n_nodes)
        throw input_error(path + ": " + std::to_string(node_labels.size()) + " node labels for " +
                          std::to_string(n_nodes) + " nodes");
    check_axes(path, axes);
    std::error_code ec;
    const bool present = fs::exists(fs::symlink_status(path, ec));
    if (present && !overwrite)
        throw input_error(path + ": the result file already exists (choose another output path, remove it, "
                                 "or allow overwriting)");
    if (present && !fs::is_regular_file(path, ec))
        throw input_error(path + ": exists and is not a regular file; choose another output path");

    auto s = std::make_unique<impl::writer_state>();
    s->path = path;
    s->work_path = partial_of(path);
    s->axes = axes;
    s->n_nodes = n_nodes;
    s->node_labels = node_labels;
    for (auto& a : axes) {
        s->grid.push_back(a.values.size());
        s->n_points *= a.values.size();
    }
    // The file being replaced stays untouched (and locked against other
    // writers) until this run publishes its first finished points.
    if (present) {
        s->old_lock = file_lock::try_acquire(path, false);
        if (!s->old_lock.held()) throw input_error(locked_message(path));
    }
    s->work_lock = lock_partial(path, s->work_path);
    s->file = create_file(s->work_path, path);
    s->init_new_file(); // on failure ~writer_state removes the partial file
    return result_writer(std::move(s));
}

result_writer result_writer::resume(const std::string& path) {
    quiet();
    std::error_code ec;
    if (!fs::exists(path, ec)) throw input_error(path + ": cannot resume: no such file");
    auto s = std::make_unique<impl::writer_state>();
    s->path = s->work_path = path;
    s->work_lock = file_lock::try_acquire(path, false);
    if (!s->work_lock.held()) throw input_error(locked_message(path));
    // What a run killed while starting or finishing left behind: a
    // half-made new file (removed), or the journal of unfinished final
    // writes (undone: the file is sealed again, and they are redone).
    if (fs::exists(partial_of(path), ec)) {
        file_lock stale = lock_partial(path, partial_of(path));
        if (!is_undo_journal(partial_of(path)) || !apply_undo_journal(path, partial_of(path)))
            ::unlink(partial_of(path).c_str());
    }
    s->published = s->sealed = true;
    htri_t is = H5Fis_hdf5(path.c_str());
    if (is <= 0) {
        H5Eclear2(H5E_DEFAULT);
        throw input_error(path + ": cannot resume: not an HDF5 file");
    }
    // A first read in a child: a damaged file is refused here, not crashed on.
    try {
        describe(path);
        read_through(path);
    } catch (const input_error& e) {
        throw input_error(std::string("cannot resume: ") + e.what());
    }
    s->file = open_file(path, path);
    hid_t f = s->file;
    if (!has_attr(f, "format") || attr_string(f, "format", path, "the root group") != format_name)
        throw input_error(path + ": cannot resume: not an nmsweep result file");
    if (attr_number(f, "complete", path, "the root group") != 0)
        throw input_error(path + ": cannot resume: the result is already complete");
    attr_value names = get_attr(f, "axes", path, "the root group");
    for (auto& n : names.strings) {
        axis_desc a;
        a.name = n;
        std::string norm = "axes/" + n;
        handle ds = open_dataset(f, path, norm);
        auto d = dataset_dims(ds, path, norm);
        if (d.size() != 1) throw input_error(path + ": '/" + norm + "' is not a 1-D axis");
        a.values.resize(d[0]);
        check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()), path,
              "cannot read '/" + norm + "'");
        if (has_attr(ds, "units")) a.unit = attr_string(ds, "units", path, "'/" + norm + "'");
        s->grid.push_back(a.values.size());
        s->n_points *= a.values.size();
        s->axes.push_back(std::move(a));
    }
    handle node = open_dataset(f, path, "axes/node");
    auto nd = dataset_dims(node, path, "axes/node");
    s->n_nodes = nd.empty() ? 0 : nd[0];
    s->grid_dataset("status/done");
    s->grid_dataset("status/diverged_step");
    return result_writer(std::move(s));
}

void result_writer::add_dataset(const std::string& name, const std::vector<std::string>& extra_dims,
                                const std::vector<std::size_t>& extra_sizes, bool integer,
                                const std::string& units, const std::string& description,
                                const std::vector<std::vector<double>>& extra_scale_values) {
    quiet();
    live(s_).create_grid_dataset(name, extra_dims, extra_sizes, integer ? elem::i64 : elem::f64, units,
                                 description, extra_scale_values);
}

template <class T>
void result_writer::write_points_impl(const std::string& name, std::size_t first, std::size_t count,
                                      const T* data) {
    quiet();
    live(s_).write_run(name, first, count, data);
}

void result_writer::write_points(const std::string& name, std::size_t first, std::size_t count,
                                 const double* data) {
    write_points_impl(name, first, count, data);
}
void result_writer::write_points(const std::string& name, std::size_t first, std::size_t count,
                                 const long* data) {
    write_points_impl(name, first, count, data);
}

void result_writer::write_status(std::size_t first, std::size_t count, const long* diverged_step) {
    write_points_impl("status/diverged_step", first, count, diverged_step);
}

void result_writer::seal() {
    quiet();
    auto& s = live(s_);
    s.require_open();
    s.sync();
    s.sealed = true;
}

void result_writer::mark_done(std::size_t first, std::size_t count) {
    quiet();
    auto& s = live(s_);
    s.require_open();
    // The points' data reach the disk before the flags that call them done.
    if (!s.sealed)
        seal();
    else
        s.sync();
    std::vector<std::uint8_t> ones(count, 1);
    s.write_run("status/done", first, count, ones.data());
    if (s.published) return s.flush();
    s.sync();
    publish();
}

void result_writer::publish() {
    auto& s = live(s_);
    std::error_code ec;
    const bool replacing = s.old_lock.held() && s.old_lock.still_at(s.path);
    if (!replacing && fs::exists(fs::symlink_status(s.path, ec))) {
        // A file appeared at the path since this run started.
        file_lock other = file_lock::try_acquire(s.path, false);
        if (!other.held()) throw input_error(locked_message(s.path));
        throw input_error(s.path + ": a file appeared at the output path while this run was starting; "
                                   "not replacing it (remove it, or choose another output path)");
    }
    replace_file(s.work_path, s.path); // the caller made the file durable
    s.work_path = s.path;
    s.published = true;
    s.old_lock.release();
}

std::vector<std::uint8_t> result_writer::done_mask() const {
    quiet();
    auto& s = live(s_);
    s.require_open();
    hid_t ds = s.grid_dataset("status/done");
    std::vector<std::uint8_t> mask(s.n_points);
    check(H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, mask.data()), s.path,
          "cannot read '/status/done'");
    return mask;
}

std::vector<double> result_writer::read_all(const std::string& name) const {
    quiet();
    auto& s = live(s_);
    s.require_open();
    const std::string norm = normalise(name);
    handle ds = open_dataset(s.file, s.path, norm);
    check_numeric_type(ds, s.path, norm);
    std::vector<double> out(static_cast<std::size_t>(product(dataset_dims(ds, s.path, norm))));
    if (!out.empty())
        check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), s.path,
              "cannot read '/" + norm + "'");
    return out;
}

std::string result_writer::string_attr(const std::string& object, const std::string& key,
                                       const std::string& fallback) const {
    quiet();
    auto& s = live(s_);
    s.require_open();
    handle o = open_object(s.file, s.path, object);
    if (!has_attr(o, key)) return fallback;
    return attr_string(o, key, s.path, where_str(object));
}

void result_writer::write_array(const std::string& name, const std::vector<std::size_t>& shape,
                                const double* data, const std::vector<std::string>& dim_names,
                                const std::vector<std::vector<double>>& dim_values, const std::string& units,
                                const std::string& description) {
    write_array_impl(name, shape, data, dim_names, dim_values, units, description);
}

void result_writer::write_array(const std::string& name, const std::vector<std::size_t>& shape,
                                const long* data, const std::vector<std::string>& dim_names,
                                const std::vector<std::vector<double>>& dim_values, const std::string& units,
                                const std::string& description) {
    write_array_impl(name, shape, data, dim_names, dim_values, units, description);
}

template <class T>
void result_writer::write_array_impl(const std::string& name, const std::vector<std::size_t>& shape,
                                     const T* data, const std::vector<std::string>& dim_names,
                                     const std::vector<std::vector<double>>& dim_values,
                                     const std::string& units, const std::string& description) {
    constexpr bool integer = std::is_same_v<T, long>;
    quiet();
    auto& s = live(s_);
    s.require_open();
    const std::string& path = s.path;
    std::string norm = normalise(name);
    if (norm.empty()) throw input_error(path + ": empty dataset name");
    if (dim_names.size() != shape.size())
        throw input_error(path + ": array '/" + norm + "' has " + std::to_string(shape.size()) +
                          " dims but " + std::to_string(dim_names.size()) + " dim names");
    if (!dim_values.empty() && dim_values.size() != shape.size())
        throw input_error(path + ": array '/" + norm + "': dim values must be given for every dim (or none)");
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    const std::string what = "'/" + norm + "'";
    s.datasets.erase(norm);
    handle ds;
    if (exists(s.file, norm)) {
        ds = open_dataset(s.file, path, norm);
        auto have = dataset_dims(ds, path, norm);
        if (have != dims)
            throw input_error(path + ": array " + what + " exists with shape " + shape_str(have) +
                              ", cannot rewrite it with shape " + shape_str(dims));
        handle ft = checked(H5Dget_type(ds), H5Tclose, path, "cannot read the type of " + what);
        if (H5Tget_class(ft) != (integer ? H5T_INTEGER : H5T_FLOAT))
            throw input_error(path + ": " + what + " already exists as " +
                              (integer ? "a float array"
                                       : "an integer index; write coordinate arrays "
                                         "before the arrays that use them"));
    } else {
        s.require_unsealed("create an array");
        ds = s.create_array(norm, dims, dim_names, dim_values, integer);
    }
    if (product(dims) > 0)
        check(
            H5Dwrite(ds, integer ? H5T_NATIVE_LONG : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
            path, "cannot write " + what);
    if (!units.empty() || !description.empty()) s.require_unsealed("set an array's units or description");
    if (!units.empty()) put_string_attr(ds, "units", units, path, what);
    if (!description.empty()) put_string_attr(ds, "description", description, path, what);
}

template <class F> void result_writer::with_object(const std::string& object, F&& put) {
    quiet();
    auto& s = live(s_);
    s.require_unsealed("set an attribute");
    handle o = open_object(s.file, s.path, object);
    put(o.get(), s.path, where_str(object));
}

void result_writer::set_attr(const std::string& object, const std::string& key, const std::string& value) {
    with_object(object, [&](hid_t o, const std::string& p, const std::string& w) {
        put_string_attr(o, key, value, p, w);
    });
}
void result_writer::set_attr(const std::string& object, const std::string& key, const char* value) {
    set_attr(object, key, std::string(value ? value : ""));
}
void result_writer::set_attr(const std::string& object, const std::string& key, double value) {
    with_object(object, [&](hid_t o, const std::string& p, const std::string& w) {
        put_num_attr(o, key, &value, 1, true, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, p, w);
    });
}
void result_writer::set_attr(const std::string& object, const std::string& key, long value) {
    with_object(object, [&](hid_t o, const std::string& p, const std::string& w) {
        put_num_attr(o, key, &value, 1, true, H5T_STD_I64LE, H5T_NATIVE_LONG, p, w);
    });
}
void result_writer::set_attr(const std::string& object, const std::string& key,
                             const std::vector<std::string>& value) {
    with_object(object, [&](hid_t o, const std::string& p, const std::string& w) {
        put_strings_attr(o, key, value, p, w);
    });
}
void result_writer::set_attr(const std::string& object, const std::string& key,
                             const std::vector<double>& value) {
    with_object(object, [&](hid_t o, const std::string& p, const std::string& w) {
        put_num_attr(o, key, value.data(), value.size(), false, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, p, w);
    });
}

void result_writer::set_parameter(const std::string& name, double value, const std::string& units) {
    quiet();
    auto& s = live(s_);
    s.require_unsealed("set a parameter");
    handle g = ensure_group(s.file, s.path, "parameters");
    if (!has_attr(g, "description"))
        put_string_attr(g, "description", "fixed (not swept) parameters of the run, one attribute each",
                        s.path, "'/parameters'");
    put_num_attr(g.get(), name, &value, 1, true, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s.path, "'/parameters'");
    if (!units.empty()) put_string_attr(g, name + ".units", units, s.path, "'/parameters'");
}

void result_writer::flush() {
    quiet();
    live(s_).flush();
}

void result_writer::begin_final_writes() {
    quiet();
    auto& s = live(s_);
    s.require_open();
    if (!s.sealed) return;
    s.sync();
    const auto raw = raw_extents(s.file, s.path);
    s.close();
    // The final writes change the structure in place: first the bytes they
    // may change go to an undo journal (the datasets' data stay as they are),
    // so that a run killed meanwhile gets back its sealed file (resume).
    const std::string journal = partial_of(s.path);
    s.journal_lock = lock_partial(s.path, journal);
    try {
        write_undo_journal(s.path, journal, raw);
    } catch (const input_error& e) {
        ::unlink(journal.c_str());
        s.journal_lock.release();
        throw input_error(s.path +
                          ": every point is finished and kept, but the end of the run (maps, totals) "
                          "could not start: " +
                          e.what() + "; then run again with --resume to finish it");
    }
    s.file = open_file(s.path, s.path);
    s.sealed = false;
}

void result_writer::finish() {
    quiet();
    auto& s = live(s_);
    s.require_open();
    if (s.sealed) begin_final_writes();
    long one = 1;
    put_num_attr(s.file.get(), "complete", &one, 1, true, H5T_STD_I64LE, H5T_NATIVE_LONG, s.path,
                 "the root group");
    put_string_attr(s.file, "finished", now_iso(), s.path, "the root group");
    s.sync();
    s.datasets.clear();
    check(H5Fclose(s.file.release()), s.path, "cannot close the file");
    if (::fsync(s.work_lock.fd()) != 0)
        throw input_error(s.path + ": cannot write the result to disk (" + std::string(std::strerror(errno)) +
                          ")");
    if (!s.published) publish();
    if (s.journal_lock.held()) {
        ::unlink(partial_of(s.path).c_str());
        fsync_parent_dir(s.path);
        s.journal_lock.release();
    }
    s.work_lock.release();
    s.old_lock.release();
}

const std::string& result_writer::path() const { return live(s_).path; }
const std::vector<axis_desc>& result_writer::axes() const { return live(s_).axes; }
std::vector<std::size_t> result_writer::grid_shape() const {
    return {live(s_).grid.begin(), live(s_).grid.end()};
}
std::size_t result_writer::n_points() const { return live(s_).n_points; }
std::size_t result_writer::n_nodes() const { return live(s_).n_nodes; }
bool result_writer::is_open() const { return s_ && s_->file; }
bool result_writer::sealed() const { return s_ && s_->sealed; }

} // namespace nms::h5
