"""The one validation module: sample checks and hyperparameter checks.

It holds the checks shared by every estimator, task and protocol and by both entry points
(Python API and command line), in two parts:

* **Sample checks** (:func:`check_xy`, :func:`as_2d`, :func:`as_categorical`, ...): what a
  sample array or a table column may hold, and its kind (below).
* **Hyperparameter checks** (:func:`check_int`, :func:`check_real`, :func:`check_choice`,
  :func:`check_bool`, and :func:`require` for any other rule): what a scalar setting may be.
  Bools are not numbers there, numpy scalars are accepted, and every refusal reads
  ``"<name> must be <what is accepted>, got <value>"``, e.g. ``"k must be an int >= 1, got 0"``.

Sample checks: one rule for what a sample array or a table column may hold, and for its
**kind**: each variable (X, Y) is ``"continuous"`` or ``"categorical"``.

* A variable is **categorical** when the user declares it so, or when its dtype is bool,
  string, pandas categorical, or object holding text (a string column of a CSV file). An
  object or string variable most, but not all, of whose values are numbers (or numeric
  text) is a numeric variable with stray entries instead: it is refused, the first stray
  value named with its row (a typo in a numeric column of a CSV file). Everything else
  (integers, floats of any precision, numpy, pandas, torch tensors on any device, lists of
  numbers) is continuous unless declared categorical.
* A **continuous** variable is read as float64 (:func:`as_2d`); categorical values (strings,
  bools) are refused there with a message naming the categorical estimators (``plugin``,
  ``ross``).
* A **categorical** variable is read as codes (:func:`as_categorical`): each distinct row
  (value, for one column) is one category, numbered 0..K-1 in sorted order, so the codes are
  the same on every run. Strings, bools, integers, floats (exact values), pandas categoricals
  and object arrays are accepted; missing values (None, NaN, ``pd.NA``) are refused with
  their row.
* Datetime and timedelta values, complex numbers, masked entries of a ``numpy.ma`` array,
  NaN and ±inf are refused in both kinds, and so are integers beyond 2^53 that float64
  cannot hold exactly in a continuous variable.

Every refusal is a ``ValueError`` whose message names the argument (``x``, ``y``, the column,
or the hyperparameter) and the value at fault. The module imports only numpy at start-up
(torch and pandas when a tensor or a table is met), so the command line loads it cheaply.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeGuard

import numpy as np

#: The largest integer magnitude float64 represents exactly (and every integer below it).
EXACT_INT_LIMIT = 2**53

#: The kind of a continuous variable (read as float64 samples).
CONTINUOUS = "continuous"
#: The kind of a categorical variable (read as category codes).
CATEGORICAL = "categorical"
#: The kinds a variable may have.
KINDS = (CONTINUOUS, CATEGORICAL)

#: What the refusals of categorical data by a continuous estimator advise.
CATEGORICAL_ESTIMATORS = (
    "use an estimator for categorical data: plugin (both variables categorical) or ross "
    "(one categorical, one continuous)"
)


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


def _is_numeric_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _missing(values: np.ndarray) -> np.ndarray:
    """Where an array holds a missing value: None, NaN, ``pd.NA`` or ``NaT``."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind != "O":
        return np.zeros(values.shape, bool)
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


def values_kind(values: np.ndarray) -> str:
    """The kind the dtype rule gives an array's values: :data:`CATEGORICAL` for bools and
    text, :data:`CONTINUOUS` otherwise (see the module rule).

    Text (``U``/``S`` dtype, or ``str`` values of an object array) makes the variable
    categorical unless most of its non-missing values are numbers or numeric text (``"2.5"``)
    and at least one is not: that is a numeric variable with stray entries, continuous, whose
    strays the continuous reader refuses by name. An object array holding only numbers (and
    missing values) is continuous; one of bools, or of other objects, categorical.
    """
    kind = values.dtype.kind
    if kind == "b":
        return CATEGORICAL
    if kind not in "USO":
        return CONTINUOUS
    flat = values.reshape(-1)
    if kind in "US":
        flat = flat.astype(object)
    present = flat[~_missing(flat)]
    numbers = numeric_text = others = 0
    for value in present:
        value = value.item() if isinstance(value, np.generic) else value
        if is_real(value):
            numbers += 1
        elif _is_numeric_text(value):
            numeric_text += 1
        else:
            others += 1
    if others == 0:
        return CATEGORICAL if numeric_text and not numbers else CONTINUOUS
    return CONTINUOUS if numbers + numeric_text > others else CATEGORICAL


