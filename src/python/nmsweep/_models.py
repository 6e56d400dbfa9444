"""The engine's neural mass models, described (no equations here).

`model_from_dict` turns what the compiled extension reports for a model into
frozen dataclasses; units are TVB's (ms, mV, ...), as ``nmsweep models``
prints them.
"""

from __future__ import annotations

import difflib
import html
import math
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

__all__ = ["Parameter", "StateVariable", "Preset", "Model", "model_from_dict"]


@dataclass(frozen=True)
class Parameter:
    """A model parameter.

    Attributes
    ----------
    name : str
        As written in a spec: ``model.<name>``.
    default : float
        The engine's default value.
    unit : str
        Its unit (TVB's: ms, mV, 1/ms, ...; "" when dimensionless).
    description : str
        One line.
    lo, hi : float
        The domain the engine accepts (may be -inf / inf).
    """

    name: str
    default: float
    unit: str
    description: str
    lo: float = -math.inf
    hi: float = math.inf


@dataclass(frozen=True)
class StateVariable:
    """A state variable: its default initial value and TVB's range [lo, hi]."""

    name: str
    initial: float
    lo: float = -math.inf
    hi: float = math.inf


@dataclass(frozen=True)
class Preset:
    """A named parameter set (``[model] preset = "..."``)."""

    name: str
    description: str
    values: Dict[str, float] = field(default_factory=dict, hash=False)


def _close_matches(name: str, names: Tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, names, n=3)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "known: " + ", ".join(names)


@dataclass(frozen=True)
class Model:
    """A neural mass model of the engine.

    Attributes
    ----------
    name : str
        The engine's name (``[model] name``).
    tvb_name : str
        The TVB class it follows.
    reference : str
        Where the equations come from.
    observable : str
        The default observable (a linear combination of state variables).
    parameters : tuple of Parameter
    states : tuple of StateVariable
    coupling_variables : tuple of str
        The state variables the network coupling reads.
    presets : tuple of Preset
    phase_variable : str or None
        The phase of a phase model (used by the synchrony features).
    """

    name: str
    tvb_name: str
    reference: str
    observable: str
    parameters: Tuple[Parameter, ...]
    states: Tuple[StateVariable, ...]
    coupling_variables: Tuple[str, ...]
    presets: Tuple[Preset, ...] = ()
    phase_variable: Optional[str] = None

    def parameter(self, name: str) -> Parameter:
        """The parameter called `name` (KeyError naming the close matches)."""
        for p in self.parameters:
            if p.name == name:
                return p
        names = tuple(p.name for p in self.parameters)
        raise KeyError(f"model {self.name} has no parameter {name!r}; "
                       + _close_matches(name, names))

    def state(self, name: str) -> StateVariable:
        """The state variable called `name` (KeyError naming the close matches)."""
        for s in self.states:
            if s.name == name:
                return s
        names = tuple(s.name for s in self.states)
        raise KeyError(f"model {self.name} has no state variable {name!r}; "
                       + _close_matches(name, names))

    def preset(self, name: str) -> Preset:
        """The preset called `name` (KeyError naming the close matches)."""
        for p in self.presets:
            if p.name == name:
                return p
        names = tuple(p.name for p in self.presets)
        raise KeyError(f"model {self.name} has no preset {name!r}; "
                       + _close_matches(name, names))

    @property
    def defaults(self) -> Dict[str, float]:
        """Parameter name -> default value."""
        return {p.name: p.default for p in self.parameters}

    def __repr__(self) -> str:
        lines = [f"Model {self.name!r} (TVB: {self.tvb_name})",
                 f"  state: {', '.join(s.name for s in self.states)}",
                 f"  coupling variables: {', '.join(self.coupling_variables)}",
                 f"  observable: {self.observable}"]
        if self.phase_variable:
            lines.append(f"  phase variable: {self.phase_variable}")
        lines.append("  parameters:")
        for p in self.parameters:
            lines.append(f"    {p.name:<12} {p.default:>10g} {p.unit:<8} {p.description}")
        if self.presets:
            lines.append("  presets: " + ", ".join(p.name for p in self.presets))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><td><code>{e(p.name)}</code></td><td>{p.default:g}</td><td>{e(p.unit)}</td>"
            f"<td>[{p.lo:g}, {p.hi:g}]</td><td>{e(p.description)}</td></tr>"
            for p in self.parameters)
        states = ", ".join(f"<code>{e(s.name)}</code>" for s in self.states)
        return (f"<b>{e(self.name)}</b> (TVB: {e(self.tvb_name)})<br>"
                f"state: {states}; observable: <code>{e(self.observable)}</code><br>"
                "<table><tr><th>parameter</th><th>default</th><th>unit</th><th>domain</th>"
                f"<th>description</th></tr>{rows}</table>")


def _get(d: Mapping[str, Any], key: str, where: str) -> Any:
    try:
        return d[key]
    except KeyError:
        raise KeyError(f"{where}: missing key {key!r}") from None


def _float(x: Any, where: str) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: expected a number, got {type(x).__name__} {x!r}") from None


def model_from_dict(d: Mapping[str, Any]) -> Model:
    """A `Model` from the dictionary the compiled extension returns.

    Parameters
    ----------
    d : mapping
        ``{"name", "tvb_name", "reference", "observable", "parameters": [{"name",
        "default", "unit", "description", "lo", "hi"}], "states": [{"name",
        "initial", "lo", "hi"}], "coupling_variables": [str], "presets":
        [{"name", "description", "values": {str: float}}], "phase_variable":
        str or None}``; lo and hi may be -inf / inf.

    Returns
    -------
    Model
    """
    name = str(_get(d, "name", "model"))
    w = f"model {name}"
    params = tuple(
        Parameter(name=str(_get(p, "name", f"{w}: parameter")),
                  default=_float(_get(p, "default", f"{w}: parameter"), f"{w}: default"),
                  unit=str(p.get("unit", "")),
                  description=str(p.get("description", "")),
                  lo=_float(p.get("lo", -math.inf), f"{w}: lo"),
                  hi=_float(p.get("hi", math.inf), f"{w}: hi"))
        for p in _get(d, "parameters", w))
    states = tuple(
        StateVariable(name=str(_get(s, "name", f"{w}: state")),
                      initial=_float(_get(s, "initial", f"{w}: state"), f"{w}: initial"),
                      lo=_float(s.get("lo", -math.inf), f"{w}: lo"),
                      hi=_float(s.get("hi", math.inf), f"{w}: hi"))
        for s in _get(d, "states", w))
    presets = tuple(
        Preset(name=str(_get(p, "name", f"{w}: preset")),
               description=str(p.get("description", "")),
               values={str(k): _float(v, f"{w}: preset value {k}")
                       for k, v in dict(p.get("values", {})).items()})
        for p in d.get("presets", ()))
    phase = d.get("phase_variable")
    return Model(name=name,
                 tvb_name=str(d.get("tvb_name", "")),
                 reference=str(d.get("reference", "")),
                 observable=str(d.get("observable", "")),
                 parameters=params,
                 states=states,
                 coupling_variables=tuple(str(c) for c in d.get("coupling_variables", ())),
                 presets=presets,
                 phase_variable=None if phase in (None, "") else str(phase))
