"""Input checks shared by every estimator: shapes, finiteness, sample counts."""

from __future__ import annotations

import numpy as np


def as_2d(a: object, name: str) -> np.ndarray:
    """Return ``a`` as a writable float64 array of shape ``(n, d)``.

    A 1-D array of length n is taken as one column, shape ``(n, 1)``. Read-only input (e.g.
    the values of a pandas DataFrame) is copied, never modified.

    Raises:
        ValueError: when ``a`` is empty, has more than 2 dimensions, is not real-valued
            (complex numbers included), or holds NaN or inf; the message names ``name`` and
            the value seen.
    """
    if np.iscomplexobj(a):
        raise ValueError(
            f"{name} must be real-valued, got complex numbers (dtype "
            f"{np.asarray(a).dtype}); pass the real and imaginary parts as separate columns"
        )
    try:
        arr = np.require(np.asarray(a, dtype=np.float64), requirements="W")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(a).__name__}: {exc}") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n,) or (n, d), got an array of shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} must be finite, got {arr[row, col]} at row {row}, column {col} "
            f"({int(bad.sum())} non-finite entries in all)"
        )
    return arr


def check_xy(x: object, y: object, min_samples: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of sample arrays and return them as float64 ``(n, d)`` arrays.

    Args:
        x: samples of X, shape ``(n, dim_x)`` or ``(n,)``.
        y: samples of Y, shape ``(n, dim_y)`` or ``(n,)``.
        min_samples: the fewest rows the calling estimator can work with.

    Raises:
        ValueError: naming ``x`` or ``y`` when either is empty, not 1-D/2-D, or non-finite;
            when their numbers of rows differ; or when ``n < min_samples``.
    """
    xa = as_2d(x, "x")
    ya = as_2d(y, "y")
    if xa.shape[0] != ya.shape[0]:
        raise ValueError(
            f"x and y must have the same number of samples (rows), got x with {xa.shape[0]} "
            f"and y with {ya.shape[0]}"
        )
    if xa.shape[0] < min_samples:
        raise ValueError(
            f"x and y need at least {min_samples} samples for this estimator, got n={xa.shape[0]}"
        )
    return xa, ya
