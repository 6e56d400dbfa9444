// HDF5 result file: see include/nmsweep/io/h5_result.hpp for the layout.
//
// Decisions:
// - Every dimension is a dimension scale (H5DS). Groups holding grid data get
//   hard links to the /axes scales they use, because h5netcdf/xarray look up
//   a variable's dimensions (and load coordinates) in the variable's group.
// - Grid datasets are chunked in C order (whole trailing dims, then as many
//   rows of the preceding axis as fit ~256 KiB), so a run of consecutive
//   grid points touches few chunks; shuffle + deflate level 1 (zlib levels
//   1-3 share the fast path; higher levels cost much more for little gain
//   on floating-point data).
// - A run of flattened points is split into at most ~2 x rank hyperslab
//   boxes (a partial row, whole blocks, a partial row ...) joined into one
//   selection and written with one H5Dwrite. Hyperslab unions are iterated
//   in the file's C order, which is the order of the points in memory.
// - Strings are variable-length UTF-8 (no 64 KiB attribute limit).
// - HDF5's automatic error printing is off; failures become nms::input_error
//   naming the file and the object, with HDF5's innermost reason appended.

#include "nmsweep/io/h5_result.hpp"

#include "h5_common.hpp"
#include "nmsweep/core/error.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>

namespace nms::h5 {

using namespace detail;

namespace {

constexpr std::size_t chunk_target_bytes = 256 * 1024;
constexpr unsigned deflate_level = 1;

// Chunk shape covering a C-order-contiguous block of about target bytes:
// whole trailing dims, then part of the first dim that does not fit.
std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& dims, std::size_t elem_size) {
    std::vector<hsize_t> chunk(dims.size(), 1);
    hsize_t remaining = std::max<hsize_t>(1, chunk_target_bytes / elem_size);
    for (std::size_t i = dims.size(); i-- > 0;) {
        chunk[i] = std::max<hsize_t>(1, std::min(dims[i], remaining));
        remaining = std::max<hsize_t>(1, remaining / chunk[i]);
        if (chunk[i] < dims[i]) break;
    }
    return chunk;
}

// Shuffle + deflate when the filter is there, chunked, with a fill value.
handle chunked_dcpl(const std::vector<hsize_t>& dims, std::size_t elem_size, hid_t mem_type, const void* fill,
                    const std::string& path) {
    handle dcpl = make_plist(H5P_DATASET_CREATE, path);
    if (dims.empty() || product(dims) == 0) {
        if (fill) check(H5Pset_fill_value(dcpl, mem_type, fill), path, "cannot set a fill value");
        return dcpl;
    }
    auto chunk = chunk_shape(dims, elem_size);
    check(H5Pset_chunk(dcpl, static_cast<int>(dims.size()), chunk.data()), path, "cannot set chunking");
    unsigned cfg = 0;
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 && H5Zget_filter_info(H5Z_FILTER_DEFLATE, &cfg) >= 0 &&
        (cfg & H5Z_FILTER_CONFIG_ENCODE_ENABLED)) {
        check(H5Pset_shuffle(dcpl), path, "cannot set the shuffle filter");
        check(H5Pset_deflate(dcpl, deflate_level), path, "cannot set compression");
    }
    H5Eclear2(H5E_DEFAULT);
    if (fill) check(H5Pset_fill_value(dcpl, mem_type, fill), path, "cannot set a fill value");
    return dcpl;
}

handle dataset_access(const std::vector<hsize_t>& dims, std::size_t elem_size, const std::string& path) {
    handle dapl = make_plist(H5P_DATASET_ACCESS, path);
    std::size_t chunk_bytes = elem_size * static_cast<std::size_t>(product(chunk_shape(dims, elem_size)));
    std::size_t cache = std::max<std::size_t>(std::size_t(8) << 20, 4 * chunk_bytes);
    check(H5Pset_chunk_cache(dapl, 12421, cache, 1.0), path, "cannot set the chunk cache");
    return dapl;
}

} // namespace

// ---------------------------------------------------------------- writer state

