"""Pointwise mutual information profiles: the distribution of PMI(X, Y) of a task.

The PMI profile of a pair (X, Y) is the distribution of
PMI(X, Y) = log p(X, Y) − log p(X) − log p(Y) under the joint distribution; its mean is
I(X; Y) (Czyż, Grabowski, Vogt, Beerenwinkel & Marx, "On the properties and estimation of
pointwise mutual information profiles", arXiv:2310.10240, TMLR 2025; first circulated in
2023 as "The Mixtures and the Neural Critics", cited by :mod:`mibench.tasks.mixtures`).

A :class:`~mibench.tasks.base.Task` is a base distribution whose X and Y go through
injective transforms f and g. The joint density and the two marginal densities of
(f(X), g(Y)) take the same Jacobian factors of f and g, and these cancel in the PMI:
PMI(f(x), g(y)) under the transformed pair equals PMI(x, y) under the base pair. So the two
pairs have the same profile (the invariance shown in the paper above). :func:`pmi_profile`
therefore samples the base distribution and evaluates its PMI. It never inverts a transform
or evaluates a Jacobian, which would lose precision where a transform saturates (Φ near 0
and 1, for example). A transformed task and its base get the same profile at the same seed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TypeGuard

import numpy as np

from mibench.tasks.base import MC_CHUNK, Task
from mibench.validation import check_int

#: Default sample size of :func:`pmi_profile`: about 0.1 s for the 50 × 50 Gaussian task of
#: the standard suite, and a standard error of the mean of about 0.01 nats.
PROFILE_N = 10_000
#: Default number of histogram bins of :func:`pmi_profile`.
PROFILE_BINS = 50
#: Levels of :attr:`PMIProfile.quantiles`.
QUANTILE_LEVELS = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
#: The histogram's equal-width bins span the quantiles at this level and at one minus it;
#: one bin on each side holds the draws beyond them (heavy tails would otherwise stretch
#: every bin).
HISTOGRAM_TAIL = 0.001

#: Extra entropy mixed into profile seeds ("pmip"). It differs from the Monte-Carlo tag of
#: :meth:`~mibench.tasks.base.Distribution.monte_carlo_mi`, so a profile's draws are neither
#: the ones an estimator sees for the same integer seed nor those of a Monte-Carlo truth.
_PROFILE_SEED_TAG = 0x706D_6970


@dataclass(frozen=True)
class PMIProfile:
    """The PMI profile of one task, from ``n`` draws of its base distribution (nats).

    Attributes:
        task_id: id of the task.
        n: number of draws.
        seed: the seed they came from.
        bin_edges: histogram bin edges, increasing, from the smallest to the largest PMI
            drawn: ``bins`` equal-width bins between the :data:`HISTOGRAM_TAIL` and
            1 − :data:`HISTOGRAM_TAIL` quantiles, and one wider bin on each side out to the
            extreme draw (left out when it would be empty of width), so ``bins + 3`` edges
            at most.
        density: histogram density per bin, one value fewer than ``bin_edges``; it
            integrates to 1 over ``bin_edges`` (every draw is counted).
        mean: mean PMI, an estimate of I(X; Y).
        stderr: standard error of ``mean``, ``sd / sqrt(n)``.
        sd: standard deviation of the PMI (``n − 1`` in the denominator).
        quantile_levels: the levels of ``quantiles`` (:data:`QUANTILE_LEVELS`).
        quantiles: PMI quantiles at those levels (linear interpolation).
        true_mi: the task's true I(X; Y).
        true_mi_stderr: standard error of ``true_mi`` (0 for a closed form).
    """

    task_id: str
    n: int
    seed: int
    bin_edges: tuple[float, ...]
    density: tuple[float, ...]
    mean: float
    stderr: float
    sd: float
    quantile_levels: tuple[float, ...]
    quantiles: tuple[float, ...]
    true_mi: float
    true_mi_stderr: float

    def to_dict(self) -> dict[str, object]:
        """The fields as a JSON-ready dict of str, int, float and lists of floats.

        Keys: ``task_id``, ``n``, ``seed``, ``bin_edges``, ``density``, ``mean``, ``stderr``,
        ``sd``, ``quantile_levels``, ``quantiles``, ``true_mi``, ``true_mi_stderr``.
        """
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def has_pmi(task: object) -> TypeGuard[Task]:
    """True when ``task`` is a :class:`~mibench.tasks.base.Task` whose base distribution
    evaluates its log-densities; False otherwise (a streaming task, say).

    Evaluates the log-densities at a single draw.

    Raises:
        TypeError: for a task id (a string): look the task up first (``get_task(id)``).
    """
    if isinstance(task, str):
        raise TypeError(f"has_pmi takes a task, not its id {task!r}: pass get_task({task!r})")
    if not isinstance(task, Task):
        return False
    dist = task.distribution
    x, y = dist.sample(1, np.random.default_rng([_PROFILE_SEED_TAG, 0]))
    try:
        dist.log_densities(x, y)
    except NotImplementedError:
        return False
    return True


def pmi_profile(
    task: Task, n: int = PROFILE_N, seed: int = 0, bins: int = PROFILE_BINS
) -> PMIProfile:
    """The PMI profile of ``task`` from ``n`` draws of its base distribution.

    The profile is computed on the base distribution's draws. Its transforms leave the PMI of
    every pair unchanged (module docstring), so this is the profile of the task itself. The
    draws come in chunks of :data:`~mibench.tasks.base.MC_CHUNK` from a generator seeded by
    ``seed`` and a fixed tag. The result is deterministic for a given seed, and its draws are
    neither the task's samples for that seed nor those of a Monte-Carlo ground truth. It
    costs O(n) time and memory for the PMI values, plus the draws of one chunk. The first
    call on a mixture task also computes its Monte-Carlo true MI (:attr:`Task.mi`).

    Args:
        task: a fixed-sample task.
        n: number of draws, at least 2.
        seed: non-negative integer seed.
        bins: number of equal-width histogram bins of the central range
            (:attr:`PMIProfile.bin_edges`).

    Returns:
        A :class:`PMIProfile` in nats.

    Raises:
        TypeError: when ``task`` is not a :class:`~mibench.tasks.base.Task` (a streaming
            task has no single profile: its MI changes with the step).
        NotImplementedError: when the task's distribution has no log-densities
            (:func:`has_pmi` is False).
        ValueError: when ``n`` is not an integer of at least 2, ``bins`` is not a positive
            integer, or ``seed`` is not a non-negative integer.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    n = check_int("n", n, 1)
    if n < 2:
        raise ValueError(f"n must be at least 2 for a standard error, got {n}")
    check_int("bins", bins, 1)
    check_int("seed", seed, 0)
    if not has_pmi(task):
        raise NotImplementedError(
            f"task {task.id!r} has no PMI profile: its distribution "
            f"{type(task.distribution).__name__} has no log-densities"
        )
    dist = task.distribution
    rng = np.random.default_rng([_PROFILE_SEED_TAG, seed])
    values = np.concatenate(
        [dist.pmi(*dist.sample(min(MC_CHUNK, n - start), rng)) for start in range(0, n, MC_CHUNK)]
    )
    density, edges = np.histogram(values, bins=_bin_edges(values, int(bins)), density=True)
    sd = float(values.std(ddof=1))
    return PMIProfile(
        task_id=task.id,
        n=n,
        seed=int(seed),
        bin_edges=tuple(edges.tolist()),
        density=tuple(density.tolist()),
        mean=float(values.mean()),
        stderr=sd / float(np.sqrt(n)),
        sd=sd,
        quantile_levels=QUANTILE_LEVELS,
        quantiles=tuple(np.quantile(values, QUANTILE_LEVELS).tolist()),
        true_mi=float(task.mi),
        true_mi_stderr=float(task.mi_stderr),
    )


def _bin_edges(values: np.ndarray, bins: int) -> np.ndarray | int:
    """The edges of :attr:`PMIProfile.bin_edges`; ``bins`` (numpy's equal-width bins over
    the whole range) when the central range is a single value (a constant PMI, say)."""
    low, high = np.quantile(values, [HISTOGRAM_TAIL, 1 - HISTOGRAM_TAIL])
    if not high > low:
        return bins
    central = np.linspace(low, high, bins + 1)
    return np.unique(np.concatenate([[values.min()], central, [values.max()]]))
