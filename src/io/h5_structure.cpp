// The structure of a result file: dimension scales, grid datasets, arrays
// and the skeleton of a new file. Written only before the file is sealed.
#include "h5_writer_state.hpp"

#include "nmsweep/core/error.hpp"

#include <hdf5_hl.h>

#include <limits>
#include <numeric>

namespace nms::h5::impl {

using namespace detail;

handle preallocated_dcpl(hid_t mem_type, const void* fill, const std::string& path) {
    handle dcpl = make_plist(H5P_DATASET_CREATE, path);
    check(H5Pset_layout(dcpl, H5D_CONTIGUOUS), path, "cannot set the dataset layout");
    check(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), path, "cannot set the allocation time");
    if (fill) {
        check(H5Pset_fill_value(dcpl, mem_type, fill), path, "cannot set a fill value");
        check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC), path, "cannot set the fill time");
    }
    return dcpl;
}

// The dataset (kept open), for writes along the grid.
hid_t writer_state::grid_dataset(const std::string& name) {
    std::string norm = normalise(name);
    auto it = datasets.find(norm);
    if (it != datasets.end()) return it->second;
    if (norm.empty() || !exists(file, norm)) throw input_error(path + ": no dataset '/" + norm + "'");
    handle ds = open_dataset(file, path, norm);
    check_numeric_type(ds, path, norm);
    auto dims = dataset_dims(ds, path, norm);
    if (dims.size() < grid.size() || !std::equal(grid.begin(), grid.end(), dims.begin()))
        throw input_error(path + ": dataset '/" + norm + "' (" + shape_str(dims) +
                          ") is not shaped like the grid (" + shape_str(grid) + ")");
    return datasets.emplace(norm, std::move(ds)).first->second;
}

