"""PMI profiles (mibench.tasks.profiles) against the bivariate normal's closed form, their
invariance under a task's transforms, their errors and seeds, and the ``pmi-profiles`` figure."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import integrate, special

from mibench.cli import main
from mibench.tasks import Distribution, Task, get_task, has_pmi, list_tasks, pmi_profile
from mibench.tasks.base import _MC_SEED_TAG
from mibench.tasks.profiles import _PROFILE_SEED_TAG, HISTOGRAM_TAIL, QUANTILE_LEVELS

RHOS = (0.3, 0.75, 0.9)


def _closed_form_pmi(x: np.ndarray, y: np.ndarray, rho: float) -> np.ndarray:
    """PMI of the unit-variance bivariate normal with correlation rho."""
    q = rho**2 * (x**2 + y**2) - 2 * rho * x * y
    return -0.5 * math.log(1 - rho**2) - q / (2 * (1 - rho**2))


def _product_normal_cdf(w: float) -> float:
    """CDF of W = Z1·Z2 for independent standard normals (density K0(|w|)/π)."""
    half = integrate.quad(special.k0, 0, abs(w))[0] / math.pi
    return 0.5 + math.copysign(half, w)


@pytest.mark.parametrize("rho", RHOS)
def test_the_closed_form_pmi_has_variance_rho_squared(rho):
    task = get_task(f"1v1-normal-{rho!r}")
    x, y = task.distribution.sample(400_000, np.random.default_rng(1))
    pmi = _closed_form_pmi(x[:, 0], y[:, 0], rho)
    np.testing.assert_allclose(task.distribution.pmi(x, y), pmi, rtol=1e-10, atol=1e-12)
    # Var(PMI) = ρ² exactly (PMI = c + ρ·Z1·Z2); its sample variance has sd ≈ ρ²·sqrt(8/n).
    assert pmi.var() == pytest.approx(rho**2, abs=4 * rho**2 * math.sqrt(8 / len(pmi)))


@pytest.mark.parametrize("rho", RHOS)
def test_a_bivariate_normal_profile_matches_its_closed_form(rho):
    n = 20_000
    task = get_task(f"1v1-normal-{rho!r}")
    p = pmi_profile(task, n=n, seed=0)
    assert p.true_mi == pytest.approx(-0.5 * math.log(1 - rho**2), rel=1e-12)
    assert p.true_mi_stderr == 0.0
    assert p.n == n
    assert p.stderr == pytest.approx(p.sd / math.sqrt(n), rel=1e-12)
    assert abs(p.mean - p.true_mi) < 4 * p.stderr
    # sd of the sample sd of c + ρ·W (kurtosis of W: 9) is about ρ·sqrt(8 / (4n))
    assert abs(p.sd - rho) < 4 * rho * math.sqrt(8 / (4 * n))
    # W is symmetric about 0, so the median PMI is the MI, and the quantiles are symmetric
    levels = dict(zip(QUANTILE_LEVELS, p.quantiles, strict=True))
    assert abs(levels[0.5] - p.true_mi) < 0.02 * rho
    assert levels[0.25] - p.true_mi == pytest.approx(p.true_mi - levels[0.75], abs=0.05 * rho)
    # the histogram's CDF at its edges against the exact law of the PMI, c + ρ·W, within the
    # Kolmogorov–Smirnov bound at the 0.1 % level
    edges, density = np.array(p.bin_edges), np.array(p.density)
    histogram_cdf = np.concatenate([[0.0], np.cumsum(density * np.diff(edges))])
    exact = np.array([_product_normal_cdf((e - p.true_mi) / rho) for e in edges])
    assert np.max(np.abs(histogram_cdf - exact)) < 1.95 / math.sqrt(n)


def test_a_multivariate_normal_profile_has_the_variance_of_its_canonical_correlations():
    """PMI of a Gaussian is Σ_i (c_i + ρ_i·W_i) over its canonical correlations ρ_i, so its
    variance is Σ ρ_i²."""
    task = get_task("multinormal-dense-5-5-0.5")
    cov, d = task.distribution.cov, task.distribution.dim_x
    whiten = [np.linalg.inv(np.linalg.cholesky(b)) for b in (cov[:d, :d], cov[d:, d:])]
    rhos = np.linalg.svd(whiten[0] @ cov[:d, d:] @ whiten[1].T, compute_uv=False)
    assert -0.5 * np.log1p(-(rhos**2)).sum() == pytest.approx(task.mi, rel=1e-10)
    n = 40_000
    p = pmi_profile(task, n=n, seed=3)
    sd = math.sqrt((rhos**2).sum())
    assert abs(p.mean - p.true_mi) < 4 * p.stderr
    assert abs(p.sd - sd) < 4 * sd * math.sqrt(8 / (4 * n))


@pytest.mark.parametrize("task", list_tasks("standard"), ids=lambda t: t.id)
def test_every_standard_profile_mean_agrees_with_the_true_mi(task):
    p = pmi_profile(task)
    assert p.n == 10_000
    assert abs(p.mean - p.true_mi) < 4 * p.stderr, (p.mean, p.true_mi, p.stderr)


def test_a_mixture_profile_agrees_with_its_monte_carlo_truth():
    task = get_task("1v1-xshape-0.9")
    p = pmi_profile(task, n=50_000)
    assert p.true_mi_stderr > 0
    assert abs(p.mean - p.true_mi) < 4 * math.hypot(p.stderr, p.true_mi_stderr)


@pytest.mark.parametrize(
    "task_id",
    [
        "half_cube-1v1-normal-0.75",
        "swissroll_x-normal_cdf-1v1-normal-0.75",
        "spiral-normal_cdf-multinormal-sparse-5-5-2-2.0",
        "asinh-student-identity-3-3-2",
    ],
)
def test_a_transformed_task_has_its_base_tasks_profile(task_id):
    task = get_task(task_id)
    base = Task(id="base", distribution=task.distribution)
    assert task.transforms_x or task.transforms_y
    ours, theirs = pmi_profile(task, n=5_000, seed=2).to_dict(), pmi_profile(base, 5_000, 2)
    assert ours.pop("task_id") == task_id
    assert ours == {k: v for k, v in theirs.to_dict().items() if k != "task_id"}


class _NoDensities(Distribution):
    dim_x = dim_y = 1
    mi = 0.0

    def sample(self, n, rng):
        return rng.standard_normal((n, 1)), rng.standard_normal((n, 1))


def test_a_task_without_densities_raises_the_documented_error():
    task = Task(id="no-densities", distribution=_NoDensities())
    assert not has_pmi(task)
    with pytest.raises(NotImplementedError, match="'no-densities' has no PMI profile"):
        pmi_profile(task)
    staircase = list_tasks("staircase")[0]
    assert not has_pmi(staircase)
    with pytest.raises(TypeError, match="task must be a Task, got Staircase"):
        pmi_profile(staircase)
    assert all(has_pmi(t) for t in list_tasks("standard"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1}, "n must be at least 2"),
        ({"n": 0}, "n must be an int >= 1"),
        ({"n": 10.0}, "n must be an int >= 1"),
        ({"bins": 0}, "bins must be an int >= 1"),
        ({"bins": True}, "bins must be an int >= 1"),
        ({"seed": -1}, "seed must be an int >= 0"),
        ({"seed": 1.5}, "seed must be an int >= 0"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pmi_profile(get_task("1v1-normal-0.75"), **kwargs)


def test_a_profile_is_deterministic_for_its_seed_and_has_its_own_draws():
    task = get_task("multinormal-sparse-3-3-2-2.0")
    a, b, c = (pmi_profile(task, n=3_000, seed=s) for s in (7, 7, 8))
    assert a == b
    assert a.mean != c.mean
    assert _PROFILE_SEED_TAG != _MC_SEED_TAG
    assert a.mean != task.distribution.monte_carlo_mi(3_000, seed=7)[0]
    x, y = task.sample(3_000, seed=7)
    assert a.mean != float(task.distribution.pmi(x, y).mean())


@pytest.mark.parametrize(
    "task_id",
    [
        "1v1-normal-0.75",
        "1v1-additive-0.1",  # an atom at ln 5 holds most of the mass
        "student-identity-1-1-1",  # heavy tails
        "multinormal-pairs-mi-1-0.0",  # PMI 0 up to rounding
        "1v1-discrete-5",
    ],
)
def test_the_histogram_integrates_to_one(task_id):
    bins = 40
    p = pmi_profile(get_task(task_id), n=20_000, bins=bins)
    edges, density = np.array(p.bin_edges), np.array(p.density)
    assert len(density) == len(edges) - 1 <= bins + 2
    assert np.all(np.diff(edges) > 0) and np.all(density >= 0)
    assert float((density * np.diff(edges)).sum()) == pytest.approx(1.0, abs=1e-12)
    assert edges[0] <= p.quantiles[0] and p.quantiles[-1] <= edges[-1]


def test_the_central_bins_span_the_tail_quantiles_with_equal_widths():
    p = pmi_profile(get_task("1v1-normal-0.75"), n=20_000, bins=30)
    edges = np.array(p.bin_edges)
    assert len(edges) == 30 + 3  # the central bins and a tail bin on each side
    central = np.diff(edges[1:-1])
    np.testing.assert_allclose(central, central[0], rtol=1e-9)
    assert p.density[0] * (edges[1] - edges[0]) == pytest.approx(HISTOGRAM_TAIL, rel=0.05)


def test_to_dict_is_plain_json():
    p = pmi_profile(get_task("1v1-normal-0.75"), n=1_000)
    d = p.to_dict()
    assert list(d) == [
        "task_id",
        "n",
        "seed",
        "bin_edges",
        "density",
        "mean",
        "stderr",
        "sd",
        "quantile_levels",
        "quantiles",
        "true_mi",
        "true_mi_stderr",
    ]
    assert json.loads(json.dumps(d)) == d
    assert isinstance(d["bin_edges"], list) and isinstance(d["bin_edges"][0], float)
    assert d["quantile_levels"] == list(QUANTILE_LEVELS) and d["mean"] == p.mean


def test_the_figure_draws_at_a_tiny_scale(tmp_path):
    from mibench.paper.pmi_profiles import profile_table, profiles

    args = ["figures", "pmi-profiles", "--scale", "0.01", "--out", str(tmp_path), "--quiet"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "'pmi-profiles' has no cells: computed directly into" in res.output
    folder = tmp_path / "pmi-profiles-scale0.01"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "COMMAND.txt",
        "README.md",
        "pmi_profiles.csv",
        "pmi_profiles.pdf",
        "pmi_profiles.png",
        "report.html",
    ]
    assert "mibench figures pmi-profiles --scale 0.01" in (folder / "COMMAND.txt").read_text()
    readme = (folder / "README.md").read_text()
    assert "--scale 0.01" in readme and "no estimator cells" in readme
    table = pd.read_csv(folder / "pmi_profiles.csv")
    assert list(table["task_id"]) == [t.id for t in list_tasks("standard")]
    assert (table["n"] == 1_000).all()
    assert list(table.columns) == [
        "task_id",
        "true_mi",
        "true_mi_stderr",
        "mean",
        "stderr",
        "z",
        "sd",
        *(f"q{round(100 * q):02d}" for q in QUANTILE_LEVELS),
        "n",
    ]
    assert (table["z"].abs() < 4).all()
    # the table is the one the profiles give at that n (deterministic)
    again = profile_table(profiles(1_000)[0]).to_csv(index=False, float_format="%.6g")
    assert (folder / "pmi_profiles.csv").read_text() == again


def test_the_figure_lists_the_tasks_without_densities(monkeypatch):
    from mibench.paper import pmi_profiles

    extra = Task(id="no-densities", distribution=_NoDensities())
    tasks = [*list_tasks("standard")[:2], extra]
    monkeypatch.setattr(pmi_profiles, "list_tasks", lambda suite: tasks)
    drawn, left_out = pmi_profiles.profiles(1_000)
    assert [p.task_id for p in drawn] == [t.id for t in tasks[:2]]
    assert left_out == ["no-densities"]


def test_the_figure_refuses_no_run_and_estimators(tmp_path):
    base = ["figures", "pmi-profiles", "--scale", "0.01", "--out", str(tmp_path)]
    res = CliRunner().invoke(main, [*base, "--no-run"])
    assert res.exit_code == 2
    assert "stores no cells to redraw from" in res.output
    res = CliRunner().invoke(main, [*base, "--estimators", "ksg"])
    assert res.exit_code == 2
    assert "estimators must name estimators of figure 'pmi-profiles' [], got ['ksg']" in (
        res.output
    )
    assert not list(tmp_path.iterdir())


def test_has_pmi_refuses_a_task_id():
    with pytest.raises(TypeError, match="get_task"):
        has_pmi("1v1-normal-0.75")
