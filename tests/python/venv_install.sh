#!/usr/bin/env bash
# The package as a user installs it: a fresh virtual environment, `pip install
# REPO` (dependencies from PyPI; to keep CI short, the CPU engine with its
# lane loops at -O1, half the build: the CUDA build and -O3 are the same CMake
# with other options), then an import and a small run outside the repository.
# usage: venv_install.sh REPO WORKDIR
set -euo pipefail
repo=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check \
  -C cmake.define.NMS_CUDA=OFF -C cmake.define.NMS_HOT_OPT=-O1 -C build-dir="$work/build" "$repo"
cd "$work"
"$work/venv/bin/python" - "$repo" <<'PY'
import pathlib, sys
import numpy as np
import nmsweep

repo = pathlib.Path(sys.argv[1])
assert pathlib.Path(nmsweep.__file__).is_relative_to(pathlib.Path(sys.prefix)), nmsweep.__file__
assert (pathlib.Path(nmsweep.__file__).parent / "_core.pyi").exists()
assert (pathlib.Path(nmsweep.__file__).parent / "py.typed").exists()
spec = nmsweep.Spec(
    model={"name": "kuramoto"},
    network={"connectome": str(repo / "tests/data/conn8"), "speed": 0},
    coupling={"kind": "kuramoto", "a": 0.5},
    integrator={"method": "heun", "dt": 0.1, "duration": 200.0},
    initial={"theta": [0.0, 0.9, 1.8, 2.7, 3.6, 4.5, 5.4, 0.3]},
    sweep=[{"param": "coupling.a", "values": [0.0, 1.0]}],
    output={"features": ["kuramoto_r"]},
)
tree = nmsweep.run(spec, progress=False)
r = tree["features"]["kuramoto_r"].values
# Identical oscillators: uncoupled they keep their spread phases, coupled they synchronise.
assert r.shape == (2,) and r[0] < 0.5 and r[1] > 0.9, r
sim = nmsweep.Simulator(spec, ["coupling.a"])
out = sim(np.array([[0.0], [1.0]]))
assert np.array_equal(out["features/kuramoto_r"], r)
print("venv install: ok", nmsweep.__version__, r)
PY
