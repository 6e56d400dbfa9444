"""The Python package against the command line: the same spec gives the same
result file, bit for bit; the batch call gives a spec run's values; errors are
the CLI's; Ctrl-C stops a run that --resume completes.

Run by CTest (python_api) with PYTHONPATH = the build tree's package and
NMSWEEP_CLI = the nmsweep executable.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import nmsweep

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
CLI = os.environ.get("NMSWEEP_CLI", "")

SPEC = """
[model]
name = "jansen_rit"
[network]
connectome = "{conn}"
speed = 3.0
[coupling]
kind = "sigmoidal_jansen_rit"
a = 0.1
[integrator]
method = "heun"
dt = 0.1
duration = 400
transient = 100
noise = {{ sigma = 0.001, vars = ["y4"], seed = 3 }}
[[sweep]]
param = "model.mu"
linspace = [0.1, 0.3, 4]
[[sweep]]
param = "coupling.a"
values = [0.0, 0.2, 0.5]
[output]
features = ["mean", "std", "psd", "peak_freq", "kuramoto_r", "final"]
"""


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    if not CLI:
        pytest.skip("NMSWEEP_CLI (the nmsweep executable) is not set")
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=check)


def datasets(path: Path) -> dict[str, np.ndarray]:
    """Every dataset of a result file (provenance attributes aside)."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def assert_same_files(a: Path, b: Path) -> None:
    da, db = datasets(a), datasets(b)
    assert sorted(da) == sorted(db)
    for name in da:
        assert da[name].dtype == db[name].dtype, name
        assert np.array_equal(da[name], db[name], equal_nan=da[name].dtype.kind == "f"), name


@pytest.fixture()
def spec_file(tmp_path: Path) -> Path:
    p = tmp_path / "sweep.toml"
    p.write_text(SPEC.format(conn=DATA / "conn8"))
    return p


def test_models_carry_tvb_defaults() -> None:
    # TVB's JansenRit defaults (Jansen & Rit 1995): A = 3.25 mV, B = 22 mV, a = 0.1 /ms, mu = 0.22 /ms.
    jr = nmsweep.model("jansen_rit")
    assert jr.parameter("A").default == 3.25 and jr.parameter("A").unit == "mV"
    assert jr.parameter("B").default == 22.0
    assert jr.parameter("a").default == 0.1
    assert jr.parameter("mu").default == 0.22
    assert [s.name for s in jr.states] == ["y0", "y1", "y2", "y3", "y4", "y5"]
    names = {m.name for m in nmsweep.models()}
    listed = cli("models").stdout
    assert names and all(n in listed for n in names)
    with pytest.raises(nmsweep.SpecError, match="did you mean|valid"):
        nmsweep.model("jansen")


def test_run_is_the_cli_bit_for_bit(spec_file: Path, tmp_path: Path) -> None:
    cli("run", str(spec_file), "-o", str(tmp_path / "cli.h5"), "-q")
    seen = []
    tree = nmsweep.run(nmsweep.Spec.from_file(spec_file), tmp_path / "py.h5", progress=lambda d, n: seen.append((d, n)))
    assert_same_files(tmp_path / "cli.h5", tmp_path / "py.h5")
    assert seen and seen[-1] == (12, 12)
    # The tree holds the file's values with the axes as coordinates.
    ref = datasets(tmp_path / "cli.h5")
    mean = tree["features"]["mean"]
    assert mean.dims[:2] == ("model.mu", "coupling.a")
    assert np.array_equal(mean.values, ref["features/mean"])
    assert np.allclose(tree["features"]["model.mu"].values, np.linspace(0.1, 0.3, 4))


def test_run_from_dict_equals_file(spec_file: Path, tmp_path: Path) -> None:
    import tomllib

    d = tomllib.loads(spec_file.read_text())
    nmsweep.run(d, tmp_path / "dict.h5", progress=False)
    nmsweep.run(spec_file, tmp_path / "file.h5", progress=False)
    assert_same_files(tmp_path / "dict.h5", tmp_path / "file.h5")


