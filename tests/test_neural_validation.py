"""A separate validation part for model selection (``validation_fraction``): the reported
value is the test readout at the evaluation selected on the validation part."""

from __future__ import annotations

import numpy as np
import pytest

from mibench import get_estimator
from mibench.neural import fit_ensemble


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 2))
    return x, x + rng.normal(size=(2000, 2))  # I = 2 · ½ ln 2 = 0.693 nats


def test_without_a_validation_part_nothing_changes(data):
    plain = get_estimator("mine[seed=3,max_steps=400]").estimate(*data)
    zero = get_estimator("mine[seed=3,max_steps=400,validation_fraction=0.0]").estimate(*data)
    assert plain.value == zero.value and plain.trace == zero.trace
    assert "n_validation" not in plain.extras and "validation_value" not in plain.extras


def test_the_value_is_the_test_readout_at_the_step_selected_on_validation(data):
    spec = "mine[seed=3,max_steps=800,test_fraction=0.25,validation_fraction=0.25]"
    result = get_estimator(spec).estimate(*data)
    assert result.ok
    e = result.extras
    assert (e["n_train"], e["n_test"], e["n_validation"]) == (1000, 500, 500)
    test_at = dict((step, test) for step, _, test in result.trace)
    assert result.value == test_at[e["best_step"]]
    # The test readout is not what was maximised: here another evaluation's test value is
    # larger, and the validation readout at the selected step is above its test readout.
    assert max(test_at.values()) > result.value
    assert e["validation_value"] > result.value
    assert abs(result.value - np.log(2)) < 0.15


def test_a_member_with_a_validation_part_equals_its_solo_fit_in_a_group(data):
    specs = [
        f"nwj[seed={s},max_steps=300,test_fraction=0.3,validation_fraction=0.2]" for s in (1, 2)
    ]
    members = [get_estimator(s) for s in specs]
    together = fit_ensemble(members, *data)
    for spec, result in zip(specs, together, strict=True):
        alone = get_estimator(spec).estimate(*data)
        assert result.value == alone.value and result.trace == alone.trace


@pytest.mark.parametrize("value", [-0.1, 0.5, 0.7, "0.2", True])
def test_a_bad_validation_fraction_is_refused(value):
    with pytest.raises(ValueError, match="validation_fraction"):
        get_estimator("mine").set_params(validation_fraction=value).validate()


def test_a_validation_part_too_small_is_refused_naming_both_fractions():
    x = np.random.default_rng(0).normal(size=(40, 1))
    with pytest.raises(ValueError, match="validation_fraction=0.1 split n=40"):
        get_estimator("mine[validation_fraction=0.1]").estimate(x, x + 1 + x**2)
