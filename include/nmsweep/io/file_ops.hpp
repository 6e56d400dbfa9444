#pragma once

// POSIX file operations behind the crash-safe result file: advisory locks,
// fsync, atomic replacement, fast copies, and the free disk and memory that
// a run checks before it creates anything.

#include <cstdint>
#include <string>

namespace nms {

// An exclusive flock(2) on one file, held while the object lives. flock
// locks belong to the open file description, so they survive a rename of
// the file and vanish when the process dies (kill -9 included): a stale lock
// cannot outlive its writer.
class file_lock {
  public:
    file_lock() = default;
    // Opens `path` (creating it empty when `create`) and takes the lock
    // without waiting. held() is false when another process holds it; throws
    // input_error when the file cannot be opened.
    static file_lock try_acquire(const std::string& path, bool create);
    file_lock(file_lock&& o) noexcept;
    file_lock& operator=(file_lock&& o) noexcept;
    file_lock(const file_lock&) = delete;
    file_lock& operator=(const file_lock&) = delete;
    ~file_lock();
    bool held() const { return held_; }
    int fd() const { return fd_; }
    // True when the locked file is still the one at `path` (not unlinked or
    // replaced since it was opened).
    bool still_at(const std::string& path) const;
    void release();

  private:
    int fd_ = -1;
    bool held_ = false;
};

// fsync of the file at `path`, and of the directory that holds it (so that a
// create or rename in it is durable). Throw input_error naming the path.
void fsync_path(const std::string& path);
void fsync_parent_dir(const std::string& path);
// rename(from, to), then fsync of the directory: atomic replacement.
void replace_file(const std::string& from, const std::string& to);
// `text` at `path`, whole or not at all (a fsynced temporary renamed over
// it), with permission bits `mode` (e.g. 0755 for a script); input_error
// naming the path when it cannot be written.
void write_text_durably(const std::string& path, const std::string& text, unsigned mode = 0644);
// A copy of `from` at `to` (reflink where the file system can, else an
// in-kernel copy), fsynced.
void copy_file_durably(const std::string& from, const std::string& to);

// True when a and b name the same existing file (same device and inode).
bool same_file(const std::string& a, const std::string& b);

// Free bytes for an unprivileged writer in the directory of `path`; max
// uint64 when unknown.
std::uint64_t free_disk_bytes(const std::string& path);
// MemAvailable of /proc/meminfo, capped by RLIMIT_AS; max uint64 when unknown.
std::uint64_t available_memory_bytes();
// Throws input_error ("needs X for <what>, Y available") when `bytes` exceed
// the available memory.
void require_memory(double bytes, const std::string& what);

std::string human_bytes(double bytes);

} // namespace nms
