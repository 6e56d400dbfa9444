#include "nmsweep/io/input_file.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/io/file_ops.hpp"

#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace nms {

namespace {

thread_local input_log* current_log = nullptr;

std::string kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

struct fd_closer {
    int fd;
    ~fd_closer() {
        if (fd >= 0) ::close(fd);
    }
};

} // namespace

std::string sha256_hex(const std::string& bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed (OpenSSL)");
    static const char* hex = "0123456789abcdef";
    std::string out(2 * n, '0');
    for (unsigned i = 0; i < n; ++i) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    return out;
}

std::string read_input_file(const std::string& path, const std::string& what, std::uint64_t max_bytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int e = errno;
        if (e == ENOENT) throw input_error(path + ": cannot open the " + what + ": no such file");
        throw input_error(path + ": cannot open the " + what + " (" + std::strerror(e) + ")");
    }
    fd_closer guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw input_error(path + ": cannot read the " + what + " (" + std::strerror(errno) + ")");
    if (!S_ISREG(st.st_mode))
        throw input_error(path + ": the " + what + " is " + kind_of(st.st_mode) + ", not a regular file");
    if (std::uint64_t(st.st_size) > max_bytes)
        throw input_error(path + ": the " + what + " is " + human_bytes(double(st.st_size)) +
                          ", more than the " + human_bytes(double(max_bytes)) + " allowed");
    std::string data;
    data.resize(std::size_t(st.st_size));
    std::size_t got = 0;
    while (true) {
        if (got == data.size()) {
            // The file may have grown since fstat: read on, within the cap.
            if (data.size() >= max_bytes) {
                char probe;
                if (::read(fd, &probe, 1) > 0)
                    throw input_error(path + ": the " + what + " is more than the " +
                                      human_bytes(double(max_bytes)) + " allowed");
                break;
            }
            data.resize(std::min<std::uint64_t>(max_bytes, data.size() * 2 + 4096));
        }
        const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw input_error(path + ": cannot read the " + what + " (" + std::strerror(errno) + ")");
        }
        if (n == 0) break;
        got += std::size_t(n);
    }
    data.resize(got);
    if (current_log) current_log->add({path, sha256_hex(data), got});
    return data;
}

input_log::input_log() : outer_(current_log) { current_log = this; }
input_log::~input_log() { current_log = outer_; }

void input_log::add(const input_record& r) {
    bool seen = false;
    for (const auto& x : records_) seen = seen || (x.path == r.path && x.sha256 == r.sha256);
    if (!seen) records_.push_back(r);
    if (outer_) outer_->add(r);
}

} // namespace nms
