"""Error bars of every estimator (mibench.errorbars): values, intervals, refusals, the grid."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from mibench import errorbars
from mibench.api import estimate_mi
from mibench.baselines import KLMI, KSG, KSG2, LNC, GaussianCopulaMI, GaussianMI, Histogram
from mibench.estimate import Estimate
from mibench.estimator import Estimator
from mibench.harness.archive import read_rows
from mibench.harness.grid import Grid
from mibench.harness.runner import execute
from mibench.harness.store import ResultStore
from mibench.neural import NWJ, InfoNCE
from mibench.neural.batched import BatchedModel
from mibench.neural.settings import shared_settings
from mibench.tasks import get_task

Z95 = float(stats.norm.ppf(0.975))


def gaussian_pair(rho: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1))
    return x, rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, 1))


class MeanOfX(Estimator):
    """A statistic with a known standard error: the mean of x (sd 1 / sqrt(n) for N(0, 1))."""

    name = "mean-of-x"

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(x.mean())


# --- values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimator", "method"),
    [(KSG(), "subsampling"), (GaussianMI(), "bootstrap"), (Histogram(), "bootstrap")],
    ids=["ksg-subsampling", "gaussian-bootstrap", "histogram-bootstrap"],
)
def test_standard_error_is_within_a_third_of_the_seed_to_seed_sd(estimator, method):
    # Tolerance: the sd over 100 data sets is known to about 7 %, the mean of 10 standard
    # errors to a few %; a factor of 1/3 leaves room for the methods' own bias.
    n, rho = 1000, 0.6
    spread = np.std(
        [estimator.estimate(*gaussian_pair(rho, n, 1000 + s)).value for s in range(100)], ddof=1
    )
    stderrs = [
        estimator.estimate(*gaussian_pair(rho, n, s), error_bar=method).stderr for s in range(10)
    ]
    assert abs(np.mean(stderrs) / spread - 1) < 1 / 3


def test_subsampling_and_bootstrap_recover_the_standard_error_of_a_mean():
    x = np.random.default_rng(0).standard_normal((4000, 1))
    for method in ("subsampling", "bootstrap"):
        result = MeanOfX().estimate(x, x[::-1], error_bar=method)
        assert result.stderr == pytest.approx(1 / np.sqrt(4000), rel=0.25)
    assert result.extras["error_bar"]["resamples"] == errorbars.BOOTSTRAP_RESAMPLES
    sub = MeanOfX().estimate(x, x[::-1], error_bar="subsampling")
    assert sub.extras["error_bar"]["splits"] == list(range(2, 11))


def test_interval_is_the_normal_interval_around_the_estimate():
    x, y = gaussian_pair(0.6, 2000, seed=0)
    r = KSG().estimate(x, y, error_bar="subsampling")
    assert r.error_bar == "subsampling"
    assert r.ci_low == pytest.approx(r.value - Z95 * r.stderr, rel=1e-12)
    assert r.ci_high == pytest.approx(r.value + Z95 * r.stderr, rel=1e-12)
    assert r.extras["error_bar"]["level"] == 0.95
    again = KSG().estimate(x, y, error_bar="subsampling")
    assert again.stderr == r.stderr  # the partitions are seeded


@pytest.mark.parametrize(
    "estimator",
    [KSG(), KSG2(), KLMI(), LNC(), Histogram(), GaussianMI(), GaussianCopulaMI()],
    ids=lambda e: type(e).__name__,
)
def test_every_baseline_gives_an_error_bar_through_its_hyperparameter_or_the_option(estimator):
    x, y = gaussian_pair(0.6, 2000, seed=0)
    plain = estimator.estimate(x, y)
    assert plain.stderr is None and plain.ci_low is None and plain.error_bar is None
    by_option = estimator.estimate(x, y, error_bar="subsampling")
    estimator.set_params(error_bar="subsampling")
    by_param = estimator.estimate(x, y)
    assert 0.003 < by_option.stderr < 0.1
    assert by_param.stderr == by_option.stderr
    auto = estimator.estimate(x, y, error_bar="auto")
    assert auto.error_bar == type(estimator).error_bars[0]


def test_held_out_stderr_of_a_mean_readout_is_the_sd_of_its_terms():
    # NWJ's readout is a mean over rows of T(x, y) − mean_k exp(T(x, y'_k) − 1): the held-out
    # bootstrap of the fixed critic must give the sd of those row terms over sqrt(m).
    member = NWJ(seed=0)
    model = BatchedModel([member], shared_settings([member]), 1, 1, total_steps=1)
    gen = torch.Generator().manual_seed(0)
    m, k = 3000, 4
    t_joint = torch.randn(m, generator=gen, dtype=torch.float64)
    t_marginal = 0.5 * torch.randn(m, k, generator=gen, dtype=torch.float64)
    terms = t_joint - torch.exp(t_marginal - 1).mean(-1)
    expected = float(terms.std()) / np.sqrt(m)
    assert model.held_out_stderr(model.member_hp(0), t_joint, t_marginal, seed=1) == pytest.approx(
        expected, rel=0.15
    )


def test_neural_held_out_error_bar_needs_no_extra_training():
    x, y = gaussian_pair(0.75, 1000, seed=0)
    est = InfoNCE(max_steps=200, seed=3)
    plain = est.estimate(x, y)
    with_bar = est.estimate(x, y, error_bar="held-out")
    assert with_bar.value == plain.value and with_bar.steps == plain.steps  # same training
    assert 0.005 < with_bar.stderr < 0.2
    assert with_bar.ci_low < with_bar.value < with_bar.ci_high
    assert "held_out_stderr" not in plain.extras
    assert est.estimate(x, y, error_bar="auto").error_bar == "held-out"


# --- refusals and missing error bars -------------------------------------------------------


@pytest.mark.parametrize("cls", [KSG, KSG2, KLMI, LNC])
def test_bootstrap_is_refused_for_knn_estimators(cls):
    with pytest.raises(ValueError, match=r"error_bar='bootstrap'.*duplicated points.*subsampling"):
        cls(error_bar="bootstrap")
    with pytest.raises(ValueError, match="bootstrap"):
        cls().estimate(*gaussian_pair(0.5, 200, seed=0), error_bar="bootstrap")


def test_neural_refuses_the_bootstrap_and_seeds_outside_a_group():
    x, y = gaussian_pair(0.5, 400, seed=0)
    with pytest.raises(ValueError, match=r"train/held-out split"):
        NWJ().estimate(x, y, error_bar="bootstrap")
    with pytest.raises(ValueError, match=r"error_bar='seeds' needs.*group"):
        NWJ().estimate(x, y, error_bar="seeds")
    with pytest.raises(ValueError, match=r"held-out.*only the neural"):
        KSG().estimate(x, y, error_bar="held-out")
    with pytest.raises(ValueError, match=r"error_bar must be one of"):
        KSG().estimate(x, y, error_bar="jackknife")


def test_an_estimate_without_an_error_bar_gets_none_and_says_why():
    # 7 samples cannot be split into two parts of k + 1 = 4: no value is made up.
    result = KSG(k=3).estimate(*gaussian_pair(0.5, 7, seed=0), error_bar="subsampling")
    assert result.ok and np.isfinite(result.value)
    assert result.stderr is None and result.ci_low is None and result.ci_high is None
    assert result.error_bar == "subsampling"  # what was asked for
    assert "no subsampling error bar" in result.message
    assert "missing" in result.extras["error_bar"]


def test_seeds_error_bar_is_the_spread_of_the_group_with_a_t_quantile():
    values = [0.1, 0.2, 0.3, 0.5]
    results = [Estimate(v) for v in values] + [Estimate.failed("diverged", "x")]
    members = [NWJ(seed=s) for s in range(5)]
    errorbars.add_group_error_bars(members, [None] * 5, [None] * 5, results, "seeds")
    sd = np.std(values, ddof=1)
    t = stats.t.ppf(0.975, 3)
    for r, v in zip(results[:4], values, strict=True):
        assert r.stderr == pytest.approx(sd)
        assert (r.ci_low, r.ci_high) == pytest.approx((v - t * sd, v + t * sd))
    assert results[4].stderr is None
    few = [Estimate(0.1), Estimate(0.2)]
    errorbars.add_group_error_bars(members[:2], [None] * 2, [None] * 2, few, "seeds")
    assert all(r.stderr is None and "3 needed" in r.message for r in few)


# --- the API, the grid and the store ----------------------------------------------------------


def test_estimate_mi_reports_the_interval_in_bits():
    x, y = gaussian_pair(0.6, 1000, seed=0)
    nats = estimate_mi(x, y, "gaussian", error_bar="bootstrap", permutations=0)
    bits = estimate_mi(x, y, "gaussian", error_bar="bootstrap", permutations=0, bits=True)
    assert nats.error_bar == "bootstrap"
    assert bits.ci_low == pytest.approx(nats.ci_low / np.log(2))
    assert nats.ci_low < nats.mi < nats.ci_high
    assert nats.to_dict()["ci_high"] == nats.ci_high


def test_grid_cells_keep_their_ids_without_an_error_bar_and_refuse_bad_methods():
    task = get_task("1v1-normal-0.75")
    plain = Grid([task], ["ksg"], ns=[2000], seeds=[0]).cells()[0]
    # The id of this cell in results/reference/quick.csv, computed before error bars existed.
    assert plain.cell_id == "e2b1e3a61ab55e3d8f9109bd"
    with_bar = Grid([task], ["ksg"], ns=[2000], seeds=[0], error_bar="auto").cells()[0]
    assert with_bar.cell_id != plain.cell_id
    with pytest.raises(ValueError, match=r"'ksg'.*held-out.*'auto' picks"):
        Grid([task], ["ksg", "nwj"], ns=[100], seeds=[0], error_bar="held-out")
    with pytest.raises(ValueError, match="error_bar must be one of"):
        Grid([task], ["ksg"], ns=[100], seeds=[0], error_bar="jackknife")


def test_grid_rows_store_error_bars_for_cells_and_batched_groups(tmp_path):
    task = get_task("1v1-normal-0.75")
    specs = ["ksg", "gaussian", "nwj[max_steps=100]"]
    for method, expected in (("auto", ["subsampling", "bootstrap", "held-out"]), ("seeds", None)):
        if method == "seeds":
            grid = Grid(
                [task], ["nwj[max_steps=100]"], ns=[400], seeds=[0, 1, 2], error_bar="seeds"
            )
        else:
            grid = Grid([task], specs, ns=[400], seeds=[0, 1, 2], error_bar=method)
        with ResultStore(tmp_path / f"{method}.sqlite") as store:
            execute(grid.cells(), [task], store, progress=False)
            rows = store.results()
        assert (rows["status"] == "ok").all()
        assert rows["mi_ci_low"].lt(rows["mi_estimate"]).all()
        assert rows["mi_ci_high"].gt(rows["mi_estimate"]).all()
        methods = rows.groupby("estimator")["error_bar"].first()
        if expected is None:
            assert set(methods) == {"seeds"}
            assert rows["mi_stderr"].iloc[0] == pytest.approx(rows["mi_estimate"].std(ddof=1))
        else:
            assert [methods[s.split("[")[0]] for s in specs] == expected
        neural = rows[rows["estimator"] == "nwj"]
        assert (neural["job_kind"] == "group").all()


def test_old_tables_get_intervals_from_their_stored_standard_errors(tmp_path):
    task = get_task("1v1-normal-0.75")
    grid = Grid([task], ["ksg[error_bar=subsampling]", "histogram"], ns=[500], seeds=[0])
    with ResultStore(tmp_path / "r.sqlite") as store:
        execute(grid.cells(), [task], store, progress=False)
        rows = store.rows()
    old = rows.drop(columns=["error_bar", "mi_ci_low", "mi_ci_high"])
    old.to_parquet(tmp_path / "results.parquet")
    migrated = read_rows(tmp_path).set_index("estimator")
    ksg = migrated.loc["ksg"]
    assert ksg["error_bar"] == "subsampling"
    assert ksg["mi_ci_low"] == pytest.approx(ksg["mi_estimate"] - Z95 * ksg["mi_stderr"])
    assert pd.isna(migrated.loc["histogram", "mi_ci_low"])
    assert json.loads(ksg["extras_json"])["error_bar"]["method"] == "subsampling"


def test_readme_example_gives_an_interval_around_the_truth():
    from pathlib import Path

    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    code = text.split("<!-- example: error-bar -->\n```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    r = namespace["r"]
    assert r.error_bar == "subsampling" and 0.005 < r.stderr < 0.05
    assert r.ci_low < 0.4133 < r.ci_high


def test_a_plugin_function_gets_an_error_bar_in_estimate_mi_and_in_a_grid(tmp_path):
    import mibench

    def correlation_mi(x, y):
        r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        return -0.5 * np.log1p(-(r**2))

    mibench.register("test-errorbar-corr", correlation_mi, replace=True)
    x, y = gaussian_pair(0.6, 1000, seed=0)
    r = estimate_mi(x, y, "test-errorbar-corr", error_bar="bootstrap", permutations=0)
    # The delta method for the correlation MI: sd ≈ rho / sqrt(n) (Fisher: sd(r) ≈ (1 − r²)/√n,
    # dI/dr = r / (1 − r²)).
    assert r.stderr == pytest.approx(0.6 / np.sqrt(1000), rel=0.25)
    task = get_task("1v1-normal-0.75")
    grid = Grid([task], ["test-errorbar-corr"], ns=[500], seeds=[0, 1], error_bar="auto")
    with ResultStore(tmp_path / "p.sqlite") as store:
        execute(grid.cells(), [task], store, progress=False)
        rows = store.rows()
    assert list(rows["error_bar"]) == ["subsampling", "subsampling"]
    assert rows["mi_stderr"].between(0.005, 0.2).all()


def test_refused_resamples_are_left_out_and_the_estimate_stands():
    # y is x with two flips: a resample without the flipped rows has y == x, which the Gaussian
    # estimator refuses (singular); those resamples give no value, the others the error bar.
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, 100).astype(float)
    y = x.copy()
    y[:2] = 1 - y[:2]
    result = GaussianMI().estimate(x, y, error_bar="bootstrap")
    assert result.ok and result.value == pytest.approx(1.2778, abs=1e-3)
    assert 100 < result.extras["error_bar"]["resamples"] < errorbars.BOOTSTRAP_RESAMPLES
    assert 0.1 < result.stderr < 0.5


def test_a_zero_spread_gives_no_interval():
    # With 8 samples and k = 3 only the two-part split is usable, and its parts give one value.
    x, y = gaussian_pair(0.6, 8, seed=0)
    result = KSG(k=3).estimate(x, y, error_bar="subsampling")
    assert result.ok and result.stderr is None and result.ci_low is None
    assert "same value" in result.message


def test_grid_refuses_two_different_error_bars_for_one_estimator():
    task = get_task("1v1-normal-0.75")
    with pytest.raises(ValueError, match=r"sets error_bar='subsampling'.*give one of them"):
        Grid(
            [task], ["gaussian[error_bar=subsampling]"], ns=[100], seeds=[0], error_bar="bootstrap"
        )
