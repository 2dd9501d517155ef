"""Job kinds of the engine: what one unit of work computes, and the rows it returns.

A job is a picklable callable that computes one or more cells of one task and returns their
rows; it never raises for a failing estimator. Kinds:

* :class:`CellJob` — one fixed-sample cell: sample, standardise, estimate (with the cell's
  error bar, :mod:`mibench.errorbars`). A cell of a paired invariance study
  (``Cell.paired_base``) samples its base's draws through its variant task.
* :class:`GroupJob` — the seeds of one (task, estimator configuration, n) trained as one
  batched model by the estimator class's ``estimate_group`` (the neural estimators). Each
  member sees its own cell's data and seed, so its value is the one its :class:`CellJob`
  gives (bit for bit on CPU; tested), whatever else is in the group. Error bars are added by
  :func:`~mibench.errorbars.add_group_error_bars` (``"seeds"``: the spread of the group).
* :class:`StreamingJob` — the seeds of one configuration on a streaming task, trained by the
  class's ``estimate_streaming_group``. Member e's batches come from its cell's data seed,
  so every estimator sees the same batches for the same replicate seed.
* :class:`TrainingJob` — one cell of a training benchmark (an outer model trained with an MI
  term, :mod:`mibench.regularizers`): the benchmark's ``train_cell`` runs it.

Every kind shares :meth:`Job.__call__`: warnings are collected into the message, an
exception becomes an ``error`` row for every cell of the job
(:func:`~mibench.harness.schema.error_estimate`), and rows are built by
:func:`~mibench.harness.schema.result_row`. New kinds subclass :class:`Job` and implement
:meth:`Job.fit`.
"""

from __future__ import annotations

import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from mibench.errorbars import add_group_error_bars, no_error_bar, resolve
from mibench.estimate import Estimate
from mibench.harness.cells import Cell
from mibench.harness.schema import (
    error_estimate,
    is_streaming,
    is_training,
    result_row,
    task_columns,
    utc_now,
)
from mibench.preprocessing import zscore

#: One finished cell: its row and its trace ``[(step, train_value, test_value), ...]``.
CellOutput = tuple[dict[str, Any], list[tuple[int, float, float]]]


def cell_data(cell: Cell, task: Any) -> tuple[np.ndarray, np.ndarray]:
    """The samples of a fixed-sample cell: ``task.sample(n, data seed)``, z-scored per column
    (:func:`mibench.preprocessing.zscore`) when the cell says so; shapes ``(n, dim_x)`` and
    ``(n, dim_y)``."""
    x, y = task.sample(cell.n, cell.data_seed)
    if cell.standardize:
        x, y = zscore(x), zscore(y)
    return x, y


def min_distinct(x: np.ndarray, y: np.ndarray) -> int:
    """The fewest distinct values in any column of ``x: (n, dim_x)`` and ``y: (n, dim_y)``
    (``n`` when no column has ties)."""
    return min(len(np.unique(column)) for column in (*x.T, *y.T))


def _with_distinct(result: Estimate, x: np.ndarray, y: np.ndarray) -> Estimate:
    result.extras["min_distinct"] = min_distinct(x, y)
    return result


def takes_cell_seed(cell: Cell) -> bool:
    """True when ``cell``'s configuration leaves the estimator's ``seed`` unset (None), so
    that a fixed-sample job hands it the cell's
    :attr:`~mibench.harness.cells.Cell.estimator_seed`."""
    return "seed" in cell.params and cell.params["seed"] is None


def member_params(cell: Cell) -> dict[str, Any]:
    """The estimator's hyperparameters for ``cell``: its params, with the cell's estimator
    seed where the configuration leaves ``seed`` unset (None; :func:`takes_cell_seed`)."""
    params = dict(cell.params)
    if takes_cell_seed(cell):
        params["seed"] = cell.estimator_seed
    return params


