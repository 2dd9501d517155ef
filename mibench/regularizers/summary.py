"""The ``summary.csv`` of a training benchmark: one row per (benchmark, setting), every metric's
mean and sd over seeds."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

#: Leading columns of a training summary, in order.
SUMMARY_KEYS = ("benchmark", "regularizer", "beta", "clip", "label")


def training_metrics(results: pd.DataFrame) -> pd.DataFrame:
    """One row per training cell: its setting, status, ``mi_estimate`` and every numeric metric
    of its extras as columns.

    Args:
        results: rows of training cells (the store's results table).

    Returns:
        Columns ``benchmark`` (the task id), ``regularizer`` (``none`` or the estimator),
        ``beta``, ``clip``, ``label``, ``seed``, ``status``, ``mi_estimate``, ``mi_true``, then
        the metrics (sorted by name).
    """
    rows = []
    for r in results.to_dict("records"):
        params = json.loads(r["params_json"])
        extras = json.loads(r["extras_json"] or "{}")
        metrics = {
            k: float(v)
            for k, v in extras.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "mi_true_final"
        }
        rows.append(
            {
                "benchmark": r["task_id"],
                "regularizer": r["estimator"],
                "beta": float(params["beta"]),
                "clip": bool(params["clip"]),
                "label": r["label"],
                "seed": int(r["seed"]),
                "status": r["status"],
                "mi_estimate": r["mi_estimate"],
                "mi_true": r["mi_true"],
                **metrics,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    fixed = [*SUMMARY_KEYS, "seed", "status", "mi_estimate", "mi_true"]
    return table[fixed + sorted(c for c in table.columns if c not in fixed)]


def summarize_training(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over seeds of every metric, per (benchmark, setting).

    Means and sds are over the cells whose status is ``ok``; ``seeds`` counts every cell,
    ``ok`` the ok ones and ``failure_rate`` the rest, so that a setting whose failures were
    left out of its means says so. ``mi_error`` is ``mi_estimate − mi_true`` where the exact MI
    is known.

    Args:
        results: rows of training cells.

    Returns:
        Columns :data:`SUMMARY_KEYS`, ``seeds``, ``ok``, ``failure_rate``, then
        ``<metric>_mean`` and ``<metric>_sd`` for ``mi_estimate``, ``mi_true``, ``mi_error`` and
        every metric; sorted by benchmark, then ``none`` first, then regulariser, β and clip.
    """
    table = training_metrics(results)
    if table.empty:
        return pd.DataFrame(columns=[*SUMMARY_KEYS, "seeds", "ok", "failure_rate"])
    table["mi_error"] = table["mi_estimate"] - table["mi_true"]
    metrics = [c for c in table.columns if c not in (*SUMMARY_KEYS, "seed", "status")]
    out = []
    for key, group in table.groupby(list(SUMMARY_KEYS), sort=False, dropna=False):
        ok = group[group["status"] == "ok"]
        row = dict(zip(SUMMARY_KEYS, key, strict=True))
        row.update(seeds=len(group), ok=len(ok), failure_rate=1 - len(ok) / len(group))
        for m in metrics:
            values = pd.to_numeric(ok[m], errors="coerce").dropna()
            row[f"{m}_mean"] = float(values.mean()) if len(values) else math.nan
            row[f"{m}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else math.nan
        out.append(row)
    summary = pd.DataFrame(out)
    summary["_plain"] = np.where(summary["regularizer"] == "none", 0, 1)
    summary = summary.sort_values(["benchmark", "_plain", "regularizer", "beta", "clip"])
    return summary.drop(columns="_plain").reset_index(drop=True)
