"""A sweep specification from Python: a TOML file, a dict, or keyword sections.

The engine validates a spec (and reports errors with file, line and key); this
layer only turns Python values into TOML text and keeps the path the engine
uses for its messages and to resolve relative paths (the path's folder).
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
import tomli_w

from ._connectome import Connectome

__all__ = ["Spec"]

PathLike = Union[str, "os.PathLike[str]"]

DICT_NAME = "<dict>"  # the file name of a spec made from a dict, in messages
TOML_NAME = "<toml>"  # ... and of one made from TOML text


def _dotted(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _toml_value(x: Any, where: str) -> Any:
    """`x` with numpy values made Python's; TypeError (naming `where`) for
    what TOML cannot hold."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x)
    if isinstance(x, str):
        return str(x)
    if isinstance(x, (datetime.date, datetime.time)):  # TOML dates and times
        return x
    if isinstance(x, os.PathLike):
        p = os.fspath(x)
        return os.fsdecode(p) if isinstance(p, bytes) else p
    if isinstance(x, Mapping):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str):
                raise TypeError(f"{where or 'the spec'}: TOML keys are strings, got "
                                f"{type(k).__name__} {k!r}")
            out[k] = _toml_value(v, _dotted(where, k))
        return out
    if isinstance(x, np.ndarray):
        if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_
                                     or x.dtype.kind == "U"):
            raise TypeError(f"{where}: a numpy array of dtype {x.dtype} has no TOML form "
                            f"(shape {x.shape})")
        if np.issubdtype(x.dtype, np.complexfloating):
            raise TypeError(f"{where}: complex numbers have no TOML form (array of dtype "
                            f"{x.dtype}, shape {x.shape})")
        return _toml_value(x.tolist(), where)
    if isinstance(x, (list, tuple)):
        return [_toml_value(v, f"{where}[{i}]") for i, v in enumerate(x)]
    if x is None:
        raise TypeError(f"{where}: None has no TOML form (leave the key out for the default)")
    raise TypeError(f"{where}: a {type(x).__module__}.{type(x).__qualname__} has no TOML form "
                    "(expected numbers, strings, booleans, lists or dicts)")


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_INLINE_MAX = 100  # longest inline table written on its table's line


def _key(k: str) -> str:
    return k if _BARE_KEY.fullmatch(k) else _scalar(k)


def _scalar(x: Any) -> str:
    """A TOML literal for a string, number, boolean or date (tomli_w's escaping)."""
    return tomli_w.dumps({"x": x})[4:-1]


def _literal(x: Any) -> str:
    """`x` as an inline TOML value: arrays on one line, tables inline."""
    if isinstance(x, list):
        return "[" + ", ".join(_literal(v) for v in x) + "]"
    if isinstance(x, dict):
        if not x:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_literal(v)}" for k, v in x.items()) + " }"
    return _scalar(x)


def _is_aot(x: Any) -> bool:
    return isinstance(x, list) and bool(x) and all(isinstance(v, dict) for v in x)


def _table_lines(name: str, table: Dict[str, Any], header: str) -> List[str]:
    """``[name]`` (or ``[[name]]``), its keys, then its sub-tables."""
    lines = ["", header]
    subs: List[Tuple[str, Any]] = []
    for k, v in table.items():
        if _is_aot(v) or (isinstance(v, dict) and len(_literal(v)) > _INLINE_MAX):
            subs.append((k, v))
        else:
            lines.append(f"{_key(k)} = {_literal(v)}")
    for k, v in subs:
        sub = f"{name}.{_key(k)}"
        if isinstance(v, dict):
            lines += _table_lines(sub, v, f"[{sub}]")
        else:
            for t in v:
                lines += _table_lines(sub, t, f"[[{sub}]]")
    return lines


def _to_toml(d: Dict[str, Any]) -> str:
    """TOML text for `d` (values already TOML's): top-level keys, then one
    ``[section]`` per table and one ``[[name]]`` per table of a list of tables
    (``[[sweep]]``); arrays on one line, short sub-tables inline."""
    lines: List[str] = []
    for k, v in d.items():
        if not isinstance(v, dict) and not _is_aot(v):
            lines.append(f"{_key(k)} = {_literal(v)}")
    for k, v in d.items():
        if isinstance(v, dict):
            lines += _table_lines(_key(k), v, f"[{_key(k)}]")
        elif _is_aot(v):
            for t in v:
                lines += _table_lines(_key(k), t, f"[[{_key(k)}]]")
    if lines and lines[0] == "":
        lines = lines[1:]
    return "\n".join(lines) + "\n" if lines else ""


