"""Run a fixed-sample grid with the seeds of each neural configuration as one batched ensemble.

The rows are exactly those :func:`mibench.harness.runner.run_grid` stores (same cell ids, same
columns, same data): each cell's samples come from ``task.sample(n, cell.data_seed)``,
standardised per column when the grid says so, and each member's seed is the cell's
estimator seed. Only the training differs: the seeds of one (task, estimator configuration, n)
train together through :func:`~mibench.neural.fit_ensemble` (members share the wall-clock
time, which is divided among them in ``wall_seconds``). Non-neural estimators go through
:func:`~mibench.harness.runner.run_grid` unchanged.
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tqdm.auto import tqdm

from mibench.estimate import Estimate, Status
from mibench.harness.cells import Cell
from mibench.harness.grid import Grid
from mibench.harness.runner import pending_cells, result_row, run_grid, standardize_columns, utc_now
from mibench.harness.store import ResultStore
from mibench.neural import NEURAL_ESTIMATORS, fit_ensemble
from mibench.registry import estimator_factory, parse_spec
from mibench.tasks import Task


@dataclass
class BatchedSummary:
    """Counts of a batched grid run.

    Attributes:
        total: cells of the grid selected to run.
        skipped: of those, cells already stored.
        run: cells run and stored now.
        failed: of those, cells whose status is not ok.
    """

    total: int
    skipped: int
    run: int = 0
    failed: int = 0


def is_neural(spec: str) -> bool:
    """True when ``spec`` names a neural estimator (one that trains in batched ensembles)."""
    return parse_spec(spec)[0] in NEURAL_ESTIMATORS


def _fit_group(
    cells: Sequence[Cell], task: Task, factory: Callable[..., object]
) -> tuple[list[Estimate], list[str]]:
    """Fit the seeds of one (task, configuration, n) together; any exception fails them all."""
    caught: list[warnings.WarningMessage] = []
    try:
        data = []
        for c in cells:
            x, y = task.sample(c.n, c.data_seed)
            if c.standardize:
                x, y = standardize_columns(x), standardize_columns(y)
            data.append((x, y))
        members = [
            factory(
                **{
                    **c.params,
                    "seed": c.estimator_seed if c.params.get("seed") is None else c.params["seed"],
                }
            )
            for c in cells
        ]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = fit_ensemble(members, [x for x, _ in data], [y for _, y in data])
    except Exception as exc:  # noqa: BLE001 - a failing group never stops a grid
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"{type(exc).__name__}: {exc} (at {tb.filename}:{tb.lineno})"
        results = [Estimate.failed(Status.ERROR, message) for _ in cells]
    return results, sorted({f"{w.category.__name__}: {w.message}" for w in caught})


def run_grid_batched(
    grid: Grid,
    store: ResultStore,
    *,
    only: set[str] | None = None,
    progress: bool = True,
) -> BatchedSummary:
    """Run the pending cells of ``grid``: neural seeds batched, other estimators one by one.

    Sample sizes run largest first, so that an interrupted run has filled the largest-n
    heatmap before the smaller sizes.

    Args:
        grid: the figure's grid.
        store: where rows go; stored cells are skipped.
        only: registry names of the estimators to run now (None: all); the others' cells
            stay pending.
        progress: show progress bars on stderr.

    Returns:
        A :class:`BatchedSummary` of the selected cells.

    Raises:
        ValueError: naming ``only`` when it holds a name that is not an estimator of the grid.
    """
    specs = [s for s in grid.estimators if only is None or parse_spec(s)[0] in only]
    if only is not None:
        unknown = set(only) - {parse_spec(s)[0] for s in grid.estimators}
        if unknown:
            raise ValueError(
                f"only must name estimators of the figure's grid "
                f"{sorted({parse_spec(s)[0] for s in grid.estimators})}, got {sorted(unknown)}"
            )
    summary = BatchedSummary(total=0, skipped=0)
    if not specs:
        return summary
    classical = [s for s in specs if not is_neural(s)]
    neural = [s for s in specs if is_neural(s)]
    for n in sorted(set(grid.ns), reverse=True):
        if classical:
            done = run_grid(_subgrid(grid, classical, n), store, progress=progress)
            summary.total += done.total
            summary.skipped += done.skipped
            summary.run += done.run
            summary.failed += done.failed
        if neural:
            _run_neural(_subgrid(grid, neural, n), store, summary, progress)
    return summary


def _subgrid(grid: Grid, specs: list[str], n: int) -> Grid:
    """The cells of ``grid`` for ``specs`` at sample size ``n`` (same cell ids)."""
    return Grid(
        tasks=grid.tasks,
        estimators=specs,
        ns=[n],
        seeds=grid.seeds,
        standardize=grid.standardize,
        device=grid.device,
    )


def _run_neural(sub: Grid, store: ResultStore, summary: BatchedSummary, progress: bool) -> None:
    """Run the pending cells of ``sub`` in batched-seed groups, updating ``summary``."""
    todo = pending_cells(sub, store)
    total = len(sub.cells())
    summary.total += total
    summary.skipped += total - len(todo)
    groups: dict[tuple[str, str, int], list[Cell]] = {}
    for c in todo:
        groups.setdefault((c.task_id, c.label, c.n), []).append(c)
    tasks = {t.id: t for t in sub.tasks}
    bar = tqdm(total=len(todo), disable=not progress, unit="cell", desc="batched seeds")
    for (task_id, label, _), cells in groups.items():
        started = utc_now()
        task = tasks[task_id]
        results, warned = _fit_group(cells, task, estimator_factory(cells[0].estimator))
        for cell, result in zip(cells, results, strict=True):
            messages = ([result.message] if result.message else []) + warned
            row = result_row(cell, task, result, messages, started)
            store.write(row, result.trace)
            summary.run += 1
            summary.failed += row["status"] != Status.OK.value
        bar.set_postfix_str(f"{label} on {task_id}", refresh=False)
        bar.update(len(cells))
    bar.close()
