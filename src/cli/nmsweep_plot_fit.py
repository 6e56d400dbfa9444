"""Figures of `nmsweep fit` results for nmsweep plot (nmsweep_plot.py
imports this module; the CLI and the Python package ship both).

fit: the cost of every evaluated candidate against its evaluation number
(coloured by generation, restarts separated by a vertical line) with the best
so far, and one panel per free parameter: its value in every candidate, the
best one marked, within its bounds' range.
"""
import numpy as np


def _names(ds):
    return [n.decode() if isinstance(n, bytes) else str(n) for n in np.atleast_1d(ds.attrs.get("names", []))]


def plot_fit(res, a, base):
    plt = base.plt
    f = res.f
    if "fit" not in f:
        base.fail("%s: no /fit (not a result of nmsweep fit)" % res.path)
    g = f["fit"]
    cost, param = g["cost"][:], g["param"][:]
    gen = g["generation"][:]
    restart = g["restart"][:] if "restart" in g else np.zeros(len(cost), int)
    names = _names(g["param"])
    best = g["best_param"][:]
    n = param.shape[1]
    fig, axes = plt.subplots(1 + n, 1, figsize=(7, 2.6 + 1.8 * n), sharex=True, squeeze=False)
    axes = axes[:, 0]
    ev = np.arange(len(cost))
    ok = np.isfinite(cost)
    positive = ok & (cost > 0)
    ax = axes[0]
    sc = ax.scatter(ev[ok], cost[ok], c=gen[ok], s=9, cmap="viridis")
    if np.any(~ok):
        lo = np.nanmin(cost) if np.any(ok) else 0.0
        ax.scatter(ev[~ok], np.full(np.sum(~ok), lo), marker="x", color="r", s=12, label="diverged (NaN)")
        ax.legend(loc="upper right", fontsize=8)
    run_best = np.full(len(cost), np.nan)
    for r in np.unique(restart):
        m = restart == r
        c = np.where(np.isfinite(cost[m]), cost[m], np.inf)
        run_best[m] = np.minimum.accumulate(c)
        if r > 0:
            for axx in axes:
                axx.axvline(ev[m][0] - 0.5, color="0.6", lw=0.8)
    ax.plot(ev, np.where(np.isfinite(run_best), run_best, np.nan), color="k", lw=1.2, label="best so far")
    if np.all(positive[ok]) and np.any(ok) and np.nanmax(cost[ok]) / max(np.nanmin(cost[ok]), 1e-300) > 100:
        ax.set_yscale("log")
    ax.set_ylabel("cost")
    for k in range(n):
        axk = axes[1 + k]
        axk.scatter(ev, param[:, k], c=gen, s=7, cmap="viridis")
        axk.axhline(best[k], color="k", lw=0.8, ls="--")
        axk.set_ylabel(names[k] if k < len(names) else "parameter %d" % k)
    axes[-1].set_xlabel("evaluation")
    fig.colorbar(sc, ax=list(axes), label="generation", pad=0.01)  # (all panels: equal widths)
    algo = g.attrs.get("algorithm", b"")
    algo = algo.decode() if isinstance(algo, bytes) else str(algo)
    axes[0].set_title(a.title or "nmsweep fit (%s): best cost %.4g" % (algo, g.attrs.get("best_cost", np.nan)))
    return fig


