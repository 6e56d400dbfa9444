// libFuzzer target: the spec reader (TOML guard, toml11, every section's
// checks). Bad input must end in nms::input_error, nothing else.
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        nms::parse_spec(std::string(reinterpret_cast<const char*>(data), size), "fuzz.toml");
    } catch (const nms::input_error&) {
    }
    return 0;
}
