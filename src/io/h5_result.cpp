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

#include "nmsweep/core/error.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

namespace nms::h5 {

namespace {

constexpr const char* format_name = "nmsweep-result";
constexpr long format_version = 1;
constexpr std::size_t chunk_target_bytes = 256 * 1024;
constexpr unsigned deflate_level = 1;

// HDF5 prints its error stack to stderr by default. The setting is per thread
// in thread-safe builds, so every entry point calls this.
void quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

herr_t error_walker(unsigned n, const H5E_error2_t* err, void* data) {
    auto* out = static_cast<std::string*>(data);
    if (n == 0) { // the innermost error: where HDF5 noticed the problem
        char minor[160] = "";
        H5Eget_msg(err->min_num, nullptr, minor, sizeof minor);
        std::string d = err->desc ? err->desc : "";
        *out = d;
        if (minor[0] && d.find(minor) == std::string::npos)
            *out += std::string(d.empty() ? "" : ": ") + minor;
    }
    return 0;
}

std::string hdf5_reason() {
    std::string r;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, error_walker, &r);
    H5Eclear2(H5E_DEFAULT);
    return r;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    std::string reason = hdf5_reason();
    throw input_error(path + ": " + what + (reason.empty() ? "" : " (HDF5: " + reason + ")"));
}

// Owns one HDF5 id; the close function matches the id's kind.
class handle {
  public:
    handle() = default;
    handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    handle(handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
    handle& operator=(handle&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = o.id_;
            close_ = o.close_;
            o.id_ = -1;
        }
        return *this;
    }
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;
    ~handle() { reset(); }
    void reset() {
        if (id_ >= 0 && close_) close_(id_);
        id_ = -1;
    }
    hid_t get() const { return id_; }
    hid_t release() {
        hid_t id = id_;
        id_ = -1;
        return id;
    }
    operator hid_t() const { return id_; }
    explicit operator bool() const { return id_ >= 0; }

  private:
    hid_t id_ = -1;
    herr_t (*close_)(hid_t) = nullptr;
};

handle checked(hid_t id, herr_t (*close)(hid_t), const std::string& path, const std::string& what) {
    if (id < 0) fail(path, what);
    return handle(id, close);
}
void check(herr_t rc, const std::string& path, const std::string& what) {
    if (rc < 0) fail(path, what);
}

handle make_plist(hid_t cls, const std::string& path) {
    return checked(H5Pcreate(cls), H5Pclose, path, "cannot create a property list");
}

handle string_type(const std::string& path) {
    handle t = checked(H5Tcopy(H5T_C_S1), H5Tclose, path, "cannot make a string type");
    check(H5Tset_size(t, H5T_VARIABLE), path, "cannot make a string type");
    check(H5Tset_cset(t, H5T_CSET_UTF8), path, "cannot make a string type");
    return t;
}

// "/a//b/" -> "a/b"; rejects "." and ".." components.
std::string normalise(const std::string& name) {
    std::string out;
    std::stringstream ss(name);
    std::string part;
    while (std::getline(ss, part, '/')) {
        if (part.empty()) continue;
        if (part == "." || part == "..") throw input_error("invalid HDF5 object name '" + name + "'");
        if (!out.empty()) out += '/';
        out += part;
    }
    return out;
}
std::string parent_of(const std::string& norm) {
    auto p = norm.rfind('/');
    return p == std::string::npos ? "" : norm.substr(0, p);
}
std::string leaf_of(const std::string& norm) {
    auto p = norm.rfind('/');
    return p == std::string::npos ? norm : norm.substr(p + 1);
}
std::string abs_path(const std::string& norm) { return "/" + norm; }
std::string join(const std::string& group, const std::string& leaf) {
    return group.empty() ? leaf : group + "/" + leaf;
}

// True if every link along `norm` exists (H5Lexists needs the parents to).
bool exists(hid_t file, const std::string& norm) {
    if (norm.empty()) return true;
    std::string cur;
    std::stringstream ss(norm);
    std::string part;
    while (std::getline(ss, part, '/')) {
        cur += "/" + part;
        htri_t e = H5Lexists(file, cur.c_str(), H5P_DEFAULT);
        if (e <= 0) {
            H5Eclear2(H5E_DEFAULT);
            return false;
        }
    }
    return true;
}

std::string shape_str(const std::vector<hsize_t>& dims) {
    if (dims.empty()) return "scalar";
    std::string s;
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
    return s;
}

std::vector<hsize_t> dataset_dims(hid_t ds, const std::string& path, const std::string& name) {
    handle sp = checked(H5Dget_space(ds), H5Sclose, path, "cannot get the shape of '" + name + "'");
    int rank = H5Sget_simple_extent_ndims(sp);
    if (rank < 0) fail(path, "cannot get the shape of '" + name + "'");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0) H5Sget_simple_extent_dims(sp, dims.data(), nullptr);
    return dims;
}

