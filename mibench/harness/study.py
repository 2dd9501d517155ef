"""Run a grid from Python and get its results table: :func:`run` (also ``mibench.run``).

The same engine, store and seeds as ``mibench run``: a cell gives the same row from a
notebook as from the command line, and a ``run_dir`` given twice resumes the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mibench.harness.executors import make_executor
from mibench.harness.grid import Grid
from mibench.harness.runner import run_grid
from mibench.harness.store import STORE_FILE, ResultStore
from mibench.validation import is_int, require


def _tasks(tasks: Any, suite: str | None) -> list[Any]:
    from mibench import tasks as registry

    if (tasks is None) == (suite is None):
        raise ValueError(
            f"give exactly one of tasks (ids or Task objects) and suite (a suite name), got "
            f"tasks={tasks!r} and suite={suite!r}"
        )
    if suite is not None:
        return registry.list_tasks(suite)
    if isinstance(tasks, str) or hasattr(tasks, "sample"):
        tasks = [tasks]
    if not isinstance(tasks, Sequence) or not tasks:
        raise ValueError(
            f"tasks must be a non-empty list of task ids or Task objects, got {tasks!r}"
        )
    return [registry.get_task(t) if isinstance(t, str) else t for t in tasks]


def _int_list(value: Any, name: str) -> list[int]:
    values = [value] if is_int(value) else value
    ok = (
        isinstance(values, Sequence)
        and not isinstance(values, str)
        and len(values) > 0
        and all(is_int(v) for v in values)
    )
    require(ok, name, value, "an int or a non-empty list of ints")
    return [int(v) for v in values]


def run(
    tasks: Any = None,
    estimators: str | Sequence[str] = ("ksg",),
    n: int | Sequence[int] = 2000,
    seeds: int | Sequence[int] = 3,
    *,
    suite: str | None = None,
    run_dir: str | Path | None = None,
    standardize: bool = True,
    device: str | None = None,
    error_bar: str | None = None,
    workers: int = 0,
    scheduler: str | None = None,
    timeout: float | None = None,
    retry_failed: bool = False,
    batch: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Run tasks × estimators × n × seeds and return the results table, one row per cell.

    Example::

        import mibench

        df = mibench.run(["1v1-normal-0.75", "multinormal-dense-5-5-0.5"],
                         ["ksg", "ksg[k=10]", "mine"], n=[1000, 5000], seeds=5)
        df.groupby(["task_id", "label", "n"])["mi_estimate"].mean()  # nats

    Args:
        tasks: task ids or :class:`~mibench.tasks.Task` objects (one, or a list); or None
            with ``suite``.
        estimators: estimator specs, ``name`` or ``name[param=value,...]`` (one, or a list);
            a sweep, ``"ksg[k=3|5|10]"``, gives one configuration per value
            (:func:`~mibench.registry.expand_sweep`).
        n: sample size(s).
        seeds: a number of replicate seeds (``0..seeds-1``) or a list of seeds.
        suite: a suite name (``mibench list suites``) instead of ``tasks``.
        run_dir: a run folder whose store ``results.sqlite`` keeps the rows: a second call
            with the same folder skips finished cells (``mibench report`` reads it too).
            None keeps the rows in memory only.
        standardize: standardise x and y per column after sampling.
        device: torch device for the estimators that have one, unless their spec sets it.
        error_bar: an error bar for every cell (:mod:`mibench.errorbars`): ``"auto"`` or a
            method every estimator supports; it fills ``mi_stderr``, ``mi_ci_low`` and
            ``mi_ci_high``.
        workers: a local process pool of this many workers (0: in this process).
        scheduler: a Dask scheduler (``"local:N"`` or ``"tcp://HOST:PORT"``).
        timeout: per-cell limit in seconds (cells over it get status ``timeout``).
        retry_failed: rerun stored cells whose status is not ok.
        batch: train the seeds of each neural configuration as one batched model.
        progress: show a progress bar.

    Returns:
        The long results table of the grid's cells (columns of
        :data:`~mibench.harness.schema.RESULT_COLUMNS` plus ``p_estimator_*``/``p_task_*``
        parameter columns); ``mi_true`` and ``mi_estimate`` in nats, ``status`` per cell. A
        failing cell is a row with its status and message, never an exception.

    Raises:
        ValueError: for a bad argument (naming it): no or both of ``tasks`` and ``suite``, an
            unknown task or estimator, a bad hyperparameter or sweep, n or seeds, device,
            error bar, executor or timeout.
    """
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}")
        seed_list = list(range(seeds))
    else:
        seed_list = _int_list(seeds, "seeds")
    if isinstance(estimators, str):
        estimators = [estimators]
    if not isinstance(estimators, Sequence) or not all(isinstance(e, str) for e in estimators):
        raise ValueError(
            f"estimators must be an estimator spec or a list of specs, got {estimators!r}"
        )
    grid = Grid(
        tasks=_tasks(tasks, suite),
        estimators=list(estimators),
        ns=_int_list(n, "n"),
        seeds=seed_list,
        standardize=standardize,
        device=device,
        error_bar=error_bar,
    )
    path: str | Path = ":memory:"
    if run_dir is not None:
        if Path(run_dir).exists() and not Path(run_dir).is_dir():
            raise ValueError(f"run_dir must be a folder, got the file {str(run_dir)!r}")
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        path = Path(run_dir) / STORE_FILE
    with (
        ResultStore(path) as store,
        make_executor(workers, scheduler, cells_in_own_process=timeout is not None) as executor,
    ):
        run_grid(
            grid,
            store,
            executor=executor,
            timeout=timeout,
            retry_failed=retry_failed,
            batch=batch,
            progress=progress,
        )
        results = store.results()
    order = {c.cell_id: i for i, c in enumerate(grid.cells())}
    mine = results[results["cell_id"].isin(order)]
    return mine.sort_values("cell_id", key=lambda ids: ids.map(order)).reset_index(drop=True)
