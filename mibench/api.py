"""MI of your own data: an estimate in nats or bits, an error bar, an independence test.

The Python counterpart of ``mibench estimate``; both call :func:`estimate_mi`.

Each variable is continuous or categorical (the rule of :mod:`mibench.validation`: declared
with ``categorical=``, or a bool, string or pandas categorical dtype). With no estimator named,
the kinds choose it (:data:`DEFAULT_ESTIMATORS`): ``ksg`` for two continuous variables,
``plugin`` for two categorical ones, ``ross`` for one of each; a named estimator whose
:meth:`~mibench.estimator.Estimator.variable_kinds` do not match the data is refused with a
message that names a suitable one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mibench.estimator import Estimator, clone
from mibench.independence import permutation_test
from mibench.registry import get_estimator, parse_spec
from mibench.validation import (
    CATEGORICAL,
    CONTINUOUS,
    as_2d,
    as_categorical,
    check_xy,
    variable_kind,
)

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

#: The estimator :func:`estimate_mi` uses when none is named, by the kinds of (X, Y).
DEFAULT_ESTIMATORS: dict[tuple[str, str], str] = {
    (CONTINUOUS, CONTINUOUS): "ksg",
    (CATEGORICAL, CATEGORICAL): "plugin",
    (CATEGORICAL, CONTINUOUS): "ross[discrete=x]",
    (CONTINUOUS, CATEGORICAL): "ross[discrete=y]",
}
#: Share of repeated (x, y) rows of continuous data above which :func:`estimate_mi` picks
#: ``mixed-ksg`` rather than ``ksg`` (KSG's own limit on duplicated rows).
TIED_SHARE = 0.01
#: How the messages describe what each default estimator takes.
_TAKES = {
    "ksg": "continuous X and Y",
    "plugin": "both variables categorical",
    "ross": "one categorical and one continuous variable",
}


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


def _declared_columns(data: pd.DataFrame, categorical: Any) -> list[Any]:
    """The column labels of ``data`` that ``categorical`` declares categorical."""
    if categorical is None:
        return []
    names = _column_names(categorical, "categorical")
    return [_find_column(data, c, "categorical") for c in names]


@dataclass
class TableVariable:
    """One variable (X or Y) read from the columns of a table.

    Attributes:
        values: float64 samples ``(n, len(columns))`` for a continuous variable, category
            codes ``(n, 1)`` for a categorical one (:func:`mibench.validation.as_categorical`).
        kind: ``"continuous"`` or ``"categorical"``.
        columns: the column labels, in order.
        why: for each column, why it has its kind (``"dtype object"``, ``"declared"``).
    """

    values: np.ndarray
    kind: str
    columns: list[Any]
    why: dict[str, str]


def select_variable(
    data: pd.DataFrame, columns: Any, argument: str, categorical: Any = None
) -> TableVariable:
    """The named columns of ``data`` as one variable, read by its kind.

    A column is categorical when ``categorical`` names it or when its dtype is bool, string,
    pandas categorical or object holding text (the rule of :mod:`mibench.validation`); all the
    columns of one variable must have the same kind. Datetime columns are refused.

    Args:
        data: the table.
        columns: a column name (a string, or an integer label), a comma-separated string of
            names, or a list of names.
        argument: the name of the argument being resolved (``x`` or ``y``), for messages.
        categorical: None, or the column(s) declared categorical (as ``columns``); names that
            are not among ``columns`` are ignored here.

    Raises:
        ValueError: naming the column when it is unknown, holds a stray non-numeric value in a
            numeric column (with its row), has missing values, or holds dates; when the
            columns mix categorical and continuous ones (naming both); or when the table has
            no rows.
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
    declared = set(map(str, _declared_columns(data, categorical)))
    kinds: dict[str, str] = {}
    why: dict[str, str] = {}
    for col in names:
        series = data[col]
        if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(
            series
        ):
            raise ValueError(
                f"{argument}: column {col!r} holds dates or durations (dtype {series.dtype}); "
                "convert them to numbers first"
            )
        kind = CATEGORICAL if str(col) in declared else variable_kind(series, argument)
        kinds[str(col)] = kind
        why[str(col)] = "declared" if str(col) in declared else f"dtype {series.dtype}"
        if kind == CONTINUOUS and not pd.api.types.is_numeric_dtype(series):
            numeric = pd.to_numeric(series, errors="coerce")
            stray = numeric.isna() & series.notna()
            if stray.any():
                row = int(np.flatnonzero(stray.to_numpy())[0])
                raise ValueError(
                    f"{argument}: column {col!r} is not numeric: value {series.iloc[row]!r} at "
                    f"row {row} (dtype {series.dtype}); if the column is categorical, declare "
                    "it so (categorical=[...], or --categorical on the command line)"
                )
        missing = int(series.isna().sum())
        if missing:
            row = int(np.flatnonzero(series.isna().to_numpy())[0])
            raise ValueError(
                f"{argument}: column {col!r} has {missing} missing values (first at row {row})"
            )
    found = set(kinds.values())
    label = f"{argument} (columns {[str(c) for c in names]})"
    if found == {CONTINUOUS}:
        # Object columns (numbers mixed with other values, huge integers) go through the one
        # rule of mibench.validation, value by value.
        values = as_2d(data[names].to_numpy(), label)
        return TableVariable(values, CONTINUOUS, names, why)
    if found == {CATEGORICAL}:
        return TableVariable(as_categorical(data[names], label), CATEGORICAL, names, why)
    cat = [c for c, k in kinds.items() if k == CATEGORICAL]
    cont = [c for c, k in kinds.items() if k == CONTINUOUS]
    raise ValueError(
        f"{argument} mixes categorical column(s) {cat} and continuous column(s) {cont}: the "
        "columns of one variable must all be categorical or all continuous; declare the "
        "numeric ones categorical too (categorical=[...], --categorical), or estimate with "
        "them separately"
    )


