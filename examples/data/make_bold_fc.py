#!/usr/bin/env python3
"""Makes data/jr32_bold_fc.csv for examples/eeg_bold_coupling_speed.toml.

The "empirical" BOLD FC is the BOLD FC of one point of that very sweep
(coupling.a = 10, speed = 6 mm/ms) run 4 times longer (480 s recorded),
with another noise seed, plus measurement-like noise: the Fisher
z-transform of each correlation plus N(0, 0.1), transformed back,
symmetric, unit diagonal.

Run from the repository root after building (about 40 s):
    python3 examples/data/make_bold_fc.py [path/to/nmsweep]
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
spec = open(os.path.join(here, "..", "eeg_bold_coupling_speed.toml")).read()
# one point: the generating parameters, another noise seed, longer, no empirical FC, no EEG
spec = re.sub(r"\[\[sweep\]\].*?(?=\[output\])", "", spec, flags=re.S)
spec = re.sub(r"(\[coupling\]\nkind = \"sigmoidal_jansen_rit\")", r"\1\na = 10.0", spec)
spec = re.sub(r"speed = 4\.0", "speed = 6.0", spec)
spec = spec.replace("seed = 5 }", "seed = 17 }")
spec = re.sub(r"duration = 122000\.0", "duration = 482000.0", spec)
spec = re.sub(r"empirical_fc = .*\n", "", spec)
spec = re.sub(r"\[\[output\.sensors\]\].*", "", spec, flags=re.S)
spec = re.sub(r"\[output\.spectra\].*?(?=\[output\.bold\])", "", spec, flags=re.S)
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "truth.toml")
    with open(path, "w") as f:
        f.write(spec)
    out = os.path.join(tmp, "truth.h5")
    subprocess.run([nmsweep, "run", "-q", path, "-o", out], check=True)
    fc = h5py.File(out)["bold/fc"][()]
rng = np.random.default_rng(2025)
z = np.arctanh(np.clip(fc, -0.999999, 0.999999))
noise = rng.normal(0.0, 0.1, fc.shape)
z = z + np.triu(noise, 1) + np.triu(noise, 1).T
emp = np.tanh(z)
np.fill_diagonal(emp, 1.0)
dst = os.path.join(here, "jr32_bold_fc.csv")
with open(dst, "w") as f:
    f.write("# BOLD FC of examples/eeg_bold_coupling_speed.toml at coupling.a = 10, speed = 6 mm/ms, 480 s\n")
    f.write("# (noise seed 17), Fisher-z noise N(0, 0.1) added; made by examples/data/make_bold_fc.py\n")
    for row in emp:
        f.write(",".join("%.5f" % v for v in row) + "\n")
print("wrote", dst)