namespace impl {
struct writer_state {
    std::string path;
    std::vector<axis_desc> axes;
    std::vector<hsize_t> grid;
    std::size_t n_points = 1;
    std::size_t n_nodes = 0;
    std::vector<std::string> node_labels; // only used while creating
    handle file;
    std::map<std::string, handle> datasets; // open grid datasets (keep their chunk caches)

    ~writer_state() { close(); }
    void close() {
        datasets.clear(); // before the file
        file.reset();
    }

    void require_open() const {
        if (!file) throw input_error(path + ": the result writer is closed");
    }

    // The dataset (kept open), for writes along the grid.
    hid_t grid_dataset(const std::string& name) {
        std::string norm = normalise(name);
        auto it = datasets.find(norm);
        if (it != datasets.end()) return it->second;
        if (norm.empty() || !exists(file, norm)) throw input_error(path + ": no dataset '/" + norm + "'");
        handle probe = open_dataset(file, path, norm);
        auto dims = dataset_dims(probe, path, norm);
        handle ft = checked(H5Dget_type(probe), H5Tclose, path, "cannot read the type of '/" + norm + "'");
        std::size_t esz = H5Tget_size(ft);
        probe.reset();
        handle dapl = dataset_access(dims, esz, path);
        handle ds = open_dataset(file, path, norm, dapl);
        if (dims.size() < grid.size() || !std::equal(grid.begin(), grid.end(), dims.begin()))
            throw input_error(path + ": dataset '/" + norm + "' (" + shape_str(dims) +
                              ") is not shaped like the grid (" + shape_str(grid) + ")");
        return datasets.emplace(norm, std::move(ds)).first->second;
    }

    // A dimension scale named `dim` of length `len` visible in `group`:
    // one already there; else /axes/<dim> (hard-linked into the group); else
    // a new one from `values` (float64) or an index 0..len-1 (int64).
    handle scale_for(const std::string& group, const std::string& dim, hsize_t len,
                     const std::vector<double>* values) {
        if (dim.empty() || dim.find('/') != std::string::npos || dim == "." || dim == "..")
            throw input_error(path + ": invalid dimension name '" + dim + "'");
        std::string here = join(group, dim);
        std::string in_axes = join("axes", dim);
        if (!exists(file, here) && exists(file, in_axes) && !(values && !values->empty())) {
            handle ax = open_dataset(file, path, in_axes);
            if (dataset_dims(ax, path, in_axes) == std::vector<hsize_t>{len} && H5DSis_scale(ax) > 0) {
                ensure_group(file, path, group);
                check(H5Lcreate_hard(file, abs_path(in_axes).c_str(), file, abs_path(here).c_str(),
                                     H5P_DEFAULT, H5P_DEFAULT),
                      path, "cannot link '/" + in_axes + "' into '/" + group + "'");
            }
            H5Eclear2(H5E_DEFAULT);
        }
        if (exists(file, here)) {
            handle s = open_dataset(file, path, here);
            auto d = dataset_dims(s, path, here);
            if (d != std::vector<hsize_t>{len})
                throw input_error(path + ": dimension '" + dim + "' has length " + std::to_string(len) +
                                  " but '/" + here + "' has shape " + shape_str(d));
            if (H5DSis_scale(s) <= 0) {
                H5Eclear2(H5E_DEFAULT);
                throw input_error(path + ": '/" + here + "' exists and is not a dimension scale for '" + dim +
                                  "'");
            }
            return s;
        }
        ensure_group(file, path, group);
        handle sp = checked(H5Screate_simple(1, &len, nullptr), H5Sclose, path, "cannot create a dataspace");
        handle s;
        if (values && !values->empty()) {
            if (values->size() != len)
                throw input_error(path + ": " + std::to_string(values->size()) +
                                  " values given for dimension '" + dim + "' of length " +
                                  std::to_string(len));
            s = checked(H5Dcreate2(file, abs_path(here).c_str(), H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                                   H5P_DEFAULT),
                        H5Dclose, path, "cannot create scale '/" + here + "'");
            check(H5Dwrite(s, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values->data()), path,
                  "cannot write scale '/" + here + "'");
        } else {
            std::vector<long> idx(len);
            std::iota(idx.begin(), idx.end(), 0L);
            s = checked(H5Dcreate2(file, abs_path(here).c_str(), H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                                   H5P_DEFAULT),
                        H5Dclose, path, "cannot create scale '/" + here + "'");
            if (len)
                check(H5Dwrite(s, H5T_NATIVE_LONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, idx.data()), path,
                      "cannot write scale '/" + here + "'");
        }
        check(H5DSset_scale(s, dim.c_str()), path, "cannot make '/" + here + "' a dimension scale");
        return s;
    }

