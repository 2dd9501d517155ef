"""Run the cells of a grid, in process or on an executor, writing each finished cell at once.

The same :func:`run_cell` runs in every executor; only the driver writes to the store, so a
run gives the same rows whatever the executor or the number of workers.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import traceback
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from mibench.estimate import Estimate, Status
from mibench.estimator import Estimator
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


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second (the ``started_at``/``finished_at`` format)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _finite_or_none(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _execute(
    cell: Cell, task: Task, factory: Callable[..., Estimator]
) -> tuple[Estimate, list[str]]:
    """Sample, estimate, and turn any exception into an ``error`` estimate."""
    caught: list[warnings.WarningMessage] = []
    try:
        x, y = task.sample(cell.n, cell.data_seed)
        if cell.standardize:
            x, y = standardize_columns(x), standardize_columns(y)
        estimator = factory(**cell.params)
        if cell.params.get("seed", 0) is None:
            estimator.set_params(seed=cell.estimator_seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = estimator.estimate(x, y)
    except Exception as exc:  # noqa: BLE001 - one failing cell never stops a grid
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        result = Estimate.failed(
            Status.ERROR, f"{type(exc).__name__}: {exc} (at {Path(tb.filename).name}:{tb.lineno})"
        )
    messages = [result.message] if result.message else []
    messages += sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    return result, messages


def result_row(
    cell: Cell, task: Task, result: Estimate, messages: list[str], started: str
) -> dict[str, Any]:
    """The results-table row of a finished cell (columns of
    :data:`mibench.harness.store.RESULT_COLUMNS`); ``messages`` are joined into ``message``."""
    return {
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
        "finished_at": utc_now(),
    }


CellOutput = tuple[dict[str, Any], list[tuple[int, float, float]]]


def run_cell(cell: Cell, task: Task, factory: Callable[..., Estimator] | None = None) -> CellOutput:
    """Sample the cell's data, run its estimator, and return its result row and trace.

    Never raises for a failing estimator: the exception becomes a row with status ``error``
    and its message.

    Args:
        cell: the cell to run.
        task: the cell's task.
        factory: builds the estimator from ``cell.params``; by default the registry's
            factory for ``cell.estimator``.

    Returns:
        ``(row, trace)``: ``row`` has the columns of :data:`mibench.harness.store.RESULT_COLUMNS`;
        ``trace`` is the estimator's list of ``(step, train_value, test_value)``.
    """
    started = utc_now()
    result, messages = _execute(cell, task, factory or estimator_factory(cell.estimator))
    return result_row(cell, task, result, messages, started), list(result.trace)


class CellLost(RuntimeError):
    """The process running a cell died without a result; the cell stays pending."""


#: Seconds a timed cell's child process may take to start before the cell counts as lost.
CHILD_START_LIMIT = 300.0
#: The child's first message: it has started, and the cell's clock starts now.
_STARTED = "started"


def _child_main(conn: Connection, cell: Cell, task: Task, factory: Callable[..., Estimator]):
    conn.send(_STARTED)
    conn.send(run_cell(cell, task, factory))
    conn.close()


def _process_context() -> mp.context.BaseContext:
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["mibench.harness.runner"])
        return ctx
    return mp.get_context("spawn")


def run_cell_with_timeout(
    cell: Cell, task: Task, factory: Callable[..., Estimator], timeout: float
) -> CellOutput:
    """Run :func:`run_cell` in a child process and stop it after ``timeout`` seconds.

    A running numpy or torch call cannot be interrupted inside a process, so the cell runs in
    its own child process, which is killed at the deadline. The deadline counts from the
    moment the child has started (sampling and estimation, not process start-up, which a
    loaded machine can slow down).

    Returns:
        The cell's row and trace; a row with status ``timeout`` when the deadline passed.

    Raises:
        CellLost: when the child process died without a result (killed, crashed) or did not
            start within :data:`CHILD_START_LIMIT` seconds; no row is written, so a later run
            computes the cell again.
    """
    started = utc_now()
    recv, send = mp.Pipe(duplex=False)
    proc = _process_context().Process(target=_child_main, args=(send, cell, task, factory))
    proc.start()
    send.close()

    where = f"cell {cell.cell_id} ({cell.label} on {cell.task_id})"
    try:
        if not recv.poll(CHILD_START_LIMIT):
            raise CellLost(f"{where}: worker process did not start within {CHILD_START_LIMIT:g} s")
        try:
            recv.recv()
            if recv.poll(timeout):
                return recv.recv()
        except EOFError:
            proc.join()
            raise CellLost(
                f"{where}: worker process exited with code {proc.exitcode} before returning a "
                "result"
            ) from None
        result = Estimate.failed(Status.TIMEOUT, f"cell exceeded its {timeout:g} s timeout")
        result.wall_seconds = float(timeout)
        return result_row(cell, task, result, [result.message], started), []
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()


@dataclass
class RunSummary:
    """Counts of a grid run.

    Attributes:
        total: cells in the grid.
        skipped: cells already stored before this run (not recomputed).
        run: cells run and stored now.
        failed: of those, cells whose status is not ok.
        lost: cells whose worker died without a result; they stay pending for the next run.
        lost_messages: why each lost cell was lost.
    """

    total: int
    skipped: int
    run: int = 0
    failed: int = 0
    lost: int = 0
    lost_messages: list[str] = field(default_factory=list)


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
    timeout: float | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> RunSummary:
    """Run every pending cell of ``grid`` and write each row to ``store`` as it finishes.

    Args:
        grid: the cells to run.
        store: where finished cells go; cells already there are skipped.
        executor: a :class:`concurrent.futures.Executor` (see
            :func:`mibench.harness.executors.make_executor`); None runs in this process.
        timeout: per-cell limit in seconds; each cell then runs in its own child process and
            is recorded with status ``timeout`` when it runs over.
        retry_failed: also rerun stored cells whose status is not ``ok``.
        progress: show a progress bar on stderr.
        on_row: called with each stored row (for logging).

    Returns:
        A :class:`RunSummary`.

    Raises:
        ValueError: when ``timeout`` is not positive.
    """
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    tasks = {t.id: t for t in grid.tasks}
    factories = {name: estimator_factory(name) for name in {c.estimator for c in grid.cells()}}
    job = run_cell if timeout is None else partial(run_cell_with_timeout, timeout=timeout)
    todo = pending_cells(grid, store, retry_failed)
    total = len(grid.cells())
    summary = RunSummary(total=total, skipped=total - len(todo))
    bar = tqdm(total=len(todo), disable=not progress, unit="cell", desc="mibench run")

    def finish(row: dict[str, Any], trace: list[tuple[int, float, float]]) -> None:
        store.write(row, trace)
        summary.run += 1
        summary.failed += row["status"] != Status.OK.value
        bar.set_postfix_str(f"{row['label']} on {row['task_id']}", refresh=False)
        bar.update()
        if on_row:
            on_row(row)

    def lose(cell: Cell, exc: BaseException) -> None:
        summary.lost += 1
        summary.lost_messages.append(f"{cell.label} on {cell.task_id}: {exc}")
        bar.update()

    try:
        if executor is None:
            for cell in todo:
                try:
                    finish(*job(cell, tasks[cell.task_id], factories[cell.estimator]))
                except CellLost as exc:
                    lose(cell, exc)
        else:
            futures = {
                executor.submit(job, c, tasks[c.task_id], factories[c.estimator]): c for c in todo
            }
            for fut in as_completed(futures):
                try:
                    output = fut.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker loses only its cells
                    lose(futures[fut], exc)
                else:
                    finish(*output)
    finally:
        bar.close()
    return summary
