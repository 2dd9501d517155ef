"""The input checks every estimator shares, and the estimator-spec parser."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mibench import get_estimator
from mibench.registry import parse_spec
from mibench.validation import as_2d, check_xy


def test_complex_input_is_refused_naming_the_argument():
    x = np.arange(20.0)
    with pytest.raises(ValueError, match=r"y must be real-valued, got complex .*complex128"):
        check_xy(x, x + 1j)
    with pytest.raises(ValueError, match="x must be real-valued"):
        as_2d([1 + 2j, 3.0], "x")


def test_read_only_input_is_copied_writable_and_left_unchanged():
    frame = pd.DataFrame({"a": np.arange(5.0), "b": np.arange(5.0) ** 2})
    source = np.arange(6.0).reshape(3, 2)
    source.flags.writeable = False
    for data, expected in ((frame, frame.to_numpy()), (source, source.copy())):
        out = as_2d(data, "x")
        assert out.flags.writeable
        np.testing.assert_array_equal(out, expected)
    assert not source.flags.writeable


def test_neural_estimator_on_a_dataframe_warns_nothing():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(400)
    frame = pd.DataFrame({"x": x, "y": 0.8 * x + 0.6 * rng.standard_normal(400)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = get_estimator("mine[max_steps=20]", seed=0).estimate(frame[["x"]], frame[["y"]])
    assert np.isfinite(result.value)


def test_spec_setting_a_parameter_twice_is_refused():
    with pytest.raises(ValueError, match=r"'ksg\[k=3, k=4\]' sets 'k' twice"):
        parse_spec("ksg[k=3, k=4]")
    assert parse_spec("ksg[k=3, metric=max]") == ("ksg", {"k": 3, "metric": "max"})
