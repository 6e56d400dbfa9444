#include "nmsweep/io/file_ops.hpp"

#include "nmsweep/core/error.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

namespace nms {

namespace fs = std::filesystem;

namespace {

std::string sys_error(const std::string& path, const std::string& what) {
    const int e = errno;
    return path + ": " + what + " (" + std::strerror(e) + ")" +
           (e == ENOSPC || e == EDQUOT ? ": free space, then run again (--resume keeps the finished points)"
                                       : "");
}

std::string parent_dir(const std::string& path) {
    fs::path p = fs::path(path).parent_path();
    return p.empty() ? std::string(".") : p.string();
}

} // namespace

file_lock file_lock::try_acquire(const std::string& path, bool create) {
    file_lock l;
    l.fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (l.fd_ < 0) throw input_error(sys_error(path, "cannot open the file to lock it"));
    if (::flock(l.fd_, LOCK_EX | LOCK_NB) == 0)
        l.held_ = true;
    else if (errno != EWOULDBLOCK)
        throw input_error(sys_error(path, "cannot lock the file"));
    return l;
}

file_lock::file_lock(file_lock&& o) noexcept : fd_(o.fd_), held_(o.held_) {
    o.fd_ = -1;
    o.held_ = false;
}

file_lock& file_lock::operator=(file_lock&& o) noexcept {
    if (this != &o) {
        release();
        fd_ = o.fd_;
        held_ = o.held_;
        o.fd_ = -1;
        o.held_ = false;
    }
    return *this;
}

file_lock::~file_lock() { release(); }

void file_lock::release() {
    if (fd_ >= 0) ::close(fd_); // drops the lock with the description
    fd_ = -1;
    held_ = false;
}

bool file_lock::still_at(const std::string& path) const {
    struct stat a {
    }, b{};
    if (fd_ < 0 || ::fstat(fd_, &a) != 0 || ::stat(path.c_str(), &b) != 0) return false;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void fsync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw input_error(sys_error(path, "cannot open the file to sync it"));
    const int rc = ::fsync(fd);
    const int e = errno;
    ::close(fd);
    errno = e;
    if (rc != 0) throw input_error(sys_error(path, "cannot write the file to disk"));
}

void fsync_parent_dir(const std::string& path) {
    const std::string dir = parent_dir(path);
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return; // a directory we cannot open cannot be synced; the rename still holds
    ::fsync(fd);        // EINVAL on file systems without directory sync: nothing to do
    ::close(fd);
}

void replace_file(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0)
        throw input_error(sys_error(to, "cannot move the finished result into place from " + from));
    fsync_parent_dir(to);
}

void copy_file_durably(const std::string& from, const std::string& to) {
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) throw input_error(sys_error(from, "cannot open the file to copy it"));
    const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        const int e = errno;
        ::close(in);
        errno = e;
        throw input_error(sys_error(to, "cannot create the copy"));
    }
    auto fail = [&](const std::string& what) {
        const int e = errno;
        ::close(in);
        ::close(out);
        errno = e;
        throw input_error(sys_error(to, what));
    };
    // A reflink shares the blocks (btrfs, xfs): instant, no space used.
    if (::ioctl(out, FICLONE, in) != 0) {
        struct stat st {};
        if (::fstat(in, &st) != 0) fail("cannot read the size of " + from);
        off_t left = st.st_size;
        while (left > 0) {
            const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, std::size_t(left), 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
                // Fall back to plain reads and writes.
                if (::lseek(in, st.st_size - left, SEEK_SET) < 0) fail("cannot copy " + from);
                char buf[1 << 16];
                while (left > 0) {
                    const ssize_t r = ::read(in, buf, sizeof buf);
                    if (r < 0 && errno == EINTR) continue;
                    if (r <= 0) fail("cannot read " + from + " while copying it");
                    for (ssize_t w = 0; w < r;) {
                        const ssize_t k = ::write(out, buf + w, std::size_t(r - w));
                        if (k < 0 && errno == EINTR) continue;
                        if (k < 0) fail("cannot write the copy of " + from);
                        w += k;
                    }
                    left -= r;
                }
                break;
            }
            if (n < 0) fail("cannot copy " + from);
            if (n == 0) break;
            left -= n;
        }
    }
    if (::fsync(out) != 0) fail("cannot write the copy of " + from + " to disk");
    ::close(in);
    if (::close(out) != 0) throw input_error(sys_error(to, "cannot write the copy of " + from));
}

bool same_file(const std::string& a, const std::string& b) {
    struct stat x {
    }, y{};
    if (::stat(a.c_str(), &x) != 0 || ::stat(b.c_str(), &y) != 0) return false;
    return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

std::uint64_t free_disk_bytes(const std::string& path) {
    struct statvfs v {};
    if (::statvfs(parent_dir(path).c_str(), &v) != 0) return std::numeric_limits<std::uint64_t>::max();
    return std::uint64_t(v.f_bavail) * std::uint64_t(v.f_frsize);
}

std::uint64_t available_memory_bytes() {
    std::uint64_t avail = std::numeric_limits<std::uint64_t>::max();
    std::ifstream f("/proc/meminfo");
    std::string key;
    std::uint64_t kb = 0;
    std::string unit;
    while (f >> key >> kb >> unit)
        if (key == "MemAvailable:") avail = kb * 1024;
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < avail)
        avail = rl.rlim_cur;
    return avail;
}

void require_memory(double bytes, const std::string& what) {
    const double avail = double(available_memory_bytes());
    if (bytes > avail)
        throw input_error("not enough memory: " + what + " would need " + human_bytes(bytes) + ", and " +
                          human_bytes(avail) + " is available");
}

std::string human_bytes(double b) {
    const char* u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int k = 0;
    while (b >= 1024 && k < 5) b /= 1024, ++k;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f %s", b, u[k]);
    return buf;
}

void write_text_durably(const std::string& path, const std::string& text, unsigned mode) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::trunc);
        f << text;
        f.flush();
        if (!f) {
            std::remove(tmp.c_str());
            throw input_error(path + ": cannot write the file");
        }
    }
    if (::chmod(tmp.c_str(), mode_t(mode)) != 0) {
        std::remove(tmp.c_str());
        throw input_error(path + ": cannot set the permissions of the file");
    }
    fsync_path(tmp);
    replace_file(tmp, path);
}

} // namespace nms
