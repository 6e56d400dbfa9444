#!/usr/bin/env python3
"""Side-by-side peer comparison: the same network simulation in TVB, neurolib and nmsweep.

Run from the repository root with the venv that bench/peers/setup.sh made:

    bench/peers/setup.sh
    bench/peers/.venv/bin/python bench/peers/run_peers.py [CONNECTOME_ZIP]

CONNECTOME_ZIP defaults to ../shared/data/tvb/connectivity_76.zip (relative to the repository
root). nmsweep is the CLI of build/release (--nmsweep to change it). The script prints one table
and writes it, with the machine, the load, the commands and the versions, to bench/RESULTS.md
(--results to change, --no-write to only print).

Cases (all on the TVB connectome given, delays rint(L / 4 mm/ms / dt), dt = 0.1 ms):

  jr   Jansen-Rit, SigmoidalJansenRit coupling, stochastic Heun, additive noise on y4 only.
       TVB's stock simulator (numpy engine; JansenRit.dfun is a numba gufunc), the same with
       the pure-numpy dfun, and nmsweep. TVB 2.10 has no numba/codegen backend for Jansen-Rit:
       its NpBackend/NbBackend and NbMPRBackend accept MontbrioPazoRoxin only.
  mpr  Montbrio-Pazo-Roxin, Linear coupling, stochastic Heun, additive noise on r and V:
       TVB stock, TVB's numba backend (tvb.simulator.backend.nb_mpr, compatibility_mode=True
       so that it evaluates the coupling once per step like the stock Heun), nmsweep.
  wc   Wilson-Cowan, neurolib 0.6.2 (no Jansen-Rit in neurolib) against nmsweep's
       wilson_cowan with the parameters mapped onto neurolib's equations, Euler, diagonal
       of the weights zeroed (neurolib zeroes it). Noise differs: neurolib drives E and I
       with Ornstein-Uhlenbeck inputs, nmsweep adds white noise to E and I (two normal
       deviates per node-step in both).

Equal work is checked, not assumed: for one parameter point without noise, each peer's
trajectory is compared with nmsweep's (simulate, every step) and the maximum difference of a
variable over the whole run is printed, relative to that variable's largest magnitude.

Timing: peers run their points one after another (their usual way; single process), after a
warm-up run that pays numba's compilation. nmsweep runs 1024 points (the peers' values of the
swept parameter x 256 noise seeds) with all cores and with 1 thread; its wall time is the whole
CLI process (connectome loading, HDF5 output included). node-steps/s = points x nodes x steps /
wall seconds, which does not depend on how many points a tool ran.
"""
import argparse
import datetime
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
warnings.filterwarnings("ignore")


# ------------------------------------------------------------------------------------------------
# small utilities
# ------------------------------------------------------------------------------------------------
def load1():
    return os.getloadavg()[0]


