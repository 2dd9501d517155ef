"""Rows of every results table come in one fixed order, whatever executed the run."""

from __future__ import annotations

import pandas as pd
import pytest

from mibench.harness.executors import make_executor
from mibench.harness.grid import Grid
from mibench.harness.runner import run_grid
from mibench.harness.store import ROW_ORDER, ResultStore, expand_params, in_row_order
from mibench.report.load import load_results
from mibench.report.metrics import summarize
from mibench.report.tables import export_run
from mibench.tasks import get_task

#: Columns that record when, where and how fast a row was computed, not what it is.
VOLATILE = [
    "wall_seconds",
    "fit_seconds",
    "samples_per_second",
    "steps_per_second",
    "started_at",
    "finished_at",
    "host",
    "git_commit",
    "mean_wall_seconds",
]


def _grid() -> Grid:
    tasks = [get_task("multinormal-dense-2-2-0.5"), get_task("1v1-normal-0.75")]
    estimators = ["test-seeded", "test-corr", "test-fail", "test-corr[scale=2.0]"]
    return Grid(tasks=tasks, estimators=estimators, ns=[100, 300], seeds=[0, 1, 2])


def _run(folder, workers: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    folder.mkdir()
    with ResultStore(folder / "results.sqlite") as store:
        with make_executor(workers, None) as executor:
            run_grid(_grid(), store, executor=executor, progress=False)
        _, summary = export_run(folder, store)
        return store.results(), summary, store.rows()


def _stable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in VOLATILE if c in table.columns])


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("order")
    return base, _run(base / "in-process", 0), _run(base / "pool", 2)


def test_in_process_and_pool_give_identical_tables(two_runs):
    base, (results, summary, rows), (p_results, p_summary, p_rows) = two_runs
    assert len(results) == 2 * 4 * 2 * 3
    pd.testing.assert_frame_equal(_stable(results), _stable(p_results))
    pd.testing.assert_frame_equal(_stable(rows), _stable(p_rows))
    pd.testing.assert_frame_equal(_stable(summary), _stable(p_summary))
    for name in ("results.csv", "summary.csv"):
        a = pd.read_csv(base / "in-process" / name)
        b = pd.read_csv(base / "pool" / name)
        pd.testing.assert_frame_equal(_stable(a), _stable(b))
    a = pd.read_parquet(base / "in-process" / "results.parquet")
    b = pd.read_parquet(base / "pool" / "results.parquet")
    pd.testing.assert_frame_equal(_stable(a), _stable(b))


def test_rows_are_in_the_documented_order(two_runs):
    _, (results, summary, _), _ = two_runs
    keys = results[list(ROW_ORDER)]
    assert keys.equals(keys.sort_values(list(ROW_ORDER)).reset_index(drop=True))
    assert list(results.index) == list(range(len(results)))
    # tasks, then labels, then n ascending, then seeds
    assert list(dict.fromkeys(results["task_id"])) == sorted(set(results["task_id"]))
    first = results[results["task_id"] == results["task_id"].iloc[0]]
    assert list(first["label"].iloc[:6]) == [first["label"].iloc[0]] * 6
    assert list(first["n"].iloc[:6]) == [100] * 3 + [300] * 3
    assert list(first["seed"].iloc[:3]) == [0, 1, 2]
    expected = summary[["task_id", "label", "n"]].sort_values(["task_id", "label", "n"])
    assert summary[["task_id", "label", "n"]].equals(expected.reset_index(drop=True))


def test_retry_and_shuffled_sources_keep_the_order(two_runs, tmp_path):
    base, (results, _, _), _ = two_runs
    folder = base / "in-process"
    with ResultStore(folder / "results.sqlite") as store:
        # a retry rewrites the failed rows last in the database; the table's order stays
        run_grid(_grid(), store, retry_failed=True, progress=False)
        retried = store.results()
    assert (retried["status"] != "ok").sum() == 12  # test-fail fails again
    same = ["cell_id", "task_id", "label", "n", "seed", "status", "mi_estimate"]
    pd.testing.assert_frame_equal(retried[same], results[same])
    shuffled = results.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(_stable(in_row_order(shuffled)), _stable(results))
    pd.testing.assert_frame_equal(_stable(expand_params(shuffled)), _stable(results))
    shuffled.to_csv(tmp_path / "results.csv", index=False)
    from_csv = load_results(tmp_path / "results.csv")
    pd.testing.assert_frame_equal(
        from_csv[["cell_id", "task_id", "label", "n", "seed"]],
        results[["cell_id", "task_id", "label", "n", "seed"]],
    )
    pd.testing.assert_frame_equal(
        _stable(summarize(from_csv)), _stable(summarize(results)), check_dtype=False
    )
