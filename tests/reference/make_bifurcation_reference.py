#!/usr/bin/env python3
"""Independent bifurcation analyses for tests/test_bifurcation.cpp.

Two single-node models, written here again from their equations (numpy and
scipy only; nothing from nmsweep):

* Jansen-Rit with the classical parameters (Jansen & Rit 1995; v0 = 6 mV,
  e0 = 2.5 s^-1, r = 0.56 mV^-1, A = 3.25 mV, B = 22 mV, a = 100 s^-1,
  b = 50 s^-1, C = 135) versus the input p (s^-1; nmsweep's model.mu is p /
  1000 in ms^-1). Grimbert & Faugeras (2006, Neural Comput 18:3052) analyse
  this system; the same continuation with AUTO-07p (github.com/pclus/
  auto-tutorial, docs/2-Examples/Jansen-Rit.md) lists the folds of the
  fixed-point curve at p = 113.586 and -41.30 and a Hopf point at -12.15.
* Wilson-Cowan with nmsweep's preset "wc1972_limit_cycle" (Wilson & Cowan
  1972 Fig. 5 couplings and sigmoids, shifted sigmoids, r = 1, tau = 10 ms)
  versus the excitatory input P.

For each: the fixed-point curve is parametrised by one state (the input is
then explicit), folds are where the input turns, Hopf points where the
largest real part of the Jacobian's eigenvalues crosses zero (Brent). Limit
cycles are computed by shooting (Newton on phi_T(x) = x with a phase
condition; DOP853 at rtol 1e-11) and continued in the input; their
amplitude (max - min of the observable over the orbit), frequency and
largest non-trivial Floquet multiplier (finite-difference monodromy) are
tabulated. The end of a cycle branch at a fold of cycles is found by
halving the continuation step until shooting from the last orbit fails.

Writes tests/data/bifurcation/{jansen_rit_classical,wilson_cowan_1972}.txt:
"key value" lines, then "branch <name>" tables of
"input amplitude min max frequency_Hz multiplier".
Run: python3 tests/reference/make_bifurcation_reference.py  (a few minutes)
"""
import os
import sys

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, root

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "bifurcation")


# ---------------------------------------------------------------- Jansen-Rit
class JansenRit:
    name = "jansen_rit_classical"
    A, B, a, b, v0, e0, r, C = 3.25, 22.0, 0.1, 0.05, 6.0, 0.0025, 0.56, 135.0  # ms, mV
    C1, C2, C3, C4 = C, 0.8 * C, 0.25 * C, 0.25 * C
    n = 6
    scale = 1000.0  # input unit in the tables: p in s^-1 = 1000 mu
    phase_var = 4   # phase condition y4 = 0

    def S(self, v):
        return 2 * self.e0 / (1 + np.exp(self.r * (self.v0 - v)))

    def dS(self, v):
        e = np.exp(self.r * (self.v0 - v))
        return 2 * self.e0 * self.r * e / (1 + e) ** 2

    def f(self, t, x, mu):
        A, B, a, b = self.A, self.B, self.a, self.b
        y0, y1, y2, y3, y4, y5 = x
        return [y3, y4, y5,
                A * a * self.S(y1 - y2) - 2 * a * y3 - a * a * y0,
                A * a * (mu + self.C2 * self.S(self.C1 * y0)) - 2 * a * y4 - a * a * y1,
                B * b * self.C4 * self.S(self.C3 * y0) - 2 * b * y5 - b * b * y2]

    def obs(self, x):
        return x[1] - x[2]

    # fixed point with observable y = y1 - y2: the input is explicit
    def branch(self, y):
        A, a, B, b = self.A, self.a, self.B, self.b
        y0 = A / a * self.S(y)
        y2 = B / b * self.C4 * self.S(self.C3 * y0)
        y1 = y + y2
        mu = a / A * y1 - self.C2 * self.S(self.C1 * y0)
        return mu, np.array([y0, y1, y2, 0, 0, 0])

    def jac(self, x):
        A, a, B, b = self.A, self.a, self.B, self.b
        y0, y1, y2 = x[:3]
        J = np.zeros((6, 6))
        J[0, 3] = J[1, 4] = J[2, 5] = 1
        J[3, 3] = J[4, 4] = -2 * a
        J[5, 5] = -2 * b
        J[3, 0] = J[4, 1] = -a * a
        J[5, 2] = -b * b
        J[3, 1] = A * a * self.dS(y1 - y2)
        J[3, 2] = -J[3, 1]
        J[4, 0] = A * a * self.C2 * self.C1 * self.dS(self.C1 * y0)
        J[5, 0] = B * b * self.C4 * self.C3 * self.dS(self.C3 * y0)
        return J

    branch_range = (-5.0, 20.0)


