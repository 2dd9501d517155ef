"""The outcome of a member's training: divergence rules and per-member run records.

**Divergence.** One rule for every objective: a non-finite training objective or readout (or
held-out estimate), or a model score beyond ±``score_limit`` of the estimator class
(:data:`~mibench.neural.defaults.SCORE_LIMIT` for critics, none for density models), stops
that member with status ``diverged`` and the first step at which it happened
(:func:`diverged_estimate`); so does a critic whose held-out scores are all equal (dead
units: DV's value is then exactly 0; :func:`constant_estimate`). Other members of an
ensemble go on. A fit whose best held-out estimate (in streaming mode: whose final value) is
below :data:`DIVERGENCE_FLOOR` (−1 nat; MI is non-negative) is also reported as ``diverged``
(:func:`below_floor_estimate`), its trace kept and its value stored (flagged: reports leave
it out of the mean over ok rows, count it in the failure rate and show it in a mean that
includes flagged rows). Nothing raises for it, and no NaN is returned with status ``ok``.

:class:`MemberRun` keeps one member's evaluations in fixed-sample training: its trace, the
selected evaluation and when (and why) it stopped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mibench.estimate import Estimate, Status

#: A best held-out estimate (streaming: a final value) below this (nats) marks a fit as
#: diverged: MI is non-negative, and a bound falls this far below 0 only when the critic failed.
DIVERGENCE_FLOOR = -1.0


def diverged_estimate(step: int, seconds: float, limit: float, **kwargs: Any) -> Estimate:
    """The failed estimate (status ``diverged``, value NaN) of a member whose objective,
    readout or held-out estimate turned non-finite, or one of whose scores went beyond
    ±``limit`` (the estimator class's ``score_limit``; inf: no limit), at step ``step``.

    ``seconds`` is the member's share of the fit time; ``kwargs`` go to the
    :class:`~mibench.estimate.Estimate` (device, trace, extras, ...).
    """
    scores = f", or a critic score beyond ±{limit:g}" if math.isfinite(limit) else ""
    return Estimate.failed(
        Status.DIVERGED,
        f"training diverged: non-finite objective or estimate{scores}, at step {step}",
        fit_seconds=seconds,
        steps=step,
        **kwargs,
    )


def below_floor_estimate(
    value: float, what: str, step: int, seconds: float, **kwargs: Any
) -> Estimate:
    """The flagged estimate (status ``diverged``, ``value`` kept) of a fit whose ``what``
    (e.g. "the best held-out estimate") is ``value`` < :data:`DIVERGENCE_FLOOR`, after
    ``step`` steps; ``seconds`` and ``kwargs`` as in :func:`diverged_estimate`."""
    # The value is kept (status diverged): reports leave it out of their means but count it,
    # and can show a mean that includes it, so that dropping it never flatters an estimator.
    return Estimate(
        value=value,
        status=Status.DIVERGED,
        message=f"training diverged: {what} is {value:.4g} nats, below {DIVERGENCE_FLOOR:g}; "
        "MI is non-negative, so the critic did not train (try a smaller lr); the value is "
        "stored but flagged",
        fit_seconds=seconds,
        steps=step,
        **kwargs,
    )


def constant_estimate(step: int, seconds: float, **kwargs: Any) -> Estimate:
    """The failed estimate (status ``diverged``, value NaN) of a critic whose held-out scores
    were all equal at step ``step`` (dead units); ``seconds`` and ``kwargs`` as in
    :func:`diverged_estimate`."""
    return Estimate.failed(
        Status.DIVERGED,
        f"training diverged: the critic's held-out scores became constant at step "
        f"{step} (dead units), so its value says nothing about I(X; Y) "
        "(try a smaller lr)",
        fit_seconds=seconds,
        steps=step,
        **kwargs,
    )


#: The held-out value that marks a constant critic, on the validation part.
_VAL_CONSTANT = "validation_constant"


@dataclass
class MemberRun:
    """Book-keeping of one member during fixed-sample training.

    ``selection`` names the held-out value whose largest value picks the reported evaluation
    (``"value"``: the readout itself; ``"validation_value"``: the readout on the validation
    part); ``best`` is the (test) readout at that evaluation. A member whose data cannot
    train stops at step 0 with ``stop_reason`` ``"data"`` and the reason in ``failure``.
    """

    max_steps: int
    patience: int
    selection: str = "value"
    trace: list[tuple[int, float, float]] = field(default_factory=list)
    best: float = -math.inf
    best_score: float = -math.inf
    best_step: int = 0
    best_extras: dict[str, float] = field(default_factory=dict)
    bad_evals: int = 0
    last_eval: int = 0
    stop_step: int | None = None
    stop_reason: str = ""
    failure: str = ""

    @property
    def active(self) -> bool:
        """Whether the member is still training (it has not stopped)."""
        return self.stop_step is None

    def record(self, step: int, train_value: float, values: dict[str, float]) -> None:
        """Add an evaluation to the trace; update the selected evaluation and the stopping
        state."""
        self.trace.append((step, train_value, values["value"]))
        self.last_eval = step
        if values[self.selection] > self.best_score:
            self.best_score, self.best = values[self.selection], values["value"]
            self.best_step, self.bad_evals = step, 0
            self.best_extras = {
                k: v for k, v in values.items() if k not in ("value", "constant", _VAL_CONSTANT)
            }
        else:
            self.bad_evals += 1
        if self.bad_evals >= self.patience:
            self.stop_step, self.stop_reason = step, "early stopping"
        elif step >= self.max_steps:
            self.stop_step, self.stop_reason = step, "max_steps"