def busy_cores(seconds=2.0):
    """Cores busy right now (all processes, from /proc/stat over `seconds`): the 1-minute load
    average lags, and one other job on one core of two halves a 2-thread run."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]                       # total, idle + iowait
    t1, i1 = snap()
    time.sleep(seconds)
    t2, i2 = snap()
    return (os.cpu_count() or 1) * (1.0 - (i2 - i1) / max(t2 - t1, 1))


def quiet(args):
    return load1() < args.max_load and busy_cores() < args.max_busy


def wait_quiet(args, what):
    """Wait (up to --wait-load seconds) for a quiet machine; return (1-min load, busy cores)."""
    t0 = time.time()
    while not quiet(args) and time.time() - t0 < args.wait_load:
        time.sleep(10)
    la, bc = load1(), busy_cores()
    if la >= args.max_load or bc >= args.max_busy:
        print(f"  [not quiet before {what}: load {la:.2f}, {bc:.2f} cores busy; measured anyway, recorded]",
              flush=True)
    return la, bc


def pkg_version(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def rel_diff(x, ref):
    """max |x - ref| over everything, divided by max |ref|."""
    return float(np.max(np.abs(x - ref)) / max(np.max(np.abs(ref)), 1e-300))


def peak_freq_hz(x, dt_ms):
    """Peak (DC excluded) of the node-averaged periodogram of the second half of x [time, node], in Hz."""
    h = x[len(x) // 2:]
    h = h - h.mean(axis=0)
    p = (np.abs(np.fft.rfft(h * np.hanning(len(h))[:, None], axis=0)) ** 2).mean(axis=1)
    f = np.fft.rfftfreq(len(h), dt_ms / 1000.0)
    return float(f[1:][np.argmax(p[1:])])


def read_connectome(path):
    with zipfile.ZipFile(path) as z:
        w = np.loadtxt(z.open("weights.txt"))
        L = np.loadtxt(z.open("tract_lengths.txt"))
    return w, L


# ------------------------------------------------------------------------------------------------
# nmsweep through its CLI
# ------------------------------------------------------------------------------------------------
class Nmsweep:
    def __init__(self, exe, workdir):
        self.exe = str(exe)
        self.workdir = Path(workdir)
        self.commands = []

    def spec(self, name, text):
        p = self.workdir / (name + ".toml")
        p.write_text(text)
        return p

    def run(self, spec, threads):
        out = spec.with_suffix(".h5")
        cmd = [self.exe, "run", str(spec), "-o", str(out), "--threads", str(threads), "--overwrite", "-q"]
        self.commands.append(" ".join(shlex.quote(c) for c in cmd))
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        import h5py
        with h5py.File(out, "r") as f:
            engine = float(f.attrs["node_steps_per_second"])
            ok = int(f.attrs["diverged_points"]) == 0
        out.unlink()
        return wall, engine, ok

    def simulate(self, spec, point=0):
        out = spec.with_suffix(".sim.h5")
        cmd = [self.exe, "simulate", str(spec), "--point", str(point), "--every", "1", "-o", str(out)]
        self.commands.append(" ".join(shlex.quote(c) for c in cmd))
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        import h5py
        with h5py.File(out, "r") as f:
            x = f["timeseries/state"][...]        # [time, variable, node]; row k = step k+1
        out.unlink()
        return x


def abbreviate(spec_text, keep=6):
    """For RESULTS.md: shorten TOML arrays of more than `keep` numbers on one line."""
    import re

    def short(m):
        items = m.group(1).split(", ")
        if len(items) <= keep:
            return m.group(0)
        return "[" + ", ".join(items[:keep]) + f", ... ({len(items)} values)]"
    return re.sub(r"\[([-0-9., e]+)\]", short, spec_text)


def toml_list(xs):
    return "[" + ", ".join(repr(float(x)) if isinstance(x, float) else str(x) for x in xs) + "]"


def toml_node_array(v):
    return "[" + ", ".join("%.17g" % x for x in v) + "]"


# ------------------------------------------------------------------------------------------------
# TVB helpers
# ------------------------------------------------------------------------------------------------
def tvb_imports():
    import logging
    logging.disable(logging.WARNING)
    from tvb.datatypes.connectivity import Connectivity
    from tvb.simulator import coupling, integrators, models, monitors, noise, simulator
    return Connectivity, coupling, integrators, models, monitors, noise, simulator


def tvb_connectivity(path, speed, dt):
    Connectivity = tvb_imports()[0]
    conn = Connectivity.from_file(str(path))
    conn.speed = np.array([speed])     # TVB takes the speed from here, not Simulator.conduction_speed
    conn.configure()
    conn.set_idelays(dt)
    return conn


def tvb_set_history_dtype(dtype):
    """TVB stores weights and the delay buffer as float32; 'd' patches them to float64 (as
    tests/tvb_reference/make_tvb_reference.py does) to separate that rounding from the rest."""
    from tvb.simulator import history as h
    from tvb.simulator.descriptors import NDArray
    for cls in (h.BaseHistory, h.DenseHistory, h.SparseHistory):
        for attr in vars(cls).values():
            if isinstance(attr, NDArray) and np.dtype(attr.dtype).kind == "f":
                attr.dtype = dtype


def tvb_simulator(conn, model, cfun, dt, x0, nsig, seed, monitor, duration):
    """x0: (nvar, nnode) constant initial history of the full horizon (TVB then draws none)."""
    _, _, integrators, _, _, noise, simulator = tvb_imports()
    if nsig is None:
        integ = integrators.HeunDeterministic(dt=dt)
    else:
        integ = integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=np.asarray(nsig, float),
                                                                       noise_seed=seed))
    ic = np.tile(x0[None, :, :, None], (int(conn.horizon), 1, 1, 1))
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cfun, integrator=integ,
                              monitors=[monitor], initial_conditions=ic, simulation_length=duration)
    sim.configure()
    return sim


def node_pattern(base, step, n):
    """A per-node initial value, so that the nodes do not start identical (as in tests/tvb_reference)."""
    return np.array([base + step * ((3 * k + 1) % 8) for k in range(n)], float)


# ------------------------------------------------------------------------------------------------
# Case: Jansen-Rit (TVB numpy, TVB numpy-only dfun, nmsweep)
# ------------------------------------------------------------------------------------------------
JR_VARS = ["y0", "y1", "y2", "y3", "y4", "y5"]
JR_IC = {"y0": (0.0, 0.015625), "y1": (12.0, 1.0), "y2": (10.0, 0.5),
         "y3": (-0.25, 0.0625), "y4": (-1.0, 0.25), "y5": (-0.5, 0.125)}


def jr_x0(n):
    return np.array([node_pattern(*JR_IC[v], n) for v in JR_VARS])


def jr_spec(args, values, seeds, duration, nsig, precision, nnode):
    x0 = jr_x0(nnode)
    noise = (f'noise = {{ sigma = {{ y4 = {math.sqrt(2 * nsig)!r} }}, seed = 1 }}\n' if nsig else "")
    init = "".join(f"{v} = {toml_node_array(x0[i])}\n" for i, v in enumerate(JR_VARS))
    seed_axis = (f'\n[[sweep]]\nparam = "noise.seed"\nvalues = {toml_list(seeds)}\n' if seeds else "")
    return f"""# generated by bench/peers/run_peers.py