def plot_posterior(res, a, base):
    """posterior: a file of `nmsweep infer`: each axis's marginal with its
    credible interval and mean; with two or more axes, the joint density of the
    first two (--x, --y pick others) beside them. Weighted samples (a sampler
    run's inference, an abc-smc fit): each parameter's weighted histogram and
    interval, and the first two as a scatter sized and coloured by weight."""
    plt = base.plt
    f = res.f
    if "posterior/samples" in f:
        return _plot_samples(res, a, base)
    if "posterior" not in f or "weight" not in f["posterior"]:
        base.fail("%s: no /posterior (not a result of nmsweep infer)" % res.path)
    w = f["posterior/weight"][...].reshape(res.shape)
    axes = list(res.axes)
    n = len(axes)
    pair = None
    if n >= 2:
        xa, ya = a.x or axes[0], a.y or axes[1]
        for name in (xa, ya):
            if name not in axes:
                base.fail("no axis '%s' (axes: %s)" % (name, ", ".join(axes)))
        pair = (axes.index(xa), axes.index(ya))
    cols = n + (1 if pair else 0)
    fig, panels = plt.subplots(1, cols, figsize=(3.4 * cols, 3.2), squeeze=False)
    panels = panels[0]
    for k, name in enumerate(axes):
        ax = panels[k]
        v = res.values[name]
        m = w.sum(axis=tuple(i for i in range(n) if i != k))
        order = np.argsort(v)
        ax.plot(v[order], m[order], "-o", ms=3, color="C0")
        ig = "posterior/%s_interval" % name
        if ig in f:
            lo, hi, mean = f[ig][...]
            ax.axvspan(lo, hi, color="C0", alpha=0.15, label="%g%% interval" % (100 * f[ig].attrs.get("level", 0.9)))
            ax.axvline(mean, color="k", lw=0.8, ls="--", label="mean")
            ax.legend(fontsize=7)
        ax.set_xlabel(res.label(name))
        ax.set_ylabel("posterior probability")
    if pair:
        i, j = pair
        other = tuple(k for k in range(n) if k not in pair)
        joint = w.sum(axis=other) if other else w
        if i > j:
            joint = joint.T
        ax = panels[-1]
        xv, yv = res.values[axes[i]], res.values[axes[j]]
        mesh = ax.pcolormesh(base.edges(np.sort(xv)), base.edges(np.sort(yv)),
                             joint[np.ix_(np.argsort(xv), np.argsort(yv))].T, shading="flat", cmap=a.cmap or "magma")
        fig.colorbar(mesh, ax=ax, label="posterior probability")
        ax.set_xlabel(res.label(axes[i]))
        ax.set_ylabel(res.label(axes[j]))
    ev = f["posterior"].attrs.get("log_evidence", np.nan)
    fig.suptitle(a.title or "posterior (log evidence %.4g)" % ev)
    fig.tight_layout()
    return fig


def _plot_samples(res, a, base):
    plt = base.plt
    f = res.f
    x = f["posterior/samples"][...]
    w = f["posterior/sample_weight"][...]
    names = _names(f["posterior/samples"])
    pair = None
    if len(names) >= 2:
        xa, ya = a.x or names[0], a.y or names[1]
        for name in (xa, ya):
            if name not in names:
                base.fail("no parameter '%s' (parameters: %s)" % (name, ", ".join(names)))
        pair = (names.index(xa), names.index(ya))
    cols = len(names) + (1 if pair else 0)
    fig, panels = plt.subplots(1, cols, figsize=(3.4 * cols, 3.2), squeeze=False)
    panels = panels[0]
    for k, name in enumerate(names):
        ax = panels[k]
        dens = f["posterior/%s_marginal" % name]
        centre = dens.dims[0][0][...] if len(dens.dims[0]) else np.arange(len(dens))
        ax.step(centre, dens[...], where="mid", color="C0")
        ig = "posterior/%s_interval" % name
        lo, hi, mean = f[ig][...]
        ax.axvspan(lo, hi, color="C0", alpha=0.15, label="%g%% interval" % (100 * f[ig].attrs.get("level", 0.9)))
        ax.axvline(mean, color="k", lw=0.8, ls="--", label="mean")
        ax.legend(fontsize=7)
        ax.set_xlabel(name)
        ax.set_ylabel("posterior density")
    if pair:
        i, j = pair
        ax = panels[-1]
        order = np.argsort(w)
        sc = ax.scatter(x[order, i], x[order, j], c=w[order], s=4 + 400 * w[order] / max(w.max(), 1e-300),
                        cmap=a.cmap or "viridis")
        fig.colorbar(sc, ax=ax, label="weight")
        ax.set_xlabel(names[i])
        ax.set_ylabel(names[j])
    ess = 1.0 / np.sum(w ** 2) if np.sum(w ** 2) > 0 else np.nan
    fig.suptitle(a.title or "posterior: %d weighted samples (ess %.1f)" % (len(w), ess))
    fig.tight_layout()
    return fig


