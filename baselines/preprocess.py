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

from mibench.preprocessing import standardize, zscore

#: The largest share of samples in groups of identical (x, y) points that a kNN estimator
#: accepts (with a warning); above it the estimate would be strongly biased and is refused.
DUPLICATE_SHARE = 0.01

#: Stream id separating jitter randomness from the error bars' (see mibench.errorbars).
_RNG_STREAM = 0


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
    r, pivots = qr(zscore(a[:, cols]), mode="r", pivoting=True)
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
                stacklevel=6,
            )
        if dependent[name]:
            warnings.warn(
                f"{name} has column(s) {dependent[name]} that are linear combinations of its "
                f"other columns: dropped, since I(X; Y) is unchanged and they would make the "
                f"differential entropy of {name} −∞ for {estimator}",
                RuntimeWarning,
                stacklevel=6,
            )
        if ties[name] and jitter == 0:
            warnings.warn(
                f"{name} has {ties[name]} tied values (repeated values within a column, as in "
                f"discrete or rounded data); zero and tied neighbour distances bias {estimator}. "
                "Set jitter > 0 (e.g. jitter=1e-10) to break ties with seeded noise scaled to "
                "each column's sd",
                RuntimeWarning,
                stacklevel=6,
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
    """Refuse (or warn about) samples that repeat exactly in the joint (x, y) space.

    A point with k or more identical copies has a k-th neighbour at distance 0, where the kNN
    density estimates behind KSG, Kozachenko–Leonenko and LNC are undefined (the estimate
    diverges). Fewer copies keep it finite but biased, and strongly so: a continuous
    distribution repeats a point with probability 0, and each copy shrinks the neighbour
    distances the estimators rely on (with every row of a correlated Gaussian sample given
    twice, KSG moves from 0.22 to 0.95 nats, Kozachenko–Leonenko to −0.65 and LNC to 1.2).
    So more than :data:`DUPLICATE_SHARE` of the points in repeated groups is refused, and
    fewer is a warning.

    Raises:
        ValueError: naming ``jitter`` and ``k`` for groups of more than k identical points, or
            naming the share of repeated points above :data:`DUPLICATE_SHARE`.

    Warns:
        RuntimeWarning: when some points (at most that share) repeat.
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
            "scale-relative noise, or use mixed-ksg (data with ties or point masses) or, for "
            "categorical variables, plugin or ross"
        )
    repeated = int(counts[counts > 1].sum())
    if not repeated:
        return
    share = repeated / counts.sum()
    what = (
        f"{repeated} of {counts.sum()} samples ({share:.1%}) are exact copies of another "
        f"(x, y) sample; {estimator} assumes a continuous distribution, where that has "
        "probability 0, and copies bias its neighbour distances"
    )
    if share > DUPLICATE_SHARE:
        raise ValueError(
            f"x and y: {what} strongly (more than {DUPLICATE_SHARE:.0%} of the points): remove "
            "the repeated rows (e.g. np.unique(np.c_[x, y], axis=0)) if they are copies, or "
            "use mixed-ksg (data with ties or point masses) or, for categorical variables, "
            "plugin or ross"
        )
    warnings.warn(f"{what}; the estimate may be biased", RuntimeWarning, stacklevel=5)
