#!/usr/bin/env python3
"""Hostile inputs for nmsweep, generated and judged (issue "Nothing lost,
nothing crashes").

  adversarial.py NMSWEEP WORKDIR [--specs N] [--runs N] [--run-timeout S] [--results N] [--plots N]
                 [--seed S] [--only specs,data,results]

specs:   N mutations of the example and test specs (lines deleted,
         duplicated or swapped; numbers made 0, negative, huge, tiny, nan,
         inf; strings emptied, typo'd, made long; types changed; keys
         renamed; deep nesting, long arrays and dotted keys injected; bytes
         flipped; truncated). Each goes through `nmsweep check`; the first
         `--runs` accepted ones also through `nmsweep run` with a small
         budget. Judged: no signal, exit 0 or 2, no hang (check: 20 s), a
         rejection names the spec file (and a line where the TOML has one),
         and a failed run leaves no file.
data:    bad data files for every reader (weights/lengths, empirical FC,
         gains as text and .npy, sensors, initial states as csv/npy/h5):
         nan/inf, empty, ragged, binary junk, NUL bytes, huge or negative
         .npy shapes, truncated, a FIFO, a directory, a device, a dangling
         symlink. `nmsweep check` must exit 2 naming the file.
results: damaged copies of a real result file (bytes flipped in its
         structure, truncated, zeroed ranges, a foreign HDF5 file, text).
         `nmsweep info`, `run --resume` and the first `--plots` of them
         `nmsweep plot`: no signal, exit 0 or 2, no traceback, no hang.

Prints the counts per family; exit 1 when anything failed.
"""
import glob
import os
import random
import re
import shutil
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(cmd, timeout, cwd=None):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, errors="replace")
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        return "timeout", ""


