#!/usr/bin/env python3
"""Sensor-space spectra of an `nmsweep run` result against scipy.

Usage: check_sensor_spectra.py RESULT.h5 GAIN.csv [POINT] [MODALITY]

Recomputes the sensor signals of grid point POINT (default 1) as gain x the
region time series stored by [output.timeseries] (sampled every
`sample_every` steps, as the features see them), then Welch's PSD with
scipy.signal.welch, and compares with /sensors/MODALITY/psd (default "eeg").
Made for tests/data/observe/eeg_bold.toml. Exit 0 when they agree, 1 when
not, 77 (skip) without numpy, scipy or h5py.
"""
import sys

try:
    import h5py
    import numpy as np
    from scipy.signal import welch
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)


def main():
    path, gain_path = sys.argv[1], sys.argv[2]
    point = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    name = sys.argv[4] if len(sys.argv) > 4 else "eeg"
    gain = np.loadtxt(gain_path, delimiter=",", comments="#", usecols=range(1, 9))
    with h5py.File(path, "r") as f:
        dt = float(f.attrs["dt_ms"])
        n_steps = round(float(f.attrs["duration_ms"]) / dt)
        transient = round(float(f.attrs["transient_ms"]) / dt)
        x = f[f"timeseries/point_{point}"][:]  # [time, node], steps every, 2 every, ...
        every = n_steps // x.shape[0]
        steps = every * (1 + np.arange(x.shape[0]))
        x = x[steps > transient]
        psd = f[f"sensors/{name}/psd"][point]  # [sensor, freq]
        freq = f[f"sensors/{name}/freq"][:]
        nperseg = 2 * (psd.shape[1] - 1)
    y = x @ gain.T  # [time, sensor]
    fs = 1000.0 / (dt * every)
    fr, ref = welch(y, fs=fs, nperseg=nperseg, axis=0)
    ref = ref.T
    ok = np.allclose(freq, fr) and np.allclose(psd, ref, rtol=1e-9, atol=1e-9 * ref.max())
    err = np.max(np.abs(psd - ref)) / ref.max()
    print(f"{name} point {point}: {psd.shape[0]} sensors x {psd.shape[1]} bins, max |nmsweep - scipy| / max = {err:.2e}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