    void attach(hid_t ds, const std::string& norm, const std::vector<std::string>& dims,
                const std::vector<hsize_t>& shape, const std::vector<const std::vector<double>*>& values) {
        std::string group = parent_of(norm);
        for (std::size_t i = 0; i < dims.size(); ++i) {
            handle s = scale_for(group, dims[i], shape[i], values[i]);
            unsigned idx = static_cast<unsigned>(i);
            check(H5DSattach_scale(ds, s, idx), path,
                  "cannot attach scale '" + dims[i] + "' to '/" + norm + "'");
            check(H5DSset_label(ds, idx, dims[i].c_str()), path, "cannot label dimension of '/" + norm + "'");
        }
    }

    void create_grid_dataset(const std::string& name, const std::vector<std::string>& extra_dims,
                             const std::vector<std::size_t>& extra_sizes, elem type, const std::string& units,
                             const std::string& description,
                             const std::vector<std::vector<double>>& extra_values) {
        require_open();
        std::string norm = normalise(name);
        if (norm.empty()) throw input_error(path + ": empty dataset name");
        if (extra_dims.size() != extra_sizes.size())
            throw input_error(path + ": dataset '/" + norm + "': " + std::to_string(extra_dims.size()) +
                              " extra dim names but " + std::to_string(extra_sizes.size()) + " sizes");
        if (!extra_values.empty() && extra_values.size() != extra_dims.size())
            throw input_error(path + ": dataset '/" + norm +
                              "': scale values must be given for every extra dim");
        std::vector<hsize_t> dims = grid;
        std::vector<std::string> names;
        for (auto& a : axes) names.push_back(a.name);
        for (std::size_t i = 0; i < extra_dims.size(); ++i) {
            if (extra_sizes[i] == 0)
                throw input_error(path + ": dataset '/" + norm + "': extra dim of size 0");
            dims.push_back(extra_sizes[i]);
            names.push_back(extra_dims[i]);
        }
        if (exists(file, norm)) { // resume: keep it, but it must match
            handle ds = open_dataset(file, path, norm);
            auto have = dataset_dims(ds, path, norm);
            if (have != dims)
                throw input_error(path + ": dataset '/" + norm + "' exists with shape " + shape_str(have) +
                                  ", expected " + shape_str(dims));
            return;
        }
        hid_t ft = type == elem::f64 ? H5T_IEEE_F64LE : type == elem::i64 ? H5T_STD_I64LE : H5T_STD_U8LE;
        hid_t mt = type == elem::f64   ? H5T_NATIVE_DOUBLE
                   : type == elem::i64 ? H5T_NATIVE_LONG
                                       : H5T_NATIVE_UINT8;
        std::size_t esz = type == elem::u8 ? 1 : 8;
        double nan = std::numeric_limits<double>::quiet_NaN();
        long minus1 = -1;
        std::uint8_t zero = 0;
        const void* fill = type == elem::f64   ? static_cast<const void*>(&nan)
                           : type == elem::i64 ? static_cast<const void*>(&minus1)
                                               : static_cast<const void*>(&zero);
        handle dcpl = chunked_dcpl(dims, esz, mt, fill, path);
        handle sp = dims.empty()
                        ? checked(H5Screate(H5S_SCALAR), H5Sclose, path, "cannot create a dataspace")
                        : checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                                  H5Sclose, path, "cannot create a dataspace");
        handle lcpl = make_plist(H5P_LINK_CREATE, path);
        H5Pset_create_intermediate_group(lcpl, 1);
        handle ds = checked(H5Dcreate2(file, abs_path(norm).c_str(), ft, sp, lcpl, dcpl, H5P_DEFAULT),
                            H5Dclose, path, "cannot create dataset '/" + norm + "'");
        std::vector<const std::vector<double>*> vals(names.size(), nullptr);
        for (std::size_t i = 0; i < extra_values.size(); ++i) vals[axes.size() + i] = &extra_values[i];
        attach(ds, norm, names, dims, vals);
        if (!units.empty()) put_string_attr(ds, "units", units, path, "'/" + norm + "'");
        if (!description.empty()) put_string_attr(ds, "description", description, path, "'/" + norm + "'");
    }

