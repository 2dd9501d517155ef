"""Kozachenko–Leonenko entropy, the three-entropy MI estimator, and LNC."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import digamma

from mibench.baselines import KLMI, KSG, LNC, kl_entropy
from mibench.baselines import lnc as lnc_module
from mibench.baselines.kl import log_unit_ball_volume
from mibench.baselines.lnc import adaptive_k, default_alpha


def gaussian_pair(rho: float, n: int, seed: int, dim: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    return x, rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dim))


# --- Kozachenko–Leonenko ------------------------------------------------------------------


@pytest.mark.parametrize("norm", ["max", "euclidean"])
@pytest.mark.parametrize("d", [1, 2, 4])
def test_kl_entropy_of_a_gaussian(norm, d):
    a = np.random.default_rng(d).standard_normal((5000, d))
    truth = 0.5 * d * np.log(2 * np.pi * np.e)
    assert kl_entropy(a, k=3, norm=norm) == pytest.approx(truth, abs=0.03 * d)


def test_kl_entropy_of_a_uniform_box_and_its_scaling():
    a = np.random.default_rng(0).uniform(size=(5000, 2)) * np.array([2.0, 3.0])
    h = kl_entropy(a)
    assert h == pytest.approx(np.log(6.0), abs=0.05)
    assert kl_entropy(10.0 * a) == pytest.approx(h + 2 * np.log(10.0), abs=1e-9)


def test_kl_entropy_matches_the_formula_and_backends_agree():
    a = np.random.default_rng(1).standard_normal((400, 3))
    dist = np.sqrt(((a[:, None] - a[None]) ** 2).sum(-1))
    np.fill_diagonal(dist, np.inf)
    eps = np.sort(dist, axis=1)[:, 4]  # k = 5
    ref = -digamma(5) + digamma(400) + log_unit_ball_volume(3, "euclidean") + 3 * np.log(eps).mean()
    for backend in ("kdtree", "brute"):
        assert kl_entropy(a, k=5, norm="euclidean", backend=backend) == pytest.approx(
            ref, abs=1e-12
        )
    assert log_unit_ball_volume(2, "euclidean") == pytest.approx(np.log(np.pi))
    assert log_unit_ball_volume(3, "max") == pytest.approx(np.log(8.0))


def test_kl_entropy_errors_name_the_argument():
    a = np.random.default_rng(0).standard_normal(10)
    with pytest.raises(ValueError, match="k=10"):
        kl_entropy(a, k=10)
    with pytest.raises(ValueError, match="a has duplicated samples.*jitter"):
        kl_entropy(np.repeat(a, 5), k=3)
    with pytest.raises(ValueError, match="a must be finite"):
        kl_entropy(np.append(a, np.nan))
    with pytest.raises(ValueError, match="norm"):
        kl_entropy(a, norm="l1")


def test_three_entropy_mi_is_accurate_and_differs_from_ksg():
    x, y = gaussian_pair(0.6, 5000, seed=2, dim=2)
    truth = -np.log(1 - 0.36)
    kl = KLMI().estimate(x, y)
    assert kl.value == pytest.approx(truth, abs=0.1)  # more biased than KSG
    assert kl.value == pytest.approx(kl.extras["h_x"] + kl.extras["h_y"] - kl.extras["h_xy"])
    assert abs(kl.value - KSG().estimate(x, y).value) > 1e-3  # a different estimator
    assert KLMI(backend="brute").estimate(x, y).value == pytest.approx(kl.value, abs=1e-12)


def test_three_entropy_mi_refuses_duplicates_unless_jittered():
    x, y = gaussian_pair(0.5, 500, seed=0)
    x, y = np.round(x), np.round(y)
    with pytest.raises(ValueError, match="identical.*jitter"), pytest.warns(RuntimeWarning):
        KLMI().estimate(x, y)
    assert np.isfinite(KLMI(jitter=1e-10).estimate(x, y).value)


# --- LNC ------------------------------------------------------------------------------------


def test_lnc_recovers_strong_dependence_where_ksg_is_capped():
    n, k = 1000, 5
    values, ksg = [], []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(n)
        y = x + 1e-4 * rng.standard_normal(n)
        values.append(LNC(k=k).estimate(x, y).value)
        ksg.append(KSG(k=k).estimate(x, y).value)
    truth = 0.5 * np.log(1 + 1e8)  # 9.21 nats
    assert abs(np.mean(values) - truth) < 0.2
    cap = digamma(n) - digamma(k + 1)
    assert max(ksg) <= cap and np.mean(ksg) < 5.7  # KSG cannot get there


def test_lnc_leaves_weak_dependence_near_ksg2():
    x, y = gaussian_pair(0.3, 3000, seed=1)
    est = LNC().estimate(x, y)
    assert est.value == pytest.approx(-0.5 * np.log(1 - 0.09), abs=0.05)
    assert est.extras["correction"] < 0.02
    assert est.value == pytest.approx(est.extras["ksg2_value"] + est.extras["correction"])


def test_lnc_backends_agree_and_multivariate_works():
    x, y = gaussian_pair(0.9, 1000, seed=3, dim=2)
    kd = LNC(k=6, backend="kdtree").estimate(x, y)
    bf = LNC(k=6, backend="brute").estimate(x, y)
    assert kd.value == pytest.approx(bf.value, abs=1e-10)
    assert kd.value == pytest.approx(-np.log(1 - 0.81), abs=0.2)


def test_lnc_checks_k_against_the_dimension_and_alpha():
    x, y = gaussian_pair(0.5, 100, seed=0, dim=3)
    with pytest.raises(ValueError, match="k=5"):
        LNC(k=5).estimate(x, y)
    for alpha in (0.0, 1.5, -1.0):
        with pytest.raises(ValueError, match="alpha"):
            LNC(alpha=alpha)
    with pytest.raises(ValueError, match="bootstrap"):
        LNC(error_bar="bootstrap")


def test_lnc_default_alpha_is_calibrated_on_uniform_neighbourhoods():
    assert 0.2 < default_alpha(5, 1, 1) < 0.35  # near the authors' fixed 0.25 for d = 2
    assert default_alpha(6, 2, 2) < 0.1  # a fixed 0.25 would correct 18% of uniform ones
    x, y = gaussian_pair(0.0, 2000, seed=4, dim=2)
    est = LNC(k=6).estimate(x, y)
    assert est.extras["alpha_rule"] == "calibrated α_{k,d}"
    assert est.extras["corrected_fraction"] < 0.02 and est.extras["correction"] < 0.04
    assert abs(est.value) < 0.08
    assert LNC(k=6, alpha=0.25).estimate(x, y).extras["corrected_fraction"] > 0.1


def test_lnc_adaptive_k_runs_where_k5_cannot():
    x, y = gaussian_pair(0.5, 2000, seed=5, dim=3)  # d = 6 > 5: k = 5 is refused
    truth = -3 * 0.5 * np.log(1 - 0.25)
    est = LNC().estimate(x, y)  # the default is the adaptive k
    assert est.extras["k"] == adaptive_k(3, 3) == 7
    assert est.extras["k_rule"] == "max(5, dim_x + dim_y + 1)"
    assert est.value == pytest.approx(truth, abs=0.1)
    assert est.value == pytest.approx(LNC(k=7).estimate(x, y).value, abs=1e-12)
    assert adaptive_k(1, 1) == adaptive_k(2, 2) == 5
    assert LNC(k=None).required_samples(3, 3) == 8
    assert LNC().get_params()["k"] is None
    assert LNC(k=None).estimate(x, y).value == est.value


def test_lnc_adaptive_k_names_the_rule_when_n_is_too_small():
    x, y = gaussian_pair(0.5, 60, seed=0, dim=30)  # adaptive k = 61 >= n
    with pytest.raises(ValueError, match=r"n=60 .* k=61 = max\(5, dim_x \+ dim_y \+ 1\)"):
        LNC(k=None).estimate(x, y)


def test_lnc_correction_does_not_depend_on_the_chunk_size(monkeypatch):
    x, y = gaussian_pair(0.9, 500, seed=6, dim=2)
    whole = LNC(k=6).estimate(x, y)
    monkeypatch.setattr(lnc_module, "_CHUNK_ENTRIES", 6 * 4 * 7)  # 7 rows per chunk
    assert lnc_module._rows_per_chunk(6, 4) == 7
    chunked = LNC(k=6).estimate(x, y)
    assert chunked.value == whole.value
    assert chunked.extras["corrected_fraction"] == whole.extras["corrected_fraction"]
