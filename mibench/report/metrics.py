"""Accuracy metrics of an estimator over the replicate seeds of a (task, estimator, n) group.

Definitions (DESIGN.md): over the rows with status ``ok`` — mean estimate, bias = mean − true
MI, sd (ddof = 1), RMSE = sqrt(mean((estimate − true)²)), mean absolute error; failure rate =
share of rows not ok; log ratio = ln(max(mean, 1e-3) / true) for tasks with true MI > 0, and
the absolute error |mean| for tasks with true MI 0. Rows that are not ok never enter a mean.
All values in nats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUP_COLUMNS = ["task_id", "label", "n"]

#: Floor on the mean estimate inside the log ratio, so a non-positive mean stays finite.
LOG_RATIO_FLOOR = 1e-3


def log_ratio(mean: float, true: float) -> float:
    """ln(max(mean, 1e-3) / true) for true > 0; |mean − true| when true MI is 0 (nats)."""
    if true > 0:
        return float(np.log(max(mean, LOG_RATIO_FLOOR) / true))
    return float(abs(mean - true))


def _group_metrics(g: pd.DataFrame) -> pd.Series:
    ok = g[g["status"] == "ok"]
    true = float(g["mi_true"].iloc[0])
    est = ok["mi_estimate"].to_numpy(dtype=float)
    n_ok = len(est)
    mean = float(est.mean()) if n_ok else np.nan
    err = est - true
    return pd.Series(
        {
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
            "log_ratio": log_ratio(mean, true) if n_ok else np.nan,
            "mean_wall_seconds": float(g["wall_seconds"].mean()),
        }
    )


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (task_id, label, n) with the metrics above.

    Args:
        results: a results table (columns task_id, label, estimator, n, status, mi_true,
            mi_estimate, wall_seconds at least).

    Returns:
        A DataFrame with columns task_id, label, n, estimator, mi_true, n_rows, n_ok, mean,
        bias, sd, rmse, mae, failure_rate, log_ratio, mean_wall_seconds, in the order the
        groups first appear in ``results``.

    Raises:
        ValueError: when a required column is missing.
    """
    required = {*GROUP_COLUMNS, "estimator", "status", "mi_true", "mi_estimate", "wall_seconds"}
    missing = required - set(results.columns)
    if missing:
        raise ValueError(f"results table lacks required columns {sorted(missing)}")
    if results.empty:
        return pd.DataFrame(columns=[*GROUP_COLUMNS, "estimator", "mi_true", "mean", "bias"])
    rows = [
        {**dict(zip(GROUP_COLUMNS, key)), **_group_metrics(g).to_dict()}
        for key, g in results.groupby(GROUP_COLUMNS, sort=False)
    ]
    return pd.DataFrame(rows)