    // Selects grid points [first, first+count) (flattened C order) and all
    // their extra elements: at most ~2 x rank hyperslab boxes.
    void select_run(hid_t space, const std::vector<hsize_t>& dims, std::size_t first, std::size_t count,
                    const std::string& name) {
        const std::size_t k = grid.size();
        if (k == 0) {
            check(H5Sselect_all(space), path, "cannot select in '" + name + "'");
            return;
        }
        std::vector<hsize_t> stride(k, 1);
        for (std::size_t d = k - 1; d-- > 0;) stride[d] = stride[d + 1] * grid[d + 1];
        std::vector<hsize_t> start(dims.size(), 0), cnt(dims);
        hsize_t p = first, end = first + count;
        bool first_box = true;
        while (p < end) {
            for (std::size_t d = 0; d < k; ++d) {
                if (p % stride[d] != 0 || end - p < stride[d]) continue;
                hsize_t rest = p;
                for (std::size_t j = 0; j < k; ++j) {
                    start[j] = rest / stride[j];
                    rest %= stride[j];
                }
                hsize_t n = std::min((end - p) / stride[d], grid[d] - start[d]);
                for (std::size_t j = 0; j < k; ++j) cnt[j] = j < d ? 1 : j == d ? n : grid[j];
                check(H5Sselect_hyperslab(space, first_box ? H5S_SELECT_SET : H5S_SELECT_OR, start.data(),
                                          nullptr, cnt.data(), nullptr),
                      path, "cannot select points in '" + name + "'");
                first_box = false;
                p += n * stride[d];
                break;
            }
        }
    }

    template <class T>
    void write_run(const std::string& name, std::size_t first, std::size_t count, const T* data) {
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
              "cannot write points " + std::to_string(first) + ".." + std::to_string(first + count - 1) +
                  " of " + what);
    }

    void flush() {
        require_open();
        check(H5Fflush(file, H5F_SCOPE_LOCAL), path, "cannot flush the file");
    }
};
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
void init_new_file(impl::writer_state& s);
} // namespace

result_writer result_writer::create(const std::string& path, const std::vector<axis_desc>& axes,
                                    std::size_t n_nodes, const std::vector<std::string>& node_labels,
                                    bool overwrite) {
    quiet();
    if (n_nodes == 0) throw input_error(path + ": a result needs at least one node");
    if (!node_labels.empty() && node_labels.size() != n_nodes)
        throw input_error(path + ": " + std::to_string(node_labels.size()) + " node labels for " +
                          std::to_string(n_nodes) + " nodes");
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
    std::error_code ec;
    if (!overwrite && std::filesystem::exists(path, ec))
        throw input_error(path + ": the result file already exists (choose another output path, remove it, "
                                 "or allow overwriting)");

    auto s = std::make_unique<impl::writer_state>();
    s->path = path;
    s->axes = axes;
    s->n_nodes = n_nodes;
    s->node_labels = node_labels;
    for (auto& a : axes) {
        s->grid.push_back(a.values.size());
        s->n_points *= a.values.size();
    }
    handle fcpl = make_plist(H5P_FILE_CREATE, path);
    // Never reuse space freed in this session (see the header).
    check(H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_NONE, 0, 1), path,
          "cannot set file space strategy");
    handle fapl = file_access(path, true);
    s->file = checked(
        H5Fcreate(path.c_str(), overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL, fcpl, fapl), H5Fclose, path,
        overwrite ? "cannot create the result file" : "cannot create the result file (does it exist?)");
    try {
        init_new_file(*s);
    } catch (...) {
        s->close(); // leave no half-made result behind
        std::filesystem::remove(path, ec);
        throw;
    }
    return result_writer(std::move(s));
}

