#!/usr/bin/env python3
"""1:1 Arnold tongue of a Stuart-Landau oscillator forced by F e^{i Omega t}.

nmsweep's stuart_landau (include/nmsweep/models/stuart_landau.hpp) is
    z' = (a - |z|^2) z + i omega z + u,   z = x + i y,
with a stimulus u_x on x' and u_y on y'. Two sine stimuli with phases pi/2
and 0 give u = F cos(Omega t) + i F sin(Omega t) = F e^{i Omega t}. In the
rotating frame z = r e^{i (Omega t + phi)}:
    r'   = a r - r^3 + F cos(phi)
    phi' = (omega - Omega) - (F / r) sin(phi).
The response locks 1:1 where this system has a stable fixed point. With
Delta = omega - Omega and R = r^2, fixed points solve the cubic
    R (R - a)^2 + Delta^2 R - F^2 = 0,
cos(phi) = (r^3 - a r) / F, sin(phi) = Delta r / F; a fixed point is stable
when the Jacobian has a negative trace and a positive determinant. For each
F, the tongue's half-width Delta_b(F) is the largest |Delta| up to which a
stable fixed point exists without a gap from Delta = 0 (found on a fine scan,
then refined by bisection). For weak forcing it is the saddle-node where the
stable node and the saddle merge, ~ F / sqrt(a) (Adler). Writes
sl_tongue.txt: F, Delta_b (rad/ms), lower and upper edge frequencies (Hz).

Run: python3 stuart_landau_tongue.py  (numpy only)
"""
import os

import numpy as np

A = 0.1  # 1/ms, limit-cycle radius sqrt(A)
OMEGA = 2 * np.pi * 10.0 / 1000.0  # rad/ms: 10 Hz
FORCES = [0.003, 0.006, 0.009]


def locked(delta, F, a=A):
    roots = np.roots([1.0, -2 * a, a * a + delta * delta, -F * F])
    for R in roots:
        if abs(R.imag) > 1e-12 or R.real <= 0:
            continue
        r = np.sqrt(R.real)
        c, s = (r ** 3 - a * r) / F, delta * r / F
        J = np.array([[a - 3 * r * r, -F * s], [F * s / (r * r), -(F / r) * c]])
        if np.trace(J) < 0 and np.linalg.det(J) > 0:
            return True
    return False


def half_width(F):
    grid = np.linspace(0.0, 0.2, 20001)
    k = 0
    while k + 1 < len(grid) and locked(grid[k + 1], F):
        k += 1
    lo, hi = grid[k], grid[k + 1]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if locked(mid, F) else (lo, mid)
    return lo


def main():
    rows = []
    for F in FORCES:
        d = half_width(F)
        hz = lambda w: w / (2 * np.pi) * 1000.0
        rows.append((F, d, hz(OMEGA - d), hz(OMEGA + d)))
        print(f"F {F}: Delta_b {d:.6g} rad/ms (Adler F/sqrt(a) {F / np.sqrt(A):.6g}), "
              f"locked for {hz(OMEGA - d):.4f} .. {hz(OMEGA + d):.4f} Hz")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sl_tongue.txt")
    with open(out, "w") as f:
        f.write(f"# Stuart-Landau a = {A} /ms, omega = {OMEGA!r} rad/ms (10 Hz); stuart_landau_tongue.py\n")
        f.write("# F  Delta_b(rad/ms)  f_lo(Hz)  f_hi(Hz)\n")
        for r in rows:
            f.write(" ".join(repr(float(x)) for x in r) + "\n")


if __name__ == "__main__":
    main()
