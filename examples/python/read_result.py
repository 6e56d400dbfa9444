# %% [markdown]
# # Reading a result file into xarray (and pandas)
#
# Run:  python read_result.py [RESULT.h5]
# (PYTHONPATH = the built package's folder, e.g. build/cpu/python).
# Without a file it first runs examples/jansen_rit_sweep.toml, shortened to
# 0.6 s per point (a few seconds on 2 cores), into a temporary folder.

# %%
import sys
import tempfile
import textwrap
from pathlib import Path

import nmsweep


def examples_folder() -> Path:
    """examples/: this file's grandparent, or in a notebook (no __file__)
    the nearest one at or above the working directory."""
    if "__file__" in globals():
        return Path(__file__).resolve().parent.parent
    for folder in (Path.cwd(), *Path.cwd().parents):
        for candidate in (folder, folder / "examples"):
            if (candidate / "jansen_rit_sweep.toml").is_file():
                return candidate
    raise FileNotFoundError("examples/jansen_rit_sweep.toml not found: start from inside the repository")


# argv[1] as a script (in a notebook, sys.argv is the kernel's: run the sweep).
if len(sys.argv) > 1 and "ipykernel" not in sys.modules:
    path = Path(sys.argv[1])
else:
    # The example spec as it is, but 0.6 s per point (0.2 s transient) instead
    # of 2 s: replace() merges the new [integrator] keys into the old table.
    spec = nmsweep.Spec.from_file(examples_folder() / "jansen_rit_sweep.toml").replace(
        integrator={"duration": 600.0, "transient": 200.0})
    # The spec's [output] path is relative to examples/: write elsewhere.
    tmp = tempfile.TemporaryDirectory(prefix="nmsweep-example-")  # removed at exit
    path = Path(tmp.name) / "jansen_rit_sweep.h5"
    nmsweep.run(spec, path, progress=False)
print(f"result file: {path}")

# %% [markdown]
# ## The whole file: `open_result`
#
# A DataTree with one node per HDF5 group (`features`, `status`, `axes`,
# `spectra` when the spec asked for spectra, ...). The grid axes are
# coordinates with units; the file's attributes (spec text, model, backend,
# run time, ...) sit on the root; the values are in memory and the file is
# closed.

# %%
tree = nmsweep.open_result(path)
attrs = tree.attrs
print(f"model {attrs['model']}, coupling {attrs['coupling']}, connectome {attrs['connectome']}, "
      f"observable {attrs['observable']}")
print(f"{attrs['duration_ms']:g} ms per point ({attrs['transient_ms']:g} ms transient), dt {attrs['dt_ms']:g} ms, "
      f"{attrs['precision']}, {attrs['backend']} backend, {attrs['threads']} threads, {attrs['wall_seconds']:.2f} s")
print("groups:", ", ".join(sorted(g for g in tree.groups if g != "/")))
axes = list(attrs["axes"])
grid = " x ".join(f"{a}[{tree['features'].sizes[a]}]" for a in axes)
print(f"grid: {grid}")
for a in axes:
    c = tree["features"][a]
    print(f"  {a}: {float(c.min()):g} .. {float(c.max()):g} {c.attrs.get('units', '')}".rstrip())
print("fixed parameters:", {k: v for k, v in tree["parameters"].attrs.items()
                            if k.startswith("model.") and not k.endswith(".units")})

# %% [markdown]
# ## The features: `open_features`
#
# /features and /status as one Dataset: per-region features over
# [axes..., node] (the node coordinate holds the region labels), the
# network-mean observable's over [axes...], `done` and `diverged_step`.

# %%
features = nmsweep.open_features(path)
print(features)
for name, da in features.data_vars.items():
    units = f" ({da.attrs['units']})" if da.attrs.get("units") else ""
    about = da.attrs.get("description", "")
    print(f"  {name}{units} [{', '.join(da.dims)}]: {textwrap.shorten(about, 60)}")
diverged = int((features["diverged_step"] >= 0).sum())
print(f"points done: {int(features['done'].sum())} of {features['done'].size}, diverged: {diverged}")

# %% [markdown]
# ## One feature as a pandas table
#
# `to_series()` gives a Series indexed by the grid axes (a MultiIndex);
# `unstack` turns the last axis into columns, a table shaped like the grid.

# %%
name = "network_std" if "network_std" in features else next(
    v for v in features.data_vars if set(features[v].dims) == set(axes))
series = features[name].to_series()
print(f"{name} as a pandas Series: {len(series)} rows, index {list(series.index.names)}")
print(series.describe().to_string())
if len(axes) >= 2:
    table = series.unstack(axes[-1])
    print(f"{name} as a table: rows {axes[-2]}, columns {axes[-1]}, shape {table.shape}")
    print(table.iloc[:4, :4].round(4).to_string())

# A per-region feature as a long table: one row per grid point and region.
per_node = next((v for v in ("std", "mean", "peak_freq") if v in features), None)
if per_node is not None:
    frame = features[per_node].to_dataframe().reset_index()
    print(f"{per_node} as a long DataFrame: {frame.shape[0]} rows, columns {list(frame.columns)}")
    print(frame.head(3).to_string(index=False))
