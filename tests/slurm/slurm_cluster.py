#!/usr/bin/env python3
"""A real single-node Slurm cluster for one test, and the test of `nmsweep slurm` on it.

    slurm_cluster.py NMSWEEP SPEC WORKDIR            the campaign (see campaign_test)
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


def campaign_test(c, nmsweep, spec_src, work):
    """The README's workflow: `nmsweep slurm --array 3`, `bash SCRIPT`, one task interrupted the way
    Slurm warns before a time limit (USR1 to the job's shell) and requeued, the merge after the
    array; the merged file equals a single run's, dataset by dataset."""
    spec = os.path.join(work, "campaign.toml")
    shutil.copy(spec_src, spec)

    def nms(*args):
        r = subprocess.run([nmsweep] + list(args), cwd=work, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise Failed("nmsweep %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r.stdout

    print(nms("slurm", spec, "--array", "3", "--cpus-per-task", "1", "--time", "10:00"), end="")
    r = c.run(["bash", os.path.join(work, "campaign.slurm.sh")], cwd=work)
    print(r.stdout, end="")
    array_id = re.search(r"job array (\d+)", r.stdout).group(1)
    merge_id = re.search(r"merge job (\d+)", r.stdout).group(1)

    # Task 1 interrupted once its run is under way: the job's shell gets USR1 (as from
    # --signal=B:USR1), nmsweep exits 75, the task requeues itself and resumes its part.
    task = "%s_1" % array_id
    deadline = time.time() + 60
    while c.run(["squeue", "-h", "-j", task, "-o", "%T"], check=False).stdout.strip() != "RUNNING":
        if time.time() > deadline:
            raise Failed("task %s not running after 60 s\n%s" % (task, c.logs()))
        time.sleep(0.2)
    # Its run has started once its part is being written (OUT.partial until the first batch is done).
    part = os.path.join(work, "campaign.part1of3.h5")
    while not (os.path.exists(part + ".partial") or os.path.exists(part)):
        if time.time() > deadline:
            raise Failed("task %s wrote no part after 60 s\n%s" % (task, c.logs()))
        time.sleep(0.1)
    time.sleep(0.5)
    c.run(["scancel", "--batch", "--signal=USR1", task])
    c.wait_queue_empty(180)

    logs = os.path.join(work, "campaign.slurm-logs")
    def job_logs():
        return "".join("--- %s\n%s" % (n, tail(os.path.join(logs, n))) for n in sorted(os.listdir(logs)))
    tasks = c.jobs(array_id)
    merge = c.jobs(merge_id)
    print("array:", tasks, "merge:", merge)
    if sorted(t[1] for t in tasks) != ["0", "1", "2"] or any(t[2:4] != ("COMPLETED", "0:0") for t in tasks):
        raise Failed("array tasks %s\n%s" % (tasks, job_logs()))
    if [t[4] for t in sorted(tasks, key=lambda t: t[1])][1] < 1:
        raise Failed("task 1 was not requeued: %s\n%s" % (tasks, job_logs()))
    if [m[2:4] for m in merge] != [("COMPLETED", "0:0")]:
        raise Failed("merge job %s\n%s" % (merge, job_logs()))

    merged = os.path.join(work, "campaign.h5")
    single = os.path.join(work, "single.h5")
    nms("run", spec, "-o", single, "--backend", "cpu", "-q")
    print("".join(nms("info", merged).splitlines(True)[:2]), end="")
    print("task 1's log:", tail(os.path.join(logs, "%s_1.out" % array_id)), end="")
    n = compare_results(merged, single)
    print("merged result = single run: %d datasets, bit for bit" % n)


def main(argv):
    trivial = "--trivial" in argv
    args = [a for a in argv if a != "--trivial"]
    if (trivial and len(args) != 1) or (not trivial and len(args) != 3):
        print(__doc__, file=sys.stderr)
        return 2
    work = os.path.abspath(args[-1])
    if not trivial:
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
            if trivial:
                trivial_test(c, work)
            else:
                campaign_test(c, os.path.abspath(args[0]), os.path.abspath(args[1]), work)
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