hsize_t product(const std::vector<hsize_t>& v, std::size_t from = 0) {
    hsize_t p = 1;
    for (std::size_t i = from; i < v.size(); ++i) p *= v[i];
    return p;
}

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

// ---------------------------------------------------------------- attributes

handle open_object(hid_t file, const std::string& path, const std::string& object) {
    std::string norm = normalise(object);
    if (!exists(file, norm)) throw input_error(path + ": no object '" + abs_path(norm) + "'");
    return checked(H5Oopen(file, abs_path(norm).c_str(), H5P_DEFAULT), H5Oclose, path,
                   "cannot open '" + abs_path(norm) + "'");
}

handle new_attr(hid_t obj, const std::string& key, hid_t type, hid_t space, const std::string& path,
                const std::string& where) {
    htri_t e = H5Aexists(obj, key.c_str());
    if (e > 0) check(H5Adelete(obj, key.c_str()), path, "cannot replace attribute '" + key + "' of " + where);
    H5Eclear2(H5E_DEFAULT);
    return checked(H5Acreate2(obj, key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, path,
                   "cannot create attribute '" + key + "' of " + where);
}

std::string where_str(const std::string& object) {
    std::string n = normalise(object);
    return n.empty() ? "the root group" : "'/" + n + "'";
}

void put_string_attr(hid_t obj, const std::string& key, const std::string& value, const std::string& path,
                     const std::string& where) {
    handle t = string_type(path);
    handle sp = checked(H5Screate(H5S_SCALAR), H5Sclose, path, "cannot create a dataspace");
    handle a = new_attr(obj, key, t, sp, path, where);
    const char* p = value.c_str();
    check(H5Awrite(a, t, &p), path, "cannot write attribute '" + key + "' of " + where);
}

void put_strings_attr(hid_t obj, const std::string& key, const std::vector<std::string>& value,
                      const std::string& path, const std::string& where) {
    handle t = string_type(path);
    hsize_t n = value.size();
    handle sp = checked(H5Screate_simple(1, &n, nullptr), H5Sclose, path, "cannot create a dataspace");
    handle a = new_attr(obj, key, t, sp, path, where);
    std::vector<const char*> ptrs;
    for (auto& s : value) ptrs.push_back(s.c_str());
    if (n) check(H5Awrite(a, t, ptrs.data()), path, "cannot write attribute '" + key + "' of " + where);
}

template <class T>
void put_num_attr(hid_t obj, const std::string& key, const T* v, std::size_t n, bool scalar, hid_t file_type,
                  hid_t mem_type, const std::string& path, const std::string& where) {
    hsize_t dn = n;
    handle sp = scalar
                    ? checked(H5Screate(H5S_SCALAR), H5Sclose, path, "cannot create a dataspace")
                    : checked(H5Screate_simple(1, &dn, nullptr), H5Sclose, path, "cannot create a dataspace");
    handle a = new_attr(obj, key, file_type, sp, path, where);
    if (n) check(H5Awrite(a, mem_type, v), path, "cannot write attribute '" + key + "' of " + where);
}

// One attribute value, decoded for reading and describing.
struct attr_value {
    enum kind_t { text, integer, real, other } kind = other;
    std::vector<std::string> strings;
    std::vector<long long> ints;
    std::vector<double> reals;
    bool scalar = true;
};

attr_value read_attr(hid_t attr, const std::string& path, const std::string& what) {
    attr_value v;
    handle ft = checked(H5Aget_type(attr), H5Tclose, path, "cannot read " + what);
    handle sp = checked(H5Aget_space(attr), H5Sclose, path, "cannot read " + what);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    v.scalar = H5Sget_simple_extent_type(sp) == H5S_SCALAR;
    if (n < 0) fail(path, "cannot read " + what);
    switch (H5Tget_class(ft)) {
    case H5T_STRING: {
        v.kind = attr_value::text;
        if (H5Tis_variable_str(ft) > 0) {
            handle mt = string_type(path);
            std::vector<char*> buf(static_cast<std::size_t>(n), nullptr);
            if (n) check(H5Aread(attr, mt, buf.data()), path, "cannot read " + what);
            for (char* s : buf) {
                v.strings.emplace_back(s ? s : "");
                if (s) H5free_memory(s);
            }
        } else {
            std::size_t sz = H5Tget_size(ft);
            handle mt = checked(H5Tcopy(H5T_C_S1), H5Tclose, path, "cannot read " + what);
            H5Tset_size(mt, sz);
            H5Tset_strpad(mt, H5T_STR_NULLPAD); // keep every byte; strnlen trims
            std::vector<char> buf(sz * static_cast<std::size_t>(n) + 1, '\0');
            if (n) check(H5Aread(attr, mt, buf.data()), path, "cannot read " + what);
            for (hssize_t i = 0; i < n; ++i) {
                const char* s = buf.data() + i * sz;
                v.strings.emplace_back(s, strnlen(s, sz));
            }
        }
        break;
    }
    case H5T_INTEGER:
        v.kind = attr_value::integer;
        v.ints.resize(static_cast<std::size_t>(n));
        if (n) check(H5Aread(attr, H5T_NATIVE_LLONG, v.ints.data()), path, "cannot read " + what);
        break;
    case H5T_FLOAT:
        v.kind = attr_value::real;
        v.reals.resize(static_cast<std::size_t>(n));
        if (n) check(H5Aread(attr, H5T_NATIVE_DOUBLE, v.reals.data()), path, "cannot read " + what);
        break;
    default:
        break;
    }
    return v;
}

bool has_attr(hid_t obj, const std::string& key) {
    htri_t e = H5Aexists(obj, key.c_str());
    H5Eclear2(H5E_DEFAULT);
    return e > 0;
}

attr_value get_attr(hid_t obj, const std::string& key, const std::string& path, const std::string& where) {
    if (!has_attr(obj, key)) throw input_error(path + ": " + where + " has no attribute '" + key + "'");
    handle a = checked(H5Aopen(obj, key.c_str(), H5P_DEFAULT), H5Aclose, path,
                       "cannot open attribute '" + key + "' of " + where);
    return read_attr(a, path, "attribute '" + key + "' of " + where);
}

std::string attr_string(hid_t obj, const std::string& key, const std::string& path,
                        const std::string& where) {
    attr_value v = get_attr(obj, key, path, where);
    if (v.kind != attr_value::text || v.strings.empty())
        throw input_error(path + ": attribute '" + key + "' of " + where + " is not a string");
    return v.strings[0];
}

double attr_number(hid_t obj, const std::string& key, const std::string& path, const std::string& where) {
    attr_value v = get_attr(obj, key, path, where);
    if (v.kind == attr_value::integer && !v.ints.empty()) return static_cast<double>(v.ints[0]);
    if (v.kind == attr_value::real && !v.reals.empty()) return v.reals[0];
    throw input_error(path + ": attribute '" + key + "' of " + where + " is not a number");
}

// ---------------------------------------------------------------- files

handle file_access(const std::string& path, bool writer) {
    handle fapl = make_plist(H5P_FILE_ACCESS, path);
#if H5_VERSION_GE(1, 10, 7)
    // Writers lock the file (ignored on file systems without locks, as on
    // some parallel file systems); readers do not, so `nmsweep info` works on
    // a file that a run is writing (it sees the last flushed state).
    check(H5Pset_file_locking(fapl, writer, true), path, "cannot set file locking");
#endif
    if (writer) {
        // Metadata reaches the disk only at a flush (see the header).
        H5AC_cache_config_t cfg;
        cfg.version = H5AC__CURR_CACHE_CONFIG_VERSION;
        check(H5Pget_mdc_config(fapl, &cfg), path, "cannot configure the metadata cache");
        cfg.evictions_enabled = false;
        cfg.incr_mode = H5C_incr__off;
        cfg.flash_incr_mode = H5C_flash_incr__off;
        cfg.decr_mode = H5C_decr__off;
        check(H5Pset_mdc_config(fapl, &cfg), path, "cannot configure the metadata cache");
    }
    return fapl;
}

handle open_read(const std::string& path) {
    quiet();
    if (!std::filesystem::exists(path)) throw input_error(path + ": no such file");
    htri_t is = H5Fis_hdf5(path.c_str());
    if (is <= 0) {
        H5Eclear2(H5E_DEFAULT);
        throw input_error(path + ": not an HDF5 file");
    }
    handle fapl = file_access(path, false);
    return checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose, path, "cannot open the file");
}

