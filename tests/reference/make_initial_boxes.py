#!/usr/bin/env python3
"""Where Jansen-Rit's attractors lie: the start box of random initial states.

For both presets (TVB's v0 = 5.52 mV and the classical 6 mV) and the input mu
over 0..0.35 1/ms, 300 starts in a wide box are integrated (RK4, dt 0.2 ms,
8 s) and the range of every state variable over the last quarter (the
attractors: fixed points, alpha and spike-like cycles) is collected. The
header's box (include/nmsweep/models/jansen_rit.hpp: y0 0..0.15, y1 0..30,
y2 0..25 mV) rounds the result outwards; the PSPs' rates (y3..y5, within
+-0.4 here) start at rest. numpy only; the equations are written again in
make_bifurcation_reference.py. Run: python3 tests/reference/make_initial_boxes.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_bifurcation_reference import JansenRit  # noqa: E402


def attractor_ranges(jr, X, mu, T=8000.0, dt=0.2):
    x = X.T.copy()
    n = int(T / dt)
    lo = np.full(x.shape, np.inf)
    hi = -lo
    f = lambda z: np.array(jr.f(0, z, mu))
    for i in range(n):
        k1 = f(x); k2 = f(x + dt / 2 * k1); k3 = f(x + dt / 2 * k2); k4 = f(x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if i > 0.75 * n:
            lo = np.minimum(lo, x); hi = np.maximum(hi, x)
    return lo.min(1), hi.max(1)


def main():
    rng = np.random.default_rng(1)
    X = rng.random((300, 6)) * np.array([0.16, 30, 22, 0, 0, 0])
    L = np.full(6, np.inf); H = -L
    for v0 in (5.52, 6.0):
        jr = JansenRit()
        jr.v0 = v0
        for mu in np.linspace(0, 0.35, 15):
            lo, hi = attractor_ranges(jr, X, mu)
            L = np.minimum(L, lo); H = np.maximum(H, hi)
    for k in range(6):
        print("y%d  %.4g .. %.4g" % (k, L[k], H[k]))


if __name__ == "__main__":
    main()
