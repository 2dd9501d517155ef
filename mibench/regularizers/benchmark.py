"""Training benchmarks: an outer model trained with an MI term, as cells of the engine.

A :class:`TrainingBenchmark` is the task of a *training cell*: a fixed training protocol (data,
outer model, optimiser, step count, metrics) run once per (setting, seed). The setting is a
:class:`Setting`: the regulariser (a neural estimator name, or ``"none"`` for the plain model),
its weight β and whether MINE's adaptive gradient clipping is applied. The engine
(:mod:`mibench.harness`) runs each cell as a :class:`~mibench.harness.jobs.TrainingJob`, so
training cells are resumable, isolated from each other's failures and stored like every other
cell.

**What a row holds.** ``estimator`` is the regulariser (``none`` for the plain model);
``params_json`` holds ``beta``, ``clip`` and the estimator hyperparameters (``mi``); ``n`` is
the number of outer training steps; ``dim_x``/``dim_y`` are the dimensions of the two
variables of the MI term. ``mi_estimate`` is the term's estimate at the end of training (the
mean readout of its last critic steps, nats); the plain model (``none``) trains a monitor
critic of the benchmark's :attr:`TrainingBenchmark.monitor` estimator beside it at β = 0,
which never reaches the model, so that its rows carry the same readout. ``mi_true`` is the
exact MI of the trained model where the benchmark has a closed form, else NULL. The
benchmark's metrics are in the extras; the trace is ``(step, term estimate, exact MI or
NULL)`` every :attr:`TrainingBenchmark.trace_every` steps. A non-finite critic or outer
loss ends the cell with status ``diverged``; the grid goes on.

The outer model's randomness comes from the cell's data seed, which depends on the benchmark,
the step count and the replicate seed only: every setting trains the same initial model on
the same batches at the same seed (paired comparisons), and the critic is seeded separately.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mibench.estimate import Estimate, Status
from mibench.harness.cells import Cell, canonical_json
from mibench.regularizers.term import MITerm, TrainingDiverged, check_term
from mibench.validation import check_real, require

#: The ``estimator`` of a cell of the plain model (no MI term in its loss).
NO_REGULARIZER = "none"


@dataclass(frozen=True)
class Setting:
    """One training setting of a benchmark.

    Attributes:
        regularizer: a neural estimator name (``"mine"``, ``"infonce"``, ...) or ``"none"``.
        beta: the weight β >= 0 of the MI term (0 for ``"none"``).
        clip: apply adaptive gradient clipping (False for ``"none"``).
        mi: hyperparameters of the estimator (e.g. ``{"rate": 0.05}``).

    Raises:
        ValueError: naming ``beta`` (negative or not finite), ``clip`` (not a bool),
            ``regularizer`` (unknown, or not differentiable such as ``"ksg"``) or the rejected
            hyperparameter: before any training.
    """

    regularizer: str
    beta: float = 0.0
    clip: bool = False
    mi: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        b = check_real("beta", self.beta, 0)
        require(isinstance(self.clip, bool), "clip", self.clip, "a bool")
        if self.regularizer == NO_REGULARIZER:
            if b != 0 or self.clip or self.mi:
                raise ValueError(
                    "regularizer 'none' trains the plain model: beta must be 0, clip False and "
                    f"mi empty, got beta={b!r}, clip={self.clip!r}, mi={self.mi!r}"
                )
            return
        if not isinstance(self.regularizer, str):
            raise ValueError(f"regularizer must be a name, got {self.regularizer!r}")
        check_term(self.regularizer, **self.mi)  # refuses KSG & co. and bad values

    @property
    def label(self) -> str:
        """Display label: ``none``, or e.g. ``mine[beta=0.5,clip]``."""
        if self.regularizer == NO_REGULARIZER:
            return NO_REGULARIZER
        extra = "".join(f",{k}={v}" for k, v in sorted(self.mi.items()))
        return f"{self.regularizer}[beta={self.beta:g}{',clip' if self.clip else ''}{extra}]"

    def params(self) -> dict[str, Any]:
        """The cell's ``params``: ``beta``, ``clip`` and ``mi``."""
        return {"beta": float(self.beta), "clip": self.clip, "mi": dict(self.mi)}