def test_batch_call_equals_a_spec_run(spec_file: Path, tmp_path: Path) -> None:
    cli("run", str(spec_file), "-o", str(tmp_path / "cli.h5"), "-q")
    ref = datasets(tmp_path / "cli.h5")
    sim = nmsweep.Simulator(spec_file, ["model.mu", "coupling.a"], batch_size=5)
    theta = np.array(list(itertools.product(np.linspace(0.1, 0.3, 4), [0.0, 0.2, 0.5])))
    out = sim(theta)
    assert "status/diverged_step" in out
    for name, a in out.items():
        expected = ref[name].reshape(a.shape)
        assert a.dtype == expected.dtype, name
        assert np.array_equal(a, expected, equal_nan=True), name
    # A second call with another order gives each row its own point's noise
    # stream: row i is instance i, so the values follow the row, not the set.
    again = sim(theta[::-1].copy())
    assert not np.array_equal(again["features/mean"][::-1], out["features/mean"])
    ds = sim.dataset(theta[:3])
    assert ds["features_mean"].dims == ("point", "node")
    assert np.array_equal(ds["model.mu"].values, theta[:3, 0])


def test_simulate_matches_cli(spec_file: Path, tmp_path: Path) -> None:
    cli("simulate", str(spec_file), "--point", "5", "-o", str(tmp_path / "cli.h5"), "-q")
    da = nmsweep.simulate(spec_file, point=5)
    with h5py.File(tmp_path / "cli.h5", "r") as f:
        state = f["timeseries/state"][()]
        time_ms = f["timeseries/time"][()]
    assert da.dims == ("time", "variable", "node")
    assert np.array_equal(da.values, state)
    assert np.array_equal(da["time"].values, time_ms)
    assert list(da["variable"].values) == ["y0", "y1", "y2", "y3", "y4", "y5"]


def test_spec_errors_are_the_cli_messages(tmp_path: Path) -> None:
    for bad in sorted((DATA / "specs").glob("bad_*.toml")):
        r = cli("check", str(bad), check=False)
        assert r.returncode == 2, bad
        message = r.stderr[r.stderr.index("nmsweep: error: ") :].removeprefix("nmsweep: error: ").rstrip("\n")
        with pytest.raises(nmsweep.SpecError) as e:
            nmsweep.check(bad)
        assert str(e.value) == message, bad


def test_dict_spec_with_a_wrong_type_names_the_key(spec_file: Path) -> None:
    import tomllib

    d = tomllib.loads(spec_file.read_text())
    d["integrator"]["dt"] = "fast"
    with pytest.raises(nmsweep.SpecError) as e:
        nmsweep.check(d)
    assert e.value.key == "dt" and e.value.section == "integrator" and e.value.line is not None


def test_bad_theta_is_named(spec_file: Path) -> None:
    sim = nmsweep.Simulator(spec_file, ["model.mu", "coupling.a"])
    with pytest.raises(ValueError, match=r"shape \(n, 2\).*got shape \(4, 3\)"):
        sim(np.zeros((4, 3)))
    with pytest.raises(TypeError, match="dtype <U"):
        sim(np.array([["a", "b"]]))
    with pytest.raises(nmsweep.SpecError, match=r"theta\[1, 0\] \(model.mu\): not a finite number"):
        sim(np.array([[0.2, 0.1], [np.nan, 0.1]]))
    with pytest.raises(nmsweep.SpecError, match="unknown|did you mean"):
        nmsweep.Simulator(spec_file, ["model.muu"])


def test_connectome_from_numpy_and_zip_equal_the_folder(spec_file: Path, tmp_path: Path) -> None:
    w = np.loadtxt(DATA / "conn8" / "weights.txt")
    lengths = np.loadtxt(DATA / "conn8" / "tract_lengths.txt")
    labels = [line.split()[0] for line in (DATA / "conn8" / "centres.txt").read_text().splitlines() if line.strip()]
    nmsweep.run(spec_file, tmp_path / "folder.h5", progress=False)
    base = nmsweep.Spec.from_file(spec_file)
    from_numpy = base.replace(network={"connectome": nmsweep.Connectome(w, lengths, labels=labels)})
    nmsweep.run(from_numpy, tmp_path / "numpy.h5", progress=False)
    a, b = datasets(tmp_path / "folder.h5"), datasets(tmp_path / "numpy.h5")
    for name in ("features/mean", "spectra/psd", "features/final_state"):
        assert np.array_equal(a[name], b[name], equal_nan=True), name
    zpath = tmp_path / "conn8.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in ("weights.txt", "tract_lengths.txt", "centres.txt"):
            z.write(DATA / "conn8" / f, f)
    nmsweep.run(base.replace(network={"connectome": str(zpath)}), tmp_path / "zip.h5", progress=False)
    c = datasets(tmp_path / "zip.h5")
    assert np.array_equal(a["features/mean"], c["features/mean"])


