#!/usr/bin/env python3
"""Reference data for tests/test_delay_spectrum.cpp (characteristic roots of
linear delay differential equations x' = A0 x + sum_k A_k x(t - tau_k)).

usage: python3 tests/reference/make_delay_spectrum_reference.py   (numpy, scipy)

Nothing here uses nmsweep. Writes, under tests/data/stability/:

delay_cases.txt  blocks of
                   case NAME n N_TERMS
                   a0 <n*n values, row-major>
                   term TAU <n*n values>          (N_TERMS lines)
                   root RE IM                     (the rightmost roots, sorted by
                                                   real part, largest first; a
                                                   pair: imag > 0 first)
                   end
                 Roots of a scalar equation x' = a x + b x(t - tau) are
                 a + W_k(b tau exp(-a tau)) / tau over the branches k of the
                 Lambert W function (every root is one of them, each branch
                 gives one). A system whose A0 = S diag(a_i) S^-1 and
                 A1 = S diag(b_i) S^-1 commute (one real mode, one complex
                 pair written as a real 2x2 block) has the union of its modes'
                 roots. Equations with several delays: roots by scipy.optimize
                 from a dense grid of starts, polished by complex Newton,
                 deduplicated, and proven complete in the rectangle searched
                 by the argument principle (the count of zeros of
                 f(l) = l - a - sum b_k exp(-l tau_k) from the contour integral
                 of f'/f must equal the number found).
delay_hayes.txt  rows "a b tau sign re im": points of x' = a x + b x(t - tau)
                 on either side of, and close to, the boundary of Hayes'
                 stability region; sign = -1 if all roots have negative real
                 part, +1 otherwise, from Hayes' conditions (Hayes, J London
                 Math Soc 25 (1950) 226; Hale & Verduyn Lunel 1993, thm A.5):
                 with p = a tau, q = b tau, all roots have Re < 0 iff
                   p < 1,  p + q < 0  and  q > -sqrt(p^2 + w^2),
                 w the root in (0, pi) of w cot w = p (the boundary q = -w/sin w,
                 p = w cot w is where a pair i w / tau crosses the imaginary
                 axis; q = -p is where the real root crosses 0). re, im: the
                 rightmost root from the branch W_0, whose real part the
                 script checks to have that sign.
"""

import os

import numpy as np
from scipy.optimize import brentq, fsolve
from scipy.special import lambertw

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "..", "data", "stability")


def sort_roots(r):
    r = np.asarray(r, dtype=complex)
    return r[np.lexsort((-r.imag, -r.real))]


def lambert_roots(a, b, tau, branches=40):
    """All roots of l = a + b exp(-l tau) from branches |k| <= branches (a, b may be complex)."""
    z = b * tau * np.exp(-a * tau)
    return np.array([a + lambertw(z, k) / tau for k in range(-branches, branches + 1)])


def rightmost(r, count):
    r = sort_roots(r)
    # Keep a conjugate pair whole.
    if count < len(r) and r[count - 1].imag > 0 and abs(r[count] - np.conj(r[count - 1])) < 1e-12:
        count += 1
    return r[:count]


def write_case(f, name, a0, terms, roots):
    a0 = np.atleast_2d(np.asarray(a0, dtype=float))
    n = a0.shape[0]
    f.write(f"case {name} {n} {len(terms)}\n")
    f.write("a0 " + " ".join(f"{v:.17g}" for v in a0.ravel()) + "\n")
    for tau, a in terms:
        a = np.atleast_2d(np.asarray(a, dtype=float))
        f.write(f"term {tau:.17g} " + " ".join(f"{v:.17g}" for v in a.ravel()) + "\n")
    for r in roots:
        f.write(f"root {r.real:.17g} {r.imag:.17g}\n")
    f.write("end\n")


# -- scalar equations with one delay: Lambert W --------------------------------