@dataclass(frozen=True)
class TrainingRun:
    """What one training run returns to :meth:`TrainingBenchmark.train_cell`.

    Attributes:
        estimates: the term's readout at each critic step (nats), in order.
        trace: ``(step, term estimate, exact MI or NaN)`` rows.
        metrics: the benchmark's metrics (finite floats, or NaN where undefined).
        mi_true: the exact MI of the trained model, NaN when the benchmark has no closed form.
    """

    estimates: Sequence[float]
    trace: list[tuple[int, float, float]]
    metrics: dict[str, float]
    mi_true: float = math.nan


class TrainingBenchmark(ABC):
    """A training protocol with an MI term: the task of a training cell.

    Subclasses set the class attributes and implement :meth:`train`.

    Attributes:
        id: unique id (kebab-case), the ``task_id`` of its cells.
        version: bump when the protocol changes (its cells then stop matching).
        name: display name.
        tags: family tags.
        dim_x, dim_y: columns of the two variables of the MI term.
        steps: outer training steps (the cells' ``n``).
        monitor: the estimator that reads I out for the plain model (``none``).
        trace_every: steps between trace rows.
        window: critic steps averaged into the final estimate.
    """

    id: ClassVar[str]
    version: ClassVar[int] = 1
    name: ClassVar[str]
    tags: ClassVar[frozenset[str]] = frozenset({"regularizer"})
    dim_x: int
    dim_y: int
    steps: int
    monitor: ClassVar[str] = "infonce"
    trace_every: int = 10
    window: int = 100
    #: Exact MI of the trained model is not known before training.
    mi: float = math.nan
    mi_stderr: float = 0.0

    @abstractmethod
    def train(self, term: MITerm, beta: float, clip: bool, seed: int) -> TrainingRun:
        """Train the outer model with loss ``main − beta · term`` (or ``+`` where the
        benchmark minimises I) for :attr:`steps` steps and measure it.

        Args:
            term: the MI term (a monitor when ``beta`` is 0).
            beta: its weight, >= 0.
            clip: apply adaptive clipping (:func:`~mibench.regularizers.term.backward_with_mi`).
            seed: seed of the outer model's initialisation and batches.

        Raises:
            TrainingDiverged: when the critic or the outer loss turns non-finite.
        """

    def cells(self, settings: Sequence[Setting], seeds: Sequence[int]) -> list[Cell]:
        """One cell per (setting, seed) of this benchmark."""
        return [
            Cell(
                task_id=self.id,
                task_version=self.version,
                estimator=s.regularizer,
                label=s.label,
                params=s.params(),
                n=self.steps,
                seed=int(seed),
                standardize=False,
            )
            for s in settings
            for seed in seeds
        ]

    def train_cell(self, cell: Cell) -> Estimate:
        """Run one cell (the engine's :class:`~mibench.harness.jobs.TrainingJob` calls this).

        Returns:
            An estimate: the term's final estimate (status ok), or status ``diverged`` with the
            step; metrics in the extras, trace as in the module docstring.
        """
        start = time.perf_counter()
        p = cell.params
        setting = Setting(cell.estimator, p["beta"], p["clip"], dict(p["mi"]))
        name = self.monitor if setting.regularizer == NO_REGULARIZER else setting.regularizer
        mi = dict(setting.mi)
        if mi.get("seed") is None:
            mi["seed"] = cell.estimator_seed
        term = MITerm(name, self.dim_x, self.dim_y, **mi)
        extras: dict[str, Any] = {"term_estimator": name, "setting": canonical_json(p)}
        try:
            run = self.train(term, setting.beta, setting.clip, cell.data_seed)
        except TrainingDiverged as exc:
            seconds = time.perf_counter() - start
            return Estimate.failed(
                Status.DIVERGED, str(exc), steps=exc.step, fit_seconds=seconds, extras=extras
            )
        seconds = time.perf_counter() - start
        tail = [float(v) for v in run.estimates[-self.window :]]
        value = math.fsum(tail) / len(tail) if tail else math.nan
        extras.update({k: float(v) for k, v in run.metrics.items()})
        extras["mi_true_final"] = float(run.mi_true)
        if not math.isfinite(value):
            return Estimate.failed(
                Status.DIVERGED,
                "training diverged: the term's final estimate is not finite",
                steps=self.steps,
                fit_seconds=seconds,
                trace=run.trace,
                extras=extras,
            )
        return Estimate(
            value=value,
            fit_seconds=seconds,
            wall_seconds=seconds,
            steps=self.steps,
            device=str(term.device),
            trace=run.trace,
            extras=extras,
        )
