#!/usr/bin/env python3
"""nmsweep plot: PNG figures of an nmsweep result file.

Run as `nmsweep plot OUT.h5 WHAT [options] -o FILE.png` (the nmsweep
executable runs this script with python3), or directly with python3.

WHAT
  map FEATURE    a feature over two grid axes (--x, --y): features/FEATURE,
                 network_FEATURE with --node network (the default where it
                 exists), or any dataset path; class boundaries overlaid
  classes        attractor classes (feature "attractor") over one or two axes,
                 with a legend and the /boundaries curves
  bifurcation    min and max of the observable against one parameter (--x),
                 like a continuation diagram; every initial condition shown
  spectrum       Welch PSD (spectra/network_psd or spectra/psd of --node)
                 against frequency, log scale, for the points chosen with
                 --at (one curve per value of --vary, if given)
  sync           Kuramoto order parameter (kuramoto_r, with metastability as
                 a band) against one parameter (--x), one line per value of
                 --vary
  fc             the FC matrix (features/fc) of one grid point (--at)
  recruitment    seizure recruitment probability per region (bars, region
                 labels; feature "seizure"), with the propagation probability
                 over an ez axis's hypotheses
  onsets         seizure onset raster of one grid point (--at): each region's
                 seizure from onset to first offset, in onset order
  ranking        the points that agree best with [output.seizure] observed
                 onsets, by score
  hysteresis     a parameter ramp (feature "ramp"): the observable's window
                 extrema against the ramped parameter, rising and falling
                 legs apart (a loop where the system is bistable); one point
                 (--at), --node for a region instead of the network mean
  tongue [FEATURE]  an Arnold-tongue map: FEATURE (default stim_plv; network
                 mean unless --node) over the stimulus frequency (--x, default
                 the stimulus.*.frequency axis) and amplitude (--y, default
                 stimulus.*.amplitude), with the n:m locking regions
                 (locking_ratio within 5% of n/m) outlined when present
  erp            the evoked response (features "erp") of one grid point (--at):
                 every node (or, with --sensors NAME, every sensor) overlaid
                 and the network mean, its peak latency marked
  continuation   a file of `nmsweep continue`: the equilibria against the
                 parameter (stable solid, unstable dashed) with folds (LP) and
                 Hopf points (H, with their frequency); --sweep FILE overlays
                 the brute-force min/max of a sweep of the same parameter;
                 two-parameter curves in a second panel
  fit            a file of `nmsweep fit`: the cost of every candidate (by
                 generation) with the best so far, and each parameter's values
  fit_target     a file of `nmsweep fit`: the best candidate's features beside
                 each target (FC and FCD matrices side by side, spectra on log
                 axes with the band shaded, values against the targets)
  posterior      a file of `nmsweep infer`: each axis's marginal with its
                 credible interval and mean, and the joint density of two axes
                 (--x, --y; default the first two); weighted samples (a
                 sampler run, an abc-smc fit) as histograms and a scatter

Axes not plotted are fixed with --at NAME=VALUE (nearest grid value; for
"initial" the index); otherwise at their first value (said on stderr).
"""
import argparse
import sys


def fail(msg, code=2):
    sys.stderr.write("nmsweep plot: error: %s\n" % msg)
    sys.exit(code)


try:
    import numpy as np
    import h5py
    import matplotlib

    if __name__ == "__main__":  # (imported by nmsweep.plot: the caller's backend stays)
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm
    from matplotlib.lines import Line2D
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Rectangle
except ImportError as e:  # pragma: no cover - depends on the machine
    fail("nmsweep plot needs numpy, h5py and matplotlib (%s); install them, e.g. "
         "`python3 -m pip install numpy h5py matplotlib` (cmake/setup-debian.sh does)" % e)

CLASS_NAMES = ["fixed point", "periodic", "irregular", "diverged", "unresolved"]
CLASS_COLORS = ["#d9d9d9", "#3182bd", "#e6550d", "#000000", "#fdd0a2"]
CLASS_KEYS = ["fixed_point", "periodic", "irregular", "diverged", "unresolved"]


def split_pair(name):
    """'fixed_point_periodic' -> ('fixed_point', 'periodic')."""
    for a in CLASS_KEYS:
        if name.startswith(a + "_") and name[len(a) + 1:] in CLASS_KEYS:
            return a, name[len(a) + 1:]
    return (name,)


# ------------------------------------------------------------------ reading
class Result:
    def __init__(self, path):
        try:
            # No lock: the file may be one a run is still writing.
            self.f = h5py.File(path, "r", locking=False)
        except OSError as e:
            fail("%s: cannot open (%s)" % (path, e))
        self.path = path
        axes = self.f.attrs.get("axes")
        if axes is None:
            fail("%s: not an nmsweep result (no 'axes' attribute)" % path)
        self.axes = [a.decode() if isinstance(a, bytes) else str(a) for a in np.atleast_1d(axes)]
        self.values = {a: self.f["axes/" + a][:] for a in self.axes}
        self.shape = tuple(len(self.values[a]) for a in self.axes)
        self.model = self._attr("", "model")
        self.observable = self._attr("", "observable")

    def _attr(self, obj, key, default=""):
        o = self.f[obj] if obj else self.f
        v = o.attrs.get(key, default)
        return v.decode() if isinstance(v, bytes) else v

    def label(self, axis):
        if axis == "sample" or axis not in self.values:
            return axis
        u = self._attr("axes/" + axis, "units")
        return "%s (%s)" % (axis, u) if u else axis

    def has(self, name):
        return name in self.f

    def dims(self, name):
        ds = self.f[name]
        out = []
        for d in ds.dims:
            out.append(d[0].name.split("/")[-1] if len(d) else "")
        return out


