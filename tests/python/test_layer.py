"""Tests of the pure-Python layer of the nmsweep package (no compiled extension).

The modules load from src/python/nmsweep under the name _nmsweep_layer (see
conftest.py). Result files are made with h5py in the engine's layout; where an
nmsweep executable is found, real files from examples/*.toml are read too.
"""

from __future__ import annotations

import gc
import math
import os
import pickle
import subprocess
import tomllib
import types
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

import _nmsweep_layer._connectome as conn_mod
import _nmsweep_layer._errors as err_mod
import _nmsweep_layer._models as models_mod
import _nmsweep_layer._results as res_mod
import _nmsweep_layer._spec as spec_mod

Connectome = conn_mod.Connectome
Spec = spec_mod.Spec
SpecError = err_mod.SpecError
ResultIncomplete = err_mod.ResultIncomplete


def test_layer_does_not_import_the_extension():
    import sys
    assert "_nmsweep_layer._core" not in sys.modules


# ---------------------------------------------------------------- SpecError

# (message, file, line, section, key, detail) — messages the engine writes
MESSAGES = [
    ("spec.toml:12: [integrator] dt: must be > 0 (value -1)",
     "spec.toml", 12, "integrator", "dt", "must be > 0 (value -1)"),
    ("spec.toml:3: [model] name: unknown model 'jansen' (did you mean 'jansen_rit'?)",
     "spec.toml", 3, "model", "name", "unknown model 'jansen' (did you mean 'jansen_rit'?)"),
    ("b3.toml:8: [integrator] dt: expected a number, got a string (value \"fast\")",
     "b3.toml", 8, "integrator", "dt", "expected a number, got a string (value \"fast\")"),
    ("b11.toml:13: [sampler] ranges.coupling.q: coupling sigmoidal_jansen_rit has no parameter "
     "'q' (did you mean 'a'?)", "b11.toml", 13, "sampler", "ranges.coupling.q",
     "coupling sigmoidal_jansen_rit has no parameter 'q' (did you mean 'a'?)"),
    ("b12.toml:11: [initial] file: /tmp/x/nope.csv: cannot open the initial-condition file: no "
     "such file (value \"nope.csv\")", "b12.toml", 11, "initial", "file",
     "/tmp/x/nope.csv: cannot open the initial-condition file: no such file (value \"nope.csv\")"),
    ("b13.toml:11: [output.spectra] nperseg: longer than the 1000 samples (value 100000)",
     "b13.toml", 11, "output.spectra", "nperseg", "longer than the 1000 samples (value 100000)"),
    ("b16.toml:11: [sweep] param: 'model.mu[\"rZZ\"]': the network has no region labelled 'rZZ'",
     "b16.toml", 11, "sweep", "param",
     "'model.mu[\"rZZ\"]': the network has no region labelled 'rZZ'"),
    ("b17.toml:10: [modle]: unknown section (did you mean 'model'?)",
     "b17.toml", 10, "modle", None, "unknown section (did you mean 'model'?)"),
    ("b10.toml: missing section [network] (with connectome = \"synthetic:N\" or a path)",
     "b10.toml", None, None, None,
     "missing section [network] (with connectome = \"synthetic:N\" or a path)"),
    ("m.toml: [coupling] kind: default 'linear': no such thing",
     "m.toml", None, "coupling", "kind", "default 'linear': no such thing"),
    ("b7.toml:10: TOML syntax error: bad format: unknown value appeared\n --> b7.toml\n    |\n"
     " 10 | x = = 3\n    |     ^--- here", "b7.toml", 10, None, None,
     "TOML syntax error: bad format: unknown value appeared\n --> b7.toml\n    |\n"
     " 10 | x = = 3\n    |     ^--- here"),
    ("/data/conn/weights.txt:3:5: not a number: 'x'", "/data/conn/weights.txt", 3, None, None,
     "not a number: 'x'"),
    ("/home/me/my specs/sweep.toml:4: [network] connectome: no such file or folder",
     "/home/me/my specs/sweep.toml", 4, "network", "connectome", "no such file or folder"),
    ("/work/<dict>:7: [integrator] duration: required key is missing",
     "/work/<dict>", 7, "integrator", "duration", "required key is missing"),
    ("unknown sweepable name 'netwrk.speed' (did you mean 'network.speed'?)",
     None, None, None, None,
     "unknown sweepable name 'netwrk.speed' (did you mean 'network.speed'?)"),
    ("connectome 'synthetic:0': expected synthetic:N or synthetic:N:SEED with N >= 1",
     None, None, None, None,
     "connectome 'synthetic:0': expected synthetic:N or synthetic:N:SEED with N >= 1"),
    ("shard 3/2: the grid has only 2 points; use at most that many shards",
     None, None, None, None, "shard 3/2: the grid has only 2 points; use at most that many shards"),
    ("x.toml: [output.sensors] eeg.txt:3: expected 'label x y z'", "x.toml", None,
     "output.sensors", None, "eeg.txt:3: expected 'label x y z'"),
    ("spectra: nperseg 4096 is longer than the record", None, None, None, None,
     "spectra: nperseg 4096 is longer than the record"),
]