handle open_dataset(hid_t file, const std::string& path, const std::string& name, hid_t dapl = H5P_DEFAULT) {
    std::string norm = normalise(name);
    if (norm.empty() || !exists(file, norm)) throw input_error(path + ": no dataset '/" + norm + "'");
    return checked(H5Dopen2(file, abs_path(norm).c_str(), dapl), H5Dclose, path,
                   "cannot open dataset '/" + norm + "'");
}

handle ensure_group(hid_t file, const std::string& path, const std::string& norm) {
    if (norm.empty()) return checked(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose, path, "cannot open /");
    if (exists(file, norm))
        return checked(H5Gopen2(file, abs_path(norm).c_str(), H5P_DEFAULT), H5Gclose, path,
                       "'/" + norm + "' is not a group");
    handle lcpl = make_plist(H5P_LINK_CREATE, path);
    H5Pset_create_intermediate_group(lcpl, 1);
    return checked(H5Gcreate2(file, abs_path(norm).c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, path,
                   "cannot create group '/" + norm + "'");
}

std::string scale_name(hid_t ds) {
    char buf[256] = "";
    ssize_t n = H5DSget_scale_name(ds, buf, sizeof buf);
    H5Eclear2(H5E_DEFAULT);
    return n > 0 ? std::string(buf) : std::string();
}

herr_t scale_name_visitor(hid_t, unsigned, hid_t scale, void* data) {
    *static_cast<std::string*>(data) = scale_name(scale);
    return 1; // first attached scale is enough
}

std::vector<std::string> dim_names_of(hid_t ds, std::size_t rank) {
    std::vector<std::string> names(rank);
    for (unsigned i = 0; i < rank; ++i) {
        if (H5DSget_num_scales(ds, i) <= 0) continue;
        H5DSiterate_scales(ds, i, nullptr, scale_name_visitor, &names[i]);
    }
    H5Eclear2(H5E_DEFAULT);
    return names;
}

std::string now_iso() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

template <class T> hid_t mem_type_of();
template <> hid_t mem_type_of<double>() { return H5T_NATIVE_DOUBLE; }
template <> hid_t mem_type_of<long>() { return H5T_NATIVE_LONG; }
template <> hid_t mem_type_of<std::uint8_t>() { return H5T_NATIVE_UINT8; }

enum class elem { f64, i64, u8 };

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

// ---------------------------------------------------------------- reading

std::vector<double> read_dataset(const std::string& path, const std::string& name,
                                 std::vector<std::size_t>* shape) {
    handle f = open_read(path);
    handle ds = open_dataset(f, path, name);
    auto dims = dataset_dims(ds, path, normalise(name));
    std::vector<double> out(static_cast<std::size_t>(product(dims)));
    if (!out.empty())
        check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), path,
              "cannot read '/" + normalise(name) + "'");
    if (shape) shape->assign(dims.begin(), dims.end());
    return out;
}

