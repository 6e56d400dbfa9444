#pragma once

// The result file of a run, seen from the driver: where it may be written,
// what it records about the run and its inputs, and when an earlier file
// may be continued (--resume) without mixing results of different runs.

#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/network/connectome.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/plan.hpp"

#include <string>
#include <vector>

namespace nms {

// What makes two runs give the same numbers for the same point.
struct run_identity {
    std::string precision;     // float | double
    std::string noise_stream;  // generator and stream revision
    std::string input_digests; // "sha256  path" per line, as sha256sum writes them
};
run_identity identity_of(const sweep_spec& s, const std::string& precision,
                         const std::vector<input_record>& inputs);

// Refuses (input_error, before anything is created) an output path that
// cannot be a result: a directory, a missing or unwritable folder, the spec
// itself or one of the run's input files.
void check_output_path(const std::string& out, const sweep_spec& s, const std::vector<input_record>& inputs);

// Refuses to continue `out` unless it was made by the same spec with the
// same precision, noise stream and input file contents; the message says
// what differs and what to do.
void check_resumable(const h5::result_writer& w, const sweep_spec& s, const run_identity& id);

// The same for a file read, not opened for writing (a part of a merge, verb
// "merge"; a complete result given to --resume): it must come from this
// spec, precision, noise stream and input file contents.
void check_recorded_run(const std::string& file, const std::string& verb, const sweep_spec& s,
                        const run_identity& id);

// A result path without its ".h5" (the stem of its companion files: OUT.best.toml,
// OUT.fit-journal, RESULT.infer.h5, ...); other paths unchanged.
std::string result_stem(const std::string& path);

void write_provenance(h5::result_writer& w, const sweep_spec& s, const connectome& net,
                      const sweep_request& r, const run_identity& id, const std::string& backend,
                      int threads);

std::vector<h5::axis_desc> result_axes(const sweep_spec& s);

// The ez axes: /axes/<name>'s labels (one per hypothesis) and
// /hypotheses/<name>/mask and values [<name>, node].
void write_hypotheses(h5::result_writer& w, const sweep_spec& s, std::size_t n_nodes);

// The lesion axis: /axes/<name>'s labels and /lesions/<name>/removed
// [<name>, node], cut [cut, 3] (lesion, node, node_j) and removed_weight.
void write_lesions(h5::result_writer& w, const sweep_spec& s, const connectome& net);

} // namespace nms
