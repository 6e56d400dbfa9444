"""nmsweep: parameter sweeps of neural mass network models, from Python.

The engine is the one behind the ``nmsweep`` command line (C++, every CPU core
or CUDA GPUs); this package builds specs, runs them with the GIL released and
returns results as xarray objects.

>>> import nmsweep
>>> nmsweep.model("jansen_rit").parameter("mu").default
0.22
>>> tree = nmsweep.run("examples/jansen_rit_sweep.toml")          # doctest: +SKIP
>>> sim = nmsweep.Simulator(spec, ["model.mu", "coupling.a"])      # doctest: +SKIP
>>> sim(theta)["features/network_peak_freq"]                       # doctest: +SKIP
"""

from ._api import Interrupted, Simulator, SpecWarning, check, model, models, plot, run, simulate
from ._connectome import Connectome
from ._errors import ResultIncomplete, SpecError
from ._models import Model, Parameter, Preset, StateVariable
from ._results import open_features, open_result, open_simulation
from ._spec import Spec
from ._core import version as _version

__version__ = _version()

__all__ = [
    "Connectome",
    "Interrupted",
    "Model",
    "Parameter",
    "Preset",
    "ResultIncomplete",
    "Simulator",
    "Spec",
    "SpecError",
    "SpecWarning",
    "StateVariable",
    "check",
    "model",
    "models",
    "open_features",
    "open_result",
    "open_simulation",
    "plot",
    "run",
    "simulate",
]