[model]
name = "jansen_rit"              # TVB's JansenRit defaults (v0 = 5.52 mV, mu = 0.22)

[network]
connectome = "{args.connectome}"
speed = 4.0
normalise = "none"

[coupling]
kind = "sigmoidal_jansen_rit"    # TVB's SigmoidalJansenRit defaults (cmin 0, cmax 0.005, midpoint 6, r 0.56)

[integrator]
method = "heun"
dt = 0.1
duration = {duration!r}
precision = "{precision}"
{noise}
[initial]
{init}
[[sweep]]
param = "coupling.a"
values = {toml_list(values)}
{seed_axis}
[output]
observable = "y1 - y2"
features = ["mean", "std"]
sample_every = 10
"""


def case_jr(args, nms, rows, checks):
    Connectivity, coupling, integrators, models, monitors, noise, simulator = tvb_imports()
    dt, values, nsig = 0.1, args.jr_a, args.jr_nsig
    nsig_vec = np.zeros(6)
    nsig_vec[4] = nsig
    conn = tvb_connectivity(args.connectome, 4.0, dt)
    n = conn.number_of_regions
    x0 = jr_x0(n)

    # ---- equal work: one point, no noise, every step --------------------------------------
    a_chk = args.jr_check_a
    nchk = int(round(args.check_duration / dt))

    def tvb_det(hist_dtype):
        tvb_set_history_dtype(hist_dtype)
        conn_c = tvb_connectivity(args.connectome, 4.0, dt)
        sim = tvb_simulator(conn_c, models.JansenRit(variables_of_interest=tuple(JR_VARS)),
                            coupling.SigmoidalJansenRit(a=np.array([a_chk])), dt, x0, None, 0,
                            monitors.Raw(), args.check_duration)
        (_, x), = sim.run()
        tvb_set_history_dtype("f")
        return x[:nchk, :, :, 0]

    tvb32, tvb64 = tvb_det("f"), tvb_det("d")
    for prec in ("double", "float"):
        spec = nms.spec(f"jr_check_{prec}", jr_spec(args, [a_chk], None, args.check_duration, 0.0, prec, n))
        xs = nms.simulate(spec)[:nchk]
        obs = lambda x: x[:, 1, :] - x[:, 2, :]
        checks.append(dict(case="jr", what=f"y1-y2, a={a_chk}, {nchk} steps: nmsweep {prec} vs TVB stock "
                                            "(float32 history)",
                           rel=rel_diff(obs(xs), obs(tvb32)),
                           peak=(peak_freq_hz(obs(xs), dt), peak_freq_hz(obs(tvb32), dt))))
        if prec == "double":
            checks.append(dict(case="jr", what=f"y1-y2, a={a_chk}, {nchk} steps: nmsweep {prec} vs TVB with "
                                                "float64 history",
                               rel=rel_diff(obs(xs), obs(tvb64))))
    checks.append(dict(case="jr", what="(for scale) TVB stock vs TVB float64 history",
                       rel=rel_diff(tvb32[:, 1] - tvb32[:, 2], tvb64[:, 1] - tvb64[:, 2])))
    amp = float(np.ptp((tvb64[:, 1] - tvb64[:, 2])[nchk // 2:], axis=0).max())
    checks.append(dict(case="jr", what=f"(not a trivial fixed point) largest peak-to-peak of y1-y2 in the "
                                        f"second half: {amp:.3g} mV", rel=None))

    # ---- timing -----------------------------------------------------------------------------
    nsteps = int(round(args.tvb_duration / dt))

    def tvb_sweep(numpy_dfun):
        walls = []
        for k, a in enumerate(values):
            t0 = time.perf_counter()
            model = models.JansenRit(variables_of_interest=("y0", "y1", "y2"))
            if numpy_dfun:
                model.dfun = model._numpy_dfun
            sim = tvb_simulator(conn, model, coupling.SigmoidalJansenRit(a=np.array([a])), dt, x0,
                                nsig_vec, 42 + k, monitors.TemporalAverage(period=1.0), args.tvb_duration)
            (_, x), = sim.run()
            walls.append(time.perf_counter() - t0)
            assert np.all(np.isfinite(x))
        return sum(walls)

    for numpy_dfun, backend in ((False, "numpy engine + numba dfun (stock)"),
                                (True, "numpy engine + numpy dfun")):
        tvb_sweep_warm = tvb_simulator(conn, models.JansenRit(), coupling.SigmoidalJansenRit(), dt, x0,
                                       nsig_vec, 1, monitors.TemporalAverage(period=1.0), 10.0)
        tvb_sweep_warm.run()
        la = wait_quiet(args, "TVB jr")
        wall = tvb_sweep(numpy_dfun)
        rows.append(dict(case="jr", tool="TVB " + pkg_version("tvb-library"), backend=backend,
                         points=len(values), nodes=n, steps=nsteps, wall=wall, load=la))
    rows.append(dict(case="jr", tool="TVB", backend="numba (nb_mpr / NbBackend)", skipped=
                     "no Jansen-Rit support in tvb-library 2.10: the codegen backends accept "
                     "MontbrioPazoRoxin only"))
    nmsweep_timing(args, nms, rows, "jr", n,
                   lambda steps_ms: jr_spec(args, values, list(range(1, args.nms_points // len(values) + 1)),
                                            steps_ms, nsig, "float", n), dt)


# ------------------------------------------------------------------------------------------------
# Case: Montbrio-Pazo-Roxin (TVB stock, TVB numba backend nb_mpr, nmsweep)
# ------------------------------------------------------------------------------------------------
def mpr_x0(n):
    return np.array([node_pattern(0.0625, 0.125, n), node_pattern(-2.0, 0.25, n)])


def mpr_spec(args, values, seeds, duration, nsig, precision, nnode):
    x0 = mpr_x0(nnode)
    sig = math.sqrt(2 * nsig) if nsig else 0.0
    noise = (f"noise = {{ sigma = {{ r = {sig!r}, V = {sig!r} }}, seed = 1 }}\n" if nsig else "")
    seed_axis = (f'\n[[sweep]]\nparam = "noise.seed"\nvalues = {toml_list(seeds)}\n' if seeds else "")
    return f"""# generated by bench/peers/run_peers.py
