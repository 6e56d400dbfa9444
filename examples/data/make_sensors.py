#!/usr/bin/env python3
"""Writes the synthetic sensor files of the observation-model examples.

eeg_synthetic_19.txt: the 19 electrodes of the 10-20 system (TVB's EEG
format: name x y z, mm), placed on an ellipsoidal scalp with semi-axes
(90, 105, 85) mm around the origin: outside the synthetic connectomes'
brain-sized ellipsoid (~140 x 170 x 120 mm, nmsweep's synthetic:N). Angles:
the usual spherical 10-20 coordinates (azimuth from the nose, +x = front,
+y = left, +z = up), as in MNE's standard_1020 montage, rounded to degrees.

seeg_synthetic_16.txt: two straight SEEG shafts of 8 contacts, 3.5 mm apart
(TVB's SEEG format: contact x y z, mm), entering from the right temporal and
the left frontal side towards the centre.

Run: python3 examples/data/make_sensors.py (rewrites both files).
"""
import math
import os

here = os.path.dirname(os.path.abspath(__file__))
# name: (polar angle from +z, azimuth from +x towards +y), degrees
eeg = {
    "Fp1": (92, 18), "Fp2": (92, -18), "F7": (92, 54), "F3": (60, 39), "Fz": (46, 0),
    "F4": (60, -39), "F8": (92, -54), "T3": (92, 90), "C3": (46, 90), "Cz": (0, 0),
    "C4": (46, -90), "T4": (92, -90), "T5": (92, 126), "P3": (60, 141), "Pz": (46, 180),
    "P4": (60, -141), "T6": (92, -126), "O1": (92, 162), "O2": (92, -162),
}
a, b, c = 90.0, 105.0, 85.0  # x front, y left, z up (the synthetic ellipsoid's long axis is y)
with open(os.path.join(here, "eeg_synthetic_19.txt"), "w") as f:
    f.write("# 10-20 electrodes on an ellipsoidal scalp (semi-axes 90, 105, 85 mm); made by make_sensors.py\n")
    for name, (th, ph) in eeg.items():
        t, p = math.radians(th), math.radians(ph)
        x, y, z = a * math.sin(t) * math.cos(p), b * math.sin(t) * math.sin(p), c * math.cos(t)
        f.write(f"{name}\t{x:.3f}\t{y:.3f}\t{z:.3f}\n")

with open(os.path.join(here, "seeg_synthetic_16.txt"), "w") as f:
    f.write("# two SEEG shafts of 8 contacts, 3.5 mm apart; made by make_sensors.py\n")
    for shaft, start, direction in (("A", (10.0, -75.0, 0.0), (0.0, 1.0, 0.0)),
                                    ("B", (65.0, 20.0, 15.0), (-0.96, 0.0, -0.28))):
        n = math.sqrt(sum(d * d for d in direction))
        for k in range(8):
            x, y, z = (start[i] + 3.5 * k * direction[i] / n for i in range(3))
            f.write(f"{shaft}{k + 1}\t{x:.3f}\t{y:.3f}\t{z:.3f}\n")
