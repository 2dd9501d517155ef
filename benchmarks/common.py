"""Helpers shared by the benchmarks: the harness's samples, accuracy tables, version tags."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mibench import tasks as task_registry
from mibench.harness.cells import canonical_json, data_seed
from mibench.harness.grid import Grid
from mibench.harness.jobs import CellJob
from mibench.preprocessing import zscore
from mibench.registry import estimator_factory
from mibench.report.metrics import summarize

#: Bump when a benchmark changes in a way that makes results recorded before incomparable
#: (asv marks such pairs "x" in ``asv compare`` instead of comparing them).
REVISION = 1


def benchmark_version(task_ids: Sequence[str]) -> str:
    """The asv ``version`` of a benchmark that runs on ``task_ids``.

    It combines :data:`REVISION` with a hash of each task's id and version, so a task whose
    definition changes (and whose version is bumped) makes earlier results incomparable.

    Args:
        task_ids: registered task ids (or ids of the task grammar).

    Raises:
        ValueError: for an unknown task id.
    """
    tasks = [(t, task_registry.get_task(t).version) for t in task_ids]
    digest = hashlib.sha256(canonical_json(tasks).encode()).hexdigest()[:12]
    return f"r{REVISION}-tasks-{digest}"


def harness_sample(task_id: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The samples a grid cell ``(task_id, n, seed)`` gives its estimator.

    Drawn with the cell's data seed and standardised per column, as ``mibench run`` does.

    Returns:
        ``x: (n, dim_x)`` and ``y: (n, dim_y)``, float64.

    Raises:
        ValueError: for an unknown task id or a non-positive n.
    """
    task = task_registry.get_task(task_id)
    x, y = task.sample(n, data_seed(task.id, task.version, n, seed))
    return zscore(x), zscore(y)


def accuracy_table(
    task_ids: Sequence[str], estimators: Sequence[str], ns: Sequence[int], seeds: Sequence[int]
) -> dict[tuple[str, str, int], dict[str, float]]:
    """Run a grid in this process and return its accuracy metrics per group.

    Every cell runs as a :class:`mibench.harness.jobs.CellJob`, exactly as in
    ``mibench run``; the metrics are those of :func:`mibench.report.metrics.summarize`.

    Args:
        task_ids: task ids.
        estimators: estimator specs in canonical form (``spec_label`` of themselves, e.g.
            ``"ksg"`` or ``"mine[max_steps=300]"``), so that they key the result.
        ns: sample sizes.
        seeds: replicate seeds the metrics average over.

    Returns:
        ``{(task_id, spec, n): {"abs_bias": ..., "rmse": ..., "failure_rate": ...}}``; bias
        and RMSE in nats (NaN when no seed succeeded), failure rate in [0, 1].

    Raises:
        ValueError: for an unknown task or estimator, or a bad hyperparameter.
    """
    grid = Grid(
        tasks=[task_registry.get_task(t) for t in task_ids],
        estimators=list(estimators),
        ns=list(ns),
        seeds=list(seeds),
    )
    tasks = {t.id: t for t in grid.tasks}
    factories = {name: estimator_factory(name) for name in {c.estimator for c in grid.cells()}}
    jobs = [CellJob((c,), tasks[c.task_id], factories[c.estimator]) for c in grid.cells()]
    rows = [row for job in jobs for row, _ in job()]
    summary = summarize(pd.DataFrame(rows))
    return {
        (r.task_id, r.label, int(r.n)): {
            "abs_bias": abs(r.bias),
            "rmse": r.rmse,
            "failure_rate": r.failure_rate,
        }
        for r in summary.itertuples()
    }
