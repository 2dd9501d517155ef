"""Histogram estimator: bin rules, equal-width/equal-frequency bins, plug-in, Miller–Madow."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from mibench.baselines import Histogram, discrete_mi
from mibench.baselines.binning import bin_count, bin_labels


def gaussian_pair(rho: float, n: int, seed: int, dim: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    return x, rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dim))


def test_plugin_bias_at_independence_with_equal_frequency_bins():
    n = 10_000
    values = [
        Histogram(bins=10, binning="equal-frequency").estimate(*gaussian_pair(0.0, n, s)).value
        for s in range(20)
    ]
    expected = 81 / (2 * n)  # (B_x − 1)(B_y − 1)/(2N)
    assert abs(np.mean(values) - expected) < 0.2 * expected


def test_discrete_mi_matches_sklearn_and_miller_madow_formula():
    rng = np.random.default_rng(0)
    lx = rng.integers(0, 6, 3000)
    ly = (lx + rng.integers(0, 3, 3000)) % 7
    plugin = discrete_mi(lx, ly)
    assert plugin == pytest.approx(mutual_info_score(lx, ly), abs=1e-12)
    m_x, m_y = len(set(lx)), len(set(ly))
    m_xy = len(set(zip(lx.tolist(), ly.tolist(), strict=True)))
    mm = discrete_mi(lx, ly, correction="miller-madow")
    assert mm == pytest.approx(plugin + (m_x + m_y - m_xy - 1) / (2 * 3000), abs=1e-12)
    with pytest.raises(ValueError, match="labels_x and labels_y"):
        discrete_mi(lx, ly[:-1])
    with pytest.raises(ValueError, match="correction"):
        discrete_mi(lx, ly, correction="jackknife")


def test_miller_madow_reduces_the_bias_at_independence():
    pairs = [gaussian_pair(0.0, 2000, seed=s) for s in range(10)]
    plugin = np.mean([Histogram(bins=10).estimate(x, y).value for x, y in pairs])
    mm = np.mean([Histogram(bins=10, correction="miller-madow").estimate(*p).value for p in pairs])
    assert plugin > 0.015 and abs(mm) < plugin / 4


def test_bin_rules():
    col = np.random.default_rng(0).standard_normal(1000)
    assert bin_count(col, 7) == 7
    assert bin_count(col, "sturges") == math.ceil(math.log2(1000)) + 1
    assert bin_count(col, "sqrt") == math.ceil(math.sqrt(1000))
    assert bin_count(col, "auto") == bin_count(col, "sturges")  # one column: Sturges
    assert bin_count(col, "auto", n_columns=2) == 11  # min(11, floor(sqrt(1000)) = 31)
    assert bin_count(col, "auto", n_columns=6) == 3  # floor(1000 ** (1/6)) = 3
    assert bin_count(col, "auto", n_columns=20) == 2  # never below 2
    q1, q3 = np.quantile(col, [0.25, 0.75])
    width = 2 * (q3 - q1) / 1000 ** (1 / 3)
    assert bin_count(col, "fd") == math.ceil((col.max() - col.min()) / width)
    assert bin_count(np.r_[np.zeros(900), np.arange(100.0)], "fd") == 11  # IQR 0: Sturges


def test_bin_labels_equal_width_and_equal_frequency():
    col = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 10.0])
    np.testing.assert_array_equal(bin_labels(col, 2, "equal-width"), [0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(bin_labels(col, 2, "equal-frequency"), [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(bin_labels(np.full(4, 2.0), 3, "equal-width"), [2, 2, 2, 2])


def test_equal_frequency_is_invariant_to_monotone_maps_equal_width_is_default():
    x, y = gaussian_pair(0.7, 3000, seed=2)
    ef = Histogram(bins=8, binning="equal-frequency")
    base = ef.estimate(x, y).value
    assert ef.estimate(np.exp(x), y**3).value == pytest.approx(base, abs=1e-12)
    assert Histogram().binning == "equal-width" and Histogram().bins == "auto"
    assert Histogram().estimate(np.exp(x), y**3).value != pytest.approx(base, abs=1e-3)


def test_multivariate_joint_binning_and_cell_limit():
    x, y = gaussian_pair(0.6, 20_000, seed=3, dim=2)
    est = Histogram(bins=8, correction="miller-madow").estimate(x, y)
    assert est.extras["cells"] == 8**4 and est.extras["bins_x"] == [8, 8]
    assert est.value == pytest.approx(-np.log(1 - 0.36), abs=0.15)
    with pytest.raises(ValueError, match=r"1\.68e\+07 cells.*max_cells=1000000"):
        Histogram(bins=8).estimate(*gaussian_pair(0.5, 100, seed=0, dim=4))
    assert np.isfinite(Histogram(bins=8, max_cells=10**8).estimate(x, y).value)


def test_histogram_is_close_for_a_bivariate_gaussian():
    x, y = gaussian_pair(0.6, 10_000, seed=4)
    est = Histogram(bins=20, binning="equal-frequency", correction="miller-madow").estimate(x, y)
    assert est.value == pytest.approx(-0.5 * np.log(1 - 0.36), abs=0.03)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"bins": 0}, "bins"),
        ({"bins": "scott"}, "bins"),
        ({"binning": "kmeans"}, "binning"),
        ({"correction": "nsb"}, "correction"),
        ({"max_cells": 0}, "max_cells"),
    ],
)
def test_bad_hyperparameters_raise_naming_them(params, name):
    with pytest.raises(ValueError, match=name):
        Histogram(**params)