def _first_stray(arr: np.ndarray) -> tuple[Any, str] | None:
    """The first entry of an object array that is neither a number nor numeric text."""
    arr = arr if arr.ndim else arr[None]
    for index in np.ndindex(arr.shape):
        value = arr[index]
        value = value.item() if isinstance(value, np.generic) else value
        if not (is_real(value) or _is_numeric_text(value)):
            where = f"at row {index[0]}" + (f", column {index[1]}" if len(index) > 1 else "")
            return value, where
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
            f"{name} holds booleans (dtype {raw.dtype}), so {name} is categorical; "
            f"{CATEGORICAL_ESTIMATORS}"
        )
    if kind in "mM":
        raise ValueError(
            f"{name} holds dates or durations (dtype {raw.dtype}), which are not samples of a "
            "numeric variable; convert them to numbers (e.g. seconds) first"
        )
    if kind in "USO":
        if raw.size and values_kind(raw) == CATEGORICAL:
            value = raw.flat[0]
            value = value.item() if isinstance(value, np.generic) else value
            raise ValueError(
                f"{name} must be numeric for this estimator, got {value!r} at row 0 (dtype "
                f"{raw.dtype}): {name} holds text, so it is categorical; "
                f"{CATEGORICAL_ESTIMATORS}"
            )
        obj = raw.astype(object)
        bad = _first_non_numeric(obj)
        if bad is not None:
            value, where = _first_stray(obj) or bad
            raise ValueError(
                f"{name} must be numeric, got {value!r} {where} (dtype {raw.dtype}); if {name} "
                f"is categorical, {CATEGORICAL_ESTIMATORS}"
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


def _order_key(value: Any) -> tuple[int, Any]:
    """Sort key of one category value: numbers (bools as 0 and 1) by value, then text, bytes,
    and anything else by its repr, so that mixed object columns sort deterministically."""
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        return (0, float(value))
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, bytes):
        return (2, value)
    return (3, repr(value))


def _where(row: int, col: int, width: int) -> str:
    return f"at row {row}" + (f", column {col}" if width > 1 else "")


def _column_codes(col: np.ndarray, name: str, j: int, width: int) -> np.ndarray:
    """Codes 0..K-1 (int64, sorted category order) of one column of a categorical variable."""
    kind = col.dtype.kind
    if kind == "c":
        raise ValueError(
            f"{name} holds complex numbers (dtype {col.dtype}), which are not categories; pass "
            "the real and imaginary parts as separate columns"
        )
    if kind in "mM":
        raise ValueError(
            f"{name} holds dates or durations (dtype {col.dtype}); convert them to text or "
            "numbers first to use them as categories"
        )
    missing = _missing(col)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"{name} has {int(missing.sum())} missing values (None or NaN), the first "
            f"{_where(row, j, width)}; drop those rows, or give missing values a category of "
            "their own (e.g. the text 'missing')"
        )
    if kind == "f":
        bad = ~np.isfinite(col)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name} must be finite, got {col[row]} {_where(row, j, width)} "
                f"({int(bad.sum())} non-finite entries in all)"
            )
    if kind in "biufUS":
        return np.unique(col, return_inverse=True)[1].reshape(-1).astype(np.int64)
    values = [v.item() if isinstance(v, np.generic) else v for v in col]
    for row, value in enumerate(values):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value} {_where(row, j, width)}")
        try:
            hash(value)
        except TypeError:
            raise ValueError(
                f"{name} holds {type(value).__name__} {value!r} {_where(row, j, width)}, which "
                "cannot be a category (a category is a number, a bool or a text)"
            ) from None
    order = {v: i for i, v in enumerate(sorted(set(values), key=_order_key))}
    return np.array([order[v] for v in values], dtype=np.int64)


