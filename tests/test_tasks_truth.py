"""Ground truths: closed forms against Monte-Carlo E[PMI], densities against scipy, mixtures
against the published values and their committed Monte-Carlo truths against a rerun, Student-t
entropy against Monte Carlo."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from mibench.tasks.additive import AdditiveUniformNoise
from mibench.tasks.discrete import DiscreteUniformShift
from mibench.tasks.gaussian import (
    CorrelatedPairs,
    MultivariateNormal,
    dense_cov,
    gaussian_mi,
    sparse_cov,
)
from mibench.tasks.mixtures import (
    TRUTHS_FILE,
    Mixture,
    ProductOfMarginals,
    inliers,
    truth_entries,
    x_shape,
)
from mibench.tasks.registry import get_task
from mibench.tasks.student import (
    MultivariateStudentT,
    student_t_entropy,
    student_t_mi_correction,
)

MC_N = 100_000

_COV_3 = np.array([[1.0, 0.3, 0.6], [0.3, 1.0, -0.2], [0.6, -0.2, 1.0]])

CLOSED_FORM = {
    "normal 1x1 rho=-0.6": MultivariateNormal(np.array([[1.0, -0.6], [-0.6, 1.0]]), 1),
    "normal dense 3x3": MultivariateNormal(dense_cov(3, 3, 0.5), 3),
    "normal dense 2x4": MultivariateNormal(dense_cov(2, 4, 0.3), 2),
    "normal sparse 5x5": MultivariateNormal(sparse_cov(5, 5, 2, 2.0), 5),
    "normal sparse 4x3 k=3": MultivariateNormal(sparse_cov(4, 3, 3, 1.0), 4),
    "normal custom 2x1 with mean": MultivariateNormal(_COV_3, 2, mean=np.array([1.0, -2.0, 3.0])),
    "independent normal 2x3": MultivariateNormal(np.eye(5), 2),
    "pairs 4 rho=-0.7": CorrelatedPairs(4, -0.7),
    "pairs 3 mi=6": CorrelatedPairs.with_mi(3, 6.0),
    "student identity 1x1 nu=1": MultivariateStudentT(np.eye(2), 1, 1.0),
    "student identity 2x2 nu=2": MultivariateStudentT(np.eye(4), 2, 2.0),
    "student dense 2x3 nu=3": MultivariateStudentT(dense_cov(2, 3, 0.4), 2, 3.0),
    "student custom 2x1 nu=5.5": MultivariateStudentT(_COV_3, 2, 5.5),
    "student sparse 3x3 nu=30": MultivariateStudentT(sparse_cov(3, 3, 1, 2.0), 3, 30.0),
    "additive eps=0.1": AdditiveUniformNoise(0.1),
    "additive eps=0.4": AdditiveUniformNoise(0.4),
    "additive eps=0.75": AdditiveUniformNoise(0.75),
    "discrete m=2": DiscreteUniformShift(2),
    "discrete m=5": DiscreteUniformShift(5),
}


@pytest.mark.parametrize("label", list(CLOSED_FORM))
def test_closed_form_mi_matches_monte_carlo_pmi(label):
    dist = CLOSED_FORM[label]
    mean, se = dist.monte_carlo_mi(MC_N, seed=11)
    assert se < 0.05
    assert abs(mean - dist.mi) <= max(4 * se, 1e-9), (mean, se, dist.mi)


def test_gaussian_closed_forms_of_reference():
    for d, rho in ((2, 0.5), (5, 0.5), (7, 0.3), (50, 0.5), (100, 0.1)):
        formula = 0.5 * (
            -np.log(1 - rho) + 2 * np.log(1 + (d - 1) * rho) - np.log(1 + (2 * d - 1) * rho)
        )
        assert gaussian_mi(dense_cov(d, d, rho), d) == pytest.approx(formula, rel=1e-10)
    assert gaussian_mi(sparse_cov(25, 25, 2, 2.0), 25) == pytest.approx(-np.log(0.36))
    assert CorrelatedPairs(20, 0.9).mi == pytest.approx(-10 * np.log(1 - 0.81))
    assert CorrelatedPairs.with_mi(1, 10.0).mi == pytest.approx(10.0, rel=1e-14)
    assert CorrelatedPairs.with_mi(3, 10.0).rho == pytest.approx(np.sqrt(1 - np.exp(-20 / 3)))


def test_gaussian_and_student_densities_match_scipy():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((50, 2)) * 2, rng.standard_normal((50, 1)) * 2
    z = np.hstack([x, y])
    mean = np.array([0.5, -1.0, 2.0])
    lxy, lx, ly = MultivariateNormal(_COV_3, 2, mean).log_densities(x, y)
    np.testing.assert_allclose(lxy, stats.multivariate_normal(mean, _COV_3).logpdf(z))
    np.testing.assert_allclose(lx, stats.multivariate_normal(mean[:2], _COV_3[:2, :2]).logpdf(x))
    np.testing.assert_allclose(ly, stats.norm(mean[2], 1.0).logpdf(y[:, 0]))
    lxy, lx, ly = MultivariateStudentT(_COV_3, 2, 2.5).log_densities(x, y)
    np.testing.assert_allclose(lxy, stats.multivariate_t(np.zeros(3), _COV_3, df=2.5).logpdf(z))
    np.testing.assert_allclose(
        lx, stats.multivariate_t(np.zeros(2), _COV_3[:2, :2], df=2.5).logpdf(x)
    )
    np.testing.assert_allclose(ly, stats.t(2.5).logpdf(y[:, 0]))


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("nu", [1.0, 3.0, 10.0])
def test_student_entropy_matches_monte_carlo(k, nu):
    disp = dense_cov(k, 1, 0.3) * 1.7
    dist = MultivariateStudentT(disp, k, nu)
    x, y = dist.sample(MC_N, np.random.default_rng(int(10 * nu) + k))
    _, lx, _ = dist.log_densities(x, y)
    mc, se = -lx.mean(), lx.std() / np.sqrt(MC_N)
    h = student_t_entropy(disp[:k, :k], nu)
    assert abs(mc - h) <= 4 * se
    if k == 1:
        assert h == pytest.approx(stats.t(nu, scale=np.sqrt(1.7)).entropy(), rel=1e-10)
    else:
        assert h == pytest.approx(
            stats.multivariate_t(np.zeros(k), disp[:k, :k], df=nu).entropy(), rel=1e-8
        )


def test_student_identity_values_of_reference():
    table = {
        (1, 1): 0.2242,
        (2, 1): 0.4319,
        (2, 2): 0.1931,
        (3, 2): 0.2909,
        (3, 3): 0.1787,
        (5, 2): 0.4482,
        (5, 3): 0.2985,
    }
    for (d, nu), value in table.items():
        assert student_t_mi_correction(d, d, nu) == pytest.approx(value, abs=5e-5)
    assert student_t_mi_correction(3, 3, 1e6) == pytest.approx(0.0, abs=1e-5)


def test_student_t_sampling_has_student_margins():
    dist = MultivariateStudentT(np.eye(3), 1, 3.0)
    x, y = dist.sample(40_000, np.random.default_rng(0))
    assert stats.kstest(x[:, 0], stats.t(3.0).cdf).pvalue > 1e-3
    assert stats.kstest(y[:, 1], stats.t(3.0).cdf).pvalue > 1e-3


# Published values (Czyż et al. 2023): X shape 0.408 ± 0.001; 2-pair Gaussian with inliers
# 0.636 (f = 0.2) and 0.270 (f = 0.5), given to three decimals.
MIXTURE_REFERENCE = [
    ("1v1-xshape-0.9", 0.408),
    ("inliers-0.2-multinormal-sparse-2-2-2-2.0", 0.636),
    ("inliers-0.5-multinormal-sparse-2-2-2-2.0", 0.270),
]


@pytest.mark.parametrize(("task_id", "value"), MIXTURE_REFERENCE)
def test_mixture_monte_carlo_matches_reference(task_id, value):
    task = get_task(task_id)
    assert 0 < task.mi_stderr < 2e-3
    assert abs(task.mi - value) <= 4 * np.hypot(task.mi_stderr, 5e-4)


def test_mixture_ground_truth_is_cached_and_deterministic():
    a = x_shape(0.9).distribution
    b = Mixture(a.components, [1.0, 1.0], mc_samples=20_000)
    c = Mixture(a.components, [1.0, 1.0], mc_samples=20_000)
    assert b.truth_key == c.truth_key and b.truth_key != a.truth_key  # not in the file
    assert b.mi == c.mi and b.mi_stderr == c.mi_stderr
    assert b.mi is b.mi  # cached float object
    assert Mixture(a.components, [1.0, 1.0], mc_samples=20_000, mc_seed=1).mi != b.mi
    # a transformed task shares its base's cached value
    base = get_task("1v1-xshape-0.9")
    assert get_task("normal_cdf-1v1-xshape-0.9").distribution is base.distribution


def _truths_file() -> list[dict]:
    return json.loads(TRUTHS_FILE.read_text(encoding="utf-8"))["truths"]


def test_no_process_recomputes_the_builtin_mixture_truths():
    """A fresh process whose Monte Carlo fails gets every registered mixture's truth: read
    from the committed file, keyed by the mixture's fingerprint and Monte-Carlo settings."""
    code = (
        "import json\n"
        "from mibench.tasks.base import Distribution\n"
        "def refuse(self, *args, **kwargs):\n"
        "    raise AssertionError('a Monte-Carlo truth was recomputed')\n"
        "Distribution.monte_carlo_mi = refuse\n"
        "from mibench.tasks import list_tasks\n"
        "from mibench.tasks.mixtures import Mixture\n"
        "tasks = [t for t in list_tasks()\n"
        "         if isinstance(getattr(t, 'distribution', None), Mixture)]\n"
        "print(json.dumps({t.id: [t.mi, t.mi_stderr] for t in tasks}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, (
        f"{done.stderr}\nA built-in mixture changed or was added: rewrite the truths with "
        "mibench.tasks.mixtures.write_truths_file()"
    )
    seen = json.loads(done.stdout)
    stored = _truths_file()
    assert len(seen) >= len(stored) >= 7  # transformed tasks share their base's truth
    for entry in stored:
        assert seen[entry["task"]] == [entry["mi"], entry["mi_stderr"]]


