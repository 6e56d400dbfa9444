#!/usr/bin/env python3
"""Generate reference trajectories with The Virtual Brain (tvb-library) for nmsweep's tests.

Run with the interpreter of a venv that has tvb-library installed (see README.md next to this file):

    /work/venv-tvb/bin/python tests/tvb_reference/make_tvb_reference.py

Writes
    tests/data/conn8/{weights,tract_lengths,centres}.txt    synthetic 8-region connectome
    tests/data/tvb_ref/<case>.txt                           stock TVB trajectory (float32 history, as TVB ships)
    tests/data/tvb_ref/<case>_f64hist.txt                   same run with TVB's history buffer patched to float64
    tests/data/tvb_ref/<case>.json                          everything needed to reproduce the run

The script is deterministic: no random numbers are drawn (explicit constant history, deterministic
Heun integrator), and the connectome is a fixed formula.  Re-running overwrites the files with
identical content (given the same tvb-library / numpy versions).

Initial history (constant over the whole history window, i.e. x(t) = x0 for t <= 0):
    x0[var, node] = base[var] + step[var] * ((3*node + 1) % 8)
with (base, step) per variable chosen per case (see CASES).  All values are dyadic rationals, so
they are exactly representable in float32 and float64 (TVB stores history as float32).
"""
import argparse
import io
import json
import logging
import math
import os
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

import tvb  # noqa: E402
from tvb.datatypes.connectivity import Connectivity  # noqa: E402
from tvb.simulator import coupling as tvb_coupling  # noqa: E402
from tvb.simulator import history as tvb_history  # noqa: E402
from tvb.simulator import integrators, monitors, simulator  # noqa: E402
from tvb.simulator import models as tvb_models  # noqa: E402
from tvb.simulator.descriptors import NDArray  # noqa: E402

try:
    from importlib.metadata import version as _pkg_version
    TVB_VERSION = _pkg_version("tvb-library")
except Exception:  # pragma: no cover
    TVB_VERSION = "unknown"

REPO = Path(__file__).resolve().parents[2]
CONN_DIR = REPO / "tests" / "data" / "conn8"
OUT_DIR = REPO / "tests" / "data" / "tvb_ref"

N_NODES = 8
N_STEPS = 1000
SAVE_EVERY = 10
FIRST_SAVED_STEP = 1          # saved steps are 1, 11, 21, ..., 991 (step n = state at time n*dt)
SPEED = 4.0                   # mm/ms

# ---------------------------------------------------------------------------------------------
# Cases.  'ic' maps state variable -> (base, step); see module docstring for the formula.
# 'params' overrides model defaults (everything else is TVB's default and is recorded in the json).
# ---------------------------------------------------------------------------------------------
CASES = [
    dict(name="jansen_rit", model="JansenRit", params={}, dt=0.1,
         coupling="SigmoidalJansenRit", cparams={"a": 10.0},
         ic={"y0": (0.0, 0.015625), "y1": (12.0, 1.0), "y2": (10.0, 0.5),
             "y3": (-0.25, 0.0625), "y4": (-1.0, 0.25), "y5": (-0.5, 0.125)},
         desc="JansenRit defaults, SigmoidalJansenRit coupling a=10"),
    dict(name="generic2d", model="Generic2dOscillator", params={}, dt=0.1,
         coupling="Linear", cparams={"a": 0.1, "b": 0.0},
         ic={"V": (-1.5, 0.375), "W": (-2.0, 0.5)},
         desc="Generic2dOscillator defaults, Linear coupling a=0.1"),
    dict(name="kuramoto", model="Kuramoto", params={}, dt=0.1,
         coupling="Kuramoto", cparams={"a": 0.5},
         ic={"theta": (0.0, 0.78125)},
         desc="Kuramoto omega=1 (default), Kuramoto coupling a=0.5, no noise"),
    dict(name="epileptor", model="Epileptor", params={}, dt=0.05,
         coupling="Difference", cparams={"a": 0.1},
         ic={"x1": (-1.75, 0.125), "y1": (-12.0, 0.5), "z": (2.875, 0.0625),
             "x2": (-1.0, 0.0625), "y2": (0.0, 0.03125), "g": (-0.125, 0.015625)},
         desc="Epileptor defaults (Kvf=Kf=Ks=0, so coupling has NO effect), Difference coupling a=0.1, dt=0.05"),
    dict(name="epileptor_coupled", model="Epileptor", params={"Kvf": 0.5, "Kf": 0.5, "Ks": -0.5}, dt=0.05,
         coupling="Difference", cparams={"a": 0.1},
         ic={"x1": (-1.75, 0.125), "y1": (-12.0, 0.5), "z": (2.875, 0.0625),
             "x2": (-1.0, 0.0625), "y2": (0.0, 0.03125), "g": (-0.125, 0.015625)},
         desc="Epileptor defaults except Kvf=0.5 Kf=0.5 Ks=-0.5 (so coupling matters), Difference a=0.1, dt=0.05"),
    dict(name="rww", model="ReducedWongWang", params={}, dt=0.1,
         coupling="Linear", cparams={"a": 0.5, "b": 0.0},
         ic={"S": (0.0625, 0.0625)},
         desc="ReducedWongWang defaults, Linear coupling a=0.5"),
    dict(name="wilson_cowan", model="WilsonCowan", params={}, dt=0.1,
         coupling="Linear", cparams={"a": 0.1, "b": 0.0},
         ic={"E": (0.0625, 0.0625), "I": (0.03125, 0.0625)},
         desc="WilsonCowan defaults, Linear coupling a=0.1"),
    dict(name="sup_hopf", model="SupHopf", params={"a": 0.2}, dt=0.1,
         coupling="Difference", cparams={"a": 0.1},
         ic={"x": (-0.5, 0.125), "y": (0.375, -0.125)},
         desc="SupHopf a=0.2 (limit cycle; default a=-0.5 just decays), omega=1, Difference coupling a=0.1"),
    dict(name="mpr", model="MontbrioPazoRoxin", params={}, dt=0.05,
         coupling="Linear", cparams={"a": 0.2, "b": 0.0},
         ic={"r": (0.0625, 0.125), "V": (-2.0, 0.25)},
         desc="MontbrioPazoRoxin defaults (cr=1, cv=0), Linear coupling a=0.2, dt=0.05"),
]