def parse_at(res, items):
    """--at NAME=VALUE -> {axis: index}."""
    out = {}
    for it in items or []:
        if "=" not in it:
            fail("--at %s: expected NAME=VALUE" % it)
        name, val = it.split("=", 1)
        if name not in res.axes:
            fail("--at %s: the grid has no axis '%s' (axes: %s)" % (it, name, ", ".join(res.axes)))
        try:
            v = float(val)
        except ValueError:
            fail("--at %s: not a number" % it)
        vals = res.values[name]
        out[name] = int(np.argmin(np.abs(vals - v)))
    return out


def fix_axes(res, keep, at, what, allow_initial_all=False):
    """Index tuple selecting the grid: `keep` axes whole, others at --at or 0."""
    idx = []
    notes = []
    for a in res.axes:
        if a in keep:
            idx.append(slice(None))
        elif a in at:
            idx.append(at[a])
            notes.append("%s = %g" % (a, res.values[a][at[a]]))
        elif a == "initial" and allow_initial_all:
            idx.append(slice(None))
        else:
            idx.append(0)
            if len(res.values[a]) > 1:
                sys.stderr.write("nmsweep plot: %s: %s fixed at %g (its first value; choose with --at %s=...)\n"
                                 % (what, a, res.values[a][0], a))
            notes.append("%s = %g" % (a, res.values[a][0]))
    return tuple(idx), notes


def feature_path(res, feat, node):
    """Dataset path and whether it has a trailing node dim to index."""
    if "/" in feat:
        if not res.has(feat):
            fail("%s has no dataset '%s'" % (res.path, feat))
        path = feat
    else:
        cands = (["features/network_" + feat, "features/" + feat] if node in (None, "network")
                 else ["features/" + feat, "features/node_" + feat])
        path = next((c for c in cands if res.has(c)), None)
        if path is None:
            avail = sorted(k for k in res.f["features"].keys()
                           if isinstance(res.f["features"][k], h5py.Dataset)
                           and k not in res.axes and k not in ("node", "node_j"))
            fail("%s has no feature '%s' (features: %s)" % (res.path, feat, ", ".join(avail)))
    dims = res.dims(path)
    per_node = len(dims) > len(res.axes) and dims[len(res.axes)] == "node"
    if node not in (None, "network") and not per_node:
        fail("%s has no node dimension (%s)" % (path, ", ".join(dims)))
    return path, per_node


def node_index(res, node):
    if node in (None, "network"):
        return None
    try:
        k = int(node)
    except ValueError:
        labels = res.f["axes/node"].attrs.get("labels")
        labels = [l.decode() if isinstance(l, bytes) else str(l) for l in np.atleast_1d(labels)] if labels is not None else []
        if node not in labels:
            fail("--node %s: neither an index nor a region label" % node)
        k = labels.index(node)
    n = len(res.f["axes/node"])
    if not 0 <= k < n:
        fail("--node %d: outside 0 .. %d" % (k, n - 1))
    return k


def title_of(res, what, notes):
    t = "%s: %s" % (res.model, what) if res.model else what
    if notes:
        t += "\n" + ", ".join(notes)
    return t


def edges(v):
    """Cell edges around grid values (linear midpoints, or geometric for logspace axes)."""
    v = np.asarray(v, float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    if np.all(v > 0) and len(v) > 2 and np.allclose(np.diff(np.log(v)), np.log(v[1] / v[0]), rtol=1e-6) \
            and not np.allclose(np.diff(v), v[1] - v[0], rtol=1e-6):
        lv = np.log(v)
        m = 0.5 * (lv[1:] + lv[:-1])
        return np.exp(np.concatenate([[lv[0] - (m[0] - lv[0])], m, [lv[-1] + (lv[-1] - m[-1])]]))
    m = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (m[0] - v[0])], m, [v[-1] + (v[-1] - m[-1])]])


def overlay_boundaries(ax, res, xa, ya, legend=True):
    if not res.has("boundaries"):
        return
    g = res.f["boundaries"]
    colors = ["k", "#66a61e", "#7570b3", "#e6ab02", "#a6761d", "#1b9e77", "#d95f02"]
    k = 0
    for name in sorted(g.keys(), key=lambda n: ("multistable" in n, n)):
        ds = g[name]
        if not isinstance(ds, h5py.Dataset) or ds.ndim != 2 or "axes" not in ds.attrs:
            continue
        source = ds.attrs.get("class_map", b"")
        source = source.decode() if isinstance(source, bytes) else str(source)
        if source not in ("features/dominant_class", "features/attractor_class", "features/multistable"):
            continue  # (the n_attractors and per-start boundaries are data, not this figure's)
        names = [a.decode() if isinstance(a, bytes) else str(a) for a in np.atleast_1d(ds.attrs["axes"])]
        if names != [xa, ya] and names != [ya, xa]:
            continue
        pts = ds[:]
        if names == [ya, xa]:
            pts = pts[:, ::-1]
        if "multistable" in name:
            label, color = "edge of multistability", "#e7298a"
        else:
            label = " | ".join(CLASS_NAMES[CLASS_KEYS.index(c)] for c in split_pair(name))
            color = colors[k % len(colors)] if legend else "k"
            k += 1
        ax.plot(pts[:, 0], pts[:, 1], "o", ms=2.5, color=color, alpha=0.85, label=label if legend else None)
    if "refined" in g and "points" in g["refined"]:  # [output.attractor] refine
        ds = g["refined/points"]
        names = [a.decode() if isinstance(a, bytes) else str(a) for a in np.atleast_1d(ds.attrs["axes"])]
        if len(names) == 2 and sorted(names) == sorted([xa, ya]) and ds.shape[0]:
            pts = ds[:] if names == [xa, ya] else ds[:][:, ::-1]
            ax.plot(pts[:, 0], pts[:, 1], "x", ms=4, color="k", alpha=0.9,
                    label="refined boundary" if legend else None)


