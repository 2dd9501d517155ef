"""MI of your own data: an estimate in nats or bits, an error bar, an independence test.

The Python counterpart of ``mibench estimate``; both call :func:`estimate_mi`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mibench.estimator import Estimator, clone
from mibench.independence import permutation_test
from mibench.registry import get_estimator
from mibench.validation import as_2d, check_xy

NATS_PER_BIT = math.log(2.0)

#: The keys of ``Estimate.extras`` that hold MI (or entropy) figures in nats, per built-in
#: estimator class (``module.Class``; subclasses included). With ``bits``, :func:`estimate_mi`
#: converts them with the estimate. Values are numbers, ``{k: number}`` mappings or arrays.
#: The neural estimators' :attr:`~mibench.neural.estimators.NeuralEstimator.extra_values`
#: (``jsd``) are added for their class. Every other extra of a built-in estimator is a
#: setting, a count or a text, never an MI figure.
BUILTIN_MI_EXTRAS: dict[str, tuple[str, ...]] = {
    "mibench.baselines.ksg.KSG": ("per_k", "unclipped_value", "local"),
    "mibench.baselines.kl.KLMI": ("h_x", "h_y", "h_xy"),
    "mibench.baselines.lnc.LNC": ("ksg2_value", "correction"),
    "mibench.baselines.gaussian.GaussianMI": ("null_mean",),
    "mibench.baselines.binning.Histogram": (),
    "mibench.neural.estimators.NeuralEstimator": ("held_out_stderr", "true_mi"),
}
_NEURAL_BASE = "mibench.neural.estimators.NeuralEstimator"


def _known_classes(estimator: Estimator) -> list[str]:
    """The ``module.Class`` names of :data:`BUILTIN_MI_EXTRAS` that ``estimator`` is one of."""
    names = (f"{k.__module__}.{k.__qualname__}" for k in type(estimator).__mro__)
    return [name for name in names if name in BUILTIN_MI_EXTRAS]


def mi_extras_keys(estimator: Estimator) -> tuple[str, ...] | None:
    """The keys of the extras of ``estimator``'s estimates that hold MI figures (nats).

    Those of :data:`BUILTIN_MI_EXTRAS` for the built-in classes ``estimator`` is an instance
    of, with the names of its class's ``extra_values`` for a neural estimator, and those its
    class lists in an ``mi_extras`` attribute (a tuple of keys: how a plug-in estimator
    declares its own).

    Returns:
        The keys, or None for an estimator of none of those classes and without
        ``mi_extras`` (a plug-in whose extras mibench cannot read).
    """
    cls = type(estimator)
    known = _known_classes(estimator)
    declared = getattr(cls, "mi_extras", None)
    if not known and declared is None:
        return None
    keys = [key for name in known for key in BUILTIN_MI_EXTRAS[name]]
    if _NEURAL_BASE in known:
        keys += list(getattr(cls, "extra_values", {}))
    keys += list(declared or ())
    return tuple(dict.fromkeys(keys))


def _scaled(value: Any, scale: float) -> Any:
    """``value`` (a number, an array, or a mapping or list of them) divided by ``scale``;
    anything else (text, None, a bool) unchanged."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return value
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value) / scale
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.number):
        return value / scale
    if isinstance(value, Mapping):
        return {k: _scaled(v, scale) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scaled(v, scale) for v in value)
    return value


def extras_in_unit(
    estimator: Estimator, extras: Mapping[str, Any], bits: bool
) -> tuple[dict[str, Any], list[str]]:
    """A copy of an estimate's ``extras`` with its MI figures in the asked-for unit.

    Args:
        estimator: the estimator that made the estimate (its class says which extras are MI
            figures: :func:`mi_extras_keys`).
        extras: the estimate's extras, MI figures in nats.
        bits: convert them to bits (divide by ln 2); False leaves them in nats.

    Returns:
        ``(extras, keys)``: the copy and the sorted keys of the MI figures it holds. With
        ``bits``, the ``"units"`` entry of a known estimator's extras (the baselines' record
        of their unit) says ``"bits"``; the extras of an estimator :func:`mi_extras_keys`
        cannot read are returned as they are (``keys`` empty).
    """
    out = dict(extras)
    known = mi_extras_keys(estimator)
    keys = sorted(k for k in known or () if k in out)
    if bits and known is not None:
        for key in keys:
            out[key] = _scaled(out[key], NATS_PER_BIT)
        if out.get("units") == "nats":
            out["units"] = "bits"
    return out, keys


def _column_names(columns: Any, argument: str) -> list[Any]:
    if isinstance(columns, str):
        names: list[Any] = [c.strip() for c in columns.split(",")]
    elif isinstance(columns, (list, tuple)):
        names = list(columns)
    elif isinstance(columns, (int, np.integer)) and not isinstance(columns, bool):
        names = [columns]
    else:
        raise ValueError(
            f"{argument} must name the column(s) of data: a name, a comma-separated string or a "
            f"list of names, got {type(columns).__name__}"
        )
    if not names or any(isinstance(c, str) and not c for c in names):
        raise ValueError(f"{argument} must name at least one column, got {columns!r}")
    return names