@pytest.mark.parametrize("msg,file,line,section,key,detail", MESSAGES)
def test_spec_error_parses_engine_messages(msg, file, line, section, key, detail):
    e = SpecError.from_message(msg)
    assert isinstance(e, ValueError)
    assert str(e) == msg and e.message == msg
    assert (e.file, e.line, e.section, e.key, e.detail) == (file, line, section, key, detail)


def test_spec_error_raise_and_pickle():
    msg = MESSAGES[0][0]
    with pytest.raises(ValueError, match=r"\[integrator\] dt"):
        raise SpecError(msg)
    e = pickle.loads(pickle.dumps(SpecError(msg)))
    assert str(e) == msg and e.line == 12 and e.key == "dt"
    assert repr(SpecError("x")) == "SpecError('x')"


def test_result_incomplete():
    e = ResultIncomplete("/r/out.h5")
    assert isinstance(e, RuntimeError) and e.path == "/r/out.h5" and "/r/out.h5" in str(e)
    e2 = pickle.loads(pickle.dumps(ResultIncomplete("a.h5", "a.h5: stopped")))
    assert e2.path == "a.h5" and str(e2) == "a.h5: stopped"


# ------------------------------------------------------------------- models

JR = {
    "name": "jansen_rit", "tvb_name": "JansenRit", "reference": "Jansen & Rit 1995",
    "observable": "y1 - y2",
    "parameters": [
        {"name": "A", "default": 3.25, "unit": "mV", "description": "EPSP", "lo": 0.0,
         "hi": math.inf},
        {"name": "mu", "default": 0.22, "unit": "1/ms", "description": "input", "lo": -math.inf,
         "hi": math.inf},
        {"name": "v0", "default": 5.52, "unit": "mV", "description": "threshold", "lo": -math.inf,
         "hi": math.inf},
    ],
    "states": [{"name": f"y{i}", "initial": 0.0, "lo": -1.0, "hi": 1.0} for i in range(6)],
    "coupling_variables": ["y1", "y2"],
    "presets": [{"name": "classical", "description": "JR 1995", "values": {"v0": 6.0, "mu": 0.22}}],
    "phase_variable": None,
}


def test_model_from_dict():
    m = models_mod.model_from_dict(JR)
    assert m.name == "jansen_rit" and m.tvb_name == "JansenRit" and m.observable == "y1 - y2"
    assert [p.name for p in m.parameters] == ["A", "mu", "v0"]
    assert m.parameter("A") == models_mod.Parameter("A", 3.25, "mV", "EPSP", 0.0, math.inf)
    assert m.parameter("mu").lo == -math.inf
    assert m.states[5] == models_mod.StateVariable("y5", 0.0, -1.0, 1.0)
    assert m.coupling_variables == ("y1", "y2") and m.phase_variable is None
    assert m.presets[0].values == {"v0": 6.0, "mu": 0.22}
    assert m.preset("classical").name == "classical"
    assert m.defaults == {"A": 3.25, "mu": 0.22, "v0": 5.52}
    assert isinstance(m.parameters, tuple) and isinstance(m.states, tuple)
    hash(m)  # frozen and hashable
    with pytest.raises(Exception):
        m.name = "x"
    assert "jansen_rit" in repr(m) and "mu" in repr(m) and "<table>" in m._repr_html_()
    k = models_mod.model_from_dict({**JR, "name": "kuramoto", "phase_variable": "theta"})
    assert k.phase_variable == "theta"


def test_model_lookup_names_close_matches():
    m = models_mod.model_from_dict(JR)
    with pytest.raises(KeyError, match="did you mean 'mu'"):
        m.parameter("muu")
    with pytest.raises(KeyError, match="y1"):
        m.state("y9")
    with pytest.raises(KeyError, match="known: A, mu, v0"):
        m.parameter("zzzzzz")


def test_model_from_dict_bad_input():
    with pytest.raises(KeyError, match="'parameters'"):
        models_mod.model_from_dict({k: v for k, v in JR.items() if k != "parameters"})
    bad = {**JR, "parameters": [{**JR["parameters"][0], "default": "high"}]}
    with pytest.raises(TypeError, match="expected a number"):
        models_mod.model_from_dict(bad)


# --------------------------------------------------------------- connectome

def _random_connectome(n=5, seed=0, **kw):
    rng = np.random.default_rng(seed)
    w = rng.random((n, n)) * (rng.random((n, n)) < 0.6)
    np.fill_diagonal(w, 0.0)
    lengths = rng.random((n, n)) * 100.0
    return Connectome(w, (lengths + lengths.T) / 2, **kw)


def test_connectome_basics():
    c = _random_connectome()
    assert c.n == len(c) == 5 and c.labels == ["r0", "r1", "r2", "r3", "r4"] and c.centres is None
    assert c.weights.dtype == np.float64 and c.lengths.dtype == np.float64
    assert not c.weights.flags.writeable
    assert "5 regions" in repr(c)
    ints = Connectome(np.eye(2, dtype=np.int32), [[0, 1], [1, 0]], labels=np.array(["a", "b"]),
                      centres=[[0, 0, 0], [1, 2, 3]])
    assert ints.weights.dtype == np.float64 and ints.labels == ["a", "b"]
    assert ints.centres.shape == (2, 3)


O2 = np.ones((2, 2))