class GroupFactory(Protocol):
    """An estimator class that trains several members as one model (:func:`can_batch`)."""

    def __call__(self, **params: Any) -> Any: ...

    def estimate_group(
        self, members: Sequence[Any], xs: Sequence[Any], ys: Sequence[Any], *, error_bar: str | None
    ) -> list[Estimate]: ...


class StreamingFactory(Protocol):
    """An estimator class that trains members on a streaming task as one model."""

    def __call__(self, **params: Any) -> Any: ...

    def estimate_streaming_group(self, members: Sequence[Any], task: Any) -> list[Estimate]: ...


@dataclass(frozen=True)
class Job(ABC):
    """Cells of one task computed together.

    Attributes:
        cells: the cells, in the order of the returned rows.
        task: their task (fixed-sample or streaming).
        factory: builds an estimator from hyperparameters (the registry's factory).
    """

    cells: tuple[Cell, ...]
    task: Any
    factory: Callable[..., Any]
    #: The ``job_kind`` column of the rows.
    kind: ClassVar[str]

    @abstractmethod
    def fit(self) -> list[Estimate]:
        """One estimate per cell, in order; may raise (the caller turns it into rows)."""

    @property
    def description(self) -> str:
        """``label on task`` for progress bars and messages."""
        return f"{self.cells[0].label} on {self.task.id}"

    def __call__(self) -> list[CellOutput]:
        """Compute the job; never raises for a failing estimator.

        Returns:
            One ``(row, trace)`` per cell, in order.
        """
        return self.outputs(*self._attempt())

    def _attempt(self) -> tuple[list[Estimate], list[str], str]:
        started = utc_now()
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                results = self.fit()
        except Exception as exc:  # noqa: BLE001 - one failing job never stops a grid
            results = [error_estimate(exc) for _ in self.cells]
        if len(results) != len(self.cells):
            raise RuntimeError(
                f"{type(self).__name__}.fit returned {len(results)} estimates for "
                f"{len(self.cells)} cells"
            )
        return results, sorted({f"{w.category.__name__}: {w.message}" for w in caught}), started

    def outputs(self, results: list[Estimate], warned: list[str], started: str) -> list[CellOutput]:
        """The rows and traces of ``results`` (one per cell), with ``warned`` in each message."""
        columns = task_columns(self.task)
        deterministic = bool(getattr(self.factory, "deterministic", False))
        out = []
        for cell, result in zip(self.cells, results, strict=True):
            messages = ([result.message] if result.message else []) + warned
            row = result_row(
                cell,
                columns,
                result,
                messages,
                started,
                job_kind=self.kind,
                group_size=len(self.cells),
                deterministic=deterministic,
            )
            out.append((row, list(result.trace)))
        return out


@dataclass(frozen=True)
class CellJob(Job):
    """One fixed-sample cell."""

    kind: ClassVar[str] = "cell"

    def fit(self) -> list[Estimate]:
        (cell,) = self.cells
        x, y = cell_data(cell, self.task)
        estimator = self.factory(**member_params(cell))
        method = resolve(cell.error_bar, estimator)
        if method == "seeds":  # a cell run alone (batching off) has no group to measure
            result = estimator.estimate(x, y)
            no_error_bar(result, method, "the cell ran alone, not in a batched group of seeds")
        else:
            result = estimator.estimate(x, y, error_bar=method)
        return [_with_distinct(result, x, y)]


@dataclass(frozen=True)
class GroupJob(Job):
    """The seeds of one fixed-sample configuration, trained as one batched model."""

    factory: GroupFactory
    kind: ClassVar[str] = "group"

    def fit(self) -> list[Estimate]:
        data = [cell_data(c, self.task) for c in self.cells]
        members = [self.factory(**member_params(c)) for c in self.cells]
        xs, ys = [x for x, _ in data], [y for _, y in data]
        method = resolve(self.cells[0].error_bar, members[0])
        start = time.perf_counter()
        results = self.factory.estimate_group(members, xs, ys, error_bar=method)
        if method is not None:
            add_group_error_bars(members, xs, ys, results, method)
            share = (time.perf_counter() - start) / len(members)
            for r in results:  # the group's time, error bars included, shared by its members
                r.wall_seconds = share
        return [_with_distinct(r, x, y) for r, (x, y) in zip(results, data, strict=True)]


