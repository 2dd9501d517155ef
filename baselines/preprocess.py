"""Preparing samples for the kNN estimators: standardisation, redundant columns, ties, jitter.

kNN estimators with a max-norm compare distances across columns, so the scale of each column
matters (Kraskov et al. 2004 standardise), and tied values give zero or tied distances that push
KSG towards large errors. Constant columns and columns that are linear combinations of others
carry no information of their own but make a block's differential entropy −∞, so they are
dropped. Every choice made here is recorded in the estimate's ``extras``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
from scipy.linalg import qr
from scipy.stats import rankdata

#: Accepted values of the ``standardize`` hyperparameter.
STANDARDIZATIONS = ("none", "zscore", "rank")
#: Stream id separating jitter randomness from the error bars' (see errorbars).
_RNG_STREAM = 0


def unit_scaled(a: np.ndarray) -> np.ndarray:
    """``a: (n, d)`` with each column multiplied by a power of two that brings its largest
    absolute value into [0.5, 1).

    Multiplying by a power of two is exact, so scale-free statistics (z-scores, correlations)
    computed afterwards are bit-identical for ordinary data, while data at scales such as 1e300
    or 1e-200 no longer overflow or underflow in sums of squares. All-zero columns are kept.
    """
    _, exponent = np.frexp(np.abs(a).max(axis=0))
    return np.ldexp(a, -exponent)


def standardize(a: np.ndarray, method: str) -> np.ndarray:
    """Standardise each column of ``a``.

    Args:
        a: samples, shape ``(n, d)``.
        method: ``"none"`` (unchanged); ``"zscore"`` (centre, then divide by the sd with
            ddof = 0; a constant column becomes 0, never a division by zero); ``"rank"``
            (ranks 1..n, average ranks for ties, left unscaled so that rank distances stay
            exact integers or half-integers).

    Returns:
        The standardised array, shape ``(n, d)``, float64.
    """
    if method == "zscore":
        a = unit_scaled(a)
        centred = a - a.mean(axis=0)
        sd = centred.std(axis=0)
        return centred / np.where(sd > 0, sd, 1.0)
    if method == "rank":
        return rankdata(a, method="average", axis=0).astype(np.float64)
    return a


def constant_columns(a: np.ndarray) -> list[int]:
    """Indices of the columns of ``a: (n, d)`` that hold a single value."""
    return np.flatnonzero(a.min(axis=0) == a.max(axis=0)).tolist()


def dependent_columns(a: np.ndarray, skip: list[int]) -> list[int]:
    """Indices of the columns of ``a: (n, d)`` that are linear combinations of the others.

    Found by QR with column pivoting (Golub & Van Loan, "Matrix Computations", §5.4.1) of the
    z-scored columns not in ``skip`` (which must hold the constant ones): the columns the
    pivoting leaves for last, once the remaining pivot falls below max(n, d) · ε · the largest
    one (the rank tolerance of ``numpy.linalg.matrix_rank``), add no new direction.
    """
    cols = [c for c in range(a.shape[1]) if c not in skip]
    if len(cols) < 2 or a.shape[0] <= len(cols):
        # n ≤ d points always span an affine subspace of fewer than d dimensions.
        return []
    r, pivots = qr(standardize(a[:, cols], "zscore"), mode="r", pivoting=True)
    pivot_sizes = np.abs(np.diag(r))
    tol = max(a.shape[0], len(cols)) * np.finfo(np.float64).eps * pivot_sizes[0]
    rank = int(np.count_nonzero(pivot_sizes > tol))
    return sorted(cols[p] for p in pivots[rank:])


def tied_values(a: np.ndarray, skip: list[int]) -> int:
    """Number of values of ``a: (n, d)`` equal to another value of their column.

    Counted as n minus the number of distinct values, summed over the columns not in ``skip``.
    """
    cols = [c for c in range(a.shape[1]) if c not in skip]
    if not cols:
        return 0
    s = np.sort(a[:, cols], axis=0)
    return int(np.count_nonzero(s[1:] == s[:-1]))


def add_jitter(a: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian noise of sd ``amount`` times each column's sd (ddof = 0).

    The noise is relative to the column's scale, never an absolute constant, so it breaks ties
    in badly scaled data too; a constant column (sd 0) is left unchanged.

    Args:
        a: samples, shape ``(n, d)``.
        amount: relative noise level (0 returns ``a`` unchanged; 1e-10 is customary).
        rng: the seeded noise source.

    Returns:
        The jittered array, shape ``(n, d)``.
    """
    if amount == 0:
        return a
    return a + amount * a.std(axis=0) * rng.standard_normal(a.shape)


