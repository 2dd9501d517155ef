"""Permutation test of independence built on any MI estimator."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from mibench.estimator import Estimator


@dataclass
class PermutationTest:
    """Result of :func:`permutation_test`.

    Attributes:
        statistic: the MI estimate on the data as given (nats).
        null: the estimates on the permuted data (nats), shape ``(permutations,)``.
        p_value: (1 + #{null >= statistic}) / (1 + permutations).
    """

    statistic: float
    null: np.ndarray
    p_value: float


def permutation_test(
    estimator: Estimator,
    x: np.ndarray,
    y: np.ndarray,
    permutations: int = 100,
    seed: int = 0,
    statistic: float | None = None,
) -> PermutationTest:
    """Test H0: X and Y independent, by re-estimating MI with the rows of y shuffled.

    Shuffling y breaks any dependence while keeping both marginals, so the shuffled estimates
    sample the estimator's null distribution. The p-value counts the observed statistic as one
    of the permutations (Phipson & Smyth 2010), so it is never 0.

    Args:
        estimator: any estimator; it runs once per permutation, plus once on the data
            unless ``statistic`` is given.
        x: samples of X, shape ``(n, dim_x)``.
        y: samples of Y, shape ``(n, dim_y)``.
        permutations: number of shuffles (>= 1).
        seed: seed of the shuffles.
        statistic: the estimate on the unshuffled data, when already computed (nats).
            Warnings are given by the estimate on the unshuffled data only.

    Returns:
        A :class:`PermutationTest`.

    Raises:
        ValueError: when ``permutations < 1``, or an estimate on shuffled data fails.
    """
    if permutations < 1:
        raise ValueError(f"permutations must be >= 1, got {permutations}")
    if statistic is None:
        statistic = _value(estimator, x, y)
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    with warnings.catch_warnings():
        # Shuffling rows keeps each column's values, so a warning about the data (constant
        # columns, ties) was given for the unshuffled estimate; it is not repeated per shuffle.
        warnings.simplefilter("ignore")
        null = np.array(
            [_value(estimator, x, y[rng.permutation(len(y))]) for _ in range(permutations)]
        )
    p_value = (1 + int(np.sum(null >= statistic))) / (1 + permutations)
    return PermutationTest(statistic=float(statistic), null=null, p_value=p_value)


def _value(estimator: Estimator, x: np.ndarray, y: np.ndarray) -> float:
    result = estimator.estimate(x, y)
    if not result.ok:
        raise ValueError(f"estimate failed during the permutation test: {result.message}")
    return result.value
