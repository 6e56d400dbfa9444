# %% [markdown]
# # A Jansen-Rit sweep from Python, with figures
#
# Input `model.mu` x global coupling `coupling.a` on the built-in 76-region
# synthetic connectome: where the network leaves its fixed point for the
# alpha-band limit cycle, seen in the spectral peak of the network mean.
# About 5 s on 2 cores.
#
# Run as a script:  python sweep_and_plot.py [OUTPUT_FOLDER]
# (PYTHONPATH = the built package's folder, e.g. build/cpu/python; the
# figures are PNG files in OUTPUT_FOLDER, default a new temporary folder),
# or cell by cell (`# %%`) in Jupyter or VS Code.

# %%
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import nmsweep


def output_folder() -> Path:
    # argv[1] as a script; in a notebook sys.argv is the kernel's, so a temp folder.
    if len(sys.argv) > 1 and "ipykernel" not in sys.modules:
        folder = Path(sys.argv[1])
    else:
        folder = Path(tempfile.mkdtemp(prefix="nmsweep-example-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


out = output_folder()
print(f"output folder: {out}")

# %% [markdown]
# ## The sweep, as keyword sections
#
# Each keyword is a section of the TOML spec (README, "Sweep specification").
# Units are TVB's: ms, mm/ms, and mu in 1/ms (0.22 = 220 Hz of input).
# 2.5 s per point, the first 0.5 s a transient the features do not see.

# %%
spec = nmsweep.Spec(
    model={"name": "jansen_rit", "preset": "classical"},
    network={"connectome": "synthetic:76", "speed": 4.0, "normalise": "max"},
    coupling={"kind": "sigmoidal_jansen_rit", "a": 1.0},
    integrator={"method": "heun", "dt": 0.1, "duration": 2500.0, "transient": 500.0,
                "noise": {"sigma": {"y4": 1e-4}, "seed": 1}},
    sweep=[{"param": "coupling.a", "linspace": [0.0, 20.0, 11]},
           {"param": "model.mu", "linspace": [0.04, 0.34, 16]}],
    output={"observable": "y1 - y2",
            "features": ["mean", "std", "psd", "peak_freq", "band_power"],
            "sample_every": 10,  # the features see 1 kHz
            # 1 s Welch segments: 1 Hz bins up to 60 Hz; peaks searched in 2-40 Hz
            "spectra": {"nperseg": 1000, "fmax": 60.0, "peak_range": [2.0, 40.0]}},
)
print(spec.text)
print(nmsweep.check(spec))  # grid, memory and a time estimate, without running

# %% [markdown]
# ## Run it
#
# `nmsweep.run` integrates every grid point (all cores, the GIL released)
# and returns the result file as an `xarray.DataTree`; with a path the HDF5
# file is kept (the command line's `nmsweep plot` and `nmsweep info` read it).

# %%
result_file = out / "jansen_rit_mu_coupling.h5"
tree = nmsweep.run(spec, result_file, overwrite=True, progress=False)
features = tree["features"].to_dataset()
spectra = tree["spectra"].to_dataset()
print(features)

# %% [markdown]
# ## Selecting with xarray
#
# The grid axes are coordinates named after the parameters; their names
# contain a dot, so `.sel` takes them as a dict. `method="nearest"` picks
# the closest grid value.

# %%
at = {"model.mu": 0.22, "coupling.a": 10.0}
point = features.sel(at, method="nearest")
print(f"at mu = {float(point['model.mu']):.3f} /ms, a = {float(point['coupling.a']):.1f}: "
      f"network peak {float(point['network_peak_freq']):.1f} Hz, "
      f"largest regional std {float(point['std'].max('node')):.3f} mV "
      f"(region {point['std'].idxmax('node').item()})")

# The strongest regional oscillation over the whole grid, per coupling:
strongest = features["std"].max("node").max("model.mu")
print("max std over regions and mu, by coupling.a:")
print(strongest.to_series().round(3).to_string())

# Alpha-band share of the network-mean power, over the grid:
bands = [v for v in features.data_vars if v.startswith("network_band_power_")]
total = sum(features[b] for b in bands)
alpha_share = features["network_band_power_alpha"] / total
print(f"alpha share of the power at the point above: {float(alpha_share.sel(at, method='nearest')):.2f}")

# %% [markdown]
# ## Figure 1: network peak frequency over the grid
#
# Below the Hopf point the network sits at its fixed point, driven only by
# the weak noise (no clear peak); past it the regions oscillate at 9-11 Hz.
# Coupling adds input to every region, so the transition moves to lower mu
# as coupling.a grows.

# %%
fig, ax = plt.subplots(figsize=(6.4, 4.8))
features["network_peak_freq"].plot(ax=ax, x="model.mu", y="coupling.a", cmap="viridis",
                                   cbar_kwargs={"label": "network peak frequency (Hz)"})
ax.set_xlabel("model.mu (1/ms)")
ax.set_ylabel("coupling.a")
ax.set_title("Jansen-Rit on 76 regions: spectral peak of the network mean")
fig.savefig(out / "peak_freq_map.png", dpi=100, bbox_inches="tight")

# %% [markdown]
# ## Figure 2: spectra of the network mean at a few inputs

# %%
fig, ax = plt.subplots(figsize=(6.4, 4.2))
psd = spectra["network_psd"].sel({"coupling.a": 10.0}, method="nearest")
for mu in (0.08, 0.15, 0.22, 0.3):
    curve = psd.sel({"model.mu": mu}, method="nearest")
    f = curve["freq"].values
    keep = f > 0  # the log axis has no room for DC
    ax.semilogy(f[keep], curve.values[keep], label=f"mu = {float(curve['model.mu']):.2f} /ms")
ax.set_xlabel("frequency (Hz)")
ax.set_ylabel("PSD of y1 - y2 (mV²/Hz)")
ax.set_title(f"network-mean spectrum at coupling.a = {float(psd['coupling.a']):.0f}")
ax.legend()
fig.savefig(out / "spectrum.png", dpi=100, bbox_inches="tight")

# %% [markdown]
# ## Figure 3: the same map, drawn by `nmsweep plot`
#
# `nmsweep.plot` draws what the command line's `nmsweep plot` draws, from
# the result file; `map peak_freq` shows `network_peak_freq`.

# %%
png = nmsweep.plot(result_file, "map", "peak_freq", output=out / "nmsweep_plot_map.png",
                   x="model.mu", y="coupling.a")
print(f"nmsweep.plot wrote {png}")

# %%
for p in sorted(out.glob("*.png")):
    print(f"figure: {p.name} ({p.stat().st_size} bytes)")
plt.close("all")