# ------------------------------------------------------------------ figures
def plot_map(res, a):
    if not a.feature:
        fail("map: name the feature, e.g. `map network_std` or `map peak_freq --node 3`")
    xa, ya = pick_two_axes(res, a, "map")
    node = node_index(res, a.node)
    path, per_node = feature_path(res, a.feature, a.node)
    at = parse_at(res, a.at)
    idx, notes = fix_axes(res, {xa, ya}, at, "map")
    ds = res.f[path]
    data = ds[idx] if ds.ndim == len(res.axes) else ds[idx + (node if node is not None else slice(None),)]
    data = np.asarray(data, float)
    if data.ndim != 2:
        fail("map: %s has extra dimensions besides the grid (%s); pick a node with --node or use `fc`/`spectrum`"
             % (path, ", ".join(res.dims(path))))
    kept = [ax_ for ax_ in res.axes if ax_ in (xa, ya)]
    if kept[0] != ya:
        data = data.T  # rows = y
    if node is not None:
        notes.append("node %d" % node)
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    X, Y = edges(res.values[xa]), edges(res.values[ya])
    finite = data[np.isfinite(data)]
    norm = None
    if a.log and finite.size and np.nanmin(finite) > 0:
        norm = LogNorm(vmin=finite.min(), vmax=finite.max())
    m = ax.pcolormesh(X, Y, np.ma.masked_invalid(data), cmap=a.cmap or "viridis", norm=norm, shading="flat")
    units = res._attr(path, "units")
    cb = fig.colorbar(m, ax=ax)
    cb.set_label(path.split("/")[-1] + (" (%s)" % units if units else ""))
    if not a.no_boundaries:
        overlay_boundaries(ax, res, xa, ya)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize=7, framealpha=0.8, title="class boundaries", title_fontsize=7)
    ax.set_xlabel(res.label(xa))
    ax.set_ylabel(res.label(ya))
    set_log_axes(ax, res, xa, ya)
    ax.set_title(a.title or title_of(res, path.split("/")[-1], notes), fontsize=10)
    return fig


def set_log_axes(ax, res, xa, ya):
    for axis, name in (("x", xa), ("y", ya)):
        v = res.values[name]
        if len(v) > 2 and np.all(v > 0) and not np.allclose(np.diff(v), v[1] - v[0], rtol=1e-6) \
                and np.allclose(np.diff(np.log(v)), np.log(v[1] / v[0]), rtol=1e-6):
            getattr(ax, "set_%sscale" % axis)("log")


def free_axes(res, a):
    """Grid axes that --at does not fix (and not "initial")."""
    fixed = {it.split("=", 1)[0] for it in (a.at or [])}
    return [x for x in res.axes if x != "initial" and x not in fixed]


def pick_two_axes(res, a, what):
    grid = free_axes(res, a)
    xa = a.x or (grid[-1] if grid else None)
    ya = a.y or next((g for g in grid if g != xa), None)
    if xa is None or ya is None:
        fail("%s: needs two grid axes besides 'initial' (the grid has: %s); for one axis use `bifurcation` "
             "or `classes`" % (what, ", ".join(res.axes)))
    for n in (xa, ya):
        if n not in res.axes:
            fail("%s: no axis '%s' (axes: %s)" % (what, n, ", ".join(res.axes)))
    if xa == ya:
        fail("%s: --x and --y name the same axis" % what)
    return xa, ya


def class_cmap():
    return ListedColormap(CLASS_COLORS), BoundaryNorm(np.arange(-0.5, len(CLASS_COLORS) + 0.5), len(CLASS_COLORS))


