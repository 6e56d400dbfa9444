"""pytest set-up for the Python package's tests.

The pure-Python layer (``src/python/nmsweep/_*.py``) is importable here
without the compiled extension: the package folder is registered under the
private name ``_nmsweep_layer``, whose ``__init__`` is never run (the real
``nmsweep/__init__.py`` imports ``nmsweep._core``). Its modules use relative
imports only, so ``import _nmsweep_layer._spec`` loads ``_spec.py`` and
``_connectome.py`` from the source tree. The real ``nmsweep`` name is left
alone for tests of the built package.

The fixture ``nmsweep_cli`` is the command-line program, for tests that
need real result files: $NMSWEEP_CLI, else a build of this repository
(build/*/src/nmsweep), else ``nmsweep`` on PATH; tests using it are skipped
when none runs.
"""

from __future__ import annotations

import glob
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "src" / "python" / "nmsweep"
LAYER = "_nmsweep_layer"


def _register_layer() -> None:
    if LAYER in sys.modules:
        return
    spec = importlib.machinery.ModuleSpec(LAYER, None, is_package=True)
    spec.submodule_search_locations = [str(PACKAGE_DIR)]
    module = importlib.util.module_from_spec(spec)
    sys.modules[LAYER] = module


_register_layer()


def _find_cli() -> str | None:
    candidates = []
    if os.environ.get("NMSWEEP_CLI"):
        candidates.append(os.environ["NMSWEEP_CLI"])
    candidates += sorted(glob.glob(str(ROOT / "build" / "*" / "src" / "nmsweep")))
    if shutil.which("nmsweep"):
        candidates.append(shutil.which("nmsweep"))
    for c in candidates:
        try:
            r = subprocess.run([c, "--version"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return c
    return None


@pytest.fixture(scope="session")
def nmsweep_cli() -> str:
    """Path of a working ``nmsweep`` executable (the test is skipped without one)."""
    cli = _find_cli()
    if cli is None:
        pytest.skip("no nmsweep executable (set NMSWEEP_CLI or build the project)")
    return cli


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return ROOT / "examples"
