"""Registered names, defaults and the estimator contract of the baselines."""

from __future__ import annotations

import numpy as np
import pytest

from mibench import get_estimator, list_estimators
from mibench.baselines import KLMI, KSG, KSG2, LNC, GaussianCopulaMI, GaussianMI, Histogram

NAMES = {
    "ksg": KSG,
    "ksg2": KSG2,
    "kl": KLMI,
    "lnc": LNC,
    "histogram": Histogram,
    "gaussian": GaussianMI,
    "gaussian-copula": GaussianCopulaMI,
}


@pytest.mark.parametrize(("name", "cls"), NAMES.items())
def test_registered_names_build_their_classes(name, cls):
    assert name in list_estimators()
    est = get_estimator(name)
    assert type(est) is cls and cls.name == name
    assert cls.deterministic
    params = est.get_params()
    assert params["error_bar"] is None and params["seed"] is None
    rebuilt = cls(**params)
    assert rebuilt.get_params() == params


def test_defaults_named_by_the_issue():
    assert get_estimator("ksg").get_params() == {
        "k": 3,
        "norm": "max",
        "standardize": "zscore",
        "jitter": 0.0,
        "clip": False,
        "backend": "auto",
        "device": "cpu",
        "return_local": False,
        "error_bar": None,
        "seed": None,
    }
    assert get_estimator("histogram").binning == "equal-width"
    assert get_estimator("ksg[k=5, norm=euclidean]").get_params()["k"] == 5
    assert get_estimator("ksg[k=(1, 3, 10)]").estimate(np.arange(20.0), np.arange(20.0) ** 2).ok


@pytest.mark.parametrize("name", NAMES)
def test_every_baseline_estimates_a_bivariate_gaussian(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3000)
    y = 0.6 * x + 0.8 * rng.standard_normal(3000)
    est = get_estimator(name).estimate(x, y)
    assert est.ok and est.n_samples == 3000 and est.wall_seconds > 0
    assert est.value == pytest.approx(-0.5 * np.log(1 - 0.36), abs=0.06)
    assert est.extras["units"] == "nats"


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_names_the_argument(name):
    est = get_estimator(name)
    good = np.random.default_rng(0).standard_normal(50)
    with pytest.raises(ValueError, match="x"):
        est.estimate(np.r_[good[:-1], np.inf], good)
    with pytest.raises(ValueError, match="y"):
        est.estimate(good, np.r_[np.nan, good[1:]])
    with pytest.raises(ValueError, match="same number of samples"):
        est.estimate(good, good[:-1])
    with pytest.raises(ValueError, match="y must not be empty"):
        est.estimate(good, np.empty((50, 0)))


def _correlated_pair(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    y = 0.6 * x[:, :1] + 0.5 * x[:, 1:] + 0.6 * rng.standard_normal((n, 1))
    return x, y


@pytest.mark.parametrize("name", ["ksg", "ksg2", "kl", "lnc", "gaussian", "gaussian-copula"])
def test_linearly_dependent_columns_are_dropped_with_a_warning(name):
    # I((X1, X2, 2 X1 − X2); Y) = I((X1, X2); Y): the third column is a function of the others.
    # Before, KL and LNC gave a wrong value here without a word (its entropy is −∞).
    x, y = _correlated_pair()
    est = get_estimator(name)
    # A repeated column, scaled: the estimate is that of the single column.
    with pytest.warns(RuntimeWarning, match="linear combinations"):
        repeated = est.estimate(np.column_stack([x[:, 0], -3 * x[:, 0]]), y)
    assert repeated.value == pytest.approx(est.estimate(x[:, 0], y).value, abs=1e-9)
    if name == "gaussian-copula":
        return  # its normal scores of 2 X1 − X2 are no linear combination of X1's and X2's
    extended = np.column_stack([x, 2 * x[:, 0] - x[:, 1]])
    with pytest.warns(RuntimeWarning, match=r"column\(s\) \[2\].*linear combinations"):
        result = est.estimate(extended, y)
    assert result.value == pytest.approx(est.estimate(x, y).value, abs=1e-9)
    key = (
        "dependent_columns" if name in ("ksg", "ksg2", "kl", "lnc") else "dropped_dependent_columns"
    )
    assert result.extras[key] == {"x": [2], "y": []}


@pytest.mark.parametrize("name", ["ksg", "ksg2", "kl", "lnc", "gaussian", "gaussian-copula"])
@pytest.mark.parametrize("scale", [1e300, 1e-200])
def test_extreme_scales_give_the_unscaled_estimate(name, scale):
    # z-scores and correlations are scale free; before, 1e300 overflowed (KSG answered 0,
    # "constant") and 1e±200 broke the Gaussian baseline's correlation matrix.
    x, y = _correlated_pair()
    est = get_estimator(name)
    assert est.estimate(x * scale, y * scale).value == pytest.approx(
        est.estimate(x, y).value, abs=1e-9
    )