def plot_classes(res, a):
    if not res.has("features/attractor_class"):
        fail("classes: %s has no features/attractor_class (run with features = [..., \"attractor\"])" % res.path)
    grid = free_axes(res, a)
    at = parse_at(res, a.at)
    cmap, norm = class_cmap()
    if len(grid) == 1 or (a.x and not a.y and len(grid) >= 1):
        # One parameter: class of every initial condition (rows) along x.
        xa = a.x or grid[-1]
        keep = {xa} | ({"initial"} if "initial" in res.axes else set())
        idx, notes = fix_axes(res, keep, at, "classes")
        c = np.asarray(res.f["features/attractor_class"][idx], float)
        kept = [g for g in res.axes if g in keep]
        if c.ndim == 1:
            c = c[None, :]
        elif kept[0] == xa:
            c = c.T  # rows: initial conditions
        fig, ax = plt.subplots(figsize=(7.0, 3.2 if c.shape[0] < 4 else 4.2))
        ax.pcolormesh(edges(res.values[xa]), np.arange(c.shape[0] + 1) - 0.5, np.ma.masked_less(c, 0),
                      cmap=cmap, norm=norm, shading="flat")
        ax.set_xlabel(res.label(xa))
        ax.set_ylabel("initial condition" if c.shape[0] > 1 else "")
        if c.shape[0] == 1:
            ax.set_yticks([])
        else:
            ax.yaxis.get_major_locator().set_params(integer=True)
        set_log_axes(ax, res, xa, xa)
        if res.has("features/n_attractors") and res.dims("features/n_attractors") == [xa]:
            ax2 = ax.twinx()
            ax2.step(res.values[xa], res.f["features/n_attractors"][:], where="mid", color="#e7298a", lw=1.5)
            ax2.set_ylabel("distinct attractors", color="#e7298a")
            ax2.set_ylim(0, max(3, np.nanmax(res.f["features/n_attractors"][:]) + 1))
            ax2.yaxis.get_major_locator().set_params(integer=True)
    else:
        xa, ya = pick_two_axes(res, a, "classes")
        use_dominant = "initial" in res.axes and "initial" not in at and res.has("features/dominant_class")
        if use_dominant:
            path = "features/dominant_class"
            keep_axes = [g for g in res.axes if g != "initial"]
            sub_at = {k: v for k, v in at.items() if k != "initial"}
            idx = []
            notes = ["class reached by most initial conditions"]
            for g in keep_axes:
                if g in (xa, ya):
                    idx.append(slice(None))
                elif g in sub_at:
                    idx.append(sub_at[g])
                    notes.append("%s = %g" % (g, res.values[g][sub_at[g]]))
                else:
                    idx.append(0)
                    notes.append("%s = %g" % (g, res.values[g][0]))
            c = np.asarray(res.f[path][tuple(idx)], float)
            kept = [g for g in keep_axes if g in (xa, ya)]
        else:
            idx, notes = fix_axes(res, {xa, ya}, at, "classes")
            c = np.asarray(res.f["features/attractor_class"][idx], float)
            kept = [g for g in res.axes if g in (xa, ya)]
        if kept[0] != ya:
            c = c.T
        fig, ax = plt.subplots(figsize=(6.6, 5.0))
        ax.pcolormesh(edges(res.values[xa]), edges(res.values[ya]), np.ma.masked_less(c, 0), cmap=cmap, norm=norm,
                      shading="flat")
        if "initial" in res.axes and res.has("features/multistable") and use_dominant:
            ms = np.asarray(res.f["features/multistable"][tuple(idx)], float)
            if kept[0] != ya:
                ms = ms.T
            if np.nansum(ms) > 0:  # hatch the multistable cells
                X, Y = edges(res.values[xa]), edges(res.values[ya])
                cells = [Rectangle((X[i], Y[j]), X[i + 1] - X[i], Y[j + 1] - Y[j])
                         for j, i in zip(*np.nonzero(ms > 0.5))]
                ax.add_collection(PatchCollection(cells, facecolor="none", edgecolor="0.15", hatch="///", lw=0))
        if not a.no_boundaries:
            overlay_boundaries(ax, res, xa, ya, legend=False)
        ax.set_xlabel(res.label(xa))
        ax.set_ylabel(res.label(ya))
        set_log_axes(ax, res, xa, ya)
    present = sorted(set(int(v) for v in np.unique(c[np.isfinite(c)]) if 0 <= v < len(CLASS_NAMES)))
    handles = [Patch(facecolor=CLASS_COLORS[k], edgecolor="0.4", label=CLASS_NAMES[k]) for k in present]
    if "initial" in res.axes and len(grid) >= 2 and res.has("features/multistable"):
        handles.append(Patch(facecolor="white", edgecolor="0.2", hatch="///", label="multistable"))
    if len(grid) >= 2 and not a.no_boundaries and res.has("boundaries"):
        handles.append(Line2D([], [], ls="", marker="o", ms=3, color="k", label="class boundary"))
        if any("multistable" in k for k in res.f["boundaries"].keys()):
            handles.append(Line2D([], [], ls="", marker="o", ms=3, color="#e7298a", label="multistability edge"))
    ax.set_title(a.title or title_of(res, "attractor classes", notes), fontsize=10)
    ncol = min(len(handles), 4)
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    rows = (len(handles) + ncol - 1) // ncol
    fig.tight_layout(rect=(0, 0.035 + 0.045 * rows, 1, 1))
    return fig


def plot_bifurcation(res, a):
    grid = free_axes(res, a)
    xa = a.x or (grid[-1] if grid else None)
    if xa is None or xa not in res.axes:
        fail("bifurcation: name the parameter with --x (axes: %s)" % ", ".join(res.axes))
    node = node_index(res, a.node)
    pmin, _ = feature_path(res, "min", a.node)
    pmax, _ = feature_path(res, "max", a.node)
    at = parse_at(res, a.at)
    idx, notes = fix_axes(res, {xa}, at, "bifurcation", allow_initial_all=True)

    def take(path):
        ds = res.f[path]
        v = ds[idx] if ds.ndim == len(res.axes) else ds[idx + (node,)]
        v = np.asarray(v, float)
        kept = [g for g in res.axes if g == xa or (g == "initial" and isinstance(idx[res.axes.index(g)], slice))]
        if v.ndim == 2 and kept[0] != xa:
            v = v.T
        return v if v.ndim == 2 else v[:, None]

    lo, hi = take(pmin), take(pmax)
    x = res.values[xa]
    cls = take("features/attractor_class") if res.has("features/attractor_class") else None
    fig, ax = plt.subplots(figsize=(6.6, 4.4))
    X = np.repeat(x[:, None], lo.shape[1], axis=1)
    if cls is None:
        ax.plot(X, lo, ".", color="#3182bd", ms=3)
        ax.plot(X, hi, ".", color="#de2d26", ms=3)
        ax.plot([], [], ".", color="#3182bd", label="min")
        ax.plot([], [], ".", color="#de2d26", label="max")
    else:
        fixed = cls == 0
        osc = (cls == 1) | (cls == 2) | (cls == 4)
        ax.plot(X[fixed], 0.5 * (lo[fixed] + hi[fixed]), "o", color="k", ms=2.5, label="fixed point")
        ax.plot(X[osc], hi[osc], "^", color="#de2d26", ms=3, label="oscillation: max")
        ax.plot(X[osc], lo[osc], "v", color="#3182bd", ms=3, label="oscillation: min")
    if lo.shape[1] > 1:
        notes.append("%d initial conditions" % lo.shape[1])
    if node is not None:
        notes.append("node %d" % node)
    ax.set_xlabel(res.label(xa))
    obs = res.observable or "observable"
    ax.set_ylabel(obs + ("" if node is not None else " (network mean)"))
    set_log_axes(ax, res, xa, xa)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(a.title or title_of(res, "bifurcation diagram (extrema after the transient)", notes), fontsize=10)
    fig.tight_layout()
    return fig


