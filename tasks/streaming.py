"""Streaming tasks: the true MI follows a schedule over training steps (the staircase).

A streaming task draws a fresh batch for every training step, deterministically from
(step, seed); neural estimators train on it in streaming mode
(:meth:`mibench.neural.NeuralEstimator.estimate_streaming`) and report a per-step trace.
Fixed-sample estimators do not apply to it.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from mibench.validation import check_int


class StreamingTask(ABC):
    """A task whose true MI changes with the training step.

    Subclasses provide ``id`` (stable kebab-case slug), ``version``, ``name``, ``dim_x``,
    ``dim_y``, ``n_steps`` (length of the schedule), ``tags`` and ``citation``, and implement
    :meth:`true_mi` and :meth:`sample_batch` (:class:`mibench.protocols.StreamingTaskLike`);
    ``streaming`` is True.
    """

    streaming: ClassVar[bool] = True
    id: str
    version: int
    name: str
    dim_x: int
    dim_y: int
    n_steps: int
    tags: frozenset[str]
    citation: str

    @abstractmethod
    def true_mi(self, step: int) -> float:
        """True I(X; Y) in nats of the batches drawn at ``step`` (0 <= step < n_steps).

        Raises:
            ValueError: naming ``step`` when it is outside the schedule.
        """

    @abstractmethod
    def sample_batch(self, step: int, batch_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The batch of ``step``: ``x: (batch_size, dim_x)``, ``y: (batch_size, dim_y)``, float64.

        Deterministic for a given (step, batch_size, seed); different steps give independent
        batches.

        Raises:
            ValueError: naming ``step``, ``batch_size`` or ``seed`` when out of range.
        """

    def _check_step(self, step: int) -> int:
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise ValueError(f"step must be an int in [0, {self.n_steps}), got {step!r}")
        if not 0 <= step < self.n_steps:
            raise ValueError(f"step must be in [0, {self.n_steps}), got {step}")
        return int(step)


def _fmt(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class Staircase(StreamingTask):
    """The MI staircase of Poole et al. (2019) and Song & Ermon (2020).

    x ~ N(0, I_dim), y = ρx + sqrt(1 − ρ²)ε with ε ~ N(0, I_dim) independent, so
    I = −(dim/2)·ln(1 − ρ²); ρ steps through the values giving ``levels``, holding each for
    ``steps_per_level`` steps. ``cubic`` maps y ↦ y³ (MI unchanged).

    Attributes:
        dim: dimension of x and of y.
        levels: the MI of each stage, in ``unit``.
        steps_per_level: steps per stage.
        cubic: apply y ↦ y³.
        unit: ``"nats"`` or ``"bits"`` (the unit of ``levels``; ``true_mi`` is in nats).

    Raises:
        ValueError: for a non-positive ``dim`` or ``steps_per_level``, an empty or negative
            ``levels`` or an unknown ``unit``.
    """

    dim: int = 20
    levels: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0, 10.0)
    steps_per_level: int = 4000
    cubic: bool = False
    unit: str = "nats"
    version: int = 1
    citation: str = (
        "Poole et al. (2019), On Variational Bounds of Mutual Information; "
        "Song & Ermon (2020), Understanding the Limitations of Variational MI Estimators"
    )
    _levels_nats: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim < 1:
            raise ValueError(f"dim must be a positive int, got {self.dim!r}")
        if not isinstance(self.steps_per_level, int) or self.steps_per_level < 1:
            raise ValueError(
                f"steps_per_level must be a positive int, got {self.steps_per_level!r}"
            )
        if len(self.levels) == 0 or any(not (v >= 0 and math.isfinite(v)) for v in self.levels):
            raise ValueError(f"levels must be finite MI values >= 0, got {self.levels!r}")
        if self.unit not in ("nats", "bits"):
            raise ValueError(f"unit must be 'nats' or 'bits', got {self.unit!r}")
        factor = math.log(2.0) if self.unit == "bits" else 1.0
        object.__setattr__(self, "levels", tuple(float(v) for v in self.levels))
        object.__setattr__(self, "_levels_nats", tuple(v * factor for v in self.levels))

    @property
    def id(self) -> str:  # type: ignore[override]
        """``staircase-<gaussian|cubic>-<dim>-<levels>[bits]-x<steps_per_level>``."""
        kind = "cubic" if self.cubic else "gaussian"
        levels = "-".join(_fmt(v) for v in self.levels) + ("bits" if self.unit == "bits" else "")
        return f"staircase-{kind}-{self.dim}-{levels}-x{self.steps_per_level}"

    @property
    def name(self) -> str:  # type: ignore[override]
        """Human-readable name."""
        kind = "cubic " if self.cubic else ""
        return f"{kind}staircase {self.dim}-d, {len(self.levels)} levels in {self.unit}"

    @property
    def tags(self) -> frozenset[str]:  # type: ignore[override]
        """Family tags (high-dimensional from 25 dimensions, as for the Gaussian tasks)."""
        tags = {"staircase", "gaussian"}
        if self.cubic:
            tags.add("reparameterized")
        if self.dim >= 25:
            tags.add("high-dimensional")
        return frozenset(tags)

    @property
    def dim_x(self) -> int:  # type: ignore[override]
        """Dimension of x."""
        return self.dim

    @property
    def dim_y(self) -> int:  # type: ignore[override]
        """Dimension of y."""
        return self.dim

    @property
    def n_steps(self) -> int:  # type: ignore[override]
        """Length of the schedule: ``len(levels) * steps_per_level``."""
        return len(self.levels) * self.steps_per_level

    @property
    def levels_nats(self) -> tuple[float, ...]:
        """The stage MIs in nats."""
        return self._levels_nats

    def true_mi(self, step: int) -> float:
        """True MI in nats at ``step``.

        Raises:
            ValueError: naming ``step`` when it is outside [0, n_steps).
        """
        return self._levels_nats[self._check_step(step) // self.steps_per_level]

    def rho(self, step: int) -> float:
        """The per-coordinate correlation at ``step``: sqrt(1 − exp(−2I/dim))."""
        return math.sqrt(-math.expm1(-2.0 * self.true_mi(step) / self.dim))

    def sample_batch(self, step: int, batch_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The batch of ``step`` for ``seed``: ``x, y`` of shape ``(batch_size, dim)``, float64.

        Raises:
            ValueError: naming ``step``, ``batch_size`` or ``seed`` when out of range.
        """
        rho = self.rho(step)
        check_int("batch_size", batch_size, 1)
        check_int("seed", seed, 0)
        rng = np.random.default_rng((int(seed), int(step)))
        x = rng.standard_normal((batch_size, self.dim))
        noise = rng.standard_normal((batch_size, self.dim))
        y = rho * x + math.sqrt(1.0 - rho * rho) * noise
        return x, (y**3 if self.cubic else y)


def standard_staircases(steps_per_level: int = 4000) -> list[Staircase]:
    """The published staircases: Gaussian and cubic in nats (Poole et al. 2019; Song & Ermon
    2020), and the Gaussian one in bits (Lee & Rhee 2024), 20-dimensional, 5 levels.

    Args:
        steps_per_level: steps per stage (4000 in the papers).
    """
    levels = (2.0, 4.0, 6.0, 8.0, 10.0)
    return [
        Staircase(levels=levels, steps_per_level=steps_per_level),
        Staircase(levels=levels, steps_per_level=steps_per_level, cubic=True),
        Staircase(levels=levels, steps_per_level=steps_per_level, unit="bits"),
    ]


__all__ = ["Staircase", "StreamingTask", "standard_staircases"]
