"""Accuracy metrics of an estimator over the replicate seeds of a (task, estimator, n) group.

Definitions (as in Czyż et al. 2023, "Beyond normal"): over the rows with status ``ok`` — mean
estimate, bias = mean − true MI, sd (ddof = 1), RMSE = sqrt(mean((estimate − true)²)), mean
absolute error; failure rate = share of rows not ok; log ratio = ln(max(mean, 1e-3) / true) for
tasks with true MI > 0, and the absolute error |mean| for tasks with true MI 0. Rows that are
not ok never enter these means; the *flagged* rows among them (not ok, yet with a stored value,
such as a neural fit below −1 nat) are counted in ``n_flagged`` and enter ``mean_with_flagged``,
the mean over ok and flagged rows, so that leaving them out never flatters an estimator unseen.
A cell rerun by ``mibench run --retry-failed`` (possibly ``--reseed``, with a new seed; see
:mod:`mibench.harness.runner`) is one row, its latest attempt, which the metrics above use;
its earlier attempts are kept in its extras (``previous_attempts``), and
``first_attempt_failure_rate`` = share of rows whose *first* attempt was not ok (a row not ok
now, or one with earlier attempts, all of which failed), so a failure cured by a retry still
counts; ``n_retried`` and ``n_reseeded`` count the rows retried and those retried with a new
seed. All values in nats. Across sample sizes, :func:`samples_to_factor` gives the smallest n from
which the mean estimate stays within a factor of the truth (Czyż et al. 2023, "Beyond
normal", the samples-to-factor-1.5 table).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

GROUP_COLUMNS = ["task_id", "label", "n"]

#: Floor on the mean estimate inside the log ratio, so a non-positive mean stays finite.
LOG_RATIO_FLOOR = 1e-3

#: Columns :func:`summarize` needs in a results table.
REQUIRED_COLUMNS = frozenset(
    {
        *GROUP_COLUMNS,
        "estimator",
        "status",
        "mi_true",
        "mi_estimate",
        "wall_seconds",
        "samples_per_second",
        "steps_per_second",
    }
)

#: Columns of the table :func:`summarize` returns, in order.
SUMMARY_COLUMNS = [
    *GROUP_COLUMNS,
    "estimator",
    "mi_true",
    "n_rows",
    "n_ok",
    "mean",
    "bias",
    "sd",
    "rmse",
    "mae",
    "failure_rate",
    "first_attempt_failure_rate",
    "log_ratio",
    "mean_wall_seconds",
    "samples_per_second",
    "steps_per_second",
    "n_flagged",
    "mean_with_flagged",
    "n_retried",
    "n_reseeded",
]


def _attempt_history(extras_json: object) -> tuple[bool, bool]:
    """``(retried, reseeded)`` of a row from its extras JSON: whether it records earlier
    attempts (``previous_attempts``) and whether it was run with a new seed
    (``reseeded_from``)."""
    if not isinstance(extras_json, str) or "previous_attempts" not in extras_json:
        return False, False  # the common case, without parsing
    try:
        extras = json.loads(extras_json)
    except ValueError:
        return False, False
    if not isinstance(extras, dict):
        return False, False
    return bool(extras.get("previous_attempts")), "reseeded_from" in extras


def log_ratio(mean: float, true: float) -> float:
    """ln(max(mean, 1e-3) / true) for true > 0; |mean − true| when true MI is 0 (nats)."""
    if true > 0:
        return float(np.log(max(mean, LOG_RATIO_FLOOR) / true))
    return float(abs(mean - true))


def require_columns(df: pd.DataFrame, columns: frozenset[str] | set[str], what: str) -> None:
    """Raise ``ValueError`` naming ``what`` and the columns of ``columns`` missing from ``df``."""
    missing = set(columns) - set(df.columns)
    if missing:
        raise ValueError(f"{what} lacks required columns {sorted(missing)}")


def _group_metrics(g: pd.DataFrame) -> dict[str, object]:
    ok = g[g["status"] == "ok"]
    true = float(g["mi_true"].iloc[0])
    est = ok["mi_estimate"].to_numpy(dtype=float)
    n_ok = len(est)
    mean = float(est.mean()) if n_ok else np.nan
    values = pd.to_numeric(g["mi_estimate"], errors="coerce")
    flagged = values[(g["status"] != "ok") & values.notna()]
    both = pd.concat([pd.Series(est), flagged])
    err = est - true
    history = [_attempt_history(e) for e in g.get("extras_json", pd.Series(None, index=g.index))]
    retried = np.array([r for r, _ in history], dtype=bool)
    first_failed = (g["status"] != "ok").to_numpy() | retried
    return {
        "estimator": g["estimator"].iloc[0],
        "mi_true": true,
        "n_rows": len(g),
        "n_ok": n_ok,
        "mean": mean,
        "bias": mean - true if n_ok else np.nan,
        "sd": float(est.std(ddof=1)) if n_ok > 1 else np.nan,
        "rmse": float(np.sqrt(np.mean(err**2))) if n_ok else np.nan,
        "mae": float(np.mean(np.abs(err))) if n_ok else np.nan,
        "failure_rate": 1.0 - n_ok / len(g),
        "first_attempt_failure_rate": float(first_failed.mean()),
        "log_ratio": log_ratio(mean, true) if n_ok else np.nan,
        "mean_wall_seconds": float(g["wall_seconds"].mean()),
        "samples_per_second": float(pd.to_numeric(ok["samples_per_second"]).median()),
        "steps_per_second": float(pd.to_numeric(ok["steps_per_second"]).median()),
        "n_flagged": len(flagged),
        "mean_with_flagged": float(both.mean()) if len(both) else np.nan,
        "n_retried": int(retried.sum()),
        "n_reseeded": sum(s for _, s in history),
    }


def _with_settings(label: str, settings: list[str]) -> str:
    if not settings:
        return label
    if label.endswith("]"):
        return f"{label[:-1]},{','.join(settings)}]"
    return f"{label}[{','.join(settings)}]"


#: The name a label gives the grid's per-column standardisation of the data (the cells'
#: ``standardize``), distinct from an estimator's own ``standardize`` hyperparameter.
GRID_STANDARDIZE = "standardized_data"
#: The name a label gives the grid's error-bar method (the rows' ``error_bar``).
GRID_ERROR_BAR = "error_bar"


#: What makes two rows the same cell for a report: one (task, configuration, n, seed).
CELL_KEY = (
    "task_id",
    "label",
    "estimator",
    "params_json",
    "standardize",
    "error_bar",
    "n",
    "seed",
)


def distinct_cells(results: pd.DataFrame) -> pd.DataFrame:
    """``results`` with every (task, configuration, n, seed) once: the last finished row.

    Two cell ids can hold one cell's computation. A grid run with ``error_bar="auto"`` and
    resumed with the method ``auto`` stands for (``"subsampling"`` for KSG) stores each cell
    twice, since the cell id records the option as given. Reports count such a seed once. The
    key is :data:`CELL_KEY`, over the columns the table has (unchanged without ``task_id``,
    ``n``, ``seed`` and ``params_json``).
    """
    key = [c for c in CELL_KEY if c in results.columns]
    if not {"task_id", "n", "seed", "params_json"} <= set(key):
        return results
    order = np.arange(len(results))
    if "finished_at" in results.columns:
        order = np.argsort(results["finished_at"].astype(str).to_numpy(), kind="stable")
    later = results.iloc[order].duplicated(key, keep="last").to_numpy()
    drop = np.zeros(len(results), dtype=bool)
    drop[order[later]] = True
    return results[~drop] if drop.any() else results


def configuration_labels(results: pd.DataFrame) -> pd.Series:
    """Labels that name one configuration each.

    A label names one estimator configuration in a grid, but rows of one label can come from
    several (a run folder resumed with another ``--device``, ``--no-standardize`` or a changed
    default). Where a label covers several distinct (``params_json``, ``standardize``), each
    gets the settings that tell them apart appended, e.g. ``mine[device=cpu]`` and
    ``mine[device=auto]``, or ``ksg[standardized_data=false]`` for a grid run with
    ``--no-standardize`` (an estimator's own ``standardize`` keeps its name), or
    ``nwj[error_bar=seeds]`` beside ``nwj[error_bar=held-out]`` for one configuration run with
    two error-bar methods; other labels are kept. Without those
    columns the labels are returned as they are.

    Returns:
        One label per row of ``results``, same index.
    """
    if not {"params_json", "standardize"} <= set(results.columns) or results.empty:
        return results["label"]
    columns = ["params_json", "standardize"]
    if "error_bar" in results.columns:
        columns.append("error_bar")
    keyed = results[columns].astype(object).where(results[columns].notna(), None)
    out = results["label"].copy()
    for label, group in keyed.groupby(results["label"], sort=False):
        rows_of: dict[tuple, list] = {}
        for index, config in zip(group.index, map(tuple, group.to_numpy()), strict=True):
            rows_of.setdefault(config, []).append(index)
        if len(rows_of) < 2:
            continue
        parsed = {
            config: {
                **json.loads(config[0] or "{}"),
                GRID_STANDARDIZE: bool(config[1]),
                **({GRID_ERROR_BAR: config[2]} if len(config) > 2 else {}),
            }
            for config in rows_of
        }
        keys = sorted({k for d in parsed.values() for k in d})
        differ = [k for k in keys if len({json.dumps(d.get(k)) for d in parsed.values()}) > 1]
        for config, params in parsed.items():
            settings = [f"{k}={json.dumps(params.get(k)).strip(chr(34))}" for k in differ]
            out.loc[rows_of[config]] = _with_settings(str(label), settings)
    return out


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (task_id, label, n) with the metrics above; labels are made to name one
    configuration each first (:func:`configuration_labels`), so that no mean pools rows of
    two configurations.

    Args:
        results: a results table (columns task_id, label, estimator, n, status, mi_true,
            mi_estimate, wall_seconds, samples_per_second, steps_per_second at least).

    Returns:
        A DataFrame with the columns :data:`SUMMARY_COLUMNS` — task_id, label, n, estimator,
        mi_true, n_rows, n_ok, mean, bias, sd, rmse, mae, failure_rate,
        first_attempt_failure_rate, log_ratio (nats), mean_wall_seconds (all rows), the
        medians over ok rows of samples_per_second and steps_per_second (NaN for
        non-iterative estimators), n_flagged, mean_with_flagged, n_retried and n_reseeded
        (see the module docstring; without an ``extras_json`` column no row counts as
        retried) — in the order the groups first appear in ``results`` (the fixed
        :data:`~mibench.harness.store.ROW_ORDER` for a table read from a store or a run).

    Raises:
        ValueError: when a required column is missing.
    """
    require_columns(results, REQUIRED_COLUMNS, "results table")
    results = distinct_cells(results)
    results = results.assign(label=configuration_labels(results))
    rows = [
        {**dict(zip(GROUP_COLUMNS, key, strict=True)), **_group_metrics(g)}
        for key, g in results.groupby(GROUP_COLUMNS, sort=False)
    ]
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def samples_to_factor(summary: pd.DataFrame, factor: float = 1.5) -> pd.DataFrame:
    """Smallest n from which the mean estimate stays within ``factor`` of the true MI.

    For each (task_id, label), the n returned is the smallest sample size of the run such that
    |log ratio| < ln(factor) at that n and at every larger n of the run. A group with no ok
    rows at some n counts as outside the factor there. Tasks with true MI 0 never qualify (a
    factor of zero is zero; their log-ratio column holds an absolute error instead).

    Args:
        summary: the output of :func:`summarize` (columns task_id, label, n, mi_true,
            log_ratio at least).
        factor: the multiplicative tolerance, > 1.

    Returns:
        A DataFrame with columns task_id, label, mi_true (nats), n_within (nullable integer
        ``Int64``; ``<NA>`` when the estimate is not within the factor at the largest n), one
        row per (task_id, label) in order of first appearance.

    Raises:
        ValueError: when ``factor`` is not > 1 or a required column is missing.
    """
    if not factor > 1:
        raise ValueError(f"factor must be > 1, got {factor!r}")
    require_columns(summary, {"task_id", "label", "n", "mi_true", "log_ratio"}, "summary table")
    bound = math.log(factor)
    rows = []
    for (task_id, label), g in summary.groupby(["task_id", "label"], sort=False):
        g = g.sort_values("n", ascending=False)
        within = (g["mi_true"] > 0) & (g["log_ratio"].abs() < bound)  # NaN compares False
        n_within = None
        for n, ok in zip(g["n"], within, strict=True):
            if not ok:
                break
            n_within = int(n)
        rows.append(
            {
                "task_id": task_id,
                "label": label,
                "mi_true": float(g["mi_true"].iloc[0]),
                "n_within": n_within,
            }
        )
    out = pd.DataFrame(rows, columns=["task_id", "label", "mi_true", "n_within"])
    out["n_within"] = out["n_within"].astype("Int64")
    return out
