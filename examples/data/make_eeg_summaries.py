#!/usr/bin/env python3
"""Makes data/eeg_alpha_summaries.txt for examples/evidence_jansen_rit.toml.

The "recording": one run of that spec's Jansen-Rit column without its sweeps,
at mu = 0.22 /ms and noise seed 101 (a seed the sweeps do not use); the
summaries are its relative theta, alpha and beta powers (the delta share is
left out: the four shares sum to 1, and a singular set of summaries has no
Gaussian likelihood). Written as `nmsweep infer --targets` lines.

Run from the repository root after building:
    python3 examples/data/make_eeg_summaries.py [path/to/nmsweep]
"""
import os
import re
import subprocess
import sys
import tempfile

import h5py

here = os.path.dirname(os.path.abspath(__file__))
nmsweep = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "build", "release", "src", "nmsweep")
spec = open(os.path.join(here, "..", "evidence_jansen_rit.toml")).read()
spec = re.sub(r"\[\[sweep\]\].*?(?=\[output\])", "", spec, flags=re.S)
spec = spec.replace('preset = "classical"', 'preset = "classical"\nparams = { mu = 0.22 }')
spec = spec.replace("seed = 1 }", "seed = 101 }")
spec = spec.replace("data/one_column", here + "/one_column")
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "truth.toml")
    with open(path, "w") as f:
        f.write(spec)
    out = os.path.join(tmp, "truth.h5")
    subprocess.run([nmsweep, "run", "-q", path, "-o", out], check=True)
    with h5py.File(out) as f:
        lines = ["relative_band_power_%s=%.17g" % (b, f["features/relative_band_power_" + b][0])
                 for b in ("theta", "alpha", "beta")]
with open(os.path.join(here, "eeg_alpha_summaries.txt"), "w") as f:
    f.write("# made by make_eeg_summaries.py: a Jansen-Rit column at mu = 0.22 /ms, noise seed 101\n")
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
