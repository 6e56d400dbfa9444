"""Figures of `nmsweep continue` results for nmsweep plot (nmsweep_plot.py
imports this module; the CLI and the Python package ship both).

continuation: the branch of equilibria (observable against the parameter;
stable solid, unstable dashed) with its special points, the brute-force
sweep of the same parameter overlaid with --sweep (its min and max of the
observable: fixed points as dots, oscillations as max/min pairs), and the
two-parameter curves in a second panel when the file has them.
"""
import numpy as np

# point kinds of /continuation/.../special/kind (stability/continuation.hpp)
KINDS = {0: ("LP", "s", "fold"), 1: ("H", "o", "Hopf"), 2: ("BP", "D", "branch point"),
         3: ("CP", "*", "cusp"), 4: ("BT", "P", "Bogdanov-Takens"), 5: ("GH", "X", "Bautin")}


def runs(mask):
    """(start, end) index ranges where mask is constant, overlapping by one
    point so that the line is continuous across a change."""
    out, s = [], 0
    for k in range(1, len(mask) + 1):
        if k == len(mask) or mask[k] != mask[s]:
            out.append((s, min(k + 1, len(mask))))
            s = k
    return out


def draw_branch(ax, g, ycol, xname="param", label=None, color="k"):
    x, y = g[xname][:], g[ycol][:]
    stable = g["n_unstable"][:] == 0 if ycol == "observable" else np.ones(len(x), bool)
    for s, e in runs(stable):
        ax.plot(x[s:e], y[s:e], "-" if stable[s] else "--", color=color, lw=1.4,
                label=label if (s == 0 and label) else None)
    return stable


def mark_special(ax, g, ycol, xname="param", used=None):
    if "special" not in g:
        return
    sp = g["special"]
    kind = sp["kind"][:]
    x = sp[xname][:]
    y = sp[ycol][:] if ycol in sp else sp["param2"][:]
    hz = sp["frequency"][:]
    for k in range(len(kind)):
        tag, marker, name = KINDS.get(int(kind[k]), ("?", "x", "?"))
        first = used is not None and name not in used
        if used is not None:
            used.add(name)
        ax.plot(x[k], y[k], marker, color="#d62728", ms=7, mfc="none", mew=1.5,
                label=name if first else None)
        text = tag + (" %.3g Hz" % hz[k] if int(kind[k]) == 1 and np.isfinite(hz[k]) else "")
        ax.annotate(text, (x[k], y[k]), textcoords="offset points", xytext=(5, 5), fontsize=7)


def overlay_sweep(ax, P, a, name):
    """The brute-force min/max of the observable along axis `name` of a sweep result."""
    res = P.Result(a.sweep)
    if name not in res.axes:
        P.fail("continuation --sweep: %s has no axis %s (axes: %s)" % (a.sweep, name, ", ".join(res.axes)))
    pmin, _ = P.feature_path(res, "min", None)
    pmax, _ = P.feature_path(res, "max", None)
    idx, notes = P.fix_axes(res, {name}, P.parse_at(res, a.at), "continuation", allow_initial_all=True)
    lo, hi = (np.asarray(res.f[p][idx], float) for p in (pmin, pmax))
    x = res.values[name]
    if lo.ndim == 2:  # initial conditions along the other dimension
        if res.axes.index(name) > res.axes.index("initial"):
            lo, hi = lo.T, hi.T
        x = np.repeat(x[:, None], lo.shape[1], axis=1)
    fixed = np.isclose(lo, hi, rtol=1e-3, atol=1e-6)
    ax.plot(x[fixed], lo[fixed], ".", color="#6baed6", ms=4, label="sweep: fixed point")
    ax.plot(x[~fixed], hi[~fixed], "^", color="#fb6a4a", ms=3, label="sweep: oscillation max")
    ax.plot(x[~fixed], lo[~fixed], "v", color="#3182bd", ms=3, label="sweep: oscillation min")
    return notes


def plot_continuation(res, a, P):
    f = res.f
    if "continuation/equilibria" not in f:
        P.fail("%s: no /continuation (a file of nmsweep continue)" % res.path)
    g = f["continuation/equilibria"]
    name = g["param"].attrs.get("name", "parameter")
    name = name.decode() if isinstance(name, bytes) else str(name)
    curves = sorted(k for k in f["continuation"] if k.startswith("curve_"))
    fig, axes = P.plt.subplots(1, 2 if curves else 1, figsize=(11.5 if curves else 6.6, 4.4), squeeze=False)
    ax = axes[0][0]
    notes = overlay_sweep(ax, P, a, name) if a.sweep else []
    draw_branch(ax, g, "observable", label="equilibria (stable solid, unstable dashed)")
    mark_special(ax, g, "observable", used=set())
    ax.set_xlabel(name)
    ax.set_ylabel((res.observable or "observable") + " (network mean)")
    ax.legend(fontsize=7, loc="best")
    ax.set_title(a.title or P.title_of(res, "continuation of equilibria", notes), fontsize=10)
    if curves:
        ax2 = axes[0][1]
        used = set()
        for c in curves:
            gc = f["continuation/" + c]
            kind = gc.attrs.get("kind", b"")
            kind = kind.decode() if isinstance(kind, bytes) else str(kind)
            name2 = gc["param2"].attrs.get("name", "param2")
            name2 = name2.decode() if isinstance(name2, bytes) else str(name2)
            ax2.plot(gc["param"][:], gc["param2"][:], "-" if kind == "fold" else "-.",
                     color="#2171b5" if kind == "fold" else "#cb181d", lw=1.3,
                     label=("fold curve" if kind == "fold" else "Hopf curve") if kind not in used else None)
            used.add(kind)
            mark_special(ax2, gc, "param2", used=used)
        ax2.set_xlabel(name)
        ax2.set_ylabel(name2)
        ax2.legend(fontsize=7, loc="best")
        ax2.set_title("curves of folds and Hopf points", fontsize=10)
    fig.tight_layout()
    return fig