# parameters of each coupling class that we record
COUPLING_PARAMS = {
    "Linear": ["a", "b"],
    "Difference": ["a"],
    "Kuramoto": ["a"],
    "SigmoidalJansenRit": ["cmin", "cmax", "midpoint", "r", "a"],
}
# coupling params that switch coupling off (used only for the "does coupling matter" check)
COUPLING_OFF = {"Linear": {"a": 0.0, "b": 0.0}, "Difference": {"a": 0.0},
                "Kuramoto": {"a": 0.0}, "SigmoidalJansenRit": {"a": 0.0}}


# ---------------------------------------------------------------------------------------------
# Connectome
# ---------------------------------------------------------------------------------------------
def make_connectome():
    """Deterministic 8-region connectome.

    centre_i = (60*b0 + 3 sin(i), 35*b1 + 3 cos(1.3 i), 12*b2 + 0.5 i)   with (b0,b1,b2) the bits of i,
    rounded to 3 decimals; tract_lengths = Euclidean distance of the rounded centres, rounded to 6 decimals
    (about 11..72 mm); weights[i, j] = exp(-L[i, j]/40) rounded to 6 decimals, zero diagonal, and zero
    wherever (2*i + j) % 5 == 0 (an asymmetric sparsity pattern, so a transposed weight matrix is detected).
    TVB convention: weights[i, j] is the connection FROM source j TO target i.
    """
    n = N_NODES
    centres = np.zeros((n, 3))
    for i in range(n):
        b0, b1, b2 = i & 1, (i >> 1) & 1, (i >> 2) & 1
        centres[i] = (60.0 * b0 + 3.0 * math.sin(i), 35.0 * b1 + 3.0 * math.cos(1.3 * i), 12.0 * b2 + 0.5 * i)
    centres = np.round(centres, 3)
    diff = centres[:, None, :] - centres[None, :, :]
    lengths = np.round(np.sqrt((diff ** 2).sum(-1)), 6)
    weights = np.exp(-lengths / 40.0)
    for i in range(n):
        for j in range(n):
            if i == j or (2 * i + j) % 5 == 0:
                weights[i, j] = 0.0
    weights = np.round(weights, 6)
    labels = ["r%d" % i for i in range(n)]
    return labels, centres, lengths, weights


def write_connectome(labels, centres, lengths, weights):
    CONN_DIR.mkdir(parents=True, exist_ok=True)
    files = {
        "weights.txt": "".join(" ".join("%.6f" % v for v in row) + "\n" for row in weights),
        "tract_lengths.txt": "".join(" ".join("%.6f" % v for v in row) + "\n" for row in lengths),
        "centres.txt": "".join("%s %.3f %.3f %.3f\n" % (lab, *c) for lab, c in zip(labels, centres)),
    }
    for fname, text in files.items():
        (CONN_DIR / fname).write_text(text)
    return files


