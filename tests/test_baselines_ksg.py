"""KSG-1 and KSG-2: exact agreement with scikit-learn, backends, invariances, ties, accuracy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import digamma
from sklearn.feature_selection._mutual_info import _compute_mi_cc

from mibench import Estimate
from mibench.baselines import KLMI, KSG, KSG2, LNC, discrete_mi
from mibench.baselines.ksg import ksg_local_terms
from mibench.baselines.neighbors import _counter, joint_neighbours


def gaussian_pair(rho: float, n: int, seed: int, dim: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``dim`` independent pairs (X_i, Y_i) with correlation rho; MI = −(dim/2) ln(1 − rho²)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dim))
    return x, y


def true_mi(rho: float, dim: int = 1) -> float:
    return -0.5 * dim * np.log(1 - rho**2)


# --- exact reference -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "k"), [(20, 1), (20, 10), (100, 3), (500, 7), (2000, 5), (10_000, 3), (100_000, 3)]
)
def test_clipped_ksg1_equals_sklearn_compute_mi_cc(n, k):
    x, y = gaussian_pair(0.5, n, seed=n + k)
    ours = KSG(k=k, standardize="none", clip=True).estimate(x, y).value
    assert ours == pytest.approx(_compute_mi_cc(x[:, 0], y[:, 0], k), abs=1e-10)


def test_clip_only_changes_negative_values():
    x, y = gaussian_pair(0.0, 300, seed=5)
    raw = KSG(standardize="none").estimate(x, y)
    clipped = KSG(standardize="none", clip=True).estimate(x, y)
    assert raw.value < 0  # this seed gives a negative KSG-1 value at independence
    assert clipped.value == 0.0
    assert clipped.extras["unclipped_value"] == raw.value
    assert _compute_mi_cc(x[:, 0], y[:, 0], 3) == 0.0


@pytest.mark.parametrize("k", [1, 3, 10])
def test_ksg1_never_exceeds_its_cap_without_ties(k):
    n = 1000
    rng = np.random.default_rng(k)
    x = rng.standard_normal(n)
    for y in (x + 1e-6 * rng.standard_normal(n), x**3, np.exp(x)):
        est = KSG(k=k, return_local=True).estimate(x, y)
        cap = digamma(n) - digamma(k + 1)
        assert est.value <= cap + 1e-12
        assert est.extras["local"][k].max() <= cap + 1e-12
    # nearly deterministic data come close to the cap
    assert KSG(k=k).estimate(x, x + 1e-9 * rng.standard_normal(n)).value > cap - 0.1


def test_local_terms_average_to_the_estimate_and_match_the_formula():
    x, y = gaussian_pair(0.6, 500, seed=3)
    for cls, variant in ((KSG, 1), (KSG2, 2)):
        est = cls(k=4, return_local=True).estimate(x, y)
        local = est.extras["local"][4]
        assert local.shape == (500,)
        assert local.mean() == pytest.approx(est.value, abs=1e-12)
        assert est.extras["variant"] == variant


# --- brute-force reference of the definitions ------------------------------------------------


def reference_ksg(x, y, k, variant, norm="max"):
    """Direct O(n²) transcription of Kraskov et al. (2004), eqs. (8) and (9)."""

    def block(a):
        diff = a[:, None, :] - a[None, :, :]
        return np.abs(diff).max(-1) if norm == "max" else np.sqrt((diff**2).sum(-1))

    n = x.shape[0]
    dx, dy = block(x), block(y)
    np.fill_diagonal(dx, np.inf)
    np.fill_diagonal(dy, np.inf)
    joint = np.maximum(dx, dy)
    nb = np.argsort(joint, axis=1, kind="stable")[:, :k]
    rows = np.arange(n)[:, None]
    if variant == 1:
        eps = joint[rows, nb[:, -1:]]
        nx, ny = (dx < eps).sum(1), (dy < eps).sum(1)
        return digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1))
    ex = dx[rows, nb].max(1, keepdims=True)
    ey = dy[rows, nb].max(1, keepdims=True)
    nx, ny = (dx <= ex).sum(1), (dy <= ey).sum(1)
    return digamma(k) - 1 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny))


@pytest.mark.parametrize("cls", [KSG, KSG2])
@pytest.mark.parametrize(
    ("dim_x", "dim_y", "norm"), [(1, 1, "max"), (2, 3, "max"), (3, 2, "euclidean")]
)
def test_matches_direct_transcription_of_the_formulas(cls, dim_x, dim_y, norm):
    rng = np.random.default_rng(dim_x * 10 + dim_y)
    x = rng.standard_normal((300, dim_x))
    y = x[:, :1] + rng.standard_normal((300, dim_y))
    for k in (1, 4):
        ours = cls(k=k, norm=norm, standardize="none").estimate(x, y).value
        assert ours == pytest.approx(reference_ksg(x, y, k, cls.variant, norm), abs=1e-12)


@pytest.mark.parametrize("cls", [KSG, KSG2])
@pytest.mark.parametrize(("dim_x", "dim_y"), [(1, 1), (1, 3), (2, 2), (4, 1)])
def test_kdtree_and_brute_backends_agree(cls, dim_x, dim_y):
    rng = np.random.default_rng(dim_x + 7 * dim_y)
    x = rng.standard_normal((700, dim_x)) * np.array([1e-6, 1.0, 1e6, 3.0])[:dim_x]
    y = np.sin(x[:, :1]) + rng.standard_normal((700, dim_y))
    kd = cls(k=(2, 5), backend="kdtree", standardize="none").estimate(x, y)
    bf = cls(k=(2, 5), backend="brute", standardize="none").estimate(x, y)
    assert kd.extras["backend"] == "kdtree" and bf.extras["backend"] == "brute"
    assert kd.device is None and bf.device == "cpu"
    assert kd.extras["per_k"] == bf.extras["per_k"]  # bit for bit


def test_backends_agree_on_counts_with_ties_for_ksg1():
    rng = np.random.default_rng(11)
    x = np.round(rng.standard_normal((400, 1)) * 2)  # heavy ties
    y = np.round(rng.standard_normal((400, 2)) * 3) + 1e10
    a = joint_neighbours(x, y, (1, 3, 8), strict=True, norm="max", backend="kdtree", device="cpu")
    b = joint_neighbours(x, y, (1, 3, 8), strict=True, norm="max", backend="brute", device="cpu")
    for k in (1, 3, 8):
        for field in ("eps_x", "eps_y", "n_x", "n_y"):
            np.testing.assert_array_equal(getattr(a.counts[k], field), getattr(b.counts[k], field))


@pytest.mark.parametrize("strict", [True, False])
def test_multidimensional_marginal_counts_equal_the_exact_test_at_radii_that_tie(strict):
    rng = np.random.default_rng(2)
    a = np.vstack([np.round(rng.standard_normal((300, 3)) * 2), rng.standard_normal((300, 3))])
    d = np.abs(a[:, None, :] - a[None, :, :]).max(axis=2)
    np.fill_diagonal(d, np.inf)
    # radii equal to a distance that occurs (ties on the boundary), 0, and in between
    radii = np.sort(d, axis=1)[np.arange(600), rng.integers(0, 40, 600)]
    radii[:50] = 0.0
    radii[50:100] *= 1.0 + 1e-9
    expected = (d < radii[:, None]).sum(1) if strict else (d <= radii[:, None]).sum(1)
    np.testing.assert_array_equal(_counter(a).count(radii, strict), expected)


def test_brute_backend_gives_the_same_values_on_one_and_on_several_threads():
    torch = pytest.importorskip("torch")
    x, y = gaussian_pair(0.5, 900, seed=4, dim=3)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = KSG(k=(1, 4), backend="brute").estimate(x, y).extras["per_k"]
        torch.set_num_threads(3)
        several = KSG(k=(1, 4), backend="brute").estimate(x, y).extras["per_k"]
    finally:
        torch.set_num_threads(threads)
    assert one == several  # bit for bit


def test_kdtree_backend_refuses_multidimensional_euclidean_blocks():
    x, y = gaussian_pair(0.5, 100, seed=0, dim=2)
    with pytest.raises(ValueError, match="backend"):
        KSG(norm="euclidean", backend="kdtree").estimate(x, y)
    assert KSG(norm="euclidean").estimate(x, y).extras["backend"] == "brute"


def test_several_k_from_one_search_equal_separate_runs():
    x, y = gaussian_pair(0.7, 2000, seed=5)
    for cls in (KSG, KSG2):
        many = cls(k=(3, 1, 10)).estimate(x, y)
        assert many.extras["k"] == 3 and many.value == many.extras["per_k"][3]
        for k in (1, 3, 10):
            assert many.extras["per_k"][k] == cls(k=k).estimate(x, y).value


# --- invariances and scale -----------------------------------------------------------------


@pytest.mark.parametrize("standardize", ["zscore", "rank"])
def test_invariant_to_permutation_swap_and_affine_maps(standardize):
    x, y = gaussian_pair(0.8, 1000, seed=21)
    est = KSG(standardize=standardize)
    base = est.estimate(x, y).value
    perm = np.random.default_rng(0).permutation(1000)
    assert est.estimate(x[perm], y[perm]).value == pytest.approx(base, abs=1e-9)
    assert est.estimate(y, x).value == pytest.approx(base, abs=1e-9)
    sd = x.std()
    for a in (1e-8, 1e-3, 1.0, 1e3, 1e8):
        for b in (0.0, -1e3 * a * sd, 1e3 * a * sd, 0.5 * a):
            assert est.estimate(a * x + b, y).value == pytest.approx(base, abs=1e-9), (a, b)
            assert est.estimate(x, a * y + b).value == pytest.approx(base, abs=1e-9), (a, b)


def test_adding_a_huge_constant_barely_moves_it():
    x, y = gaussian_pair(0.999, 2000, seed=4)
    base = KSG().estimate(x, y).value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 1e10 + x rounds to a 2e-6 grid: ties
        shifted = KSG().estimate(x + 1e10, y + 1e10).value
    assert abs(shifted - base) < 1e-3


def test_constant_column_gives_zero_with_a_warning():
    x = np.full(500, 3.7)
    y = np.random.default_rng(1).standard_normal(500)
    for standardize in ("zscore", "rank", "none"):
        with pytest.warns(RuntimeWarning, match="constant"):
            est = KSG(standardize=standardize).estimate(x, y)
        assert est.value == 0.0
        assert est.extras["constant_columns"] == {"x": [0], "y": []}


def test_ksg1_formula_itself_gives_zero_for_a_constant_block():
    y = np.random.default_rng(2).standard_normal((300, 1))
    counts = joint_neighbours(
        np.zeros((300, 1)), y, (3,), strict=True, norm="max", backend="kdtree", device="cpu"
    ).counts[3]
    assert np.all(counts.n_x == 299) and np.all(counts.n_y == 2)
    assert np.all(ksg_local_terms(counts, 300, 3, variant=1) == 0.0)


@pytest.mark.parametrize("cls", [KSG, KSG2, KLMI, LNC])
def test_constant_x_and_y_give_zero_for_every_knn_estimator(cls):
    with pytest.warns(RuntimeWarning, match="constant"):
        est = cls().estimate(np.ones(50), np.full((50, 1), 2.0))
    assert est.value == 0.0 and "x and y constant" in est.message


def test_rounded_data_with_jitter_is_near_the_plugin_discrete_mi():
    for rho in (0.0, 0.5, 0.9):
        x, y = gaussian_pair(rho, 20_000, seed=1)
        xi, yi = np.round(x), np.round(y)
        est = KSG(jitter=1e-10, seed=3).estimate(xi, yi)
        assert np.isfinite(est.value)
        assert est.value == pytest.approx(discrete_mi(xi[:, 0], yi[:, 0]), abs=0.02)
        assert est.extras["ties"]["x"] > 19_000 and est.extras["jitter"] == 1e-10


def test_rounded_data_without_jitter_warns_then_refuses():
    x, y = gaussian_pair(0.5, 2000, seed=1)
    with pytest.warns(RuntimeWarning, match="tied values.*jitter"):
        with pytest.raises(ValueError, match="k=3 identical.*set jitter > 0"):
            KSG().estimate(np.round(x), np.round(y))


@pytest.mark.parametrize("cls", [KSG, KSG2, LNC, KLMI])
def test_a_few_ties_still_give_a_value_but_duplicated_points_are_refused(cls):
    x, y = gaussian_pair(0.7, 1000, seed=3)
    x[:2] = x[2]  # three tied x values (fewer than k + 1): biased a little, still estimable
    with pytest.warns(RuntimeWarning, match="tied values"):
        assert np.isfinite(cls().estimate(x, y).value)
    dup = np.repeat(np.c_[x, y][:100], 10, axis=0)  # every point has 9 identical copies
    with pytest.raises(ValueError, match="identical"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cls().estimate(dup[:, :1], dup[:, 1:])


@pytest.mark.parametrize("cls", [KSG, KSG2, LNC, KLMI])
def test_constant_column_next_to_informative_ones_is_dropped(cls):
    x, y = gaussian_pair(0.7, 1000, seed=5)
    base = cls().estimate(x, y).value
    with pytest.warns(RuntimeWarning, match="constant"):
        padded = cls().estimate(np.c_[x, np.full(len(x), 3.0)], y).value
    assert padded == pytest.approx(base, abs=1e-12)


def test_jitter_is_seeded_and_scale_relative():
    x, y = gaussian_pair(0.5, 1000, seed=2)
    xi, yi = np.round(x), np.round(y)
    est = KSG(jitter=1e-10, seed=1, standardize="none")
    value = est.estimate(xi, yi).value
    assert est.estimate(xi, yi).value == value
    for scale in (2.0**-40, 2.0**40):  # exact scalings: the jitter scales with the data
        assert est.estimate(scale * xi, scale * yi).value == value
    assert KSG(jitter=1e-10, seed=2, standardize="none").estimate(xi, yi).value != value


# --- statistics ----------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.6, 0.9, 0.99])
def test_ksg1_mean_of_five_seeds_within_0_02_at_n_10000(rho):
    values = [KSG(k=3).estimate(*gaussian_pair(rho, 10_000, seed=s)).value for s in range(5)]
    assert abs(np.mean(values) - true_mi(rho)) < 0.02


def test_ksg_within_0_05_for_rho_0_6_at_n_5000():
    assert abs(KSG().estimate(*gaussian_pair(0.6, 5000, seed=0)).value - true_mi(0.6)) < 0.05


def test_ksg2_and_multivariate_ksg_are_accurate():
    x, y = gaussian_pair(0.6, 5000, seed=1, dim=3)
    for cls in (KSG, KSG2):
        assert cls().estimate(x, y).value == pytest.approx(true_mi(0.6, 3), abs=0.08)


# --- input and hyperparameter errors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([1.0, np.nan, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0, 5.0], "x"),
        ([1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, np.inf, 4.0, 5.0], "y"),
        ([], [], "x"),
        ([1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0], "x and y"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(x, y, match):
    with pytest.raises(ValueError, match=match):
        KSG().estimate(x, y)


@pytest.mark.parametrize("cls", [KSG, KSG2])
def test_n_not_above_k_raises_naming_k_and_n(cls):
    x, y = gaussian_pair(0.5, 3, seed=0)
    with pytest.raises(ValueError, match=r"n=3.*k=3"):
        cls(k=3).estimate(x, y)
    with pytest.raises(ValueError, match=r"n=3.*k=5"):
        cls(k=(1, 5)).estimate(x, y)
    assert np.isfinite(cls(k=2).estimate(x, y).value)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"k": 0}, "k"),
        ({"k": 2.5}, "k"),
        ({"k": True}, "k"),
        ({"k": ()}, "k"),
        ({"k": (3, 3)}, "k"),
        ({"norm": "l1"}, "norm"),
        ({"standardize": "minmax"}, "standardize"),
        ({"jitter": -1.0}, "jitter"),
        ({"jitter": float("nan")}, "jitter"),
        ({"backend": "faiss"}, "backend"),
        ({"device": "tpu9"}, "device"),
        ({"error_bar": "jackknife"}, "error_bar"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_hyperparameters_raise_naming_them(params, name):
    with pytest.raises(ValueError, match=name):
        KSG(**params)
    est = KSG()
    est.set_params(**params)
    with pytest.raises(ValueError, match=name):
        est.estimate(*gaussian_pair(0.5, 50, seed=0))


def test_extras_record_every_convention():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = KSG().estimate(*gaussian_pair(0.5, 200, seed=0))
    assert isinstance(est, Estimate) and est.ok and est.n_samples == 200
    for key, value in {
        "variant": 1,
        "k": 3,
        "norm": "max",
        "standardize": "zscore",
        "jitter": 0.0,
        "clip": False,
        "backend": "kdtree",
        "device": "cpu",
        "units": "nats",
    }.items():
        assert est.extras[key] == value
    assert "strict" in est.extras["counting"]
    assert KSG().get_params()["k"] == 3 and KSG.deterministic