@dataclass(frozen=True)
class Prepared:
    """Samples ready for a kNN estimator, with what was done to them.

    Attributes:
        x: prepared samples of X, shape ``(n, dim_x)``.
        y: prepared samples of Y, shape ``(n, dim_y)``.
        constant: constant columns per block, ``{"x": [...], "y": [...]}``.
        dependent: columns per block that are linear combinations of the block's other
            columns (see :func:`dependent_columns`), ``{"x": [...], "y": [...]}``.
        ties: tied values per block before jitter, ``{"x": int, "y": int}``.
    """

    x: np.ndarray
    y: np.ndarray
    constant: dict[str, list[int]]
    dependent: dict[str, list[int]]
    ties: dict[str, int]


def prepare(
    x: np.ndarray,
    y: np.ndarray,
    *,
    standardize_method: str,
    jitter: float,
    seed: int,
    estimator: str,
) -> Prepared:
    """Standardise, find constant and linearly dependent columns, count ties, and jitter, in
    that order (jitter would hide the dependence, not remove it).

    Args:
        x: samples of X, shape ``(n, dim_x)``, float64, finite.
        y: samples of Y, shape ``(n, dim_y)``, float64, finite.
        standardize_method: see :func:`standardize`.
        jitter: relative jitter, see :func:`add_jitter`.
        seed: seed of the jitter's random stream.
        estimator: the estimator's name, for warnings.

    Returns:
        A :class:`Prepared`.

    Warns:
        RuntimeWarning: for each block with constant columns (they carry no information), with
            linearly dependent columns, and with tied values when ``jitter`` is 0.
    """
    rng = np.random.default_rng((seed, _RNG_STREAM))
    blocks: dict[str, np.ndarray] = {}
    constant: dict[str, list[int]] = {}
    dependent: dict[str, list[int]] = {}
    ties: dict[str, int] = {}
    for name, a in (("x", x), ("y", y)):
        a = standardize(a, standardize_method)
        constant[name] = constant_columns(a)
        dependent[name] = dependent_columns(a, constant[name])
        ties[name] = tied_values(a, constant[name])
        if constant[name]:
            warnings.warn(
                f"{name} has constant column(s) {constant[name]}: they carry no information "
                f"about the other variable ({estimator} gives 0 when all columns are constant)",
                RuntimeWarning,
                stacklevel=5,
            )
        if dependent[name]:
            warnings.warn(
                f"{name} has column(s) {dependent[name]} that are linear combinations of its "
                f"other columns: dropped, since I(X; Y) is unchanged and they would make the "
                f"differential entropy of {name} −∞ for {estimator}",
                RuntimeWarning,
                stacklevel=5,
            )
        if ties[name] and jitter == 0:
            warnings.warn(
                f"{name} has {ties[name]} tied values (repeated values within a column, as in "
                f"discrete or rounded data); zero and tied neighbour distances bias {estimator}. "
                "Set jitter > 0 (e.g. jitter=1e-10) to break ties with seeded noise scaled to "
                "each column's sd",
                RuntimeWarning,
                stacklevel=5,
            )
        blocks[name] = add_jitter(a, jitter, rng)
    return Prepared(blocks["x"], blocks["y"], constant, dependent, ties)


def without_redundant_columns(prepared: Prepared) -> Prepared:
    """Drop constant and linearly dependent columns.

    Both leave the MI unchanged: I((X, c); Y) = I(X; Y), and dropping a column that is a
    linear function of the kept ones is a one-to-one map of X. Kept, they would make a block's
    differential entropy −∞ for the estimators that use it (Kozachenko–Leonenko, LNC). For KSG
    under the max or Euclidean norm dropping a constant column changes no distance.
    """
    return replace(
        prepared,
        x=np.delete(prepared.x, prepared.constant["x"] + prepared.dependent["x"], axis=1),
        y=np.delete(prepared.y, prepared.constant["y"] + prepared.dependent["y"], axis=1),
    )


def check_duplicate_points(prepared: Prepared, k: int, estimator: str) -> None:
    """Refuse samples whose k-th joint neighbour distance is 0.

    A point with k or more identical copies in the joint (x, y) space has a k-th neighbour at
    distance 0, where the kNN density estimates behind KSG, Kozachenko–Leonenko and LNC are
    undefined: the estimate diverges instead of being merely biased.

    Raises:
        ValueError: naming ``jitter`` and ``k`` when such points exist.
    """
    if not any(prepared.ties.values()):
        return
    _, counts = np.unique(np.hstack([prepared.x, prepared.y]), axis=0, return_counts=True)
    bad = int(counts[counts > k].sum())
    if bad:
        raise ValueError(
            f"{bad} of {counts.sum()} samples lie in groups of more than k={k} identical (x, y) "
            f"points, so their k-th-neighbour distance is 0 and {estimator} is undefined "
            "(it diverges); set jitter > 0 (e.g. jitter=1e-10) to break ties with seeded, "
            "scale-relative noise, or use a discrete estimator such as histogram"
        )
