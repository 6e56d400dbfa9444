#pragma once

// The options of `nmsweep slurm` (the script itself: sweep/slurm_script.hpp).

#include "nmsweep/sweep/slurm_script.hpp"

#include <CLI/CLI.hpp>

namespace nms {

CLI::App* add_slurm_command(CLI::App& app, slurm_request& r);

} // namespace nms
