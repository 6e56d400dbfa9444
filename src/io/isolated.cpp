#include "nmsweep/io/isolated.hpp"

#include "nmsweep/core/error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace nms {

namespace {

void write_all(int fd, const std::string& s) {
    const char* p = s.data();
    std::size_t n = s.size();
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w, n -= std::size_t(w);
    }
}

// The child's side: 'O' + result, 'E' + input_error message, 'X' + other.
[[noreturn]] void child(int fd, const std::function<std::string()>& fn) {
    std::string out;
    try {
        out = "O" + fn();
    } catch (const input_error& e) {
        out = std::string("E") + e.what();
    } catch (const std::exception& e) {
        out = std::string("X") + e.what();
    } catch (...) {
        out = "Xan unknown exception";
    }
    write_all(fd, out);
    ::close(fd);
    _exit(0); // no atexit handlers or destructors of the parent's state
}

} // namespace

std::string run_isolated(const std::function<std::string()>& fn, const std::string& what, double timeout_s) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        throw input_error(what + ": cannot create a pipe (" + std::strerror(errno) + ")");
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(p[0]);
        ::close(p[1]);
        throw input_error(what + ": cannot start a process (" + std::string(std::strerror(errno)) + ")");
    }
    if (pid == 0) {
        // The child dies with its parent (killed by a timeout or Ctrl-C):
        // an endless read inside HDF5 must not outlive the command.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) _exit(1);
        ::close(p[0]);
        // Its result and errors go through the pipe; what a crash prints
        // (libc, HDF5) would only repeat the parent's message.
        const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null_fd >= 0) ::dup2(null_fd, STDERR_FILENO);
        child(p[1], fn);
    }
    ::close(p[1]);
    std::string got;
    char buf[1 << 16];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    bool timed_out = false;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd pf{p[0], POLLIN, 0};
        const int r = ::poll(&pf, 1, int(std::min<long long>(left.count(), 1000)));
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) continue;
        const ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got.append(buf, std::size_t(n));
    }
    ::close(p[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out)
        throw input_error(what + ": reading it did not end within " + std::to_string(int(timeout_s)) +
                          " s (a damaged file?)");
    if (WIFSIGNALED(status))
        throw input_error(what + ": the file is damaged (reading it crashed the HDF5 library: " +
                          std::string(strsignal(WTERMSIG(status))) + ")");
    if (got.empty())
        throw input_error(what + ": reading it failed (exit status " + std::to_string(status) + ")");
    const char tag = got[0];
    got.erase(0, 1);
    if (tag == 'O') return got;
    if (tag == 'E') throw input_error(got);
    throw input_error(what + ": the file is damaged (" + got + ")");
}

double damaged_read_deadline(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return 20.0 + (ec ? 0.0 : double(size) / 1e8);
}

} // namespace nms
