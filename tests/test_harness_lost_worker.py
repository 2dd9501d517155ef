"""A worker that dies loses only its own job's cells; the rest of the grid is stored."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from mibench.harness.store import ResultStore

SCRIPT = textwrap.dedent(
    """
    import os, sys
    from concurrent.futures import ProcessPoolExecutor
    import numpy as np
    from mibench.estimator import Estimator
    from mibench.registry import register_estimator
    from mibench.harness.grid import Grid
    from mibench.harness.runner import run_grid
    from mibench.harness.store import ResultStore
    from mibench.tasks import get_task

    class Killer(Estimator):
        '''Kills its own process on two-column data (as an out-of-memory kill would).'''
        name = "killer"
        def __init__(self):
            pass
        def _estimate(self, x, y):
            if x.shape[1] == 2:
                os._exit(3)
            return float(np.corrcoef(x[:, 0], y[:, 0])[0, 1] ** 2)

    register_estimator("killer", Killer)

    if __name__ == "__main__":
        tasks = [get_task("1v1-normal-0.75"), get_task("multinormal-dense-2-2-0.5")]
        grid = Grid(tasks, ["killer"], [100], list(range(6)))
        with ResultStore(sys.argv[1]) as store, ProcessPoolExecutor(2) as pool:
            s = run_grid(grid, store, executor=pool, progress=False)
        print(s.run, s.lost)
    """
)


@pytest.mark.skipif(os.name != "posix", reason="process semantics")
def test_a_dead_worker_loses_only_its_own_cells(tmp_path):
    script = tmp_path / "killer_grid.py"
    script.write_text(SCRIPT)
    db = tmp_path / "r.sqlite"
    out = subprocess.run(
        [sys.executable, str(script), str(db)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    run, lost = map(int, out.stdout.split())
    # Every one-column cell is stored; only the six cells whose job kills its process are lost.
    assert (run, lost) == (6, 6)
    with ResultStore(db) as store:
        rows = store.rows()
    assert sorted(rows["task_id"].unique()) == ["1v1-normal-0.75"]
    assert (rows["status"] == "ok").all()


@pytest.mark.skipif(os.name != "posix", reason="process semantics")
def test_mibench_run_exits_non_zero_when_a_cell_was_lost(tmp_path):
    from click.testing import CliRunner

    from mibench.cli import main

    args = ["run", "--tasks", "1v1-normal-0.75,multinormal-dense-2-2-0.5"]
    args += ["--estimators", "test-kill", "--n", "100", "--seeds", "3", "--workers", "2"]
    out = CliRunner().invoke(main, [*args, "--run-dir", str(tmp_path / "r"), "--quiet"])
    assert out.exit_code == 1, out.output
    assert "3 cell(s) were lost" in out.output
    assert "3 run now" in out.output  # the one-column cells are stored
