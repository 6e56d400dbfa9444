#!/usr/bin/env python3
"""Writes the small binary test tables from their text originals, so that the
readers of .npy and HDF5 are checked against the same numbers as the text
readers:
  tests/data/specs/ic8.npy (float32, Fortran order) and ic8.h5 (dataset
    "state", float64) from ic8.csv, the per-node initial-condition table;
  tests/data/sensors/gain_3x2.npy (float64, C order) and
    gain_3x2_f4_fortran.npy (float32, Fortran order) from gain_3x2.csv.
Both orders and both dtypes exercise every branch of the .npy reader."""
import os

import h5py
import numpy as np

data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")

specs = os.path.join(data, "specs")
table = np.loadtxt(os.path.join(specs, "ic8.csv"), delimiter=",", skiprows=2)
assert table.shape == (8, 6), table.shape
np.save(os.path.join(specs, "ic8.npy"), np.asfortranarray(table.astype(np.float32)))
with h5py.File(os.path.join(specs, "ic8.h5"), "w") as f:
    f["state"] = table

sensors = os.path.join(data, "sensors")
gain = np.loadtxt(os.path.join(sensors, "gain_3x2.csv"), delimiter=",", comments="#",
                  usecols=(1, 2))
assert gain.shape == (3, 2), gain.shape
np.save(os.path.join(sensors, "gain_3x2.npy"), np.ascontiguousarray(gain))
np.save(os.path.join(sensors, "gain_3x2_f4_fortran.npy"), np.asfortranarray(gain.astype(np.float32)))
print("wrote ic8.npy, ic8.h5, gain_3x2.npy, gain_3x2_f4_fortran.npy")
