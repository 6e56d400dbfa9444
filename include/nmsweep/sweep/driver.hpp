#pragma once

// The main job: a sweep spec becomes one HDF5 result file.

#include <cstddef>
#include <string>
#include <vector>

namespace nms {

struct sweep_request {
    std::string spec_path;
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
};

// `nmsweep run`: all grid points, features streamed to the result file.
void run_sweep(const sweep_request& r);

// `nmsweep simulate`: one parameter point (the first grid point, or the spec
// without its axes), full time series of every state variable.
void simulate_point(const sweep_request& r, long every = 1);

// `nmsweep check`: validates and returns a summary (grid, memory, time).
std::string check_spec(const std::string& spec_path);

// The memory (bytes) a CPU run of the spec holds at its peak on `threads`
// threads beyond the program's own (libraries, ~20 MB): what check reports.
double estimate_peak_memory(const std::string& spec_path, int threads);

} // namespace nms