def plot_spectrum(res, a):
    node = node_index(res, a.node)
    path = "spectra/network_psd" if node is None else "spectra/psd"
    if not res.has(path):
        fail("spectrum: %s has no %s (features \"psd\"%s)" % (res.path, path,
             "" if node is None else ", [output.spectra] per_node = true"))
    freq = res.f["spectra/freq"][:]
    at = parse_at(res, a.at)
    vary = a.vary
    if vary and vary not in res.axes:
        fail("--vary %s: no such axis" % vary)
    fig, ax = plt.subplots(figsize=(6.6, 4.4))
    vals = range(len(res.values[vary])) if vary else [None]
    cmap = plt.get_cmap("viridis")
    notes = []
    shown = (freq > 0) & (freq <= (a.fmax or np.inf))
    lo = np.inf
    for j, k in enumerate(vals):
        at2 = dict(at)
        if vary:
            at2[vary] = k
        idx, notes = fix_axes(res, set(), at2, "spectrum")
        ds = res.f[path]
        p = ds[idx] if node is None else ds[idx + (node,)]
        p = np.asarray(p, float)
        label = "%s = %g" % (vary, res.values[vary][k]) if vary else None
        color = cmap(j / max(1, len(vals) - 1)) if vary else "#08519c"
        ax.semilogy(freq[shown], p[shown], color=color, lw=1.2, label=label)
        pos = p[shown][p[shown] > 0]
        if pos.size:
            lo = min(lo, pos.min())
    if vary:
        notes = [n for n in notes if not n.startswith(vary + " =")]
        if len(vals) <= 12:
            ax.legend(fontsize=7)
    if node is not None:
        notes.append("node %d" % node)
    ax.set_xlabel("frequency (Hz)")
    units = res._attr(path, "units")
    ax.set_ylabel("PSD" + (" (%s)" % units if units else ""))
    if a.fmax:
        ax.set_xlim(0, a.fmax)
    if np.isfinite(lo):
        ax.set_ylim(bottom=lo / 2)
    ax.set_title(a.title or title_of(res, "Welch power spectrum", notes), fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_sync(res, a):
    if not res.has("features/kuramoto_r"):
        fail("sync: %s has no features/kuramoto_r (features \"kuramoto_r\")" % res.path)
    grid = [x for x in free_axes(res, a) if x != a.vary]
    xa = a.x or (grid[-1] if grid else None)
    if xa not in res.axes:
        fail("sync: name the parameter with --x (axes: %s)" % ", ".join(res.axes))
    at = parse_at(res, a.at)
    vary = a.vary
    fig, ax = plt.subplots(figsize=(6.6, 4.4))
    vals = range(len(res.values[vary])) if vary else [None]
    cmap = plt.get_cmap("viridis")
    notes = []
    for j, k in enumerate(vals):
        at2 = dict(at)
        if vary:
            at2[vary] = k
        idx, notes = fix_axes(res, {xa}, at2, "sync")
        r = np.asarray(res.f["features/kuramoto_r"][idx], float)
        color = cmap(j / max(1, len(vals) - 1)) if vary else "#08519c"
        label = "%s = %g" % (vary, res.values[vary][k]) if vary else "R (time mean)"
        ax.plot(res.values[xa], r, "-o", ms=3, color=color, label=label)
        if res.has("features/metastability"):
            s = np.asarray(res.f["features/metastability"][idx], float)
            ax.fill_between(res.values[xa], r - s, r + s, color=color, alpha=0.15, lw=0,
                            label=None if vary else "± metastability (std of R(t))")
    if vary:
        notes = [n for n in notes if not n.startswith(vary + " =")]
    ax.set_xlabel(res.label(xa))
    ax.set_ylabel("Kuramoto order parameter R")
    ax.set_ylim(0, 1.05)
    set_log_axes(ax, res, xa, xa)
    if not vary or len(vals) <= 12:
        ax.legend(fontsize=8)
    ax.set_title(a.title or title_of(res, "synchrony", notes), fontsize=10)
    fig.tight_layout()
    return fig


def plot_fc(res, a):
    if not res.has("features/fc"):
        fail("fc: %s has no features/fc (features \"fc\")" % res.path)
    at = parse_at(res, a.at)
    idx, notes = fix_axes(res, set(), at, "fc")
    fc = np.asarray(res.f["features/fc"][idx], float)
    fig, ax = plt.subplots(figsize=(5.8, 5.0))
    m = ax.imshow(fc, cmap=a.cmap or "RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    fig.colorbar(m, ax=ax, label="Pearson correlation")
    if res.has("features/fc_fit"):
        notes.append("fit to empirical FC r = %.3f" % float(res.f["features/fc_fit"][idx]))
    ax.set_xlabel("node")
    ax.set_ylabel("node")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(a.title or title_of(res, "functional connectivity", notes), fontsize=10)
    fig.tight_layout()
    return fig


def node_labels(res):
    n = len(res.f["axes/node"])
    labels = res.f["axes/node"].attrs.get("labels")
    if labels is None:
        return [str(k) for k in range(n)]
    return [l.decode() if isinstance(l, bytes) else str(l) for l in np.atleast_1d(labels)]


def need(res, path, what):
    if not res.has(path):
        fail("%s: %s has no %s (features \"seizure\"%s)" % (what, res.path, path,
             ", [output.seizure] observed" if "ranking" in path else ""))


def plot_recruitment(res, a):
    path = "seizure/recruitment_probability"
    need(res, path, "recruitment")
    dims = res.dims(path)[:-1]  # the axes left after the ez axis (none without one)
    at = parse_at(res, a.at)
    idx, notes = [], []
    for d in dims:
        k = at.get(d, 0)
        if d not in at and len(res.values[d]) > 1:
            sys.stderr.write("nmsweep plot: recruitment: %s fixed at %g (choose with --at %s=...)\n"
                             % (d, res.values[d][0], d))
        idx.append(k)
        notes.append("%s = %g" % (d, res.values[d][k]))
    p = np.asarray(res.f[path][tuple(idx)], float)
    q = (np.asarray(res.f["seizure/propagation_probability"][tuple(idx)], float)
         if res.has("seizure/propagation_probability") else None)
    labels = node_labels(res)
    x = np.arange(len(p))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.16 * len(p) + 2), 3.8))
    w = 0.4 if q is not None else 0.8
    ax.bar(x - (w / 2 if q is not None else 0), p, w, color="#3182bd", label="recruited")
    if q is not None:
        ax.bar(x + w / 2, q, w, color="#e6550d", label="recruited from outside the zone (propagation)")
        ax.legend(fontsize=8, frameon=False)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=90, fontsize=7 if len(p) > 30 else 9)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("probability")
    over = res._attr(path, "description")
    ax.set_title(a.title or title_of(res, "seizure recruitment", notes), fontsize=10)
    if over:
        fig.text(0.01, 0.01, over[:140], fontsize=6, color="#666666")
    fig.tight_layout()
    return fig


