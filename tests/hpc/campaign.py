#!/usr/bin/env python3
"""Campaigns: shards, merge, preemption, kills, against one uncut run.

  campaign.py NMSWEEP SPEC WORKDIR [--kills K] [--seed S] [--mpirun MPIRUN]

SPEC is a CPU sweep with every family of outputs (tests/robustness/
every_feature.toml). Checked, each against a whole run of SPEC, dataset by
dataset, bit for bit (NaN equal to NaN):
  - 1, 2, 3 and 7 shards (`run --shard I/N`) merged (`merge OUT DIR`);
  - a Slurm job array's task (SLURM_ARRAY_TASK_* in the environment);
  - a merge with a shard missing: exit 4, the missing points named, the file
    incomplete; `run --resume` on it completes it;
  - SIGTERM, SIGINT and SIGUSR1 during a run: exit 75 within seconds,
    finished points kept, `--resume` completes it; SIGUSR1 the moment the
    process catches it (while it reads its inputs): exit 75 too;
  - SIGKILL of a shard at random instants, then `--resume`; SIGKILL of a
    merge: the parts unchanged, the merge rerun;
  - with --mpirun: `mpirun -n K nmsweep run` for K = 1, 2, 3 (oversubscribed),
    SIGUSR1 to mpirun (exit 75, then --resume), SIGKILL of the whole job at
    random instants (then --resume), ranks running different executables
    (exit 2), --shard under MPI (exit 2);
  - bad input: a shard out of range, more shards than points, a bad Slurm
    environment, parts of another spec, overlapping parts, a merge onto an
    existing file without --overwrite: exit 2, nothing written or changed.
Exit 0 when all hold, 1 otherwise, 77 without h5py/numpy.
"""
import argparse
import hashlib
import os
import random
import shutil
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

FAILURES = []


def fail(msg):
    print("FAIL:", msg)
    FAILURES.append(msg)


def run(args, env=None, timeout=300, expect=0):
    p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    if expect is not None and p.returncode != expect:
        fail(f"{' '.join(args)}: exit {p.returncode}, expected {expect}\n{p.stderr[-2000:]}")
    return p


def datasets(path):
    out = {}
    with h5py.File(path, "r", locking=False) as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
        attrs = dict(f.attrs)
    return out, attrs


