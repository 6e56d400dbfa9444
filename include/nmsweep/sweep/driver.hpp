#pragma once

// The main job: a sweep spec becomes one HDF5 result file.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace nms {

struct sweep_spec;

struct sweep_request {
    std::string spec_path;
    // The spec's text when it is not read from spec_path (Python): spec_path
    // then only names it in messages and resolves its relative paths.
    std::string spec_text;
    std::string output;               // overrides [output] path when not empty
    std::string backend = "auto";     // cpu | cuda | auto
    std::string precision;            // float | double; empty: the spec's [integrator] precision
    int threads = 0;                  // 0: all cores
    std::vector<int> devices;         // CUDA devices; empty: all visible
    std::string gpu_mapping = "auto"; // auto | instance | node (run_options::mapping)
    std::size_t batch_size = 0;       // instances per batch; 0: automatic
    bool resume = false;
    bool overwrite = false;
    bool quiet = false;
    std::size_t point = 0;        // simulate: which grid point
    long stop_after_batches = -1; // testing: simulate a killed run after this many batches
    std::string shard;            // "I/N": this process runs shard I of N (0-based) into a part file
    double checkpoint_minutes = 10; // the longest a batch may run (the work a stop can lose); <= 0: no bound
    std::vector<std::string> merge_parts; // merge: the points come from these files, not computed
    // MPI ranks (mpi_run.hpp): the ranges [first, end) this process computes,
    // claimed one at a time until it returns false; its file is then a part
    // (never finished: the maps belong to the merged file).
    std::function<bool(std::size_t& first, std::size_t& end)> claim;
    // Whether the run installs its SIGTERM/SIGINT/SIGUSR1 handlers (the
    // command line); an embedding program (Python) sets false and stops a
    // run with request_stop instead.
    bool catch_signals = true;
    // Called after each batch with the points done of the run's range (the
    // embedding program's progress bar), from the thread running it.
    std::function<void(std::size_t done, std::size_t total)> on_progress;
};

// The spec of a request: spec_text when given, else the file spec_path.
sweep_spec load_request_spec(const sweep_request& r);

// Installs the SIGTERM/SIGINT/SIGUSR1 handlers of `run` and `merge` (once per
// process). The command line calls it first thing, so that a signal while the
// inputs are read or MPI starts ends the run with exit 75, never by the signal.
void catch_stop_signals();

// Stops a running run_sweep at its next step boundary, as SIGINT would (the
// run then throws interrupted); a new run_sweep clears it.
void request_stop(int signal_number);

// `nmsweep run`: all grid points (or a shard's: r.shard, or a Slurm job
// array's task), features streamed to the result file (a shard's part file:
// shard.hpp). Returns whether every point of the range is done. Throws
// interrupted when SIGTERM, SIGINT or SIGUSR1 stopped it.
bool run_sweep(const sweep_request& r);

// `nmsweep merge OUT PART...`: one result file from the parts of a campaign
// (part files, or incomplete results, of the same spec and inputs), its
// datasets identical to those of one uncut run; parts may be folders (every
// *.part*of*.h5 in them). Returns false when points are still missing (the
// file is then incomplete, and `run --resume` or another merge completes it).
bool merge_results(const std::string& out, const std::vector<std::string>& parts, const sweep_request& r);

// `nmsweep simulate`: one parameter point (the first grid point, or the spec
// without its axes), full time series of every state variable.
void simulate_point(const sweep_request& r, long every = 1);

// Refuses files that were not made by this run (r's spec, precision, noise
// stream and input file contents): the files an MPI run resumes.
void check_campaign_files(const sweep_request& r, const std::vector<std::string>& files);

// `nmsweep check`: validates and returns a summary (grid, memory, time).
std::string check_spec(const std::string& spec_path);
std::string check_spec(const sweep_request& r); // (spec_text when given)

// The memory (bytes) a CPU run of the spec holds at its peak on `threads`
// threads beyond the program's own (libraries, ~20 MB): what check reports.
double estimate_peak_memory(const std::string& spec_path, int threads);

} // namespace nms