def plot_onsets(res, a):
    need(res, "features/seizure_onset", "onsets")
    at = parse_at(res, a.at)
    idx, notes = fix_axes(res, set(), at, "onsets")
    on = np.asarray(res.f["features/seizure_onset"][idx], float)
    off = np.asarray(res.f["features/seizure_offset"][idx], float)
    dur = float(res._attr("", "duration_ms", 0) or 0)
    labels = node_labels(res)
    order = sorted(range(len(on)), key=lambda k: (np.isnan(on[k]), on[k] if not np.isnan(on[k]) else 0, k))
    end = np.nanmax(np.concatenate([on, off])) if np.any(np.isfinite(on)) else 1.0
    end = max(end * 1.05, dur) if dur else end * 1.05
    fig, ax = plt.subplots(figsize=(7.0, max(3.0, 0.14 * len(on) + 1.5)))
    for row, k in enumerate(order):
        if np.isnan(on[k]):
            ax.plot([0, end], [row, row], color="#d9d9d9", lw=1)
            continue
        stop = off[k] if np.isfinite(off[k]) else end
        ax.plot([on[k], stop], [row, row], color="#e6550d", lw=4, solid_capstyle="butt")
        ax.plot([on[k]], [row], "k|", ms=8)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([labels[k] for k in order], fontsize=7 if len(on) > 30 else 9)
    ax.invert_yaxis()
    ax.set_xlabel("time (ms)")
    n_rec = int(np.sum(np.isfinite(on)))
    notes.append("%d of %d regions recruited; grey: never" % (n_rec, len(on)))
    ax.set_title(a.title or title_of(res, "seizure onsets (first seizure, onset order)", notes), fontsize=10)
    fig.tight_layout()
    return fig


def plot_ranking(res, a):
    g = "seizure/ranking"
    need(res, g + "/score", "ranking")
    score = np.asarray(res.f[g + "/score"][:], float)
    labels = res.f[g].attrs.get("labels")
    labels = ([l.decode() if isinstance(l, bytes) else str(l) for l in np.atleast_1d(labels)]
              if labels is not None else ["point %d" % p for p in res.f[g + "/point"][:]])
    y = np.arange(len(score))
    fig, ax = plt.subplots(figsize=(7.0, max(2.5, 0.3 * len(score) + 1.2)))
    ax.barh(y, np.nan_to_num(score), color="#31a354")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.0)
    ax.set_xlabel("score (Jaccard of recruited sets x (1 + rank correlation of onsets) / 2)")
    obs = res._attr(g, "observed")
    ax.set_title(a.title or title_of(res, "points against the observed onsets",
                                     ["observed: " + str(obs)] if obs else []), fontsize=10)
    fig.tight_layout()
    return fig


