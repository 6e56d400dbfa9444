#pragma once

#include <stdexcept>
#include <string>

namespace nms {

// An error in what the user gave us (spec, data file, option). The message
// names the file, line, field and value; the CLI prints it and exits 2.
struct input_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace nms

namespace nms {

// A run stopped by a signal (SIGTERM, SIGINT, SIGUSR1) at a step boundary:
// its finished points are in the result file; the CLI exits with
// exit_interrupted so that a job script requeues it (--resume continues).
struct interrupted : std::runtime_error {
    using std::runtime_error::runtime_error;
};
inline constexpr int exit_interrupted = 75; // EX_TEMPFAIL: try again later
inline constexpr int exit_incomplete = 4;   // merge: valid file, points still missing

} // namespace nms
