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
