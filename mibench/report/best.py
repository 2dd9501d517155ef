"""The best configuration per task: does a tuned estimator beat its default?

For every (task, estimator, n) that a run holds in two or more configurations (labels of one
estimator name, such as the ``ksg[k=3]``, ``ksg[k=5]`` and ``ksg[k=10]`` of the sweep
``ksg[k=3|5|10]``), :func:`best_configurations` picks a winner on one half of the replicate
seeds and reports its error on the other half, so that the choice does not flatter it.

**Split.** The distinct seeds of the group (over all its configurations) are sorted; those at
even positions (the 1st, 3rd, ...) form the *selection* half, those at odd positions the
*evaluation* half: seeds 0..4 select on 0, 2, 4 and evaluate on 1, 3. Each seed draws its own
data (:func:`~mibench.harness.cells.data_seed`), so the halves are independent samples. With a
single seed no split exists: the row selects and evaluates on that seed and is marked
``optimistic``, like the best-in-hindsight column below.

**Winner.** The configuration with the smallest RMSE on the selection half (ties: the one that
appears first in the results). RMSE is that of :mod:`mibench.report.metrics`,
sqrt(mean((estimate − true MI)²)) over the rows with status ``ok``, in nats; rows not ok never
enter it, and the share of the evaluation half's rows that are not ok is reported beside it
(``*_failure_rate_eval``). A configuration without any ok row in the selection half cannot win
and is named in ``cannot_win``. The selection does not weigh failures: a configuration that
fails on most seeds can win on its ok ones, so read its failure rate.

**Spread.** ``*_rmse_eval_se`` is the standard error of an evaluation RMSE by the delta method:
with squared errors e²ᵢ over the m ok evaluation rows, RMSE = sqrt(mean e²) and
se = sd(e², ddof=1) / (2 · RMSE · sqrt(m)) (0 when every error is 0, NaN for m < 2). It is
deterministic, unlike a bootstrap, and as coarse as m is small.

**Baselines.** ``default_*`` is the configuration labelled with the bare estimator name (its
default hyperparameters; ``ksg,ksg[k=5|10]`` runs it beside a sweep), NaN when the run lacks
it. ``hindsight_*`` is the configuration with the smallest RMSE on the evaluation half itself:
an optimistic bound, which the winner approaches when the selection generalises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mibench.report.metrics import configuration_labels, distinct_cells, require_columns

#: Columns :func:`best_configurations` needs in a results table.
REQUIRED_COLUMNS = frozenset(
    {"task_id", "label", "estimator", "n", "seed", "status", "mi_true", "mi_estimate"}
)

#: Columns of the table :func:`best_configurations` returns, in order.
BEST_COLUMNS = [
    "task_id",
    "estimator",
    "n",
    "mi_true",
    "n_configurations",
    "winner",
    "winner_rmse_select",
    "winner_rmse_eval",
    "winner_rmse_eval_se",
    "winner_failure_rate_eval",
    "default_label",
    "default_rmse_eval",
    "default_rmse_eval_se",
    "default_failure_rate_eval",
    "hindsight_best",
    "hindsight_rmse_eval",
    "cannot_win",
    "selection_seeds",
    "evaluation_seeds",
    "optimistic",
]


def split_seeds(seeds: list[int]) -> tuple[list[int], list[int], bool]:
    """The selection and evaluation halves of ``seeds`` (see the module docstring).

    Returns:
        ``(selection, evaluation, optimistic)``: the sorted distinct seeds at even positions
        and at odd positions, and False; or, for fewer than two distinct seeds, those seeds
        twice and True.
    """
    ordered = sorted(set(seeds))
    if len(ordered) < 2:
        return ordered, ordered, True
    return ordered[0::2], ordered[1::2], False


def _rmse(rows: pd.DataFrame) -> tuple[float, float, float]:
    """``(rmse, its delta-method standard error, failure rate)`` of ``rows`` (nats); NaN where
    undefined (no rows, no ok rows, one ok row for the standard error)."""
    if rows.empty:
        return np.nan, np.nan, np.nan
    ok = rows[rows["status"] == "ok"]
    failure_rate = 1.0 - len(ok) / len(rows)
    squared = (ok["mi_estimate"].to_numpy(dtype=float) - ok["mi_true"].to_numpy(dtype=float)) ** 2
    m = len(squared)
    if m == 0:
        return np.nan, np.nan, failure_rate
    rmse = float(np.sqrt(squared.mean()))
    if m < 2:
        se = np.nan
    elif rmse == 0:
        se = 0.0
    else:
        se = float(squared.std(ddof=1) / (2 * rmse * np.sqrt(m)))
    return rmse, se, failure_rate


#: Relative difference under which two RMSEs are a tie (rounding, not a difference in
#: accuracy: configurations that give the same estimates up to the last bits).
TIE_TOLERANCE = 1e-12


def _smallest(values: dict[str, float]) -> str | None:
    """The key of the smallest finite value, or None; values within :data:`TIE_TOLERANCE` of
    the smallest are a tie, which goes to the first key."""
    finite = {k: v for k, v in values.items() if np.isfinite(v)}
    if not finite:
        return None
    low = min(finite.values())
    return next(k for k, v in finite.items() if v <= low + TIE_TOLERANCE * abs(low))


def best_configurations(results: pd.DataFrame) -> pd.DataFrame:
    """The best configuration per (task, estimator, n), selected and evaluated on disjoint
    halves of the seeds (see the module docstring).

    Args:
        results: a results table (columns task_id, label, estimator, n, seed, status, mi_true
            and mi_estimate at least); a cell stored twice counts once
            (:func:`~mibench.report.metrics.distinct_cells`) and labels are made to name one
            configuration each (:func:`~mibench.report.metrics.configuration_labels`).

    Returns:
        One row per (task_id, estimator, n) with two or more configurations, in the order the
        groups first appear, with the columns :data:`BEST_COLUMNS`: mi_true (nats),
        n_configurations, winner (its label; None when no configuration has an ok row in the
        selection half), winner_rmse_select, winner_rmse_eval and winner_rmse_eval_se (nats),
        winner_failure_rate_eval, default_label (the bare estimator name, None when not run),
        default_rmse_eval, default_rmse_eval_se, default_failure_rate_eval, hindsight_best and
        hindsight_rmse_eval (the best on the evaluation half itself), cannot_win (the labels
        without an ok row in the selection half, comma-separated, or None), selection_seeds and
        evaluation_seeds (space-separated) and optimistic (True when one seed was both). Empty,
        with those columns, when no estimator has two configurations.

    Raises:
        ValueError: when a required column is missing.
    """
    require_columns(results, REQUIRED_COLUMNS, "results table")
    results = distinct_cells(results)
    results = results.assign(label=configuration_labels(results))
    rows = []
    for (task_id, estimator, n), group in results.groupby(
        ["task_id", "estimator", "n"], sort=False
    ):
        by_label: dict[str, pd.DataFrame] = {
            str(lab): g for lab, g in group.groupby("label", sort=False)
        }
        if len(by_label) < 2:
            continue
        selection, evaluation, optimistic = split_seeds(group["seed"].astype(int).tolist())
        select = {lab: _rmse(g[g["seed"].isin(selection)]) for lab, g in by_label.items()}
        evaluate = {lab: _rmse(g[g["seed"].isin(evaluation)]) for lab, g in by_label.items()}
        winner = _smallest({lab: v[0] for lab, v in select.items()})
        hindsight = _smallest({lab: v[0] for lab, v in evaluate.items()})
        default = str(estimator) if estimator in by_label else None
        missing = (np.nan, np.nan, np.nan)
        won = evaluate[winner] if winner is not None else missing
        base = evaluate[default] if default is not None else missing
        unfit = [lab for lab, v in select.items() if not np.isfinite(v[0])]
        rows.append(
            {
                "task_id": task_id,
                "estimator": estimator,
                "n": n,
                "mi_true": float(group["mi_true"].iloc[0]),
                "n_configurations": len(by_label),
                "winner": winner,
                "winner_rmse_select": select[winner][0] if winner else np.nan,
                "winner_rmse_eval": won[0],
                "winner_rmse_eval_se": won[1],
                "winner_failure_rate_eval": won[2],
                "default_label": default,
                "default_rmse_eval": base[0],
                "default_rmse_eval_se": base[1],
                "default_failure_rate_eval": base[2],
                "hindsight_best": hindsight,
                "hindsight_rmse_eval": evaluate[hindsight][0] if hindsight else np.nan,
                "cannot_win": ", ".join(unfit) or None,
                "selection_seeds": " ".join(map(str, selection)),
                "evaluation_seeds": " ".join(map(str, evaluation)),
                "optimistic": optimistic,
            }
        )
    return pd.DataFrame(rows, columns=BEST_COLUMNS)
