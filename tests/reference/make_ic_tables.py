#!/usr/bin/env python3
"""Writes tests/data/specs/ic8.npy (float32, Fortran order: exercises both
conversions) and ic8.h5 (dataset "state", float64) from ic8.csv, the
per-node initial-condition table the spec tests read in all three formats."""
import os

import h5py
import numpy as np

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "specs")
table = np.loadtxt(os.path.join(here, "ic8.csv"), delimiter=",", skiprows=2)
assert table.shape == (8, 6), table.shape
np.save(os.path.join(here, "ic8.npy"), np.asfortranarray(table.astype(np.float32)))
with h5py.File(os.path.join(here, "ic8.h5"), "w") as f:
    f["state"] = table
print("wrote ic8.npy and ic8.h5", table.shape)
