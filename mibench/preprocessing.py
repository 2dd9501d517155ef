"""Column preprocessing shared by every estimator family and the grid: the ``standardize``
vocabulary, exact rescaling, z-scores, ranks and normal scores.

``standardize`` has one meaning wherever it is a hyperparameter: the per-column transform an
estimator applies to x and y before it estimates, one of :data:`STANDARDIZATIONS`; ``True``
and ``False`` mean ``"zscore"`` and ``"none"`` everywhere (:data:`STANDARDIZE_ALIASES`). Each
family accepts the methods it supports (ranks only for the kNN estimators, whose distances
they keep exact), checked by :func:`standardize_method`.

Every z-score in mibench (the grid's per-cell standardisation, the classical estimators'
``standardize="zscore"``, the neural trainer's standardisation on its training rows) first
multiplies each column by the power of two that brings its largest magnitude into [0.5, 1)
(:func:`unit_scaled`). That multiplication is exact, so z-scores of ordinary data are
bit-identical to those computed without it, while data at scales such as 1e−310 (subnormal)
or 1e308 no longer underflow to a constant or overflow to inf in the sums of squares.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

#: The methods of ``standardize``: ``"zscore"`` (centre, unit sd), ``"rank"`` (ranks 1..n),
#: ``"none"`` (unchanged).
STANDARDIZATIONS = ("zscore", "rank", "none")
#: The booleans that ``standardize`` also accepts, and the method each one means.
STANDARDIZE_ALIASES: dict[bool, str] = {True: "zscore", False: "none"}


def standardize_method(value: object, accepted: tuple[str, ...] = STANDARDIZATIONS) -> str:
    """The method (one of ``accepted``) that a ``standardize`` value names: the value itself,
    or ``"zscore"`` for ``True`` and ``"none"`` for ``False``.

    Raises:
        ValueError: naming ``standardize`` and the value when it is neither a bool nor one of
            ``accepted``.
    """
    method = STANDARDIZE_ALIASES[bool(value)] if isinstance(value, (bool, np.bool_)) else value
    if not isinstance(method, str) or method not in accepted:
        choices = ", ".join(repr(m) for m in accepted)
        raise ValueError(f"standardize must be one of {choices} (or True/False), got {value!r}")
    return method


def standardize(a: np.ndarray, method: str) -> np.ndarray:
    """Standardise each column of ``a: (n, d)`` with ``method`` (:data:`STANDARDIZATIONS`):
    ``"zscore"`` (:func:`zscore`), ``"rank"`` (ranks 1..n, average ranks for ties, left
    unscaled so that rank distances stay exact integers or half-integers) or ``"none"``
    (``a`` itself).

    Returns:
        The standardised ``(n, d)`` array (float64 for ``"zscore"`` and ``"rank"``).
    """
    if method == "zscore":
        return zscore(a)
    if method == "rank":
        from scipy.stats import rankdata  # here: scipy.stats takes a second to import

        return rankdata(a, method="average", axis=0).astype(np.float64)
    return a


def unit_scaled(a: np.ndarray) -> np.ndarray:
    """``a: (n, d)`` with each column multiplied by a power of two that brings its largest
    absolute value into [0.5, 1); all-zero columns are kept. Exact (no rounding)."""
    _, exponent = np.frexp(np.abs(a).max(axis=0))
    return np.ldexp(a, -exponent)


def zscore(a: np.ndarray) -> np.ndarray:
    """Centre each column of ``a: (n, d)`` and scale it to unit sd (ddof = 0), after
    :func:`unit_scaled`; a constant column becomes 0 (never a division by zero).

    Returns:
        A new ``(n, d)`` float64 array.
    """
    a = unit_scaled(np.asarray(a, dtype=np.float64))
    centred = a - a.mean(axis=0)
    sd = centred.std(axis=0)
    return centred / np.where(sd > 0, sd, 1.0)


def normal_scores(a: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
    """Map each column of ``a: (n, d)`` to normal scores fitted on the rows ``fit_rows``.

    A value v of a column becomes Φ⁻¹(r(v) / (m + 1)), where m = ``len(fit_rows)`` and r is
    its rank among the column's fitted values (1..m, average ranks for ties), linearly
    interpolated between them; values beyond the fitted range get the rank 1/2 or m + 1/2.
    On the fitted rows these are the van der Waerden scores. The map is non-decreasing per
    column (strictly increasing within the fitted range), so it leaves the mutual information
    between columns of X and columns of Y unchanged (Kraskov et al. 2004, the invariance of
    MI under smooth invertible maps of each variable), while any heavy tail becomes Gaussian.

    Args:
        a: samples, shape ``(n, d)``.
        fit_rows: integer indices of the rows the ranks are taken from (the training rows,
            so that held-out rows are mapped by a transform they did not shape), shape
            ``(m,)`` with m >= 1.

    Returns:
        A new ``(n, d)`` float64 array of finite values, each in about ±Φ⁻¹(1 − 1/(2m + 2)).
    """
    a = np.asarray(a, dtype=np.float64)
    m = len(fit_rows)
    out = np.empty_like(a)
    for c in range(a.shape[1]):
        fitted = a[fit_rows, c]
        values, counts = np.unique(fitted, return_counts=True)
        ranks = np.cumsum(counts) - (counts - 1) / 2  # average rank of each distinct value
        r = np.interp(a[:, c], values, ranks, left=0.5, right=m + 0.5)
        out[:, c] = ndtri(r / (m + 1))
    return out
