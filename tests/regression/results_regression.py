#!/usr/bin/env python3
"""Result files before and after a change, compared dataset by dataset.

  results_regression.py check NMSWEEP WORKDIR     run every spec of specs/ with NMSWEEP and
                                                  compare each file with its reference/
  results_regression.py make NMSWEEP WORKDIR      (re)write reference/ with NMSWEEP: only with
                                                  a build of the code the references stand for
  results_regression.py compare A.h5 B.h5 [--rtol R]
  results_regression.py examples OLD NEW WORKDIR  every spec of examples/, full size, run by two
                                                  builds and compared (minutes; not in CI)

specs/ holds small copies of the example specs and of the specs the tests
write result files with, one family of outputs or options each; their
header line "# runs: ARGS" gives the run (default `run --precision double`,
several lines for several runs: e.g. also float, or `simulate`). A reference
file stores every dataset (gzip) and every attribute of a result file but
the provenance that differs between runs (times, thread count, revision).

Compared: the same datasets, shapes, dtypes and attributes; values equal bit
for bit (NaN equal to NaN), or within --rtol (relative to the dataset's
largest magnitude) where given; float runs within 1e-6. Paths inside
attributes are compared relative to the repository root. Exit 1 on any
difference, 77 when h5py/numpy are missing.
"""
import glob
import os
import shlex
import subprocess
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    print("h5py/numpy not installed: skipped")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPECS = os.path.join(HERE, "specs")
REFS = os.path.join(HERE, "reference")
# Attributes that differ between two runs of the same spec.
PROVENANCE = {"created", "finished", "wall_seconds", "node_steps_per_second", "threads", "git_revision",
              "kernel_seconds", "device", "mapping", "nmsweep_version", "lanes"}
# HDF5 dimension-scale bookkeeping (object references): the labels are compared instead.
SCALE_ATTRS = {"DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"}
FLOAT_RTOL = 1e-6


def norm_attr(v):
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    if isinstance(v, str):
        return v.replace(ROOT, "{root}")
    if isinstance(v, np.ndarray) and v.dtype.kind in "OSU":
        return [norm_attr(x) for x in v.tolist()]
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def attrs_of(obj):
    return {k: norm_attr(v) for k, v in obj.attrs.items() if k not in PROVENANCE and k not in SCALE_ATTRS}


def load(path):
    """Every group's and dataset's attributes and every dataset's values."""
    out = {}
    with h5py.File(path, "r", locking=False) as f:
        out["/"] = ("group", attrs_of(f), None)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = ("dataset", attrs_of(obj), obj[()])
            else:
                out[name] = ("group", attrs_of(obj), None)

        f.visititems(visit)
    return out


def same_values(a, b, rtol):
    if a.shape != b.shape:
        return f"shape {a.shape} != {b.shape}"
    if a.dtype != b.dtype:
        return f"dtype {a.dtype} != {b.dtype}"
    if a.dtype.kind not in "fc":
        return None if np.array_equal(a, b) else "values differ"
    if rtol == 0:
        # Bit for bit, every NaN equal to every NaN.
        na, nb = np.isnan(a), np.isnan(b)
        if not np.array_equal(na, nb):
            return "NaN positions differ"
        if np.where(na, 0, a).tobytes() == np.where(nb, 0, b).tobytes():
            return None
        d = np.abs(a[~na] - b[~nb])
        return f"values differ (largest difference {d.max():.3g})"
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb) or not np.array_equal(a[~fa], b[~fb], equal_nan=True):
        return "non-finite entries differ"
    if not fa.any():
        return None
    scale = max(np.abs(a[fa]).max(), np.abs(b[fb]).max())
    d = np.abs(a[fa] - b[fb]).max()
    return None if d <= rtol * scale else f"values differ by {d:.3g} (rtol {rtol:g} of {scale:.3g})"


def compare(a_path, b_path, rtol=0.0):
    """The differences between two result (or reference) files, as lines."""
    a, b = load(a_path), load(b_path)
    problems = []
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            problems.append(f"{name}: only in {b_path if name in b else a_path}")
            continue
        (ka, aa, va), (kb, ab, vb) = a[name], b[name]
        if ka != kb:
            problems.append(f"{name}: a {ka} in one file, a {kb} in the other")
            continue
        for k in sorted(set(aa) | set(ab)):
            if aa.get(k) != ab.get(k):
                problems.append(f"{name}: attribute {k}: {str(aa.get(k))[:80]!r} != {str(ab.get(k))[:80]!r}")
        if ka == "dataset":
            why = same_values(np.asarray(va), np.asarray(vb), rtol)
            if why:
                problems.append(f"{name}: {why}")
    return problems


