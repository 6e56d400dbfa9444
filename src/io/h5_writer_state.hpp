#pragma once

// The state behind h5::result_writer (internal to src/io): the open file, its
// grid, the locks, and where the file is in its life (see h5_result.hpp,
// "Crash safety"). The structure code (scales, datasets) is h5_structure.cpp,
// the life cycle and writes h5_result.cpp.

#include "h5_common.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/io/h5_result.hpp"

#include <map>
#include <string>
#include <vector>

namespace nms::h5::impl {

struct writer_state {
    std::string path;      // where the result lives (what the user named)
    std::string work_path; // the file HDF5 has open: `path`, or `path`.partial before publishing
    std::vector<axis_desc> axes;
    std::vector<hsize_t> grid;
    std::size_t n_points = 1;
    std::size_t n_nodes = 0;
    std::vector<std::string> node_labels; // only used while creating
    detail::handle file;
    std::map<std::string, detail::handle> datasets; // open grid datasets

    // Life cycle: structure is written only while !sealed; a sealed file
    // receives raw data only. published: work_path is path.
    bool sealed = false, published = false;
    file_lock work_lock;    // on work_path's file (follows it through the rename)
    file_lock old_lock;     // on an older file at `path` that publishing replaces
    file_lock journal_lock; // on the undo journal of the final writes, while they run

    ~writer_state();
    void close(); // HDF5 handles only
    // Unpublished work (a half-made file, or the copy of the final phase) is
    // removed, so that a failed run leaves nothing half-written behind.
    void abandon();

    void require_open() const;
    void require_unsealed(const char* what) const;

    // ---- structure (h5_structure.cpp)
    hid_t grid_dataset(const std::string& name);
    detail::handle scale_for(const std::string& group, const std::string& dim, hsize_t len,
                             const std::vector<double>* values);
    void attach(hid_t ds, const std::string& norm, const std::vector<std::string>& dims,
                const std::vector<hsize_t>& shape, const std::vector<const std::vector<double>*>& values);
    void create_grid_dataset(const std::string& name, const std::vector<std::string>& extra_dims,
                             const std::vector<std::size_t>& extra_sizes, detail::elem type,
                             const std::string& units, const std::string& description,
                             const std::vector<std::vector<double>>& extra_values);
    detail::handle create_array(const std::string& norm, const std::vector<hsize_t>& dims,
                                const std::vector<std::string>& dim_names,
                                const std::vector<std::vector<double>>& dim_values, bool integer = false);
    void init_new_file();

    // ---- raw data (h5_result.cpp)
    void select_run(hid_t space, const std::vector<hsize_t>& dims, std::size_t first, std::size_t count,
                    const std::string& name);
    template <class T>
    void write_run(const std::string& name, std::size_t first, std::size_t count, const T* data);
    void flush();
    void sync(); // flush, then fsync the work file
};

// Contiguous, allocated at creation and filled: afterwards writing its data
// never changes the file's structure (see h5_result.hpp).
detail::handle preallocated_dcpl(hid_t mem_type, const void* fill, const std::string& path);

} // namespace nms::h5::impl