std::string read_string_attr(const std::string& path, const std::string& object, const std::string& key) {
    handle f = open_read(path);
    handle o = open_object(f, path, object);
    return attr_string(o, key, path, where_str(object));
}

double read_number_attr(const std::string& path, const std::string& object, const std::string& key) {
    handle f = open_read(path);
    handle o = open_object(f, path, object);
    return attr_number(o, key, path, where_str(object));
}

std::vector<std::string> dimension_names(const std::string& path, const std::string& name) {
    handle f = open_read(path);
    handle ds = open_dataset(f, path, name);
    return dim_names_of(ds, dataset_dims(ds, path, normalise(name)).size());
}

// ---------------------------------------------------------------- describe

namespace {

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string list_values(const std::vector<double>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + num(v[i]);
    return s;
}

std::string describe_values(const std::vector<double>& v) {
    if (v.empty()) return "no values";
    if (v.size() == 1) return "1 value: " + num(v[0]);
    std::string s = std::to_string(v.size()) + " values";
    if (v.size() <= 6) return s + ": " + list_values(v);
    double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
    s += " from " + num(v.front()) + " to " + num(v.back());
    double step = (v.back() - v.front()) / double(v.size() - 1);
    bool even = true, geom = v.front() > 0;
    for (std::size_t i = 1; i < v.size(); ++i) {
        if (std::abs((v[i] - v[i - 1]) - step) > 1e-9 * std::max(std::abs(hi), std::abs(lo)) + 1e-300)
            even = false;
        if (!(v[i] > 0) || std::abs(v[i] / v[i - 1] - v[1] / v[0]) > 1e-9) geom = false;
    }
    if (even)
        s += ", evenly spaced (step " + num(step) + ")";
    else if (geom)
        s += ", log-spaced (ratio " + num(v[1] / v[0]) + ")";
    return s;
}

std::string attr_text(const attr_value& v) {
    std::string s;
    auto open = v.scalar ? "" : "[", close = v.scalar ? "" : "]";
    s += open;
    switch (v.kind) {
    case attr_value::text:
        for (std::size_t i = 0; i < v.strings.size(); ++i) s += (i ? ", " : "") + v.strings[i];
        break;
    case attr_value::integer:
        for (std::size_t i = 0; i < v.ints.size(); ++i) s += (i ? ", " : "") + std::to_string(v.ints[i]);
        break;
    case attr_value::real:
        for (std::size_t i = 0; i < v.reals.size(); ++i) s += (i ? ", " : "") + num(v.reals[i]);
        break;
    default:
        return "(a value of a type not shown here)";
    }
    return s + close;
}

struct attr_list_ctx {
    std::vector<std::string> names;
};
herr_t collect_attr(hid_t, const char* name, const H5A_info_t*, void* data) {
    static_cast<attr_list_ctx*>(data)->names.emplace_back(name);
    return 0;
}
std::vector<std::string> attr_names(hid_t obj) {
    attr_list_ctx ctx;
    hsize_t idx = 0;
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, &ctx);
    H5Eclear2(H5E_DEFAULT);
    return ctx.names;
}

