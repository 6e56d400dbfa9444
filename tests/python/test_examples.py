"""The Python examples (examples/python) run as scripts and produce what they say.

Each runs in a subprocess with ``sys.executable``, the package on PYTHONPATH
and MPLBACKEND=Agg, as a user would run it. Run by CTest (python_examples)
with NMSWEEP_EXAMPLES = the examples folder; otherwise the repository's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(os.environ.get("NMSWEEP_EXAMPLES") or Path(__file__).resolve().parents[2] / "examples")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_example(name: str, *args: str, cwd: Path) -> str:
    """Runs examples/python/<name> and returns its stdout (stderr in the failure message)."""
    env = dict(os.environ, MPLBACKEND="Agg")  # PYTHONPATH as given: the package this test imports
    script = EXAMPLES / "python" / name
    r = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env, cwd=cwd,
                       timeout=300)
    assert r.returncode == 0, f"{name} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_MAGIC, path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def png_is_drawn(path: Path) -> bool:
    """A figure, not a blank canvas: many distinct colours."""
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    colours = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    return len(colours) > 50


@pytest.fixture(scope="module")
def sweep_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("sweep_and_plot")
    stdout = run_example("sweep_and_plot.py", str(out), cwd=out)
    return out, stdout


def test_sweep_and_plot_writes_its_figures(sweep_output: tuple[Path, str]) -> None:
    out, stdout = sweep_output
    for name in ("peak_freq_map.png", "spectrum.png", "nmsweep_plot_map.png"):
        png = out / name
        assert png.is_file() and png.stat().st_size > 10_000, name
        w, h = png_size(png)
        assert w >= 300 and h >= 200, (name, w, h)
        assert png_is_drawn(png), name
        assert f"figure: {name}" in stdout


def test_sweep_and_plot_prints_the_selection(sweep_output: tuple[Path, str]) -> None:
    out, stdout = sweep_output
    # The alpha limit cycle at mu = 0.22 /ms, coupling 10: a 9-11 Hz peak,
    # oscillations of mV size, most of the power in the alpha band.
    m = re.search(r"at mu = ([\d.]+) /ms, a = ([\d.]+): network peak ([\d.]+) Hz, "
                  r"largest regional std ([\d.]+) mV \(region (r\d+)\)", stdout)
    assert m, stdout
    assert float(m[1]) == pytest.approx(0.22) and float(m[2]) == pytest.approx(10.0)
    assert 8.0 <= float(m[3]) <= 12.0
    assert 0.5 < float(m[4]) < 20.0
    share = re.search(r"alpha share of the power at the point above: ([\d.]+)", stdout)
    assert share and float(share[1]) > 0.5, stdout
    # The result file holds the grid the spec asked for, every point done.
    with h5py.File(out / "jansen_rit_mu_coupling.h5", "r") as f:
        assert f["features/network_peak_freq"].shape == (11, 16)
        assert f["status/done"][()].all()
        assert f.attrs["complete"] == 1


def test_read_result_reads_the_sweep_of_the_first_example(sweep_output: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = sweep_output
    stdout = run_example("read_result.py", str(out / "jansen_rit_mu_coupling.h5"), cwd=tmp_path)
    assert "grid: coupling.a[11] x model.mu[16]" in stdout
    assert "model.mu: 0.04 .. 0.34 1/ms" in stdout
    assert "network_peak_freq (Hz) [coupling.a, model.mu]" in stdout
    assert "points done: 176 of 176, diverged: 0" in stdout
    assert "network_std as a pandas Series: 176 rows, index ['coupling.a', 'model.mu']" in stdout
    assert "network_std as a table: rows coupling.a, columns model.mu, shape (11, 16)" in stdout
    assert f"std as a long DataFrame: {176 * 76} rows, columns ['coupling.a', 'model.mu', 'node', 'std']" in stdout


def test_read_result_runs_the_shortened_example_spec(tmp_path: Path) -> None:
    before = sorted(p.name for p in EXAMPLES.iterdir())
    stdout = run_example("read_result.py", cwd=tmp_path)
    assert "model jansen_rit, coupling sigmoidal_jansen_rit, connectome synthetic:76" in stdout
    # The spec's 2 s per point, shortened by Spec.replace.
    assert "600 ms per point (200 ms transient), dt 0.1 ms" in stdout
    assert "grid: coupling.a[32] x model.mu[32]" in stdout
    assert "points done: 1024 of 1024, diverged: 0" in stdout
    assert "network_std as a table: rows coupling.a, columns model.mu, shape (32, 32)" in stdout
    # From the fixed point (noise-sized std) to the limit cycle (mV).
    s = re.search(r"network_std as a pandas Series: 1024 rows.*?\nmin\s+(\S+).*?\nmax\s+(\S+)", stdout, re.S)
    assert s, stdout
    assert float(s[1]) < 0.05 and float(s[2]) > 1.0
    # The result went to a temporary folder, removed at exit, not beside the spec.
    m = re.search(r"result file: (\S+)", stdout)
    assert m and not Path(m[1]).exists()
    assert sorted(p.name for p in EXAMPLES.iterdir()) == before
