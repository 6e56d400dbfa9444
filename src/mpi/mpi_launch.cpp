// Whether an MPI launcher started this process (both builds: one without
// MPI then says so instead of running K copies of the whole sweep).
#include "nmsweep/sweep/mpi_run.hpp"

#include <cstdlib>

namespace nms {

namespace {
long env_long(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::atol(v) : 0;
}
} // namespace

bool mpi_launched() {
    if (std::getenv("OMPI_COMM_WORLD_SIZE")) return true; // Open MPI's mpirun, any -n
    if (env_long("PMI_SIZE") > 1) return true;            // MPICH-style launchers
    // srun: PMIx is set up for every step; an MPI run is a step of several tasks
    // (a plain `srun nmsweep run`, e.g. in a job array, is one task).
    return (std::getenv("PMIX_RANK") || std::getenv("PMI_RANK")) && env_long("SLURM_STEP_NUM_TASKS") > 1;
}

} // namespace nms