def _merge(base: Dict[str, Any], changes: Mapping[str, Any]) -> Dict[str, Any]:
    """`base` with `changes` merged in, tables recursively; None removes a key."""
    out = dict(base)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, Mapping):
            old = out.get(k)
            out[k] = _merge(dict(old) if isinstance(old, Mapping) else {}, v)
        else:
            out[k] = v
    return out


class Spec:
    """A sweep specification (TOML text) and the path the engine knows it by.

    Parameters
    ----------
    source : str, PathLike, dict or Spec, optional
        A spec file, a dict of sections, or a Spec to start from.
    **sections
        Sections to set, merged into `source` table by table: ``model={...}``,
        ``network={...}``, ``coupling``, ``integrator``, ``initial``,
        ``sweep=[{...}, ...]`` (each dict a ``[[sweep]]`` table), ``sampler``,
        ``output``, ``description``. A value None removes a key.

    Notes
    -----
    Units are TVB's: ``[integrator] dt``, ``duration`` and ``transient`` in
    ms, ``[network] speed`` in mm/ms, tract lengths in mm.

    ``network.connectome`` may be a `Connectome`, a ``(weights, lengths)``
    tuple or a TVB Connectivity: it is written to a temporary TVB folder that
    lives as long as the Spec (and the Specs made from it), and its path goes
    into the text. A PathLike becomes an absolute path; a str stays as
    written (relative paths resolve against the spec's folder).

    Wrong values of TOML types (``dt = "fast"``) are left for the engine to
    report, with file, line and key; values TOML cannot hold raise TypeError
    naming the dotted key.

    Examples
    --------
    >>> spec = Spec(model={"name": "jansen_rit"}, network={"connectome": "synthetic:8"},
    ...             integrator={"dt": 0.1, "duration": 1000.0},
    ...             sweep=[{"param": "model.mu", "linspace": [0.1, 0.3, 16]}])
    """

    def __init__(self, source: Union[PathLike, Mapping[str, Any], "Spec", None] = None,
                 **sections: Any) -> None:
        if isinstance(source, Spec):
            base = source
        elif isinstance(source, Mapping):
            base = Spec.from_dict(source)
        elif isinstance(source, (str, os.PathLike)):
            base = Spec.from_file(source)
        elif source is None:
            base = None
        else:
            raise TypeError(f"Spec(source): expected a path, a dict or a Spec, got "
                            f"{type(source).__name__}")
        if sections:
            base = base.replace(**sections) if base is not None \
                else Spec.from_dict(_merge({}, sections))
        elif base is None:
            base = Spec.from_dict({})
        self._text: str = base._text
        self._path: str = base._path
        self._keep: Tuple[tempfile.TemporaryDirectory, ...] = base._keep

    @classmethod
    def _make(cls, text: str, path: str,
              keep: Tuple[tempfile.TemporaryDirectory, ...] = ()) -> "Spec":
        self = cls.__new__(cls)
        self._text, self._path, self._keep = text, path, tuple(keep)
        return self

    def validate(self) -> List[str]:
        """Validate as every ``nmsweep`` command does (the network loaded, labels resolved).

        Returns the spec's warnings (e.g. a parameter far outside its plausible
        range); raises SpecError with the command line's message (file, line,
        key, value) for a bad spec.
        """
        from . import _core  # noqa: PLC0415 (the layer itself imports without the extension)
        from ._errors import SpecError  # noqa: PLC0415

        try:
            return list(_core.validate(self._text, self._path))
        except _core.InputError as e:
            raise SpecError.from_message(str(e)) from None

    # -- constructors -------------------------------------------------------

    @classmethod
    def from_file(cls, path: PathLike) -> "Spec":
        """The spec in the TOML file `path` (read now; the path is kept as given)."""
        p = os.fspath(path)
        p = os.fsdecode(p) if isinstance(p, bytes) else p
        with open(p, encoding="utf-8", newline="") as f:
            return cls._make(f.read(), p)

    @classmethod
    def from_toml(cls, text: str, base_dir: Optional[PathLike] = None) -> "Spec":
        """A spec from TOML text; relative paths in it resolve against
        `base_dir` (default: the current directory)."""
        if not isinstance(text, str):
            raise TypeError(f"Spec.from_toml: expected TOML text (str), got {type(text).__name__}")
        return cls._make(text, cls._path_in(base_dir, TOML_NAME))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], base_dir: Optional[PathLike] = None) -> "Spec":
        """A spec from a dict of sections (see the class); relative paths in
        it resolve against `base_dir` (default: the current directory)."""
        return cls._from_dict(d, base_dir, ())

    @classmethod
    def _from_dict(cls, d: Mapping[str, Any], base_dir: Optional[PathLike],
                   keep: Tuple[tempfile.TemporaryDirectory, ...]) -> "Spec":
        if not isinstance(d, Mapping):
            raise TypeError(f"Spec.from_dict: expected a dict of sections, got {type(d).__name__}")
        d = dict(d)
        new_keep: List[tempfile.TemporaryDirectory] = []
        net = d.get("network")
        if isinstance(net, Mapping) and "connectome" in net:
            c = net["connectome"]
            if not isinstance(c, str) and c is not None:
                try:
                    made = Connectome.from_any(c)
                except (TypeError, ValueError) as e:
                    raise type(e)(f"network.connectome: {e}") from e
                if isinstance(made, Connectome):
                    # Lead fields need the regions' positions: zeros would give a wrong gain silently.
                    output = d.get("output")
                    if made.centres is None and isinstance(output, Mapping) and output.get("sensors"):
                        raise ValueError(
                            "network.connectome: [[output.sensors]] needs the regions' centres (mm): "
                            "give Connectome(..., centres=...) or a TVB zip/folder"
                        )
                    tmp = tempfile.TemporaryDirectory(prefix="nmsweep-connectome-")
                    new_keep.append(tmp)
                    made = made.write_tvb_folder(tmp.name)
                d["network"] = {**net, "connectome": made}
        text = _to_toml(_toml_value(d, ""))
        # Keep the previous connectome folders alive: the text may still name them.
        return cls._make(text, cls._path_in(base_dir, DICT_NAME), tuple(keep) + tuple(new_keep))

    @staticmethod
    def _path_in(base_dir: Optional[PathLike], name: str) -> str:
        folder = os.getcwd() if base_dir is None else os.fsdecode(os.fspath(base_dir))
        return os.path.join(os.path.abspath(folder), name)

    # -- views --------------------------------------------------------------

    @property
    def text(self) -> str:
        """The TOML text the engine reads."""
        return self._text

    @property
    def path(self) -> str:
        """The path the engine names in messages; its folder resolves
        relative paths (a spec made from a dict: ``<folder>/<dict>``)."""
        return self._path

    @property
    def base_dir(self) -> str:
        """The folder relative paths in the spec resolve against."""
        return os.path.dirname(os.path.abspath(self._path))

    def to_dict(self) -> Dict[str, Any]:
        """The spec as a dict of sections (parsed with tomllib)."""
        return tomllib.loads(self._text)

    def replace(self, **sections: Any) -> "Spec":
        """A copy with `sections` merged in, table by table.

        Tables merge recursively; other values (numbers, lists such as
        ``sweep=[...]``) replace the old ones; None removes a key. The copy's
        path is ``<this spec's folder>/<dict>``.
        """
        merged = _merge(self.to_dict(), sections)
        return Spec._from_dict(merged, self.base_dir, self._keep)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Spec):
            return NotImplemented
        return self._text == other._text and self._path == other._path

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        try:
            d = self.to_dict()
            model = d.get("model", {}).get("name", "?") if isinstance(d.get("model"), dict) else "?"
            sweeps = d.get("sweep", [])
            axes = [s.get("param", "?") for s in sweeps if isinstance(s, dict)] \
                if isinstance(sweeps, list) else []
            what = f"model={model!r}, axes={axes!r}"
        except tomllib.TOMLDecodeError as e:
            what = f"invalid TOML: {e}"
        return f"Spec({what}, path={self._path!r})"

    def __copy__(self) -> "Spec":
        return Spec._make(self._text, self._path, self._keep)

    def __deepcopy__(self, memo: dict) -> "Spec":
        return self.__copy__()  # immutable; the connectome folders are shared
