#!/usr/bin/env python3
"""Makes data/sl16_subject_fc.csv and data/sl16_subject_fcd.csv for
examples/fit_coupling_speed.toml.

The "subject" is that spec's network at coupling.a = 0.012 and speed = 3 mm/ms
with noise seed 11 (the fit draws seed 5): its FC with measurement-like noise
(the Fisher z of each correlation plus N(0, 0.05), transformed back,
symmetric, unit diagonal) and its FCD matrix as simulated.

Run from the repository root after building:
    python3 examples/data/make_subject_fc_fcd.py [path/to/nmsweep]
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
spec = open(os.path.join(here, "..", "fit_coupling_speed.toml")).read()
spec = spec[:spec.index("[fit]")]
spec = re.sub(r'(kind = "linear")', r"\1\na = 0.012", spec)
spec = spec.replace("seed = 5 }", "seed = 11 }")
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "subject.toml")
    with open(path, "w") as f:
        f.write(spec)
    out = os.path.join(tmp, "subject.h5")
    subprocess.run([nmsweep, "run", "-q", path, "-o", out], check=True)
    with h5py.File(out) as f:
        fc = f["features/fc"][()]
        fcd = f["features/fcd"][()]
rng = np.random.default_rng(7)
z = np.arctanh(np.clip(fc, -0.999999, 0.999999))
noise = np.triu(rng.normal(0.0, 0.05, fc.shape), 1)
emp = np.tanh(z + noise + noise.T)
np.fill_diagonal(emp, 1.0)
np.savetxt(os.path.join(here, "sl16_subject_fc.csv"), emp, delimiter=", ", fmt="%.10f",
           header="FC of examples/fit_coupling_speed.toml at coupling.a = 0.012, speed = 3, seed 11, "
                  "with noise (make_subject_fc_fcd.py)")
np.savetxt(os.path.join(here, "sl16_subject_fcd.csv"), fcd, delimiter=", ", fmt="%.10f",
           header="FCD of the same run (make_subject_fc_fcd.py)")
print("FC %s, FCD %s" % (emp.shape, fcd.shape))
