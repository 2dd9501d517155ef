"""One meaning for ``standardize`` and ``seed=None`` across estimator families, and cell ids
that the shared vocabulary left as they were stored (docs/design.md, "Conventions")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mibench.harness.grid import Grid
from mibench.preprocessing import STANDARDIZATIONS, standardize_method
from mibench.registry import get_estimator
from mibench.tasks import get_task, list_tasks

ROOT = Path(__file__).resolve().parents[1]
HEATMAP = ROOT / "results" / "figures" / "standard-heatmap" / "results.parquet"


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 2))
    y = x @ np.array([[0.8, 0.1], [0.0, 0.5]]) + 0.6 * rng.normal(size=(600, 2))
    # Columns on very different scales, so that standardising changes what kNN sees.
    return x * np.array([1.0, 1e3]), y


def test_standardize_method_reads_bools_as_zscore_and_none():
    assert standardize_method(True) == "zscore"
    assert standardize_method(False) == "none"
    assert standardize_method(np.True_) == "zscore" and standardize_method(np.False_) == "none"
    assert [standardize_method(m) for m in STANDARDIZATIONS] == list(STANDARDIZATIONS)
    with pytest.raises(ValueError, match=r"standardize must be one of .* got 'rank'"):
        standardize_method("rank", ("zscore", "none"))
    with pytest.raises(ValueError, match="got 1"):
        standardize_method(1)


@pytest.mark.parametrize(
    "name, extra",
    [("ksg", ""), ("kde", ""), ("mixed-ksg", ""), ("mine", ",max_steps=60")],
)
def test_every_family_reads_true_and_false_as_zscore_and_none(name, extra, xy):
    x, y = xy
    values = {
        spelling: get_estimator(f"{name}[standardize={spelling}{extra}]").estimate(x, y).value
        for spelling in ("True", "'zscore'", "False", "'none'")
    }
    assert values["True"] == values["'zscore'"]
    assert values["False"] == values["'none'"]
    if name != "mine":  # a kNN or KDE estimate sees the scales of the columns
        assert values["True"] != values["False"]


@pytest.mark.parametrize("spec", ["kde[standardize='rank']", "mine[standardize='rank']"])
def test_a_family_refuses_the_methods_it_does_not_offer(spec):
    with pytest.raises(ValueError, match="standardize must be one of 'zscore', 'none'"):
        get_estimator(spec).validate()


@pytest.mark.parametrize("name", ["mine", "ksg", "kde"])
def test_two_spellings_of_one_configuration_are_one_cell(name):
    tasks = [get_task("1v1-normal-0.75")]
    grid = Grid(
        tasks=tasks,
        estimators=[name, f"{name}[standardize=True]", f"{name}[standardize='zscore']"],
        ns=[200],
        seeds=[0],
    )
    assert len(grid.cells()) == 1


def test_cells_of_the_committed_heatmap_keep_their_ids():
    # Every estimator family of the committed standard heatmap (neural cells were stored
    # while their ``standardize`` was the bool True, kNN cells with "zscore"): the cells the
    # grid builds today for n = 10,000, seed 0 are the stored ones.
    stored = pd.read_parquet(HEATMAP, columns=["cell_id", "estimator", "n", "seed"])
    names = sorted(stored["estimator"].unique())
    grid = Grid(tasks=list_tasks("standard"), estimators=names, ns=[10_000], seeds=[0])
    at = stored[(stored["n"] == 10_000) & (stored["seed"] == 0)]
    assert len(at) > 500
    assert {c.cell_id for c in grid.cells()} >= set(at["cell_id"])


@pytest.mark.parametrize("name, extra", [("mine", ",max_steps=60"), ("ksg", ",jitter=0.1")])
def test_seed_none_is_seed_zero_for_every_family(name, extra, xy):
    x, y = xy
    unseeded = get_estimator(f"{name}[seed=None{extra}]").estimate(x, y).value
    assert unseeded == get_estimator(f"{name}[seed=0{extra}]").estimate(x, y).value
    assert unseeded != get_estimator(f"{name}[seed=1{extra}]").estimate(x, y).value