def _columns_of(a: Any, name: str) -> tuple[list[np.ndarray], int]:
    """The columns of a categorical variable as 1-D numpy arrays, and its number of rows."""
    import pandas as pd

    if isinstance(a, pd.DataFrame):
        cols = [a.iloc[:, j].to_numpy() for j in range(a.shape[1])]
        return cols, a.shape[0]
    if isinstance(a, (pd.Series, pd.Index, pd.Categorical)):
        return [np.asarray(a.to_numpy() if hasattr(a, "to_numpy") else a)], len(a)
    if isinstance(a, np.ma.MaskedArray):
        masked = np.ma.getmaskarray(a)
        if masked.any():
            raise ValueError(
                f"{name} is a masked array with {int(masked.sum())} masked entries (first "
                f"{_locate(a, masked)}); mibench does not skip masked values: drop those rows "
                "first"
            )
        a = a.filled()
    if isinstance(a, (str, bytes, dict)):
        raise ValueError(f"{name} must be an array of categories, got {type(a).__name__}")
    try:
        a = _from_tensor(a)
    except ValueError as exc:
        raise ValueError(f"{name} {exc}") from None
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be an array of categories, got {type(a).__name__}: {exc}"
        ) from exc
    if raw.ndim == 1:
        raw = raw[:, None]
    if raw.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n,) or (n, d), got an array of shape {raw.shape}"
        )
    return [raw[:, j] for j in range(raw.shape[1])], raw.shape[0]


def as_categorical(a: object, name: str) -> np.ndarray:
    """Return the categorical variable ``a`` as float64 codes of shape ``(n, 1)``.

    Each distinct row of ``a`` (each distinct value, for one column) is one category; the
    categories are numbered 0..K-1 in sorted order (per column, then row by row), so the same
    data give the same codes on every run. Accepted: strings, bools, integers, floats (exact
    values: 0.5 and 0.50000001 are two categories), pandas categoricals (their values, not
    their category order), Series, DataFrames, object arrays (numbers sort before text), lists
    and torch tensors; a 1-D array of length n is one column.

    Raises:
        ValueError: naming ``name`` when ``a`` is empty or has more than 2 dimensions, holds a
            missing value (None, NaN, ``pd.NA``: the message gives its row), ±inf, complex
            numbers, dates or values that cannot be categories (lists, dicts).
    """
    columns, n = _columns_of(a, name)
    if n == 0 or not columns:
        raise ValueError(f"{name} must not be empty, got shape ({n}, {len(columns)})")
    codes = [_column_codes(col, name, j, len(columns)) for j, col in enumerate(columns)]
    if len(codes) == 1:
        out = codes[0]
    else:
        out = np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)[1].reshape(-1)
    return out.astype(np.float64)[:, None]