[model]
name = "montbrio_pazo_roxin"     # TVB's MontbrioPazoRoxin defaults (eta -5, J 15, Delta 1, tau 1, cr 1, cv 0)

[network]
connectome = "{args.connectome}"
speed = 4.0
normalise = "none"

[coupling]
kind = "linear"

[integrator]
method = "heun"
dt = {args.mpr_dt!r}
duration = {duration!r}
precision = "{precision}"
{noise}
[initial]
r = {toml_node_array(x0[0])}
V = {toml_node_array(x0[1])}

[[sweep]]
param = "coupling.a"
values = {toml_list(values)}
{seed_axis}
[output]
observable = "r"
features = ["mean", "std"]
sample_every = 10
"""


def case_mpr(args, nms, rows, checks):
    Connectivity, coupling, integrators, models, monitors, noise, simulator = tvb_imports()
    from tvb.simulator.backend.nb_mpr import NbMPRBackend
    dt, values, nsig = args.mpr_dt, args.mpr_a, args.mpr_nsig
    conn = tvb_connectivity(args.connectome, 4.0, dt)
    n = conn.number_of_regions
    x0 = mpr_x0(n)
    nbk = NbMPRBackend()

    def mk(a, nsig_, seed, monitor, duration, stochastic=True):
        model = models.MontbrioPazoRoxin()
        return tvb_simulator(conn, model, coupling.Linear(a=np.array([a])), dt, x0,
                             (np.array([nsig_, nsig_]) if stochastic else None), seed, monitor, duration)

    # ---- equal work -------------------------------------------------------------------------
    a_chk = args.mpr_check_a
    nchk = int(round(args.check_duration / dt))
    (_, x_stock), = mk(a_chk, 0.0, 0, monitors.Raw(), args.check_duration, stochastic=False).run()
    x_stock = x_stock[:nchk, :, :, 0]
    (_, x_nb), = nbk.run_sim(mk(a_chk, 0.0, 0, monitors.Raw(), args.check_duration), nstep=nchk,
                             compatibility_mode=True)
    x_nb = x_nb[:nchk, :, :, 0]
    spec = nms.spec("mpr_check_double", mpr_spec(args, [a_chk], None, args.check_duration, 0.0, "double", n))
    xs = nms.simulate(spec)[:nchk]
    for name, ref in (("TVB stock (float32 history)", x_stock), ("TVB nb_mpr (float64)", x_nb)):
        checks.append(dict(case="mpr", what=f"r, a={a_chk}, {nchk} steps: nmsweep double vs {name}",
                           rel=rel_diff(xs[:, 0], ref[:, 0])))
    amp = float(np.ptp(x_nb[:, 0], axis=0).max())
    amp2 = float(np.ptp(x_nb[nchk // 2:, 0], axis=0).max())
    checks.append(dict(case="mpr", what=f"(what was compared) without noise r relaxes from its initial values "
                                         f"(largest range over the run {amp:.3g}) to a fixed point (range in the "
                                         f"second half {amp2:.3g}): the check covers the transient", rel=None))

    # ---- timing -----------------------------------------------------------------------------
    nsteps = int(round(args.tvb_duration / dt))
    mk(values[0], nsig, 1, monitors.Raw(), 10.0).run()                      # warm up the stock path
    la = wait_quiet(args, "TVB mpr stock")
    t0 = time.perf_counter()
    for k, a in enumerate(values):
        (_, x), = mk(a, nsig, 42 + k, monitors.TemporalAverage(period=1.0), args.tvb_duration).run()
        assert np.all(np.isfinite(x))
    rows.append(dict(case="mpr", tool="TVB " + pkg_version("tvb-library"), backend="numpy engine (stock)",
                     points=len(values), nodes=n, steps=nsteps, wall=time.perf_counter() - t0, load=la))

    # nb_mpr renders the model and the coupling (parameter values included) into Python source
    # and numba-compiles it on every run_sim call, so each parameter point pays a compilation.
    # Measured both ways: the whole call, and the integration alone (after compiling it on a
    # throw-away copy of the buffers).
    integ_walls = []
    orig = NbMPRBackend._run_integrate

    def timed_integrate(self, integrate, sim, N, nstep, svar_bufs, stimulus):
        orig(self, integrate, sim, N, 1, [b.copy() for b in svar_bufs], stimulus)      # compile
        t1 = time.perf_counter()
        out = orig(self, integrate, sim, N, nstep, svar_bufs, stimulus)
        integ_walls.append(time.perf_counter() - t1)
        return out

    la = wait_quiet(args, "TVB mpr nb_mpr")
    t0 = time.perf_counter()
    for k, a in enumerate(values):
        (_, x), = nbk.run_sim(mk(a, nsig, 42 + k, monitors.Raw(), args.tvb_duration), nstep=nsteps,
                              compatibility_mode=True)
        assert np.all(np.isfinite(x))
    wall_full = time.perf_counter() - t0
    NbMPRBackend._run_integrate = timed_integrate
    try:
        for k, a in enumerate(values):
            nbk.run_sim(mk(a, nsig, 42 + k, monitors.Raw(), args.tvb_duration), nstep=nsteps,
                        compatibility_mode=True)
    finally:
        NbMPRBackend._run_integrate = orig
    tool = "TVB " + pkg_version("tvb-library")
    rows.append(dict(case="mpr", tool=tool, backend="numba nb_mpr, per point: codegen + JIT + run",
                     points=len(values), nodes=n, steps=nsteps, wall=wall_full, load=la))
    rows.append(dict(case="mpr", tool=tool, backend="numba nb_mpr, integration loop only",
                     points=len(values), nodes=n, steps=nsteps, wall=sum(integ_walls), load=la))
    nmsweep_timing(args, nms, rows, "mpr", n,
                   lambda d: mpr_spec(args, values, list(range(1, args.nms_points // len(values) + 1)),
                                      d, nsig, "float", n), dt)


# ------------------------------------------------------------------------------------------------
# Case: Wilson-Cowan (neurolib, nmsweep)
# ------------------------------------------------------------------------------------------------
# neurolib's WC:  tau_exc dE/dt = -E + (1 - E) S_E(c_excexc E - c_inhexc I + K_gl sum_j C_ij E_j(t - d_ij) + exc_ext)
#                 tau_inh dI/dt = -I + (1 - I) S_I(c_excinh E - c_inhinh I + inh_ext),  S(x) = 1/(1+exp(-a (x - mu)))
# nmsweep (= TVB's WilsonCowan) with shift_sigmoid = 0, k = r = c = alpha = 1, theta = 0 is the same:
WC_MAP = dict(tau_e=2.5, tau_i=3.75, c_ee=16.0, c_ei=12.0, c_ie=15.0, c_ii=3.0, a_e=1.5, b_e=3.0,
              a_i=1.5, b_i=3.0, shift_sigmoid=0.0, k_e=1.0, k_i=1.0, r_e=1.0, r_i=1.0, c_e=1.0, c_i=1.0,
              alpha_e=1.0, alpha_i=1.0, theta_e=0.0, theta_i=0.0, Q=0.0)


def wc_spec(args, wl_files, values, seeds, duration, sigma, precision, e0, i0):
    params = ", ".join(f"{k} = {v!r}" for k, v in WC_MAP.items())
    noise = (f"noise = {{ sigma = {{ E = {sigma!r}, I = {sigma!r} }}, seed = 1 }}\n" if sigma else "")
    seed_axis = (f'\n[[sweep]]\nparam = "noise.seed"\nvalues = {toml_list(seeds)}\n' if seeds else "")
    return f"""# generated by bench/peers/run_peers.py
