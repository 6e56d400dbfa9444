// A build without MPI: `nmsweep run` under mpirun says so.
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/mpi_run.hpp"

namespace nms {

bool mpi_built() { return false; }

int run_sweep_mpi(const sweep_request&) {
    throw input_error(
        "this nmsweep was built without MPI (Open MPI was not found when it was built: install "
        "libopenmpi-dev and rebuild), but it was started by an MPI launcher; run it without mpirun, "
        "or use --shard I/N for a campaign of separate processes");
}

} // namespace nms
