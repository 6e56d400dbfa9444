#!/usr/bin/env python3
"""A real single-node Slurm cluster for one test, and the test of `nmsweep slurm` on it.

    slurm_cluster.py NMSWEEP SPEC WORKDIR            a job array and its merge (campaign_test)
    slurm_cluster.py --mpi NMSWEEP SPEC WORKDIR      one MPI job (mpi_test)
    slurm_cluster.py --trivial WORKDIR               only the cluster: one `sbatch --wrap` job

As root, SlurmCluster writes a slurm.conf (this machine as the one node, on the loopback
address and two free ports; linuxproc process tracking, no cgroups, no accounting) in a
temporary folder, starts munged on its own key and socket, slurmctld and slurmd in the
foreground, waits until the node is idle, and stops and removes everything on the way out
whatever happened. When the cluster cannot start (not root, Slurm or munge not installed,
a daemon that fails) it prints why and the test exits with 77: CTest's SKIP_RETURN_CODE,
so it is reported as skipped, never as passed. Standard library only (h5py and numpy for
the comparison of the results; without them: 77 too).
"""

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


class Skip(Exception):
    """The cluster cannot run here: the test is skipped, not failed."""


class Failed(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no %s)\n" % path


class SlurmCluster:
    DAEMONS = ("munged", "slurmctld", "slurmd")
    CLIENTS = ("sbatch", "squeue", "sinfo", "scontrol", "scancel")

    def __init__(self):
        self.bin = {}
        self.dir = None
        self.procs = {}
        self.env = None

    # --- start ---------------------------------------------------------
    def __enter__(self):
        try:
            self._start()
        except (OSError, subprocess.SubprocessError) as e:
            self.stop()
            raise Skip("the cluster cannot start: %s" % e)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _which(self, name):
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin")
        if not path:
            raise Skip("%s not found (Debian: apt-get install slurmctld slurmd slurm-client munge; "
                       "cmake/setup-debian.sh does)" % name)
        return path

    def _start(self):
        if os.geteuid() != 0:
            raise Skip("not root: the daemons of a test cluster (munged, slurmctld, slurmd) run as root")
        self.bin = {n: self._which(n) for n in self.DAEMONS + self.CLIENTS}
        self.dir = tempfile.mkdtemp(prefix="nms_slurm_")
        os.chmod(self.dir, 0o700)  # munged refuses a socket folder that others can write
        d = self.dir
        for sub in ("state", "spool"):
            os.mkdir(os.path.join(d, sub), 0o700)
        self.host = socket.gethostname().split(".")[0]
        self.conf = os.path.join(d, "slurm.conf")
        self.sock = os.path.join(d, "munge.socket")
        # The Slurm commands on the PATH of the tests and of the scripts they run.
        path = os.pathsep.join([os.path.dirname(self.bin["sbatch"]), os.environ.get("PATH", "")])
        self.env = dict(os.environ, SLURM_CONF=self.conf, PATH=path)
        self.env.pop("SLURM_JOB_ID", None)  # (a test run from inside a Slurm job)
        self._start_munge()
        self._write_conf()
        self._spawn("slurmctld", [self.bin["slurmctld"], "-D", "-f", self.conf])
        self._spawn("slurmd", [self.bin["slurmd"], "-D", "-f", self.conf, "-N", self.host])
        self._wait_idle(60)

    def _spawn(self, name, argv):
        log = open(os.path.join(self.dir, name + ".out"), "w")
        # A session of its own: the daemons never get the test's terminal signals.
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                            start_new_session=True, stdin=subprocess.DEVNULL)
        log.close()

    def _start_munge(self):
        d = self.dir
        key = os.path.join(d, "munge.key")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, os.urandom(1024))
        os.close(fd)
        self._spawn("munged", [self.bin["munged"], "-F", "--force", "--key-file", key, "--socket", self.sock,
                               "--pid-file", os.path.join(d, "munged.pid"), "--log-file",
                               os.path.join(d, "munged.log"), "--seed-file", os.path.join(d, "munged.seed")])
        deadline = time.time() + 15
        while not os.path.exists(self.sock):
            if self.procs["munged"].poll() is not None or time.time() > deadline:
                raise Skip("munged did not start:\n" + tail(os.path.join(d, "munged.out")) +
                           tail(os.path.join(d, "munged.log")))
            time.sleep(0.1)

    def _write_conf(self):
        d = self.dir
        cpus = len(os.sched_getaffinity(0))
        with open("/proc/meminfo") as f:
            mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
        conf = f"""# A one-node test cluster (tests/slurm/slurm_cluster.py).
ClusterName=nmstest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: a requeued job waits this long before it runs again (default 120 s)
AuthInfo=socket={self.sock},cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
# scheduling passes every 1-2 s, not 30-60 s: the requeued task starts when it may
SchedulerParameters=sched_interval=2,bf_interval=1
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ReturnToService=2
SlurmdParameters=config_overrides
KillWait=5
MinJobAge=600
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem_kb // 1024 * 3 // 4} State=UNKNOWN
PartitionName=test Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
"""
        with open(self.conf, "w") as f:
            f.write(conf)
        with open(os.path.join(d, "cgroup.conf"), "w") as f:
            f.write("# No cgroups: proctrack/linuxproc, task/none.\nCgroupAutomount=no\nConstrainCores=no\n"
                    "ConstrainRAMSpace=no\n")

    def _wait_idle(self, timeout):
        deadline = time.time() + timeout
        state = ""
        while time.time() < deadline:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise Skip("%s exited with %s:\n%s%s" % (name, p.returncode,
                                                             tail(os.path.join(self.dir, name + ".out")),
                                                             tail(os.path.join(self.dir, name + ".log"))))
            r = self.run(["sinfo", "-h", "-N", "-o", "%T"], check=False)
            state = r.stdout.strip()
            if r.returncode == 0 and state == "idle":
                return
            time.sleep(0.5)
        raise Skip("the node is not idle after %d s (sinfo: %r):\n%s%s" %
                   (timeout, state, tail(os.path.join(self.dir, "slurmctld.log")),
                    tail(os.path.join(self.dir, "slurmd.log"))))

    # --- use -----------------------------------------------------------
    def run(self, argv, check=True, timeout=60, **kw):
        """A command with SLURM_CONF set; its output as text."""
        argv = [self.bin.get(argv[0], argv[0])] + list(argv[1:])
        r = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout, **kw)
        if check and r.returncode != 0:
            raise Failed("%s: exit %d\n%s%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
        return r

    def wait_queue_empty(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.run(["squeue", "-h"], check=False)
            if r.returncode == 0 and not r.stdout.strip():
                return
            time.sleep(1)
        raise Failed("jobs still queued after %d s:\n%s" % (timeout, self.run(["squeue"], check=False).stdout))

    def jobs(self, job_id):
        """(JobId, ArrayTaskId, JobState, ExitCode, Restarts) of a job or of every task of an array."""
        out = self.run(["scontrol", "-o", "show", "job", str(job_id)]).stdout
        rows = []
        for line in out.splitlines():
            f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            rows.append((f.get("JobId"), f.get("ArrayTaskId"), f.get("JobState"), f.get("ExitCode"),
                         int(f.get("Restarts", "0"))))
        return rows

    def logs(self):
        return "".join("--- %s\n%s" % (n, tail(os.path.join(self.dir, n), 25))
                       for n in ("slurmctld.log", "slurmd.log", "munged.log"))

    # --- stop ----------------------------------------------------------
    def stop(self):
        if self.env and "slurmctld" in self.procs:
            try:  # end the jobs first: their slurmstepd outlive slurmd
                self.run(["scancel", "--user=root", "--quiet"], check=False, timeout=10)
                deadline = time.time() + 10
                while time.time() < deadline and self.run(["squeue", "-h"], check=False, timeout=10).stdout.strip():
                    time.sleep(0.5)
            except (OSError, subprocess.SubprocessError):
                pass
        for name in reversed(list(self.procs)):
            p = self.procs[name]
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = {}
        if self.dir:
            self._kill_leftovers()
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _kill_leftovers(self):
        """Processes this cluster started that are still there (slurmstepd, job steps): those whose
        environment names this cluster's slurm.conf, by their process id."""
        mark = ("SLURM_CONF=" + self.conf).encode()
        for pid in filter(str.isdigit, os.listdir("/proc")):
            if int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/environ" % pid, "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if mark in env:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass


# --- the tests ---------------------------------------------------------------

def trivial_test(c, work):
    """The cluster alone: one job runs and writes its output."""
    out = os.path.join(work, "wrap.out")
    job = c.run(["sbatch", "--parsable", "--output", out, "--wrap", "echo ran on $(hostname)"]).stdout.strip()
    c.wait_queue_empty(60)
    rows = c.jobs(job.split(";")[0])
    if [r[2] for r in rows] != ["COMPLETED"]:
        raise Failed("job %s: %s\n%s" % (job, rows, c.logs()))
    with open(out) as f:
        print("job %s: %s" % (job, f.read().strip()))


def h5_datasets(path):
    import h5py
    out = {}
    with h5py.File(path, "r", locking=False) as f:
        f.visititems(lambda name, o: out.__setitem__(name, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def compare_results(merged, single):
    """Every dataset of the two files, bit for bit (NaN equal to NaN); attributes (timings,
    provenance) may differ."""
    import numpy as np
    a, b = h5_datasets(merged), h5_datasets(single)
    if set(a) != set(b):
        raise Failed("datasets differ: only merged %s, only single %s" % (sorted(set(a) - set(b)),
                                                                          sorted(set(b) - set(a))))
    for name in sorted(a):
        x, y = np.asarray(a[name]), np.asarray(b[name])
        if x.dtype != y.dtype or x.shape != y.shape:
            raise Failed("%s: %s%s merged, %s%s single" % (name, x.dtype, x.shape, y.dtype, y.shape))
        if x.dtype.kind in "fc":
            same = np.array_equal(x, y, equal_nan=True)
        elif x.dtype.kind in "biuSU":
            same = np.array_equal(x, y)
        else:  # compound, opaque, variable-length: element by element
            same = x.tobytes() == y.tobytes() if x.dtype.kind == "V" else all(
                u == v for u, v in zip(x.ravel().tolist(), y.ravel().tolist()))
        if not same:
            raise Failed("%s differs between the merged file and the single run" % name)
    return len(a)


class Campaign:
    """A copy of the test's spec in the work folder (its result named `name`.h5), nmsweep run there."""

    def __init__(self, c, nmsweep, spec_src, work, name):
        self.c, self.nmsweep, self.work, self.name = c, nmsweep, work, name
        self.spec = os.path.join(work, name + ".toml")
        with open(spec_src) as f:
            text = f.read()
        with open(self.spec, "w") as f:
            f.write(re.sub(r'(?m)^path = ".*"$', 'path = "%s.h5"' % name, text))
        self.logs = os.path.join(work, name + ".slurm-logs")

    def nms(self, *args):
        r = subprocess.run([self.nmsweep] + list(args), cwd=self.work, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise Failed("nmsweep %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r.stdout

    def submit(self, *slurm_args):
        """`nmsweep slurm SPEC ARGS`, then `bash SCRIPT`: its output."""
        print(self.nms("slurm", self.spec, "--cpus-per-task", "1", "--time", "10:00", *slurm_args), end="")
        r = self.c.run(["bash", os.path.join(self.work, self.name + ".slurm.sh")], cwd=self.work)
        print(r.stdout, end="")
        return r.stdout

    def interrupt(self, job, started):
        """USR1 to the shell of `job` (as --signal=B:USR1 sends it before the time limit) once it runs
        and `started()` says that its nmsweep has begun writing."""
        deadline = time.time() + 60
        while self.c.run(["squeue", "-h", "-j", job, "-o", "%T"], check=False).stdout.strip() != "RUNNING":
            if time.time() > deadline:
                raise Failed("job %s not running after 60 s\n%s" % (job, self.c.logs()))
            time.sleep(0.2)
        while not started():
            if time.time() > deadline:
                raise Failed("job %s wrote no result after 60 s\n%s" % (job, self.c.logs()))
            time.sleep(0.1)
        time.sleep(0.5)
        self.c.run(["scancel", "--batch", "--signal=USR1", job])

    def job_logs(self):
        return "".join("--- %s\n%s" % (n, tail(os.path.join(self.logs, n))) for n in sorted(os.listdir(self.logs)))

    def check(self, what, rows, n, requeued):
        """Every row COMPLETED with exit 0, the n-th (in task order) requeued at least once."""
        rows = sorted(rows, key=lambda t: int(t[1] or 0))
        print(what + ":", rows)
        if len(rows) != n or any(t[2:4] != ("COMPLETED", "0:0") for t in rows):
            raise Failed("%s: %s\n%s" % (what, rows, self.job_logs()))
        if requeued is not None and rows[requeued][4] < 1:
            raise Failed("%s: not requeued: %s\n%s" % (what, rows, self.job_logs()))

    def compare(self, single):
        result = os.path.join(self.work, self.name + ".h5")
        print("".join(self.nms("info", result).splitlines(True)[:2]), end="")
        n = compare_results(result, single)
        print("%s.h5 = a single run: %d datasets, bit for bit" % (self.name, n))


def single_run(k):
    single = os.path.join(k.work, "single.h5")
    k.nms("run", k.spec, "-o", single, "--backend", "cpu", "-q", "--overwrite")
    return single


def campaign_test(c, nmsweep, spec_src, work):
    """The README's workflow: `nmsweep slurm --array 3`, `bash SCRIPT`, one task interrupted the way
    Slurm warns before a time limit (USR1 to the job's shell) and requeued, the merge after the
    array; the merged file equals a single run's, dataset by dataset."""
    k = Campaign(c, nmsweep, spec_src, work, "campaign")
    out = k.submit("--array", "3")
    array_id = re.search(r"job array (\d+)", out).group(1)
    merge_id = re.search(r"merge job (\d+)", out).group(1)
    # Task 1 has started once its part is being written (OUT.partial until its first batch is done);
    # interrupted, nmsweep exits 75, the task requeues itself and resumes its part.
    part = os.path.join(work, "campaign.part1of3.h5")
    k.interrupt("%s_1" % array_id, lambda: os.path.exists(part + ".partial") or os.path.exists(part))
    c.wait_queue_empty(180)
    k.check("array", c.jobs(array_id), 3, 1)
    k.check("merge", c.jobs(merge_id), 1, None)
    print("task 1's log:", tail(os.path.join(k.logs, "%s_1.out" % array_id)), end="")
    k.compare(single_run(k))


def mpi_test(c, nmsweep, spec_src, work):
    """`nmsweep slurm --mpi 2`: one job of two ranks (mpirun), interrupted and requeued like a task;
    its result equals a single run's."""
    k = Campaign(c, nmsweep, spec_src, work, "campaign_mpi")
    c.env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")  # (the test runs as root)
    out = k.submit("--mpi", "2")
    job = re.search(r"job (\d+): 2 MPI ranks", out).group(1)
    # The ranks have started once they write their files (<out stem>.rank<r>.h5).
    k.interrupt(job, lambda: bool(glob.glob(os.path.join(work, "campaign_mpi.rank*.h5*"))))
    c.wait_queue_empty(180)
    k.check("mpi job", c.jobs(job), 1, 0)
    print("the job's log:", "".join(tail(os.path.join(k.logs, n)) for n in os.listdir(k.logs)), end="")
    k.compare(single_run(k))


def main(argv):
    mode = argv[0] if argv and argv[0] in ("--trivial", "--mpi") else ""
    args = argv[1:] if mode else argv
    if (mode == "--trivial" and len(args) != 1) or (mode != "--trivial" and len(args) != 3):
        print(__doc__, file=sys.stderr)
        return 2
    work = os.path.abspath(args[-1])
    if mode != "--trivial":
        try:
            import h5py, numpy  # noqa: F401
        except ImportError as e:
            print("slurm_cluster: SKIPPED: the comparison of the results needs h5py and numpy (%s)" % e)
            return SKIP
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    t0 = time.time()
    try:
        with SlurmCluster() as c:
            print("slurm_cluster: node %s idle after %.1f s (%s)" % (c.host, time.time() - t0, c.dir))
            if mode == "--trivial":
                trivial_test(c, work)
            else:
                body = mpi_test if mode == "--mpi" else campaign_test
                body(c, os.path.abspath(args[0]), os.path.abspath(args[1]), work)
    except Skip as e:
        print("slurm_cluster: SKIPPED: %s" % e)
        return SKIP
    except Failed as e:
        print("slurm_cluster: FAILED: %s" % e)
        return 1
    print("slurm_cluster: passed in %.0f s" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