def same_datasets(ref, path, what):
    a, _ = datasets(ref)
    b, attrs = datasets(path)
    if set(a) != set(b):
        fail(f"{what}: datasets differ: {sorted(set(a) ^ set(b))}")
        return False
    ok = True
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.dtype != y.dtype or x.shape != y.shape:
            fail(f"{what}: {k}: {x.dtype}{x.shape} != {y.dtype}{y.shape}")
            ok = False
        elif x.dtype.kind in "fc" and not np.array_equal(x, y, equal_nan=True):
            fail(f"{what}: {k}: values differ (largest {np.nanmax(np.abs(x - y))})")
            ok = False
        elif x.dtype.kind not in "fc" and not np.array_equal(x, y):
            fail(f"{what}: {k}: values differ")
            ok = False
    if int(attrs.get("complete", 0)) != 1:
        fail(f"{what}: not marked complete")
        ok = False
    return ok


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nmsweep")
    ap.add_argument("spec")
    ap.add_argument("work")
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mpirun", default="", help="Open MPI's mpirun: also check MPI runs")
    ap.add_argument("--quick", action="store_true",
                    help="fewer shard counts, one signal, a shorter long run (sanitizer builds)")
    a = ap.parse_args()
    nms, spec = os.path.abspath(a.nmsweep), os.path.abspath(a.spec)
    rng = random.Random(a.seed)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    w = lambda *p: os.path.join(a.work, *p)
    base = [nms, "run", "-q", spec, "--threads", "1"]

    ref = w("whole.h5")
    run(base + ["-o", ref])
    n_points = int(np.prod(datasets(ref)[0]["status/done"].shape))

    # Shards merged, 1 / 2 / 3 / 7 of them.
    for n in (2, 3) if a.quick else (1, 2, 3, 7):
        d = w(f"shards{n}")
        os.makedirs(d)
        for i in range(n):
            run(base + ["-o", os.path.join(d, "c.h5"), "--shard", f"{i}/{n}"])
        names = sorted(os.listdir(d))
        if names != sorted(f"c.part{i}of{n}.h5" for i in range(n)):
            fail(f"{n} shards: part files {names}")
        counts = [int(datasets(os.path.join(d, x))[0]["status/done"].sum()) for x in names]
        if sum(counts) != n_points or max(counts) - min(counts) > 1:
            fail(f"{n} shards: points per part {counts} (of {n_points})")
        run([nms, "merge", "-q", w(f"merged{n}.h5"), d])
        same_datasets(ref, w(f"merged{n}.h5"), f"{n} shards merged")

    # A Slurm job array of 3 tasks (ids 4, 6, 8: --array=4-8:2).
    d = w("slurm")
    os.makedirs(d)
    for k, tid in enumerate((4, 6, 8)):
        env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(tid), SLURM_ARRAY_TASK_MIN="4",
                   SLURM_ARRAY_TASK_STEP="2", SLURM_ARRAY_TASK_COUNT="3")
        run(base + ["-o", os.path.join(d, "s.h5")], env=env)
        if not os.path.exists(os.path.join(d, f"s.part{k}of3.h5")):
            fail(f"slurm task {tid}: no s.part{k}of3.h5 in {os.listdir(d)}")
    run([nms, "merge", "-q", w("slurm.h5"), d])
    same_datasets(ref, w("slurm.h5"), "slurm array merged")

    # A shard missing: exit 4, the file incomplete, --resume completes it.
    p = run([nms, "merge", w("holes.h5"), w("shards3", "c.part0of3.h5"), w("shards3", "c.part2of3.h5")],
            expect=4)
    if "incomplete" not in p.stderr:
        fail("merge with a part missing: no word of the missing points: " + p.stderr)
    if int(datasets(w("holes.h5"))[1].get("complete", 0)) != 0:
        fail("merge with a part missing: marked complete")
    info = run([nms, "info", w("holes.h5")]).stdout
    if "incomplete" not in info.lower():
        fail("info on a merge with holes does not say incomplete:\n" + info)
    run(base + ["--resume", "-o", w("holes.h5")])
    same_datasets(ref, w("holes.h5"), "merge with holes, resumed")
    # ... or a second merge with the late part.
    run([nms, "merge", "-q", w("late.h5"), w("shards3", "c.part1of3.h5"), w("shards3", "c.part0of3.h5"),
         w("shards3", "c.part2of3.h5")])
    same_datasets(ref, w("late.h5"), "merge in another order")

    bad_input(nms, spec, base, w, n_points)
    # A longer run of the same spec for the signals.
    long_spec = w("long.toml")
    long_grid = "linspace = [0.0, 8.0, 8]" if a.quick else "linspace = [0.0, 8.0, 16]"
    open(long_spec, "w").write(local_copy(spec, "duration = 1200.0", "duration = 10000.0")
                               .replace("linspace = [0.0, 8.0, 4]", long_grid))
    long_base = [nms, "run", "-q", long_spec, "--threads", "1"]
    long_ref = w("long_whole.h5")
    run(long_base + ["-o", long_ref])
    preemption(nms, long_base, long_ref, w, rng, (signal.SIGTERM,) if a.quick else None)
    startup_stop(nms, long_base, long_ref, w)
    kills(nms, long_base, long_ref, w, rng, a.kills)
    if a.mpirun:
        mpi(a.mpirun, nms, spec, long_spec, ref, long_ref, w, rng, a.kills)

    if FAILURES:
        print(f"{len(FAILURES)} failures")
        return 1
    print("all campaign checks passed")
    return 0


def local_copy(spec, old, new):
    """The spec's text with `old` replaced, its data paths made absolute."""
    text = open(spec).read()
    if old not in text:
        raise SystemExit(f"{spec}: '{old}' not found")
    data = os.path.join(os.path.dirname(os.path.dirname(spec)), "data")
    return text.replace(old, new).replace('"../data/', '"' + data + '/')


