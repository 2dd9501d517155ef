"""Kernel density (KDE) baseline: values against scikit-learn, brute force and the truth."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from mibench.baselines import KDE
from mibench.baselines.kde import gaussian_kde_log_density, kde_bandwidth
from mibench.registry import get_estimator
from mibench.tasks import get_task
from mibench.testing import check_estimator


def sample(n: int, seed: int, dim_x: int = 2, dim_y: int = 2, rho: float = 0.6):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim_x))
    y = rho * x[:, :1] + math.sqrt(1 - rho**2) * rng.standard_normal((n, dim_y))
    return x, y


def sklearn_reference(x, y, bandwidth="scott"):
    """bmi's KDEMutualInformationEstimator(kernel_xy="gaussian") written out: StandardScaler
    on x and on y, one scikit-learn KernelDensity per density, scored on its own samples."""
    neighbors = pytest.importorskip("sklearn.neighbors")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    x = preprocessing.StandardScaler().fit_transform(x)
    y = preprocessing.StandardScaler().fit_transform(y)

    def entropy(z):
        kde = neighbors.KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(z)
        return -np.mean(kde.score_samples(z))

    return entropy(x) + entropy(y) - entropy(np.hstack([x, y]))


@pytest.mark.parametrize("bandwidth", ["scott", "silverman", 0.3])
def test_resubstitution_agrees_with_sklearn_kernel_density(bandwidth):
    x, y = sample(400, seed=1, dim_x=2, dim_y=3)
    value = KDE(bandwidth=bandwidth).estimate(x, y).value
    assert value == pytest.approx(sklearn_reference(x, y, bandwidth), rel=1e-10)


def test_one_dimensional_density_agrees_with_scipy_gaussian_kde():
    """In 1-D the isotropic kernel is gaussian_kde's with factor h / sd (ddof = 1)."""
    from scipy.stats import gaussian_kde

    z = np.random.default_rng(3).standard_normal((300, 1))
    h = 0.4
    ref = gaussian_kde(z[:, 0], bw_method=h / z[:, 0].std(ddof=1)).logpdf(z[:, 0])
    np.testing.assert_allclose(gaussian_kde_log_density(z, h), ref, rtol=1e-10)


def test_leave_one_out_agrees_with_a_brute_force_loop():
    x, y = sample(40, seed=2)
    zx = (x - x.mean(0)) / x.std(0)
    zy = (y - y.mean(0)) / y.std(0)
    n = x.shape[0]

    def loo_entropy(z):
        h = n ** (-1.0 / (z.shape[1] + 4))
        total = 0.0
        for i in range(n):
            dens = 0.0
            for j in range(n):
                if j != i:
                    u = z[i] - z[j]
                    dens += math.exp(-(u @ u) / (2 * h * h)) / (2 * math.pi * h * h) ** (
                        z.shape[1] / 2
                    )
            total -= math.log(dens / (n - 1))
        return total / n

    ref = loo_entropy(zx) + loo_entropy(zy) - loo_entropy(np.hstack([zx, zy]))
    assert KDE(leave_one_out=True).estimate(x, y).value == pytest.approx(ref, rel=1e-10)


def test_chunking_does_not_change_the_densities():
    z = np.random.default_rng(4).standard_normal((101, 3))
    for loo in (False, True):
        whole = gaussian_kde_log_density(z, 0.5, leave_one_out=loo)
        chunked = gaussian_kde_log_density(z, 0.5, leave_one_out=loo, chunk_elements=7 * 101)
        np.testing.assert_allclose(chunked, whole, rtol=1e-12)


def test_value_near_the_truth_on_a_gaussian_task():
    """multinormal-dense-2-2-0.5, n = 2000, seed 0: I = 0.294 nats. Resubstitution is biased
    upward (0.373, the self kernel), leave-one-out downward (0.260, the smoothing)."""
    task = get_task("multinormal-dense-2-2-0.5")
    x, y = task.sample(2000, seed=0)
    resub = KDE().estimate(x, y).value
    loo = KDE(leave_one_out=True).estimate(x, y).value
    assert resub == pytest.approx(task.mi, abs=0.1)
    assert loo == pytest.approx(task.mi, abs=0.06)
    assert loo < task.mi < resub