def write_reference(result, ref):
    """A compact copy of a result file: gzip datasets, attributes as stored."""
    tmp = ref + ".tmp"
    with h5py.File(result, "r", locking=False) as src, h5py.File(tmp, "w") as dst:
        def copy_attrs(s, d):
            for k, v in s.attrs.items():
                if k in PROVENANCE or k in SCALE_ATTRS:
                    continue
                if isinstance(v, str):
                    v = v.replace(ROOT, "{root}")
                d.attrs[k] = v

        copy_attrs(src, dst)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                big = data.ndim > 0 and data.size > 16
                kw = dict(compression="gzip", compression_opts=9, shuffle=True) if big else {}
                d = dst.create_dataset(name, data=data, **kw)
            else:
                d = dst.require_group(name)
            copy_attrs(obj, d)

        src.visititems(visit)
    os.replace(tmp, ref)


def runs_of(spec):
    """The runs a spec asks for: (name suffix, nmsweep arguments)."""
    runs = []
    with open(spec) as f:
        for line in f:
            if line.startswith("# runs:"):
                runs.append(shlex.split(line[len("# runs:"):]))
    if not runs:
        runs = [["run", "--precision", "double"]]
    out = []
    for args in runs:
        suffix = args[0] + ("_" + args[args.index("--precision") + 1] if "--precision" in args else "")
        out.append((suffix, args))
    return out


def run_all(nmsweep, workdir):
    """Runs every spec; yields (reference name, result path, rtol)."""
    os.makedirs(workdir, exist_ok=True)
    for spec in sorted(glob.glob(os.path.join(SPECS, "*.toml"))):
        base = os.path.splitext(os.path.basename(spec))[0]
        for suffix, args in runs_of(spec):
            name = f"{base}.{suffix}"
            out = os.path.join(workdir, name + ".h5")
            cmd = [nmsweep, args[0], spec, "-o", out, "--overwrite", "-q", "--threads", "2"] + args[1:]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                raise SystemExit(f"{name}: `{shlex.join(cmd)}` failed ({p.returncode}):\n{p.stderr}")
            rtol = FLOAT_RTOL if "float" in args else 0.0
            yield name, out, rtol


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    mode = argv[1]
    if mode == "compare":
        rtol = float(argv[argv.index("--rtol") + 1]) if "--rtol" in argv else 0.0
        problems = compare(argv[2], argv[3], rtol)
        for p in problems:
            print(p)
        print("identical" if not problems else f"{len(problems)} differences")
        return 1 if problems else 0
    if mode == "make":
        os.makedirs(REFS, exist_ok=True)
        for name, out, _ in run_all(os.path.abspath(argv[2]), argv[3]):
            write_reference(out, os.path.join(REFS, name + ".h5"))
            print(f"{name}: reference written ({os.path.getsize(os.path.join(REFS, name + '.h5'))} bytes)")
        return 0
    if mode == "check":
        failed = n = 0
        names = set()
        for name, out, rtol in run_all(os.path.abspath(argv[2]), argv[3]):
            n += 1
            names.add(name)
            ref = os.path.join(REFS, name + ".h5")
            if not os.path.exists(ref):
                print(f"{name}: no reference file (run `make` with the build the references stand for)")
                failed += 1
                continue
            tmp = out + ".ref.h5"
            write_reference(out, tmp)  # the same form as the reference
            problems = compare(ref, tmp, rtol)
            for p in problems[:20]:
                print(f"{name}: {p}")
            failed += bool(problems)
            print(f"{name}: {'identical' if not problems else 'DIFFERENT'}" + (f" (rtol {rtol:g})" if rtol else ""))
        stale = [os.path.basename(r) for r in glob.glob(os.path.join(REFS, "*.h5"))
                 if os.path.basename(r)[:-3] not in names]
        for s in stale:
            print(f"{s}: a reference without a spec")
        print(f"{n} result files, {failed} different, {len(stale)} stale references")
        return 1 if failed or stale else 0
    if mode == "examples":
        old, new, workdir = os.path.abspath(argv[2]), os.path.abspath(argv[3]), argv[4]
        os.makedirs(workdir, exist_ok=True)
        failed = 0
        for spec in sorted(glob.glob(os.path.join(ROOT, "examples", "*.toml"))):
            base = os.path.splitext(os.path.basename(spec))[0]
            for precision in ("double", "float"):
                outs = []
                for tag, exe in (("old", old), ("new", new)):
                    out = os.path.join(workdir, f"{base}.{precision}.{tag}.h5")
                    subprocess.run([exe, "run", spec, "-o", out, "--overwrite", "-q", "--precision", precision],
                                   check=True)
                    outs.append(out)
                problems = compare(outs[0], outs[1], 0.0)
                for p in problems[:20]:
                    print(f"{base} ({precision}): {p}")
                failed += bool(problems)
                print(f"{base} ({precision}): {'identical' if not problems else 'DIFFERENT'}")
        return 1 if failed else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
