#include "undo_journal.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/io/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace nms {

namespace {

constexpr char magic[8] = {'N', 'M', 'S', 'U', 'N', 'D', 'O', '1'};

[[noreturn]] void sys_fail(const std::string& path, const std::string& what) {
    throw input_error(path + ": " + what + " (" + std::strerror(errno) + ")");
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int k = 0; k < 8; ++k) out += char((v >> (8 * k)) & 0xff);
}

std::uint64_t get_u64(const std::string& in, std::size_t at) {
    std::uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v |= std::uint64_t(static_cast<unsigned char>(in[at + k])) << (8 * k);
    return v;
}

struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

void pread_all(int fd, char* buf, std::uint64_t n, std::uint64_t off, const std::string& path) {
    while (n > 0) {
        const ssize_t r = ::pread(fd, buf, n, off_t(off));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) sys_fail(path, "cannot read the file to journal it");
        buf += r, n -= std::uint64_t(r), off += std::uint64_t(r);
    }
}

void pwrite_all(int fd, const char* buf, std::uint64_t n, std::uint64_t off, const std::string& path) {
    while (n > 0) {
        const ssize_t w = ::pwrite(fd, buf, n, off_t(off));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) sys_fail(path, "cannot write");
        buf += w, n -= std::uint64_t(w), off += std::uint64_t(w);
    }
}

} // namespace

void write_undo_journal(const std::string& file, const std::string& journal,
                        std::vector<byte_range> untouched) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) sys_fail(file, "cannot open the file to journal it");
    fd_guard g{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) sys_fail(file, "cannot read the file's size");
    const std::uint64_t size = std::uint64_t(st.st_size);
    // The saved ranges: [0, size) less the untouched ones.
    std::sort(untouched.begin(), untouched.end());
    std::vector<byte_range> saved;
    std::uint64_t at = 0;
    for (const auto& [off, len] : untouched) {
        if (off > at) saved.push_back({at, std::min(off, size) - at});
        at = std::max(at, std::min(off + len, size));
        if (at >= size) break;
    }
    if (at < size) saved.push_back({at, size - at});
    std::string out(magic, 8);
    put_u64(out, size);
    put_u64(out, saved.size());
    for (const auto& [off, len] : saved) {
        put_u64(out, off);
        put_u64(out, len);
    }
    for (const auto& [off, len] : saved) {
        const std::size_t k = out.size();
        out.resize(k + len);
        pread_all(fd, out.data() + k, len, off, file);
    }
    out += sha256_hex(out);
    const int j = ::open(journal.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (j < 0) sys_fail(journal, "cannot create the end-of-run journal");
    fd_guard gj{j};
    pwrite_all(j, out.data(), out.size(), 0, journal);
    if (::fsync(j) != 0) sys_fail(journal, "cannot write the end-of-run journal to disk");
    fsync_parent_dir(journal);
}

bool is_undo_journal(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    fd_guard g{fd};
    char head[8];
    return ::pread(fd, head, 8, 0) == 8 && std::memcmp(head, magic, 8) == 0;
}

bool apply_undo_journal(const std::string& file, const std::string& journal) {
    std::string in;
    try {
        in = read_input_file(journal, "end-of-run journal", std::uint64_t(1) << 40);
    } catch (const input_error&) {
        return false;
    }
    constexpr std::size_t hex = 64;
    bool ok = in.size() >= 24 + hex && std::memcmp(in.data(), magic, 8) == 0 &&
              sha256_hex(in.substr(0, in.size() - hex)) == in.substr(in.size() - hex);
    if (!ok) { // torn while being written: the file was not touched yet
        ::unlink(journal.c_str());
        return false;
    }
    const std::uint64_t size = get_u64(in, 8), n = get_u64(in, 16);
    const std::uint64_t body = in.size() - hex;
    std::uint64_t need = 24;
    for (std::uint64_t r = 0; ok && r < n; ++r) {
        ok = n <= (body - 24) / 16 && 40 + 16 * r <= body;
        if (ok) need += 16 + get_u64(in, 32 + 16 * r);
    }
    if (!ok || need != body) throw input_error(journal + ": not a valid end-of-run journal; remove it");
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) sys_fail(file, "cannot open the result to restore it from " + journal);
    fd_guard g{fd};
    std::size_t data = 24 + 16 * n;
    for (std::uint64_t r = 0; r < n; ++r) {
        const std::uint64_t off = get_u64(in, 24 + 16 * r), len = get_u64(in, 32 + 16 * r);
        pwrite_all(fd, in.data() + data, len, off, file);
        data += len;
    }
    if (::ftruncate(fd, off_t(size)) != 0) sys_fail(file, "cannot restore the result's size");
    if (::fsync(fd) != 0) sys_fail(file, "cannot write the restored result to disk");
    ::unlink(journal.c_str());
    fsync_parent_dir(journal);
    return true;
}

} // namespace nms