# -------------------------------------------------------------- Wilson-Cowan
class WilsonCowan:
    name = "wilson_cowan_1972"
    c_ee, c_ei, c_ie, c_ii = 16.0, 12.0, 15.0, 3.0
    a_e, b_e, a_i, b_i = 1.3, 4.0, 2.0, 3.7
    k_e, k_i = 0.9945137011005496, 0.9993891206405656
    r_e = r_i = 1.0
    tau = 10.0  # ms
    n = 2
    scale = 1.0
    phase_var = None  # phase condition: E = the middle of the previous orbit's E range

    @staticmethod
    def Sg(x, a, b):
        return 1 / (1 + np.exp(-a * (x - b))) - 1 / (1 + np.exp(a * b))

    @staticmethod
    def dSg(x, a, b):
        e = np.exp(-a * (x - b))
        return a * e / (1 + e) ** 2

    def f(self, t, z, P):
        E, I = z
        xe = self.c_ee * E - self.c_ei * I + P
        xi = self.c_ie * E - self.c_ii * I
        return [(-E + (self.k_e - self.r_e * E) * self.Sg(xe, self.a_e, self.b_e)) / self.tau,
                (-I + (self.k_i - self.r_i * I) * self.Sg(xi, self.a_i, self.b_i)) / self.tau]

    def obs(self, z):
        return z[0]

    def I_of_E(self, E):
        g = lambda I: -I + (self.k_i - self.r_i * I) * self.Sg(self.c_ie * E - self.c_ii * I, self.a_i, self.b_i)
        return brentq(g, -0.5, 1.0, xtol=1e-15)

    def branch(self, E):
        I = self.I_of_E(E)
        s = E / (self.k_e - self.r_e * E)
        g = s + 1 / (1 + np.exp(self.a_e * self.b_e))
        xe = self.b_e - np.log(1 / g - 1) / self.a_e
        return xe - self.c_ee * E + self.c_ei * I, np.array([E, I])

    def jac(self, z):
        E, I = z
        P = self.branch(E)[0]
        xe = self.c_ee * E - self.c_ei * I + P
        xi = self.c_ie * E - self.c_ii * I
        se, si = self.Sg(xe, self.a_e, self.b_e), self.Sg(xi, self.a_i, self.b_i)
        de, di = self.dSg(xe, self.a_e, self.b_e), self.dSg(xi, self.a_i, self.b_i)
        return np.array([[-1 - self.r_e * se + (self.k_e - self.r_e * E) * de * self.c_ee,
                          -(self.k_e - self.r_e * E) * de * self.c_ei],
                         [(self.k_i - self.r_i * I) * di * self.c_ie,
                          -1 - self.r_i * si - (self.k_i - self.r_i * I) * di * self.c_ii]]) / self.tau

    branch_range = (0.001, 0.45)


# ------------------------------------------------------------------ analysis
def fixed_point_events(m):
    ys = np.linspace(*m.branch_range, 40001)
    mus = np.array([m.branch(y)[0] for y in ys])
    out = []
    d = np.diff(mus)
    for i in np.where(np.sign(d[1:]) != np.sign(d[:-1]))[0]:
        g = lambda y: (m.branch(y + 1e-7)[0] - m.branch(y - 1e-7)[0])
        y = brentq(g, ys[i], ys[i + 2], xtol=1e-13)
        out.append(("fold", m.branch(y)[0] * m.scale, m.obs(m.branch(y)[1]), 0.0))
    lam = lambda y: np.max(np.linalg.eigvals(m.jac(m.branch(y)[1])).real)
    lv = np.array([lam(y) for y in ys[::10]])
    yc = ys[::10]
    for i in np.where(np.sign(lv[1:]) != np.sign(lv[:-1]))[0]:
        y = brentq(lam, yc[i], yc[i + 1], xtol=1e-13)
        ev = np.linalg.eigvals(m.jac(m.branch(y)[1]))
        k = np.argmax(ev.real)
        if abs(ev[k].imag) > 1e-9:  # a fold also zeroes a (real) eigenvalue
            out.append(("hopf", m.branch(y)[0] * m.scale, m.obs(m.branch(y)[1]),
                        abs(ev[k].imag) * 1000 / (2 * np.pi)))
    return sorted(out, key=lambda e: e[1])


