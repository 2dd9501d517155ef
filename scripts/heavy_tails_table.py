#!/usr/bin/env python
"""Print the Markdown table of ``results/heavy-tails/README.md``: on the seven raw Student-t
tasks at n = 10,000, each neural estimator's mean error (nats) and seed-to-seed sd over 5
seeds with its defaults (the committed standard heatmap) and with ``normal_scores=True``
(``results/heavy-tails``). Both use the same samples (the data seed depends on task, n and
seed only); the critic initialisations differ.

Usage: ``python scripts/heavy_tails_table.py`` from the repository root.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _errors(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.assign(
        estimator=rows["label"].str.replace(r"\[.*", "", regex=True),
        error=rows["mi_estimate"] - rows["mi_true"],
    )
    grouped = rows.groupby(["task_id", "estimator"])
    return pd.DataFrame(
        {
            "bias": grouped["error"].mean(),
            "sd": grouped["mi_estimate"].std(),
            "mae": grouped["error"].apply(lambda e: e.abs().mean()),
        }
    )


def main() -> None:
    scored = pd.read_parquet(ROOT / "results" / "heavy-tails" / "results.parquet")
    heatmap = pd.read_parquet(ROOT / "results" / "figures" / "standard-heatmap" / "results.parquet")
    estimators = set(scored["label"].str.replace(r"\[.*", "", regex=True))
    plain = heatmap[
        heatmap["task_id"].isin(set(scored["task_id"]))
        & (heatmap["n"] == 10_000)
        & heatmap["label"].isin(estimators)
    ]
    table = _errors(plain).add_suffix("_z").join(_errors(scored).add_suffix("_ns"))
    print("| task | estimator | bias, z-scores | bias, normal scores | sd, z | sd, normal |")
    print("|---|---|---|---|---|---|")
    for (task, est), r in table.iterrows():
        print(
            f"| {task} | {est} | {r.bias_z:+.3f} | {r.bias_ns:+.3f} | {r.sd_z:.3f} | "
            f"{r.sd_ns:.3f} |"
        )
    print()
    print("| estimator | mean abs. error, z-scores | mean abs. error, normal scores |")
    print("|---|---|---|")
    for est, r in table.groupby("estimator")[["mae_z", "mae_ns"]].mean().iterrows():
        print(f"| {est} | {r.mae_z:.3f} | {r.mae_ns:.3f} |")
    within = int((table["bias_ns"].abs() < 0.1).sum())
    print(f"\nMean within 0.1 nats with normal scores: {within} of {len(table)} pairs.")


if __name__ == "__main__":
    main()