SCALAR = [
    # name, a, b, tau (ms); comment: what the rightmost root is
    ("pure_delay", 0.0, -1.0, 1.0),  # pair -0.318 +- 1.337i
    ("real_positive_b", -1.0, 0.5, 2.0),  # b > 0: real rightmost root
    ("two_real", -1.0, -0.1, 1.0),  # b tau e^{-a tau} in (-1/e, 0): two real roots
    ("unstable_pair", 0.5, -2.0, 1.0),  # oscillatory instability
    ("ms_scale_pair", -0.05, -0.08, 25.0),  # cortical scales: rates 1/ms, delay 25 ms
    ("long_delay", -0.2, 0.15, 40.0),  # real root near -0.04, dense pairs
]


def scalar_cases(f):
    for name, a, b, tau in SCALAR:
        r = lambert_roots(a, b, tau)
        assert np.max(np.abs(r - a - b * np.exp(-r * tau))) < 1e-10 * np.max(np.abs(r))
        write_case(f, name, [[a]], [(tau, [[b]])], rightmost(r, 12))


# -- a 3-dimensional system with commuting A0, A1 --------------------------------


def system_case(f):
    rng = np.random.default_rng(17)
    s = rng.normal(size=(3, 3)) + 2 * np.eye(3)
    si = np.linalg.inv(s)
    tau = 6.0
    # mode 0 real (a, b); modes 1, 2 the pair (alpha +- i beta, gamma +- i delta)
    a_r, b_r = -0.3, -0.25
    alpha, beta, gamma, delta = -0.1, 0.8, -0.2, 0.15
    d0 = np.array([[a_r, 0, 0], [0, alpha, -beta], [0, beta, alpha]])
    d1 = np.array([[b_r, 0, 0], [0, gamma, -delta], [0, delta, gamma]])
    a0, a1 = s @ d0 @ si, s @ d1 @ si
    assert np.allclose(a0 @ a1, a1 @ a0)
    # The block [[x, -y], [y, x]] acts as x + i y on the eigenvector (1, -i)
    # and as x - i y on (1, i): the same eigenvector for A0 and A1.
    ra = lambert_roots(alpha + 1j * beta, gamma + 1j * delta, tau)
    r = np.concatenate([lambert_roots(a_r, b_r, tau), ra, np.conj(ra)])
    for lam in r:
        assert abs(np.linalg.det(lam * np.eye(3) - a0 - a1 * np.exp(-lam * tau))) < 1e-9 * (1 + abs(lam)) ** 3
    write_case(f, "commuting_3x3", a0, [(tau, a1)], rightmost(r, 12))


# -- scalar equations with several delays: root finding + argument principle ----


def char_fun(a, bs, taus):
    bs, taus = np.asarray(bs), np.asarray(taus)

    def f(lam):
        return lam - a - np.sum(bs * np.exp(-lam * taus))

    def df(lam):
        return 1 + np.sum(bs * taus * np.exp(-lam * taus))

    return f, df


def polish(f, df, z):
    for _ in range(50):
        step = f(z) / df(z)
        z -= step
        if abs(step) < 1e-15 * max(1.0, abs(z)):
            break
    return z


def zero_count(f, df, re_lo, re_hi, im_hi, points=40000):
    """Zeros of f in [re_lo, re_hi] x [-im_hi, im_hi] by the argument principle."""
    corners = [re_lo - 1j * im_hi, re_hi - 1j * im_hi, re_hi + 1j * im_hi, re_lo + 1j * im_hi]
    total = 0j
    for c0, c1 in zip(corners, corners[1:] + corners[:1]):
        t = np.linspace(0, 1, points)
        z = c0 + (c1 - c0) * t
        g = np.array([df(v) / f(v) for v in z]) * (c1 - c0)
        total += np.trapz(g, t) if hasattr(np, "trapz") else np.trapezoid(g, t)
    return total / (2j * np.pi)