def select_columns(
    data: pd.DataFrame, columns: Any, argument: str, categorical: Any = None
) -> np.ndarray:
    """The named columns of ``data`` as one array: float64 samples ``(n, len(columns))``, or
    category codes ``(n, 1)`` when they are categorical (:func:`select_variable`, whose rule
    and errors it follows)."""
    return select_variable(data, columns, argument, categorical).values


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
        kinds: the kinds of X and Y, ``["continuous" or "categorical", ...]``.
        categories: for each of X and Y, its number of categories when categorical, else
            None.
        chosen: True when no estimator was named and mibench chose it from ``kinds``
            (:data:`DEFAULT_ESTIMATORS`; ``mixed-ksg`` for continuous data with ties).
        bound: what the value is (``Estimator.bound``): ``"estimate"``, ``"lower bound"`` or
            ``"approximate upper bound"`` (CLUB: above the MI only where its q(y | x) matches
            p(y | x)).
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
    kinds: list[str] = field(default_factory=lambda: [CONTINUOUS, CONTINUOUS])
    bound: str = "estimate"
    categories: list[int | None] = field(default_factory=lambda: [None, None])
    chosen: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes None)."""
        out = asdict(self)
        out["mi"] = None if not math.isfinite(self.mi) else self.mi
        return out


def _array_kinds(x: Any, y: Any, categorical: Any) -> tuple[list[str], dict[str, str]]:
    """The kinds of array inputs ``x``, ``y`` (declared by ``categorical``, else the dtype
    rule) and, for each, why (for messages)."""
    if categorical is None:
        declared: set[str] = set()
    elif isinstance(categorical, str) and categorical in ("x", "y"):
        declared = {categorical}
    elif (
        isinstance(categorical, (list, tuple, set, frozenset))
        and categorical
        and all(isinstance(c, str) and c in ("x", "y") for c in categorical)
    ):
        declared = set(categorical)
    else:
        raise ValueError(
            "categorical must be None, 'x', 'y' or ('x', 'y') for arrays (with data=, the "
            f"names of categorical columns), got {categorical!r}"
        )
    kinds, why = [], {}
    for name, a in (("x", x), ("y", y)):
        if name in declared:
            kinds.append(CATEGORICAL)
            why[name] = f"{name} is categorical (declared)"
        else:
            kind = variable_kind(a, name)
            kinds.append(kind)
            dtype = getattr(a, "dtype", None)
            if dtype is None:
                try:
                    dtype = np.asarray(a).dtype
                except (TypeError, ValueError):
                    dtype = type(a).__name__
            why[name] = f"{name} is {kind} (dtype {dtype})"
    return kinds, why


def _table_why(var: TableVariable, argument: str) -> str:
    cols = var.columns
    reasons = ", ".join(f"{str(c)!r} ({var.why[str(c)]})" for c in cols)
    noun = "column" if len(cols) == 1 else "columns"
    verb = "is" if len(cols) == 1 else "are"
    return f"{argument}'s {noun} {reasons} {verb} {var.kind}"


def _default_spec(kinds: tuple[str, str], x: Any, y: Any) -> str:
    """The estimator chosen for data of ``kinds`` (:data:`DEFAULT_ESTIMATORS`), except that
    continuous data with more than :data:`TIED_SHARE` of repeated (x, y) rows (rounded or
    integer values, point masses), which KSG refuses, get ``mixed-ksg``."""
    spec = DEFAULT_ESTIMATORS[kinds]
    if kinds != (CONTINUOUS, CONTINUOUS):
        return spec
    try:
        xy = np.hstack([as_2d(x, "x"), as_2d(y, "y")])
    except ValueError:
        return spec  # the chosen estimator's validation names the fault
    _, counts = np.unique(xy, axis=0, return_counts=True)
    repeated = int(counts[counts > 1].sum())
    return "mixed-ksg" if repeated > TIED_SHARE * len(xy) else spec


def _kinds_text(kinds: Sequence[str]) -> str:
    if kinds[0] == kinds[1]:
        return f"{kinds[0]} X and Y"
    return f"{kinds[0]} X and {kinds[1]} Y"


def _suggestion(kinds: tuple[str, str]) -> str:
    spec = DEFAULT_ESTIMATORS[kinds]
    name, params = parse_spec(spec)
    setting = f", with discrete={params['discrete']!r}" if "discrete" in params else ""
    return f"use {name!r} ({_TAKES[name]}{setting}), which mibench picks for these data"


def _matching(
    est: Estimator, kinds: tuple[str, str], discrete_given: bool, why: dict[str, str]
) -> Estimator:
    """``est``, set to the data's kinds where its ``discrete`` hyperparameter was not given, or
    a ValueError naming the estimator, the variables at odds and a suitable estimator."""
    need = tuple(est.variable_kinds())
    if need == kinds:
        return est
    if not discrete_given and "discrete" in est.get_params() and kinds[0] != kinds[1]:
        side = "x" if kinds[0] == CATEGORICAL else "y"
        trial = est.clone().set_params(discrete=side)
        if tuple(trial.variable_kinds()) == kinds:
            return trial
    name = est.name or type(est).__name__
    odd = [why[side] for side, a, b in zip("xy", need, kinds, strict=True) if a != b]
    hint = ""
    if any(a == CATEGORICAL and b == CONTINUOUS for a, b in zip(need, kinds, strict=True)):
        hint = (
            "; or, if a numeric column holds categories, declare it categorical "
            "(categorical=[...], --categorical)"
        )
    raise ValueError(
        f"{name} takes {_kinds_text(need)}, but {' and '.join(odd)}: {_suggestion(kinds)}{hint}"
    )


def _width(a: Any) -> int:
    try:
        shape = np.shape(a)
    except (TypeError, ValueError):
        return 1
    return int(shape[1]) if len(shape) == 2 else 1


def estimate_mi(
    x: Any,
    y: Any,
    estimator: str | Estimator | None = None,
    *,
    data: pd.DataFrame | None = None,
    categorical: Any = None,
    bits: bool = False,
    permutations: int | None = 0,
    seed: int = 0,
    error_bar: str | None = None,
) -> DataEstimate:
    """Estimate I(X; Y) of your data, with an error bar and a permutation p-value if asked.

    Args:
        x: samples of X, array-like ``(n, dim_x)`` or ``(n,)``; or, with ``data``, the column
            name(s) of X (a list or a comma-separated string).
        y: samples of Y likewise.
        estimator: a registry spec such as ``"ksg"`` or ``"ksg[k=5]"``, or an estimator; None
            (default) chooses from the kinds of X and Y (:data:`DEFAULT_ESTIMATORS`): ``ksg``
            for continuous X and Y, ``plugin`` for categorical X and Y, ``ross`` with
            ``discrete`` on the categorical side for one of each. A named estimator must take
            the data's kinds (its ``variable_kinds()``); a spec with a ``discrete``
            hyperparameter it does not set (``"ross"``, ``"ross[k=5]"``) gets it from the data.
        data: a DataFrame (or a mapping of column name to values) holding the columns named
            by ``x`` and ``y``.
        categorical: declares variables categorical whatever their dtype (an integer column
            of class labels): with ``data``, the categorical column name(s) (a list or a
            comma-separated string); with arrays, ``"x"``, ``"y"`` or ``("x", "y")``. Bool,
            string, object-with-text and pandas categorical data are categorical without it.
        bits: report in bits instead of nats: the estimate, its error bar and every MI figure
            of its extras (``DataEstimate.mi_extras``).
        permutations: shuffles for the permutation test of independence, which fills
            ``p_value``; 0 (default) or None runs no test (``p_value`` None). Each shuffle
            costs one more estimate (for a trained estimator, one more fit): 100 shuffles
            take 100 times the estimate's time.
        seed: seed of the shuffles (and of the estimator when its ``seed`` is unset).
        error_bar: None, ``"auto"`` (the estimator's preferred method) or a method of
            :mod:`mibench.errorbars` (``"subsampling"``, ``"bootstrap"``, ``"held-out"``)
            that the estimator supports: fills ``stderr`` and the 95 % interval.

    Returns:
        A :class:`DataEstimate`.

    Raises:
        ValueError: for unknown, incomplete or stray-valued columns (naming the column), a
            variable mixing categorical and continuous columns, bad arrays (see
            :func:`mibench.validation.check_xy`), an unknown estimator or one that does not
            take the data's kinds (naming it, the categorical or continuous variables and a
            suitable estimator), or a bad ``categorical``, ``bits``, ``permutations``,
            ``seed`` or ``error_bar`` (naming it).
    """
    if isinstance(data, Mapping):
        try:
            data = pd.DataFrame(data)
        except ValueError as exc:
            raise ValueError(f"data: a mapping must map column names to columns ({exc})") from None
    if data is not None:
        if isinstance(data, pd.DataFrame):
            declared = _declared_columns(data, categorical)
            wanted = set(map(str, _column_names(x, "x"))) | set(map(str, _column_names(y, "y")))
            unused = [str(c) for c in declared if str(c) not in wanted]
            if unused:
                raise ValueError(
                    f"categorical: column(s) {unused} are in neither x nor y; name only "
                    "columns of x or y"
                )
        shared = set(map(str, _column_names(x, "x"))) & set(map(str, _column_names(y, "y")))
        xv = select_variable(data, x, "x", categorical)
        yv = select_variable(data, y, "y", categorical)
        if shared and not xv.kind == yv.kind == CATEGORICAL:
            raise ValueError(
                f"x and y share the column(s) {sorted(shared)}: I(X; Y) is then infinite for "
                "continuous data; give each column to one side only"
            )
        x, y = xv.values, yv.values
        kinds = (xv.kind, yv.kind)
        why = {"x": _table_why(xv, "x"), "y": _table_why(yv, "y")}
        dims = (len(xv.columns), len(yv.columns))
    else:
        found, why = _array_kinds(x, y, categorical)
        kinds = (found[0], found[1])
        dims = (_width(x), _width(y))
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
    if estimator is not None and not isinstance(estimator, (str, Estimator)):
        raise ValueError(
            f"estimator must be None, a registry spec such as 'ksg' or an Estimator, got "
            f"{type(estimator).__name__}"
        )
    chosen = estimator is None
    if estimator is None:
        est = get_estimator(_default_spec(kinds, x, y))
        discrete_given = True
    elif isinstance(estimator, str):
        est = get_estimator(estimator)
        discrete_given = "discrete" in parse_spec(estimator)[1]
    else:
        # A copy: the caller's estimator keeps its own hyperparameters (its seed included).
        est = clone(estimator)
        discrete_given = True
    est = _matching(est, kinds, discrete_given, why)
    if est.get_params().get("seed", 0) is None:
        est.set_params(seed=seed)
    xa, ya = check_xy(x, y, min_samples=est.min_samples, kinds=kinds)
    result = est.estimate(xa, ya, error_bar=error_bar)
    p_value = None
    if permutations and result.ok:
        # Categorical variables are shuffled as their codes, which the estimator reads back
        # as the same categories.
        p_value = permutation_test(est, xa, ya, permutations, seed, result.value).p_value
    scale = NATS_PER_BIT if bits else 1.0
    unit = "bits" if bits else "nats"
    extras, mi_extras = extras_in_unit(est, result.extras, bool(bits))
    categories = [
        int(a.max()) + 1 if kind == CATEGORICAL else None
        for a, kind in ((xa, kinds[0]), (ya, kinds[1]))
    ]
    return DataEstimate(
        estimator=est.name or type(est).__name__,
        params=est.get_params(),
        n=xa.shape[0],
        dim_x=dims[0] if kinds[0] == CATEGORICAL else xa.shape[1],
        dim_y=dims[1] if kinds[1] == CATEGORICAL else ya.shape[1],
        unit=unit,
        mi=result.value / scale,
        stderr=None if result.stderr is None else result.stderr / scale,
        ci_low=None if result.ci_low is None else result.ci_low / scale,
        ci_high=None if result.ci_high is None else result.ci_high / scale,
        error_bar=result.error_bar,
        p_value=p_value,
        permutations=permutations if permutations and p_value is not None else 0,
        status=str(result.status),
        message=result.message,
        extras=extras,
        mi_extras=mi_extras,
        extras_unit=unit if mi_extras_keys(est) is not None else "nats",
        kinds=list(kinds),
        categories=categories,
        chosen=chosen,
        bound=type(est).bound,
    )
