#!/usr/bin/env python3
"""Crash-safety harness of the result file (README, "Interrupted runs").

  crash_harness.py kill NMSWEEP SHIM SPEC WORKDIR [--random N] [--writes N] [--seed S]
  crash_harness.py disk-full NMSWEEP SHIM SPEC WORKDIR [--trials N] [--seed S]

kill: runs SPEC once uninterrupted (the reference), then kills `nmsweep run`
with SIGKILL N times at a random instant of the run and N times at a random
write-like system call on the result file (SHIM = the fault_inject library:
before the call, or after half its bytes: a torn write inside HDF5). After
every kill: the file, if there is one, must open; every point marked done
must equal the reference bit for bit in every grid dataset; `--resume` must
finish it, and the finished file must equal the reference bit for bit
(every dataset, every attribute but timings), with no .partial file left.

disk-full: makes the result file's writes fail with ENOSPC after a random
number of bytes (a disk that fills up). The run must stop with exit status 2
and a message that says so, without crashing; what it marked done must
equal the reference; after "freeing space" (running without the shim)
--resume, or a new run when no file was published, must finish bit for bit.

Prints the counts; exit 1 on any failure, 77 when h5py/numpy are missing.
"""
import os
import random
import signal
import subprocess
import sys
import time

try:
    import h5py
    import numpy as np
except ImportError:
    print("h5py/numpy not installed: skipped")
    sys.exit(77)

BATCH = ["--batch-size", "4"]
TIMING_ATTRS = {"wall_seconds", "node_steps_per_second", "created", "finished", "threads"}


def bits(a):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return a.view(np.uint64 if a.dtype.itemsize == 8 else np.uint32)
    return a


def open_locked_free(path):
    return h5py.File(path, "r", locking=False)


def datasets(f):
    out = {}
    f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def check_done_points(path, ref):
    """Every point marked done equals the reference; returns (n_done, errors)."""
    errors = []
    with open_locked_free(path) as f, open_locked_free(ref) as r:
        done = f["status/done"][()].astype(bool)
        grid = done.shape
        end_maps = ("features/n_attractors", "features/multistable", "features/dominant_class")
        for name, want in datasets(r).items():
            if name.startswith("boundaries/") or name in end_maps:
                continue  # written when every point is done
            if name not in f:
                errors.append(f"{name}: missing")
                continue
            got = f[name][()]
            if name.startswith("timeseries/point_"):
                k = int(name.rsplit("_", 1)[1])
                if done.reshape(-1)[k] and not np.array_equal(bits(got), bits(want)):
                    errors.append(f"{name}: differs for a done point")
                continue
            if np.ndim(want) < len(grid) or np.shape(want)[: len(grid)] != grid or name.startswith("axes/"):
                continue
            g, w = bits(got)[done], bits(want)[done]
            if not np.array_equal(g, w):
                errors.append(f"{name}: {int((g != w).sum())} values differ at done points")
        return int(done.sum()), errors


def check_identical(path, ref):
    errors = []
    with open_locked_free(path) as f, open_locked_free(ref) as r:
        a, b = datasets(f), datasets(r)
        if sorted(a) != sorted(b):
            errors.append(f"dataset lists differ: {sorted(set(a) ^ set(b))}")
        for name in b:
            if name in a and (np.shape(a[name]) != np.shape(b[name]) or not np.array_equal(bits(a[name]), bits(b[name]))):
                errors.append(f"{name} differs")
        for k, v in r.attrs.items():
            if k in TIMING_ATTRS:
                continue
            if k not in f.attrs or not np.array_equal(np.asarray(f.attrs[k]), np.asarray(v)):
                errors.append(f"attribute {k} differs")
    return errors


def restored_copy(path, journal, copy):
    """The file as the end-of-run journal restores it (src/io/undo_journal.hpp),
    written to `copy`: what --resume will continue from."""
    data = open(journal, "rb").read()
    body, digest = data[:-64], data[-64:].decode()
    import hashlib
    if data[:8] != b"NMSUNDO1" or hashlib.sha256(body).hexdigest() != digest:
        return path  # torn journal: the file was not touched yet
    size, n = int.from_bytes(body[8:16], "little"), int.from_bytes(body[16:24], "little")
    raw = bytearray(open(path, "rb").read())
    at = 24 + 16 * n
    for r in range(n):
        off = int.from_bytes(body[24 + 16 * r:32 + 16 * r], "little")
        ln = int.from_bytes(body[32 + 16 * r:40 + 16 * r], "little")
        raw[off:off + ln] = body[at:at + ln]
        at += ln
    open(copy, "wb").write(bytes(raw[:size]))
    return copy


def run(cmd, env=None, timeout=600):
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)


