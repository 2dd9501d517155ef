"""`mibench estimate --bits --json`: every MI figure of the object is in the unit it names."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mibench.api import NATS_PER_BIT, estimate_mi, extras_in_unit, mi_extras_keys
from mibench.cli import main
from mibench.estimate import Estimate
from mibench.estimator import Estimator
from mibench.registry import get_estimator

#: Top-level MI figures of the JSON object.
TOP_LEVEL = ("mi", "stderr", "ci_low", "ci_high")


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(1)
    z = rng.standard_normal((400, 2))
    df = pd.DataFrame({"a": z[:, 0], "b": 0.8 * z[:, 0] + 0.6 * z[:, 1]})
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


def _json(csv, *options: str) -> dict:
    args = ["estimate", str(csv), "--x", "a", "--y", "b", "--json", "--permutations", "0"]
    result = CliRunner().invoke(main, [*args, *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _in_bits(value):
    """``value`` (a number, or a mapping or list of numbers) divided by ln 2."""
    if isinstance(value, dict):
        return {k: _in_bits(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_in_bits(v) for v in value]
    return None if value is None else value / NATS_PER_BIT


def _assert_same(a, b, where="object"):
    """``a == b``, floats to 1e-12 relative, through nested dicts and lists."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            _assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0), (where, a, b)
    else:
        assert a == b, (where, a, b)


@pytest.mark.parametrize(
    ("estimator", "options", "mi_extras"),
    [
        ("ksg[k=(3,5)]", (), ["per_k", "unclipped_value"]),
        ("gaussian", ("--error-bar", "bootstrap"), ["null_mean"]),
        ("jsd[max_steps=50,seed=3]", ("--error-bar", "held-out"), ["jsd"]),
    ],
    ids=["ksg", "gaussian-bootstrap", "neural"],
)
def test_bits_json_is_nats_json_with_every_mi_figure_over_ln2(csv, estimator, options, mi_extras):
    nats = _json(csv, "--estimator", estimator, *options)
    bits = _json(csv, "--estimator", estimator, "--bits", *options)
    assert (nats["unit"], nats["extras_unit"]) == ("nats", "nats")
    assert (bits["unit"], bits["extras_unit"]) == ("bits", "bits")
    assert nats["mi_extras"] == bits["mi_extras"] == mi_extras
    if options:  # the error bar is there, and converted below
        assert nats["stderr"] is not None and nats["ci_low"] < nats["mi"] < nats["ci_high"]
    expected = dict(nats, unit="bits", extras_unit="bits")
    for key in TOP_LEVEL:
        expected[key] = _in_bits(nats[key])
    extras = dict(nats["extras"])
    for key in mi_extras:
        extras[key] = _in_bits(extras[key])
    if "units" in extras:  # the baselines' own record of their unit
        assert extras["units"] == "nats" and bits["extras"]["units"] == "bits"
        extras["units"] = "bits"
    expected["extras"] = extras
    _assert_same(bits, expected)


def test_every_builtin_mi_extra_is_listed():
    """The MI-valued extras of the built-in estimators, as they write them."""
    expected = {
        "ksg": {"per_k", "unclipped_value", "local"},
        "ksg2": {"per_k", "unclipped_value", "local"},
        "kl": {"h_x", "h_y", "h_xy"},
        "lnc": {"ksg2_value", "correction"},
        "histogram": set(),
        "gaussian": {"null_mean"},
        "gaussian-copula": {"null_mean"},
        "jsd": {"jsd", "held_out_stderr", "true_mi"},
        "smile": {"jsd", "held_out_stderr", "true_mi"},
        "mine": {"held_out_stderr", "true_mi"},
        "infonce": {"held_out_stderr", "true_mi"},
    }
    for name, keys in expected.items():
        assert set(mi_extras_keys(get_estimator(name))) == keys, name


def test_bits_converts_kl_lnc_entropies_and_local_terms():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 1))
    y = x + rng.standard_normal((300, 1))
    for spec, keys in (("kl", ["h_x", "h_xy", "h_y"]), ("lnc", ["correction", "ksg2_value"])):
        nats = estimate_mi(x, y, spec, permutations=0)
        bits = estimate_mi(x, y, spec, permutations=0, bits=True)
        assert bits.mi_extras == keys
        for key in keys:
            assert bits.extras[key] == pytest.approx(nats.extras[key] / math.log(2), rel=1e-12)
    nats = estimate_mi(x, y, "ksg[return_local=true]", permutations=0)
    bits = estimate_mi(x, y, "ksg[return_local=true]", permutations=0, bits=True)
    np.testing.assert_allclose(bits.extras["local"][3], nats.extras["local"][3] / math.log(2))
    assert bits.extras["local"][3].mean() == pytest.approx(bits.mi)


class _PlugIn(Estimator):
    """A plug-in whose extras mibench cannot read (no ``mi_extras``)."""

    name = "units-plugin"

    def __init__(self) -> None:
        pass

    def _estimate(self, x, y):
        return Estimate(value=1.0, extras={"raw": 2.0, "units": "nats"})


class _Declared(_PlugIn):
    """A plug-in that names its MI figures."""

    mi_extras = ("raw",)


def test_plugin_extras_are_kept_unless_declared():
    extras = {"raw": 2.0, "units": "nats", "count": 7}
    kept, keys = extras_in_unit(_PlugIn(), extras, bits=True)
    assert (kept, keys) == (extras, [])
    converted, keys = extras_in_unit(_Declared(), extras, bits=True)
    assert keys == ["raw"]
    assert converted == {"raw": 2.0 / math.log(2), "units": "bits", "count": 7}
    x = np.random.default_rng(0).standard_normal((50, 1))
    result = estimate_mi(x, x + 1.0, _PlugIn(), bits=True, permutations=0)
    assert (result.unit, result.extras_unit, result.mi_extras) == ("bits", "nats", [])
    assert result.mi == pytest.approx(1 / math.log(2)) and result.extras["raw"] == 2.0