def bad_input(nms, spec, base, w, n_points):
    d = w("bad")
    os.makedirs(d)
    out = os.path.join(d, "b.h5")
    for shard in ("3/3", "-1/3", "1/0", "a/b", f"0/{n_points + 1}"):
        p = run(base + ["-o", out, "--shard", shard], expect=2)
        if "shard" not in p.stderr:
            fail(f"--shard {shard}: the error does not name the option: {p.stderr}")
    env = dict(os.environ, SLURM_ARRAY_TASK_ID="5", SLURM_ARRAY_TASK_MIN="0", SLURM_ARRAY_TASK_COUNT="3")
    run(base + ["-o", out], env=env, expect=2)
    if os.listdir(d):
        fail(f"bad shards left files: {os.listdir(d)}")
    # Another spec (a different duration): refused, naming the part.
    other = os.path.join(d, "other.toml")
    open(other, "w").write(local_copy(spec, "duration = 1200.0", "duration = 1000.0"))
    run([nms, "run", "-q", other, "--threads", "1", "-o", os.path.join(d, "o.h5"), "--shard", "1/3"])
    p = run([nms, "merge", os.path.join(d, "m.h5"), w("shards3", "c.part0of3.h5"),
             os.path.join(d, "o.part1of3.h5")], expect=2)
    if "different spec" not in p.stderr or os.path.exists(os.path.join(d, "m.h5")):
        fail("merge of parts of different specs: " + p.stderr)
    # Overlapping parts (shard 0 of 2 and shard 0 of 3).
    p = run([nms, "merge", os.path.join(d, "m.h5"), w("shards2", "c.part0of2.h5"),
             w("shards3", "c.part0of3.h5")], expect=2)
    if "also done in" not in p.stderr or os.path.exists(os.path.join(d, "m.h5")):
        fail("overlapping parts: " + p.stderr)
    # An existing file without --overwrite: unchanged.
    before = sha(w("merged3.h5"))
    p = run([nms, "merge", w("merged3.h5"), w("shards3")], expect=2)
    if "--overwrite" not in p.stderr or sha(w("merged3.h5")) != before:
        fail("merge onto an existing file: " + p.stderr)
    run([nms, "merge", os.path.join(d, "m.h5"), os.path.join(d, "nothing_here")], expect=2)


def preemption(nms, base, ref, w, rng, signals=None):
    """Each stop signal mid-run: exit 75 soon, points kept, --resume completes."""
    for sig in signals or (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        out = w(f"stopped_{sig.name}.h5")
        # Small batches (--checkpoint-minutes) so that some are done when the signal comes.
        p = subprocess.Popen(base + ["-o", out, "--checkpoint-minutes", "0.0005"], stderr=subprocess.PIPE,
                             text=True)
        time.sleep(1.0 + 2.0 * rng.random())
        t0 = time.time()
        p.send_signal(sig)
        try:
            _, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            fail(f"{sig.name}: no exit within 20 s")
            continue
        took = time.time() - t0
        done = int(datasets(out)[0]["status/done"].sum()) if os.path.exists(out) else 0
        print(f"{sig.name}: exit {p.returncode} {took:.2f} s after the signal, {done} points kept")
        if p.returncode == 0:
            print(f"{sig.name}: the run had finished before the signal (not a failure)")
        elif p.returncode != 75:
            fail(f"{sig.name}: exit {p.returncode}, expected 75: {err}")
        elif "--resume" not in err:
            fail(f"{sig.name}: the message does not say --resume: {err}")
        if took > 5:
            fail(f"{sig.name}: {took:.1f} s from the signal to the exit")
        if p.returncode == 75:
            run(base + ["--resume", "-o", out])
        same_datasets(ref, out, f"{sig.name} then --resume")


def catching(nms, pattern, n, sig, timeout=60):
    """Waits until n nmsweep processes whose command line holds `pattern`
    catch `sig` (SigCgt in /proc): a signal sent then can only mean a stop."""
    exe, bit = os.path.realpath(nms), 1 << (sig - 1)
    t0 = time.time()
    while time.time() - t0 < timeout:
        found = 0
        pids = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                if os.path.realpath(f"/proc/{pid}/exe") != exe:
                    continue
                status = open(f"/proc/{pid}/status").read()
            except OSError:
                continue
            caught = [x for x in status.splitlines() if x.startswith("SigCgt:")]
            found += bool(caught and int(caught[0].split()[1], 16) & bit)
        if found >= n:
            return time.time() - t0
        time.sleep(0.002)
    fail(f"{pattern}: {n} processes catching {sig.name} not seen within {timeout} s")
    return None


def startup_stop(nms, base, ref, w):
    """A stop signal as soon as the handlers are in (while the inputs are
    read): exit 75, never death by the signal; --resume completes the run."""
    out = w("stopped_at_start.h5")
    p = subprocess.Popen(base + ["-o", out], stderr=subprocess.PIPE, text=True)
    waited = catching(nms, out, 1, signal.SIGUSR1)
    p.send_signal(signal.SIGUSR1)
    _, err = p.communicate(timeout=60)
    print(f"SIGUSR1 {waited:.3f} s after the start: exit {p.returncode}")
    if p.returncode != 75:
        fail(f"SIGUSR1 at the start: exit {p.returncode}, expected 75: {err}")
        return
    run(base + ["--resume", "-o", out])
    same_datasets(ref, out, "SIGUSR1 at the start, then --resume")


def kills(nms, base, ref, w, rng, n):
    """SIGKILL of a shard at random instants, then --resume; of a merge: rerun."""
    d = w("killed")
    os.makedirs(d)
    for k in range(n):
        shard = f"{k % 2}/2"
        p = subprocess.Popen(base + ["-o", os.path.join(d, "k.h5"), "--shard", shard, "--resume",
                                     "--checkpoint-minutes", "0.0005"], stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 2.0))
        p.kill()
        p.wait()
    for i in range(2):
        run(base + ["-o", os.path.join(d, "k.h5"), "--shard", f"{i}/2", "--resume"])
    parts = [os.path.join(d, f"k.part{i}of2.h5") for i in range(2)]
    digests = [sha(x) for x in parts]
    out = w("killed_merge.h5")
    for k in range(n):
        p = subprocess.Popen([nms, "merge", "-q", out] + parts, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.15))
        p.kill()
        p.wait()
        if os.path.exists(out):
            os.remove(out)  # (finished before the kill: merge again)
    if [sha(x) for x in parts] != digests:
        fail("a killed merge changed a part")
    run([nms, "merge", "-q", out] + parts)
    same_datasets(ref, out, "killed shards resumed, killed merges rerun")