[model]
name = "wilson_cowan"            # parameters mapped onto neurolib's WCModel defaults
params = {{ {params}, P = {args.wc_ext!r} }}

[network]
connectome = "{wl_files}"        # the TVB weights with the diagonal zeroed (as neurolib does), lengths
speed = 4.0
normalise = "none"

[coupling]
kind = "linear"                  # a = K_gl, b = 0

[integrator]
method = "euler"                 # neurolib integrates with Euler
dt = 0.1
duration = {duration!r}
precision = "{precision}"
{noise}
[initial]
E = {toml_node_array(e0)}
I = {toml_node_array(i0)}

[[sweep]]
param = "coupling.a"
values = {toml_list(values)}
{seed_axis}
[output]
observable = "E"
features = ["mean", "std"]
sample_every = 10
"""


def case_wc(args, nms, rows, checks):
    from neurolib.models.wc import WCModel
    dt, values = 0.1, args.wc_k
    W, L = read_connectome(args.connectome)
    np.fill_diagonal(W, 0.0)
    n = len(W)
    wf, lf = nms.workdir / "wc_weights.txt", nms.workdir / "wc_lengths.txt"
    np.savetxt(wf, W, fmt="%.17g")
    np.savetxt(lf, L, fmt="%.17g")
    wl = f"{wf},{lf}"
    e0, i0 = node_pattern(0.0625, 0.03125, n), node_pattern(0.03125, 0.03125, n)

    def nl_model(k, duration, sigma_ou, seed):
        m = WCModel(Cmat=W, Dmat=L, seed=seed)
        m.params.update(dt=dt, duration=duration, signalV=4.0, K_gl=k, sigma_ou=sigma_ou,
                        exc_ext=args.wc_ext, exc_init=e0[:, None].copy(), inh_init=i0[:, None].copy())
        return m

    # ---- equal work -------------------------------------------------------------------------
    k_chk = args.wc_check_k
    nchk = int(round(args.check_duration / dt))
    m = nl_model(k_chk, args.check_duration, 0.0, 1)
    t0 = time.perf_counter()
    m.run()                                                  # numba compiles on this first call
    compile_s = time.perf_counter() - t0
    exc = m.exc.T[:nchk]                                     # [time, node], row k = step k+1
    spec = nms.spec("wc_check_double", wc_spec(args, wl, [k_chk], None, args.check_duration, 0.0, "double",
                                               e0, i0))
    xs = nms.simulate(spec)[:nchk]
    checks.append(dict(case="wc", what=f"E, K_gl={k_chk}, {nchk} steps: nmsweep double vs neurolib (float64)",
                       rel=rel_diff(xs[:, 0], exc), peak=(peak_freq_hz(xs[:, 0], dt), peak_freq_hz(exc, dt))))
    amp = float(np.ptp(exc[nchk // 2:], axis=0).max())
    checks.append(dict(case="wc", what=f"(not a trivial fixed point) largest peak-to-peak of E in the second "
                                        f"half: {amp:.3g}", rel=None))

    # ---- timing -----------------------------------------------------------------------------
    nsteps = int(round(args.tvb_duration / dt))
    nl_model(values[0], 10.0, args.wc_sigma_ou, 1).run()        # warm-up (numba compiled in the check)
    la = wait_quiet(args, "neurolib wc")
    t0 = time.perf_counter()
    for k, kgl in enumerate(values):
        mm = nl_model(kgl, args.tvb_duration, args.wc_sigma_ou, 42 + k)
        mm.run()
        assert np.all(np.isfinite(mm.exc))
    rows.append(dict(case="wc", tool="neurolib " + pkg_version("neurolib"),
                     backend=f"numba @njit loop, warm (first call with JIT: {compile_s:.1f} s)",
                     points=len(values), nodes=n, steps=nsteps, wall=time.perf_counter() - t0, load=la))
    # Noise: neurolib adds OU inputs (sigma_ou) to dE/dt and dI/dt; nmsweep adds white noise of the
    # same sigma to E and I. Different processes, the same work: two normal deviates per node-step.
    sigma = args.wc_sigma_ou
    nmsweep_timing(args, nms, rows, "wc", n,
                   lambda d: wc_spec(args, wl, values, list(range(1, args.nms_points // len(values) + 1)), d,
                                     sigma, "float", e0, i0), dt)


# ------------------------------------------------------------------------------------------------
# nmsweep timing: all cores and 1 thread
# ------------------------------------------------------------------------------------------------
def nmsweep_timing(args, nms, rows, case, n, spec_text, dt):
    nsteps = int(round(args.nms_duration / dt))
    spec = nms.spec(f"{case}_timing", spec_text(args.nms_duration))
    npts = (args.nms_points // 4) * 4
    nms.run(nms.spec(f"{case}_warm", spec_text(10 * dt)), args.threads)          # page cache, first touch
    for threads, label in ((args.threads, f"cpu, {args.threads} threads (all cores), float"),
                           (1, "cpu, 1 thread, float")):
        best = None
        for _ in range(args.repeats):
            la = wait_quiet(args, f"nmsweep {case} {threads}t")
            wall, engine, ok = nms.run(spec, threads)
            if best is None or wall < best[0]:
                best = (wall, engine, ok, la)
        rows.append(dict(case=case, tool="nmsweep", backend=label, points=npts, nodes=n, steps=nsteps,
                         wall=best[0], load=best[3], engine=best[1], diverged=not best[2],
                         nms_threads=threads))


# ------------------------------------------------------------------------------------------------
# GPU peers (hook)
# ------------------------------------------------------------------------------------------------
def gpu_peers(args, rows):
    """vbjax and cuBNM are GPU tools. Here they are reported as skipped unless a GPU is visible
    and setup.sh installed them; the runners themselves are still to be written on a GPU machine
    (vbjax: jr_dfun with a delay buffer in jax.lax.scan, vmapped over the points; cuBNM: its
    rWW/JR sims on the same connectome), following the pattern of case_jr above."""
    has_gpu = shutil.which("nvidia-smi") is not None and subprocess.run(
        ["nvidia-smi", "-L"], capture_output=True).returncode == 0
    for name, pkg in (("vbjax", "vbjax"), ("cuBNM", "cubnm")):
        if not has_gpu:
            why = "no GPU on this machine"
        elif pkg_version(pkg) is None:
            why = "not installed (bench/peers/setup.sh installs it where a GPU is visible)"
        else:
            why = "GPU and package present, runner not written yet (see gpu_peers())"
        rows.append(dict(case="jr", tool=name, backend="GPU", skipped=why))


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------
def fmt_table(rows):
    nms_rate = {}
    for r in rows:
        if not r.get("skipped"):
            r["rate"] = r["points"] * r["nodes"] * r["steps"] / r["wall"]
            if r["tool"] == "nmsweep":
                nms_rate[(r["case"], r["nms_threads"] == 1)] = r["rate"]
    hdr = ["case", "tool", "backend", "points", "nodes", "steps", "wall s", "node-steps/s",
           "nmsweep all cores is x faster", "nmsweep 1 thread is x faster", "load / busy cores"]
    lines = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for r in rows:
        if r.get("skipped"):
            lines.append(f"| {r['case']} | {r['tool']} | {r['backend']} | not run: {r['skipped']} "
                         "| | | | | | | |")
            continue
        all_c, one = nms_rate.get((r["case"], False)), nms_rate.get((r["case"], True))
        ra = f"{all_c / r['rate']:.3g}" if all_c else "-"
        r1 = f"{one / r['rate']:.3g}" if one else "-"
        lines.append(f"| {r['case']} | {r['tool']} | {r['backend']} | {r['points']} | {r['nodes']} | "
                     f"{r['steps']} | {r['wall']:.2f} | {r['rate']:.3g} | {ra} | {r1} | {r['load'][0]:.2f} / {r['load'][1]:.2f} |")
    return "\n".join(lines)


def fmt_checks(checks):
    out = []
    for c in checks:
        s = f"- {c['case']}: {c['what']}"
        if c.get("rel") is not None:
            s += f": max |diff| / max |ref| = {c['rel']:.2e}"
        if c.get("peak"):
            s += f"; spectral peak (second half) {c['peak'][0]:.1f} Hz (nmsweep) vs {c['peak'][1]:.1f} Hz (peer)"
        out.append(s)
    return "\n".join(out)


def machine_info():
    model = "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def git_rev():
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" (tracked files modified)" if dirty else "")
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("connectome", nargs="?", default=str(REPO / ".." / "shared" / "data" / "tvb" /
                                                         "connectivity_76.zip"))
    ap.add_argument("--nmsweep", default=str(REPO / "build" / "release" / "src" / "nmsweep"))
    ap.add_argument("--cases", default="jr,mpr,wc", help="comma list of jr, mpr, wc")
    ap.add_argument("--tvb-duration", type=float, default=1000.0, help="ms of model time per peer point")
    ap.add_argument("--nms-duration", type=float, default=1000.0, help="ms of model time per nmsweep point")
    ap.add_argument("--nms-points", type=int, default=1024)
    ap.add_argument("--check-duration", type=float, default=1000.0, help="ms, equal-work check")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeats", type=int, default=2, help="nmsweep runs per setting (best is kept)")
    ap.add_argument("--max-load", type=float, default=1.5, help="1-minute load average to wait for")
    ap.add_argument("--max-busy", type=float, default=0.5, help="busy cores (2 s sample) to wait for")
    ap.add_argument("--wait-start", type=float, default=1800.0, help="s to wait for a quiet machine at the start")
    ap.add_argument("--wait-load", type=float, default=300.0, help="s to wait for a quiet machine per measurement")
    ap.add_argument("--jr-a", type=float, nargs=4, default=[0.5, 1.0, 2.0, 4.0])
    ap.add_argument("--jr-check-a", type=float, default=1.0)
    ap.add_argument("--jr-nsig", type=float, default=1e-4)
    ap.add_argument("--mpr-dt", type=float, default=0.1)
    ap.add_argument("--mpr-a", type=float, nargs=4, default=[0.005, 0.01, 0.02, 0.04])
    ap.add_argument("--mpr-check-a", type=float, default=0.02)
    ap.add_argument("--mpr-nsig", type=float, default=1e-3)
    ap.add_argument("--wc-k", type=float, nargs=4, default=[0.01, 0.02, 0.05, 0.1])
    ap.add_argument("--wc-check-k", type=float, default=0.02)
    ap.add_argument("--wc-ext", type=float, default=0.8, help="neurolib exc_ext = nmsweep P")
    ap.add_argument("--wc-sigma-ou", type=float, default=0.01)
    ap.add_argument("--results", default=str(REPO / "bench" / "RESULTS.md"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the generated specs (printed path)")
    args = ap.parse_args()
    args.connectome = str(Path(args.connectome).resolve())
    if not Path(args.nmsweep).is_file():
        sys.exit(f"no nmsweep at {args.nmsweep}: cmake --build build/release --target nmsweep")

    t0 = time.time()
    while not quiet(args) and time.time() - t0 < args.wait_start:
        print(f"  waiting for a quiet machine: load {load1():.2f}, {busy_cores():.2f} cores busy", flush=True)
        time.sleep(30)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()
    workdir = tempfile.mkdtemp(prefix="nms_peers_")
    nms = Nmsweep(args.nmsweep, workdir)
    rows, checks = [], []
    cases = {"jr": case_jr, "mpr": case_mpr, "wc": case_wc}
    for c in args.cases.split(","):
        print(f"== case {c}", flush=True)
        t0 = time.time()
        cases[c](args, nms, rows, checks)
        print(f"   done in {time.time() - t0:.0f} s", flush=True)
    if "jr" in args.cases.split(","):
        gpu_peers(args, rows)

    table = fmt_table(rows)
    check_text = fmt_checks(checks)
    nms_version = subprocess.run([args.nmsweep, "--version"], capture_output=True, text=True).stdout.strip()
    if not nms_version.startswith("nmsweep"):
        nms_version = "nmsweep " + nms_version
    versions = ", ".join(f"{p} {pkg_version(p)}" for p in ("tvb-library", "neurolib", "numba", "numpy", "scipy")
                         if pkg_version(p)) + f", Python {platform.python_version()}, {nms_version} " \
                                                f"(repository at {git_rev()})"
    engine = "; ".join(f"{r['case']} {r['nms_threads']}t {r['engine']:.3g}" for r in rows if r.get("engine"))
    loads = [r["load"][0] for r in rows if "load" in r]
    busy = [r["load"][1] for r in rows if "load" in r]
    print()
    print(table)
    print()
    print(check_text)
    print(f"\nnmsweep engine-only node-steps/s (from the result files): {engine}")
    print(f"load at start {load_start[0]:.2f}; at the measurements {min(loads):.2f}..{max(loads):.2f}, "
          f"busy cores {min(busy):.2f}..{max(busy):.2f}")
    specs = "\n".join(f"### {p.name}\n\n```toml\n{abbreviate(p.read_text()).replace(str(workdir), '$WORK')}```\n"
                      for p in sorted(Path(workdir).glob("*_timing.toml")))
    commands = "\n".join(c.replace(str(workdir), "$WORK") for c in nms.commands)
    if args.keep:
        print(f"specs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.no_write:
        return
    cmdline = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable, REPO)] +
                       [os.path.relpath(__file__, REPO)] + sys.argv[1:])
    text = f"""# Peer comparison: TVB, neurolib and nmsweep on the same case

