#!/usr/bin/env python3
"""Reference data for tests/test_gramians.cpp (controllability, observability).

usage: python3 tests/reference/make_gramian_reference.py   (numpy, scipy)

Independent of nmsweep's code and of its method: infinite-horizon Gramians
from scipy.linalg.solve_continuous_lyapunov, finite-horizon ones by adaptive
quadrature (scipy.integrate.quad_vec) of expm products, not Van Loan.

Writes tests/data/stability/gramian_<name>.txt for three small random stable
systems x' = A x + B u, y = C x (fixed seed):
  sym        symmetric A (real eigenvalues; modal controllability by Gu et
             al.'s own formula with orthonormal eigenvectors)
  osc        complex eigenvalues (damped oscillations)
  nonnormal  strongly non-normal upper-triangular-dominated A
Each file holds blocks "name rows cols" followed by the rows (%.17g):
  a b c horizon dt x0 xf   inputs (x0, xf as 1 x n)
  wc_inf wo_inf            W_c, W_o for T = infinity
  wc_T wo_T                W_c(T), W_o(T) for T = horizon
  avgc_inf avgc_T          1 x m: trace W_c of each column of B alone
  avgc_all_T               1 x 1: trace W_c(T) of B (all columns in one group)
  avgo_inf avgo_T          1 x p: trace W_o of each row of C alone
  outE_inf outE_T          1 x 1: x0^T W_o x0
  modal                    1 x m: sum_j (1 - |e^{lambda_j dt}|^2) |(V^-1 b)_j|^2,
                           V = eigenvectors with unit-norm columns
  modal_unit               1 x n: the same for B = I (Gu's phi_i per state)
  energy                   1 x 1: d^T W_c(T)^-1 d, d = xf - e^{A T} x0
  input                    9 x (1 + m): t_k = k T / 8, u(t_k) = B^T e^{A^T (T - t_k)} W_c(T)^-1 d
  reach_inf reach_T        1 x n: e_k^T W_c^-1 e_k, the least energy that moves state k by one
                           unit from the equilibrium (T = infinity and T = horizon)
"""

import os

import numpy as np
from scipy.integrate import quad_vec
from scipy.linalg import expm, solve_continuous_lyapunov

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "stability")
N_INTERVALS = 8


def stable(r, margin):
    """r shifted left so that its rightmost eigenvalue has real part -margin."""
    return r - (np.max(np.linalg.eigvals(r).real) + margin) * np.eye(r.shape[0])


def finite_gramian(a, q, t):
    f = lambda s: expm(a * s) @ q @ expm(a.T * s)
    w, err = quad_vec(f, 0.0, t, epsabs=1e-17, epsrel=1e-14, norm="max", limit=10000)
    assert err < 1e-12 * np.max(np.abs(w)), err
    return (w + w.T) / 2


def modal(a, b, dt):
    lam, v = np.linalg.eig(a)
    v = v / np.linalg.norm(v, axis=0)
    gain = np.linalg.solve(v, b.astype(complex))
    weight = 1.0 - np.abs(np.exp(lam * dt)) ** 2
    return (weight[:, None] * np.abs(gain) ** 2).sum(axis=0)


def gu_modal_symmetric(a, dt):
    """Gu et al. 2015: phi_i = sum_j (1 - mu_j^2) v_ij^2, A_d = e^{A dt} symmetric."""
    lam, v = np.linalg.eigh(a)
    mu = np.exp(lam * dt)
    return ((1.0 - mu**2)[None, :] * v**2).sum(axis=1)