class harness:
    def __init__(self, nms, shim, spec, work, seed):
        self.nms, self.shim, self.spec, self.work = nms, shim, spec, work
        os.makedirs(work, exist_ok=True)
        self.out = os.path.join(work, "run.h5")
        self.ref = os.path.join(work, "reference.h5")
        self.rng = random.Random(seed)
        self.failures = []
        self.journals = 0
        t0 = time.time()
        r = run([nms, "run", "-q", "--overwrite", spec, "-o", self.ref] + BATCH)
        self.t_run = time.time() - t0
        if r.returncode != 0:
            sys.exit(f"reference run failed: {r.stderr}")
        count = os.path.join(work, "count.txt")
        self.clean()
        r = run(self.cmd(), env=self.env(NMS_FAULT_COUNT=count))
        if r.returncode != 0:
            sys.exit(f"counting run failed: {r.stderr}")
        self.n_calls, self.n_bytes = (int(x) for x in open(count).read().split())

    def cmd(self, resume=False):
        return [self.nms, "run", "-q"] + (["--resume"] if resume else []) + [self.spec, "-o", self.out] + BATCH

    def env(self, **kw):
        e = dict(os.environ, LD_PRELOAD=self.shim, NMS_FAULT_PATH=os.path.basename(self.out))
        e.update({k: str(v) for k, v in kw.items()})
        return e

    def clean(self):
        for p in (self.out, self.out + ".partial"):
            if os.path.exists(p):
                os.remove(p)

    def fail(self, what):
        self.failures.append(what)
        print("FAIL:", what)

    def after_stop(self, label):
        """Checks a stopped run's file, resumes it, checks the result."""
        n_done = 0
        if os.path.exists(self.out):
            path = self.out
            journal = self.out + ".partial"
            if os.path.exists(journal) and open(journal, "rb").read(8) == b"NMSUNDO1":
                self.journals += 1  # killed while finishing: check what --resume restores
                path = restored_copy(self.out, journal, os.path.join(self.work, "restored.h5"))
            try:
                n_done, errors = check_done_points(path, self.ref)
            except Exception as e:  # the file must always open
                self.fail(f"{label}: the file does not open: {e}")
                return 0
            for e in errors:
                self.fail(f"{label}: {e}")
        r = run(self.cmd(resume=True))
        if r.returncode != 0:
            self.fail(f"{label}: --resume failed ({r.returncode}): {r.stderr.strip()}")
            return n_done
        for e in check_identical(self.out, self.ref):
            self.fail(f"{label}: after --resume: {e}")
        if os.path.exists(self.out + ".partial"):
            self.fail(f"{label}: {self.out}.partial left behind")
        return n_done

    def kill_at_random_time(self, k):
        self.clean()
        p = subprocess.Popen(self.cmd(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(self.rng.uniform(0, 1.1 * self.t_run))
        p.send_signal(signal.SIGKILL)
        p.wait()
        if p.returncode == 0:  # finished before the kill
            for e in check_identical(self.out, self.ref):
                self.fail(f"random kill {k} (after the end): {e}")
            return 0, False
        return self.after_stop(f"random kill {k}"), True

    def kill_at_write(self, k):
        self.clean()
        at = self.rng.randint(1, self.n_calls)
        torn = self.rng.random() < 0.5
        r = run(self.cmd(), env=self.env(NMS_FAULT_KILL_AT=at, NMS_FAULT_TORN=int(torn)))
        if r.returncode != -signal.SIGKILL:
            self.fail(f"write kill {k} (call {at}): the run was not killed ({r.returncode})")
        return self.after_stop(f"write kill {k} (call {at} of {self.n_calls}{', torn' if torn else ''})")

    def disk_full(self, k):
        self.clean()
        at = self.rng.randint(0, self.n_bytes)
        r = run(self.cmd(), env=self.env(NMS_FAULT_ENOSPC_AT=at))
        label = f"disk full {k} (after {at} of {self.n_bytes} bytes)"
        if r.returncode == 0:
            return 0, "finished"  # the file needed fewer bytes than the limit
        msg = r.stderr.strip()
        if r.returncode != 2:
            self.fail(f"{label}: exit status {r.returncode}, expected 2: {msg}")
        if "disk is full" not in msg and "No space left" not in msg:
            self.fail(f"{label}: the message does not say the disk is full: {msg}")
        if os.path.exists(self.out + ".partial"):
            self.fail(f"{label}: {self.out}.partial left behind")
        published = os.path.exists(self.out)
        return self.after_stop(label), "kept" if published else "no file"


def main():
    mode, nms, shim, spec, work = sys.argv[1:6]
    opts = dict(zip(sys.argv[6::2], sys.argv[7::2]))
    h = harness(nms, shim, spec, work, int(opts.get("--seed", 1)))
    print(f"reference: {h.t_run:.2f} s, {h.n_calls} write calls, {h.n_bytes} bytes to the result file")
    if mode == "kill":
        n_random, n_writes = int(opts.get("--random", 25)), int(opts.get("--writes", 25))
        done_r = [h.kill_at_random_time(k) for k in range(n_random)]
        done_w = [h.kill_at_write(k) for k in range(n_writes)]
        print(f"{n_random} kills at random instants: {sum(1 for d, killed in done_r if killed)} while running, "
              f"{sum(d for d, _ in done_r)} done points checked")
        print(f"{n_writes} kills at random write calls: {sum(done_w)} done points checked")
        print(f"{h.journals} kills while the final results were written (checked as the journal restores them)")
    elif mode == "disk-full":
        n = int(opts.get("--trials", 20))
        res = [h.disk_full(k) for k in range(n)]
        kinds = {k: sum(1 for _, x in res if x == k) for k in ("no file", "kept", "finished")}
        print(f"{n} full disks: {kinds['no file']} before the first batch (no file), {kinds['kept']} with a "
              f"file kept ({sum(d for d, x in res if x == 'kept')} done points checked), {kinds['finished']} "
              f"never reached the limit")
    else:
        sys.exit(f"unknown mode {mode}")
    print(f"{len(h.failures)} failures")
    sys.exit(1 if h.failures else 0)


if __name__ == "__main__":
    main()
