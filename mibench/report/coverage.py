"""Coverage of the error bars: how often an estimator's 95 % interval contains the true MI.

An estimator run with an error bar (``error_bar`` = ``subsampling``, ``bootstrap``,
``held-out`` or ``seeds``) stores with each estimate a standard error (``mi_stderr``) and a
95 % interval ``[mi_ci_low, mi_ci_high]`` (nats). Over the replicate seeds of a (task,
configuration, n) group, the **coverage** is the share of the ok seeds whose interval contains
the true MI, ``mi_ci_low <= mi_true <= mi_ci_high``. Intervals that are honest about the
estimate's uncertainty cover it in about 95 % of the seeds.

An error bar measures the *sampling variability* of the estimate — how much it would move on
another draw of the same size — and not its *bias*. A biased estimator's intervals are centred
on the wrong value, so its coverage falls as n grows: the interval narrows like 1/sqrt(n)
while the bias of most estimators shrinks more slowly (kNN estimators in more than a few dimensions,
neural bounds held down by their objective), and from some n on the intervals miss the truth
on nearly every seed. Low coverage has two causes, told apart by ``stderr_ratio``, the mean
stored standard error over the seed-to-seed sd of the estimates: near 1 with low coverage, the
error bar is right about the spread and the estimate is biased; well below 1, the error bar
itself is too narrow.

The coverage of m intervals is a binomial share, with standard error sqrt(p(1 − p)/m) and a
Wilson score 95 % interval (``coverage_low``, ``coverage_high``; Wilson 1927, which keeps
inside [0, 1] and stays sensible at p near 1, where the normal interval does not). With few
seeds it is coarse: at p = 0.8 the standard error sqrt(0.16/m) is 0.13 with 10 seeds, 0.073
with 30 and 0.04 with 100, so the gap of 0.15 between a nominal 0.95 and an actual 0.80 is two
standard errors only from m = 4 · 0.16 / 0.15² ≈ 29 seeds. Exactly (binomial): an estimator
whose true coverage is 0.80 has a Wilson upper bound below 0.95 with probability 0.62 with 10
seeds, 0.79 with 20, 0.88 with 30 and 0.95 with 50, while one at 0.95 is flagged so with
probability below 0.09. About 30 seeds tell 0.95 from 0.80 reliably; 10 flag only gross
under-coverage. The binomial view takes the seeds' intervals as independent; with
``error_bar = "seeds"`` they are not (every seed of a group gets the sd of the group's
estimates as its standard error, so ``stderr_ratio`` is 1 by construction and the seeds'
intervals share one width, itself estimated from those seeds), and the coverage standard
error and Wilson interval then understate the uncertainty. Where the true MI is itself a Monte
Carlo estimate (``mi_true_stderr`` > 0) it is taken as exact here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mibench.report.metrics import (
    GROUP_COLUMNS,
    configuration_labels,
    distinct_cells,
    require_columns,
)

#: The nominal level of the stored intervals ``[mi_ci_low, mi_ci_high]``.
COVERAGE_LEVEL = 0.95

#: Columns a results table of a run with error bars holds; a table without any of them (a run
#: from before error bars were stored) has no intervals.
INTERVAL_COLUMNS = frozenset({"error_bar", "mi_ci_low", "mi_ci_high"})

#: Columns :func:`coverage_table` needs besides :data:`INTERVAL_COLUMNS`.
REQUIRED_COLUMNS = frozenset(
    {*GROUP_COLUMNS, "estimator", "status", "mi_true", "mi_estimate", "mi_stderr"}
)

#: A coverage group: one configuration at one sample size with one error-bar method.
COVERAGE_GROUP = [*GROUP_COLUMNS, "error_bar"]

#: Columns of the table :func:`coverage_table` returns, in order.
COVERAGE_COLUMNS = [
    *COVERAGE_GROUP,
    "estimator",
    "mi_true",
    "n_ok",
    "n_intervals",
    "coverage",
    "coverage_se",
    "coverage_low",
    "coverage_high",
    "mean_width",
    "mean_stderr",
    "sd",
    "stderr_ratio",
]


def _methods(results: pd.DataFrame) -> pd.Series:
    """The error-bar method of each row, ``None`` where there is none (NULL, NaN or empty)."""
    method = results["error_bar"].astype(object)
    missing = method.isna() | (method.astype(str).str.strip() == "")
    return method.where(~missing, None)


def _interval_mask(results: pd.DataFrame) -> pd.Series:
    """Rows with status ok and a finite interval (both bounds)."""
    low = pd.to_numeric(results["mi_ci_low"], errors="coerce").to_numpy(dtype=float)
    high = pd.to_numeric(results["mi_ci_high"], errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(low) & np.isfinite(high)
    return pd.Series(finite, index=results.index) & (results["status"] == "ok")


def has_intervals(results: pd.DataFrame) -> bool:
    """Whether any row of ``results`` with status ok holds a finite 95 % interval.

    Args:
        results: a results table; one without the columns ``mi_ci_low``, ``mi_ci_high`` or
            ``status`` has none.

    Returns:
        True when :func:`coverage_table` has at least one row to give.
    """
    if not {"mi_ci_low", "mi_ci_high", "status"} <= set(results.columns):
        return False
    return bool(_interval_mask(results).any())


def _wilson(covered: int, m: int) -> tuple[float, float]:
    """Wilson score interval at :data:`COVERAGE_LEVEL` for ``covered`` successes out of ``m``."""
    from scipy import stats  # here: scipy.stats takes seconds to import, and most runs need none

    ci = stats.binomtest(covered, m).proportion_ci(confidence_level=COVERAGE_LEVEL, method="wilson")
    return float(ci.low), float(ci.high)


def _group_coverage(g: pd.DataFrame, key: tuple, with_interval: pd.Series) -> dict[str, object]:
    ok = g[g["status"] == "ok"]
    rows = g[with_interval.loc[g.index]]
    true = float(g["mi_true"].iloc[0])
    low = rows["mi_ci_low"].to_numpy(dtype=float)
    high = rows["mi_ci_high"].to_numpy(dtype=float)
    if np.any(low > high):
        raise ValueError(
            f"group {dict(zip(COVERAGE_GROUP, key, strict=True))} has intervals with "
            f"mi_ci_low > mi_ci_high"
        )
    m = len(rows)
    est = pd.to_numeric(ok["mi_estimate"], errors="coerce").to_numpy(dtype=float)
    est = est[np.isfinite(est)]
    sd = float(est.std(ddof=1)) if len(est) > 1 else math.nan
    stderr = pd.to_numeric(rows["mi_stderr"], errors="coerce").to_numpy(dtype=float)
    stderr = stderr[np.isfinite(stderr)]
    mean_stderr = float(stderr.mean()) if len(stderr) else math.nan
    coverage = se = c_low = c_high = math.nan
    if math.isfinite(true):
        covered = int(np.sum((low <= true) & (true <= high)))
        coverage = covered / m
        se = math.sqrt(coverage * (1.0 - coverage) / m)
        c_low, c_high = _wilson(covered, m)
    return {
        "estimator": g["estimator"].iloc[0],
        "mi_true": true,
        "n_ok": len(ok),
        "n_intervals": m,
        "coverage": coverage,
        "coverage_se": se,
        "coverage_low": c_low,
        "coverage_high": c_high,
        "mean_width": float(np.mean(high - low)),
        "mean_stderr": mean_stderr,
        "sd": sd,
        "stderr_ratio": mean_stderr / sd if math.isfinite(sd) and sd > 0 else math.nan,
    }


def coverage_table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (task_id, label, n, error_bar) with the coverage of the stored intervals.

    Labels are first made to name one configuration each
    (:func:`~mibench.report.metrics.configuration_labels`), as in
    :func:`~mibench.report.metrics.summarize`. A (task_id, label, n) group whose rows carry a
    single error-bar method is one coverage group, its rows without a method (an error bar
    that failed on that seed) included; a group that mixes several methods is split by method,
    since each method's intervals have their own coverage, and its rows without a method then
    join none of the splits. Only rows with status ok count: a diverged or failed row's
    interval is not an interval. Groups none of whose ok rows hold a finite interval are left
    out, so that an estimator without an error bar has no coverage rather than a made-up one.

    Args:
        results: a results table (columns task_id, label, n, estimator, status, mi_true,
            mi_estimate, mi_stderr, error_bar, mi_ci_low and mi_ci_high at least).

    Returns:
        A DataFrame with the columns :data:`COVERAGE_COLUMNS`: task_id, label, n, error_bar
        (the method; missing where rows with intervals name none), estimator, mi_true (nats),
        n_ok (rows with status ok), n_intervals (ok rows with finite mi_ci_low and
        mi_ci_high), coverage (share of those intervals that contain mi_true; NaN when
        mi_true is not finite), coverage_se (sqrt(p(1 − p)/n_intervals)), coverage_low and
        coverage_high (Wilson score 95 % interval of the share), mean_width (mean of
        mi_ci_high − mi_ci_low, nats), mean_stderr (mean mi_stderr over the rows with an
        interval, nats; NaN when none is stored), sd (seed-to-seed sd of mi_estimate over
        the ok rows, ddof = 1, nats; NaN with fewer than two) and stderr_ratio (mean_stderr /
        sd; NaN when sd is NaN or 0). Groups in the order they first appear in ``results``.
        A table without any of the columns error_bar, mi_ci_low and mi_ci_high (a run from
        before error bars were stored) gives an empty DataFrame with these columns.

    Raises:
        ValueError: when a required column is missing (some but not all of error_bar,
            mi_ci_low and mi_ci_high count as missing), or when an interval has
            mi_ci_low > mi_ci_high (the message names the group).
    """
    require_columns(results, REQUIRED_COLUMNS, "results table")
    if not INTERVAL_COLUMNS & set(results.columns):
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    require_columns(results, INTERVAL_COLUMNS, "results table")
    if results.empty:
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    results = distinct_cells(results)
    results = results.assign(
        label=configuration_labels(results),
        error_bar=_methods(results),
        mi_ci_low=pd.to_numeric(results["mi_ci_low"], errors="coerce"),
        mi_ci_high=pd.to_numeric(results["mi_ci_high"], errors="coerce"),
    )
    # A group with a single method lends it to its rows without one.
    single = results.groupby(GROUP_COLUMNS, sort=False)["error_bar"].transform(
        lambda s: s.dropna().iloc[0] if s.dropna().nunique() == 1 else None
    )
    results["error_bar"] = results["error_bar"].where(results["error_bar"].notna(), single)
    with_interval = _interval_mask(results)
    rows = []
    for group_key, g in results.groupby(COVERAGE_GROUP, sort=False, dropna=False):
        if not with_interval.loc[g.index].any():
            continue
        values: tuple[Any, ...] = group_key  # column values (the stubs say only Hashable)
        key = tuple(None if pd.isna(k) else k for k in values)
        rows.append(
            {
                **dict(zip(COVERAGE_GROUP, key, strict=True)),
                **_group_coverage(g, key, with_interval),
            }
        )
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
