"""Run the cells of a grid, in process or on an executor, writing each finished cell at once.

The same :func:`run_cell` runs in every executor; only the driver writes to the store, so a
run gives the same rows whatever the executor or the number of workers.
"""

from __future__ import annotations

import math
import traceback
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from mibench.estimate import Estimate, Status
from mibench.harness.cells import Cell, canonical_json
from mibench.harness.grid import Grid
from mibench.harness.provenance import provenance
from mibench.harness.store import ResultStore
from mibench.registry import estimator_factory
from mibench.tasks import Task


def standardize_columns(a: np.ndarray) -> np.ndarray:
    """Centre each column and scale it to unit sd (ddof=0); constant columns become 0.

    Args:
        a: array of shape ``(n, d)``.

    Returns:
        A new ``(n, d)`` float64 array.
    """
    a = np.asarray(a, dtype=np.float64)
    centred = a - a.mean(axis=0)
    sd = centred.std(axis=0)
    return centred / np.where(sd > 0, sd, 1.0)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _finite_or_none(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def run_cell(cell: Cell, task: Task) -> tuple[dict[str, Any], list[tuple[int, float, float]]]:
    """Sample the cell's data, run its estimator, and return its result row and trace.

    Never raises for a failing estimator: the exception becomes a row with status ``error``
    and its message.

    Returns:
        ``(row, trace)``: ``row`` has the columns of :data:`mibench.harness.store.RESULT_COLUMNS`;
        ``trace`` is the estimator's list of ``(step, train_value, test_value)``.
    """
    started = _now()
    caught: list[warnings.WarningMessage] = []
    try:
        x, y = task.sample(cell.n, cell.data_seed)
        if cell.standardize:
            x, y = standardize_columns(x), standardize_columns(y)
        estimator = estimator_factory(cell.estimator)(**cell.params)
        if cell.params.get("seed", 0) is None:
            estimator.set_params(seed=cell.estimator_seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = estimator.estimate(x, y)
    except Exception as exc:  # noqa: BLE001 - one failing cell never stops a grid
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        result = Estimate.failed(
            Status.ERROR, f"{type(exc).__name__}: {exc} (at {tb.filename}:{tb.lineno})"
        )
    messages = [result.message] if result.message else []
    messages += sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    row = {
        "cell_id": cell.cell_id,
        "task_id": task.id,
        "task_version": task.version,
        "task_name": task.name,
        "task_tags": ",".join(sorted(task.tags)),
        "dim_x": task.dim_x,
        "dim_y": task.dim_y,
        "estimator": cell.estimator,
        "label": cell.label,
        "params_json": canonical_json(cell.params),
        "n": cell.n,
        "seed": cell.seed,
        "standardize": int(cell.standardize),
        "data_seed": str(cell.data_seed),
        "mi_true": task.mi,
        "mi_true_stderr": task.mi_stderr,
        "mi_estimate": _finite_or_none(result.value),
        "mi_stderr": _finite_or_none(result.stderr),
        "status": str(result.status),
        "message": "; ".join(messages),
        "wall_seconds": result.wall_seconds,
        "fit_seconds": result.fit_seconds,
        "samples_per_second": _finite_or_none(result.samples_per_second),
        "steps": result.steps,
        "steps_per_second": _finite_or_none(result.steps_per_second),
        "device": result.device,
        "extras_json": canonical_json(result.extras),
        **provenance(),
        "started_at": started,
        "finished_at": _now(),
    }
    return row, list(result.trace)


@dataclass
class RunSummary:
    """Counts of a grid run: cells in the grid, skipped (already stored), run now, failed now."""

    total: int
    skipped: int
    run: int
    failed: int


def pending_cells(grid: Grid, store: ResultStore, retry_failed: bool = False) -> list[Cell]:
    """Cells of ``grid`` not yet stored (and, with ``retry_failed``, those stored as not ok)."""
    stored = store.statuses()
    return [
        c
        for c in grid.cells()
        if c.cell_id not in stored or (retry_failed and stored[c.cell_id] != Status.OK.value)
    ]


def run_grid(
    grid: Grid,
    store: ResultStore,
    *,
    executor: Executor | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> RunSummary:
    """Run every pending cell of ``grid`` and write each row to ``store`` as it finishes.

    Args:
        grid: the cells to run.
        store: where finished cells go; cells already there are skipped.
        executor: a :class:`concurrent.futures.Executor` (process pool, or a Dask client's
            ``get_executor()``); None runs in this process.
        retry_failed: also rerun stored cells whose status is not ``ok``.
        progress: show a progress bar on stderr.
        on_row: called with each stored row (for logging).

    Returns:
        A :class:`RunSummary`.
    """
    tasks = {t.id: t for t in grid.tasks}
    todo = pending_cells(grid, store, retry_failed)
    total = len(grid.cells())
    summary = RunSummary(total=total, skipped=total - len(todo), run=0, failed=0)
    bar = tqdm(total=len(todo), disable=not progress, unit="cell", desc="mibench run")

    def finish(row: dict[str, Any], trace: list[tuple[int, float, float]]) -> None:
        store.write(row, trace)
        summary.run += 1
        summary.failed += row["status"] != Status.OK.value
        bar.set_postfix_str(f"{row['label']} on {row['task_id']}", refresh=False)
        bar.update()
        if on_row:
            on_row(row)

    try:
        if executor is None:
            for cell in todo:
                finish(*run_cell(cell, tasks[cell.task_id]))
        else:
            futures = [executor.submit(run_cell, c, tasks[c.task_id]) for c in todo]
            for fut in as_completed(futures):
                finish(*fut.result())
    finally:
        bar.close()
    return summary