def blocks(a, b, c, t, dt, x0, xf):
    out = {"a": a, "b": b, "c": c, "horizon": np.array([[t]]), "dt": np.array([[dt]]),
           "x0": x0[None, :], "xf": xf[None, :]}
    n = a.shape[0]
    out["wc_inf"] = solve_continuous_lyapunov(a, -b @ b.T)
    out["wo_inf"] = solve_continuous_lyapunov(a.T, -c.T @ c)
    out["wc_T"] = finite_gramian(a, b @ b.T, t)
    out["wo_T"] = finite_gramian(a.T, c.T @ c, t)
    col = lambda i: b[:, i:i + 1]
    row = lambda k: c[k:k + 1, :]
    out["avgc_inf"] = np.array([[np.trace(solve_continuous_lyapunov(a, -col(i) @ col(i).T))
                                 for i in range(b.shape[1])]])
    out["avgc_T"] = np.array([[np.trace(finite_gramian(a, col(i) @ col(i).T, t)) for i in range(b.shape[1])]])
    out["avgc_all_T"] = np.array([[np.trace(out["wc_T"])]])
    out["avgo_inf"] = np.array([[np.trace(solve_continuous_lyapunov(a.T, -row(k).T @ row(k)))
                                 for k in range(c.shape[0])]])
    out["avgo_T"] = np.array([[np.trace(finite_gramian(a.T, row(k).T @ row(k), t)) for k in range(c.shape[0])]])
    out["outE_inf"] = np.array([[x0 @ out["wo_inf"] @ x0]])
    out["outE_T"] = np.array([[x0 @ out["wo_T"] @ x0]])
    out["modal"] = modal(a, b, dt)[None, :]
    out["modal_unit"] = modal(a, np.eye(n), dt)[None, :]
    if np.allclose(a, a.T):
        gu = gu_modal_symmetric(a, dt)
        assert np.allclose(gu, out["modal_unit"][0], rtol=1e-12), (gu, out["modal_unit"])
    d = xf - expm(a * t) @ x0
    lam = np.linalg.solve(out["wc_T"], d)
    out["energy"] = np.array([[d @ lam]])
    ts = np.arange(N_INTERVALS + 1) * t / N_INTERVALS
    out["input"] = np.array([np.concatenate([[tk], b.T @ expm(a.T * (t - tk)) @ lam]) for tk in ts])
    out["reach_inf"] = np.diag(np.linalg.inv(out["wc_inf"]))[None, :]
    out["reach_T"] = np.diag(np.linalg.inv(out["wc_T"]))[None, :]
    return out


def write(name, data):
    path = os.path.join(OUT, f"gramian_{name}.txt")
    with open(path, "w") as f:
        f.write(f"# written by tests/reference/make_gramian_reference.py (system {name})\n")
        for key, m in data.items():
            m = np.atleast_2d(m)
            f.write(f"{key} {m.shape[0]} {m.shape[1]}\n")
            for r in m:
                f.write(" ".join("%.17g" % v for v in r) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20150817)

    s = rng.standard_normal((3, 3))
    a = stable((s + s.T) / 2, 0.3)
    sym = blocks(a, rng.standard_normal((3, 2)), rng.standard_normal((2, 3)), 2.0, 0.1,
                 rng.standard_normal(3), rng.standard_normal(3))

    r = rng.standard_normal((4, 4))
    a = stable(r - r.T + 0.3 * rng.standard_normal((4, 4)), 0.2)
    assert np.any(np.abs(np.linalg.eigvals(a).imag) > 0.1)
    osc = blocks(a, rng.standard_normal((4, 2)), rng.standard_normal((2, 4)), 3.0, 0.1,
                 rng.standard_normal(4), rng.standard_normal(4))

    a = np.array([[-1.0, 8.0, 0.0], [0.0, -1.5, 6.0], [0.0, 0.0, -2.0]]) + 0.1 * rng.standard_normal((3, 3))
    a = stable(a, 0.5)
    lam, v = np.linalg.eig(a)
    assert np.linalg.cond(v) > 10, np.linalg.cond(v)  # far from normal
    nonnormal = blocks(a, rng.standard_normal((3, 2)), rng.standard_normal((1, 3)), 1.5, 0.05,
                       rng.standard_normal(3), rng.standard_normal(3))

    for name, data in (("sym", sym), ("osc", osc), ("nonnormal", nonnormal)):
        write(name, data)
        print(name, "eig", np.round(np.linalg.eigvals(data["a"]), 3), "cond W_c(T)",
              "%.3g" % np.linalg.cond(data["wc_T"]), "energy %.6g" % data["energy"][0, 0])


if __name__ == "__main__":
    main()