@pytest.mark.parametrize("w,lengths,kw,exc,pattern", [
    (np.ones((3, 4)), np.ones((3, 4)), {}, ValueError,
     r"weights .*square.*shape \(3, 4\).*float64"),
    (np.ones(3), np.ones(3), {}, ValueError, r"weights .*shape \(3,\)"),
    (np.ones((0, 0)), np.ones((0, 0)), {}, ValueError, r"weights.*N >= 1.*shape \(0, 0\)"),
    (np.ones((3, 3)), O2, {}, ValueError, r"lengths has shape \(2, 2\).*weights.*\(3, 3\)"),
    (np.ones((3, 3)), np.full((3, 3), "a"), {}, TypeError, r"lengths must hold real numbers.*<U1"),
    (np.ones((2, 2), dtype=complex), np.ones((2, 2)), {}, TypeError, r"weights.*complex128"),
    (np.array([[1, None], [1, 1]]), np.ones((2, 2)), {}, TypeError, r"weights.*dtype object"),
    ("weights.txt", np.ones((2, 2)), {}, TypeError, r"weights must be an \(N, N\) array.*str"),
    (None, np.ones((2, 2)), {}, TypeError, r"weights.*NoneType"),
    (O2, [[0, -1], [0, 0]], {}, ValueError, r"lengths\[0, 1\] = -1.0.*finite and >= 0"),
    ([[0, np.nan], [0, 0]], np.ones((2, 2)), {}, ValueError, r"weights\[0, 1\] = nan"),
    ([[0, np.inf], [0, 0]], np.ones((2, 2)), {}, ValueError, r"weights\[0, 1\] = inf"),
    (O2, O2, {"labels": ["a"]}, ValueError, r"labels has 1 entries.*2 x 2"),
    (O2, O2, {"labels": ["a", "a"]}, ValueError, r"labels\[1\] = 'a' repeats"),
    (O2, O2, {"labels": ["a", "b c"]}, ValueError, r"labels\[1\].*whitespace"),
    (O2, O2, {"labels": ["a", ""]}, ValueError, r"labels\[1\].*non-empty"),
    (O2, O2, {"labels": ["a", 3]}, TypeError, r"labels\[1\] must be a string"),
    (np.ones((2, 2)), np.ones((2, 2)), {"labels": "ab"}, TypeError, r"labels must be a sequence"),
    (np.ones((2, 2)), np.ones((2, 2)), {"centres": np.ones((2, 2))}, ValueError,
     r"centres must have shape \(2, 3\).*shape \(2, 2\), dtype float64"),
    (np.ones((2, 2)), np.ones((2, 2)), {"centres": [[0, 0, np.nan], [0, 0, 0]]}, ValueError,
     r"centres\[0\].*not finite"),
])
def test_connectome_validation_names_argument_shape_dtype(w, lengths, kw, exc, pattern):
    with pytest.raises(exc, match=pattern):
        Connectome(w, lengths, **kw)


def _tvb_like(**kw):
    base = dict(weights=np.array([[0.0, 2.0], [1.0, 0.0]]),
                tract_lengths=np.array([[0.0, 30.0], [30.0, 0.0]]),
                region_labels=np.array(["lh-A", "rh-B"]),
                centres=np.array([[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]]))
    base.update(kw)
    return types.SimpleNamespace(**base)


def test_connectome_from_tvb():
    c = Connectome.from_tvb(_tvb_like())
    assert c.labels == ["lh-A", "rh-B"] and c.lengths[0, 1] == 30.0 and c.centres[1, 2] == -3.0
    c = Connectome.from_tvb(_tvb_like(region_labels=np.array([b"x", b"y"]),
                                      centres=np.empty((0, 3))))
    assert c.labels == ["x", "y"] and c.centres is None
    for missing in (None, np.empty((0,)), np.empty((0, 0))):
        with pytest.raises(ValueError, match="the connectivity has no tract lengths"):
            Connectome.from_tvb(_tvb_like(tract_lengths=missing))
    no_attr = types.SimpleNamespace(weights=np.eye(2))
    with pytest.raises(ValueError, match="no tract lengths"):
        Connectome.from_tvb(no_attr)
    with pytest.raises(TypeError, match="TVB Connectivity"):
        Connectome.from_tvb(object())


