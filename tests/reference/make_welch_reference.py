#!/usr/bin/env python3
"""Reference data for tests/test_analysis.cpp (spectra and FC reducers).

usage: python3 tests/reference/make_welch_reference.py   (numpy, scipy from PyPI)

Writes, under tests/data/:

welch/signal.txt      3 nodes x 2000 samples (rows = samples): sums of sines
                      with noise (fixed seed) and offsets, printed with 6
                      decimals; everything below is computed from the values
                      as read back from this file.
welch/cases.txt       one line per case: name fs nperseg noverlap window n
                      (the case uses the first n samples)
welch/psd_<case>.txt  rows = frequency bins: f, PSD of node 0, 1, 2, and of the
                      network mean (the mean over nodes per sample), from
                      scipy.signal.welch(x, fs, window, nperseg, noverlap) with
                      its other defaults (detrend="constant", one-sided,
                      scaling="density", average="mean")
welch/features_<case>.txt  rows = node 0, 1, 2, network: peak frequency and
                      peak power (largest bin, DC excluded), then the band
                      power (sum of PSD bins with lo <= f < hi, f = k fs /
                      nperseg, times fs / nperseg) of delta 1-4, theta 4-8, alpha 8-13, beta 13-30,
                      gamma 30-80 Hz
fc/signal.txt         6 nodes x 400 samples of correlated noise
fc/fc.txt             numpy.corrcoef of those (nodes as variables)
fc/empirical.txt      a 6 x 6 "empirical" FC
fc/fc_fit.txt         Pearson correlation of the upper triangles (k = 1) of
                      fc.txt and empirical.txt
fc/fcd.txt            FCD for windows of 100 samples every 50: Pearson
                      correlation of the upper triangles of numpy.corrcoef of
                      each window
fc/fcd_var.txt        variance (ddof 0) of the FCD's upper triangle (k = 1)
"""

import os

import numpy as np
from scipy import signal

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "..", "data")
BANDS = [("delta", 1, 4), ("theta", 4, 8), ("alpha", 8, 13), ("beta", 13, 30), ("gamma", 30, 80)]


def write_matrix(path, a, fmt="%.17g"):
    np.savetxt(path, np.atleast_2d(a), fmt=fmt)


def welch_cases():
    out = os.path.join(data, "welch")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240611)
    fs0 = 1000.0
    M = 2000
    t = np.arange(M) / fs0
    x = np.empty((M, 3))
    x[:, 0] = 2.0 + 1.0 * np.sin(2 * np.pi * 10.0 * t) + 0.5 * np.sin(2 * np.pi * 23.5 * t + 0.3)
    x[:, 1] = -1.0 + 0.8 * np.sin(2 * np.pi * 6.0 * t + 1.0) + 0.2 * np.sin(2 * np.pi * 47.0 * t)
    x[:, 2] = 0.5 * np.sin(2 * np.pi * 10.0 * t + 2.0) + 0.3 * np.sin(2 * np.pi * 2.5 * t)
    x += 0.3 * rng.standard_normal(x.shape)
    path = os.path.join(out, "signal.txt")
    np.savetxt(path, x, fmt="%.6f")
    x = np.loadtxt(path)
    net = x.mean(axis=1)
    chans = [x[:, 0], x[:, 1], x[:, 2], net]
    cases = [
        ("hann256", 1000.0, 256, 128, "hann"),
        ("boxcar200", 1000.0, 200, 50, "boxcar"),
        ("hann255", 1000.0, 255, 100, "hann"),
        ("hann512_fs250", 250.0, 512, 0, "hann"),
        ("hann700", 1000.0, 700, 350, "hann", 700),  # the first 700 samples: one segment (the defaults)
    ]
    cases = [c if len(c) == 6 else c + (M,) for c in cases]
    with open(os.path.join(out, "cases.txt"), "w") as f:
        for c in cases:
            f.write("%s %.17g %d %d %s %d\n" % c)
    for name, fs, nperseg, noverlap, window, n in cases:
        cols, feats = None, []
        for ch in chans:
            f, p = signal.welch(ch[:n], fs=fs, window=window, nperseg=nperseg, noverlap=noverlap)
            cols = [f] if cols is None else cols
            cols.append(p)
            k = 1 + int(np.argmax(p[1:]))
            df = fs / nperseg
            # bin frequencies as k fs / nperseg (one rounding), so that a bin
            # on a band edge (30 Hz = 21 x 1000/700) is on the edge exactly
            fk = np.arange(len(f)) * fs / nperseg
            row = [f[k], p[k]] + [p[(fk >= lo) & (fk < hi)].sum() * df for _, lo, hi in BANDS]
            feats.append(row)
        write_matrix(os.path.join(out, "psd_%s.txt" % name), np.column_stack(cols), fmt="%.12g")
        write_matrix(os.path.join(out, "features_%s.txt" % name), np.array(feats))


def fc_cases():
    out = os.path.join(data, "fc")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    N, M = 6, 400
    mix = rng.standard_normal((N, N)) + 2 * np.eye(N)
    x = rng.standard_normal((M, N)) @ mix.T + 10.0 + np.arange(N)  # offsets: Welford must cope
    # slow drift in the coupling, so that windowed FCs differ
    x[:, 1] += np.linspace(0, 3, M) * x[:, 0] * 0.3
    path = os.path.join(out, "signal.txt")
    np.savetxt(path, x, fmt="%.6f")
    x = np.loadtxt(path)
    fc = np.corrcoef(x.T)
    write_matrix(os.path.join(out, "fc.txt"), fc)
    emp = np.corrcoef((rng.standard_normal((M, N)) @ mix.T).T)
    write_matrix(os.path.join(out, "empirical.txt"), emp, fmt="%.10f")
    emp = np.loadtxt(os.path.join(out, "empirical.txt"))
    iu = np.triu_indices(N, k=1)
    write_matrix(os.path.join(out, "fc_fit.txt"), np.array([[np.corrcoef(fc[iu], emp[iu])[0, 1]]]))
    W, S = 100, 50
    starts = range(0, M - W + 1, S)
    vec = np.array([np.corrcoef(x[s:s + W].T)[iu] for s in starts])
    fcd = np.corrcoef(vec)
    write_matrix(os.path.join(out, "fcd.txt"), fcd)
    ju = np.triu_indices(len(vec), k=1)
    write_matrix(os.path.join(out, "fcd_var.txt"), np.array([[fcd[ju].var()]]))


if __name__ == "__main__":
    welch_cases()
    fc_cases()
