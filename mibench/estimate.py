"""The result of one MI estimation: value in nats, status, message, timings and extras."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    """Outcome of one estimation.

    ``ok``: a finite value was produced. ``diverged``: training produced a non-finite loss or
    estimate. ``error``: the estimator raised. ``timeout``: the cell ran past its time limit.
    """

    OK = "ok"
    DIVERGED = "diverged"
    ERROR = "error"
    TIMEOUT = "timeout"

    def __str__(self) -> str:  # so f-strings and CSV columns show "ok", not "Status.OK"
        return self.value


@dataclass
class Estimate:
    """One MI estimate.

    Attributes:
        value: the MI estimate in nats. NaN when ``status`` is not ``ok``, except a *flagged*
            value: a finite value whose status says it is not to be trusted (a neural fit
            whose best estimate is below −1 nat is ``diverged`` with that value), kept so
            that reports can count and show it rather than drop it silently.
        status: a :class:`Status`.
        message: human-readable detail (why it failed, or a warning); empty when none.
        wall_seconds: wall-clock time of the whole ``estimate`` call, in seconds.
        fit_seconds: time spent fitting (training a critic, building neighbour trees), in
            seconds; equals ``wall_seconds`` for estimators without a separate fit stage.
        n_samples: number of (x, y) pairs the estimate was computed from.
        steps: optimisation steps run (neural estimators), else None.
        device: the torch device used (neural estimators), else None.
        stderr: the standard error of the estimate in nats when an error bar was asked for
            and could be computed (:mod:`mibench.errorbars`), else None.
        ci_low, ci_high: the bounds (nats) of the 95 % interval around ``value`` that goes with
            ``stderr``, else None.
        error_bar: the error-bar method asked for (``"subsampling"``, ``"bootstrap"``,
            ``"held-out"``, ``"seeds"``; ``stderr`` stays None when it could not be computed,
            with the reason in ``message``), else None.
        trace: for neural estimators, a list of ``(step, train_value, test_value)`` tuples
            (values in nats); for streaming runs ``(step, train_value, true_mi)``.
        extras: further estimator-specific values (per-k values, raw JSD value, ...).
    """

    value: float
    status: Status = Status.OK
    message: str = ""
    wall_seconds: float = 0.0
    fit_seconds: float = 0.0
    n_samples: int = 0
    steps: int | None = None
    device: str | None = None
    stderr: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    error_bar: str | None = None
    trace: list[tuple[int, float, float]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        self.value = float(self.value)
        if self.status is Status.OK and not math.isfinite(self.value):
            raise ValueError(
                f"Estimate with status 'ok' must have a finite value, got value={self.value!r}"
            )

    @property
    def ok(self) -> bool:
        """True when the estimate succeeded."""
        return self.status is Status.OK

    @property
    def samples_per_second(self) -> float:
        """Throughput: samples processed per second of wall time (NaN when unknown)."""
        if self.wall_seconds <= 0 or self.n_samples <= 0:
            return math.nan
        return self.n_samples / self.wall_seconds

    @property
    def steps_per_second(self) -> float:
        """Training steps per second of fit time (NaN for non-iterative estimators)."""
        if not self.steps or self.fit_seconds <= 0:
            return math.nan
        return self.steps / self.fit_seconds

    @classmethod
    def failed(cls, status: Status | str, message: str, **kwargs: Any) -> Estimate:
        """An estimate that did not produce a value (value NaN) with the reason."""
        return cls(value=math.nan, status=Status(status), message=message, **kwargs)
