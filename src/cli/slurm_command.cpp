// The options of `nmsweep slurm`.
#include "slurm_command.hpp"

namespace nms {

CLI::App* add_slurm_command(CLI::App& app, slurm_request& r) {
    auto* c = app.add_subcommand(
        "slurm", "write a bash script that submits the sweep to Slurm: a job array of shares, then a merge");
    c->add_option("spec", r.spec_path, "sweep spec (TOML)")->required();
    c->add_option("-o,--output", r.script_path, "the script (default: <spec stem>.slurm.sh here)");
    c->add_option("--array", r.array, "tasks of the job array (default: about 2 h of estimated work each)")
        ->check(CLI::Range(1, 1000000));
    c->add_option("--mpi", r.mpi, "one job of K MPI ranks (mpirun) instead of the array and the merge")
        ->check(CLI::Range(1, 1000000));
    c->add_option("--time", r.time,
                  "time limit per task, e.g. 2:00:00 (default: the estimate, twice, + 5 min)");
    c->add_option("--gpus", r.gpus, "GPUs per task (default 0: a CPU run)")->check(CLI::Range(0, 64));
    c->add_option("--cpus-per-task", r.cpus_per_task, "CPUs per task (default 8)")
        ->check(CLI::Range(1, 4096));
    c->add_option("--checkpoint-minutes", r.checkpoint_minutes,
                  "the runs' --checkpoint-minutes (default: an eighth of the time limit, 1 to 30)")
        ->check(CLI::Range(1, 100000));
    c->add_option("--partition", r.partition, "Slurm partition");
    c->add_option("--account", r.account, "Slurm account");
    c->add_flag("--overwrite", r.overwrite, "replace an existing script");
    return c;
}

} // namespace nms
