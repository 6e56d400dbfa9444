#!/usr/bin/env python3
"""Check that an nmsweep result reads as labelled data in xarray.

usage: check_xarray.py RESULT.h5

For every group that holds grid data (features, spectra, status, ...), opens
it with xarray.open_dataset(path, group=G, engine="h5netcdf") WITHOUT
phony_dims and checks that every variable's dims are named (grid axes first,
in the file's order), that the coordinates are the axis values from /axes
with their units, that the node coordinate carries the region labels, and
that the values equal what h5py reads.

Exit status: 0 ok, 1 a check failed, 77 skipped (numpy, h5py, xarray or
h5netcdf not installed: pip install numpy h5py h5netcdf xarray).
"""

import sys

try:
    import h5netcdf  # noqa: F401  (the engine must be importable)
    import h5py
    import numpy as np
    import xarray as xr
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def main(path):
    with h5py.File(path, "r") as f:
        assert text(f.attrs["format"]) == "nmsweep-result", "not an nmsweep result"
        axes = [text(a) for a in f.attrs["axes"]]
        values = {a: f["axes"][a][()] for a in axes}
        units = {a: text(f["axes"][a].attrs["units"]) for a in axes}
        n_nodes = f["axes/node"].shape[0]
        labels = [text(s) for s in f["axes/node"].attrs.get("labels", [])]
        grid = tuple(len(values[a]) for a in axes)
        groups = {}
        for g, obj in f.items():
            if g in ("axes", "parameters") or not isinstance(obj, h5py.Group):
                continue
            data = {
                k: v[()]
                for k, v in obj.items()
                if isinstance(v, h5py.Dataset) and v.attrs.get("CLASS") != b"DIMENSION_SCALE"
            }
            if data:
                groups[g] = data

    assert "features" in groups and "status" in groups, f"groups found: {sorted(groups)}"
    n_vars = 0
    for g, raw in groups.items():
        with xr.open_dataset(path, group=g, engine="h5netcdf") as ds:
            for name, expected in raw.items():
                var = ds[name]
                dims = var.dims
                assert not any(d.startswith("phony_dim") for d in dims), f"{g}/{name}: phony dims {dims}"
                assert var.shape == expected.shape, f"{g}/{name}: shape {var.shape} != {expected.shape}"
                for d in dims:
                    assert d in ds.coords, f"{g}/{name}: dim {d!r} has no coordinate"
                if expected.shape[: len(grid)] == grid and g != "timeseries":
                    assert dims[: len(axes)] == tuple(axes), f"{g}/{name}: dims {dims}, axes {axes}"
                np.testing.assert_array_equal(var.values, expected, err_msg=f"{g}/{name}")
                n_vars += 1
            for a in axes:
                if a in ds.dims:
                    np.testing.assert_array_equal(ds[a].values, values[a], err_msg=f"{g}: coordinate {a}")
                    assert ds[a].attrs.get("units") == units[a], f"{g}: units of {a}"
            if "node" in ds.dims:
                np.testing.assert_array_equal(ds["node"].values, np.arange(n_nodes))
                if labels:
                    assert [text(s) for s in ds["node"].attrs["labels"]] == labels, f"{g}: node labels"
            # Label-based selection works on the axes.
            if g == "features" and "mean" in ds:
                a0 = axes[0]
                sel = ds["mean"].sel({a0: values[a0][-1]})
                np.testing.assert_array_equal(sel.values, raw["mean"][-1])

    # The whole file as a tree, and through netCDF-C when netCDF4 is installed.
    if hasattr(xr, "open_datatree"):
        with xr.open_datatree(path, engine="h5netcdf") as tree:
            for g in groups:
                assert not any(d.startswith("phony_dim") for d in tree[g].dims), f"datatree {g}: {tree[g].dims}"
    try:
        import netCDF4  # noqa: F401
    except ImportError:
        pass
    else:
        for g, raw in groups.items():
            with xr.open_dataset(path, group=g, engine="netcdf4") as ds:
                for name, expected in raw.items():
                    np.testing.assert_array_equal(ds[name].values, expected, err_msg=f"netcdf4 {g}/{name}")
                for a in axes:
                    if a in ds.dims:
                        np.testing.assert_array_equal(ds[a].values, values[a], err_msg=f"netcdf4 {g}: {a}")

    feats = xr.open_dataset(path, group="features", engine="h5netcdf")
    print(f"OK: {n_vars} variables in {len(groups)} groups read with labelled dims")
    print(feats)
    feats.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    try:
        sys.exit(main(sys.argv[1]))
    except AssertionError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
