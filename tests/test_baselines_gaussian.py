"""Gaussian and Gaussian-copula baselines."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from mibench.baselines import GaussianCopulaMI, GaussianMI, gaussian_mi
from mibench.baselines.gaussian import normal_scores


def correlated(n: int, seed: int, dim_x: int, dim_y: int, rho: float = 0.5):
    """Equicorrelated Gaussian (every off-diagonal correlation rho) split into X and Y."""
    d = dim_x + dim_y
    cov = np.full((d, d), rho) + (1 - rho) * np.eye(d)
    z = np.random.default_rng(seed).multivariate_normal(np.zeros(d), cov, size=n)
    truth = 0.5 * (
        np.linalg.slogdet(cov[:dim_x, :dim_x])[1]
        + np.linalg.slogdet(cov[dim_x:, dim_x:])[1]
        - np.linalg.slogdet(cov)[1]
    )
    return z[:, :dim_x], z[:, dim_x:], truth


@pytest.mark.parametrize(("dim_x", "dim_y"), [(1, 1), (2, 2), (5, 3)])
def test_gaussian_baseline_is_accurate_for_gaussians(dim_x, dim_y):
    x, y, truth = correlated(20_000, seed=dim_x, dim_x=dim_x, dim_y=dim_y)
    assert GaussianMI().estimate(x, y).value == pytest.approx(truth, abs=0.02)


def test_gaussian_baseline_is_the_log_det_formula_of_the_sample_covariance():
    x, y, _ = correlated(300, seed=1, dim_x=2, dim_y=3)
    cov = np.cov(np.hstack([x, y]), rowvar=False)
    ref = 0.5 * (
        np.linalg.slogdet(cov[:2, :2])[1]
        + np.linalg.slogdet(cov[2:, 2:])[1]
        - np.linalg.slogdet(cov)[1]
    )
    assert gaussian_mi(x, y) == pytest.approx(ref, abs=1e-12)
    assert GaussianMI().estimate(1e6 * x + 3, y - 1e4).value == pytest.approx(ref, abs=1e-9)


def test_copula_is_invariant_to_monotone_maps_and_uses_normal_scores():
    x, y, truth = correlated(20_000, seed=2, dim_x=1, dim_y=1, rho=0.75)
    plain = GaussianMI().estimate(np.exp(x), y**3).value
    copula = GaussianCopulaMI().estimate(np.exp(x), y**3).value
    assert copula == pytest.approx(GaussianCopulaMI().estimate(x, y).value, abs=1e-12)
    assert copula == pytest.approx(truth, abs=0.02)
    assert abs(plain - truth) > 0.1  # the plain baseline only sees linear dependence
    scores = normal_scores(np.array([[3.0], [1.0], [2.0], [2.0]]))
    np.testing.assert_allclose(scores[:, 0], norm.ppf(np.array([4.0, 1.0, 2.5, 2.5]) / 5))


def test_constant_columns_are_dropped_with_a_warning():
    x, y, _ = correlated(500, seed=3, dim_x=2, dim_y=1)
    with_const = np.column_stack([x, np.full(500, 7.0)])
    with pytest.warns(RuntimeWarning, match="constant"):
        est = GaussianMI().estimate(with_const, y)
    assert est.value == pytest.approx(GaussianMI().estimate(x, y).value, abs=1e-12)
    assert est.extras["dropped_constant_columns"] == {"x": [2], "y": []}
    with pytest.warns(RuntimeWarning, match="constant"):
        assert GaussianMI().estimate(np.ones(500), y).value == 0.0


def test_singular_covariance_raises():
    x = np.random.default_rng(0).standard_normal((100, 2))
    with pytest.raises(ValueError, match="singular"):
        GaussianMI().estimate(x, 2 * x[:, :1] - x[:, 1:])
    with pytest.raises(ValueError, match=r"more samples than columns.*n=3 <= dim_x \+ dim_y = 3"):
        GaussianMI().estimate(x[:3], x[:3, :1] ** 2 + x[:3, 1:])  # 3 samples, 3 columns