def _find_column(data: pd.DataFrame, col: Any, argument: str) -> Any:
    """The label of ``data`` that ``col`` names (its exact label, or a label whose text is it:
    ``"0"`` names an integer column label 0, as on the command line)."""
    if col in data.columns:
        return col
    by_text = [c for c in data.columns if str(c) == str(col)]
    if len(by_text) == 1:
        return by_text[0]
    known = [str(c) for c in data.columns]
    hint = ""
    if len(known) == 1 and any(sep in known[0] for sep in (";", "\t", "|")):
        hint = (
            f"; the file has one column {known[0]!r}: is it separated by ';', tabs or '|' "
            "instead of commas? Save it with commas (mibench reads comma-separated CSV)"
        )
    raise ValueError(f"{argument}: unknown column {col!r}; the columns are {known}{hint}")


def select_columns(data: pd.DataFrame, columns: Any, argument: str) -> np.ndarray:
    """The named columns of ``data`` as a float64 array of shape ``(n, len(columns))``.

    Columns follow the rule of :mod:`mibench.validation`: string, object, categorical and bool
    columns are categorical and refused (mibench has no categorical estimator yet); datetime
    columns are refused.

    Args:
        data: the table.
        columns: a column name (a string, or an integer label), a comma-separated string of
            names, or a list of names.
        argument: the name of the argument being resolved (``x`` or ``y``), for messages.

    Raises:
        ValueError: naming the column when it is unknown, not numeric (with the first
            non-numeric value and its row), or has missing values, or when the table has no
            rows.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    names = [_find_column(data, c, argument) for c in _column_names(columns, argument)]
    repeated = sorted(
        {str(c) for c in data.columns[data.columns.duplicated()]} & set(map(str, names))
    )
    if repeated:
        raise ValueError(
            f"{argument}: the table has several columns named {repeated}; rename them so that "
            "each name picks one column"
        )
    if data.empty:
        raise ValueError(f"{argument}: the table has no data rows (columns {list(data.columns)})")
    for col in names:
        series = data[col]
        if pd.api.types.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
            raise ValueError(
                f"{argument}: column {col!r} is categorical (dtype {series.dtype}); mibench's "
                "estimators do not support categorical columns yet"
            )
        if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(
            series
        ):
            raise ValueError(
                f"{argument}: column {col!r} holds dates or durations (dtype {series.dtype}); "
                "convert them to numbers first"
            )
        if not pd.api.types.is_numeric_dtype(series):
            numeric = pd.to_numeric(series, errors="coerce")
            stray = numeric.isna() & series.notna()
            if stray.any():
                row = int(np.flatnonzero(stray.to_numpy())[0])
                raise ValueError(
                    f"{argument}: column {col!r} is not numeric: value {series.iloc[row]!r} at "
                    f"row {row} (dtype {series.dtype})"
                )
        missing = int(series.isna().sum())
        if missing:
            row = int(np.flatnonzero(series.isna().to_numpy())[0])
            raise ValueError(
                f"{argument}: column {col!r} has {missing} missing values (first at row {row})"
            )
    # Object columns (numbers mixed with other values, huge integers) go through the one
    # rule of mibench.validation, value by value.
    return as_2d(data[names].to_numpy(), f"{argument} (columns {[str(c) for c in names]})")


@dataclass
class DataEstimate:
    """MI estimate on user data.

    Attributes:
        estimator: the estimator's registry name.
        params: its hyperparameters.
        n: number of samples; ``dim_x``, ``dim_y``: their dimensions.
        unit: ``"nats"`` or ``"bits"``: the unit of ``mi``, ``stderr``, ``ci_low``,
            ``ci_high`` and of the extras named in ``mi_extras``.
        mi: the estimate (NaN when it failed).
        stderr: its standard error when an error bar was asked for and could be computed,
            else None.
        ci_low, ci_high: the 95 % interval that goes with ``stderr`` (same unit), else None.
        error_bar: the error-bar method (:mod:`mibench.errorbars`), else None.
        p_value: permutation-test p-value for independence, or None when not run.
        permutations: number of permutations behind ``p_value`` (0 when not run).
        status, message: as in :class:`~mibench.estimate.Estimate`.
        extras: the estimate's extras (:class:`~mibench.estimate.Estimate`), with the MI
            figures among them in ``unit``.
        mi_extras: the keys of ``extras`` that hold MI (or entropy) figures, in
            ``extras_unit`` (:func:`mi_extras_keys`): every such figure of a built-in
            estimator (KSG's ``per_k``, ``unclipped_value`` and ``local``, the KL entropies
            ``h_x``, ``h_y``, ``h_xy``, LNC's ``ksg2_value`` and ``correction``, the Gaussian
            ``null_mean``, the neural ``jsd``); no other extra of a built-in estimator is an
            MI figure.
        extras_unit: the unit of the MI figures in ``extras``: ``unit``, except for a plug-in
            estimator that does not list its MI figures in an ``mi_extras`` class attribute,
            whose extras are kept as it returned them: ``"nats"`` (mibench's convention).
    """

    estimator: str
    params: dict[str, Any]
    n: int
    dim_x: int
    dim_y: int
    unit: str
    mi: float
    stderr: float | None
    ci_low: float | None
    ci_high: float | None
    error_bar: str | None
    p_value: float | None
    permutations: int
    status: str
    message: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    mi_extras: list[str] = field(default_factory=list)
    extras_unit: str = "nats"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes None)."""
        out = asdict(self)
        out["mi"] = None if not math.isfinite(self.mi) else self.mi
        return out


def estimate_mi(
    x: Any,
    y: Any,
    estimator: str | Estimator = "ksg",
    *,
    data: pd.DataFrame | None = None,
    bits: bool = False,
    permutations: int | None = None,
    seed: int = 0,
    error_bar: str | None = None,
) -> DataEstimate:
    """Estimate I(X; Y) of your data, with an error bar and a permutation p-value.

    Args:
        x: samples of X, array-like ``(n, dim_x)`` or ``(n,)``; or, with ``data``, the column
            name(s) of X (a list or a comma-separated string).
        y: samples of Y likewise.
        estimator: a registry spec such as ``"ksg"`` or ``"ksg[k=5]"``, or an estimator.
        data: a DataFrame (or a mapping of column name to values) holding the columns named
            by ``x`` and ``y``.
        bits: report in bits instead of nats: the estimate, its error bar and every MI figure
            of its extras (``DataEstimate.mi_extras``).
        permutations: shuffles for the independence test; default 100 for deterministic
            estimators and 0 (no test) for trained ones, whose every shuffle is a new fit.
        seed: seed of the shuffles (and of the estimator when its ``seed`` is unset).
        error_bar: None, ``"auto"`` (the estimator's preferred method) or a method of
            :mod:`mibench.errorbars` (``"subsampling"``, ``"bootstrap"``, ``"held-out"``)
            that the estimator supports: fills ``stderr`` and the 95 % interval.

    Returns:
        A :class:`DataEstimate`.

    Raises:
        ValueError: for unknown, non-numeric or incomplete columns (naming the column), bad
            arrays (see :func:`mibench.validation.check_xy`), an unknown estimator, or a bad
            ``bits``, ``permutations``, ``seed`` or ``error_bar`` (naming it).
    """
    if isinstance(data, Mapping):
        try:
            data = pd.DataFrame(data)
        except ValueError as exc:
            raise ValueError(f"data: a mapping must map column names to columns ({exc})") from None
    if data is not None:
        shared = set(map(str, _column_names(x, "x"))) & set(map(str, _column_names(y, "y")))
        if shared:
            raise ValueError(
                f"x and y share the column(s) {sorted(shared)}: I(X; Y) is then infinite for "
                "continuous data; give each column to one side only"
            )
        x = select_columns(data, x, "x")
        y = select_columns(data, y, "y")
    if not isinstance(bits, (bool, np.bool_)):
        raise ValueError(f"bits must be a bool, got {bits!r}")
    if permutations is not None and (
        isinstance(permutations, bool)
        or not isinstance(permutations, (int, np.integer))
        or permutations < 0
    ):
        raise ValueError(f"permutations must be None or an int >= 0, got {permutations!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    if not isinstance(estimator, (str, Estimator)):
        raise ValueError(
            f"estimator must be a registry spec such as 'ksg' or an Estimator, got "
            f"{type(estimator).__name__}"
        )
    # A copy: the caller's estimator keeps its own hyperparameters (its seed included).
    est = get_estimator(estimator) if isinstance(estimator, str) else clone(estimator)
    if est.get_params().get("seed", 0) is None:
        est.set_params(seed=seed)
    xa, ya = check_xy(x, y, min_samples=est.min_samples)
    result = est.estimate(xa, ya, error_bar=error_bar)
    if permutations is None:
        permutations = 100 if est.deterministic else 0
    p_value = None
    if permutations and result.ok:
        p_value = permutation_test(est, xa, ya, permutations, seed, result.value).p_value
    scale = NATS_PER_BIT if bits else 1.0
    unit = "bits" if bits else "nats"
    extras, mi_extras = extras_in_unit(est, result.extras, bool(bits))
    return DataEstimate(
        estimator=est.name or type(est).__name__,
        params=est.get_params(),
        n=xa.shape[0],
        dim_x=xa.shape[1],
        dim_y=ya.shape[1],
        unit=unit,
        mi=result.value / scale,
        stderr=None if result.stderr is None else result.stderr / scale,
        ci_low=None if result.ci_low is None else result.ci_low / scale,
        ci_high=None if result.ci_high is None else result.ci_high / scale,
        error_bar=result.error_bar,
        p_value=p_value,
        permutations=permutations if p_value is not None else 0,
        status=str(result.status),
        message=result.message,
        extras=extras,
        mi_extras=mi_extras,
        extras_unit=unit if mi_extras_keys(est) is not None else "nats",
    )
