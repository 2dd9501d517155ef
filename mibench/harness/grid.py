"""Which cells exist: grids (tasks × estimator configurations × n × seeds) and streaming runs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from mibench.devices import check_device
from mibench.errorbars import check_error_bar
from mibench.harness.cells import Cell, canonical_json, identity_params
from mibench.harness.jobs import can_batch
from mibench.protocols import FixedSampleTask, StreamingTaskLike, TaskLike
from mibench.registry import expand_sweep, get_estimator, parse_spec
from mibench.tasks.registry import check_task

#: The most cells one grid may hold (its cells are listed in memory before a run).
MAX_CELLS = 2_000_000


def spec_label(spec: str) -> str:
    """Canonical display label of an estimator spec: ``name`` or ``name[a=1,b=2]`` (sorted)."""
    name, params = parse_spec(spec)
    if not params:
        return name
    return f"{name}[{','.join(f'{k}={params[k]!r}' for k in sorted(params))}]".replace("'", "")


def fixed_sample_tasks(tasks: Iterable[TaskLike]) -> list[FixedSampleTask]:
    """``tasks`` as a list of fixed-sample tasks, the only kind a :class:`Grid` runs.

    Raises:
        TypeError: for an object that lacks members of its task protocol, naming them (as
            :func:`~mibench.tasks.registry.register_task` does for a task it registers).
        ValueError: naming the streaming tasks among ``tasks`` (and where their runs are made).
    """
    tasks = list(tasks)
    for task in tasks:
        check_task(task)
    streaming = [t.id for t in tasks if getattr(t, "streaming", False)]
    if streaming:
        raise ValueError(
            f"streaming tasks {streaming} have no fixed sample: build their cells with "
            "mibench.harness.grid.streaming_cells, or run `mibench figures staircase`"
        )
    # Narrowed by the flag: isinstance on the protocol would evaluate every task's truth.
    return cast("list[FixedSampleTask]", tasks)


@dataclass
class Grid:
    """The cells of a benchmark run.

    Args:
        tasks: the tasks to run: fixed-sample tasks
            (:class:`~mibench.protocols.FixedSampleTask`), such as :class:`~mibench.tasks.Task`.
        estimators: estimator specs, ``name`` or ``name[param=value,...]``; several
            configurations of one estimator are allowed. A sweep, ``ksg[k=3|5|10]``, is
            replaced by its configurations (:func:`~mibench.registry.expand_sweep`) on
            construction, so ``estimators`` then lists plain specs only.
        ns: sample sizes.
        seeds: replicate seeds.
        standardize: standardise x and y per column after sampling (the protocol of
            Czyż et al. 2023).
        device: torch device for estimators with a ``device`` hyperparameter, unless their
            spec sets one (``cpu``, ``cuda``, ``auto``).
        error_bar: an error bar for every cell (:mod:`mibench.errorbars`): ``"auto"`` (each
            estimator's preferred method) or a method every estimator of the grid supports;
            None for none.

    Raises:
        ValueError: for an empty axis, an unknown estimator, a bad hyperparameter or sweep, a
            non-positive n, a ``device`` that is unknown or absent (``cuda`` without CUDA),
            or an ``error_bar`` that is unknown or that an estimator cannot give.
    """

    tasks: list[FixedSampleTask]
    estimators: list[str]
    ns: list[int]
    seeds: list[int]
    standardize: bool = True
    device: str | None = None
    error_bar: str | None = None
    _configs: list[tuple[str, str, dict[str, Any]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for axis in ("tasks", "estimators", "ns", "seeds"):
            if not getattr(self, axis):
                raise ValueError(f"grid axis {axis!r} must not be empty")
        self.estimators = [one for spec in self.estimators for one in expand_sweep(spec)]
        self.tasks = fixed_sample_tasks(self.tasks)
        for n in self.ns:
            if int(n) < 1:
                raise ValueError(f"sample sizes must be positive, got n={n}")
        for seed in self.seeds:
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
                raise ValueError(f"seeds must be ints >= 0, got {seed!r}")
        size = len(self.tasks) * len(self.estimators) * len(self.ns) * len(self.seeds)
        if size > MAX_CELLS:
            raise ValueError(
                f"the grid has {size:,} cells ({len(self.tasks)} tasks × {len(self.estimators)} "
                f"estimators × {len(self.ns)} n × {len(self.seeds)} seeds), more than "
                f"{MAX_CELLS:,}: split it into several runs"
            )
        if self.device is not None:
            check_device(self.device)  # refuse an unknown or absent device before any cell
        self._configs = []
        for spec in self.estimators:
            name, spec_params = parse_spec(spec)
            est = get_estimator(spec)
            params = est.cell_params()
            if self.device is not None and "device" in params and "device" not in spec_params:
                params["device"] = self.device
                est.set_params(device=self.device)
            try:
                est.validate()  # a bad value (mine[lr=abc]) is refused before any cell runs
            except ValueError as exc:
                raise ValueError(f"estimator {spec!r}: {exc}") from None
            own = params.get("error_bar")
            if self.error_bar is not None and own is not None and own != self.error_bar:
                raise ValueError(
                    f"estimator {spec!r} sets error_bar={own!r} and the grid error_bar="
                    f"{self.error_bar!r}: give one of them"
                )
            try:
                check_error_bar(self.error_bar, est, grouped=can_batch(type(est)))
            except ValueError as exc:
                raise ValueError(
                    f"estimator {spec!r}: {exc} (error_bar='auto' picks each estimator's own)"
                ) from None
            self._configs.append((name, spec_label(spec), params))

    def cells(self) -> list[Cell]:
        """All cells, ordered task-major, then n, seed and estimator; a cell that the axes
        give twice (a repeated seed, ``ksg`` and ``ksg[k=3]``, or ``ksg[k=5|10]`` and
        ``ksg[k=5]``) is listed once, at its first place, under its last label."""
        cells = [
            Cell(
                task_id=task.id,
                task_version=task.version,
                estimator=name,
                label=label,
                params=params,
                n=int(n),
                seed=int(seed),
                standardize=self.standardize,
                paired_base=_paired_base(task),
                error_bar=self.error_bar,
            )
            for task in self.tasks
            for n in self.ns
            for seed in self.seeds
            for name, label, params in self._configs
        ]
        return list({c.cell_id: c for c in cells}.values())

    def fingerprint(self) -> str:
        """Short hash of the grid's definition, used to name its default run folder."""
        payload = canonical_json(
            (
                [(t.id, t.version) for t in self.tasks],
                [(label, identity_params(params)) for _, label, params in self._configs],
                self.ns,
                self.seeds,
                self.standardize,
            )
            + (() if self.error_bar is None else (self.error_bar,))
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:10]


def _paired_base(task: FixedSampleTask) -> str | None:
    """The base task id of a variant of a paired invariance study (its ``pairing``), else
    None (also for a task without ``pairing``)."""
    pairing = getattr(task, "pairing", None)
    return pairing.base_id if pairing else None


def streaming_cells(task: StreamingTaskLike, spec: str, seeds: list[int]) -> list[Cell]:
    """The cells of streaming runs of estimator ``spec`` on ``task``, one per replicate seed.

    A streaming run is stored like a fixed-sample cell: the streaming task's id and version,
    the estimator's name, label and full ``cell_params()``, ``n`` = samples drawn over the whole
    schedule (steps × ``batch_size``), the replicate seed and no standardisation. Its data
    seed (:attr:`Cell.data_seed`) seeds both the member's batches and its critic, so every
    estimator sees the same batches for the same replicate seed.

    Raises:
        ValueError: for an unknown estimator or bad hyperparameters, or an estimator without a
            ``batch_size`` (not a neural estimator).
    """
    name, _ = parse_spec(spec)
    params = get_estimator(spec).cell_params()
    if "batch_size" not in params:
        raise ValueError(f"spec {spec!r} is not a neural estimator: streaming runs need one")
    return [
        Cell(
            task_id=task.id,
            task_version=task.version,
            estimator=name,
            label=spec_label(spec),
            params=params,
            n=task.n_steps * int(params["batch_size"]),
            seed=int(seed),
            standardize=False,
        )
        for seed in seeds
    ]