def load_connectivity_with_tvb(files):
    """Read the connectome back through TVB's own zip reader (validates the file format)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for fname, text in files.items():
            zf.writestr(fname, text)
    conn = Connectivity.from_bytes_stream(buf.getvalue())
    conn.speed = np.array([SPEED])   # NB: Simulator.conduction_speed is NOT used for delays; Connectivity.speed is.
    conn.configure()
    return conn


# ---------------------------------------------------------------------------------------------
# History dtype patch (TVB stores weights/history as float32 in tvb.simulator.history)
# ---------------------------------------------------------------------------------------------
def set_history_dtype(dtype):
    for cls in (tvb_history.BaseHistory, tvb_history.DenseHistory, tvb_history.SparseHistory):
        for name, attr in vars(cls).items():
            if isinstance(attr, NDArray) and np.dtype(attr.dtype).kind == "f":
                attr.dtype = dtype


# ---------------------------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------------------------
def initial_state(case, svars):
    x0 = np.zeros((len(svars), N_NODES))
    for v, name in enumerate(svars):
        base, step = case["ic"][name]
        for k in range(N_NODES):
            x0[v, k] = base + step * ((3 * k + 1) % 8)
    return x0


def build_and_run(case, files, cparams_override=None):
    conn = load_connectivity_with_tvb(files)
    dt = case["dt"]
    conn.set_idelays(dt)
    horizon = int(conn.horizon)

    model_cls = getattr(tvb_models, case["model"])
    svars = tuple(model_cls.state_variables)
    mkw = {k: np.array([float(v)]) for k, v in case["params"].items()}
    model = model_cls(variables_of_interest=svars, **mkw)   # Raw monitor records all state variables

    cp = dict(case["cparams"])
    if cparams_override:
        cp.update(cparams_override)
    cfun = getattr(tvb_coupling, case["coupling"])(**{k: np.array([float(v)]) for k, v in cp.items()})

    x0 = initial_state(case, svars)
    ic = np.tile(x0[None, :, :, None], (horizon, 1, 1, 1))   # (horizon, nvar, nnode, 1), constant in time

    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cfun,
                              integrator=integrators.HeunDeterministic(dt=dt),
                              monitors=[monitors.Raw()], initial_conditions=ic,
                              simulation_length=N_STEPS * dt)
    sim.configure()
    assert sim.current_step == horizon - 1
    (t, x), = sim.run(n_steps=N_STEPS)
    assert x.shape == (N_STEPS, len(svars), N_NODES, 1), x.shape
    # Raw time of output row k is (horizon + k) * dt; physical time since the t=0 sample is (k+1)*dt.
    assert abs(t[0] - horizon * dt) < 1e-9 * max(1.0, horizon * dt)
    return dict(sim=sim, model=model, cfun=cfun, t=t, x=x[..., 0], x0=x0, svars=svars, horizon=horizon,
                conn=conn, raw_t0=float(t[0]))


def model_param_dict(model):
    out = {}
    skip = {"state_variable_range", "state_variable_boundaries", "variables_of_interest", "gid"}
    for name in type(model).declarative_attrs:
        if name in skip:
            continue
        val = getattr(model, name)
        if isinstance(val, np.ndarray) and val.dtype.kind in "fiub":
            v = val.ravel().tolist()
            out[name] = v[0] if len(v) == 1 else v
    return out


def fmt_rows(case, res):
    dt = case["dt"]
    svars, x = res["svars"], res["x"]
    lines = ["# tvb-library %s | case %s | %s | dt=%g speed=%g mm/ms HeunDeterministic | rows: every %d-th step "
             "starting at step %d (time = step*dt, t=0 is the last history sample)\n"
             % (TVB_VERSION, case["name"], case["desc"], dt, SPEED, SAVE_EVERY, FIRST_SAVED_STEP),
             "# columns: t " + " ".join("%s[%d]" % (v, k) for v in svars for k in range(N_NODES)) + "\n"]
    for n in range(FIRST_SAVED_STEP, N_STEPS + 1, SAVE_EVERY):
        row = x[n - 1].reshape(-1)          # (nvar, nnode) -> var-major, then node
        lines.append(("%.10g " % (n * dt)) + " ".join("%.17g" % v for v in row) + "\n")
    return "".join(lines)


def run_case(case, files):
    name = case["name"]
    set_history_dtype("f")
    res = build_and_run(case, files)
    set_history_dtype("d")
    res64 = build_and_run(case, files)
    set_history_dtype("f")
    off = build_and_run(case, files, cparams_override=COUPLING_OFF[case["coupling"]])

    x, x64, xoff = res["x"], res64["x"], off["x"]
    if not np.all(np.isfinite(x)):
        raise RuntimeError("non-finite values in case %s" % name)
    scale = np.maximum(np.abs(x64).max(axis=(0, 2), keepdims=True), 1e-300)   # per-variable scale
    f32_abs = float(np.abs(x - x64).max())
    f32_rel = float((np.abs(x - x64) / scale).max())
    coupling_effect = float(np.abs(x - xoff).max())

    (OUT_DIR / (name + ".txt")).write_text(fmt_rows(case, res))
    (OUT_DIR / (name + "_f64hist.txt")).write_text(fmt_rows(case, res64))

    conn, cfun, model = res["conn"], res["cfun"], res["model"]
    saved = list(range(FIRST_SAVED_STEP, N_STEPS + 1, SAVE_EVERY))
    meta = {
        "case": name,
        "description": case["desc"],
        "tvb_library_version": TVB_VERSION,
        "numpy_version": np.__version__,
        "model": case["model"],
        "state_variables": list(res["svars"]),
        "cvar": [int(c) for c in model.cvar],
        "model_parameters": model_param_dict(model),
        "model_parameters_overridden": case["params"],
        "state_variable_boundaries": ({k: [float(v[0]), float(v[1])] for k, v in model.state_variable_boundaries.items()}
                                      if model.state_variable_boundaries else None),
        "coupling": case["coupling"],
        "coupling_parameters": {p: float(getattr(cfun, p).ravel()[0]) for p in COUPLING_PARAMS[case["coupling"]]},
        "integrator": "HeunDeterministic",
        "dt": case["dt"],
        "conduction_speed_mm_per_ms": SPEED,
        "connectivity": "tests/data/conn8",
        "n_nodes": N_NODES,
        "n_steps": N_STEPS,
        "horizon": res["horizon"],
        "idelays": conn.idelays.tolist(),
        "initial_history": "constant: x(t) = initial_state for all t <= 0 (initial_conditions of shape "
                           "(horizon, nvar, nnode, 1), every row identical)",
        "initial_state_formula": "x0[var][node] = base[var] + step[var] * ((3*node + 1) % 8)",
        "initial_state_base_step": {k: list(v) for k, v in case["ic"].items()},
        "initial_state": {v: res["x0"][i].tolist() for i, v in enumerate(res["svars"])},
        "row_layout": "t, then state[var][node] var-major (all nodes of var 0, then var 1, ...)",
        "time_convention": "step n (n=1..n_steps) is the state after n integration steps from the t=0 "
                           "state (last history row); saved time column = n*dt. TVB's Raw monitor labels "
                           "the same sample (horizon - 1 + n)*dt.",
        "first_saved_raw_step": FIRST_SAVED_STEP,
        "save_every": SAVE_EVERY,
        "saved_steps": [saved[0], saved[-1]],
        "n_rows": len(saved),
        "tvb_raw_monitor_time_of_step1": res["raw_t0"],
        "delay_convention": "the update x[n-1] -> x[n] uses coupling from x_j[n-1-d_ij] (d_ij = "
                            "rint(L_ij/speed/dt)); d=0 reads x_j[n-1]; coupling held fixed over the Heun step",
        "files": {"stock": name + ".txt", "float64_history": name + "_f64hist.txt"},
        "history_precision_note": "Stock TVB stores weights and the history buffer as float32, so the "
                                  "coupling input is float32-rounded (Linear/Difference/Kuramoto pre() and the "
                                  "weighted sum are even evaluated in float32). <case>_f64hist.txt is the same "
                                  "run with TVB's history arrays patched to float64.",
        "max_abs_diff_stock_vs_f64hist": f32_abs,
        "max_rel_diff_stock_vs_f64hist_per_var_scale": f32_rel,
        "max_abs_effect_of_coupling": coupling_effect,
    }
    (OUT_DIR / (name + ".json")).write_text(json.dumps(meta, indent=1) + "\n")
    return f32_abs, f32_rel, coupling_effect


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", nargs="*", help="subset of case names (default: all)")
    args = ap.parse_args()

    labels, centres, lengths, weights = make_connectome()
    files = write_connectome(labels, centres, lengths, weights)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print("tvb-library %s, numpy %s" % (TVB_VERSION, np.__version__))
    print("conn8: lengths %.3f..%.3f mm, %d non-zero weights"
          % (lengths[lengths > 0].min(), lengths.max(), int((weights != 0).sum())))
    failed = []
    for case in CASES:
        if args.cases and case["name"] not in args.cases:
            continue
        try:
            a, r, c = run_case(case, files)
            print("%-18s ok  |stock-f64hist| abs %.3g rel %.3g  coupling effect %.3g" % (case["name"], a, r, c))
        except Exception as exc:  # report and continue: a case TVB cannot run is skipped
            failed.append(case["name"])
            print("%-18s SKIPPED: %r" % (case["name"], exc))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
