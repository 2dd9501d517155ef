"""Compare two result sets (a baseline and a new run) and decide whether accuracy regressed.

Rules (all values in nats):

* **Summaries** are matched by (task_id, label, n). With the metrics of
  :func:`~mibench.report.metrics.summarize` on each side, the tolerance of a group is
  ``max(atol, 3 · se)`` where ``se = sqrt(sd_base² / n_ok_base + sd_new² / n_ok_new)`` is the
  standard error of the bias of each side combined in quadrature (a side with a single ok
  seed has no sd and adds 0). A group regresses when |bias| grows by more than the
  tolerance, when the RMSE grows by more than the tolerance, or when BASE had ok rows and
  NEW has none. A change beyond the tolerance in either direction counts as *moved*.
* **Cells** are matched by ``cell_id``. A cell regresses when it was ``ok`` in BASE and is not
  ok in NEW, or, for a deterministic estimator, when both values are ok and differ by more
  than ``rtol`` relative to the larger magnitude (with an absolute floor of
  :data:`ZERO_ATOL` for values at zero). Whether an estimator is deterministic is read from
  the rows' ``deterministic`` column, recorded when each row was computed (both sides must
  say so); the live registry is never consulted, so the verdict depends on the two tables
  alone. A table without the column (exported by mibench before it had one) counts as
  non-deterministic.
* Summaries and cells present on one side only are reported but never regress.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tabulate import tabulate

from mibench.report.metrics import GROUP_COLUMNS, REQUIRED_COLUMNS, require_columns, summarize

#: Default absolute tolerance on |bias| and RMSE growth (nats).
DEFAULT_ATOL = 0.02
#: Default relative tolerance on per-cell values of deterministic estimators.
DEFAULT_RTOL = 1e-9
#: Standard errors of the bias difference allowed before a summary change counts.
SE_MULTIPLIER = 3.0
#: Absolute floor of the per-cell tolerance, for deterministic values at or near zero (nats).
ZERO_ATOL = 1e-12

_CELL_IDENTITY = ["task_id", "label", "n", "seed", "estimator"]

#: Columns a results table needs to be compared.
COMPARE_COLUMNS = REQUIRED_COLUMNS | {"cell_id", "seed"}


def _deterministic(df: pd.DataFrame) -> pd.Series:
    """Per row, the recorded ``deterministic`` flag (False where missing or unknown)."""
    if "deterministic" not in df.columns:
        return pd.Series(False, index=df.index)
    return df["deterministic"].astype(float).fillna(0.0).astype(bool)


@dataclass
class CompareResult:
    """Differences between a BASE and a NEW results table.

    Attributes:
        summary: one row per (task_id, label, n) on either side: ``side`` ("both", "base
            only", "new only"), n_ok, bias and rmse of each side (``*_base``, ``*_new``),
            ``d_abs_bias`` = |bias_new| − |bias_base|, ``d_rmse`` = rmse_new − rmse_base,
            ``tolerance``, ``moved``, ``regressed``, ``reason`` (what regressed, or
            "improved" for a group that moved the other way).
        cells: one row per cell_id on either side: identity columns, ``side``, status and
            estimate of each side, ``rel_diff`` (|new − base| / max(|base|, |new|)),
            ``deterministic``, ``regressed``, ``reason``.
        atol: the absolute tolerance used (nats).
        rtol: the relative tolerance used.
    """

    summary: pd.DataFrame
    cells: pd.DataFrame
    atol: float
    rtol: float

    @property
    def compared(self) -> int:
        """Number of (task_id, label, n) summaries found on both sides."""
        return int((self.summary["side"] == "both").sum())

    @property
    def regressed(self) -> bool:
        """True when any summary or cell regressed."""
        return bool(self.summary["regressed"].any() or self.cells["regressed"].any())

    def to_text(self, max_rows: int = 50) -> str:
        """A readable report: counts, then the summaries that moved and the regressed cells.

        Args:
            max_rows: the most rows printed per table (the rest are counted).
        """
        s, c = self.summary, self.cells
        lines = [
            f"summaries: {(s['side'] == 'both').sum()} compared, "
            f"{(s['side'] == 'base only').sum()} only in BASE, "
            f"{(s['side'] == 'new only').sum()} only in NEW; "
            f"{s['moved'].sum()} moved beyond tolerance, {s['regressed'].sum()} regressed "
            f"(atol {self.atol:g} nats, {SE_MULTIPLIER:g} standard errors)",
            f"cells: {(c['side'] == 'both').sum()} matched by cell_id, "
            f"{(c['side'] == 'base only').sum()} only in BASE, "
            f"{(c['side'] == 'new only').sum()} only in NEW; "
            f"{c['regressed'].sum()} regressed (deterministic rtol {self.rtol:g})",
        ]
        moved = s[s["moved"] | s["regressed"]]
        if not moved.empty:
            cols = [
                *GROUP_COLUMNS,
                "bias_base",
                "bias_new",
                "rmse_base",
                "rmse_new",
                "tolerance",
                "reason",
            ]
            lines += ["", "Summaries that moved:", _table(moved[cols], max_rows)]
        bad = c[c["regressed"]]
        if not bad.empty:
            cols = [
                "cell_id",
                "task_id",
                "label",
                "n",
                "seed",
                "estimate_base",
                "estimate_new",
                "reason",
            ]
            lines += ["", "Cells that regressed:", _table(bad[cols], max_rows)]
        lines += ["", "REGRESSION" if self.regressed else "no regression"]
        return "\n".join(lines)


def _table(df: pd.DataFrame, max_rows: int) -> str:
    head = df.head(max_rows)
    # tabulate takes a DataFrame (its documented input); types-tabulate does not list it
    text = tabulate(head, headers="keys", showindex=False, floatfmt=".4g")  # type: ignore[arg-type]
    more = len(df) - max_rows
    return text + (f"\n... and {more} more rows" if more > 0 else "")


def _side(indicator: pd.Series) -> pd.Series:
    return indicator.map({"both": "both", "left_only": "base only", "right_only": "new only"})


def _compare_summaries(base: pd.DataFrame, new: pd.DataFrame, atol: float) -> pd.DataFrame:
    keep = [*GROUP_COLUMNS, "n_ok", "bias", "sd", "rmse"]
    m = summarize(base)[keep].merge(
        summarize(new)[keep],
        on=GROUP_COLUMNS,
        how="outer",
        suffixes=("_base", "_new"),
        indicator=True,
        sort=False,
    )
    m.insert(len(GROUP_COLUMNS), "side", _side(m.pop("_merge")))
    var_base = (m["sd_base"] ** 2 / m["n_ok_base"]).fillna(0.0)
    var_new = (m["sd_new"] ** 2 / m["n_ok_new"]).fillna(0.0)
    var = var_base + var_new
    m["tolerance"] = np.maximum(atol, SE_MULTIPLIER * np.sqrt(var))
    m["d_abs_bias"] = m["bias_new"].abs() - m["bias_base"].abs()
    m["d_rmse"] = m["rmse_new"] - m["rmse_base"]
    both = m["side"] == "both"
    grew_bias = both & (m["d_abs_bias"] > m["tolerance"])
    grew_rmse = both & (m["d_rmse"] > m["tolerance"])
    lost = both & (m["n_ok_base"] > 0) & (m["n_ok_new"] == 0)
    m["moved"] = both & (
        (m["d_abs_bias"].abs() > m["tolerance"]) | (m["d_rmse"].abs() > m["tolerance"])
    )
    m["regressed"] = grew_bias | grew_rmse | lost
    names = ("|bias| grew", "RMSE grew", "no ok rows in NEW")
    m["reason"] = [
        "; ".join(name for name, hit in zip(names, hits, strict=True) if hit)
        or ("improved" if moved else "")
        for *hits, moved in zip(grew_bias, grew_rmse, lost, m["moved"], strict=True)
    ]
    return m.drop(columns=["sd_base", "sd_new"])


def _compare_cells(base: pd.DataFrame, new: pd.DataFrame, rtol: float) -> pd.DataFrame:
    cols = ["cell_id", *_CELL_IDENTITY, "status", "mi_estimate", "deterministic"]
    base = base.assign(deterministic=_deterministic(base))
    new = new.assign(deterministic=_deterministic(new))
    m = base[cols].merge(
        new[cols], on="cell_id", how="outer", suffixes=("_base", "_new"), indicator=True, sort=False
    )
    for col in _CELL_IDENTITY:
        m[col] = m.pop(f"{col}_base").combine_first(m.pop(f"{col}_new"))
    m = m.rename(columns={"mi_estimate_base": "estimate_base", "mi_estimate_new": "estimate_new"})
    m["side"] = _side(m["_merge"])
    m = m[
        [
            "cell_id",
            *_CELL_IDENTITY,
            "side",
            "status_base",
            "status_new",
            "estimate_base",
            "estimate_new",
            "deterministic_base",
            "deterministic_new",
        ]
    ]
    b, n = m["estimate_base"].astype(float), m["estimate_new"].astype(float)
    diff, scale = (n - b).abs(), np.maximum(b.abs(), n.abs())
    m["rel_diff"] = (diff / scale).mask(scale == 0, 0.0)  # NaN when a side has no value
    both = m["side"] == "both"
    m["deterministic"] = (
        both & m.pop("deterministic_base").eq(True) & m.pop("deterministic_new").eq(True)
    )
    lost = both & (m["status_base"] == "ok") & (m["status_new"] != "ok")
    both_ok = both & (m["status_base"] == "ok") & (m["status_new"] == "ok")
    changed = both_ok & m["deterministic"] & (diff > np.maximum(rtol * scale, ZERO_ATOL))
    m["regressed"] = lost | changed
    m["reason"] = np.select(
        [lost, changed],
        [
            "ok → " + m["status_new"].astype(str),
            "deterministic value changed, rel. diff " + m["rel_diff"].map("{:.2e}".format),
        ],
        default="",
    )
    return m


def compare_results(
    base: pd.DataFrame,
    new: pd.DataFrame,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
) -> CompareResult:
    """Per-summary and per-cell differences between two results tables (rules: module doc).

    Args:
        base: the reference results table (one row per cell).
        new: the results table under test.
        atol: absolute tolerance on growth of |bias| and RMSE (nats), >= 0.
        rtol: relative tolerance on per-cell values of deterministic estimators, >= 0.

    Returns:
        A :class:`CompareResult`; ``.regressed`` tells whether anything regressed.

    Raises:
        ValueError: for a negative tolerance, a missing column, or a duplicated cell_id (the
            message names the side).
    """
    if not (atol >= 0 and rtol >= 0):
        raise ValueError(f"atol and rtol must be >= 0, got atol={atol!r}, rtol={rtol!r}")
    for side, df in (("BASE", base), ("NEW", new)):
        require_columns(df, COMPARE_COLUMNS, f"{side} results table")
        dup = df["cell_id"][df["cell_id"].duplicated()]
        if not dup.empty:
            raise ValueError(f"{side} results table repeats cell_id {dup.iloc[0]!r}")
    return CompareResult(
        summary=_compare_summaries(base, new, atol),
        cells=_compare_cells(base, new, rtol),
        atol=atol,
        rtol=rtol,
    )