def test_connectome_from_any(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    c = _random_connectome()
    assert Connectome.from_any(c) is c
    t = Connectome.from_any((np.ones((2, 2)), np.ones((2, 2))))
    assert isinstance(t, Connectome) and t.n == 2
    assert Connectome.from_any(_tvb_like()).labels == ["lh-A", "rh-B"]
    assert Connectome.from_any("conn.zip") == str(tmp_path / "conn.zip")
    assert Connectome.from_any(Path("conn")) == str(tmp_path / "conn")
    assert Connectome.from_any("/abs/c.zip") == "/abs/c.zip"
    assert Connectome.from_any("synthetic:76:3") == "synthetic:76:3"
    assert Connectome.from_any("w.txt,l.txt") == f"{tmp_path}/w.txt,{tmp_path}/l.txt"
    with pytest.raises(TypeError, match=r"ndarray alone is not a connectome"):
        Connectome.from_any(np.ones((2, 2)))
    with pytest.raises(ValueError, match="got 3 items"):
        Connectome.from_any((np.ones((2, 2)),) * 3)
    with pytest.raises(TypeError, match="cannot make a connectome from int"):
        Connectome.from_any(3)


def test_write_tvb_folder_round_trip(tmp_path):
    c = _random_connectome(n=7, seed=3, labels=[f"reg_{i}" for i in range(7)],
                           centres=np.random.default_rng(1).normal(size=(7, 3)) * 50)
    d = c.write_tvb_folder(tmp_path / "conn")
    assert d == str(tmp_path / "conn")
    assert sorted(os.listdir(d)) == ["centres.txt", "tract_lengths.txt", "weights.txt"]
    # Exact to the last bit, row = target as in memory.
    np.testing.assert_array_equal(np.loadtxt(os.path.join(d, "weights.txt")), c.weights)
    np.testing.assert_array_equal(np.loadtxt(os.path.join(d, "tract_lengths.txt")), c.lengths)
    rows = [line.split() for line in open(os.path.join(d, "centres.txt"))]
    assert [r[0] for r in rows] == c.labels
    np.testing.assert_array_equal(np.array([[float(x) for x in r[1:]] for r in rows]), c.centres)
    text = open(os.path.join(d, "weights.txt")).read()
    assert text.count("\n") == 7 and "," not in text and "e+" not in text.replace("e+0", "")
    # Without centres: labels with zeros.
    d2 = _random_connectome(n=3).write_tvb_folder(tmp_path / "c2")
    assert open(os.path.join(d2, "centres.txt")).read() == \
        "r0 0.0 0.0 0.0\nr1 0.0 0.0 0.0\nr2 0.0 0.0 0.0\n"


# --------------------------------------------------------------------- Spec

BASE = dict(model={"name": "jansen_rit", "params": {"mu": 0.2}},
            network={"connectome": "synthetic:8", "speed": 4.0},
            coupling={"kind": "sigmoidal_jansen_rit", "a": 1.0},
            integrator={"dt": 0.1, "duration": 100.0, "noise": {"sigma": {"y4": 1e-4}, "seed": 1}},
            sweep=[{"param": "coupling.a", "linspace": [0.0, 1.0, 3]},
                   {"param": "model.mu", "values": [0.1, 0.2]}],
            output={"features": ["mean", "std"], "sample_every": 10})


def test_spec_from_file_keeps_text_and_path(tmp_path, monkeypatch):
    p = tmp_path / "s.toml"
    p.write_bytes(b'# comment\r\n[model]\r\nname = "jansen_rit"\r\n')
    s = Spec.from_file(p)
    assert s.text == '# comment\r\n[model]\r\nname = "jansen_rit"\r\n' and s.path == str(p)
    assert s.base_dir == str(tmp_path) and s.to_dict() == {"model": {"name": "jansen_rit"}}
    monkeypatch.chdir(tmp_path)
    rel = Spec.from_file("s.toml")
    assert rel.path == "s.toml" and Spec("s.toml") == rel and Spec(source="s.toml") == rel
    with pytest.raises(FileNotFoundError):
        Spec.from_file(tmp_path / "none.toml")


def test_spec_from_toml_and_dict_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    t = Spec.from_toml('[model]\nname = "x"\n')
    assert t.text == '[model]\nname = "x"\n' and t.path == os.path.join(str(tmp_path), "<toml>")
    d = Spec.from_dict(BASE, base_dir=tmp_path / "sub")
    assert d.path == os.path.join(str(tmp_path / "sub"), "<dict>")
    assert d.base_dir == str(tmp_path / "sub")
    assert Spec.from_dict(BASE).path == os.path.join(str(tmp_path), "<dict>")
    with pytest.raises(TypeError, match="from_toml"):
        Spec.from_toml(b"[model]")
    with pytest.raises(TypeError, match="from_dict"):
        Spec.from_dict([("model", {})])
    with pytest.raises(TypeError, match="Spec\\(source\\)"):
        Spec(42)


def test_spec_keywords_write_arrays_of_tables():
    s = Spec(**BASE)
    assert s.to_dict() == BASE
    assert s.text.count("[[sweep]]") == 2 and "[model]" in s.text
    assert 'noise = { sigma = { y4 = 0.0001 }, seed = 1 }' in s.text
    assert "linspace = [0.0, 1.0, 3]" in s.text
    assert Spec(BASE) == Spec.from_dict(BASE) == s
    assert "jansen_rit" in repr(s) and "coupling.a" in repr(s) and str(s) == s.text


def test_spec_round_trip_with_numpy_and_awkward_values():
    d = {
        "description": 'quotes " and \\ backslash, tab\t, ünïcødé 😀, del \x7f',
        "model": {"name": "epileptor", "params": {"x0": np.linspace(-2.2, -1.6, 40),
                                                  "Ks": np.float32(0.5), "r": np.int64(3)}},
        "network": {"connectome": "data/conn.zip", "speed": math.inf},
        "integrator": {"dt": np.float64(0.05), "duration": 1e3, "flag": np.bool_(True)},
        "sampler": {"kind": "lhs", "n": np.int32(8), "ranges": {"coupling.a": np.array([0.0, 0.5]),
                                                                "model.x0[\"rHC\"]": (1, 2)}},
        "sweep": [{"lesion": {"regions": [["rHC"], ["rAMYG", "rPHC"], []]}},
                  {"param": "model.x0", "ez": {"regions": "all", "k": 1}}],
        "output": {"path": Path("out.h5"), "sensors": [{"name": "eeg", "noise": {"sigma": 1e-3}},
                                                       {"name": "meg"}],
                   "spectra": {"bands": {f"b{i}": [float(i), i + 1.5] for i in range(12)}},
                   "fc": {}, "bold": {"preset": "friston2003"}},
    }
    s = Spec.from_dict(d)
    back = s.to_dict()
    assert back["description"] == d["description"]
    assert back["model"]["params"]["x0"] == d["model"]["params"]["x0"].tolist()
    assert back["model"]["params"]["Ks"] == float(np.float32(0.5))
    assert type(back["model"]["params"]["r"]) is int and back["integrator"]["flag"] is True
    assert back["network"]["speed"] == math.inf
    assert back["sampler"]["ranges"] == {"coupling.a": [0.0, 0.5], 'model.x0["rHC"]': [1, 2]}
    assert back["sweep"] == d["sweep"] and back["output"]["path"] == "out.h5"
    assert back["output"]["sensors"] == d["output"]["sensors"] and back["output"]["fc"] == {}
    assert back["output"]["spectra"]["bands"]["b11"] == [11.0, 12.5]
    assert s.text.count("[[output.sensors]]") == 2
    assert "[output.spectra]" in s.text  # a long table gets its own header
    # TOML text -> dict -> TOML text is stable.
    assert Spec.from_dict(back).text == s.text


@pytest.mark.parametrize("sections,pattern", [
    ({"model": {"name": "jansen_rit", "params": {"mu": object()}}},
     r"model\.params\.mu: a builtins\.object has no TOML form"),
    ({"integrator": {"dt": None}}, r"integrator\.dt: None has no TOML form"),
    ({"sweep": [{"param": "model.mu", "values": [1.0, 2j]}]},
     r"sweep\[0\]\.values\[1\]: a builtins\.complex"),
    ({"output": {"features": {"mean", "std"}}},
     r"output\.features: a builtins\.set has no TOML form"),
    ({"initial": {"y0": np.array([1, None], dtype=object)}},
     r"initial\.y0: a numpy array of dtype object"),
    ({"initial": {"y0": np.array([1j])}}, r"initial\.y0: complex numbers have no TOML form"),
    ({"model": {1: "x"}}, r"model: TOML keys are strings, got int"),
])
def test_spec_non_toml_values_name_the_key(sections, pattern):
    with pytest.raises(TypeError, match=pattern):
        Spec.from_dict(sections)
    if "None" not in pattern:  # (keywords: None leaves the key out)
        with pytest.raises(TypeError, match=pattern):
            Spec(**sections)


def test_spec_keyword_none_leaves_the_key_out():
    s = Spec(integrator={"dt": 0.1, "noise": None, "x": {"y": None}})
    assert s.to_dict() == {"integrator": {"dt": 0.1, "x": {}}}


def test_spec_leaves_wrong_toml_types_to_the_engine():
    s = Spec(integrator={"dt": "fast", "duration": [1, 2]})
    assert s.to_dict() == {"integrator": {"dt": "fast", "duration": [1, 2]}}


def test_spec_replace_merges_deeply():
    s = Spec(**BASE)
    r = s.replace(integrator={"dt": 0.05, "noise": None}, output={"path": "x.h5"},
                  sweep=[{"param": "model.mu", "values": [0.3]}])
    d = r.to_dict()
    assert d["integrator"] == {"dt": 0.05, "duration": 100.0}
    assert d["output"] == {"features": ["mean", "std"], "sample_every": 10, "path": "x.h5"}
    assert d["sweep"] == [{"param": "model.mu", "values": [0.3]}]
    assert d["model"] == BASE["model"] and s.to_dict() == BASE  # the original is unchanged
    assert Spec(s, coupling={"a": 2.0}).to_dict()["coupling"] == \
        {"kind": "sigmoidal_jansen_rit", "a": 2.0}


def test_spec_replace_of_a_file_resolves_in_its_folder(tmp_path):
    p = tmp_path / "specs" / "a.toml"
    p.parent.mkdir()
    p.write_text('[model]\nname = "jansen_rit"\n[network]\nconnectome = "data/c.zip"\n')
    r = Spec(p, integrator={"dt": 0.1})
    assert r.path == os.path.join(str(p.parent), "<dict>") and r.base_dir == str(p.parent)
    assert r.to_dict()["network"]["connectome"] == "data/c.zip"


def test_spec_connectome_objects_become_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    c = _random_connectome(n=4, labels=["a", "b", "c", "d"])
    s = Spec(BASE, network={"connectome": c})
    folder = s.to_dict()["network"]["connectome"]
    assert os.path.isabs(folder) and os.path.isdir(folder)
    np.testing.assert_array_equal(np.loadtxt(os.path.join(folder, "weights.txt")), c.weights)
    assert s.to_dict()["network"]["speed"] == 4.0  # the rest of the table is kept
    # A (weights, lengths) tuple and a TVB-like object work the same way.
    s2 = Spec(BASE, network={"connectome": (c.weights, c.lengths)})
    assert os.path.isdir(s2.to_dict()["network"]["connectome"])
    s3 = Spec(BASE, network={"connectome": _tvb_like()})
    f3 = s3.to_dict()["network"]["connectome"]
    assert open(os.path.join(f3, "centres.txt")).read().split()[0] == "lh-A"
    # A PathLike becomes absolute; a str stays as written (resolved by the engine).
    assert Spec(BASE, network={"connectome": Path("c.zip")}).to_dict()["network"]["connectome"] \
        == str(tmp_path / "c.zip")
    assert Spec(BASE, network={"connectome": "c.zip"}).to_dict()["network"]["connectome"] == "c.zip"
    with pytest.raises(ValueError, match="network.connectome: the connectivity has no tract"):
        Spec(BASE, network={"connectome": _tvb_like(tract_lengths=None)})
    with pytest.raises(TypeError, match="network.connectome: .*ndarray alone"):
        Spec(BASE, network={"connectome": c.weights})
    # The folder lives as long as a Spec that names it, replaced copies included.
    r = s.replace(integrator={"dt": 0.05})
    assert r.to_dict()["network"]["connectome"] == folder
    del s
    gc.collect()
    assert os.path.isdir(folder)
    del r
    gc.collect()
    assert not os.path.exists(folder)


# ----------------------------------------------------------------- results

AXES = {"coupling.a": ([0.0, 0.5, 1.0], ""), "model.mu": ([0.1, 0.2], "1/ms")}
LABELS = ["rA", "rB", "rC", "rD"]
VARS = ["y0", "y1", "y2"]


def _scale(group, name, values, **attrs):
    d = group.create_dataset(name, data=np.asarray(values))
    d.make_scale(name)
    for k, v in attrs.items():
        d.attrs[k] = v
    return d


def _grid(f, name, data, dims, **attrs):
    d = f.create_dataset(name, data=data)
    group = f[name.rsplit("/", 1)[0]]
    for i, dim in enumerate(dims):
        if dim not in group:  # hard link of /axes/<dim>, as the engine does
            group[dim] = f["axes"][dim]
        d.dims[i].attach_scale(group[dim])
    for k, v in attrs.items():
        d.attrs[k] = v
    return d


def make_result(path, complete=1, done=None):
    """A small result file in the engine's layout (README "Result file")."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "nmsweep-result"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["complete"] = np.int64(complete)
        f.attrs["axes"] = np.array(list(AXES), dtype=h5py.string_dtype())
        f.attrs["model"] = np.bytes_(b"jansen_rit")  # fixed-length bytes: decoded to str
        f.attrs["spec"] = '[model]\nname = "jansen_rit"\n'
        ax = f.create_group("axes")
        for name, (values, unit) in AXES.items():
            _scale(ax, name, values, units=unit)
        _scale(ax, "node", np.arange(4), labels=np.array(LABELS, dtype=h5py.string_dtype()))
        f.create_group("features")
        _grid(f, "features/mean", rng.random((3, 2, 4)), ["coupling.a", "model.mu", "node"],
              description="mean of the observable per node")
        _grid(f, "features/network_std", rng.random((3, 2)), ["coupling.a", "model.mu"])
        _scale(f["features"], "variable", np.arange(3))
        _grid(f, "features/final_state", rng.random((3, 2, 3, 4)),
              ["coupling.a", "model.mu", "variable", "node"],
              variables=np.array(VARS, dtype=h5py.string_dtype()))
        f.create_group("status")
        _grid(f, "status/diverged_step", np.full((3, 2), -1, np.int64), ["coupling.a", "model.mu"])
        _grid(f, "status/done", np.ones((3, 2), np.uint8) if done is None else done,
              ["coupling.a", "model.mu"])
        # Boundaries: a child reuses a dimension name with another length.
        b = f.create_group("boundaries")
        _scale(b, "coordinate", np.arange(2))
        _scale(b, "a_b_point", np.arange(3))
        _grid(f, "boundaries/a_b", rng.random((3, 2)), ["a_b_point", "coordinate"])
        c = b.create_group("initial_0")
        _scale(c, "coordinate", np.arange(2))
        _scale(c, "a_b_point", np.arange(1))
        _grid(f, "boundaries/initial_0/a_b", rng.random((1, 2)), ["a_b_point", "coordinate"])
        p = f.create_group("parameters")
        p.attrs["model.v0"] = 5.52
        p.attrs["model.v0.units"] = "mV"
    return path


def _open_fds(path):
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return [p for p in out if p == str(path)]


def test_open_result_tree(tmp_path):
    path = make_result(tmp_path / "r.h5")
    t = res_mod.open_result(path)
    assert isinstance(t, xr.DataTree)
    assert {"axes", "features", "status", "boundaries", "parameters"} <= set(t.children)
    assert t.attrs["model"] == "jansen_rit" and t.attrs["axes"] == ["coupling.a", "model.mu"]
    assert t.attrs["complete"] == 1 and t.attrs["spec"].startswith("[model]")
    mean = t["features"]["mean"]
    assert mean.dims == ("coupling.a", "model.mu", "node")
    assert list(mean["node"].values) == LABELS
    np.testing.assert_array_equal(mean["coupling.a"].values, AXES["coupling.a"][0])
    assert mean["model.mu"].attrs["units"] == "1/ms"
    assert "DIMENSION_LABELS" not in mean.attrs and mean.attrs["description"].startswith("mean")
    with h5py.File(path) as f:
        np.testing.assert_array_equal(mean.values, f["features/mean"][()])
        np.testing.assert_array_equal(t["features"]["final_state"].values,
                                      f["features/final_state"][()])
    assert list(t["features"]["variable"].values) == VARS
    assert float(t["features"]["final_state"].sel(variable="y1", node="rC")[2, 1]) == \
        float(t["features"]["final_state"].values[2, 1, 1, 2])
    assert t["parameters"].attrs["model.v0"] == 5.52
    # The conflicting child dimension is renamed, its data intact.
    child = t["boundaries/initial_0"]["a_b"]
    assert child.dims == ("initial_0_a_b_point", "coordinate") and child.shape == (1, 2)
    assert t["boundaries"]["a_b"].shape == (3, 2)
    # Nothing left open: the engine may overwrite the file.
    assert _open_fds(path) == []
    h5py.File(path, "w").close()


def test_open_result_incomplete_and_foreign_files(tmp_path):
    done = np.array([[1, 1], [0, 0], [0, 0]], np.uint8)
    path = make_result(tmp_path / "part.h5", complete=0, done=done)
    with pytest.raises(ResultIncomplete, match=r"2 of 6 points done") as e:
        res_mod.open_result(path)
    assert e.value.path == str(path)
    with pytest.raises(ResultIncomplete):
        res_mod.open_features(path)
    t = res_mod.open_result(path, allow_incomplete=True)
    np.testing.assert_array_equal(t["status"]["done"].values, done)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = 1
    with pytest.raises(ValueError, match="not an nmsweep result"):
        res_mod.open_result(other)
    with pytest.raises(FileNotFoundError):
        res_mod.open_result(tmp_path / "none.h5")
    assert _open_fds(path) == [] and _open_fds(other) == []


def test_open_features(tmp_path):
    path = make_result(tmp_path / "r.h5")
    ds = res_mod.open_features(str(path))
    assert isinstance(ds, xr.Dataset)
    assert {"mean", "network_std", "final_state", "diverged_step", "done"} <= set(ds.data_vars)
    assert ds["diverged_step"].dims == ("coupling.a", "model.mu")
    assert list(ds["node"].values) == LABELS and ds.attrs["model"] == "jansen_rit"
    assert ds["model.mu"].attrs["units"] == "1/ms" and ds["coupling.a"].attrs["units"] == ""
    assert ds["mean"].attrs["description"].startswith("mean")
    assert float(ds["mean"].sel({"coupling.a": 0.5, "model.mu": 0.2, "node": "rB"})) == \
        float(ds["mean"].values[1, 1, 1])
    assert _open_fds(path) == []


def make_simulation(path):
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "nmsweep-result"
        f.attrs["complete"] = np.int64(1)
        f.attrs["diverged_step"] = np.int64(-1)
        f.attrs["grid_point"] = np.int64(3)
        f.attrs["model"] = "jansen_rit"
        ax = f.create_group("axes")
        _scale(ax, "node", np.arange(4), labels=np.array(LABELS, dtype=h5py.string_dtype()))
        ts = f.create_group("timeseries")
        _scale(ts, "time", np.arange(1, 6) * 0.5, units="ms")
        _scale(ts, "variable", np.arange(3))
        ts["node"] = ax["node"]
        d = ts.create_dataset("state", data=np.arange(5 * 3 * 4, dtype=float).reshape(5, 3, 4))
        for i, dim in enumerate(("time", "variable", "node")):
            d.dims[i].attach_scale(ts[dim])
        d.attrs["variables"] = np.array(VARS, dtype=h5py.string_dtype())
        p = f.create_group("parameters")
        p.attrs["model.mu"] = 0.2
        p.attrs["model.mu.units"] = "1/ms"
        p.attrs["description"] = "fixed (not swept) parameters"
    return path


def test_open_simulation(tmp_path):
    path = make_simulation(tmp_path / "sim.h5")
    a = res_mod.open_simulation(path)
    assert isinstance(a, xr.DataArray) and a.name == "state"
    assert a.dims == ("time", "variable", "node") and a.shape == (5, 3, 4)
    assert a["time"].attrs["units"] == "ms" and a["time"].values[-1] == 2.5
    assert list(a["variable"].values) == VARS and list(a["node"].values) == LABELS
    assert a.sel(variable="y2", node="rB").values[0] == 2 * 4 + 1
    assert a.attrs["model.mu"] == 0.2 and a.attrs["model.mu.units"] == "1/ms"
    assert a.attrs["diverged_step"] == -1 and a.attrs["grid_point"] == 3
    assert "description" not in a.attrs
    assert _open_fds(path) == []
    with pytest.raises(ValueError, match="not a file of `nmsweep simulate`"):
        res_mod.open_simulation(make_result(tmp_path / "r.h5"))


# ------------------------------------------- with the nmsweep executable

def _cli(cli, *args, cwd=None):
    return subprocess.run([cli, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def _engine_message(stderr):
    prefix = "nmsweep: error: "
    assert stderr.startswith(prefix), stderr
    return stderr[len(prefix):].rstrip("\n")


def test_cli_errors_parse_and_lines_match_the_text(nmsweep_cli, tmp_path):
    s = Spec(BASE, integrator={"dt": -1.0})
    (tmp_path / "s.toml").write_text(s.text)
    r = _cli(nmsweep_cli, "check", "s.toml", cwd=tmp_path)
    assert r.returncode != 0
    e = SpecError(_engine_message(r.stderr))
    assert (e.file, e.section, e.key) == ("s.toml", "integrator", "dt")
    assert s.text.splitlines()[e.line - 1].startswith("dt = -1.0")
    s = Spec(BASE, sweep=[{"param": "model.muu", "values": [1.0]}])
    (tmp_path / "s.toml").write_text(s.text)
    e = SpecError(_engine_message(_cli(nmsweep_cli, "check", "s.toml", cwd=tmp_path).stderr))
    assert (e.section, e.key) == ("sweep", "param") and "did you mean 'mu'" in e.detail
    assert s.text.splitlines()[e.line - 1] == 'param = "model.muu"'


def test_cli_reads_the_connectome_folder(nmsweep_cli, tmp_path):
    c = _random_connectome(n=4, labels=["lh_A", "lh_B", "rh_A", "rh_B"])
    s = Spec(BASE, network={"connectome": c}, output={"path": str(tmp_path / "out.h5")})
    (tmp_path / "s.toml").write_text(s.text)
    r = _cli(nmsweep_cli, "run", "-q", "--threads", "1", "s.toml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    ds = res_mod.open_features(tmp_path / "out.h5")
    assert list(ds["node"].values) == c.labels
    assert ds["mean"].dims == ("coupling.a", "model.mu", "node") and ds["mean"].shape == (3, 2, 4)
    r = _cli(nmsweep_cli, "simulate", "-q", "s.toml", "--point", "4", "--every", "10",
             "-o", str(tmp_path / "sim.h5"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    a = res_mod.open_simulation(tmp_path / "sim.h5")
    assert list(a["node"].values) == c.labels and a.sizes["variable"] == 6
    assert a["time"].values[0] == pytest.approx(1.0) and a.attrs["grid_point"] == 4
    assert a.attrs["coupling.a"] == 1.0 and a.attrs["model.mu"] == 0.1


# Shortened examples: (file, changes to its sections)
EXAMPLES = [
    ("jansen_rit_sweep.toml", {"integrator": {"duration": 600.0, "transient": 200.0},
                               "sweep": [{"param": "coupling.a", "linspace": [0.0, 20.0, 3]},
                                         {"param": "model.mu", "linspace": [0.05, 0.35, 2]}],
                               "output": {"features": ["mean", "std", "final", "psd"],
                                          "spectra": {"nperseg": 128},
                                          "timeseries": {"every": 10, "instances": [0, 3]}}}),
    ("jansen_rit_bifurcation.toml",
     {"integrator": {"duration": 1200.0, "transient": 300.0},
      "sweep": [{"param": "coupling.a", "linspace": [2.0, 30.0, 3]},
                {"param": "model.mu", "linspace": [0.05, 0.35, 3]}]}),
    ("epileptor_resection.toml", {"integrator": {"duration": 1000.0}}),
    ("seeg_onset_ranking.toml", {"integrator": {"duration": 1000.0}}),
]


@pytest.mark.parametrize("name,changes", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_cli_examples_read_as_xarray(nmsweep_cli, examples_dir, tmp_path, name, changes):
    spec = Spec.from_file(examples_dir / name).replace(**changes)
    os.symlink(examples_dir / "data", tmp_path / "data")  # the example's relative inputs
    out = tmp_path / "out.h5"
    (tmp_path / "spec.toml").write_text(spec.replace(output={"path": str(out)}).text)
    r = _cli(nmsweep_cli, "run", "-q", "--threads", "2", "spec.toml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    tree = res_mod.open_result(out)
    ds = res_mod.open_features(out)
    assert _open_fds(out) == []
    with h5py.File(out) as f:
        axes = [a.decode() if isinstance(a, bytes) else a for a in f.attrs["axes"]]
        labels = list(f["axes/node"].attrs.get("labels", f["axes/node"][()]))
        for group in ("features", "status"):
            for k, v in f[group].items():
                if v.attrs.get("CLASS") == b"DIMENSION_SCALE":
                    continue
                np.testing.assert_array_equal(ds[k].values, v[()], err_msg=k)
                lead = [d for d in ds[k].dims if d in axes]  # the grid axes first, in order
                assert tuple(lead) == ds[k].dims[: len(lead)], k
                assert lead == [a for a in axes if a in lead] and len(lead) >= len(axes) - 1, k
        for a in axes:
            np.testing.assert_array_equal(ds[a].values, f["axes"][a][()])
            assert ds[a].attrs["units"] == f["axes"][a].attrs["units"]
    assert [str(x) for x in tree["axes"]["node"].values] == [str(x) for x in labels]
    assert all(not d.startswith("phony_dim") for n in tree.subtree for d in n.dims)
    assert tree.attrs["complete"] == 1 and isinstance(tree.attrs["spec"], str)
    assert tomllib.loads(tree.attrs["spec"]) == spec.replace(output={"path": str(out)}).to_dict()