Written by `bench/peers/run_peers.py` ({started:%Y-%m-%d %H:%M} UTC). The cases, the parameter
mapping and the noise differences are described in that script's docstring; the nmsweep specs it
generated are listed at the end.

- Machine: {machine_info()}; 1-minute load average {load_start[0]:.2f} at the start, {min(loads):.2f} to
  {max(loads):.2f} at the starts of the measurements, with {min(busy):.2f} to {max(busy):.2f} cores busy
  (2 s sample of /proc/stat; column `load / busy cores`; targets < {args.max_load} and < {args.max_busy}).
  The 1-minute average lags and includes this script's own previous measurement; the busy-core
  sample, taken while the script is idle just before each measurement, shows what others ran.
- Versions: {versions}.
- Command: `bench/peers/setup.sh && {cmdline}`
- Peers run their points one after another in one process (numba compilation paid by a warm-up run
  and excluded). nmsweep runs {(args.nms_points // 4) * 4} points (the same 4 parameter values x
  {args.nms_points // 4} noise seeds), float, wall time of the whole CLI process, best of {args.repeats}.
  node-steps/s = points x nodes x steps / wall s. "x faster" = nmsweep's node-steps/s / the row's.

{table}

nmsweep engine-only node-steps/s (integration loop, from the result files' attributes): {engine}.

Notes on reading the table:
- Peer rows use one core; compare them with the "1 thread" column for per-core speed.
- TVB has no numba backend for Jansen-Rit; its only one (`nb_mpr`) is timed on the mpr case. It
  bakes the parameter values into generated source, so every point pays codegen and JIT; the
  "integration loop only" row is its floor (a dense loop over all sources, one point at a time).
- neurolib's WC loop is also dense (every source, zero weights included); nmsweep skips zero
  weights (27 % of the 76-region weights are non-zero) and carries E and I in its ring (TVB's
  WilsonCowan couples on both). The trajectories are the same (see below): the work per
  node-step differs by design, which is what the comparison is meant to show.
- Peer walls under a second (nb_mpr loop, neurolib) are less precise than the others.

## Equal work: one point without noise, every step compared

{check_text}

## nmsweep commands

`$WORK` is a temporary folder, deleted after the run (`--keep` keeps it). The `*_check_*` specs are
the timing specs below with one point (the checked value), no noise and the precision named.
Long arrays are abbreviated here; the script writes them in full.

```
{commands}
```

"""
    Path(args.results).write_text(text + specs)
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
