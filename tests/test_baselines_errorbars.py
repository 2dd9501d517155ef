"""Error bars by subsampling (Holmes & Nemenman 2019); the bootstrap refused for kNN estimators."""

from __future__ import annotations

import numpy as np
import pytest

from mibench.baselines import KLMI, KSG, KSG2, LNC, GaussianCopulaMI, GaussianMI, Histogram
from mibench.baselines.errorbars import subsampling_stderr


def gaussian_pair(rho: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x, rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)


def test_subsampling_sd_matches_the_sd_over_independent_datasets():
    n, rho = 1000, 0.6
    spread = np.std(
        [KSG().estimate(*gaussian_pair(rho, n, 1000 + s)).value for s in range(100)], ddof=1
    )
    stderrs = [
        KSG(error_bar="subsampling", seed=s).estimate(*gaussian_pair(rho, n, s)).stderr
        for s in range(10)
    ]
    assert abs(np.mean(stderrs) - spread) < 0.3 * spread


def test_subsampling_pools_the_split_variances():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 1)), rng.standard_normal((40, 1))

    def value(a, b):
        return float(a.mean())  # the sample mean: variance 1/n exactly

    se, details = subsampling_stderr(value, x, y, np.random.default_rng(1), min_part=2)
    assert details["splits"] == list(range(2, 11))
    assert se == pytest.approx(np.sqrt(1 / 40), rel=0.5)
    se_min, details = subsampling_stderr(value, x, y, np.random.default_rng(1), min_part=10)
    assert details["splits"] == [2, 3, 4]
    with pytest.raises(ValueError, match="n=40"):
        subsampling_stderr(value, x, y, np.random.default_rng(1), min_part=21)


@pytest.mark.parametrize(
    "estimator",
    [KSG(), KSG2(), KLMI(), LNC(), Histogram(), GaussianMI(), GaussianCopulaMI()],
    ids=lambda e: type(e).__name__,
)
def test_every_estimator_offers_subsampling_error_bars(estimator):
    x, y = gaussian_pair(0.6, 2000, seed=0)
    assert estimator.estimate(x, y).stderr is None
    estimator.set_params(error_bar="subsampling", seed=3)
    est = estimator.estimate(x, y)
    again = estimator.estimate(x, y)
    assert 0.003 < est.stderr < 0.1
    assert again.stderr == est.stderr  # seeded
    assert est.extras["error_bar"]["method"] == "subsampling"


@pytest.mark.parametrize("cls", [KSG, KSG2, KLMI, LNC])
def test_bootstrap_is_refused_for_knn_estimators(cls):
    with pytest.raises(ValueError, match=r"error_bar='bootstrap'.*duplicated points.*subsampling"):
        cls(error_bar="bootstrap")
    est = cls()
    est.set_params(error_bar="bootstrap")
    with pytest.raises(ValueError, match="bootstrap"):
        est.estimate(*gaussian_pair(0.5, 200, seed=0))


@pytest.mark.parametrize("cls", [Histogram, GaussianMI, GaussianCopulaMI])
def test_bootstrap_is_available_for_binning_and_gaussian(cls):
    x, y = gaussian_pair(0.6, 2000, seed=1)
    boot = cls(error_bar="bootstrap").estimate(x, y)
    sub = cls(error_bar="subsampling").estimate(x, y)
    assert boot.extras["error_bar"] == {"method": "bootstrap", "resamples": 200}
    assert boot.stderr == pytest.approx(sub.stderr, rel=0.5)


def test_subsampling_needs_enough_samples():
    with pytest.raises(ValueError, match="n=7"):
        KSG(k=3, error_bar="subsampling").estimate(*gaussian_pair(0.5, 7, seed=0))