def test_the_truth_key_follows_the_mixture_and_its_monte_carlo_settings():
    base = get_task("multinormal-sparse-2-2-2-2.0")
    keys = {
        x_shape(0.9).distribution.truth_key,
        x_shape(0.8).distribution.truth_key,
        inliers(base, 0.2).distribution.truth_key,
        inliers(base, 0.3).distribution.truth_key,
        Mixture(x_shape(0.9).distribution.components, [0.5, 0.5], mc_seed=1).truth_key,
    }
    assert len(keys) == 5
    assert x_shape(0.9).distribution.truth_key == get_task("1v1-xshape-0.9").distribution.truth_key


@pytest.mark.slow
def test_the_stored_mixture_truths_are_what_the_monte_carlo_gives():
    from mibench.tasks import list_tasks

    # Keyed by truth key: other tests of the session may have registered more mixtures.
    recomputed = {e["key"]: e for e in truth_entries(list_tasks())}
    for entry in _truths_file():
        again = recomputed[entry["key"]]
        exact = ("task", "key", "mc_samples", "mc_seed")
        assert {f: again[f] for f in exact} == {f: entry[f] for f in exact}, entry["task"]
        # The last bits of a million-draw mean can differ between machines (numpy picks
        # CPU-specific SIMD code for some functions): on an AVX-512 machine one task's mean
        # came out 3e-17 from the stored one, far inside its standard error (~5e-4).
        assert again["mi"] == pytest.approx(entry["mi"], rel=1e-12, abs=1e-15), entry["task"]
        assert again["mi_stderr"] == pytest.approx(entry["mi_stderr"], rel=1e-12), entry["task"]


