"""Invariance tables: how far each estimator moves when the same draws are reparameterized.

A paired invariance study (:mod:`mibench.tasks.invariance`) stores, for every base task,
(n, replicate seed, estimator configuration and standardisation), the estimate on the base
(family ``identity``) and on each variant, all from the same draws. For each variant cell
whose pair is ok on both sides, Δ = Î(variant) − Î(base) in nats.

Per (estimator label, base, family, strength, n, standardize) the table gives the number of
ok pairs, mean Δ, sd of Δ (ddof = 1), a 95 % t-interval for the mean Δ (NaN with fewer than
two pairs), the relative shift |mean Δ| / I (I the true MI), the failed pairs (a cell of the
pair not ok), the variant cells whose base cell (family ``identity``) is not in the run
(``no_base``: run the ``paired-identity-<base>`` task beside them), and the fewest distinct
values any column kept on any pair (``min_distinct``, recorded for cells that ran; ties made
by a transform show there). The **invariance score** of an estimator on a family (per
standardisation) is the largest relative shift over the family's strengths, bases and sample
sizes: 0 means that no variant moved the mean estimate, 0.1 that some variant moved it by
10 % of the true MI. It covers only the variants with an ok pair; ``failed_variants`` counts
the others.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from mibench.report.metrics import require_columns

#: Columns a results table needs for the invariance tables.
PAIRED_COLUMNS = frozenset(
    {
        "paired_base",
        "variant_family",
        "variant_strength",
        "variant_stress",
        "label",
        "n",
        "seed",
        "standardize",
        "status",
        "mi_estimate",
        "mi_true",
        "extras_json",
    }
)
#: A pair is (base, configuration, n, standardisation, replicate seed).
_PAIR = ["paired_base", "label", "n", "standardize", "seed"]
#: Columns of :func:`invariance_table`, in order.
TABLE_COLUMNS = [
    "estimator",
    "base",
    "family",
    "strength",
    "stress",
    "n",
    "standardize",
    "mi_true",
    "pairs",
    "failed_pairs",
    "no_base",
    "delta_mean",
    "delta_sd",
    "ci_low",
    "ci_high",
    "rel_shift",
    "min_distinct",
]


#: Columns of :func:`invariance_scores`, in order.
SCORE_COLUMNS = [
    "estimator",
    "family",
    "stress",
    "standardize",
    "score",
    "worst_base",
    "worst_strength",
    "worst_n",
    "variants",
    "failed_variants",
]


def has_pairs(results: pd.DataFrame) -> bool:
    """True when ``results`` holds cells of a paired invariance study."""
    return "paired_base" in results.columns and bool(results["paired_base"].notna().any())


def paired_deltas(results: pd.DataFrame) -> pd.DataFrame:
    """One row per variant cell (family other than ``identity``) with its pair's Δ (nats).

    Returns:
        The variant rows with ``base_estimate``, ``delta`` (NaN unless both cells are ok),
        ``ok`` (both cells ok), ``has_base`` (the base cell is in the run) and
        ``min_distinct`` (from the row's extras; NaN if absent).

    Raises:
        ValueError: when a column of :data:`PAIRED_COLUMNS` is missing.
    """
    require_columns(results, PAIRED_COLUMNS, "results table of an invariance study")
    paired = results[results["paired_base"].notna()].copy()
    paired["min_distinct"] = [
        json.loads(e).get("min_distinct", np.nan) if isinstance(e, str) else np.nan
        for e in paired["extras_json"]
    ]
    paired["_ok"] = paired["status"] == "ok"
    is_base = paired["variant_family"] == "identity"
    base = paired.loc[is_base, [*_PAIR, "mi_estimate", "_ok"]].rename(
        columns={"mi_estimate": "base_estimate", "_ok": "_base_ok"}
    )
    out = paired[~is_base].merge(base, on=_PAIR, how="left")
    out["has_base"] = out["_base_ok"].notna()
    out["ok"] = out["_ok"] & out["_base_ok"].eq(True)
    out["delta"] = (out["mi_estimate"] - out["base_estimate"]).where(out["ok"])
    return out.drop(columns=["_ok", "_base_ok"])


def _t_interval(values: np.ndarray) -> tuple[float, float]:
    if len(values) < 2:
        return np.nan, np.nan
    from scipy import stats  # here: scipy.stats takes seconds to import, and most runs need none

    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def invariance_table(results: pd.DataFrame) -> pd.DataFrame:
    """The invariance table of a results table (see the module docstring).

    Returns:
        One row per (estimator label, base, family, strength, n, standardize) with the
        columns :data:`TABLE_COLUMNS` (Δ in nats), sorted by estimator, base, family, strength.

    Raises:
        ValueError: when a column of :data:`PAIRED_COLUMNS` is missing.
    """
    deltas = paired_deltas(results)
    keys = ["label", "paired_base", "variant_family", "variant_strength", "n", "standardize"]
    rows = []
    for key, g in deltas.groupby(keys, sort=True):
        d = g.loc[g["ok"], "delta"].to_numpy(dtype=float)
        mi = float(g["mi_true"].iloc[0])
        low, high = _t_interval(d)
        mean = float(d.mean()) if len(d) else np.nan
        rows.append(
            {
                **dict(
                    zip(
                        ["estimator", "base", "family", "strength", "n", "standardize"],
                        key,
                        strict=True,
                    )
                ),
                "stress": bool(g["variant_stress"].iloc[0]),
                "mi_true": mi,
                "pairs": len(d),
                "failed_pairs": int((~g["ok"] & g["has_base"]).sum()),
                "no_base": int((~g["has_base"]).sum()),
                "delta_mean": mean,
                "delta_sd": float(d.std(ddof=1)) if len(d) > 1 else np.nan,
                "ci_low": low,
                "ci_high": high,
                "rel_shift": abs(mean) / mi if mi > 0 else np.nan,
                "min_distinct": g["min_distinct"].min(),
            }
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def invariance_scores(table: pd.DataFrame) -> pd.DataFrame:
    """The invariance score per (estimator, family, standardize): the largest ``rel_shift``
    of :func:`invariance_table` over strengths, bases and n, with where it was reached.

    Returns:
        Columns :data:`SCORE_COLUMNS`: estimator, family, stress, standardize, score,
        worst_base, worst_strength, worst_n, variants (groups with at least one ok pair) and
        failed_variants (groups with none: the score says nothing about them); a family whose
        variants never had an ok pair has score NaN.
    """
    rows = []
    for (est, family, std), g in table.groupby(["estimator", "family", "standardize"]):
        measured = g[g["pairs"] > 0]
        # the first row of the largest rel_shift (NaN skipped), as idxmax then loc gives it
        worst = measured.iloc[measured["rel_shift"].argmax()] if len(measured) else None
        rows.append(
            {
                "estimator": est,
                "family": family,
                "stress": bool(g["stress"].iloc[0]),
                "standardize": std,
                "score": float(worst["rel_shift"]) if worst is not None else np.nan,
                "worst_base": worst["base"] if worst is not None else None,
                "worst_strength": worst["strength"] if worst is not None else np.nan,
                "worst_n": worst["n"] if worst is not None else np.nan,
                "variants": len(measured),
                "failed_variants": int((g["pairs"] == 0).sum()),
            }
        )
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)