struct link_list_ctx {
    std::vector<std::string> names;
};
herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* data) {
    static_cast<link_list_ctx*>(data)->names.emplace_back(name);
    return 0;
}

// All datasets below `group` (depth first, by name).
void walk(hid_t file, const std::string& group, std::vector<std::string>& out) {
    handle g(H5Gopen2(file, group.empty() ? "/" : abs_path(group).c_str(), H5P_DEFAULT), H5Gclose);
    if (!g) return;
    link_list_ctx ctx;
    hsize_t idx = 0;
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_link, &ctx);
    for (auto& n : ctx.names) {
        std::string p = join(group, n);
        handle o(H5Oopen(file, abs_path(p).c_str(), H5P_DEFAULT), H5Oclose);
        if (!o) continue;
        H5I_type_t t = H5Iget_type(o);
        if (t == H5I_GROUP)
            walk(file, p, out);
        else if (t == H5I_DATASET)
            out.push_back(p);
    }
    H5Eclear2(H5E_DEFAULT);
}

std::string type_name(hid_t ds) {
    handle t(H5Dget_type(ds), H5Tclose);
    if (!t) return "?";
    std::size_t sz = H5Tget_size(t);
    switch (H5Tget_class(t)) {
    case H5T_FLOAT:
        return sz == 4 ? "float32" : "float64";
    case H5T_INTEGER:
        return std::string(H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(8 * sz);
    case H5T_STRING:
        return "string";
    default:
        return "other";
    }
}

} // namespace

