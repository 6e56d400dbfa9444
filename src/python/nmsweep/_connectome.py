"""A structural connectome from Python: arrays, a TVB Connectivity, or a path.

The engine reads connectomes from files; `Connectome.write_tvb_folder`
writes TVB's folder format exactly as it parses it (``weights.txt``,
``tract_lengths.txt``, ``centres.txt``).
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

import numpy as np

__all__ = ["Connectome"]

PathLike = Union[str, "os.PathLike[str]"]


def _describe(a: np.ndarray) -> str:
    return f"shape {a.shape}, dtype {a.dtype}"


def _matrix(x: Any, name: str) -> np.ndarray:
    """`x` as a validated float64 (N, N) matrix, finite and >= 0."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an (N, N) array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise ValueError(f"{name}: cannot be read as an (N, N) array ({e})") from None
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise TypeError(f"{name} must hold real numbers, got {_describe(a)}")
    if np.issubdtype(a.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got {_describe(a)}")
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise ValueError(f"{name} must be a square (N, N) matrix with N >= 1, got {_describe(a)}")
    out = np.array(a, dtype=np.float64, order="C")
    bad = ~np.isfinite(out) | (out < 0)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        k = int(bad.sum())
        raise ValueError(f"{name}[{i}, {j}] = {float(out[i, j])!r}: every entry must be finite and "
                         f">= 0 ({k} {'entry is' if k == 1 else 'entries are'} not; "
                         f"{_describe(a)})")
    out.flags.writeable = False
    return out


def _labels(labels: Any, n: int) -> list:
    if labels is None:
        return [f"r{i}" for i in range(n)]
    if isinstance(labels, (str, bytes)):
        raise TypeError(f"labels must be a sequence of {n} strings, "
                        f"got a single {type(labels).__name__}")
    try:
        seq = list(labels)
    except TypeError:
        raise TypeError(f"labels must be a sequence of {n} strings, "
                        f"got {type(labels).__name__}") from None
    out = []
    for i, s in enumerate(seq):
        if isinstance(s, (bytes, np.bytes_)):
            s = s.decode()
        if not isinstance(s, str):
            raise TypeError(f"labels[{i}] must be a string, got {type(s).__name__} {s!r}")
        out.append(str(s))
    if len(out) != n:
        raise ValueError(f"labels has {len(out)} entries, but weights is {n} x {n}")
    seen = {}
    for i, s in enumerate(out):
        if not s or any(c.isspace() for c in s):
            raise ValueError(f"labels[{i}] = {s!r}: a region label must be non-empty and without "
                             "whitespace (centres.txt separates fields by whitespace)")
        if s in seen:
            raise ValueError(f"labels[{i}] = {s!r} repeats labels[{seen[s]}]: "
                             "labels must be unique")
        seen[s] = i
    return out


def _centres(centres: Any, n: int) -> Optional[np.ndarray]:
    if centres is None:
        return None
    if isinstance(centres, (str, bytes)):
        raise TypeError(f"centres must be an (N, 3) array [mm], got {type(centres).__name__}")
    a = np.asarray(centres)
    if a.size == 0:
        return None
    if a.dtype == object or not np.issubdtype(a.dtype, np.number) \
            or np.issubdtype(a.dtype, np.complexfloating):
        raise TypeError(f"centres must hold real numbers [mm], got {_describe(a)}")
    if a.shape != (n, 3):
        raise ValueError(f"centres must have shape ({n}, 3) [mm] (N = {n} from weights), "
                         f"got {_describe(a)}")
    out = np.array(a, dtype=np.float64, order="C")
    if not np.isfinite(out).all():
        i = int(np.argwhere(~np.isfinite(out))[0][0])
        raise ValueError(f"centres[{i}] = {out[i].tolist()}: not finite ({_describe(a)})")
    out.flags.writeable = False
    return out


def _number(x: float) -> str:
    return repr(float(x))  # the shortest text that reads back to the same double


class Connectome:
    """A structural connectome: weights and tract lengths between N regions.

    Parameters
    ----------
    weights : array_like, (N, N)
        Connection weights, row = target region, column = source (TVB's
        convention, as the engine reads TVB files); finite, >= 0.
    lengths : array_like, (N, N)
        Tract lengths [mm]; finite, >= 0. Delays are lengths / speed
        (``[network] speed`` in mm/ms).
    labels : sequence of str, optional
        Region labels, unique, without whitespace; default ``r0 .. rN-1``.
    centres : array_like, (N, 3), optional
        Region centres [mm].

    Raises
    ------
    TypeError, ValueError
        Naming the argument, its shape and dtype.
    """

    def __init__(self, weights: Any, lengths: Any, labels: Optional[Sequence[str]] = None,
                 centres: Any = None) -> None:
        self.weights = _matrix(weights, "weights")
        lengths_a = _matrix(lengths, "lengths")
        if lengths_a.shape != self.weights.shape:
            raise ValueError(f"lengths has shape {lengths_a.shape}, but weights has shape "
                             f"{self.weights.shape}: they must be the same (N, N)")
        self.lengths = lengths_a
        n = self.weights.shape[0]
        self.labels = _labels(labels, n)
        self.centres = _centres(centres, n)

    @property
    def n(self) -> int:
        """The number of regions N."""
        return int(self.weights.shape[0])

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        shown = ", ".join(self.labels[:4]) + (", ..." if self.n > 4 else "")
        return (f"Connectome({self.n} regions [{shown}], "
                f"{int(np.count_nonzero(self.weights))} weights > 0, "
                f"lengths up to {float(self.lengths.max()):g} mm"
                f"{', centres' if self.centres is not None else ''})")

    @classmethod
    def from_tvb(cls, obj: Any) -> "Connectome":
        """From a TVB ``Connectivity`` (or anything with its attributes).

        Reads ``weights``, ``tract_lengths`` [mm], ``region_labels`` and
        ``centres`` [mm]; TVB itself is not imported.

        Raises
        ------
        ValueError
            When the connectivity has no tract lengths.
        """
        if not hasattr(obj, "weights"):
            raise TypeError(f"expected a TVB Connectivity (with weights and tract_lengths), "
                            f"got {type(obj).__name__}")
        lengths = getattr(obj, "tract_lengths", None)
        if lengths is None or np.size(lengths) == 0:
            raise ValueError(
                "the connectivity has no tract lengths (tract_lengths is missing or empty); "
                "the engine needs them for the delays: set tract_lengths [mm], or call the "
                "connectivity's compute_tract_lengths() (distances between its centres)")
        labels = getattr(obj, "region_labels", None)
        if labels is not None and np.size(labels) == 0:
            labels = None
        return cls(obj.weights, lengths, labels=labels, centres=getattr(obj, "centres", None))

    @classmethod
    def from_any(cls, x: Any) -> Union["Connectome", str]:
        """A `Connectome`, or a path string, from what a user may pass.

        Parameters
        ----------
        x : Connectome, (weights, lengths) tuple, TVB Connectivity, str or PathLike
            A path (TVB zip or folder, ``"WEIGHTS,LENGTHS"``) comes back as an
            absolute path string; ``"synthetic:N[:SEED]"`` unchanged.

        Returns
        -------
        Connectome or str
        """
        if isinstance(x, Connectome):
            return x
        if isinstance(x, os.PathLike):
            x = os.fspath(x)
            if isinstance(x, bytes):
                x = os.fsdecode(x)
            return os.path.abspath(os.path.expanduser(x))
        if isinstance(x, str):
            if x.startswith("synthetic:"):
                return x
            if "," in x:  # "WEIGHTS,LENGTHS": the engine splits at the first comma
                return ",".join(os.path.abspath(os.path.expanduser(p)) for p in x.split(",", 1))
            return os.path.abspath(os.path.expanduser(x))
        if isinstance(x, tuple):
            if len(x) != 2:
                raise ValueError("a connectome tuple must be (weights, lengths), "
                                 f"got {len(x)} items")
            return cls(x[0], x[1])
        if hasattr(x, "weights") and hasattr(x, "tract_lengths"):
            return cls.from_tvb(x)
        if isinstance(x, (np.ndarray, list)):
            raise TypeError(f"a {type(x).__name__} alone is not a connectome: pass "
                            "(weights, lengths) as a tuple, or Connectome(weights, lengths)")
        raise TypeError(f"cannot make a connectome from {type(x).__name__}: expected a Connectome, "
                        "a (weights, lengths) tuple, a TVB Connectivity, or a path")

    def write_tvb_folder(self, directory: PathLike) -> str:
        """Write TVB's folder format, as the engine reads it.

        ``weights.txt`` and ``tract_lengths.txt`` [mm]: one matrix row per line
        (row = target, column = source), numbers separated by a space, exact to
        the last bit; ``centres.txt``: ``label x y z`` [mm] per region (zeros
        when the centres are unknown: the file carries the labels).

        Returns
        -------
        str
            The folder's absolute path (created if needed).
        """
        d = os.path.abspath(os.fspath(directory))
        os.makedirs(d, exist_ok=True)

        def write_matrix(name: str, m: np.ndarray) -> None:
            with open(os.path.join(d, name), "w", encoding="utf-8", newline="\n") as f:
                for row in m.tolist():
                    f.write(" ".join(map(_number, row)) + "\n")

        write_matrix("weights.txt", self.weights)
        write_matrix("tract_lengths.txt", self.lengths)
        centres = self.centres if self.centres is not None else np.zeros((self.n, 3))
        with open(os.path.join(d, "centres.txt"), "w", encoding="utf-8", newline="\n") as f:
            for label, xyz in zip(self.labels, centres.tolist()):
                f.write(label + " " + " ".join(map(_number, xyz)) + "\n")
        return d
