#pragma once

// `nmsweep slurm`: a bash script that submits a sweep to a Slurm cluster.
// `bash SCRIPT` submits a job array whose task I runs share I of the grid
// (`nmsweep run --shard I/N --resume`, requeued when interrupted), then a
// merge job that depends on the array and writes the one result file. With
// mpi > 0: one job of that many MPI ranks instead (`mpirun -n K nmsweep run`,
// which merges by itself). Per-task memory and time come from the estimates
// `nmsweep check` prints, with a margin.

#include <string>

namespace nms {

struct slurm_request {
    std::string spec_path;   // the sweep spec (made absolute in the script)
    std::string exe_path;    // the nmsweep the jobs run; empty: this executable (/proc/self/exe)
    std::string script_path; // empty: "<spec stem>.slurm.sh" in the current folder
    int array = 0;           // tasks of the job array; 0: about 2 h of estimated work each
    int mpi = 0;             // > 0: one job of this many MPI ranks instead of the array
    std::string time;        // Slurm time limit per task ("2:00:00"); empty: from the estimate
    int gpus = 0;            // GPUs per task (0: a CPU run)
    int cpus_per_task = 0;   // 0: 8
    std::string partition, account;
    int checkpoint_minutes = 0; // 0: from the time limit (an eighth of it, 1 to 30 min)
    bool overwrite = false;
};

// What make_slurm_script built and the numbers it was built from.
struct slurm_script {
    std::string path;        // where the script goes (as the request or the default names it)
    std::string text;        // the script
    std::string output;      // the merged result file (absolute)
    int tasks = 1;           // array tasks, or MPI tasks
    int cpus = 1;            // CPUs per task
    long time_s = 0;         // the time limit of a task
    double estimate_s = 0;   // the estimated work of a task (seconds on `cpus` CPU threads)
    double memory_bytes = 0; // --mem of a task (MPI: of a rank)
    long signal_s = 0;       // USR1 this long before the time limit
    int checkpoint_min = 0;  // --checkpoint-minutes of the runs
    std::string summary;     // what it is, in words, for the command line
};

// Builds the script (reads the spec and its network for the estimates).
// Throws input_error on a bad request (no tasks, more tasks than points, a
// malformed time, a path that the script cannot quote, mpi in a build
// without MPI).
slurm_script make_slurm_script(const slurm_request& r);

// make_slurm_script, then writes it (mode 0755); refuses, before building
// anything, to replace an existing file without `overwrite` (input_error).
// Returns the summary.
std::string write_slurm_script(const slurm_request& r);

// Slurm's time formats: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S".
// Throws input_error naming the value.
long parse_slurm_time(const std::string& t);
// "H:MM:SS", or "D-HH:MM:SS" from one day on.
std::string format_slurm_time(long seconds);

} // namespace nms