def test_engine_runs_without_the_gil(spec_file: Path) -> None:
    sim = nmsweep.Simulator(nmsweep.Spec.from_file(spec_file).replace(integrator={"duration": 3000}), ["model.mu"])
    ticks = 0
    done = threading.Event()

    def run() -> None:
        sim(np.full((64, 1), 0.2))
        done.set()

    t = threading.Thread(target=run)
    t.start()
    while not done.is_set():
        ticks += 1  # the interpreter runs while the engine computes
        time.sleep(0.001)
    t.join()
    assert ticks > 20


CHILD = textwrap.dedent(
    """
    import sys, nmsweep
    spec, out = sys.argv[1], sys.argv[2]
    def progress(done, total):
        print("progress", done, total, flush=True)
    try:
        nmsweep.run(spec, out, progress=progress, batch_size=16, checkpoint_minutes=0)
    except nmsweep.Interrupted as e:
        print("interrupted:", e, flush=True)
        sys.exit(0)
    print("finished", flush=True)
    sys.exit(1)
    """
)


def test_ctrl_c_stops_and_resume_completes(tmp_path: Path) -> None:
    spec = tmp_path / "long.toml"
    spec.write_text(
        SPEC.format(conn=DATA / "conn8")
        .replace("duration = 400", "duration = 4000")
        .replace("linspace = [0.1, 0.3, 4]", "linspace = [0.1, 0.3, 40]")
    )
    out = tmp_path / "long.h5"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(spec), str(out)], stdout=subprocess.PIPE, text=True, env=env
    )
    line = child.stdout.readline()
    while line.startswith("progress 0 "):  # (wait for a committed batch)
        line = child.stdout.readline()
    assert line.startswith("progress"), line
    child.send_signal(signal.SIGINT)
    rest = child.stdout.read()
    assert child.wait(timeout=120) == 0, rest
    assert "interrupted:" in rest and "--resume" in rest, rest
    with h5py.File(out, "r") as f:
        done = f["status/done"][()]
        assert f.attrs["complete"] == 0 and 0 < done.sum() < done.size
    nmsweep.run(spec, out, resume=True, progress=False)
    nmsweep.run(spec, tmp_path / "whole.h5", progress=False, threads=1)
    a, b = datasets(out), datasets(tmp_path / "whole.h5")
    for name in ("features/mean", "spectra/psd", "status/done"):
        assert np.array_equal(a[name], b[name], equal_nan=True), name


def test_sensors_need_the_connectome_centres() -> None:
    w = np.ones((2, 2)) - np.eye(2)
    with pytest.raises(ValueError, match="centres"):
        nmsweep.Spec(
            model={"name": "jansen_rit"},
            network={"connectome": nmsweep.Connectome(w, 10 * w)},
            output={"sensors": [{"name": "eeg", "gain": "inverse_square"}]},
        )
    with pytest.raises(ValueError, match="tract lengths"):

        class NoLengths:  # a TVB Connectivity without tract lengths
            weights, tract_lengths, region_labels, centres = w, None, np.array(["a", "b"]), None

        nmsweep.Spec(model={"name": "jansen_rit"}, network={"connectome": NoLengths()})


