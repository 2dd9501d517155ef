"""The one execution engine: job kinds, batched seeds, the row schema, the store's version,
the committed-results format and the Python grid API."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import mibench
from mibench.cli import main
from mibench.harness import Grid, ResultStore, StoreError, execute, run_grid
from mibench.harness.archive import read_rows, restore_store, write_tables
from mibench.harness.grid import streaming_cells
from mibench.harness.schema import RESULT_COLUMNS, STORE_VERSION
from mibench.tasks import get_task
from mibench.tasks.streaming import Staircase

V1_STORE = Path(__file__).parent / "data" / "store_v1"
#: A small MINE configuration: a few hundred steps, so that early stopping matters.
MINE = "mine[max_steps=300,eval_every=50,hidden=(16,)]"


def _by_seed(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("seed").sort_index()


@pytest.fixture(scope="module")
def eight_together(tmp_path_factory) -> pd.DataFrame:
    grid = Grid([get_task("1v1-normal-0.75")], [MINE], ns=[400], seeds=list(range(8)))
    with ResultStore(tmp_path_factory.mktemp("eight") / "r.sqlite") as store:
        summary = run_grid(grid, store, progress=False)
        traces = store.traces()
        results = store.results()
    assert summary.run == 8 and summary.failed == 0
    return results.assign(n_trace=results["cell_id"].map(traces.groupby("cell_id").size()))


def test_a_member_stores_the_value_it_gets_alone(eight_together, tmp_path) -> None:
    """Seed 3 trained alone and seed 3 trained in a group of 8: the same stored value, bit for
    bit; the row records the group it trained in."""
    grid = Grid([get_task("1v1-normal-0.75")], [MINE], ns=[400], seeds=[3])
    with ResultStore(tmp_path / "alone.sqlite") as store:
        run_grid(grid, store, progress=False)
        alone = store.results().iloc[0]
    together = _by_seed(eight_together).loc[3]
    assert alone["cell_id"] == together["cell_id"]
    assert alone["mi_estimate"] == together["mi_estimate"]
    assert alone["steps"] == together["steps"]
    assert (alone["job_kind"], alone["group_size"]) == ("group", 1)
    assert (together["job_kind"], together["group_size"]) == ("group", 8)
    # the members differ from each other: the equality above is not a constant
    assert eight_together["mi_estimate"].nunique() == 8


def test_unbatched_cells_store_the_same_values(eight_together, tmp_path) -> None:
    grid = Grid([get_task("1v1-normal-0.75")], [MINE], ns=[400], seeds=[0, 5])
    with ResultStore(tmp_path / "cells.sqlite") as store:
        run_grid(grid, store, progress=False, batch=False)
        cells = _by_seed(store.results())
    assert (cells["job_kind"] == "cell").all() and (cells["group_size"] == 1).all()
    together = _by_seed(eight_together)
    for seed in (0, 5):
        assert cells.loc[seed, "mi_estimate"] == together.loc[seed, "mi_estimate"]


def test_resuming_with_more_seeds_keeps_stored_rows_and_adds_the_same_values(
    eight_together, tmp_path
) -> None:
    task = get_task("1v1-normal-0.75")
    with ResultStore(tmp_path / "r.sqlite") as store:
        run_grid(Grid([task], [MINE], ns=[400], seeds=[0, 1, 2]), store, progress=False)
        first = store.rows().set_index("cell_id")
        summary = run_grid(
            Grid([task], [MINE], ns=[400], seeds=list(range(8))), store, progress=False
        )
        rows = store.rows().set_index("cell_id")
    assert (summary.skipped, summary.run) == (3, 5)
    pd.testing.assert_frame_equal(rows.loc[first.index], first)  # untouched, to the byte
    new = rows.drop(index=first.index)
    assert (new["group_size"] == 5).all()
    fresh = eight_together.set_index("cell_id")
    np.testing.assert_array_equal(
        new["mi_estimate"].to_numpy(), fresh.loc[new.index, "mi_estimate"].to_numpy()
    )


def test_mibench_run_batches_the_seeds_of_a_neural_configuration(tmp_path) -> None:
    args = [
        "run",
        "--tasks",
        "1v1-normal-0.75",
        "--estimators",
        "mine[max_steps=20],ksg",
        "--n",
        "200",
        "--seeds",
        "8",
        "--quiet",
    ]
    res = CliRunner().invoke(main, [*args, "--run-dir", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "a" / "results.csv")
    mine = df[df["estimator"] == "mine"]
    assert len(mine) == 8 and (mine["job_kind"] == "group").all()
    assert (mine["group_size"] == 8).all()
    ksg = df[df["estimator"] == "ksg"]
    assert (ksg["job_kind"] == "cell").all() and (ksg["deterministic"] == 1).all()
    assert (mine["deterministic"] == 0).all()
    res = CliRunner().invoke(main, [*args, "--run-dir", str(tmp_path / "b"), "--no-batch"])
    assert res.exit_code == 0, res.output
    unbatched = pd.read_csv(tmp_path / "b" / "results.csv")
    assert (unbatched["job_kind"] == "cell").all()
    merged = df.merge(unbatched, on="cell_id", suffixes=("", "_cell"))
    assert len(merged) == 16
    assert (merged["mi_estimate"] == merged["mi_estimate_cell"]).all()


def test_a_failing_group_gives_an_error_row_per_member_without_paths(tmp_path) -> None:
    # A setting that only the data can refuse (the grid validates every hyperparameter up
    # front): 99 % held out leaves 2 of 200 samples to train on.
    grid = Grid([get_task("1v1-normal-0.75")], ["mine[test_fraction=0.99]"], ns=[200], seeds=[0, 1])
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = run_grid(grid, store, progress=False)
        df = store.results()
    assert summary.failed == 2 and (df["status"] == "error").all()
    for message in df["message"]:
        assert "test_fraction" in message and "/" not in message.split("(at ")[-1]


def test_streaming_runs_are_a_job_kind_of_the_same_engine(tmp_path) -> None:
    task = Staircase(dim=2, levels=(0.5, 1.0), steps_per_level=10)
    cells = streaming_cells(task, "mine[batch_size=16,eval_every=5,hidden=(8,)]", [0, 1])
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = execute(cells, [task], store, progress=False)
        again = execute(cells, [task], store, progress=False)
        df, traces = store.results(), store.traces()
    assert (summary.run, again.run, again.skipped) == (2, 0, 2)
    assert (df["job_kind"] == "streaming").all() and (df["group_size"] == 2).all()
    assert df["mi_true"].tolist() == [1.0, 1.0] and (traces.groupby("cell_id").size() == 20).all()
    with pytest.raises(ValueError, match="streaming"):
        streaming_cells(task, "ksg", [0])


def test_a_v1_store_of_the_previous_main_is_migrated_and_read_correctly(tmp_path) -> None:
    shutil.copy(V1_STORE / "results.sqlite", tmp_path / "results.sqlite")
    old = pd.read_csv(V1_STORE / "results.csv", dtype={"data_seed": str})
    with ResultStore(tmp_path / "results.sqlite") as store:
        df = store.results()
        traces = store.traces()
        assert list(store.rows().columns) == list(RESULT_COLUMNS)
    merged = old.merge(df, on="cell_id", suffixes=("_old", ""))
    assert len(merged) == len(old) == 8
    for col in ("mi_estimate", "mi_true", "status", "label", "data_seed", "params_json"):
        assert (merged[f"{col}_old"] == merged[col]).all(), col
    assert set(zip(df["estimator"], df["deterministic"], strict=True)) == {("ksg", 1), ("mine", 0)}
    assert (df["job_kind"] == "cell").all() and (df["group_size"] == 1).all()
    assert len(traces) == 4
    with sqlite3.connect(tmp_path / "results.sqlite") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == STORE_VERSION
    # the migrated store resumes: the same grid computes nothing
    grid = Grid(
        [get_task("1v1-normal-0.75"), get_task("multinormal-dense-2-2-0.5")],
        ["ksg", "mine[max_steps=30]"],
        ns=[200],
        seeds=[0, 1],
    )
    with ResultStore(tmp_path / "results.sqlite") as store:
        assert run_grid(grid, store, progress=False).run == 0


def test_stores_that_cannot_be_read_are_refused_with_what_to_do(tmp_path) -> None:
    newer = tmp_path / "newer.sqlite"
    ResultStore(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer mibench.*upgrade mibench"):
        ResultStore(newer)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE things (a)")
    with pytest.raises(StoreError, match="not a mibench results store"):
        ResultStore(other)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="move it away"):
        ResultStore(garbage)


def test_committed_tables_round_trip_through_a_rebuilt_store(eight_together, tmp_path) -> None:
    shutil.copy(V1_STORE / "results.sqlite", tmp_path / "results.sqlite")
    with ResultStore(tmp_path / "results.sqlite") as store:
        rows, traces = store.rows(), store.traces()
        written = write_tables(tmp_path, store.results(), traces)
    assert [p.name for p in written] == ["results.parquet", "traces.parquet"]
    assert json.loads(pd.read_parquet(written[0])["params_json"].iloc[0])
    with ResultStore(":memory:") as rebuilt:
        assert restore_store(tmp_path, rebuilt) == len(rows)
        assert restore_store(tmp_path, rebuilt) == 0  # nothing missing any more
        pd.testing.assert_frame_equal(rebuilt.rows(), rows)
        pd.testing.assert_frame_equal(rebuilt.traces(), traces)
    pd.testing.assert_frame_equal(read_rows(tmp_path), rows)


def test_python_grid_api_returns_a_dataframe_and_resumes(tmp_path) -> None:
    def study() -> pd.DataFrame:
        return mibench.run(
            ["1v1-normal-0.75", "multinormal-dense-2-2-0.5"],
            ["ksg", "ksg[k=5]"],
            n=[200, 400],
            seeds=2,
            run_dir=tmp_path,
            progress=False,
        )

    df = study()
    assert isinstance(df, pd.DataFrame) and len(df) == 2 * 2 * 2 * 2
    assert (df["status"] == "ok").all()
    assert set(df["label"]) == {"ksg", "ksg[k=5]"} and "p_estimator_k" in df.columns
    pd.testing.assert_frame_equal(df, study())  # resumed: the stored rows, not new ones
    in_memory = mibench.run(suite="quick", estimators="gaussian", n=300, seeds=[4], progress=False)
    assert len(in_memory) == 8 and (in_memory["seed"] == 4).all()
    with pytest.raises(ValueError, match="exactly one of tasks"):
        mibench.run(estimators="ksg")
    with pytest.raises(ValueError, match="seeds"):
        mibench.run(["1v1-normal-0.75"], seeds=0)


def test_checking_a_device_imports_no_estimator_family() -> None:
    code = (
        "import sys; from mibench.devices import resolve_device; resolve_device('cpu'); "
        "bad = [m for m in ('mibench.neural', 'mibench.baselines') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(ValueError, match="device"):
        Grid([get_task("1v1-normal-0.75")], ["ksg"], ns=[100], seeds=[0], device="nonsense")


def test_a_cell_given_twice_runs_once(tmp_path) -> None:
    task = get_task("1v1-normal-0.75")
    grid = Grid(
        [task, task], ["ksg", "ksg[k=3]", "mine[max_steps=20]"], ns=[300, 300], seeds=[0, 0, 1]
    )
    assert len(grid.cells()) == 2 * 2  # (ksg = ksg[k=3], mine) × seeds 0, 1
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = execute([*grid.cells(), *grid.cells()], [task], store, progress=False)
        df = store.results()
    assert (summary.total, summary.run, summary.failed) == (4, 4, 0)
    assert (df["status"] == "ok").all()


def test_mibench_run_on_an_unusable_store_is_a_usage_error(tmp_path) -> None:
    (tmp_path / "results.sqlite").write_bytes(b"\x00garbage" * 500)
    args = [
        "run",
        "--tasks",
        "1v1-normal-0.75",
        "--estimators",
        "ksg",
        "--n",
        "100",
        "--seeds",
        "1",
        "--run-dir",
        str(tmp_path),
        "--quiet",
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "not a readable SQLite results store" in res.output


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"estimators": None}, "estimators"),
        ({"workers": "x"}, "workers"),
        ({"timeout": "x"}, "timeout"),
        ({"seeds": 2.5}, "seeds"),
        ({"n": "abc"}, "n"),
    ],
)
def test_python_grid_api_refuses_bad_arguments_by_name(kwargs, name) -> None:
    with pytest.raises(ValueError, match=name):
        mibench.run(
            ["1v1-normal-0.75"], **{"estimators": "gaussian", "n": 100, **kwargs}, progress=False
        )


def test_python_grid_api_refuses_a_file_as_run_dir(tmp_path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="run_dir"):
        mibench.run(["1v1-normal-0.75"], "gaussian", n=100, run_dir=tmp_path / "file")