def flow(m, x, T, mu, dense=False):
    return solve_ivp(m.f, (0, T), x, args=(mu,), method="DOP853", rtol=1e-11, atol=1e-12, dense_output=dense)


def settle(m, x, mu, t_sim):
    s = solve_ivp(m.f, (0, t_sim), x, args=(mu,), method="DOP853", rtol=1e-10, atol=1e-11, dense_output=True)
    tt = np.linspace(t_sim / 2, t_sim, 400001)
    yy = s.sol(tt)
    o = m.obs(yy)
    lvl = 0.5 * (o.max() + o.min())
    idx = np.where((o[:-1] < lvl) & (o[1:] >= lvl))[0]
    return yy[:, idx[-2]], tt[idx[-1]] - tt[idx[-2]]


def mid_level(m, x, T, mu):
    o = m.obs(flow(m, x, T, mu, dense=True).sol(np.linspace(0, T, 2001)))
    return 0.5 * (o.max() + o.min())


def shoot(m, x0, T0, mu, level=None):
    pv = m.phase_var

    def F(z):
        x, T = z[:-1], z[-1]
        if T <= 0:
            return np.full(len(z), 1e3)
        end = flow(m, x, T, mu).y[:, -1]
        phase = x[pv] if pv is not None else m.obs(x) - level
        return np.concatenate([end - x, [phase]])

    sol = root(F, np.concatenate([x0, [T0]]), method="hybr", options=dict(xtol=1e-12))
    ok = sol.success and np.max(np.abs(sol.fun)) < 1e-7 and sol.x[-1] > 0
    return ok, sol.x[:-1], sol.x[-1]


def orbit(m, x, T, mu):
    s = flow(m, x, T, mu, dense=True)
    o = m.obs(s.sol(np.linspace(0, T, 40001)))
    M = np.zeros((m.n, m.n))
    for j in range(m.n):
        e = np.zeros(m.n)
        e[j] = 1e-7 * max(1.0, abs(x[j]))
        M[:, j] = (flow(m, x + e, T, mu).y[:, -1] - flow(m, x - e, T, mu).y[:, -1]) / (2 * e[j])
    mult = np.linalg.eigvals(M)
    mult = np.delete(mult, np.argmin(np.abs(mult - 1)))
    return o.max() - o.min(), o.min(), o.max(), 1000.0 / T, np.max(np.abs(mult))


def continue_cycle(m, x, T, mu0, targets, min_step):
    """Orbits at the listed inputs (in table units), stepping from mu0; stops
    (returning the last input reached) when shooting fails even at min_step."""
    rows, mu = [], mu0
    for tgt in targets:
        tgt_mu = tgt / m.scale
        step = tgt_mu - mu
        while abs(tgt_mu - mu) > 1e-15:
            nxt = mu + step if abs(step) < abs(tgt_mu - mu) else tgt_mu
            ok, x2, T2 = shoot(m, x, T, nxt, None if m.phase_var is not None else mid_level(m, x, T, mu))
            # the same orbit, continued: not a fixed point (any T solves
            # phi_T(x) = x there), not a multiple of the period
            if ok and T / 1.5 < T2 < 1.5 * T and np.max(np.abs(flow(m, x2, T2 / 2, nxt).y[:, -1] - x2)) > 1e-4:
                mu, x, T = nxt, x2, T2
                step *= 1.5
            else:
                step /= 2
                if abs(step) < min_step / m.scale:
                    return rows, mu * m.scale, x, T
        rows.append((tgt,) + orbit(m, x, T, mu))
    return rows, None, x, T