def plot_hysteresis(res, a):
    if not res.has("features/ramp_value"):
        fail("hysteresis: %s has no features/ramp_value (features \"ramp\" with a ramp stimulus)" % res.path)
    idx, notes = fix_axes(res, set(), parse_at(res, a.at), "hysteresis")
    node = node_index(res, a.node)
    pre = "features/" if node is not None else "features/network_"
    hi = np.asarray(res.f[pre + "ramp_max"][idx], float)
    lo = np.asarray(res.f[pre + "ramp_min"][idx], float)
    if node is not None:
        hi, lo = hi[node], lo[node]
        notes.append("node %d" % node)
    x = np.asarray(res.f["features/ramp_value"][idx], float)
    d = np.asarray(res.f["features/ramp_direction"][idx], float)
    fig, ax = plt.subplots(figsize=(6.6, 4.4))
    for sign, colour, name in ((1, "#de2d26", "rising"), (-1, "#3182bd", "falling"), (0, "0.5", "flat")):
        m = d == sign
        if not m.any():
            continue
        ax.fill_between(x[m], lo[m], hi[m], color=colour, alpha=0.25, lw=0, step=None)
        ax.plot(x[m], hi[m], "-", color=colour, lw=1.2, label="%s: max, min" % name)
        ax.plot(x[m], lo[m], "-", color=colour, lw=1.2)
    ax.set_xlabel(res.f["features/ramp_value"].attrs.get("parameter", "ramped parameter"))
    obs = res.observable or "observable"
    ax.set_ylabel(obs + ("" if node is not None else " (network mean)"))
    ax.legend(fontsize=8, loc="best")
    ax.set_title(a.title or title_of(res, "parameter ramp: extrema per window", notes), fontsize=10)
    fig.tight_layout()
    return fig


def stimulus_axis(res, a, given, prop):
    if given:
        if given not in res.axes:
            fail("tongue: no axis '%s' (axes: %s)" % (given, ", ".join(res.axes)))
        return given
    found = [x for x in free_axes(res, a) if x.startswith("stimulus.") and x.endswith("." + prop)]
    return found[0] if found else None


def tongue_data(res, a, path, node, xa, ya, idx):
    ds = res.f[path]
    data = ds[idx] if ds.ndim == len(res.axes) else ds[idx + (node if node is not None else slice(None),)]
    data = np.asarray(data, float)
    if data.ndim != 2:
        fail("tongue: %s has extra dimensions besides the grid (%s); pick a node with --node"
             % (path, ", ".join(res.dims(path))))
    kept = [x for x in res.axes if x in (xa, ya)]
    return data.T if kept[0] != ya else data  # rows = y


def plot_tongue(res, a):
    feat = a.feature or "stim_plv"
    xa = stimulus_axis(res, a, a.x, "frequency")
    ya = stimulus_axis(res, a, a.y, "amplitude")
    if xa is None or ya is None or xa == ya:
        a.x, a.y = xa, ya if ya != xa else None
        xa, ya = pick_two_axes(res, a, "tongue")
    node = node_index(res, a.node)
    path, _ = feature_path(res, feat, a.node)
    at = parse_at(res, a.at)
    idx, notes = fix_axes(res, {xa, ya}, at, "tongue")
    data = tongue_data(res, a, path, node, xa, ya, idx)
    if node is not None:
        notes.append("node %d" % node)
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    X, Y = edges(res.values[xa]), edges(res.values[ya])
    plv_like = path.split("/")[-1].endswith(("plv", "locking_index"))
    m = ax.pcolormesh(X, Y, np.ma.masked_invalid(data), cmap=a.cmap or "magma", shading="flat",
                      vmin=0 if plv_like else None, vmax=1 if plv_like else None)
    units = res._attr(path, "units")
    cb = fig.colorbar(m, ax=ax)
    cb.set_label(path.split("/")[-1] + (" (%s)" % units if units and units != "1" else ""))
    ratio_path = path.rsplit("/", 1)[0] + "/" + path.rsplit("/", 1)[1].replace(feat, "locking_ratio")
    if "/" not in feat and res.has(ratio_path):
        ratio = tongue_data(res, a, ratio_path, node, xa, ya, idx)
        colors = ["#00c0ff", "#7fff00", "#ffd700", "#ff69b4", "#ffffff"]
        handles = []
        xs, ys = np.asarray(res.values[xa], float), np.asarray(res.values[ya], float)
        ratios = sorted({(p, q) for q in range(1, 5) for p in range(1, 5) if np.gcd(p, q) == 1},
                        key=lambda r: (r[0] + r[1], r))
        for p_, q_ in ratios:
            inside = np.abs(ratio - p_ / q_) <= 0.05 * p_ / q_
            if inside.sum() < 2 or inside.all() or len(xs) < 2 or len(ys) < 2:
                continue
            c = colors[len(handles) % len(colors)]
            ax.contour(xs, ys, inside.astype(float), levels=[0.5], colors=[c], linewidths=1.4)
            handles.append(plt.Line2D([], [], color=c, label="%d:%d" % (p_, q_)))
            if len(handles) == 5:
                break
        if handles:
            ax.legend(handles=handles, loc="best", fontsize=7, framealpha=0.6, title="locking n:m",
                      title_fontsize=7)
    ax.set_xlabel(res.label(xa))
    ax.set_ylabel(res.label(ya))
    set_log_axes(ax, res, xa, ya)
    ax.set_title(a.title or title_of(res, "Arnold tongue: " + path.split("/")[-1], notes), fontsize=10)
    return fig


# ---- evoked responses ("erp"; nmsweep/sweep/evoked.hpp) ----
def erp_lags(res, path, n):
    """The lag scale (ms) of an ERP dataset: its last dimension's scale."""
    try:
        d = res.f[path].dims[len(res.f[path].shape) - 1]
        if len(d):
            return np.asarray(d[0][:], float)
    except (RuntimeError, KeyError, IndexError):
        pass
    lag = path.rsplit("/", 1)[0] + "/lag"
    return np.asarray(res.f[lag][:], float) if res.has(lag) else np.arange(n, dtype=float)