def kill_leftovers(out):
    """Ranks mpirun started outside its process group die too (a node lost)."""
    for _ in range(100):
        pids = subprocess.run(["pgrep", "-f", out], capture_output=True, text=True).stdout.split()
        pids = [int(x) for x in pids if int(x) != os.getpid()]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    fail(f"ranks writing {out} still alive after SIGKILL")


def mpi(mpirun, nms, spec, long_spec, ref, long_ref, w, rng, n_kills):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    launch = lambda k: [mpirun, "--oversubscribe", "-n", str(k)]
    d = w("mpi")
    os.makedirs(d)
    for k in (1, 2, 3):
        out = os.path.join(d, f"m{k}.h5")
        run(launch(k) + [nms, "run", "-q", spec, "-o", out], env=env)
        same_datasets(ref, out, f"mpirun -n {k}")
        left = [x for x in os.listdir(d) if ".rank" in x]
        if left:
            fail(f"mpirun -n {k}: rank files left: {left}")
    # Ranks with different executables (a copy with one byte more).
    other = os.path.join(d, "nmsweep_other")
    shutil.copy(nms, other)
    with open(other, "ab") as f:
        f.write(b"\0")
    out = os.path.join(d, "mixed.h5")
    p = run([mpirun, "--oversubscribe", "-n", "1", nms, "run", "-q", spec, "-o", out, ":", "-n", "1", other,
             "run", "-q", spec, "-o", out], env=env, expect=2)
    if "different nmsweep executables" not in p.stderr or os.path.exists(out):
        fail("ranks with different executables: " + p.stderr[-1000:])
    p = run(launch(2) + [nms, "run", "-q", spec, "-o", out, "--shard", "0/2"], env=env, expect=2)
    if "--shard" not in p.stderr:
        fail("--shard under MPI: " + p.stderr[-1000:])
    # SIGUSR1 (Slurm's warning) to mpirun: forwarded, every rank stops, 75.
    out = os.path.join(d, "usr1.h5")
    p = subprocess.Popen(launch(2) + [nms, "run", "-q", long_spec, "-o", out, "--checkpoint-minutes", "0.0005"],
                         env=env, stderr=subprocess.PIPE, text=True)
    # (Sent once both ranks catch it: before, the signal's default kills, and
    # no program can prevent that.)
    catching(nms, out, 2, signal.SIGUSR1)
    time.sleep(rng.random())
    p.send_signal(signal.SIGUSR1)
    _, err = p.communicate(timeout=60)
    print(f"mpirun, SIGUSR1: exit {p.returncode}")
    if p.returncode not in (0, 75):
        fail(f"mpirun, SIGUSR1: exit {p.returncode}, expected 75: {err[-1500:]}")
    run(launch(2) + [nms, "run", "-q", long_spec, "-o", out, "--resume"], env=env)
    same_datasets(long_ref, out, "mpirun, SIGUSR1 then --resume")
    # The whole job killed (a node lost) at random instants, resumed with 3 ranks, then 2.
    out = os.path.join(d, "killed.h5")
    for k in range(n_kills):
        p = subprocess.Popen(launch(2 + k % 2) + [nms, "run", "-q", long_spec, "-o", out, "--resume",
                                                   "--checkpoint-minutes", "0.0005"],
                             env=env, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.5, 3.0))
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        kill_leftovers(out)
    run(launch(2) + [nms, "run", "-q", long_spec, "-o", out, "--resume"], env=env)
    same_datasets(long_ref, out, "mpirun killed and resumed")


if __name__ == "__main__":
    sys.exit(main())
