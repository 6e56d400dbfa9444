#pragma once

// `mpirun -n K nmsweep run SPEC`: the grid spread over K ranks with dynamic
// load balancing, one result file identical to a single process's.
//
// Design (bench/README.md, "MPI"): rank 0 hands out ranges of points on
// request (a server thread, so that rank 0 computes too); each rank writes
// the points it computed into its own part file <out stem>.rank<r>.h5
// (independent writes: no collective I/O, each file crash-safe on its own);
// when every range is done, rank 0 merges the rank files into the result
// (merge_results) and removes them. A killed run leaves the rank files:
// --resume counts their points as done and merges them with the rest.

#include "nmsweep/sweep/driver.hpp"

namespace nms {

// Whether this build has MPI (Open MPI found at configure time).
bool mpi_built();

// Whether this process was started by an MPI launcher (mpirun, srun with PMI).
bool mpi_launched();

// The run of `nmsweep run` under MPI: every rank calls it. Returns the exit
// status (0, 2 bad input, 3 internal error, 75 interrupted): every rank
// agrees, and a rank that fails aborts the others.
int run_sweep_mpi(const sweep_request& r);

} // namespace nms