def test_mixture_marginals_and_product_of_marginals():
    dist = x_shape(0.9).distribution
    x, y = dist.sample(1000, np.random.default_rng(0))
    _, lx, ly = dist.log_densities(x, y)
    np.testing.assert_allclose(lx, stats.norm.logpdf(x[:, 0]))
    np.testing.assert_allclose(ly, stats.norm.logpdf(y[:, 0]))
    prod = ProductOfMarginals(MultivariateNormal(dense_cov(2, 2, 0.5), 2))
    assert prod.mi == 0.0
    assert abs(prod.monte_carlo_mi(20_000)[0]) < 1e-12
    x, y = prod.sample(50_000, np.random.default_rng(1))
    assert abs(np.corrcoef(x[:, 0], y[:, 0])[0, 1]) < 0.02
    assert np.corrcoef(x[:, 0], x[:, 1])[0, 1] == pytest.approx(0.5, abs=0.02)


def test_inliers_task_structure_and_errors():
    task = inliers(get_task("student-identity-2-2-2"), 0.3)
    assert task.id == "inliers-0.3-student-identity-2-2-2"
    assert task.distribution.weights.tolist() == pytest.approx([0.7, 0.3])
    with pytest.raises(ValueError, match="fraction"):
        inliers(get_task("1v1-normal-0.5"), 1.0)
    with pytest.raises(ValueError, match="untransformed"):
        inliers(get_task("half_cube-1v1-normal-0.5"), 0.2)
    with pytest.raises(ValueError, match="share dim_x"):
        Mixture([CorrelatedPairs(1, 0.5), CorrelatedPairs(2, 0.5)], [1, 1])
    with pytest.raises(ValueError, match="weights"):
        Mixture([CorrelatedPairs(1, 0.5)], [-1.0])


