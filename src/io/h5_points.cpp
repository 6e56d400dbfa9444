// h5::point_reader: grid points of a result file, read in the stored type
// (merge copies them bit for bit).
#include "h5_common.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/io/h5_result.hpp"

namespace nms::h5 {

using namespace detail;

struct point_reader::state {
    std::string path;
    std::vector<hsize_t> grid;
    handle file;
};

point_reader::point_reader(const std::string& path, const std::vector<std::size_t>& grid_shape)
    : s_(std::make_unique<state>()) {
    quiet();
    s_->path = path;
    s_->grid.assign(grid_shape.begin(), grid_shape.end());
    s_->file = open_read(path);
}
point_reader::point_reader(point_reader&&) noexcept = default;
point_reader& point_reader::operator=(point_reader&&) noexcept = default;
point_reader::~point_reader() = default;

const std::string& point_reader::path() const { return s_->path; }

bool point_reader::has(const std::string& name) const {
    quiet();
    return exists(s_->file, normalise(name));
}

bool point_reader::integer(const std::string& name) const {
    quiet();
    handle ds = open_dataset(s_->file, s_->path, name);
    handle t =
        checked(H5Dget_type(ds), H5Tclose, s_->path, "cannot read the type of '/" + normalise(name) + "'");
    return H5Tget_class(t) == H5T_INTEGER;
}

std::size_t point_reader::per_point(const std::string& name) const {
    quiet();
    handle ds = open_dataset(s_->file, s_->path, name);
    const auto dims = dataset_dims(ds, s_->path, normalise(name));
    if (dims.size() < s_->grid.size() || !std::equal(s_->grid.begin(), s_->grid.end(), dims.begin()))
        throw input_error(s_->path + ": '/" + normalise(name) + "' has the shape " + shape_str(dims) +
                          ", not the grid " + shape_str(s_->grid) + " of this run");
    return std::size_t(product(dims, s_->grid.size()));
}

namespace {

template <class T>
void read_run(hid_t file, const std::string& path, const std::vector<hsize_t>& grid, const std::string& name,
              std::size_t first, std::size_t count, T* out, hid_t mem_type) {
    quiet();
    if (count == 0) return;
    handle ds = open_dataset(file, path, name);
    const std::string what = "'/" + normalise(name) + "'";
    const auto dims = dataset_dims(ds, path, normalise(name));
    handle fs = checked(H5Dget_space(ds), H5Sclose, path, "cannot get the shape of " + what);
    select_points(fs, grid, dims, first, count, path, what);
    hsize_t n = hsize_t(count) * product(dims, grid.size());
    handle ms = checked(H5Screate_simple(1, &n, nullptr), H5Sclose, path, "cannot create a dataspace");
    check(H5Dread(ds, mem_type, ms, fs, H5P_DEFAULT, out), path,
          "cannot read points " + std::to_string(first) + ".." + std::to_string(first + count - 1) + " of " +
              what);
}

} // namespace

void point_reader::read(const std::string& name, std::size_t first, std::size_t count, double* out) const {
    read_run(s_->file, s_->path, s_->grid, name, first, count, out, H5T_NATIVE_DOUBLE);
}
void point_reader::read(const std::string& name, std::size_t first, std::size_t count, long* out) const {
    read_run(s_->file, s_->path, s_->grid, name, first, count, out, H5T_NATIVE_LONG);
}

} // namespace nms::h5