// A dimension scale named `dim` of length `len` visible in `group`:
// one already there; else /axes/<dim> (hard-linked into the group); else
// a new one from `values` (float64) or an index 0..len-1 (int64).
handle writer_state::scale_for(const std::string& group, const std::string& dim, hsize_t len,
                               const std::vector<double>* values) {
    if (dim.empty() || dim.find('/') != std::string::npos || dim == "." || dim == "..")
        throw input_error(path + ": invalid dimension name '" + dim + "'");
    std::string here = join(group, dim);
    std::string in_axes = join("axes", dim);
    if (!exists(file, here) && exists(file, in_axes) && !(values && !values->empty())) {
        handle ax = open_dataset(file, path, in_axes);
        if (dataset_dims(ax, path, in_axes) == std::vector<hsize_t>{len} && H5DSis_scale(ax) > 0) {
            ensure_group(file, path, group);
            check(H5Lcreate_hard(file, abs_path(in_axes).c_str(), file, abs_path(here).c_str(), H5P_DEFAULT,
                                 H5P_DEFAULT),
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
            throw input_error(path + ": " + std::to_string(values->size()) + " values given for dimension '" +
                              dim + "' of length " + std::to_string(len));
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

void writer_state::attach(hid_t ds, const std::string& norm, const std::vector<std::string>& dims,
                          const std::vector<hsize_t>& shape,
                          const std::vector<const std::vector<double>*>& values) {
    std::string group = parent_of(norm);
    for (std::size_t i = 0; i < dims.size(); ++i) {
        handle s = scale_for(group, dims[i], shape[i], values[i]);
        unsigned idx = static_cast<unsigned>(i);
        check(H5DSattach_scale(ds, s, idx), path, "cannot attach scale '" + dims[i] + "' to '/" + norm + "'");
        check(H5DSset_label(ds, idx, dims[i].c_str()), path, "cannot label dimension of '/" + norm + "'");
    }
}

void writer_state::create_grid_dataset(const std::string& name, const std::vector<std::string>& extra_dims,
                                       const std::vector<std::size_t>& extra_sizes, elem type,
                                       const std::string& units, const std::string& description,
                                       const std::vector<std::vector<double>>& extra_values) {
    require_open();
    std::string norm = normalise(name);
    if (norm.empty()) throw input_error(path + ": empty dataset name");
    if (extra_dims.size() != extra_sizes.size())
        throw input_error(path + ": dataset '/" + norm + "': " + std::to_string(extra_dims.size()) +
                          " extra dim names but " + std::to_string(extra_sizes.size()) + " sizes");
    if (!extra_values.empty() && extra_values.size() != extra_dims.size())
        throw input_error(path + ": dataset '/" + norm + "': scale values must be given for every extra dim");
    std::vector<hsize_t> dims = grid;
    std::vector<std::string> names;
    for (auto& a : axes) names.push_back(a.name);
    for (std::size_t i = 0; i < extra_dims.size(); ++i) {
        if (extra_sizes[i] == 0) throw input_error(path + ": dataset '/" + norm + "': extra dim of size 0");
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
    require_unsealed("create a dataset");
    hid_t ft = type == elem::f64 ? H5T_IEEE_F64LE : type == elem::i64 ? H5T_STD_I64LE : H5T_STD_U8LE;
    hid_t mt = type == elem::f64 ? H5T_NATIVE_DOUBLE : type == elem::i64 ? H5T_NATIVE_LONG : H5T_NATIVE_UINT8;
    double nan = std::numeric_limits<double>::quiet_NaN();
    long minus1 = -1;
    std::uint8_t zero = 0;
    const void* fill = type == elem::f64   ? static_cast<const void*>(&nan)
                       : type == elem::i64 ? static_cast<const void*>(&minus1)
                                           : static_cast<const void*>(&zero);
    handle dcpl = preallocated_dcpl(mt, fill, path);
    handle sp = dims.empty() ? checked(H5Screate(H5S_SCALAR), H5Sclose, path, "cannot create a dataspace")
                             : checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                                       H5Sclose, path, "cannot create a dataspace");
    handle lcpl = make_plist(H5P_LINK_CREATE, path);
    H5Pset_create_intermediate_group(lcpl, 1);
    handle ds = checked(H5Dcreate2(file, abs_path(norm).c_str(), ft, sp, lcpl, dcpl, H5P_DEFAULT), H5Dclose,
                        path, "cannot create dataset '/" + norm + "'");
    std::vector<const std::vector<double>*> vals(names.size(), nullptr);
    for (std::size_t i = 0; i < extra_values.size(); ++i) vals[axes.size() + i] = &extra_values[i];
    attach(ds, norm, names, dims, vals);
    if (!units.empty()) put_string_attr(ds, "units", units, path, "'/" + norm + "'");
    if (!description.empty()) put_string_attr(ds, "description", description, path, "'/" + norm + "'");
}

// A new float64 (or int64) array (written whole by the caller), preallocated, with its
// dims attached: a 1-D array named like its dim becomes that dim's scale.
handle writer_state::create_array(const std::string& norm, const std::vector<hsize_t>& dims,
                                  const std::vector<std::string>& dim_names,
                                  const std::vector<std::vector<double>>& dim_values, bool integer) {
    const std::string what = "'/" + norm + "'";
    handle dcpl = preallocated_dcpl(integer ? H5T_NATIVE_LONG : H5T_NATIVE_DOUBLE, nullptr, path);
    handle sp = dims.empty() ? checked(H5Screate(H5S_SCALAR), H5Sclose, path, "cannot create a dataspace")
                             : checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                                       H5Sclose, path, "cannot create a dataspace");
    handle lcpl = make_plist(H5P_LINK_CREATE, path);
    H5Pset_create_intermediate_group(lcpl, 1);
    handle ds = checked(H5Dcreate2(file, abs_path(norm).c_str(), integer ? H5T_STD_I64LE : H5T_IEEE_F64LE, sp,
                                   lcpl, dcpl, H5P_DEFAULT),
                        H5Dclose, path, "cannot create array " + what);
    if (dims.size() == 1 && dim_names[0] == leaf_of(norm)) {
        check(H5DSset_scale(ds, dim_names[0].c_str()), path, "cannot make " + what + " a dimension scale");
    } else {
        std::vector<const std::vector<double>*> vals(dims.size(), nullptr);
        for (std::size_t i = 0; i < dim_values.size(); ++i) vals[i] = &dim_values[i];
        attach(ds, norm, dim_names, dims, vals);
    }
    return ds;
}

void writer_state::init_new_file() {
    hid_t f = file;
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
        scale_for("axes", a.name, a.values.size(), &a.values);
        handle ds = open_dataset(f, path, norm);
        put_string_attr(ds, "units", a.unit, path, "'/" + norm + "'");
    }
    {
        handle ds = scale_for("axes", "node", n_nodes, nullptr);
        if (!node_labels.empty()) put_strings_attr(ds, "labels", node_labels, path, "'/axes/node'");
        put_string_attr(ds, "description", "node (region) index; attribute labels holds the region names",
                        path, "'/axes/node'");
    }
    create_grid_dataset("status/diverged_step", {}, {}, elem::i64, "step",
                        "integration step at which the point diverged (non-finite or runaway state); -1 = ok",
                        {});
    create_grid_dataset("status/done", {}, {}, elem::u8, "",
                        "1 = the point finished and its results are in the file; 0 = not yet", {});
}

} // namespace nms::h5::impl
