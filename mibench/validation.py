"""Input checks shared by every estimator and both entry points (Python API and command line).

One rule for what a sample array or a table column may hold:

* numeric values (integers, floats of any precision, numpy, pandas, torch tensors on any
  device, lists) are read as float64;
* a column is **categorical** when its dtype is string, object, categorical or bool; mibench
  has no estimator for categorical data yet, so such columns are refused with a clear error
  (a stray non-numeric value in a numeric column is named with its row and column);
* datetime and timedelta values, complex numbers, masked entries of a ``numpy.ma`` array,
  NaN and ±inf are refused, and so are integers beyond 2^53 that float64 cannot hold exactly.

Every refusal is a ``ValueError`` whose message names the argument (``x``, ``y``, or the
column) and the value at fault.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The largest integer magnitude float64 represents exactly (and every integer below it).
EXACT_INT_LIMIT = 2**53


def _from_tensor(a: Any) -> Any:
    """A torch tensor as a float64 numpy array (any dtype, device, ``requires_grad``)."""
    if type(a).__module__.startswith("torch") and hasattr(a, "detach"):
        import torch

        if a.is_complex():
            raise ValueError(
                f"must be real-valued, got a complex tensor (dtype {a.dtype}); pass the real "
                "and imaginary parts as separate columns"
            )
        if a.dtype == torch.bool:
            return a.detach().cpu().numpy()
        return a.detach().to("cpu", torch.float64).numpy()
    return a


def _locate(arr: np.ndarray, bad: np.ndarray) -> str:
    """``"at row r, column c"`` of the first True of ``bad`` (1-D or 2-D)."""
    where = np.argwhere(bad)[0]
    return f"at row {where[0]}" + (f", column {where[1]}" if len(where) > 1 else "")


def _first_non_numeric(arr: np.ndarray) -> tuple[Any, str] | None:
    """The first entry of an object array that is not a real number, and where it is."""
    flat = arr if arr.ndim else arr[None]
    for index in np.ndindex(flat.shape):
        value = flat[index]
        value = value.item() if isinstance(value, np.generic) else value
        where = f"at row {index[0]}" + (f", column {index[1]}" if len(index) > 1 else "")
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            return value, where
        if isinstance(value, int) and abs(value) > EXACT_INT_LIMIT:
            return value, f"{where} (an integer beyond 2^53, which float64 cannot hold exactly)"
    return None


def _as_float64(a: Any, name: str) -> np.ndarray:
    try:
        a = _from_tensor(a)
    except ValueError as exc:
        raise ValueError(f"{name} {exc}") from None
    if isinstance(a, np.ma.MaskedArray):
        masked = np.ma.getmaskarray(a)
        if masked.any():
            raise ValueError(
                f"{name} is a masked array with {int(masked.sum())} masked entries (first "
                f"{_locate(a, masked)}); mibench does not skip masked values: drop those rows "
                "first (e.g. x[~x.mask.any(axis=1)])"
            )
        a = a.filled()
    if isinstance(a, (str, bytes, dict)):
        raise ValueError(f"{name} must be a numeric array, got {type(a).__name__}")
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(a).__name__}: {exc}") from exc
    kind = raw.dtype.kind
    if kind == "c":
        raise ValueError(
            f"{name} must be real-valued, got complex numbers (dtype {raw.dtype}); pass the "
            "real and imaginary parts as separate columns"
        )
    if kind == "b":
        raise ValueError(
            f"{name} holds booleans (dtype {raw.dtype}): a categorical variable, which mibench's "
            "estimators do not support yet; encode it yourself only if its values are ordered "
            "numbers"
        )
    if kind in "mM":
        raise ValueError(
            f"{name} holds dates or durations (dtype {raw.dtype}), which are not samples of a "
            "numeric variable; convert them to numbers (e.g. seconds) first"
        )
    if kind in "USO":
        bad = _first_non_numeric(raw) if kind == "O" else (raw.flat[0].item(), "at row 0")
        if bad is not None:
            value, where = bad
            raise ValueError(
                f"{name} must be numeric, got {value!r} {where} (dtype {raw.dtype}); string, "
                "boolean and other categorical values are not supported yet"
            )
    if kind in "iu" and raw.size:
        big = raw > EXACT_INT_LIMIT
        if kind == "i":
            big |= raw < -EXACT_INT_LIMIT
        if big.any():
            raise ValueError(
                f"{name} holds integers beyond 2^53 (e.g. {raw[np.nonzero(big)][0]} "
                f"{_locate(raw, big)}) that float64 cannot represent exactly; subtract an "
                "offset or rescale them first"
            )
    try:
        return np.require(raw.astype(np.float64), requirements="W")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array: {exc}") from exc


def as_2d(a: object, name: str) -> np.ndarray:
    """Return ``a`` as a writable float64 array of shape ``(n, d)`` (see the module rule).

    A 1-D array of length n is taken as one column, shape ``(n, 1)``. Read-only input (e.g.
    the values of a pandas DataFrame) is copied, never modified.

    Raises:
        ValueError: naming ``name`` and the value seen when ``a`` is empty, has more than 2
            dimensions, holds values the module rule refuses, or holds NaN or inf.
    """
    arr = _as_float64(a, name)
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


def _shared_column(x: np.ndarray, y: np.ndarray) -> tuple[int, int] | None:
    """The first (column of x, column of y) that are equal and not constant, or None."""
    for i in range(x.shape[1]):
        for j in range(y.shape[1]):
            a, b = x[:, i], y[:, j]
            if a[0] == b[0] and np.array_equal(a, b) and a.min() != a.max():
                return i, j
    return None


def check_xy(x: object, y: object, min_samples: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of sample arrays and return them as float64 ``(n, d)`` arrays.

    Args:
        x: samples of X, shape ``(n, dim_x)`` or ``(n,)``.
        y: samples of Y, shape ``(n, dim_y)`` or ``(n,)``.
        min_samples: the fewest rows the calling estimator can work with.

    Raises:
        ValueError: naming ``x`` or ``y`` when either is empty, not 1-D/2-D, or holds values
            refused by the module rule; when their numbers of rows differ; when a column of x
            equals a (non-constant) column of y (the MI is then infinite); or when
            ``n < min_samples``.
    """
    xa = as_2d(x, "x")
    ya = as_2d(y, "y")
    if xa.shape[0] != ya.shape[0]:
        raise ValueError(
            f"x and y must have the same number of samples (rows), got x with {xa.shape[0]} "
            f"and y with {ya.shape[0]}"
        )
    shared = _shared_column(xa, ya)
    if shared is not None:
        i, j = shared
        raise ValueError(
            f"x column {i} and y column {j} are identical: a variable shares a coordinate with "
            "the other, so I(X; Y) is infinite for continuous data and no estimate is "
            "meaningful; drop the shared column from one side"
        )
    if xa.shape[0] < min_samples:
        raise ValueError(
            f"x and y need at least {min_samples} samples for this estimator, got n={xa.shape[0]}"
        )
    return xa, ya
