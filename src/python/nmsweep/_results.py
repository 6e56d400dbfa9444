"""Result files as xarray objects, read whole into memory.

Every function reads what it needs and closes the file before returning (the
engine may overwrite or resume the file later). Region labels become the
values of the ``node`` (and ``node_j``) coordinates, sensor labels those of
``sensor``; other labelled axes (``ez``, ``lesion``) get a ``<axis>_label``
coordinate. Units are in each variable's ``units`` attribute (times in ms).
"""

from __future__ import annotations

import os
import posixpath
from typing import Any, Dict, List, Optional, Union

import h5py
import numpy as np
import xarray as xr

from ._errors import ResultIncomplete

__all__ = ["open_result", "open_features", "open_simulation"]

PathLike = Union[str, "os.PathLike[str]"]

_OPEN = dict(engine="h5netcdf", decode_times=False, decode_timedelta=False)
_RELABEL = ("node", "sensor")  # index axes whose labels replace their values
_HDF5_PLUMBING = ("DIMENSION_LABELS", "DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME")


def _decode(v: Any) -> Any:
    """An HDF5 attribute value with strings as str and numpy scalars as Python's."""
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "OSU":
            return [_decode(x) for x in v.tolist()]
        return v.item() if v.ndim == 0 else v
    if isinstance(v, (list, tuple)):
        return [_decode(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _decode_attrs(attrs: Any) -> Dict[str, Any]:
    return {str(k): _decode(v) for k, v in attrs.items() if k not in _HDF5_PLUMBING}


def _path(path: PathLike) -> str:
    p = os.fspath(path)
    return os.fsdecode(p) if isinstance(p, bytes) else p


def _meta(path: str, allow_incomplete: bool) -> Dict[str, Any]:
    """Root attributes and node labels, checking that `path` is a finished result."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such result file")
    with h5py.File(path, "r") as f:
        attrs = _decode_attrs(f.attrs)
        labels = None
        if "axes/node" in f and "labels" in f["axes/node"].attrs:
            labels = [str(s) for s in _decode(f["axes/node"].attrs["labels"])]
        done = total = None
        if "status/done" in f:
            d = f["status/done"][()]
            done, total = int(np.count_nonzero(d)), int(np.size(d))
    if attrs.get("format") != "nmsweep-result":
        raise ValueError(f"{path}: not an nmsweep result file (its 'format' attribute is "
                         f"{attrs.get('format')!r}, not 'nmsweep-result')")
    if attrs.get("complete") != 1 and not allow_incomplete:
        count = f" ({done} of {total} points done)" if total else ""
        raise ResultIncomplete(
            path, f"{path}: the run has not finished{count}: it was stopped, killed, or is "
            "still running; continue it with `nmsweep run SPEC --resume` (or merge the parts "
            "of a campaign), or pass allow_incomplete=True to read it as it is (status/done "
            "marks the finished points)")
    return {"attrs": attrs, "labels": labels}


def _relabel(ds: xr.Dataset, node_labels: Optional[List[str]]) -> xr.Dataset:
    """Labels as coordinate values (node, sensor) or as ``<axis>_label`` coordinates."""
    ds = ds.copy()
    ds.attrs = _decode_attrs(ds.attrs)
    for name in list(ds.variables):
        ds[name].attrs = _decode_attrs(ds[name].attrs)
    names = next((ds[v].attrs["variables"] for v in ds.data_vars
                  if "variable" in ds[v].dims and isinstance(ds[v].attrs.get("variables"), list)
                  and len(ds[v].attrs["variables"]) == ds.sizes["variable"]), None)
    if names is not None:  # final_state: the model's state variables
        names = np.array([str(n) for n in names], dtype=object)
        ds = ds.assign_coords(variable=("variable", names))
    for dim in list(ds.dims):
        if dim.endswith("_j"):
            continue
        coord = ds.coords.get(dim)
        labels = coord.attrs.get("labels") if coord is not None else None
        if labels is None and dim == "node":
            labels = node_labels
        if not isinstance(labels, list) or len(labels) != ds.sizes[dim]:
            continue
        labels = [str(s) for s in labels]
        if dim in _RELABEL and len(set(labels)) == len(labels):
            attrs = {k: v for k, v in (coord.attrs if coord is not None else {}).items()
                     if k != "labels"}
            new = {dim: xr.Variable(dim, np.array(labels, dtype=object), attrs)}
            pair = f"{dim}_j"
            if pair in ds.dims and ds.sizes[pair] == len(labels):
                pattrs = dict(ds[pair].attrs) if pair in ds.coords else {}
                new[pair] = xr.Variable(pair, np.array(labels, dtype=object), pattrs)
            ds = ds.assign_coords(new)
        elif f"{dim}_label" not in ds.variables:
            ds = ds.assign_coords({f"{dim}_label": (dim, np.array(labels, dtype=object))})
    return ds


def _align_tree(groups: Dict[str, xr.Dataset]) -> Dict[str, xr.Dataset]:
    """Make the groups fit one DataTree, where a group inherits its parents' dims.

    A group whose dimension has the name of an ancestor's but another length
    or other coordinate values (``/boundaries/initial_0`` beside
    ``/boundaries``) has it renamed ``<group>_<dim>``; a bare index (0..n-1)
    equal in length to the ancestor's gives way to the inherited coordinate.
    """
    out: Dict[str, xr.Dataset] = {}
    for path in sorted(groups, key=lambda p: (p.count("/"), p)):
        ds = groups[path]
        inherited: Dict[str, xr.Dataset] = {}
        a = path
        while a != "/":
            a = posixpath.dirname(a)
            if a in out:
                for d in out[a].dims:
                    inherited.setdefault(d, out[a])
        renames, drops = {}, []
        for d in ds.dims:
            if d not in inherited:
                continue
            anc = inherited[d]
            if anc.sizes[d] == ds.sizes[d]:
                if d not in ds.indexes or (
                        d in anc.indexes and anc.indexes[d].equals(ds.indexes[d])):
                    continue
                if np.array_equal(ds[d].values, np.arange(ds.sizes[d])):
                    drops.append(d)  # a plain index: take the parent's coordinate
                    continue
            renames[d] = f"{posixpath.basename(path)}_{d}"
        if drops:
            ds = ds.drop_vars(drops)
        if renames:
            ds = ds.rename(renames)
        out[path] = ds
    return out


def open_result(path: PathLike, *, allow_incomplete: bool = False) -> xr.DataTree:
    """A result file as a DataTree, every HDF5 group a node.

    Parameters
    ----------
    path : str or PathLike
        A result of ``nmsweep run`` (or ``simulate``).
    allow_incomplete : bool
        Read a run that has not finished instead of raising ResultIncomplete.

    Returns
    -------
    xarray.DataTree
        ``/features``, ``/status``, ``/spectra``, ``/axes``, ... with the grid
        axes as coordinates (``units`` attributes), ``node`` coordinates
        holding the region labels, the file's attributes (str) on the root and
        the fixed parameters in ``/parameters``' attributes.

    Raises
    ------
    ResultIncomplete
        The run has not finished (and `allow_incomplete` is False).
    """
    p = _path(path)
    meta = _meta(p, allow_incomplete)
    groups = xr.open_groups(p, **_OPEN)
    try:
        loaded = {g: ds.load() for g, ds in groups.items()}
    finally:
        for ds in groups.values():
            ds.close()
    loaded = {g: _relabel(ds, meta["labels"]) for g, ds in loaded.items()}
    loaded["/"].attrs = meta["attrs"]
    return xr.DataTree.from_dict(_align_tree(loaded))


def _open_group(path: str, group: str) -> xr.Dataset:
    with xr.open_dataset(path, group=group, **_OPEN) as ds:
        return ds.load()


def open_features(path: PathLike, *, allow_incomplete: bool = False) -> xr.Dataset:
    """The ``/features`` group merged with ``/status``, as one Dataset.

    Parameters
    ----------
    path : str or PathLike
        A result of ``nmsweep run``.
    allow_incomplete : bool
        Read a run that has not finished instead of raising ResultIncomplete.

    Returns
    -------
    xarray.Dataset
        Every feature (``mean``, ``network_std``, ``attractor_class``, ...)
        and ``diverged_step``, ``done`` over the grid axes; the file's
        attributes as the Dataset's.
    """
    p = _path(path)
    meta = _meta(p, allow_incomplete)
    with h5py.File(p, "r") as f:
        have = [g for g in ("features", "status") if g in f]
    if "features" not in have:
        raise ValueError(f"{p}: the result has no /features group")
    parts = [_relabel(_open_group(p, g), meta["labels"]) for g in have]
    ds = xr.merge(parts, compat="no_conflicts", join="exact", combine_attrs="drop_conflicts")
    ds.attrs = meta["attrs"]
    return ds


def open_simulation(path: PathLike) -> xr.DataArray:
    """The time series ``nmsweep simulate`` writes, as one DataArray.

    Parameters
    ----------
    path : str or PathLike
        A result of ``nmsweep simulate``.

    Returns
    -------
    xarray.DataArray
        Named ``"state"``, dims ``(time, variable, node)``: time in ms (its
        ``units`` attribute), the model's state variable names, the region
        labels. Attributes: the point's parameters (as ``/parameters`` holds
        them, ``<name>`` and ``<name>.units``), ``diverged_step`` (-1, or the
        step where the state stopped being finite), ``grid_point``, ``model``.
    """
    p = _path(path)
    meta = _meta(p, allow_incomplete=False)
    with h5py.File(p, "r") as f:
        if "timeseries/state" not in f:
            raise ValueError(f"{p}: no timeseries/state: not a file of `nmsweep simulate` "
                             "(open a sweep's result with open_result or open_features)")
        state = f["timeseries/state"]
        data = state[()]
        names = [str(s) for s in _decode(state.attrs.get("variables", []))]
        time = f["timeseries/time"][()]
        time_attrs = _decode_attrs(f["timeseries/time"].attrs)
        params = _decode_attrs(f["parameters"].attrs) if "parameters" in f else {}
    if len(names) != data.shape[1]:
        names = [str(i) for i in range(data.shape[1])]
    n = data.shape[2]
    labels = meta["labels"] if meta["labels"] and len(meta["labels"]) == n else list(range(n))
    keep = {k: v for k, v in time_attrs.items() if k in ("units", "long_name")}
    attrs = {k: v for k, v in params.items() if k != "description"}
    root = meta["attrs"]
    for k in ("diverged_step", "grid_point", "model"):
        if k in root:
            attrs[k] = root[k]
    return xr.DataArray(
        data, name="state", dims=("time", "variable", "node"),
        coords={"time": ("time", time, keep or {"units": "ms"}),
                "variable": ("variable", np.array(names, dtype=object)),
                "node": ("node", np.array(labels, dtype=object))},
        attrs=attrs)