def test_bandwidth_rules():
    assert kde_bandwidth(1000, 2, "scott") == pytest.approx(1000 ** (-1 / 6))
    assert kde_bandwidth(1000, 2, "silverman") == pytest.approx(1000 ** (-1 / 6))  # (d+2)/4 = 1
    assert kde_bandwidth(1000, 3, "silverman") == pytest.approx((1000 * 5 / 4) ** (-1 / 7))
    assert kde_bandwidth(1000, 3, 0.25) == 0.25
    x, y = sample(300, seed=5, dim_x=1, dim_y=2)
    extras = KDE().estimate(x, y).extras
    assert extras["h_x"] == pytest.approx(300 ** (-1 / 5))
    assert extras["h_y"] == pytest.approx(300 ** (-1 / 6))
    assert extras["h_xy"] == pytest.approx(300 ** (-1 / 7))
    fixed = KDE(bandwidth=0.4).estimate(x, y).extras
    assert fixed["h_x"] == fixed["h_y"] == fixed["h_xy"] == 0.4
    # A wider kernel smooths the dependence away.
    assert KDE(bandwidth=5.0).estimate(x, y).value < KDE().estimate(x, y).value


@pytest.mark.parametrize("bad", ["scot", 0, -1.0, math.inf, math.nan, True, None, "0.5"])
def test_bad_bandwidth_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="bandwidth"):
        KDE(bandwidth=bad)


def test_other_bad_hyperparameters_are_refused_by_name():
    with pytest.raises(ValueError, match="leave_one_out"):
        KDE(leave_one_out=1)
    with pytest.raises(ValueError, match="standardize"):
        KDE(standardize="rank")
    with pytest.raises(ValueError, match="error_bar"):
        KDE(error_bar="bootstrap")
    with pytest.raises(ValueError, match="error_bar"):
        KDE().estimate(*sample(50, seed=0), error_bar="bootstrap")


def test_check_estimator_passes():
    check_estimator("kde")
    check_estimator(KDE(leave_one_out=True, bandwidth="silverman"))


def test_registered_with_its_defaults():
    est = get_estimator("kde")
    assert isinstance(est, KDE)
    assert est.get_params() == {
        "bandwidth": "scott",
        "leave_one_out": False,
        "standardize": "zscore",
        "error_bar": None,
        "seed": None,
    }


def test_standardised_value_is_invariant_to_scaling_a_column():
    x, y = sample(300, seed=6)
    scaled = x * np.array([1e6, 1.0]) + np.array([3.0, -7.0])
    for loo in (False, True):
        a = KDE(leave_one_out=loo).estimate(x, y).value
        b = KDE(leave_one_out=loo).estimate(scaled, y * 1e-4).value
        assert b == pytest.approx(a, rel=1e-9)
    # Without standardisation the kernel sd is in data units, so scale matters.
    raw = KDE(standardize="none")
    assert raw.estimate(scaled, y).value != pytest.approx(raw.estimate(x, y).value, rel=1e-3)


def test_constant_column_is_dropped_with_a_warning():
    x, y = sample(300, seed=7)
    with_const = np.hstack([x, np.full((300, 1), 2.5)])
    with pytest.warns(RuntimeWarning, match="constant column"):
        est = KDE().estimate(with_const, y)
    assert est.value == pytest.approx(KDE().estimate(x, y).value, rel=1e-12)
    assert est.extras["dropped_constant_columns"] == {"x": [2], "y": []}
    with pytest.warns(RuntimeWarning, match="constant column"):
        zero = KDE().estimate(np.ones((300, 2)), y)
    assert zero.value == 0.0
    assert "constant" in zero.message


@pytest.mark.parametrize("loo", [False, True])
def test_duplicate_points_warn_and_bias_upward(loo):
    x, y = sample(500, seed=8)
    single = KDE(leave_one_out=loo).estimate(x, y).value
    with pytest.warns(RuntimeWarning, match="exact copies"):
        doubled = KDE(leave_one_out=loo).estimate(np.vstack([x, x]), np.vstack([y, y]))
    assert doubled.extras["repeated_points"] == 1000
    assert np.isfinite(doubled.value)
    assert doubled.value > single
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert KDE(leave_one_out=loo).estimate(x, y).extras["repeated_points"] == 0


def test_leave_one_out_with_two_samples_is_finite():
    x = np.array([[0.0], [1.0]])
    y = np.array([[0.0], [2.0]])
    assert np.isfinite(KDE(leave_one_out=True).estimate(x, y).value)


def test_subsampling_error_bar():
    x, y = sample(1000, seed=9)
    est = KDE(error_bar="subsampling").estimate(x, y)
    assert est.stderr > 0
    assert est.ci_low <= est.value <= est.ci_high


def test_a_duplicated_column_is_dropped_with_a_warning():
    x, y = get_task("1v1-normal-0.75").sample(500, seed=0)
    plain = KDE().estimate(x, y).value
    with pytest.warns(RuntimeWarning, match="linear combinations"):
        doubled = KDE().estimate(np.c_[x, 2 * x + 1], y)
    assert doubled.value == pytest.approx(plain, rel=1e-12)
    assert doubled.extras["dropped_dependent_columns"] == {"x": [1], "y": []}