namespace {
void init_new_file(impl::writer_state& st) {
    auto* s = &st;
    const std::string& path = s->path;
    const auto& axes = s->axes;
    const std::size_t n_nodes = s->n_nodes;
    const std::vector<std::string>& node_labels = s->node_labels;
    hid_t f = s->file;
    put_string_attr(f, "format", format_name, path, "the root group");
    long v = format_version, zero = 0;
    put_num_attr(f, "format_version", &v, 1, true, H5T_STD_I64LE, H5T_NATIVE_LONG, path, "the root group");
    put_num_attr(f, "complete", &zero, 1, true, H5T_STD_I64LE, H5T_NATIVE_LONG, path, "the root group");
    std::vector<std::string> names;
    for (auto& a : axes) names.push_back(a.name);
    put_strings_attr(f, "axes", names, path, "the root group");
    put_string_attr(f, "created", now_iso(), path, "the root group");

    handle axes_group = ensure_group(f, path, "axes");
    put_string_attr(
        axes_group, "description",
        "the sweep's parameter axes (grid in C order: the first axis varies slowest) and the node index",
        path, "'/axes'");
    for (auto& a : axes) {
        std::string norm = "axes/" + a.name;
        s->scale_for("axes", a.name, a.values.size(), &a.values);
        handle ds = open_dataset(f, path, norm);
        put_string_attr(ds, "units", a.unit, path, "'/" + norm + "'");
    }
    {
        handle ds = s->scale_for("axes", "node", n_nodes, nullptr);
        if (!node_labels.empty()) put_strings_attr(ds, "labels", node_labels, path, "'/axes/node'");
        put_string_attr(ds, "description", "node (region) index; attribute labels holds the region names",
                        path, "'/axes/node'");
    }
    s->create_grid_dataset(
        "status/diverged_step", {}, {}, elem::i64, "step",
        "integration step at which the point diverged (non-finite or runaway state); -1 = ok", {});
    s->create_grid_dataset("status/done", {}, {}, elem::u8, "",
                           "1 = the point finished and its results are in the file; 0 = not yet", {});
    s->flush();
}
} // namespace

result_writer result_writer::resume(const std::string& path) {
    quiet();
    if (!std::filesystem::exists(path)) throw input_error(path + ": cannot resume: no such file");
    htri_t is = H5Fis_hdf5(path.c_str());
    if (is <= 0) {
        H5Eclear2(H5E_DEFAULT);
        throw input_error(path + ": cannot resume: not an HDF5 file");
    }
    auto s = std::make_unique<impl::writer_state>();
    s->path = path;
    handle fapl = file_access(path, true);
    s->file = checked(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl), H5Fclose, path,
                      "cannot open the result for resuming (is another run writing it?)");
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