class tally:
    def __init__(self, name):
        self.name, self.counts, self.failures, self.samples = name, {}, [], []

    def add(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1

    def fail(self, what):
        self.failures.append(what)
        print(f"FAIL [{self.name}]: {what}")

    def report(self):
        keys = ", ".join(f"{v} {k}" for k, v in sorted(self.counts.items()))
        print(f"{self.name}: {keys}; {len(self.failures)} failures")
        for m in self.samples[:int(os.environ.get("NMS_ADV_SAMPLES", "0"))]:
            print("   e.g.", m)


def judge(t, rc, out, label, names, want_line=False):
    """Common verdict: no signal, exit 0/2, no traceback; a rejection names
    one of `names` (and a line number when `want_line`)."""
    if rc == "timeout":
        t.fail(f"{label}: hang")
        return "hang"
    if rc < 0:
        t.fail(f"{label}: killed by signal {-rc}: {out[-300:]}")
        return "crash"
    if rc not in (0, 2):
        t.fail(f"{label}: exit status {rc}: {out[-300:]}")
        return "bad exit"
    if "Traceback" in out:
        t.fail(f"{label}: a Python traceback: {out[-300:]}")
        return "traceback"
    if rc == 2:
        if not any(n in out for n in names):
            t.fail(f"{label}: the message does not name the file: {out.strip()[:300]}")
        elif want_line and not re.search(r"\.toml:\d+", out):
            t.add("rejected without a line")
            t.samples.append(out.strip()[:240])
        return "rejected"
    return "accepted"


# ------------------------------------------------------------------ specs
NUMBERS = ["0", "-1", "1e308", "1e-300", "nan", "inf", "-inf", "123456789012345678", "0.0", "-0.5", "1e-9",
           "3.5e10", "2147483648"]


def mutate(text, rng):
    lines = text.split("\n")
    k = rng.randrange(len(lines))
    m = rng.randrange(14)
    if m == 0 and len(lines) > 1:
        del lines[k]
    elif m == 1:
        lines.insert(k, lines[k])
    elif m == 2:
        j = rng.randrange(len(lines))
        lines[k], lines[j] = lines[j], lines[k]
    elif m == 3:  # a number replaced
        nums = list(re.finditer(r"-?\d+(\.\d+)?(e-?\d+)?", lines[k]))
        if nums:
            n = rng.choice(nums)
            lines[k] = lines[k][: n.start()] + rng.choice(NUMBERS) + lines[k][n.end():]
    elif m == 4:  # a string replaced
        strs = list(re.finditer(r'"[^"]*"', lines[k]))
        if strs:
            s = rng.choice(strs)
            new = rng.choice(['""', '"x"', '"' + "a" * 5000 + '"', '"../../../../etc/passwd"', '"\\u00e9\\u4e2d"',
                              '"' + s.group()[1:-1][::-1] + '"', '"/dev/zero"', '"synthetic:999999999"'])
            lines[k] = lines[k][: s.start()] + new + lines[k][s.end():]
    elif m == 5:  # a type changed
        if "=" in lines[k]:
            key = lines[k].split("=", 1)[0]
            lines[k] = key + "= " + rng.choice(['"text"', "[1, 2]", "{ a = 1 }", "true", "[[1], [2]]", "[]", "{}"])
    elif m == 6:  # a key renamed
        if "=" in lines[k]:
            key, val = lines[k].split("=", 1)
            key = key.strip()
            lines[k] = (key[:-1] if len(key) > 1 else key + "x") + " =" + val
    elif m == 7:  # deep nesting
        d = rng.choice([10, 63, 65, 200, 5000])
        lines.insert(k, "deep = " + "[" * d + "1" + "]" * d)
    elif m == 8:  # a long array
        n = rng.choice([100, 5000, 100000])
        lines.insert(k, "values = [" + ", ".join(str(0.1 + i * 1e-6) for i in range(n)) + "]")
    elif m == 9:  # dotted keys
        n = rng.choice([3, 64, 70, 3000])
        lines.insert(k, "a" + ".b" * n + " = 1")
    elif m == 10:  # bytes flipped
        b = bytearray("\n".join(lines).encode())
        for _ in range(rng.randint(1, 5)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    elif m == 11:  # truncated
        t = "\n".join(lines).encode()
        return t[: rng.randrange(len(t))] if len(t) > 1 else t
    elif m == 12:  # a section removed
        heads = [i for i, l in enumerate(lines) if l.startswith("[")]
        if heads:
            i = rng.choice(heads)
            j = next((h for h in heads if h > i), len(lines))
            del lines[i:j]
    else:  # a table header duplicated or made an array of tables
        heads = [i for i, l in enumerate(lines) if l.startswith("[") and not l.startswith("[[")]
        if heads:
            i = rng.choice(heads)
            lines.insert(i, lines[i].replace("[", "[[", 1).replace("]", "]]", 1))
    return "\n".join(lines).encode()


def seed_specs():
    specs = glob.glob(os.path.join(ROOT, "examples", "*.toml"))
    specs += glob.glob(os.path.join(ROOT, "tests", "data", "specs", "good_*.toml"))
    specs += glob.glob(os.path.join(ROOT, "tests", "data", "observe", "*.toml"))
    specs += [os.path.join(ROOT, "tests", "data", "cli", "small_jr.toml"),
              os.path.join(HERE, "every_feature.toml")]
    return sorted(specs)


def mirror(work, src_dir, cache={}):
    """A folder in WORK that stands for SRC_DIR: links to everything in it, and
    in its parent links to everything beside it, so that a spec written there
    resolves "data/x" and "../x" as beside the original (the checkout stays
    untouched: other tests list its folders)."""
    if src_dir not in cache:
        root = os.path.join(work, f"mirror_{len(cache)}")
        here = os.path.join(root, os.path.basename(src_dir))
        os.makedirs(here, exist_ok=True)
        parent = os.path.dirname(src_dir)
        for d, dst in ((src_dir, here), (parent, root)):
            for name in os.listdir(d):
                link = os.path.join(dst, name)
                if not os.path.lexists(link) and os.path.join(d, name) != src_dir:
                    os.symlink(os.path.join(d, name), link)
        cache[src_dir] = here
    return cache[src_dir]


def spec_family(nms, work, n, n_runs, run_timeout, rng):
    t = tally("mutated specs")
    seeds = seed_specs()
    runs = 0
    for i in range(n):
        src = rng.choice(seeds)
        text = open(src).read()
        data = text.encode()
        for _ in range(rng.randint(1, 3)):
            data = mutate(data.decode("utf-8", "replace"), rng)
        # As if beside the original, so that its relative data paths resolve.
        path = os.path.join(mirror(work, os.path.dirname(src)), f".adv_{os.getpid()}_{i}.toml")
        out = os.path.join(work, f"spec_{i}.h5")
        try:
            open(path, "wb").write(data)
            rc, msg = run([nms, "check", path], 20)
            verdict = judge(t, rc, msg, f"check {src} mutation {i}", [os.path.basename(path)], want_line=True)
            if os.environ.get("NMS_ADV_KEEP") and "TOML:" in msg:
                shutil.copy(path, os.path.join(work, f"kept_{i}.toml"))
            t.add(verdict)
            if verdict == "accepted" and runs < n_runs:
                runs += 1
                rc, msg = run([nms, "run", "-q", "--threads", "2", path, "-o", out], run_timeout)
                if rc == "timeout":
                    t.add(f"run longer than {run_timeout} s (stopped)")
                else:
                    v = judge(t, rc, msg, f"run {src} mutation {i}", [os.path.basename(path), out])
                    t.add("run " + v)
                    if rc == 2 and (os.path.exists(out) or os.path.exists(out + ".partial")) and \
                            "disk" not in msg:
                        t.fail(f"run {src} mutation {i}: a failed run left {out}: {msg.strip()[:200]}")
        finally:
            for p in (path, out, out + ".partial"):
                if os.path.exists(p):
                    os.remove(p)
    t.report()
    return t


# ------------------------------------------------------------------ data files
def npy_bytes(header, payload=b""):
    h = header.encode()
    h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(h).to_bytes(2, "little") + h + payload


def bad_contents():
    f8 = "{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }"
    return {
        "nan.txt": b"0 1\nnan 0\n",
        "inf.txt": b"0 inf\n1 0\n",
        "overflow.txt": b"0 1e999\n1 0\n",
        "empty.txt": b"",
        "ragged.txt": b"0 1 2\n1 0\n",
        "junk.txt": bytes(range(256)) * 4,
        "nul.txt": b"0 1\n1 \x000\n",
        "letters.txt": b"0 a\nb 0\n",
        "negative.txt": b"0 -1\n-1 0\n",
        "longline.txt": (" ".join(["1"] * 200000) + "\n").encode(),
        "huge_shape.npy": npy_bytes(f8 % "4611686018427387904, 4"),
        "overflow_shape.npy": npy_bytes(f8 % "18446744073709551615, 18446744073709551615"),
        "neg_shape.npy": npy_bytes(f8 % "-1, 8"),
        "one_dim.npy": npy_bytes(f8 % "8,", b"\0" * 64),
        "truncated.npy": npy_bytes(f8 % "8, 8", b"\0" * 10),
        "bad_dtype.npy": npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (8, 8), }", b"\0" * 512),
        "no_header.npy": b"\x93NUMPY\x01\x00\xff\xff",
        "nan.npy": npy_bytes(f8 % "2, 2", b"\x00" * 8 + b"\x00\x00\x00\x00\x00\x00\xf8\x7f" + b"\0" * 16),
        "text.npy": b"not numpy at all\n",
        "text.h5": b"not hdf5\n",
        "junk.h5": b"\x89HDF\r\n\x1a\n" + bytes(random.Random(3).randrange(256) for _ in range(4000)),
        "sensors_short.txt": b"E1 1 2\n",
        "sensors_nan.txt": b"E1 1 2 nan\nE2 0 0 0\n",
        "sensors_dup.txt": b"E1 1 2 3\nE1 1 2 3\n",
    }


SPEC_TEMPLATE = """[model]
name = "jansen_rit"
[network]
connectome = "{conn}"
[coupling]
kind = "sigmoidal_jansen_rit"
[integrator]
dt = 0.1
duration = 100.0
transient = 10.0
{initial}
[output]
path = "{out}"
features = ["std", "fc"]
{extra}
"""


def data_family(nms, work, rng):
    t = tally("bad data files")
    d = os.path.join(work, "data")
    os.makedirs(d, exist_ok=True)
    files = {}
    for name, content in bad_contents().items():
        p = os.path.join(d, name)
        open(p, "wb").write(content)
        files[name] = p
    fifo = os.path.join(d, "fifo.txt")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    files["fifo.txt"] = fifo
    files["directory.txt"] = d
    files["device.txt"] = "/dev/zero"
    link = os.path.join(d, "dangling.txt")
    if not os.path.lexists(link):
        os.symlink(os.path.join(d, "nowhere"), link)
    files["dangling.txt"] = link
    good = os.path.join(ROOT, "tests", "data", "observe", "gain_3x8.csv")
    good8 = os.path.join(ROOT, "tests", "data", "observe", "empirical_fc_8.csv")
    sensors = os.path.join(ROOT, "tests", "data", "observe", "seeg_3.txt")
    roles = {
        "weights": lambda p: dict(conn=f"{p},{good8}"),
        "lengths": lambda p: dict(conn=f"{good8},{p}"),
        "empirical FC": lambda p: dict(extra=f'[output.fc]\nempirical = "{p}"'),
        "gain": lambda p: dict(extra=f'[[output.sensors]]\nname = "g"\ngain = "{p}"'),
        "sensors": lambda p: dict(extra=f'[[output.sensors]]\nname = "s"\nsensors = "{p}"\ngain = "inverse_square"'),
        "initial states": lambda p: dict(initial=f'[initial]\nfile = "{p}"' +
                                         ('\ndataset = "x"' if p.endswith(".h5") else "")),
    }
    for role, make in roles.items():
        for name, p in files.items():
            if role == "sensors" and not (name.startswith("sensors") or name.endswith(".txt")):
                continue
            if role != "sensors" and name.startswith("sensors"):
                continue
            kw = dict(conn="synthetic:8:1", initial="", extra="", out=os.path.join(work, "data_run.h5"))
            kw.update(make(p))
            spec = os.path.join(work, "data_spec.toml")
            open(spec, "w").write(SPEC_TEMPLATE.format(**kw))
            rc, msg = run([nms, "check", spec], 20)
            label = f"{role} = {name}"
            v = judge(t, rc, msg, label, [p, os.path.basename(p)])
            if v == "accepted":
                t.fail(f"{label}: accepted")
            t.add(v)
    t.report()
    return t


# ------------------------------------------------------------------ result files
def result_family(nms, work, n, n_plots, rng):
    t = tally("damaged result files")
    spec = os.path.join(ROOT, "tests", "data", "cli", "small_jr.toml")
    good = os.path.join(work, "good.h5")
    rc, msg = run([nms, "run", "-q", "--overwrite", spec, "-o", good, "--batch-size", "4",
                   "--stop-after-batches", "2"], 120)
    if rc != 0:
        sys.exit(f"cannot make the result to damage: {msg}")
    raw = open(good, "rb").read()
    variants = []
    for i in range(n):
        b = bytearray(raw)
        kind = i % 5
        if kind == 0:  # bytes flipped in the first 16 KiB (superblock, headers, B-trees)
            for _ in range(rng.randint(1, 20)):
                b[rng.randrange(min(len(b), 16384))] = rng.randrange(256)
        elif kind == 1:  # bytes flipped anywhere
            for _ in range(rng.randint(1, 50)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind == 2:  # truncated
            b = b[: rng.randrange(len(b))]
        elif kind == 3:  # a range zeroed
            a = rng.randrange(len(b))
            b[a:a + rng.randint(8, 4096)] = bytes(min(len(b) - a, 4096))[: len(b[a:a + 4096])]
        else:  # a block copied over another
            a, c, ln = rng.randrange(len(b)), rng.randrange(len(b)), rng.randint(16, 2048)
            chunk = bytes(b[a:a + ln])
            b[c:c + len(chunk)] = chunk
        variants.append(bytes(b))
    variants.append(b"plain text, not HDF5\n")
    n_failed = 0
    for i, data in enumerate(variants):
        p = os.path.join(work, f"damaged_{i}.h5")
        open(p, "wb").write(data)
        rc, msg = run([nms, "info", p], 90)
        t.add("info " + judge(t, rc, msg, f"info damaged_{i}", [p]))
        rc, msg = run([nms, "run", "-q", "--resume", spec, "-o", p, "--batch-size", "4"], 150)
        t.add("resume " + judge(t, rc, msg, f"resume damaged_{i}", [p]))
        if i < n_plots:
            rc, msg = run([nms, "plot", p, "map", "std", "-o", os.path.join(work, "x.png")], 120)
            t.add("plot " + judge(t, rc, msg, f"plot damaged_{i}", [p]))
        if len(t.failures) > n_failed:  # keep the evidence
            open(os.path.join(work, f"failed_damaged_{i}.h5"), "wb").write(data)
        n_failed = len(t.failures)
        for q in (p, p + ".partial"):
            if os.path.exists(q):
                os.remove(q)
    t.report()
    return t


def main():
    nms, work = sys.argv[1], sys.argv[2]
    opts = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    rng = random.Random(int(opts.get("--seed", 1)))
    os.makedirs(work, exist_ok=True)
    nms = os.path.abspath(nms)
    work = os.path.abspath(work)
    only = opts.get("--only", "specs,data,results").split(",")
    families = []
    if "specs" in only:
        families.append(spec_family(nms, work, int(opts.get("--specs", 300)), int(opts.get("--runs", 20)),
                                    float(opts.get("--run-timeout", 60)), rng))
    if "data" in only:
        families.append(data_family(nms, work, rng))
    if "results" in only:
        families.append(result_family(nms, work, int(opts.get("--results", 52)), int(opts.get("--plots", 8)), rng))
    bad = sum(len(f.failures) for f in families)
    for f in families:
        f.report()
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
