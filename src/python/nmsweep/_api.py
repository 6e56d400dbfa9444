"""The engine's entry points: models, check, run, simulate and the batch call.

Every call goes through ``nmsweep._core`` (the C++ engine, GIL released while it
runs); engine input errors become :class:`SpecError` with the command line's
message, and Ctrl-C stops a run at its next step boundary
(:class:`Interrupted`, a ``KeyboardInterrupt``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import warnings
from typing import Any, Callable, Iterator, Sequence, Union

import numpy as np

from . import _core
from ._errors import SpecError
from ._models import Model, model_from_dict
from ._results import open_result, open_simulation
from ._spec import Spec

Interrupted = _core.Interrupted
SpecLike = Union[Spec, str, os.PathLike, dict]
Progress = Union[bool, Callable[[int, int], Any], None]


@contextlib.contextmanager
def _spec_errors() -> Iterator[None]:
    """Engine input errors as SpecError (the CLI's message, file/line/key parsed)."""
    try:
        yield
    except _core.InputError as e:
        raise SpecError.from_message(str(e)) from None


class SpecWarning(UserWarning):
    """Something in a spec the user should see that is not an error (the CLI prints it on stderr)."""


def _as_spec(spec: SpecLike, warn: bool = True) -> Spec:
    if isinstance(spec, Spec):
        s = spec
    elif isinstance(spec, dict):
        s = Spec.from_dict(spec)
    elif isinstance(spec, (str, os.PathLike)):
        s = Spec.from_file(spec)
    else:
        raise TypeError(f"spec: expected a Spec, a TOML file path or a dict, got {type(spec).__name__}")
    if warn:  # (shown in notebooks, where the engine's stderr is not)
        for w in s.validate():
            warnings.warn(w, SpecWarning, stacklevel=3)
    return s


class _Bar:
    """A progress bar: tqdm's (a notebook widget in Jupyter) when installed, else lines on stderr."""

    def __init__(self, desc: str) -> None:
        self.desc, self.bar, self.last = desc, None, 0.0
        try:
            from tqdm.auto import tqdm  # noqa: PLC0415 (optional)

            self._tqdm = tqdm
        except ImportError:
            self._tqdm = None

    def __call__(self, done: int, total: int) -> None:
        if self._tqdm is not None:
            if self.bar is None:
                self.bar = self._tqdm(total=total, desc=self.desc, unit="point")
            self.bar.n = done
            self.bar.refresh()
            if done >= total:
                self.bar.close()
            return
        now = time.monotonic()
        if done >= total or now - self.last > 5:
            self.last = now
            print(f"{self.desc}: {done}/{total} points", file=sys.stderr, flush=True)


def _progress(progress: Progress, desc: str) -> Callable[[int, int], Any] | None:
    if progress is True:
        return _Bar(desc)
    if progress is False or progress is None:
        return None
    if callable(progress):
        return progress
    raise TypeError(f"progress: expected True, False or a callable(done, total), got {type(progress).__name__}")


def _precision(precision: str | None) -> str:
    if precision in (None, ""):
        return ""
    if precision not in ("float", "double"):
        raise ValueError(f"precision: expected 'float' or 'double', got {precision!r}")
    return precision


def _output_path(stack: contextlib.ExitStack, output: str | os.PathLike | None, name: str) -> str:
    """The file to write: `output`, or `name` in a temporary folder that the stack removes."""
    if output is not None:
        return os.fspath(output)
    return os.path.join(stack.enter_context(tempfile.TemporaryDirectory(prefix="nmsweep-")), name)


def models() -> list[Model]:
    """Every built-in model with its parameters (defaults, units), variables and presets."""
    return [model_from_dict(d) for d in _core.models()]


def model(name: str) -> Model:
    """One model by name (``SpecError`` with a did-you-mean for an unknown name)."""
    with _spec_errors():
        return model_from_dict(_core.model(name))


def check(spec: SpecLike) -> str:
    """Validate a spec as ``nmsweep check`` does; returns its summary (grid, memory, time).

    Raises SpecError (file, line, key) for a bad spec.
    """
    s = _as_spec(spec, warn=False)
    with _spec_errors():
        return _core.check(s.text, s.path)


def run(
    spec: SpecLike,
    output: str | os.PathLike | None = None,
    *,
    backend: str = "auto",
    precision: str | None = None,
    threads: int = 0,
    batch_size: int = 0,
    overwrite: bool = False,
    resume: bool = False,
    checkpoint_minutes: float = 10.0,
    progress: Progress = True,
):
    """Run a sweep; returns its results as an ``xarray.DataTree``.

    Parameters
    ----------
    spec : Spec, path or dict
        The sweep (the same TOML as ``nmsweep run``).
    output : path, optional
        Keep the HDF5 result file here (as ``nmsweep run -o``); without it the
        file is temporary and only the returned tree remains.
    backend : {"auto", "cpu", "cuda"}
    precision : {"float", "double"}, optional
        Overrides the spec's ``[integrator] precision``.
    threads : int
        CPU threads (0: all cores).
    batch_size : int
        Instances per batch (0: automatic).
    overwrite, resume : bool
        As the command line's ``--overwrite`` and ``--resume``.
    checkpoint_minutes : float
        The longest a batch may run (the work an interruption can lose).
    progress : bool or callable(done, total)
        A progress bar (a widget in Jupyter when tqdm is installed), or a callback.

    Returns
    -------
    xarray.DataTree
        The file's groups (features, spectra, status, ...) with the grid axes as coordinates.

    Raises
    ------
    SpecError
        A bad spec (the command line's message: file, line, key and value).
    Interrupted
        Ctrl-C (KeyboardInterrupt): the points done so far are in ``output``,
        and ``resume=True`` continues.
    """
    s = _as_spec(spec)
    with contextlib.ExitStack() as stack:
        out = _output_path(stack, output, "result.h5")
        with _spec_errors():
            complete = _core.run(
                s.text, s.path, out, backend, _precision(precision), int(threads), int(batch_size),
                bool(overwrite), bool(resume), float(checkpoint_minutes), _progress(progress, "nmsweep run"),
            )
        if not complete:
            from ._errors import ResultIncomplete  # noqa: PLC0415

            raise ResultIncomplete(out)
        return open_result(out)


def simulate(
    spec: SpecLike,
    point: int = 0,
    *,
    every: int = 1,
    precision: str | None = None,
    output: str | os.PathLike | None = None,
    overwrite: bool = False,
):
    """One grid point's full time series (every state variable, every node).

    Returns an ``xarray.DataArray`` [time (ms), variable, node], as
    ``nmsweep simulate --point POINT`` writes it; ``every`` keeps every k-th step.
    """
    s = _as_spec(spec)
    if int(point) < 0:
        raise ValueError(f"point: expected a grid point index >= 0, got {point}")
    if int(every) < 1:
        raise ValueError(f"every: expected >= 1, got {every}")
    with contextlib.ExitStack() as stack:
        out = _output_path(stack, output, "simulation.h5")
        with _spec_errors():
            _core.simulate(s.text, s.path, out, int(point), int(every), _precision(precision), bool(overwrite))
        return open_simulation(out)


class Simulator:
    """A spec prepared once and run at many parameter points: the batch call.

    ``Simulator(spec, ["model.mu", "coupling.a"])(theta)`` runs the rows of
    ``theta`` (shape ``(n, 2)``) as instances and returns each per-point
    output of the spec's features as a NumPy array ``[n, ...]``, keyed as in a
    result file (``"features/mean"``, ``"spectra/psd"``, ...), with
    ``"status/diverged_step"`` (-1: did not diverge). Row i is grid point i of
    a spec run with these points as its grid: the values equal that file's,
    noise included. The network, reducers and spec are prepared once; a call
    costs the simulation plus well under a millisecond (bench/python_overhead.py).
    """

    def __init__(
        self,
        spec: SpecLike,
        params: Sequence[str],
        *,
        backend: str = "auto",
        precision: str | None = None,
        threads: int = 0,
        batch_size: int = 0,
    ) -> None:
        self.spec = _as_spec(spec)
        if isinstance(params, str):
            params = [params]
        params = list(params)
        for p in params:
            if not isinstance(p, str):
                raise TypeError(f"params: expected parameter names (str), got {type(p).__name__} {p!r}")
        with _spec_errors():
            self._batch = _core.Batch(
                self.spec.text, self.spec.path, params, backend, _precision(precision), int(threads), int(batch_size)
            )
        self._dims: dict[str, list[str]] = {}

    @property
    def params(self) -> list[str]:
        """The parameter names, one per column of theta."""
        return list(self._batch.params)

    @property
    def node_labels(self) -> list[str]:
        return list(self._batch.node_labels)

    @property
    def backend(self) -> str:
        return self._batch.backend

    def _theta(self, theta: Any) -> np.ndarray:
        k = len(self._batch.params)
        a = np.asarray(theta.detach().cpu().numpy() if hasattr(theta, "detach") else theta)
        if a.dtype.kind not in "fiu":
            raise TypeError(f"theta: expected real numbers (float or int), got dtype {a.dtype}")
        if a.ndim == 1 and k == 1:
            a = a.reshape(-1, 1)
        if a.ndim != 2 or a.shape[1] != k or a.shape[0] == 0:
            raise ValueError(
                f"theta: expected shape (n, {k}) with n >= 1 (one column per parameter {self.params}), "
                f"got shape {a.shape}"
            )
        return np.ascontiguousarray(a, dtype=np.float64)

    def __call__(self, theta: Any, *, progress: Progress = False) -> dict[str, np.ndarray]:
        """Run the rows of theta (``(n, len(params))``, any real dtype; NumPy or a CPU torch tensor)."""
        a = self._theta(theta)
        with _spec_errors():
            out = self._batch.run(a, _progress(progress, "nmsweep batch"))
        result = {}
        for name, dims, array in out:
            self._dims[name] = list(dims)
            result[name] = array
        return result

    def dataset(self, theta: Any, *, progress: Progress = False):
        """The same as an ``xarray.Dataset`` over a ``point`` dim, with the parameters as coordinates."""
        import xarray as xr  # noqa: PLC0415

        a = self._theta(theta)
        out = self(a, progress=progress)
        coords: dict[str, Any] = {p: ("point", a[:, i]) for i, p in enumerate(self.params)}
        variables = {}
        for name, array in out.items():
            dims = ["point"] + self._dims[name]
            if "node" in dims:
                coords.setdefault("node", self.node_labels)
            variables[name.replace("/", "_")] = (dims, array)
        return xr.Dataset(variables, coords=coords)


def plot(
    result: str | os.PathLike,
    what: str,
    feature: str | None = None,
    *,
    output: str | os.PathLike,
    **options: Any,
) -> str:
    """A PNG figure of a result file, as ``nmsweep plot RESULT WHAT [FEATURE] -o OUTPUT``.

    ``options`` are the command's options by name: ``x="model.mu"``,
    ``y="coupling.a"``, ``at=["initial=0"]`` (a list repeats the option),
    ``node="rHC"``, ``log=True``, ``fmax=40``, ``dpi=150`` ... Returns the PNG's path.
    Raises ValueError with the command's message when it cannot draw.
    """
    import io  # noqa: PLC0415

    from . import _plot  # noqa: PLC0415  (the command line's plot script)

    argv = [os.fspath(result), what] + ([feature] if feature else []) + ["-o", os.fspath(output)]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value not in (False, None):
            for v in value if isinstance(value, (list, tuple)) else [value]:
                argv += [flag, str(v)]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            _plot.main(argv)
        except SystemExit as e:
            if e.code:
                lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
                raise ValueError(lines[-1] if lines else f"nmsweep plot failed ({e.code})") from None
    return os.fspath(output)
