#!/usr/bin/env python3
"""Writes seeg_onsets_synthetic.txt, the "recording" of examples/seeg_onset_ranking.toml.

A run of that example's model and network with the epileptogenic zone at
region r13 (x0 = -1.6, the others -2.2), additive noise on x1 and z (seed 7)
that the hypotheses do not have, and the SEEG contacts' seizure onsets
detected as in the example; each onset is then jittered uniformly by up to
20 ms (seed 7) and shifted to start near 0 (a recording's own clock).

Run: python3 examples/data/make_seeg_onsets.py PATH/TO/nmsweep
(needs numpy and h5py; rewrites seeg_onsets_synthetic.txt next to this file).
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
nmsweep = sys.argv[1] if len(sys.argv) > 1 else "nmsweep"
x0 = ["-2.2"] * 16
x0[13] = "-1.6"
spec = """
[model]
name = "epileptor"
params = {{ x0 = [{x0}], Ks = -2.0 }}
[network]
connectome = "synthetic:16:2"
speed = 4.0
normalise = "max"
[coupling]
kind = "difference"
a = 1.0
[integrator]
method = "heun"
dt = 0.05
duration = 10000.0
transient = 100.0
precision = "double"
noise = {{ sigma = {{ x1 = 1e-3, z = 1e-4 }}, seed = 7 }}
[output]
observable = "x2 - x1"
features = ["seizure"]
sample_every = 20
[[output.sensors]]
name = "seeg"
sensors = "{sensors}"
gain = "inverse_square"
features = ["seizure"]
seizure = {{ on = 0.2, off = 0.04 }}
""".format(x0=", ".join(x0), sensors=os.path.join(here, "seeg_synthetic_16.txt"))
with tempfile.TemporaryDirectory() as d:
    with open(os.path.join(d, "gen.toml"), "w") as f:
        f.write(spec)
    out = os.path.join(d, "gen.h5")
    subprocess.run([nmsweep, "run", "-q", os.path.join(d, "gen.toml"), "-o", out], check=True)
    with h5py.File(out, "r") as f:
        onset = f["sensors/seeg/seizure_onset"][:]
        labels = [l.decode() if isinstance(l, bytes) else str(l) for l in f["sensors/seeg/sensor"].attrs["labels"]]
rng = np.random.default_rng(7)
seized = np.isfinite(onset)
t = onset + rng.uniform(-20.0, 20.0, onset.shape)
t0 = np.min(t[seized]) - 50.0
with open(os.path.join(here, "seeg_onsets_synthetic.txt"), "w") as f:
    f.write("# SEEG contact, seizure onset (ms): synthetic, zone r13, noise, 20 ms jitter; made by make_seeg_onsets.py\n")
    for k in np.argsort(np.where(seized, t, np.inf)):
        if seized[k]:
            f.write("%s %.1f\n" % (labels[k], t[k] - t0))
print("wrote %d onsets" % int(seized.sum()))
