"""clone, and the plug-in estimators: declared determinism, names, rebuilding, no side effect
of estimate_mi on the caller's estimator."""

from __future__ import annotations

import numpy as np
import pytest

import mibench
from mibench.estimator import clone
from mibench.registry import get_estimator, list_estimators


def _corr_mi(x, y):
    r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
    return -0.5 * np.log1p(-(r**2))


class _Shrunk:
    """A plug-in object with the estimator contract but no Estimator base class."""

    def __init__(self, factor: float = 0.5) -> None:
        self.factor = factor

    def get_params(self):
        return {"factor": self.factor}

    def estimate(self, x, y):
        return self.factor * _corr_mi(x, y)


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(300)
    return x, 0.8 * x + 0.6 * rng.standard_normal(300)


@pytest.mark.parametrize("name", list_estimators())
def test_clone_gives_an_equal_but_separate_estimator(name) -> None:
    est = get_estimator(name)
    copy = clone(est)
    assert type(copy) is type(est) and copy is not est
    assert copy.get_params() == est.get_params()
    assert (copy.name, copy.deterministic) == (est.name, est.deterministic)


def test_plugin_object_declared_non_deterministic_gets_no_permutation_refits(xy) -> None:
    mibench.register("test-shrunk", _Shrunk(0.5), deterministic=False, replace=True)
    result = mibench.estimate_mi(*xy, "test-shrunk")
    assert result.permutations == 0 and result.p_value is None
    assert result.estimator == "test-shrunk"
    est = get_estimator("test-shrunk[factor=0.25]")
    assert not est.deterministic and "test-shrunk" in repr(est)
    x, y = xy
    expected = 0.25 * _corr_mi(x[:, None], y[:, None])
    assert clone(est).estimate(x, y).value == pytest.approx(expected)


def test_function_estimator_clones_with_its_function(xy) -> None:
    mibench.register("test-corr-fn", _corr_mi, replace=True)
    est = get_estimator("test-corr-fn")
    copy = clone(est)
    assert copy.estimate(*xy).value == est.estimate(*xy).value
    assert copy.name == "test-corr-fn" and "_corr_mi" in repr(copy)


def test_estimate_mi_leaves_the_callers_estimator_unchanged(xy) -> None:
    mine = get_estimator("mine[max_steps=20]")
    assert mine.get_params()["seed"] is None
    mibench.estimate_mi(*xy, mine)
    assert mine.get_params()["seed"] is None
    with pytest.raises(TypeError, match="estimator must be an Estimator"):
        clone(object())
