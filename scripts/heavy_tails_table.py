#!/usr/bin/env python
"""Print the Markdown tables of ``results/heavy-tails/README.md``: on the seven raw Student-t
tasks at n = 10,000, each neural estimator's mean error (nats) and seed-to-seed sd over 5
seeds with its defaults (the committed standard heatmap), with ``normal_scores=True``
(``results/heavy-tails``) and with ``normal_scores=True, quadratic_features=True``
(``results/heavy-tails-quadratic``). All three use the same samples (the data seed depends on
task, n and seed only); the critic initialisations differ.

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
    results = ROOT / "results"
    scored = pd.read_parquet(results / "heavy-tails" / "results.parquet")
    lifted = pd.read_parquet(results / "heavy-tails-quadratic" / "results.parquet")
    heatmap = pd.read_parquet(results / "figures" / "standard-heatmap" / "results.parquet")
    estimators = set(scored["label"].str.replace(r"\[.*", "", regex=True))
    plain = heatmap[
        heatmap["task_id"].isin(set(scored["task_id"]))
        & (heatmap["n"] == 10_000)
        & heatmap["label"].isin(estimators)
    ]
    table = (
        _errors(plain)
        .add_suffix("_z")
        .join(_errors(scored).add_suffix("_ns"))
        .join(_errors(lifted).add_suffix("_q"))
    )
    print(
        "| task | estimator | bias, z-scores | bias, normal scores | bias, normal scores + "
        "squares | sd, z | sd, normal | sd, normal + squares |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (task, est), r in table.iterrows():
        print(
            f"| {task} | {est} | {r.bias_z:+.3f} | {r.bias_ns:+.3f} | {r.bias_q:+.3f} | "
            f"{r.sd_z:.3f} | {r.sd_ns:.3f} | {r.sd_q:.3f} |"
        )
    print()
    print(
        "| estimator | mean abs. error, z-scores | mean abs. error, normal scores | "
        "mean abs. error, normal scores + squares |"
    )
    print("|---|---|---|---|")
    for est, r in table.groupby("estimator")[["mae_z", "mae_ns", "mae_q"]].mean().iterrows():
        print(f"| {est} | {r.mae_z:.3f} | {r.mae_ns:.3f} | {r.mae_q:.3f} |")
    for name, column in (("normal scores", "bias_ns"), ("normal scores + squares", "bias_q")):
        within = int((table[column].abs() < 0.1).sum())
        print(f"\nMean within 0.1 nats with {name}: {within} of {len(table)} pairs.")
    print(f"Largest |bias| with normal scores + squares: {table['bias_q'].abs().max():.3f} nats.")
    _rest_of_suite(heatmap, lifted, estimators, set(scored["task_id"]))


def _rest_of_suite(
    heatmap: pd.DataFrame, lifted: pd.DataFrame, estimators: set[str], student: set[str]
) -> None:
    """The other tasks of the standard suite at n = 10,000: defaults against normal scores +
    squares, a (task, estimator) counted as worse (better) when its mean absolute error grew
    (fell) by more than the defaults' seed-to-seed sd."""
    plain = heatmap[(heatmap["n"] == 10_000) & heatmap["label"].isin(estimators)]
    plain = plain[~plain["task_id"].isin(student)]
    lifted = lifted[~lifted["task_id"].isin(student)]
    table = _errors(plain).add_suffix("_z").join(_errors(lifted).add_suffix("_q"), how="inner")
    change = table["mae_q"] - table["mae_z"]
    worse, better = change > table["sd_z"], -change > table["sd_z"]
    tasks = table.index.get_level_values("task_id").nunique()
    print(
        f"\nThe other {tasks} tasks of the standard suite, {len(table)} (task, estimator) pairs: "
        f"{int(better.sum())} better and {int(worse.sum())} worse by more than the defaults' "
        "seed-to-seed sd.\n"
    )
    print("| estimator | mean abs. error, defaults | mean abs. error, normal scores + squares |")
    print("|---|---|---|")
    for est, r in table.groupby("estimator")[["mae_z", "mae_q"]].mean().iterrows():
        print(f"| {est} | {r.mae_z:.3f} | {r.mae_q:.3f} |")
    print(
        "\nWorse by more than the sd, per task (estimators; mean abs. error, defaults → lifted):\n"
    )
    for task, rows in table[worse].groupby(level="task_id"):
        cells = ", ".join(f"{est} {r.mae_z:.3f} → {r.mae_q:.3f}" for (_, est), r in rows.iterrows())
        print(f"- `{task}`: {cells}")


if __name__ == "__main__":
    main()
