"""Batched ensembles: several seeds or configurations of one estimator trained as one model.

Members of one estimator class whose hyperparameters agree except for the seed, ``lr``,
``weight_decay``, ``max_steps``, ``patience`` and the objective's own scalars (MINE ``rate``,
SMILE ``tau``, JSD ``shift``) train as a single batched model: weights of shape ``(E, P)``
applied with batched matrix products, one batched Adam. Each member starts from the initial
parameters and sees the batches of the separate run with its seed, so its estimate is that
run's (up to floating-point summation order); the members only share the wall-clock time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from mibench.estimate import Estimate
from mibench.neural.estimators import NeuralEstimator, _as_array
from mibench.neural.fit_fixed import StepInfo, fit
from mibench.neural.fit_streaming import fit_streaming
from mibench.neural.settings import PER_MEMBER, check_members
from mibench.validation import check_xy

if TYPE_CHECKING:
    from mibench.tasks.streaming import StreamingTask


def replicate(estimator: NeuralEstimator, seeds: Iterable[int]) -> list[NeuralEstimator]:
    """Copies of ``estimator`` that differ only in ``seed``.

    Args:
        estimator: the configuration to replicate.
        seeds: one seed per member.

    Returns:
        New estimators, one per seed, in order.
    """
    params = estimator.get_params()
    return [type(estimator)(**{**params, "seed": int(s)}) for s in seeds]


def batch_groups(members: Sequence[NeuralEstimator]) -> list[list[int]]:
    """Partition estimators into groups that can each train as one batched ensemble.

    Args:
        members: any neural estimators.

    Returns:
        Lists of indices into ``members``, in order of first appearance; members in one group
        share their class and every hyperparameter that fixes the model's shape.
    """
    groups: dict[tuple, list[int]] = {}
    for i, m in enumerate(members):
        free = PER_MEMBER | set(m.objective_params)
        key = (type(m), repr(sorted((k, v) for k, v in m.get_params().items() if k not in free)))
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def _per_member(data: object, n_members: int, name: str) -> list[object]:
    arrays = (np.ndarray, torch.Tensor)
    if isinstance(data, (list, tuple)) and data and all(isinstance(a, arrays) for a in data):
        if len(data) != n_members:
            raise ValueError(
                f"{name} must be one array or a list of one array per member ({n_members}), "
                f"got a list of {len(data)} arrays"
            )
        return list(data)
    return [data] * n_members


def fit_ensemble(
    members: Sequence[NeuralEstimator],
    x: object,
    y: object,
    on_step: Callable[[StepInfo], None] | None = None,
    *,
    held_out_error: bool = False,
) -> list[Estimate]:
    """Estimate I(X; Y) with every member, training all members as one batched model.

    Args:
        members: estimators that :func:`~mibench.neural.settings.check_members` accepts,
            e.g. ``replicate(MINE(), range(8))``.
        x: samples of X, ``(n, dim_x)`` (or ``(n,)``; numpy array or torch tensor), shared by
            all members; or a list of one such array per member (e.g. one data seed per
            member), all of the same shape.
        y: samples of Y, likewise.
        on_step: called with a :class:`~mibench.neural.fit_fixed.StepInfo` before the first
            step and after each step (parameters and batch rows of every member).
        held_out_error: also compute each member's held-out standard error (see
            :func:`~mibench.neural.fit_fixed.fit`).

    Returns:
        One :class:`~mibench.estimate.Estimate` per member, in order; ``fit_seconds`` and
        ``wall_seconds`` are the ensemble's time divided by the number of members.

    Raises:
        ValueError: for members that cannot train together (naming the hyperparameter), bad
            samples (naming ``x`` or ``y``: shapes, NaN, too few rows) or invalid
            hyperparameters.
    """
    start = time.perf_counter()
    check_members(members)
    xs = _per_member(x, len(members), "x")
    ys = _per_member(y, len(members), "y")
    checked = [
        check_xy(_as_array(a), _as_array(b), min_samples=members[0].min_samples)
        for a, b in zip(xs, ys, strict=True)
    ]
    shapes = {(a.shape, b.shape) for a, b in checked}
    if len(shapes) > 1:
        raise ValueError(
            f"x and y must have the same shapes for every member, got {sorted(shapes)}"
        )
    results = fit(
        members,
        [a for a, _ in checked],
        [b for _, b in checked],
        on_step,
        held_out_error=held_out_error,
    )
    wall = (time.perf_counter() - start) / len(members)
    for r in results:
        r.wall_seconds = wall
        r.n_samples = checked[0][0].shape[0]
    return results


def fit_streaming_ensemble(
    members: Sequence[NeuralEstimator], task: StreamingTask, n_steps: int | None = None
) -> list[Estimate]:
    """Train every member on a streaming task as one batched model.

    Member e draws its batches with its own seed, ``task.sample_batch(step, batch_size,
    seed_e)``, exactly as ``members[e].estimate_streaming(task, n_steps)`` does.

    Args:
        members: estimators that :func:`~mibench.neural.settings.check_members` accepts.
        task: a :class:`~mibench.tasks.streaming.StreamingTask`.
        n_steps: steps to run; the task's whole schedule when None.

    Returns:
        One :class:`~mibench.estimate.Estimate` per member, trace ``(step, value, true MI)``.

    Raises:
        ValueError: for members that cannot train together or invalid hyperparameters.
    """
    start = time.perf_counter()
    results = fit_streaming(members, task, n_steps)
    wall = (time.perf_counter() - start) / len(members)
    for r in results:
        r.wall_seconds = wall
    return results
