#pragma once

// Reading files that may be damaged with a library that may crash on them.
// HDF5 (1.10) can dereference garbage or free twice on a corrupted file; no
// error handling inside this process can stop that. So every first read of
// a user's HDF5 file (`info`, `plot`, `--resume`, HDF5 input data) runs in a
// forked child: a crash, or a read that does not end, becomes one clear
// error in the parent, which has not touched the file.

#include <functional>
#include <string>

namespace nms {

// Runs `fn` in a child process and returns the string it returns. An
// input_error thrown in the child is thrown again here with its message;
// any other failure of the child (signal, other exception, more than
// `timeout_s` seconds) throws input_error("<what>: <why>").
std::string run_isolated(const std::function<std::string()>& fn, const std::string& what,
                         double timeout_s = 600);

// The time a read of the HDF5 file `path` gets in run_isolated: 20 s (some
// damaged files send HDF5 into an endless loop; a sound file's metadata
// opens in well under a second, even on a loaded parallel file system) plus
// 10 s per GB for the datasets read through.
double damaged_read_deadline(const std::string& path);

} // namespace nms
