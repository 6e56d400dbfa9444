// libFuzzer target: reading a result file as `nmsweep info` and `--resume`
// do (h5::describe). HDF5 runs in a child process there (io/isolated.hpp),
// so a crash or endless loop inside HDF5 must come back as input_error;
// coverage inside that child is not seen by libFuzzer, so this target tests
// the containment, while HDF5 itself is fuzzed upstream (OSS-Fuzz).
#include "nmsweep/core/error.hpp"
#include "nmsweep/io/h5_result.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/nms_fuzz_result_" + std::to_string(getpid()) + ".h5";
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    try {
        nms::h5::describe(path);
    } catch (const nms::input_error&) {
    }
    return 0;
}