def write(m, events, branches, extra):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, m.name + ".txt")
    with open(path, "w") as f:
        f.write("# made by tests/reference/make_bifurcation_reference.py (numpy %s, scipy %s)\n"
                % (np.__version__, __import__("scipy").__version__))
        f.write("# input unit: %s\n" % ("p in s^-1 (model.mu = p / 1000)" if m.scale == 1000 else "P"))
        for kind, inp, o, fr in events:
            f.write("%s %.6f observable %.6f frequency_Hz %.6f\n" % (kind, inp, o, fr))
        for k, v in extra:
            f.write("%s %.6f\n" % (k, v))
        for name, rows in branches:
            f.write("branch %s\n" % name)
            f.write("# input amplitude min max frequency_Hz floquet_multiplier\n")
            for r in rows:
                f.write(" ".join("%.6f" % v for v in r) + "\n")
    print("wrote", path)


def jansen_rit():
    m = JansenRit()
    ev = fixed_point_events(m)
    print(ev)
    # alpha cycle: from the Hopf point near 315.7 down to the one near 89.8
    x, T = settle(m, np.array([0.1, 20.0, 13.0, 0, 0, 0]), 0.2, 20000.0)
    ok, x, T = shoot(m, x, T, 0.2)
    assert ok
    up = [200, 220, 250, 280, 290, 295, 300, 305, 308, 310, 312, 313, 314, 315]
    rows_up, _, _, _ = continue_cycle(m, x, T, 0.2, up, 1e-3)
    down = [180, 160, 150, 140, 138, 137, 130, 120, 115, 113, 110, 105, 100, 97, 95, 93, 92, 91, 90.5, 90.2]
    rows_dn, _, _, _ = continue_cycle(m, x, T, 0.2, down, 1e-3)
    alpha = sorted(rows_dn + rows_up)
    # spike-like cycle at p = 120 (far from the alpha cycle), up to its fold
    x, T = settle(m, np.array([0.0, 0.0, 0.0, 0, 0, 0]), 0.12, 20000.0)
    ok, x, T = shoot(m, x, T, 0.12)
    assert ok and orbit(m, x, T, 0.12)[0] > 5
    rows_s, p_fold, _, _ = continue_cycle(m, x, T, 0.12, [125, 130, 135, 136, 137, 137.2, 137.3, 137.5, 138], 1e-3)
    rows_s2, _, _, _ = continue_cycle(m, x, T, 0.12, [118, 116, 115, 114.5, 114.2, 114.0, 113.8, 113.7], 1e-3)
    spike = sorted(rows_s + rows_s2)
    print("spike cycle ends (fold of cycles) at p =", p_fold)
    write(m, ev, [("alpha", alpha), ("spike", spike)], [("cycle_fold", p_fold)])


def wilson_cowan():
    m = WilsonCowan()
    ev = fixed_point_events(m)
    print(ev)
    x, T = settle(m, np.array([0.1, 0.05]), 1.5, 3000.0)
    ok, x, T = shoot(m, x, T, 1.5, m.obs(x))
    assert ok
    rows_up, _, _, _ = continue_cycle(m, x, T, 1.5, [1.6, 1.7, 1.75, 1.8, 1.82, 1.84, 1.85, 1.86, 1.87, 1.875, 1.878], 1e-5)
    rows_dn, p_end, _, _ = continue_cycle(m, x, T, 1.5, [1.4, 1.3, 1.2, 1.15, 1.12, 1.1, 1.095, 1.09, 1.088,
                                                          1.087, 1.086, 1.085, 1.084, 1.08, 1.075, 1.07, 1.069, 1.068,
                                                          1.067, 1.066, 1.065], 1e-4)
    print("cycle branch (downwards) ends at P =", p_end)
    write(m, ev, [("cycle", sorted(rows_dn + rows_up))], [("cycle_end", p_end if p_end is not None else np.nan)])


if __name__ == "__main__":
    which = sys.argv[1:] or ["jansen_rit", "wilson_cowan"]
    for w in which:
        globals()[w]()