void result_writer::mark_done(std::size_t first, std::size_t count) {
    std::vector<std::uint8_t> ones(count, 1);
    write_points_impl("status/done", first, count, ones.data());
    live(s_).flush();
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

void result_writer::write_array(const std::string& name, const std::vector<std::size_t>& shape,
                                const double* data, const std::vector<std::string>& dim_names,
                                const std::vector<std::vector<double>>& dim_values, const std::string& units,
                                const std::string& description) {
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
    const bool coordinate = shape.size() == 1 && dim_names[0] == leaf_of(norm);
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
        if (H5Tget_class(ft) != H5T_FLOAT)
            throw input_error(path + ": " + what +
                              " already exists as an integer index; write coordinate arrays "
                              "before the arrays that use them");
    } else {
        handle dcpl = product(dims) * 8 > (1u << 20) ? chunked_dcpl(dims, 8, H5T_NATIVE_DOUBLE, nullptr, path)
                                                     : make_plist(H5P_DATASET_CREATE, path);
        handle sp = dims.empty()
                        ? checked(H5Screate(H5S_SCALAR), H5Sclose, path, "cannot create a dataspace")
                        : checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                                  H5Sclose, path, "cannot create a dataspace");
        handle lcpl = make_plist(H5P_LINK_CREATE, path);
        H5Pset_create_intermediate_group(lcpl, 1);
        ds = checked(H5Dcreate2(s.file, abs_path(norm).c_str(), H5T_IEEE_F64LE, sp, lcpl, dcpl, H5P_DEFAULT),
                     H5Dclose, path, "cannot create array " + what);
        if (coordinate) {
            check(H5DSset_scale(ds, dim_names[0].c_str()), path,
                  "cannot make " + what + " a dimension scale");
        } else {
            std::vector<const std::vector<double>*> vals(dims.size(), nullptr);
            for (std::size_t i = 0; i < dim_values.size(); ++i) vals[i] = &dim_values[i];
            s.attach(ds, norm, dim_names, dims, vals);
        }
    }
    if (product(dims) > 0)
        check(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path,
              "cannot write " + what);
    if (!units.empty()) put_string_attr(ds, "units", units, path, what);
    if (!description.empty()) put_string_attr(ds, "description", description, path, what);
}

void result_writer::set_attr(const std::string& object, const std::string& key, const std::string& value) {
    quiet();
    auto& s = live(s_);
    s.require_open();
    handle o = open_object(s.file, s.path, object);
    put_string_attr(o, key, value, s.path, where_str(object));
}
void result_writer::set_attr(const std::string& object, const std::string& key, const char* value) {
    set_attr(object, key, std::string(value ? value : ""));
}
void result_writer::set_attr(const std::string& object, const std::string& key, double value) {
    quiet();
    auto& s = live(s_);
    s.require_open();
    handle o = open_object(s.file, s.path, object);
    put_num_attr(o, key, &value, 1, true, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s.path, where_str(object));
}
void result_writer::set_attr(const std::string& object, const std::string& key, long value) {
    quiet();
    auto& s = live(s_);
    s.require_open();
    handle o = open_object(s.file, s.path, object);
    put_num_attr(o, key, &value, 1, true, H5T_STD_I64LE, H5T_NATIVE_LONG, s.path, where_str(object));
}
void result_writer::set_attr(const std::string& object, const std::string& key,
                             const std::vector<std::string>& value) {
    quiet();
    auto& s = live(s_);
    s.require_open();
    handle o = open_object(s.file, s.path, object);
    put_strings_attr(o, key, value, s.path, where_str(object));
}
void result_writer::set_attr(const std::string& object, const std::string& key,
                             const std::vector<double>& value) {
    quiet();
    auto& s = live(s_);
    s.require_open();
    handle o = open_object(s.file, s.path, object);
    put_num_attr(o, key, value.data(), value.size(), false, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s.path,
                 where_str(object));
}

void result_writer::set_parameter(const std::string& name, double value, const std::string& units) {
    quiet();
    auto& s = live(s_);
    s.require_open();
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

void result_writer::finish() {
    quiet();
    auto& s = live(s_);
    s.require_open();
    long one = 1;
    put_num_attr(s.file.get(), "complete", &one, 1, true, H5T_STD_I64LE, H5T_NATIVE_LONG, s.path,
                 "the root group");
    put_string_attr(s.file, "finished", now_iso(), s.path, "the root group");
    s.flush();
    s.datasets.clear();
    check(H5Fclose(s.file.release()), s.path, "cannot close the file");
}

const std::string& result_writer::path() const { return live(s_).path; }
const std::vector<axis_desc>& result_writer::axes() const { return live(s_).axes; }
std::vector<std::size_t> result_writer::grid_shape() const {
    return {live(s_).grid.begin(), live(s_).grid.end()};
}
std::size_t result_writer::n_points() const { return live(s_).n_points; }
std::size_t result_writer::n_nodes() const { return live(s_).n_nodes; }
bool result_writer::is_open() const { return s_ && s_->file; }

} // namespace nms::h5