def test_calls_from_several_threads_take_turns(spec_file: Path) -> None:
    sim = nmsweep.Simulator(spec_file, ["model.mu"])
    thetas = [np.full((8, 1), 0.1 + 0.02 * k) for k in range(4)]
    alone = [sim(t)["features/mean"] for t in thetas]
    together: dict[int, np.ndarray] = {}
    threads = [
        threading.Thread(target=lambda k=k: together.__setitem__(k, sim(thetas[k])["features/mean"]))
        for k in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        assert np.array_equal(together[k], alone[k])


BATCH_CHILD = textwrap.dedent(
    """
    import sys, numpy as np, nmsweep
    sim = nmsweep.Simulator(sys.argv[1], ["model.mu"], batch_size=16, threads=1)
    def progress(done, total):
        print("progress", done, total, flush=True)
    try:
        sim(np.full((400, 1), 0.2), progress=progress)
    except nmsweep.Interrupted as e:
        print("interrupted:", e, flush=True)
        sys.exit(0)
    print("finished", flush=True)
    sys.exit(1)
    """
)


def test_ctrl_c_stops_a_batch_call(tmp_path: Path) -> None:
    spec = tmp_path / "long.toml"
    spec.write_text(SPEC.format(conn=DATA / "conn8").replace("duration = 400", "duration = 4000"))
    child = subprocess.Popen([sys.executable, "-c", BATCH_CHILD, str(spec)], stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    while line.startswith("progress 0 "):
        line = child.stdout.readline()
    assert line.startswith("progress"), line
    child.send_signal(signal.SIGINT)
    rest = child.stdout.read()
    assert child.wait(timeout=120) == 0, rest
    assert "interrupted: stopped:" in rest and "of 400 points" in rest, rest


def test_validate_gives_the_warnings_and_run_shows_them(spec_file: Path) -> None:
    far = nmsweep.Spec.from_file(spec_file).replace(model={"params": {"A": 3250.0}})  # (µV for mV)
    warnings = far.validate()
    assert len(warnings) == 1 and "far outside" in warnings[0] and "params.A" in warnings[0]
    with pytest.warns(nmsweep.SpecWarning, match="far outside"):
        nmsweep.Simulator(far, ["model.mu"])
    with pytest.raises(nmsweep.SpecError) as e:
        nmsweep.Spec(DATA / "specs" / "bad_dt.toml").validate()
    assert (e.value.line, e.value.section, e.value.key) == (8, "integrator", "dt")


def test_a_tvb_connectivity_object_equals_its_folder(spec_file: Path, tmp_path: Path) -> None:
    connectivity = pytest.importorskip("tvb.datatypes.connectivity")  # (when TVB is installed)
    rows = [line.split() for line in (DATA / "conn8" / "centres.txt").read_text().splitlines() if line.strip()]
    conn = connectivity.Connectivity(
        weights=np.loadtxt(DATA / "conn8" / "weights.txt"),
        tract_lengths=np.loadtxt(DATA / "conn8" / "tract_lengths.txt"),
        region_labels=np.array([r[0] for r in rows]),
        centres=np.array([[float(x) for x in r[1:]] for r in rows]),
    )
    conn.configure()
    base = nmsweep.Spec.from_file(spec_file)
    a = nmsweep.run(base.replace(network={"connectome": conn}), progress=False)
    b = nmsweep.run(base, progress=False)
    assert np.array_equal(a["features"]["mean"].values, b["features"]["mean"].values)
    assert list(a["features"]["node"].values) == [r[0] for r in rows]


def test_plot_keeps_the_callers_matplotlib_state(spec_file: Path, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("svg")  # (stands in for a notebook's inline backend)
    import matplotlib.pyplot as plt

    nmsweep.run(spec_file, tmp_path / "r.h5", progress=False)
    for k in range(3):
        png = nmsweep.plot(tmp_path / "r.h5", "map", "peak_freq", output=tmp_path / f"m{k}.png")
        assert Path(png).stat().st_size > 1000
    assert matplotlib.get_backend() == "svg" and plt.get_fignums() == []
    with pytest.raises(ValueError, match="no-such-feature|cannot draw"):
        nmsweep.plot(tmp_path / "r.h5", "map", "no-such-feature", output=tmp_path / "x.png")


def test_stimulus_from_python_and_its_batch_call(spec_file: Path, tmp_path: Path) -> None:
    # A [[stimulus]] given as keyword tables equals the same spec from the
    # command line, and the batch call sets a stimulus property per row as a
    # sweep axis would.
    stim = [{"name": "dbs", "waveform": "pulse_train", "frequency": 130.0, "width": 0.3,
             "biphasic": True, "amplitude": 0.2, "onset": 150.0, "regions": [0, 3]}]
    spec = nmsweep.Spec(spec_file, stimulus=stim,
                        sweep=[{"param": "stimulus.dbs.frequency", "values": [50.0, 130.0]},
                               {"param": "stimulus.dbs.amplitude", "values": [0.0, 0.4]}])
    (tmp_path / "stim.toml").write_text(str(spec))
    cli("run", str(tmp_path / "stim.toml"), "-o", str(tmp_path / "cli.h5"), "-q")
    nmsweep.run(spec, tmp_path / "py.h5", progress=False)
    assert_same_files(tmp_path / "cli.h5", tmp_path / "py.h5")
    ref = datasets(tmp_path / "cli.h5")
    assert not np.array_equal(ref["features/std"][0, 0], ref["features/std"][0, 1])  # the stimulus acts
    sim = nmsweep.Simulator(spec, ["stimulus.dbs.frequency", "stimulus.dbs.amplitude"])
    theta = np.array(list(itertools.product([50.0, 130.0], [0.0, 0.4])))
    out = sim(theta)
    assert np.array_equal(out["features/std"], ref["features/std"].reshape(out["features/std"].shape))
    with pytest.raises(nmsweep.SpecError, match="Nyquist"):
        sim(np.array([[6000.0, 0.1]]))