std::string describe(const std::string& path) {
    handle f = open_read(path);
    std::ostringstream o;
    auto root_has = [&](const char* k) { return has_attr(f, k); };
    bool ours = root_has("format") && attr_string(f, "format", path, "the root group") == format_name;
    if (!ours) {
        o << path << ": an HDF5 file, but not an nmsweep result (no format=\"" << format_name
          << "\" attribute); its contents:\n";
    } else {
        long ver =
            root_has("format_version") ? long(attr_number(f, "format_version", path, "the root group")) : 0;
        o << path << ": an nmsweep sweep result (format version " << ver << ").\n";
    }

    // Axes and grid.
    std::vector<axis_desc> axes;
    if (root_has("axes")) {
        for (auto& n : get_attr(f, "axes", path, "the root group").strings) {
            axis_desc a;
            a.name = n;
            std::string norm = "axes/" + n;
            if (exists(f, norm)) {
                handle ds = open_dataset(f, path, norm);
                auto d = dataset_dims(ds, path, norm);
                a.values.resize(static_cast<std::size_t>(product(d)));
                if (!a.values.empty())
                    H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data());
                if (has_attr(ds, "units")) a.unit = attr_string(ds, "units", path, "'/" + norm + "'");
            }
            axes.push_back(std::move(a));
        }
    }
    std::size_t n_points = 1;
    for (auto& a : axes) n_points *= a.values.size();

    // Progress.
    std::size_t done = 0, diverged = 0;
    bool have_done = exists(f, "status/done");
    if (have_done) {
        handle ds = open_dataset(f, path, "status/done");
        std::vector<std::uint8_t> m(static_cast<std::size_t>(product(dataset_dims(ds, path, "status/done"))));
        if (!m.empty()) H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data());
        std::vector<long long> dv;
        if (exists(f, "status/diverged_step")) {
            handle dd = open_dataset(f, path, "status/diverged_step");
            dv.resize(static_cast<std::size_t>(product(dataset_dims(dd, path, "status/diverged_step"))));
            if (!dv.empty()) H5Dread(dd, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, dv.data());
        }
        for (std::size_t i = 0; i < m.size(); ++i) {
            if (!m[i]) continue;
            ++done;
            if (i < dv.size() && dv[i] >= 0) ++diverged;
        }
        n_points = m.size();
    }
    H5Eclear2(H5E_DEFAULT);
    if (ours) {
        bool complete = root_has("complete") && attr_number(f, "complete", path, "the root group") != 0;
        char pct[32];
        std::snprintf(pct, sizeof pct, "%.1f%%", n_points ? 100.0 * double(done) / double(n_points) : 0.0);
        if (complete)
            o << "State: complete; " << done << " of " << n_points << " parameter points finished.\n";
        else
            o << "State: INCOMPLETE (the run stopped or is still running); " << done << " of " << n_points
              << " parameter points finished (" << pct << "). Resuming the run fills in the rest.\n";
        if (have_done) {
            if (diverged)
                o << "Diverged: " << diverged << " of the " << done
                  << " finished points blew up numerically (see /status/diverged_step for the step); their "
                     "features are not meaningful.\n";
            else if (done)
                o << "Diverged: none of the finished points.\n";
        }
    }
    for (const char* k : {"model", "coupling"})
        if (root_has(k))
            o << (k[0] == 'm' ? "Model: " : "Coupling: ") << attr_text(get_attr(f, k, path, "/")) << "\n";

    if (!axes.empty()) {
        o << "Grid: " << n_points << " parameter points = ";
        for (std::size_t i = 0; i < axes.size(); ++i) o << (i ? " x " : "") << axes[i].values.size();
        o << " (" << (axes.size() == 1 ? "one axis" : "axes in storage order, the first varies slowest")
          << "):\n";
        for (auto& a : axes)
            o << "  " << a.name << " [" << (a.unit.empty() ? "no unit" : a.unit)
              << "]: " << describe_values(a.values) << "\n";
    }
    if (exists(f, "axes/node")) {
        handle ds = open_dataset(f, path, "axes/node");
        auto d = dataset_dims(ds, path, "axes/node");
        o << "Nodes: " << product(d) << " regions";
        if (has_attr(ds, "labels")) {
            auto labels = get_attr(ds, "labels", path, "'/axes/node'").strings;
            o << ": ";
            std::size_t show = labels.size() <= 10 ? labels.size() : 8;
            for (std::size_t i = 0; i < show; ++i) o << (i ? ", " : "") << labels[i];
            if (show < labels.size()) o << ", ... , " << labels.back();
        }
        o << "\n";
    }

    // Datasets (coordinates linked from /axes are already described above).
    std::vector<std::string> names;
    walk(f, "", names);
    o << "Data (name, type, shape, dimensions, units, meaning):\n";
    for (auto& n : names) {
        if (n.rfind("axes/", 0) == 0) continue;
        handle ds = open_dataset(f, path, n);
        bool scale = H5DSis_scale(ds) > 0;
        H5Eclear2(H5E_DEFAULT);
        std::string leaf = leaf_of(n);
        if (scale && (leaf == "node" ||
                      std::any_of(axes.begin(), axes.end(), [&](auto& a) { return a.name == leaf; })))
            continue;
        auto dims = dataset_dims(ds, path, n);
        o << "  /" << n << "  " << type_name(ds) << "  " << shape_str(dims);
        auto dn = dim_names_of(ds, dims.size());
        if (!dims.empty() && !scale) {
            o << "  (";
            for (std::size_t i = 0; i < dn.size(); ++i) o << (i ? ", " : "") << (dn[i].empty() ? "?" : dn[i]);
            o << ")";
        }
        if (has_attr(ds, "units")) {
            std::string u = attr_string(ds, "units", path, "'/" + n + "'");
            if (!u.empty()) o << "  [" << u << "]";
        }
        if (scale) {
            std::vector<double> v(static_cast<std::size_t>(product(dims)));
            if (!v.empty()) H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
            o << "  coordinate: " << describe_values(v);
        }
        if (has_attr(ds, "description")) o << "  - " << attr_string(ds, "description", path, "'/" + n + "'");
        o << "\n";
    }

    if (exists(f, "parameters")) {
        handle g = open_object(f, path, "parameters");
        std::vector<std::string> keys;
        for (auto& k : attr_names(g))
            if (k != "description" && (k.size() < 6 || k.compare(k.size() - 6, 6, ".units") != 0))
                keys.push_back(k);
        if (!keys.empty()) {
            o << "Fixed parameters:\n";
            for (auto& k : keys) {
                o << "  " << k << " = " << attr_text(get_attr(g, k, path, "'/parameters'"));
                if (has_attr(g, k + ".units"))
                    o << " " << attr_string(g, k + ".units", path, "'/parameters'");
                o << "\n";
            }
        }
    }

    // Provenance: every other root attribute; multi-line text last.
    std::vector<std::pair<std::string, std::string>> long_text;
    bool header = false;
    for (auto& k : attr_names(f)) {
        if (ours && (k == "format" || k == "format_version" || k == "complete" || k == "axes" ||
                     k == "model" || k == "coupling"))
            continue;
        attr_value v = get_attr(f, k, path, "the root group");
        std::string t = attr_text(v);
        if (v.kind == attr_value::text && t.find('\n') != std::string::npos) {
            long_text.emplace_back(k, t);
            continue;
        }
        if (!header) o << "Provenance and other attributes:\n";
        header = true;
        o << "  " << k << ": " << t << "\n";
    }
    for (auto& [k, t] : long_text) {
        o << k << ":\n";
        std::istringstream in(t);
        std::string line;
        while (std::getline(in, line)) o << "  | " << line << "\n";
    }
    return o.str();
}

} // namespace nms::h5
