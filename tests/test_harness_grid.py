"""Grid runs: cell ids, shared data seeds, error rows, resume without recomputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mibench.harness.cells import Cell
from mibench.harness.grid import Grid, spec_label
from mibench.harness.jobs import CellJob
from mibench.harness.runner import run_grid
from mibench.harness.store import ResultStore
from mibench.preprocessing import zscore
from mibench.registry import estimator_factory
from mibench.tasks import get_task, list_tasks


def _grid(estimators=("test-corr", "test-fail"), seeds=(0, 1)):
    tasks = [get_task("1v1-normal-0.75"), get_task("multinormal-dense-2-2-0.5")]
    return Grid(tasks=tasks, estimators=list(estimators), ns=[200], seeds=list(seeds))


def test_cell_id_is_stable_and_sensitive():
    cell = Cell("1v1-normal-0.75", 1, "test-corr", "test-corr", {"scale": 1.0}, 200, 0)
    # A fixed literal: an accidental change of the hashing scheme must fail this test.
    assert cell.cell_id == "b84ca00d7210257010b68f83"
    others = [
        Cell("1v1-normal-0.75", 2, "test-corr", "test-corr", {"scale": 1.0}, 200, 0),
        Cell("1v1-normal-0.75", 1, "test-corr", "test-corr", {"scale": 2.0}, 200, 0),
        Cell("1v1-normal-0.75", 1, "test-corr", "test-corr", {"scale": 1.0}, 201, 0),
        Cell("1v1-normal-0.75", 1, "test-corr", "test-corr", {"scale": 1.0}, 200, 1),
    ]
    assert len({cell.cell_id, *(c.cell_id for c in others)}) == 5


def test_data_seed_shared_by_estimators_and_depends_on_task_n_seed():
    cells = _grid(("test-corr", "test-seeded")).cells()
    by_key: dict[tuple, set[int]] = {}
    for c in cells:
        by_key.setdefault((c.task_id, c.n, c.seed), set()).add(c.data_seed)
    assert all(len(v) == 1 for v in by_key.values())
    assert len({next(iter(v)) for v in by_key.values()}) == len(by_key)


def test_spec_label_is_canonical():
    assert spec_label("ksg") == "ksg"
    assert spec_label("ksg[k=5, norm='max']") == "ksg[k=5,norm=max]"
    assert spec_label("x[b=2,a=1]") == "x[a=1,b=2]"


def test_failing_estimator_gives_error_rows_and_grid_completes(tmp_path):
    grid = _grid()
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = run_grid(grid, store, progress=False)
        df = store.results()
    assert summary.total == 8 and summary.run == 8 and summary.failed == 4
    fails = df[df["estimator"] == "test-fail"]
    assert (fails["status"] == "error").all()
    assert fails["mi_estimate"].isna().all()
    assert fails["message"].str.contains("RuntimeError: deliberate failure").all()
    ok = df[df["estimator"] == "test-corr"]
    assert (ok["status"] == "ok").all()
    # the correlation estimator is close to the truth of the bivariate normal at n=200
    biv = ok[ok["task_id"] == "1v1-normal-0.75"]
    assert np.allclose(biv["mi_estimate"], 0.4133, atol=0.15)


def test_rerun_skips_stored_cells_and_retry_failed_reruns_errors(tmp_path):
    grid = _grid()
    with ResultStore(tmp_path / "r.sqlite") as store:
        run_grid(grid, store, progress=False)
        first = store.results()
        again = run_grid(grid, store, progress=False)
        assert (again.skipped, again.run) == (8, 0)
        retry = run_grid(grid, store, retry_failed=True, progress=False)
        assert (retry.skipped, retry.run) == (4, 4)
        final = store.results()
    assert len(final) == 8 and final["cell_id"].is_unique
    pd.testing.assert_series_equal(
        first.set_index("cell_id")["mi_estimate"].sort_index(),
        final.set_index("cell_id")["mi_estimate"].sort_index(),
    )


def test_interrupted_run_resumes_without_duplicates(tmp_path):
    grid = _grid(("test-corr",), seeds=range(5))
    seen = []

    def interrupt(row):
        seen.append(row["cell_id"])
        if len(seen) == 4:
            raise KeyboardInterrupt

    with ResultStore(tmp_path / "r.sqlite") as store:
        with pytest.raises(KeyboardInterrupt):
            run_grid(grid, store, progress=False, on_row=interrupt)
        assert len(store.results()) == 4
        resumed = run_grid(grid, store, progress=False)
        df = store.results()
    assert (resumed.skipped, resumed.run) == (4, 6)
    assert len(df) == 10 and df["cell_id"].is_unique


def test_estimator_seed_derived_from_cell_when_unset(tmp_path):
    grid = _grid(("test-seeded", "test-seeded[seed=7]"), seeds=(0, 1))
    with ResultStore(tmp_path / "r.sqlite") as store:
        run_grid(grid, store, progress=False)
        df = store.results()
    derived = df[df["label"] == "test-seeded"]["mi_estimate"]
    fixed = df[df["label"] == "test-seeded[seed=7]"]["mi_estimate"]
    assert derived.nunique() == len(derived)  # different cells, different seeds
    assert fixed.nunique() == 1  # the user's fixed seed is kept
    assert fixed.iloc[0] == np.random.default_rng(7).uniform()


def test_cell_job_is_reproducible_and_standardizes():
    task = get_task("half_cube-1v1-normal-0.75")
    cell = _grid(("test-corr",)).cells()[0]
    job = CellJob((cell,), task, estimator_factory(cell.estimator))
    [(row1, _)], [(row2, _)] = job(), job()
    assert row1["mi_estimate"] == row2["mi_estimate"]
    a = zscore(np.c_[np.arange(10.0), np.full(10, 3.0)])
    assert np.allclose(a.mean(axis=0), 0) and np.allclose(a[:, 0].std(), 1)
    assert np.all(a[:, 1] == 0)  # a constant column stays finite


def test_quick_suite_shape():
    assert len(list_tasks("quick")) == 8


def test_spec_values_parse_as_literals_booleans_or_strings():
    from mibench.registry import parse_spec

    name, params = parse_spec("ksg[k=5,standardize=none,clip=true,seed=None,hidden=(8, 8)]")
    assert name == "ksg"
    assert params == {"k": 5, "standardize": "none", "clip": True, "seed": None, "hidden": (8, 8)}
