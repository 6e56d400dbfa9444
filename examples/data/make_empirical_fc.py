#!/usr/bin/env python3
"""Makes data/stuart_landau16_fc.csv for examples/fc_fit_coupling_speed.toml.

The "empirical" FC is the FC of one point of that very sweep (coupling.a = 0.012,
speed = 6 mm/ms, another noise seed) with measurement-like noise added: the
Fisher z-transform of each correlation plus N(0, 0.1), transformed back,
symmetric, unit diagonal.

Run from the repository root after building:
    python3 examples/data/make_empirical_fc.py [path/to/nmsweep]
"""
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
nmsweep = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "build", "release", "src", "nmsweep")
spec = open(os.path.join(here, "..", "fc_fit_coupling_speed.toml")).read()
# one point: the generating parameters, another noise seed, no empirical FC yet
spec = re.sub(r"\[\[sweep\]\].*?(?=\[output\])", "", spec, flags=re.S)
spec = re.sub(r"(\[coupling\]\nkind = \"linear\")", r"\1\na = 0.012", spec)
spec = spec.replace("seed = 5", "seed = 11")
spec = re.sub(r"\[output\.fc\].*?(?=\[output\.spectra\])", "", spec, flags=re.S)
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "truth.toml")
    with open(path, "w") as f:
        f.write(spec)
    out = os.path.join(tmp, "truth.h5")
    subprocess.run([nmsweep, "run", "-q", path, "-o", out], check=True)
    fc = h5py.File(out)["features/fc"][()]
rng = np.random.default_rng(2024)
z = np.arctanh(np.clip(fc, -0.999999, 0.999999))
noise = rng.normal(0.0, 0.1, fc.shape)
z = z + np.triu(noise, 1) + np.triu(noise, 1).T
emp = np.tanh(z)
np.fill_diagonal(emp, 1.0)
dst = os.path.join(here, "stuart_landau16_fc.csv")
with open(dst, "w") as f:
    f.write("# FC of examples/fc_fit_coupling_speed.toml at coupling.a = 0.012, speed = 6 mm/ms (noise seed 11),\n")
    f.write("# Fisher-z noise N(0, 0.1) added; made by examples/data/make_empirical_fc.py\n")
    for row in emp:
        f.write(",".join("%.5f" % v for v in row) + "\n")
print("wrote", dst)