@dataclass(frozen=True)
class StreamingJob(Job):
    """The seeds of one configuration on a streaming task, trained as one batched model."""

    factory: StreamingFactory
    kind: ClassVar[str] = "streaming"

    def fit(self) -> list[Estimate]:
        members = [self.factory(**{**c.params, "seed": c.data_seed}) for c in self.cells]
        return self.factory.estimate_streaming_group(members, self.task)


@dataclass(frozen=True)
class TrainingJob(Job):
    """One cell of a training benchmark; ``factory`` is unused (None): the cell names its
    regulariser, which the benchmark builds as an MI term."""

    kind: ClassVar[str] = "training"

    def fit(self) -> list[Estimate]:
        (cell,) = self.cells
        return [self.task.train_cell(cell)]

    def outputs(self, results: list[Estimate], warned: list[str], started: str) -> list[CellOutput]:
        """As :meth:`Job.outputs`, with ``mi_true`` the exact MI of the trained model where the
        benchmark computed one (``extras["mi_true_final"]``)."""
        out = super().outputs(results, warned, started)
        for (row, _), result in zip(out, results, strict=True):
            exact = result.extras.get("mi_true_final")
            if isinstance(exact, float) and np.isfinite(exact):
                row["mi_true"] = exact
        return out


def can_batch(factory: Callable[..., Any]) -> bool:
    """True when the estimator class trains several seeds as one model (``estimate_group``)."""
    return callable(getattr(factory, "estimate_group", None))


def plan_jobs(
    cells: Sequence[Cell],
    tasks: dict[str, Any],
    factories: dict[str, Callable[..., Any]],
    *,
    batch: bool = True,
) -> list[Job]:
    """Group ``cells`` into jobs, largest n first (so an interrupted run has its most
    informative cells), in the cells' order otherwise.

    A cell of a training benchmark is a :class:`TrainingJob` (its factory None). Cells on a
    streaming task form one :class:`StreamingJob` per (task, configuration); with
    ``batch``, fixed-sample cells of an estimator that :func:`can_batch` form one
    :class:`GroupJob` per (task, configuration, n); every other cell is a :class:`CellJob`.

    Args:
        cells: the cells to compute.
        tasks: task id → task, for every cell.
        factories: estimator name → factory, for every cell but training cells.
        batch: train the seeds of a batchable configuration together.

    Raises:
        ValueError: for a cell of a streaming task whose estimator has no
            ``estimate_streaming_group`` (only neural estimators train on streams).
    """
    groups: dict[tuple, list[Cell]] = {}
    for cell in cells:
        task = tasks[cell.task_id]
        if is_training(task):
            groups[(TrainingJob, cell.cell_id)] = [cell]
            continue
        factory = factories[cell.estimator]
        if is_streaming(task):
            if not callable(getattr(factory, "estimate_streaming_group", None)):
                raise ValueError(
                    f"estimator {cell.estimator!r} cannot train on the streaming task "
                    f"{task.id!r}: only the neural estimators have a streaming mode"
                )
            key: tuple = (StreamingJob, cell.task_id, cell.n, cell.params_key)
        elif batch and can_batch(factory):
            key = (GroupJob, cell.task_id, cell.n, cell.params_key)
        else:
            key = (CellJob, cell.cell_id)
        groups.setdefault(key, []).append(cell)
    jobs = [
        key[0](tuple(members), tasks[members[0].task_id], factories.get(members[0].estimator))
        for key, members in groups.items()
    ]
    return sorted(jobs, key=lambda j: -j.cells[0].n)
