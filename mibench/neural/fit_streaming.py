"""Streaming training of E >= 1 members as one batched model (:func:`fit_streaming`).

Each step draws a fresh batch from a :class:`~mibench.tasks.streaming.StreamingTask` and
records the readout of that batch before the update; ``Estimate.trace`` lists
``(step, value, true MI)`` for every step and the value is the mean readout of the last
``eval_every`` steps. Each member's generator gives its initial parameters only (the batches
come from the task, by the member's seed; see :mod:`mibench.neural.batched`). Divergence
follows the rules of :mod:`mibench.neural.outcome`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from mibench.estimate import Estimate
from mibench.neural.batched import BatchedModel
from mibench.neural.critics import negatives_per_sample, pair_index
from mibench.neural.outcome import DIVERGENCE_FLOOR, below_floor_estimate, diverged_estimate
from mibench.neural.settings import SharedSettings, shared_settings, torch_threads
from mibench.validation import is_int, require

if TYPE_CHECKING:
    from mibench.protocols import NeuralObjective
    from mibench.tasks.streaming import StreamingTask


def fit_streaming(
    members: Sequence[NeuralObjective], task: StreamingTask, n_steps: int | None = None
) -> list[Estimate]:
    """Train E members on a streaming task, one fresh batch per step (module docstring).

    Member e's batch at step t is ``task.sample_batch(t, batch_size, seed_e)``; its readout on
    that batch, before the update, is the step's value. A member whose objective or readout
    turns non-finite at step t stops there (status ``diverged``, ``steps`` = t, trace up to
    step t − 1); one whose final value is below :data:`DIVERGENCE_FLOOR` is ``diverged`` too
    (complete trace).

    Args:
        members: estimators of one class that
            :func:`~mibench.neural.settings.check_members` accepts.
        task: a streaming task (``id``, ``dim_x``, ``dim_y``, ``n_steps``, ``true_mi(step)``,
            ``sample_batch(step, batch_size, seed)``).
        n_steps: steps to run; the task's ``n_steps`` when None.

    Returns:
        One :class:`~mibench.estimate.Estimate` per member: trace ``(step, value, true MI)``
        for every step run (steps counted from 0), value = mean of the last ``eval_every``
        values.

    Raises:
        ValueError: for invalid hyperparameters or ``n_steps`` (naming them; ``normal_scores``
            must be False here), or a batch of the wrong shape from the task.
    """
    start = time.perf_counter()
    shared = shared_settings(members)
    n_steps = task.n_steps if n_steps is None else n_steps
    require(is_int(n_steps) and n_steps >= 1, "n_steps", n_steps, "an int >= 1")
    require(
        not shared.normal_scores,
        "normal_scores",
        True,
        "False in streaming mode (normal scores are fitted on a fixed training part)",
    )
    with torch_threads(shared.threads):
        return _fit_streaming(members, shared, task, n_steps, start)


def _fit_streaming(
    members: Sequence[NeuralObjective],
    shared: SharedSettings,
    task: StreamingTask,
    n_steps: int,
    start: float,
) -> list[Estimate]:
    """:func:`fit_streaming` with validated ``shared`` settings, timed from ``start``."""
    batch = shared.batch_size
    pairs = pair_index(batch, negatives_per_sample(shared.negatives, batch), shared.device)
    model = BatchedModel(members, shared, task.dim_x, task.dim_y, n_steps)
    diverged_at = _train(model, task, n_steps, pairs)
    seconds = (time.perf_counter() - start) / len(members)
    return _estimates(model, task, diverged_at, seconds)


def _train(
    model: BatchedModel, task: StreamingTask, n_steps: int, pairs: Tensor
) -> list[int | None]:
    """Train every member on its own batches of ``task`` for ``n_steps`` steps, or until all
    have diverged (checked every ``eval_every`` steps and at the last one).

    Returns:
        Per member, the first step index that diverged (None when none did).

    Raises:
        ValueError: for a batch of the wrong shape from the task.
    """
    shared = model.shared
    diverged_at: list[int | None] = [None] * len(shared.seeds)
    checked = 0
    for step in range(n_steps):
        x, y = _batch(task, step, shared)
        model.hp.update(model.cls.data_constants(x, y))
        model.train_step(x, y, pairs)
        if model.steps % shared.eval_every == 0 or model.steps == n_steps:
            for e, bad in enumerate(model.first_nonfinite(checked)):
                if diverged_at[e] is None:
                    diverged_at[e] = bad
            checked = model.steps
            if all(d is not None for d in diverged_at):
                break
    return diverged_at


def _batch(task: StreamingTask, step: int, shared: SharedSettings) -> tuple[Tensor, Tensor]:
    """Every member's batch of ``step`` (by its seed), ``(E, batch_size, dim)`` for X and Y, on
    the device in the parameter dtype.

    Raises:
        ValueError: naming the task when its batches do not have the shapes expected.
    """
    batch, n_members = shared.batch_size, len(shared.seeds)
    expected = ((n_members, batch, task.dim_x), (n_members, batch, task.dim_y))
    drawn = [task.sample_batch(step, batch, seed) for seed in shared.seeds]
    x = torch.from_numpy(np.stack([xy[0] for xy in drawn]))
    y = torch.from_numpy(np.stack([xy[1] for xy in drawn]))
    if (tuple(x.shape), tuple(y.shape)) != expected:
        raise ValueError(
            f"task {task.id!r} returned batches of shapes {tuple(x.shape[1:])} and "
            f"{tuple(y.shape[1:])}, expected {expected[0][1:]} and {expected[1][1:]}"
        )
    return (
        x.to(device=shared.device, dtype=shared.param_dtype),
        y.to(device=shared.device, dtype=shared.param_dtype),
    )


def _estimates(
    model: BatchedModel, task: StreamingTask, diverged_at: list[int | None], seconds: float
) -> list[Estimate]:
    """One estimate per member: the mean readout of the last ``eval_every`` steps, failed or
    flagged when it diverged (:mod:`mibench.neural.outcome`); ``seconds``: each member's share
    of the fit time."""
    shared = model.shared
    batch = shared.batch_size
    done = model.steps
    values = model.history[1, :, :done].cpu().numpy()
    truth = [float(task.true_mi(s)) for s in range(done)]
    window = min(shared.eval_every, done)
    results = []
    for e, seed in enumerate(shared.seeds):
        bad = diverged_at[e]
        last = done if bad is None else bad
        extras = {
            "seed": seed,
            "task": task.id,
            "batch_size": batch,
            "window": window,
            "true_mi": truth[last - 1] if last else math.nan,
            "ensemble_size": len(shared.seeds),
        }
        kwargs: dict[str, Any] = dict(
            device=str(shared.device),
            trace=[(s, float(values[e, s]), truth[s]) for s in range(last)],
            n_samples=last * batch,
            extras=extras,
        )
        value = float(values[e, done - window : done].mean())
        if bad is not None:
            results.append(diverged_estimate(last, seconds, model.cls.score_limit, **kwargs))
        elif value < DIVERGENCE_FLOOR:
            what = f"the final value (mean of the last {window} steps)"
            results.append(below_floor_estimate(value, what, done, seconds, **kwargs))
        else:
            results.append(Estimate(value=value, fit_seconds=seconds, steps=done, **kwargs))
    return results
