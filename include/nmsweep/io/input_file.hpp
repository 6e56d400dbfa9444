#pragma once

// Every data file a spec names (connectome, initial states, empirical FC,
// sensors, gains, the spec itself) is read through read_input_file:
// - only regular files: a FIFO, a device or a directory is refused at once
//   (opening a FIFO for reading would block until a writer appears);
// - at most `max_bytes` (a clear error instead of exhausting memory);
// - its SHA-256 goes to the input_log active on this thread, so that a result
//   file records the exact inputs it was made from and `--resume` can refuse
//   inputs that changed since (`sha256sum -c` checks the same digests).

#include <cstdint>
#include <string>
#include <vector>

namespace nms {

inline constexpr std::uint64_t default_input_limit = std::uint64_t(1) << 30; // 1 GiB

struct input_record {
    std::string path; // as given (relative paths resolved by the caller)
    std::string sha256;
    std::uint64_t bytes = 0;
};

// The whole file. Throws input_error naming `path` and `what` ("weights
// file", ...) when it is missing, not a regular file, unreadable or too large.
std::string read_input_file(const std::string& path, const std::string& what,
                            std::uint64_t max_bytes = default_input_limit);

// SHA-256 of bytes, lower-case hex.
std::string sha256_hex(const std::string& bytes);

// While one is alive, the files read on this thread are recorded (once per
// path, in reading order). Logs nest: an inner log also feeds the outer one.
class input_log {
  public:
    input_log();
    ~input_log();
    input_log(const input_log&) = delete;
    input_log& operator=(const input_log&) = delete;
    const std::vector<input_record>& records() const { return records_; }
    void add(const input_record& r);

  private:
    std::vector<input_record> records_;
    input_log* outer_ = nullptr;
};

} // namespace nms
