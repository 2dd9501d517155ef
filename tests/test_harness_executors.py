"""Executors: process pool and Dask give the in-process results; timeouts; lost workers."""

from __future__ import annotations

import pandas as pd
import pytest

from mibench.harness.executors import make_executor
from mibench.harness.grid import Grid
from mibench.harness.runner import run_grid
from mibench.harness.store import ResultStore
from mibench.tasks import get_task


def _grid(estimators, seeds=range(3)):
    tasks = [get_task("1v1-normal-0.75"), get_task("multinormal-sparse-3-3-2-2.0")]
    return Grid(tasks=tasks, estimators=list(estimators), ns=[300], seeds=list(seeds))


def _run(tmp_path, name, grid, **executor_kwargs):
    with ResultStore(tmp_path / f"{name}.sqlite") as store:
        with make_executor(**executor_kwargs) as ex:
            summary = run_grid(grid, store, executor=ex, progress=False)
        df = store.results().set_index("cell_id").sort_index()
    return summary, df


@pytest.mark.parametrize(
    "executor_kwargs", [{"workers": 2}, {"scheduler": "local:2"}], ids=["pool", "dask"]
)
def test_executors_match_in_process(tmp_path, executor_kwargs):
    grid = _grid(["test-corr", "test-seeded", "test-fail"])
    _, base = _run(tmp_path, "base", grid)
    summary, other = _run(tmp_path, "other", grid, **executor_kwargs)
    assert summary.run == len(base) and summary.lost == 0
    pd.testing.assert_index_equal(base.index, other.index)
    pd.testing.assert_series_equal(base["status"], other["status"])
    pd.testing.assert_series_equal(base["mi_estimate"], other["mi_estimate"], rtol=1e-12)


def test_timeout_is_recorded_and_other_cells_complete(tmp_path):
    grid = _grid(["test-sleep[seconds=30]", "test-corr"], seeds=[0])
    with ResultStore(tmp_path / "t.sqlite") as store:
        summary = run_grid(grid, store, timeout=3, progress=False)
        df = store.results()
    assert summary.run == 4 and summary.lost == 0
    slow = df[df["estimator"] == "test-sleep"]
    assert (slow["status"] == "timeout").all()
    assert slow["message"].str.contains("timeout").all()
    assert (df[df["estimator"] == "test-corr"]["status"] == "ok").all()


def test_timeout_with_parallel_workers(tmp_path):
    grid = _grid(["test-corr"])
    _, base = _run(tmp_path, "base", grid)
    with ResultStore(tmp_path / "w.sqlite") as store:
        with make_executor(workers=2, cells_in_own_process=True) as ex:
            run_grid(grid, store, executor=ex, timeout=60, progress=False)
        df = store.results().set_index("cell_id").sort_index()
    pd.testing.assert_series_equal(base["mi_estimate"], df["mi_estimate"], rtol=1e-12)


def test_bad_executor_arguments():
    for bad in ("local:zero", "local:0", "bogus", "localhost:8786"):
        with pytest.raises(ValueError, match=f"scheduler must be .*got '{bad}'"):
            with make_executor(scheduler=bad):
                pass
    with pytest.raises(ValueError, match="not both; got workers=2 and scheduler='local:2'"):
        with make_executor(workers=2, scheduler="local:2"):
            pass
    with pytest.raises(ValueError, match="workers"):
        with make_executor(workers=-1):
            pass
    with pytest.raises(ValueError, match="timeout"):
        run_grid(_grid(["test-corr"]), None, timeout=0)


def test_killed_worker_loses_nothing(tmp_path):
    import os
    import signal

    grid = _grid(["test-sleep[seconds=0.3]"], seeds=range(4))
    with ResultStore(tmp_path / "k.sqlite") as store:
        with make_executor(workers=2) as pool:
            killed: list[int] = []

            def kill_a_worker(row):
                if not killed:
                    killed.append(next(iter(pool._processes)))
                    os.kill(killed[0], signal.SIGKILL)

            first = run_grid(grid, store, executor=pool, progress=False, on_row=kill_a_worker)
        # The broken pool's queued jobs ran again, each in a process of its own: a worker
        # killed from outside loses no cell (a job that kills its own process loses only its
        # cells: test_harness_lost_worker.py).
        assert (first.run, first.lost) == (8, 0)
        second = run_grid(grid, store, progress=False)
        df = store.results()
    assert (second.skipped, second.run) == (8, 0)
    assert len(df) == 8 and df["cell_id"].is_unique and (df["status"] == "ok").all()


def test_interrupted_pool_run_stops_promptly_and_resumes(tmp_path):
    import time

    grid = _grid(["test-sleep[seconds=2]"], seeds=range(4))
    calls = []

    def interrupt(row):
        calls.append(row)
        raise KeyboardInterrupt

    with ResultStore(tmp_path / "i.sqlite") as store:
        start = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            with make_executor(workers=2) as pool:
                run_grid(grid, store, executor=pool, progress=False, on_row=interrupt)
        assert time.perf_counter() - start < 8  # not waiting for the 6 other 2-second cells
        assert len(store.results()) == 1
        resumed = run_grid(grid, store, progress=False)
    assert (resumed.skipped, resumed.run) == (1, 7)
