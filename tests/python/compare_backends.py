#!/usr/bin/env python3
"""The same sweep run with --backend cpu and --backend cuda must give the same
result file apart from provenance: every dataset equal within the precision's
tolerance (float specs: relative 2e-3 of each dataset's range; double: 1e-8, FCD 1e-6),
integer datasets and the dataset list identical. The GPU runs once with each
thread mapping (--gpu-mapping instance and node).

usage: compare_backends.py NMSWEEP OUTDIR SPEC... ; exit 77 (skipped) when
h5py/numpy are missing, this machine has no usable CUDA device or the build
has no CUDA backend."""
import os
import subprocess
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    print("h5py/numpy not installed: skipped")
    sys.exit(77)


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def main():
    nms, outdir, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    failures = 0
    for spec in specs:
        stem = os.path.splitext(os.path.basename(spec))[0]
        files = {}
        for backend, mapping in (("cpu", None), ("cuda", "instance"), ("cuda", "node")):
            out = os.path.join(outdir, f"{stem}_{backend}{'_' + mapping if mapping else ''}.h5")
            extra = ["--gpu-mapping", mapping] if mapping else []
            r = subprocess.run([nms, "run", "-q", "--overwrite", "--backend", backend, *extra, spec, "-o", out],
                               capture_output=True, text=True)
            if r.returncode != 0:
                if backend == "cuda" and "no usable CUDA device" in r.stderr + r.stdout:
                    print("no CUDA device: skipped")
                    sys.exit(77)
                if backend == "cuda" and "has no CUDA backend" in r.stderr + r.stdout:
                    print("a build without the CUDA backend: skipped")
                    sys.exit(77)
                print(f"{spec}: --backend {backend} failed ({r.returncode}): {r.stderr}")
                sys.exit(1)
            files[mapping or backend] = out
        for mapping in ("instance", "node"):
            failures += compare(stem + f" [{mapping} mapping]", files["cpu"], files[mapping], mapping)
    print("FAILED" if failures else "all datasets agree")
    sys.exit(1 if failures else 0)


def compare(stem, cpu_file, gpu_file, mapping):
    failures = 0
    with h5py.File(cpu_file) as fc, h5py.File(gpu_file) as fg:
        assert fc.attrs["backend"] == "cpu" and fg.attrs["backend"] == "cuda", (fc.attrs["backend"], fg.attrs["backend"])
        assert fg.attrs["gpu_mapping"] == mapping, fg.attrs["gpu_mapping"]
        double = fc.attrs["precision"] == "double"
        dc, dg = datasets(fc), datasets(fg)
        if sorted(dc) != sorted(dg):
            print(f"{stem}: dataset lists differ: {sorted(set(dc) ^ set(dg))}")
            return 1
        for name in sorted(dc):
            a, b = np.asarray(dc[name]), np.asarray(dg[name])
            if a.shape != b.shape:
                print(f"{stem}: {name}: shapes {a.shape} vs {b.shape}")
                failures += 1
                continue
            if a.dtype.kind not in "fc":
                ok = np.array_equal(a, b)
                worst = 0.0 if ok else float(np.count_nonzero(a != b))
            else:
                finite = np.isfinite(a)
                ok = np.array_equal(finite, np.isfinite(b))
                scale = float(np.max(np.abs(a[finite]))) if finite.any() else 1.0
                rtol = 1e-8 if double else 2e-3
                if double and "fcd" in name:
                    rtol = 1e-6  # both backends keep the windows' FCs in float (a rounding flip is 6e-8)
                worst = float(np.max(np.abs(a[finite] - b[finite]))) / max(scale, 1e-12) if finite.any() else 0.0
                ok = ok and worst <= rtol
            status = "ok " if ok else "BAD"
            print(f"{status} {stem}: {name} {a.shape} max rel diff {worst:.2e}")
            failures += not ok
    return failures


if __name__ == "__main__":
    main()