def several_delays_roots(a, bs, taus, re_lo):
    """All roots with Re >= re_lo, proven complete."""
    f, df = char_fun(a, bs, taus)
    bs, taus = np.abs(np.asarray(bs)), np.asarray(taus)
    # For Re l >= re_lo: |l| <= |a| + sum |b_k| exp(-re_lo tau_k), so the
    # rectangle below holds every root with Re l >= re_lo.
    bound = abs(a) + np.sum(bs * np.exp(-re_lo * taus))
    re_hi, im_hi = bound + 0.1, bound + 0.1

    def fr(xy):
        v = f(xy[0] + 1j * xy[1])
        return [v.real, v.imag]

    found = []
    for x in np.linspace(re_lo, re_hi, 25):
        for y in np.linspace(0, im_hi, 200):
            xy, _, ok, _ = fsolve(fr, [x, y], full_output=True)
            if ok != 1:
                continue
            z = polish(f, df, xy[0] + 1j * xy[1])
            if abs(f(z)) > 1e-12 * (1 + abs(z)) or z.real < re_lo or z.imag < -1e-9:
                continue
            if z.imag < 1e-12:
                z = complex(z.real, 0)
            if all(abs(z - w) > 1e-8 * (1 + abs(z)) for w in found):
                found.append(z)
    roots = np.array(found + [np.conj(z) for z in found if z.imag > 0])
    # The contour must not pass near a root.
    assert np.min(np.abs(roots.real - re_lo)) > 1e-3
    count = zero_count(f, df, re_lo, re_hi, im_hi)
    assert abs(count.imag) < 1e-3 and abs(count.real - len(roots)) < 1e-3, (count, len(roots))
    return sort_roots(roots)


def several_delay_cases(f):
    # two delays on a scalar equation
    a, bs, taus = -0.5, [-0.6, 0.3], [2.0, 5.0]
    r = several_delays_roots(a, bs, taus, re_lo=-0.53)
    write_case(f, "two_delays", [[a]], [(t, [[b]]) for t, b in zip(taus, bs)], r)
    # many distinct delays (a connectome-like spread of conduction delays)
    rng = np.random.default_rng(170)
    k = 120
    taus = np.sort(rng.uniform(1.0, 20.0, size=k))
    bs = rng.normal(scale=0.6 / k, size=k) - 0.4 / k
    a = -0.05
    r = several_delays_roots(a, bs, taus, re_lo=-0.2)
    write_case(f, "many_delays", [[a]], [(t, [[b]]) for t, b in zip(taus, bs)], r)


# -- Hayes' stability region -----------------------------------------------------


def hayes_boundary_q(p):
    """q on the oscillatory boundary: q = -sqrt(p^2 + w^2), w cot w = p, w in (0, pi)."""
    if p == 0:
        w = np.pi / 2
    else:
        w = brentq(lambda w: w * np.cos(w) - p * np.sin(w), 1e-12, np.pi - 1e-12)
    return -np.hypot(p, w)


def hayes_stable(p, q):
    return p < 1 and p + q < 0 and q > hayes_boundary_q(p)


def hayes_points(f):
    rows = []
    eps = 0.02
    for tau in (1.0, 10.0):
        for p in (-3.0, -1.0, 0.0, 0.5, 0.9):
            qc = hayes_boundary_q(p)
            for q in (qc * (1 - eps), qc * (1 + eps)):  # across the oscillatory boundary
                rows.append((p / tau, q / tau, tau))
            if p < 1:
                for q in (-p - eps, -p + eps):  # across the real-root boundary
                    rows.append((p / tau, q / tau, tau))
        for p in (1 - eps, 1 + eps):  # across p = 1 (stable for q in (-1.0101, -0.98) at p = 0.98)
            q = -0.995
            rows.append((p / tau, q / tau, tau))
    for a, b, tau in rows:
        r = rightmost(lambert_roots(a, b, tau), 1)[0]
        s = -1 if hayes_stable(a * tau, b * tau) else 1
        assert np.sign(r.real) == s, (a, b, tau, r)
        f.write(f"{a:.17g} {b:.17g} {tau:.17g} {s:d} {r.real:.17g} {abs(r.imag):.17g}\n")


def main():
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "delay_cases.txt"), "w") as f:
        f.write("# written by tests/reference/make_delay_spectrum_reference.py\n")
        scalar_cases(f)
        system_case(f)
        several_delay_cases(f)
    with open(os.path.join(out_dir, "delay_hayes.txt"), "w") as f:
        f.write("# a b tau sign re im   (tests/reference/make_delay_spectrum_reference.py)\n")
        hayes_points(f)


if __name__ == "__main__":
    main()