@pytest.mark.parametrize(
    ("cov", "match"),
    [
        (np.array([[1.0, 0.5], [0.4, 1.0]]), "symmetric"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), "positive definite"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), "finite"),
        (np.ones((2, 3)), "square"),
    ],
)
def test_invalid_covariance_is_rejected_clearly(cov, match):
    with pytest.raises(ValueError, match=f"cov must .*{match}"):
        MultivariateNormal(cov, 1)


def test_invalid_parameters_are_rejected():
    with pytest.raises(ValueError, match="dim_x"):
        MultivariateNormal(np.eye(3), 3)
    with pytest.raises(ValueError, match="dispersion must be"):
        MultivariateStudentT(-np.eye(2), 1, 2.0)
    with pytest.raises(ValueError, match="nu"):
        MultivariateStudentT(np.eye(2), 1, 0.0)
    with pytest.raises(ValueError, match="epsilon"):
        AdditiveUniformNoise(0.0)
    with pytest.raises(ValueError, match="m must"):
        DiscreteUniformShift(1)
    with pytest.raises(ValueError, match="rho"):
        CorrelatedPairs(2, 1.0)
    with pytest.raises(ValueError, match="mi"):
        CorrelatedPairs.with_mi(2, -1.0)
    with pytest.raises(ValueError, match="n_pairs"):
        sparse_cov(2, 3, 3, 2.0)


def test_sampled_moments_match_the_definition():
    x, y = get_task("multinormal-dense-5-5-0.5").sample(50_000, 0)
    np.testing.assert_allclose(np.cov(np.hstack([x, y]).T), dense_cov(5, 5, 0.5), atol=0.03)
    x, y = get_task("multinormal-pairs-mi-1-10.0").sample(50_000, 0)
    pairs = get_task("multinormal-pairs-mi-1-10.0").distribution
    resid = (y - pairs.rho * x) / pairs.noise
    assert resid.std() == pytest.approx(1.0, abs=0.02)
    x, y = get_task("1v1-discrete-5").sample(50_000, 0)
    assert set(np.unique(x)) == {0.0, 1.0, 2.0, 3.0, 4.0}
    assert np.all((y >= x) & (y <= x + 2))