def _attr(g, key, default=""):
    v = g.attrs.get(key, default)
    return v.decode() if isinstance(v, bytes) else v


def plot_fit_target(res, a, base):
    """fit_target: per target, the best candidate's simulated feature beside
    the target data."""
    plt = base.plt
    f = res.f
    if "fit/best_fit" not in f:
        base.fail("%s: no /fit/best_fit (not a result of nmsweep fit, or every candidate diverged)" % res.path)
    groups = sorted(f["fit/best_fit"], key=lambda n: int(n[len("target"):]))
    panels, seen = [], []  # (group, part); matrices already drawn (two costs on one FC)
    for name in groups:
        g = f["fit/best_fit"][name]
        if _attr(g, "cost") not in ("fc_correlation", "fc_rmse"):
            panels.append((name, "one"))
            continue
        key = (_attr(g, "feature"), g["target"][...].tobytes())
        if key not in seen:
            seen.append(key)
            panels += [(name, "sim"), (name, "tgt")]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False)
    axes = axes[0]
    for ax, (name, part) in zip(axes, panels):
        g = f["fit/best_fit"][name]
        cost, feature = _attr(g, "cost"), _attr(g, "feature")
        sim, tgt = g["simulated"], g["target"][...]
        if part in ("sim", "tgt"):
            n = tgt.shape[0]
            off = ~np.eye(n, dtype=bool)
            vmax = max(np.nanmax(np.abs(sim[...][off])), np.nanmax(np.abs(tgt[off])), 1e-12)  # one scale
            shown = np.where(off, sim[...] if part == "sim" else tgt, np.nan)
            im = ax.imshow(shown, cmap=a.cmap or "RdBu_r", vmin=-vmax, vmax=vmax)
            fig.colorbar(im, ax=ax, fraction=0.046)
            ax.set_title("%s: %s" % (feature.split("/")[-1], "best fit" if part == "sim" else "target"), fontsize=9)
        elif cost == "log_psd":
            last = sim.dims[sim.ndim - 1]  # (h5py: no negative index)
            freq = last[0][...] if len(last) else np.arange(sim.shape[-1])
            p = np.asarray(sim[...], float)
            p = p.reshape(-1, p.shape[-1]).mean(axis=0)
            ok = freq > 0
            ax.loglog(freq[ok], p[ok], label="best fit")
            ax.loglog(tgt[:, 0], tgt[:, 1], "k--", label="target")
            band = np.asarray(g.attrs.get("band", [np.nan, np.nan]), float)
            if np.all(np.isfinite(band)):
                ax.axvspan(band[0], band[1], color="0.85", zorder=0)
            ax.set_xlabel("frequency (Hz)")
            ax.set_ylabel("power")
            ax.legend(fontsize=7)
            ax.set_title(feature, fontsize=9)
        elif cost == "fcd_ks":
            s = np.asarray(sim[...], float)
            n = s.shape[0]
            sv = np.sort(s[np.triu_indices(n, 1)])
            t = tgt[np.triu_indices(tgt.shape[0], 1)] if tgt.shape[0] == tgt.shape[1] and tgt.shape[0] > 1 else tgt.ravel()
            tv = np.sort(t)
            ax.step(sv, np.arange(1, len(sv) + 1) / len(sv), label="best fit")
            ax.step(tv, np.arange(1, len(tv) + 1) / len(tv), "k--", label="target")
            ax.set_xlabel("FCD value")
            ax.set_ylabel("cumulative fraction")
            ax.legend(fontsize=7)
            ax.set_title("FCD distributions", fontsize=9)
        else:
            s = np.asarray(sim[...], float).ravel()
            t = tgt.ravel()
            ax.plot(t, s, "o", ms=4)
            lo, hi = np.nanmin(np.r_[s, t]), np.nanmax(np.r_[s, t])
            ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
            ax.set_xlabel("target")
            ax.set_ylabel("best fit")
            ax.set_title(feature, fontsize=9)
    fig.suptitle(a.title or "best fit (cost %.4g) against the targets" % f["fit"].attrs.get("best_cost", np.nan))
    fig.tight_layout()
    return fig
