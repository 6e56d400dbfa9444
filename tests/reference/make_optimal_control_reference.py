#!/usr/bin/env python3
"""Reference for tests/test_optimal_control.cpp: the continuous-time
linear-quadratic optimum, in closed form, for a 3-node linear network
(dx/dt = A x + B u, A = gamma I + a W) with inputs at nodes 0 and 2:

  minimise  rho/2 |x(T) - x*|^2 + beta/2 int_0^T |u|^2 dt

The adjoint is lambda(t) = exp(A^T (T - t)) rho (x(T) - x*), u = -B^T lambda / beta,
and x(T) = exp(A T) x0 - W_T rho (x(T) - x*) / beta with the controllability
Gramian W_T = int_0^T exp(A s) B B^T exp(A^T s) ds (Van Loan's block
exponential), so x(T) solves (I + rho/beta W_T) x(T) = exp(A T) x0 + rho/beta W_T x*.
Writes tests/data/stability/lq_control.txt: rows t u_0(t) u_2(t) at
t = 0, 0.1, ..., T ms, then one row "nan x(T)".
"""
import os

import numpy as np
from scipy.linalg import expm

gamma, a = -0.5, 0.3
W = np.array([[0, 0.5, 0.2], [0.5, 0, 0.4], [0.2, 0.4, 0]])
A = gamma * np.eye(3) + a * W
B = np.zeros((3, 2))
B[0, 0] = B[2, 1] = 1
x0 = np.array([1.0, -0.5, 0.25])
xs = np.array([0.2, 0.8, -0.3])
rho, beta, T = 50.0, 1.0, 2.0

n = 3
M = np.zeros((2 * n, 2 * n))
M[:n, :n] = -A
M[:n, n:] = B @ B.T
M[n:, n:] = A.T
E = expm(M * T)
WT = E[n:, n:].T @ E[:n, n:]  # Van Loan: W_T = F^T G with F = E22, G = E12
xT = np.linalg.solve(np.eye(n) + rho / beta * WT, expm(A * T) @ x0 + rho / beta * WT @ xs)
rows = []
for t in np.linspace(0, T, 21):
    lam = expm(A.T * (T - t)) @ (rho * (xT - xs))
    rows.append([t, *(-B.T @ lam / beta)])
out = os.path.join(os.path.dirname(__file__), "..", "data", "stability", "lq_control.txt")
with open(out, "w") as f:
    f.write("# t u_node0 u_node2 (make_optimal_control_reference.py); last row: nan x(T)\n")
    for r in rows:
        f.write(" ".join(f"{v:.15g}" for v in r) + "\n")
    f.write("nan " + " ".join(f"{v:.15g}" for v in xT) + "\n")
print(open(out).read())
