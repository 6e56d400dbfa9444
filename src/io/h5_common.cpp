// Shared HDF5 helpers of the result writer and readers (see h5_common.hpp).
#include "h5_common.hpp"

#include "nmsweep/core/error.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sstream>

namespace nms::h5::detail {

void quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

static herr_t error_walker(unsigned n, const H5E_error2_t* err, void* data) {
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
    // The file drivers report a failed system call as "... errno = N, error
    // message = '...', ..." with times and offsets: keep the message.
    if (auto k = reason.find("error message = '"); k != std::string::npos) {
        const auto b = k + 17, e = reason.find('\'', b);
        reason = reason.substr(b, e == std::string::npos ? std::string::npos : e - b);
    }
    if (reason.find("No space left on device") != std::string::npos)
        throw input_error(
            path + ": " + what +
            ": the disk is full (no space left on device): free space, then run again with --resume "
            "(points already finished are kept)");
    throw input_error(path + ": " + what + (reason.empty() ? "" : " (HDF5: " + reason + ")"));
}

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

hsize_t product(const std::vector<hsize_t>& v, std::size_t from) {
    hsize_t p = 1;
    for (std::size_t i = from; i < v.size(); ++i) p *= v[i];
    return p;
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
    // No HDF5 locks: writers hold their own (file_lock, see h5_result.hpp),
    // which HDF5's would clash with; readers see the last flushed state.
    check(H5Pset_file_locking(fapl, false, true), path, "cannot set file locking");
#endif
    if (writer) {
        // Metadata reaches the disk only at a flush.
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

handle open_dataset(hid_t file, const std::string& path, const std::string& name, hid_t dapl) {
    std::string norm = normalise(name);
    if (norm.empty() || !exists(file, norm)) throw input_error(path + ": no dataset '/" + norm + "'");
    return checked(H5Dopen2(file, abs_path(norm).c_str(), dapl), H5Dclose, path,
                   "cannot open dataset '/" + norm + "'");
}

void check_numeric_type(hid_t ds, const std::string& path, const std::string& norm) {
    handle t = checked(H5Dget_type(ds), H5Tclose, path, "cannot read the type of '/" + norm + "'");
    // Only the standard types: HDF5 converts from a damaged float type
    // (bit offsets beyond its size) by writing out of bounds.
    for (hid_t std_type : {H5T_IEEE_F64LE, H5T_IEEE_F32LE, H5T_IEEE_F64BE, H5T_IEEE_F32BE, H5T_STD_I64LE,
                           H5T_STD_I32LE, H5T_STD_I16LE, H5T_STD_I8LE, H5T_STD_U64LE, H5T_STD_U32LE,
                           H5T_STD_U16LE, H5T_STD_U8LE})
        if (H5Tequal(t, std_type) > 0) return;
    throw input_error(path + ": the file is damaged (dataset '/" + norm +
                      "' has a type that is not a standard float or integer)");
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

static herr_t scale_name_visitor(hid_t, unsigned, hid_t scale, void* data) {
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

void select_points(hid_t space, const std::vector<hsize_t>& grid, const std::vector<hsize_t>& dims,
                   std::size_t first, std::size_t count, const std::string& path, const std::string& name) {
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

} // namespace nms::h5::detail
