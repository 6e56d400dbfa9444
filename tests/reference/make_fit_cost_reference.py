#!/usr/bin/env python3
"""Reference values for tests/test_fit_costs.cpp (nmsweep/fit/costs.hpp).

usage: python3 tests/reference/make_fit_cost_reference.py   (numpy, scipy)

Independent of nmsweep: scipy.stats.pearsonr on the upper triangles
(numpy.triu_indices, k=1), scipy.stats.ks_2samp (its statistic, exact
method), numpy.interp. Writes tests/data/fit/costs.txt as blocks
"name rows cols" followed by the rows (%.17g):
  fc_sim fc_target        7 x 7 symmetric matrices (unit diagonal)
  fc_corr fc_rmse fc_mean 1 x 1
  ks_a ks_b               1 x 40 and 1 x 55 samples with ties (values rounded to 0.1)
  ks_c ks_d               1 x 300 and 1 x 200 continuous samples (shifted normal)
  ks_ab ks_cd             1 x 1 KS statistics
  freqs psd_sim psd_target  1 x 101 (0 .. 50 Hz), positive spectra
  psd_band                1 x 2: [8, 13] Hz
  psd_dist                1 x 1: RMS of log10(sim / target) over the band
  target_freqs target_psd 1 x 37: a coarser grid (0 .. 54 Hz by 1.5 Hz)
  interp                  1 x 101: target_psd interpolated at freqs
"""

import os

import numpy as np
from scipy import stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fit", "costs.txt")


def fc(rng, n):
    x = rng.standard_normal((n, 3 * n)) + 0.8 * rng.standard_normal(3 * n)
    return np.corrcoef(x)


def main():
    rng = np.random.default_rng(20101118)
    d = {}
    n = 7
    d["fc_sim"], d["fc_target"] = fc(rng, n), fc(rng, n)
    iu = np.triu_indices(n, k=1)
    a, b = d["fc_sim"][iu], d["fc_target"][iu]
    d["fc_corr"] = np.array([[stats.pearsonr(a, b)[0]]])
    d["fc_rmse"] = np.array([[np.sqrt(np.mean((a - b) ** 2))]])
    d["fc_mean"] = np.array([[abs(a.mean() - b.mean())]])
    d["ks_a"] = np.round(rng.standard_normal(40), 1)[None, :]
    d["ks_b"] = np.round(rng.standard_normal(55) + 0.3, 1)[None, :]
    d["ks_c"] = rng.standard_normal(300)[None, :]
    d["ks_d"] = (0.5 * rng.standard_normal(200) + 0.2)[None, :]
    d["ks_ab"] = np.array([[stats.ks_2samp(d["ks_a"][0], d["ks_b"][0], method="exact").statistic]])
    d["ks_cd"] = np.array([[stats.ks_2samp(d["ks_c"][0], d["ks_d"][0], method="exact").statistic]])
    f = np.linspace(0.0, 50.0, 101)
    d["freqs"] = f[None, :]
    d["psd_sim"] = (1.0 / (1.0 + f) + 2.0 * np.exp(-((f - 10.0) ** 2) / 4.0))[None, :]
    d["psd_target"] = (1.2 / (1.0 + f) + 1.5 * np.exp(-((f - 10.5) ** 2) / 3.0) + 1e-3)[None, :]
    band = (8.0, 13.0)
    d["psd_band"] = np.array([band])
    m = (f >= band[0]) & (f <= band[1])
    d["psd_dist"] = np.array([[np.sqrt(np.mean(np.log10(d["psd_sim"][0][m] / d["psd_target"][0][m]) ** 2))]])
    tf = np.arange(37) * 1.5
    d["target_freqs"] = tf[None, :]
    d["target_psd"] = (1.0 / (1.0 + tf) + np.exp(-((tf - 9.0) ** 2) / 5.0))[None, :]
    d["interp"] = np.interp(f, tf, d["target_psd"][0])[None, :]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as out:
        out.write("# written by tests/reference/make_fit_cost_reference.py\n")
        for key, v in d.items():
            v = np.atleast_2d(v)
            out.write(f"{key} {v.shape[0]} {v.shape[1]}\n")
            for r in v:
                out.write(" ".join("%.17g" % x for x in r) + "\n")
    print({k: float(v[0][0]) for k, v in d.items() if np.size(v) == 1})


if __name__ == "__main__":
    main()