def variable_kind(a: object, name: str) -> str:
    """The kind the dtype rule (module docstring) gives the variable ``a``:
    :data:`CATEGORICAL` for bool, string, pandas categorical and text-holding object data,
    :data:`CONTINUOUS` for everything else (numbers, and input the readers will refuse).

    Raises:
        ValueError: for a DataFrame whose columns mix the two kinds (naming the columns).
    """
    import pandas as pd

    if isinstance(a, pd.DataFrame):
        kinds = {str(c): variable_kind(a[c], f"{name} column {c!r}") for c in a.columns}
        found = set(kinds.values())
        if len(found) > 1:
            cat = [c for c, k in kinds.items() if k == CATEGORICAL]
            cont = [c for c, k in kinds.items() if k == CONTINUOUS]
            raise ValueError(
                f"{name} mixes categorical columns {cat} and continuous columns {cont}; a "
                "variable is all categorical or all continuous: give the two sets to separate "
                "analyses, or declare every column categorical"
            )
        return found.pop() if found else CONTINUOUS
    if isinstance(a, (pd.Series, pd.Index)):
        dtype = a.dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
            return CATEGORICAL
        if pd.api.types.is_numeric_dtype(dtype):
            return CONTINUOUS
        return values_kind(np.asarray(a.to_numpy(), dtype=object))
    if isinstance(a, pd.Categorical):
        return CATEGORICAL
    if type(a).__module__.startswith("torch") and hasattr(a, "dtype"):
        import torch

        return CATEGORICAL if a.dtype == torch.bool else CONTINUOUS
    if isinstance(a, (str, bytes, dict)):
        return CONTINUOUS
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError):
        return CONTINUOUS
    return values_kind(raw)


def check_kinds(kinds: Sequence[str]) -> tuple[str, str]:
    """``kinds`` as a pair of known kinds (:data:`KINDS`).

    Raises:
        ValueError: for anything but two of ``"continuous"`` and ``"categorical"``.
    """
    if isinstance(kinds, str) or len(kinds) != 2 or any(k not in KINDS for k in kinds):
        raise ValueError(
            f"kinds must be a pair of {KINDS[0]!r} and {KINDS[1]!r} (for x and y), got {kinds!r}"
        )
    return (kinds[0], kinds[1])


def read_variable(a: object, name: str, kind: str) -> np.ndarray:
    """``a`` read by its kind: :func:`as_2d` for continuous, :func:`as_categorical` for
    categorical."""
    if kind == CATEGORICAL:
        return as_categorical(a, name)
    if kind == CONTINUOUS:
        return as_2d(a, name)
    raise ValueError(f"the kind of {name} must be one of {KINDS}, got {kind!r}")


