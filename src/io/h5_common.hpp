#pragma once

// HDF5 helpers shared by the result writer (h5_result.cpp) and the readers
// (h5_read.cpp): owned ids, errors that name the file and HDF5's innermost
// reason, object names, attributes. Internal to src/io.

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nms::h5::detail {

inline constexpr const char* format_name = "nmsweep-result";
inline constexpr long format_version = 1;

// HDF5 prints its error stack to stderr by default. The setting is per thread
// in thread-safe builds, so every entry point calls this.
void quiet();
// HDF5's innermost error message (and clears the stack).
std::string hdf5_reason();
[[noreturn]] void fail(const std::string& path, const std::string& what);

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

handle checked(hid_t id, herr_t (*close)(hid_t), const std::string& path, const std::string& what);
void check(herr_t rc, const std::string& path, const std::string& what);
handle make_plist(hid_t cls, const std::string& path);
handle string_type(const std::string& path);

// "/a//b/" -> "a/b"; rejects "." and ".." components.
std::string normalise(const std::string& name);
std::string parent_of(const std::string& norm);
std::string leaf_of(const std::string& norm);
inline std::string abs_path(const std::string& norm) { return "/" + norm; }
std::string join(const std::string& group, const std::string& leaf);
// True if every link along `norm` exists (H5Lexists needs the parents to).
bool exists(hid_t file, const std::string& norm);

std::string shape_str(const std::vector<hsize_t>& dims);
std::vector<hsize_t> dataset_dims(hid_t ds, const std::string& path, const std::string& name);
hsize_t product(const std::vector<hsize_t>& v, std::size_t from = 0);

// ---------------------------------------------------------------- attributes
handle open_object(hid_t file, const std::string& path, const std::string& object);
handle new_attr(hid_t obj, const std::string& key, hid_t type, hid_t space, const std::string& path,
                const std::string& where);
std::string where_str(const std::string& object);
void put_string_attr(hid_t obj, const std::string& key, const std::string& value, const std::string& path,
                     const std::string& where);
void put_strings_attr(hid_t obj, const std::string& key, const std::vector<std::string>& value,
                      const std::string& path, const std::string& where);
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

attr_value read_attr(hid_t attr, const std::string& path, const std::string& what);
bool has_attr(hid_t obj, const std::string& key);
attr_value get_attr(hid_t obj, const std::string& key, const std::string& path, const std::string& where);
std::string attr_string(hid_t obj, const std::string& key, const std::string& path, const std::string& where);
double attr_number(hid_t obj, const std::string& key, const std::string& path, const std::string& where);

// ---------------------------------------------------------------- files
handle file_access(const std::string& path, bool writer);
handle open_read(const std::string& path);
handle open_dataset(hid_t file, const std::string& path, const std::string& name, hid_t dapl = H5P_DEFAULT);
// input_error unless ds holds a standard IEEE float or integer type.
void check_numeric_type(hid_t ds, const std::string& path, const std::string& norm);
handle ensure_group(hid_t file, const std::string& path, const std::string& norm);
std::string scale_name(hid_t ds);
std::vector<std::string> dim_names_of(hid_t ds, std::size_t rank);
std::string now_iso();

template <class T> hid_t mem_type_of();
template <> inline hid_t mem_type_of<double>() { return H5T_NATIVE_DOUBLE; }
template <> inline hid_t mem_type_of<long>() { return H5T_NATIVE_LONG; }
template <> inline hid_t mem_type_of<std::uint8_t>() { return H5T_NATIVE_UINT8; }

enum class elem { f64, i64, u8 };

// Selects grid points first..first+count-1 (flattened C order over the
// leading `grid` dims of a dataset of shape `dims`) in `space`: at most ~2 x
// rank hyperslab boxes, iterated by HDF5 in the points' order.
void select_points(hid_t space, const std::vector<hsize_t>& grid, const std::vector<hsize_t>& dims,
                   std::size_t first, std::size_t count, const std::string& path, const std::string& name);

} // namespace nms::h5::detail