def plot_erp(res, a):
    g = "sensors/%s/" % a.sensors if a.sensors else None
    erp_p = g + "erp" if g else "evoked/erp"
    net_p = g + "network_erp" if g else "evoked/network_erp"
    feat = g if g else "features/"
    if not res.has(erp_p):
        fail("erp: %s has no %s (features \"erp\"%s)" % (res.path, erp_p,
             " in this [[output.sensors]] table" if g else ""))
    at = parse_at(res, a.at)
    idx, notes = fix_axes(res, set(), at, "erp")
    e = np.atleast_2d(np.asarray(res.f[erp_p][idx], float))
    net = np.asarray(res.f[net_p][idx], float)
    lags = erp_lags(res, erp_p, e.shape[-1])
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    ax.axvspan(lags[0], 0, color="#f0f0f0", lw=0)
    for row in e:
        ax.plot(lags, row, lw=0.6, alpha=0.5)
    ax.plot(lags, net, color="black", lw=2, label="network mean" if not g else "mean over sensors")
    lat_p = feat + "network_erp_peak_latency"
    lat = float(res.f[lat_p][idx]) if res.has(lat_p) else None
    if lat is None and np.any(np.isfinite(net)):
        post = lags > 0
        lat = float(lags[post][np.nanargmax(np.abs(net[post]))])
    if lat is not None and np.isfinite(lat):
        ax.axvline(lat, color="#e6550d", ls="--", lw=1, label="peak latency %.1f ms" % lat)
    ax.axvline(0, color="#636363", lw=0.8)
    n_p = feat + "erp_n_pulses"
    if res.has(n_p):
        notes.append("%d pulses averaged" % int(res.f[n_p][idx]))
    if res.has(feat + "pci"):
        notes.append("PCI = %.3f" % float(res.f[feat + "pci"][idx]))
    ax.set_xlabel("time after pulse onset (ms)")
    ax.set_ylabel("%s (%s)" % ("sensor signal" if g else "observable", res._attr(erp_p, "units") or "baseline-corrected"))
    ax.legend(fontsize=8, frameon=False)
    what = "evoked response (%s, %d %s)" % (a.sensors or "regions", e.shape[0], "sensors" if g else "nodes")
    ax.set_title(a.title or title_of(res, what, notes), fontsize=10)
    fig.tight_layout()
    return fig
# ---- end evoked responses ----


WHAT = {"map": plot_map, "classes": plot_classes, "bifurcation": plot_bifurcation, "spectrum": plot_spectrum,
        "sync": plot_sync, "fc": plot_fc, "recruitment": plot_recruitment, "onsets": plot_onsets,
        "ranking": plot_ranking, "hysteresis": plot_hysteresis, "tongue": plot_tongue, "erp": plot_erp}

# Figures of `nmsweep continue` live in their own module, beside this script
# (nmsweep_plot_stability.py) or in the Python package (_plot_stability.py).
try:
    from . import _plot_stability as _stability  # noqa: PLC0415 (the package)
except ImportError:
    import nmsweep_plot_stability as _stability  # noqa: PLC0415 (the script's folder)
WHAT["continuation"] = lambda res, a: _stability.plot_continuation(res, a, sys.modules[__name__])
try:
    from . import _plot_fit  # noqa: PLC0415 (the package)
except ImportError:
    import nmsweep_plot_fit as _plot_fit  # noqa: PLC0415 (the script's folder)
WHAT["fit"] = lambda res, a: _plot_fit.plot_fit(res, a, sys.modules[__name__])
WHAT["posterior"] = lambda res, a: _plot_fit.plot_posterior(res, a, sys.modules[__name__])
WHAT["fit_target"] = lambda res, a: _plot_fit.plot_fit_target(res, a, sys.modules[__name__])


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="nmsweep plot", description="PNG figures of an nmsweep result.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 3)[3])
    p.add_argument("file", help="result file (HDF5)")
    p.add_argument("what", choices=sorted(WHAT), help="kind of figure")
    p.add_argument("feature", nargs="?", help="map, tongue: the feature (e.g. network_std, peak_freq, fc_fit; tongue: stim_plv)")
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    p.add_argument("--x", help="axis along x")
    p.add_argument("--y", help="axis along y (map, classes)")
    p.add_argument("--at", action="append", metavar="AXIS=VALUE", help="fix an axis (repeatable)")
    p.add_argument("--node", help="node index or region label (default: the network mean)")
    p.add_argument("--vary", metavar="AXIS", help="spectrum, sync: one curve per value of this axis")
    p.add_argument("--log", action="store_true", help="map: logarithmic colour scale")
    p.add_argument("--cmap", help="matplotlib colour map")
    p.add_argument("--fmax", type=float, help="spectrum: upper frequency limit (Hz)")
    p.add_argument("--no-boundaries", action="store_true", help="map, classes: do not draw /boundaries")
    p.add_argument("--sensors", metavar="NAME", help="erp: the sensor modality [[output.sensors]] NAME")
    p.add_argument("--sweep", metavar="FILE", help="continuation: a sweep result of the same parameter to overlay")
    p.add_argument("--title", help="figure title")
    p.add_argument("--dpi", type=int, default=150)
    a = p.parse_args(argv)
    if a.feature and a.what not in ("map", "tongue"):
        fail("%s takes no feature argument (got '%s')" % (a.what, a.feature))
    try:
        res = Result(a.file)
        fig = WHAT[a.what](res, a)
    except Exception as e:  # a damaged or unexpected file: one line, not a traceback
        fail("%s: cannot draw '%s' from this file (%s: %s)" % (a.file, a.what, type(e).__name__, e))
    try:
        fig.savefig(a.output, dpi=a.dpi, bbox_inches="tight")
    except OSError as e:
        fail("cannot write %s (%s)" % (a.output, e))
    finally:
        plt.close(fig)  # (nmsweep.plot may draw many in one process)
    sys.stderr.write("nmsweep plot: wrote %s\n" % a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
