"""Column preprocessing shared by every estimator family and the grid: exact rescaling, z-scores.

Every z-score in mibench (the grid's per-cell standardisation, the classical estimators'
``standardize="zscore"``, the neural trainer's standardisation on its training rows) first
multiplies each column by the power of two that brings its largest magnitude into [0.5, 1)
(:func:`unit_scaled`). That multiplication is exact, so z-scores of ordinary data are
bit-identical to those computed without it, while data at scales such as 1e−310 (subnormal)
or 1e308 no longer underflow to a constant or overflow to inf in the sums of squares.
"""

from __future__ import annotations

import numpy as np


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
