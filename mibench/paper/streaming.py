"""Streaming (staircase) runs stored in the result store, one row per (task, estimator, seed).

A streaming run is not a fixed-sample cell, but it is stored like one so that figures resume
the same way: its :class:`~mibench.harness.cells.Cell` has the streaming task's id and
version, the estimator's name, label and ``get_params()``, ``n`` = samples drawn over the whole
schedule (steps × batch size), the replicate seed and ``standardize=False``. The row is the
one :func:`mibench.harness.runner.run_cell` would write, with ``mi_true`` = the true MI of the
last step and ``mi_estimate`` = the estimator's streaming value (mean of its last
``eval_every`` steps); the per-step trace goes to the side table with ``train_value`` = the
step's estimate and ``test_value`` = the step's true MI (nats).

Every seed of one configuration trains as one batched ensemble
(:func:`~mibench.neural.fit_streaming_ensemble`); each member draws its batches with the
cell's data seed, so all estimators see the same batches for the same replicate seed. A run
is stored when it finishes; an interrupted run is recomputed from scratch.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tqdm.auto import tqdm

from mibench.estimate import Estimate, Status
from mibench.harness.cells import Cell
from mibench.harness.grid import spec_label
from mibench.harness.runner import result_row, utc_now
from mibench.harness.store import ResultStore
from mibench.neural import fit_streaming_ensemble
from mibench.registry import get_estimator, parse_spec
from mibench.tasks.streaming import StreamingTask


@dataclass(frozen=True)
class _RowTask:
    """The task columns of a streaming row (``result_row`` reads a fixed-sample task's fields)."""

    id: str
    version: int
    name: str
    tags: frozenset[str]
    dim_x: int
    dim_y: int
    mi: float
    mi_stderr: float = 0.0


@dataclass(frozen=True)
class StreamingRun:
    """One stored streaming run: a streaming task, an estimator spec and a replicate seed.

    Attributes:
        task: the streaming task (e.g. a :class:`~mibench.tasks.streaming.Staircase`).
        spec: estimator spec, ``name[param=value,...]`` (a neural estimator).
        seed: replicate index.
    """

    task: StreamingTask
    spec: str
    seed: int

    @property
    def cell(self) -> Cell:
        """The stored identity of the run (see the module docstring)."""
        name, _ = parse_spec(self.spec)
        params = get_estimator(self.spec).get_params()
        return Cell(
            task_id=self.task.id,
            task_version=self.task.version,
            estimator=name,
            label=spec_label(self.spec),
            params=params,
            n=self.task.n_steps * int(params["batch_size"]),
            seed=int(self.seed),
            standardize=False,
        )


def _row_task(task: StreamingTask) -> _RowTask:
    return _RowTask(
        id=task.id,
        version=task.version,
        name=task.name,
        tags=frozenset(task.tags),
        dim_x=task.dim_x,
        dim_y=task.dim_y,
        mi=float(task.true_mi(task.n_steps - 1)),
    )


def _train_group(runs: Sequence[StreamingRun]) -> list[Estimate]:
    """Train the runs of one (task, spec) as one batched ensemble; errors become rows."""
    cells = [r.cell for r in runs]
    members = [get_estimator(r.spec, seed=c.data_seed) for r, c in zip(runs, cells, strict=True)]
    try:
        return fit_streaming_ensemble(members, runs[0].task)
    except Exception as exc:  # noqa: BLE001 - one failing configuration never stops a figure
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"{type(exc).__name__}: {exc} (at {tb.filename}:{tb.lineno})"
        return [Estimate.failed(Status.ERROR, message) for _ in runs]


def pending_runs(runs: Iterable[StreamingRun], store: ResultStore) -> list[StreamingRun]:
    """The runs not yet stored (any status: a stored failure is not retried)."""
    stored = store.statuses()
    return [r for r in runs if r.cell.cell_id not in stored]


def run_streaming(
    runs: Sequence[StreamingRun], store: ResultStore, *, progress: bool = True
) -> int:
    """Train every pending run and store each (task, spec) group as soon as it finishes.

    Args:
        runs: the runs of a figure.
        store: the figure's store; runs already there are skipped.
        progress: show a progress bar (one tick per group) on stderr.

    Returns:
        The number of runs trained now.
    """
    groups: dict[tuple[str, str], list[StreamingRun]] = {}
    for r in pending_runs(runs, store):
        groups.setdefault((r.task.id, r.spec), []).append(r)
    done = 0
    for (task_id, spec), group in tqdm(
        groups.items(), disable=not progress, unit="config", desc="mibench figures"
    ):
        started = utc_now()
        results = _train_group(group)
        row_task = _row_task(group[0].task)
        for run, result in zip(group, results, strict=True):
            messages = [result.message] if result.message else []
            row = result_row(run.cell, row_task, result, messages, started)
            store.write(row, result.trace)
        done += len(group)
        if progress:
            tqdm.write(f"stored {len(group)} run(s) of {spec_label(spec)} on {task_id}")
    return done
