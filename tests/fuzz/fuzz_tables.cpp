// libFuzzer target: the data-file readers that parse bytes (the first byte
// picks one): text tables (weights, lengths, empirical FC), .npy arrays,
// sensor files, text gain matrices, TVB connectivity zips, initial-state
// tables. (HDF5 data files are read in a child process: fuzz_result.)
#include "nmsweep/core/error.hpp"
#include "nmsweep/io/text_table.hpp"
#include "nmsweep/network/connectome.hpp"
#include "nmsweep/observe/leadfield.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        switch (data[0] % 6) {
        case 0: {
            auto rows = nms::parse_text_table(in, "fuzz.txt");
            std::size_t n = 0;
            if (!rows.empty()) nms::square_matrix(rows, "fuzz.txt", &n);
            break;
        }
        case 1: {
            std::size_t r = 0, c = 0;
            nms::parse_npy_matrix(in, "fuzz.npy", "matrix", &r, &c);
            break;
        }
        case 2:
            nms::observe::parse_sensors(in, "fuzz_sensors.txt");
            break;
        case 3:
            nms::observe::parse_gain_text(in, "fuzz_gain.txt");
            break;
        case 4:
            nms::load_tvb_zip_bytes(in, "fuzz.zip");
            break;
        default:
            nms::parse_initial_table(in, "fuzz_ic.csv", "jansen_rit");
        }
    } catch (const nms::input_error&) {
    }
    return 0;
}
