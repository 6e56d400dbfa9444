// Fault injection for the crash-safety harnesses, loaded with LD_PRELOAD
// into `nmsweep run`. It watches the write-like calls (write, pwrite,
// pwritev, writev, copy_file_range, fsync, fdatasync, ftruncate, fallocate)
// on files whose path contains NMS_FAULT_PATH, and
//   NMS_FAULT_KILL_AT=K      raises SIGKILL at the K-th such call (1-based),
//                            before it runs, or, with NMS_FAULT_TORN=1, after
//                            writing the first half of its buffer: a kill
//                            inside HDF5's own writes;
//   NMS_FAULT_ENOSPC_AT=B    makes writes fail with ENOSPC once B bytes have
//                            been written to such files (the write crossing B
//                            writes what fits, as a full disk does), and
//                            fallocate/copy_file_range too: a disk that fills;
//   NMS_FAULT_COUNT=FILE     writes the number of such calls and bytes to
//                            FILE at exit (to size the K and B ranges).
// Test code only; never linked into nmsweep.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static long calls, kill_at = -1;
static long long bytes, enospc_at = -1;
static int torn;
static const char* match;
static const char* count_file;

__attribute__((constructor)) static void init(void) {
    const char* k = getenv("NMS_FAULT_KILL_AT");
    const char* e = getenv("NMS_FAULT_ENOSPC_AT");
    const char* t = getenv("NMS_FAULT_TORN");
    match = getenv("NMS_FAULT_PATH");
    count_file = getenv("NMS_FAULT_COUNT");
    if (k) kill_at = atol(k);
    if (e) enospc_at = atoll(e);
    torn = t && *t == '1';
}

__attribute__((destructor)) static void report(void) {
    if (!count_file) return;
    FILE* f = fopen(count_file, "w");
    if (!f) return;
    fprintf(f, "%ld %lld\n", calls, bytes);
    fclose(f);
}

static int watched(int fd) {
    if (!match) return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) return 0;
    path[n] = 0;
    return strstr(path, match) != NULL;
}

#define REAL(name, ret, ...)                                                                                 \
    static ret (*real_##name)(__VA_ARGS__);                                                                  \
    if (!real_##name) real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

// Counts one call; 1 when it must die now (torn: after half the bytes).
static int count_call(void) { return ++calls == kill_at; }

static void die(void) { raise(SIGKILL); }

// Bytes this write may still put on the "disk"; -1: ENOSPC now.
static long long room(size_t want) {
    if (enospc_at < 0) return (long long)want;
    long long left = enospc_at - bytes;
    if (left <= 0) return -1;
    return left < (long long)want ? left : (long long)want;
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
    REAL(pwrite, ssize_t, int, const void*, size_t, off_t);
    if (!watched(fd)) return real_pwrite(fd, buf, n, off);
    if (count_call()) {
        if (torn && n > 1) real_pwrite(fd, buf, n / 2, off);
        die();
    }
    long long r = room(n);
    if (r < 0) {
        errno = ENOSPC;
        return -1;
    }
    ssize_t w = real_pwrite(fd, buf, (size_t)r, off);
    if (w > 0) bytes += w;
    return w;
}
ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }

ssize_t write(int fd, const void* buf, size_t n) {
    REAL(write, ssize_t, int, const void*, size_t);
    if (!watched(fd)) return real_write(fd, buf, n);
    if (count_call()) {
        if (torn && n > 1) real_write(fd, buf, n / 2);
        die();
    }
    long long r = room(n);
    if (r < 0) {
        errno = ENOSPC;
        return -1;
    }
    ssize_t w = real_write(fd, buf, (size_t)r);
    if (w > 0) bytes += w;
    return w;
}

static ssize_t vec_total(const struct iovec* v, int n) {
    ssize_t t = 0;
    for (int i = 0; i < n; ++i) t += (ssize_t)v[i].iov_len;
    return t;
}

ssize_t pwritev(int fd, const struct iovec* v, int n, off_t off) {
    REAL(pwritev, ssize_t, int, const struct iovec*, int, off_t);
    if (!watched(fd)) return real_pwritev(fd, v, n, off);
    if (count_call()) die();
    if (room((size_t)vec_total(v, n)) < vec_total(v, n)) {
        errno = ENOSPC;
        return -1;
    }
    ssize_t w = real_pwritev(fd, v, n, off);
    if (w > 0) bytes += w;
    return w;
}

ssize_t writev(int fd, const struct iovec* v, int n) {
    REAL(writev, ssize_t, int, const struct iovec*, int);
    if (!watched(fd)) return real_writev(fd, v, n);
    if (count_call()) die();
    if (room((size_t)vec_total(v, n)) < vec_total(v, n)) {
        errno = ENOSPC;
        return -1;
    }
    ssize_t w = real_writev(fd, v, n);
    if (w > 0) bytes += w;
    return w;
}

ssize_t copy_file_range(int in, loff_t* ip, int out, loff_t* op, size_t n, unsigned flags) {
    REAL(copy_file_range, ssize_t, int, loff_t*, int, loff_t*, size_t, unsigned);
    if (!watched(out)) return real_copy_file_range(in, ip, out, op, n, flags);
    if (count_call()) die();
    long long r = room(n);
    if (r < 0) {
        errno = ENOSPC;
        return -1;
    }
    ssize_t w = real_copy_file_range(in, ip, out, op, (size_t)r, flags);
    if (w > 0) bytes += w;
    return w;
}

int fallocate(int fd, int mode, off_t off, off_t len) {
    REAL(fallocate, int, int, int, off_t, off_t);
    if (!watched(fd)) return real_fallocate(fd, mode, off, len);
    if (count_call()) die();
    if (room((size_t)len) < len) {
        errno = ENOSPC;
        return -1;
    }
    return real_fallocate(fd, mode, off, len);
}

int ftruncate(int fd, off_t len) {
    REAL(ftruncate, int, int, off_t);
    if (watched(fd) && count_call()) die();
    return real_ftruncate(fd, len);
}
int ftruncate64(int fd, off_t len) { return ftruncate(fd, len); }

int fsync(int fd) {
    REAL(fsync, int, int);
    if (watched(fd) && count_call()) die();
    return real_fsync(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync, int, int);
    if (watched(fd) && count_call()) die();
    return real_fdatasync(fd);
}