def check_xy(
    x: object,
    y: object,
    min_samples: int = 2,
    kinds: Sequence[str] = (CONTINUOUS, CONTINUOUS),
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of sample arrays and return them as float64 ``(n, d)`` arrays.

    Args:
        x: samples of X, shape ``(n, dim_x)`` or ``(n,)``.
        y: samples of Y, shape ``(n, dim_y)`` or ``(n,)``.
        min_samples: the fewest rows the calling estimator can work with.
        kinds: the kinds of X and Y (:data:`CONTINUOUS` or :data:`CATEGORICAL`): a
            continuous variable is read by :func:`as_2d`, a categorical one by
            :func:`as_categorical` (codes, shape ``(n, 1)``).

    Raises:
        ValueError: naming ``x`` or ``y`` when either is empty, not 1-D/2-D, or holds values
            refused by the module rule for its kind; when their numbers of rows differ; when
            both are continuous and a column of x equals a (non-constant) column of y (the MI
            is then infinite); when ``n < min_samples``; or for unknown ``kinds``.
    """
    kx, ky = check_kinds(kinds)
    xa = read_variable(x, "x", kx)
    ya = read_variable(y, "y", ky)
    if xa.shape[0] != ya.shape[0]:
        raise ValueError(
            f"x and y must have the same number of samples (rows), got x with {xa.shape[0]} "
            f"and y with {ya.shape[0]}"
        )
    shared = _shared_column(xa, ya) if kx == ky == CONTINUOUS else None
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


# --------------------------------------------------------------------------------------------
# Hyperparameter checks
# --------------------------------------------------------------------------------------------
#
# One rule for a scalar setting of an estimator, a task or a protocol: an int, a real number,
# one of a fixed set of values, or a bool. Bools are not numbers here (``k=True`` is refused);
# numpy scalars are accepted and returned as Python ints, floats and bools. Every refusal is
# a ``ValueError`` worded ``"<name> must be <what is accepted>, got <value!r>"``.


def is_int(value: object) -> TypeGuard[int | np.integer[Any]]:
    """True for an integer that is not a bool: a Python int or a numpy integer scalar."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_real(value: object) -> TypeGuard[float | np.integer[Any] | np.floating[Any]]:
    """True for a real number that is not a bool (Python or numpy scalar; NaN and ±inf
    included: :func:`check_real` refuses those)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def require(ok: bool | np.bool_, name: str, value: Any, accepted: str) -> None:
    """Refuse ``value`` unless ``ok``: the check of a rule the functions below do not cover.

    Raises:
        ValueError: ``"<name> must be <accepted>, got <value!r>"`` when ``ok`` is false.
    """
    if not ok:
        raise ValueError(f"{name} must be {accepted}, got {value!r}")


def _bound(b: float) -> str:
    """A bound as written in a message: ``0`` for 0.0, ``0.25``, ``inf``."""
    return str(int(b)) if float(b).is_integer() else repr(float(b))


def _range(minimum: float | None, maximum: float | None, low_open: bool, high_open: bool) -> str:
    """``">= 1"``, ``"< 2"``, ``"in (0, 1]"``, or ``""`` for no bounds."""
    if minimum is not None and maximum is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f" in {left}{_bound(minimum)}, {_bound(maximum)}{right}"
    if minimum is not None:
        return f" {'>' if low_open else '>='} {_bound(minimum)}"
    if maximum is not None:
        return f" {'<' if high_open else '<='} {_bound(maximum)}"
    return ""


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python int in ``[minimum, maximum]`` (either bound may be None).

    Raises:
        ValueError: ``"<name> must be an int >= 1, got 0"`` (or ``"an int in [1, 5]"``, ...)
            for a bool, a non-integer (2.0 included) or a value out of range.
    """
    ok = (
        is_int(value)
        and (minimum is None or value >= minimum)
        and (maximum is None or value <= maximum)
    )
    require(ok, name, value, "an int" + _range(minimum, maximum, False, False))
    return int(value)


def check_real(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """``value`` as a Python float between ``minimum`` and ``maximum`` (either may be None).

    Args:
        low_open: exclude ``minimum`` itself (``> minimum`` instead of ``>= minimum``).
        high_open: exclude ``maximum`` itself.
        finite: refuse ±inf (NaN is always refused); with False, ``inf`` passes a
            ``minimum``-only range (e.g. a temperature where ``inf`` means "no softening").

    Raises:
        ValueError: ``"<name> must be a finite number > 0, got -1"`` (``"a number in (0, 1]"``
            when both bounds are given, ``"a number > 0 (inf allowed)"`` when not ``finite``)
            for a bool, a non-number, NaN, an infinity refused, or a value out of range.
    """
    if minimum is not None and maximum is not None:
        accepted = "a number"
    elif finite:
        accepted = "a finite number"
    else:
        accepted = "a number"
    accepted += _range(minimum, maximum, low_open, high_open)
    if not finite and maximum is None and minimum is not None:
        accepted += " (inf allowed)"
    ok = is_real(value) and not math.isnan(value) and (not finite or math.isfinite(value))
    ok = ok and (minimum is None or (value > minimum if low_open else value >= minimum))
    ok = ok and (maximum is None or (value < maximum if high_open else value <= maximum))
    require(ok, name, value, accepted)
    return float(value)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value``, which must be one of ``choices`` (compared with ``==``).

    Raises:
        ValueError: ``"<name> must be one of ['a', 'b'], got 'c'"``.
    """
    require(value in choices, name, value, f"one of {list(choices)}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """``value`` as a Python bool (a bool or a numpy bool; 0 and 1 are not bools).

    Raises:
        ValueError: ``"<name> must be a bool, got 1"``.
    """
    require(isinstance(value, (bool, np.bool_)), name, value, "a bool")
    return bool(value)
