#!/usr/bin/env python
"""Print the tables of ``results/model-selection/README.md``: two model-selection protocols of
the neural estimators on the quick suite (n = 2,000, 3 seeds).

* ``test``: the default; the evaluation is selected (and training stopped) on the held-out
  part (``test_fraction=0.5``) whose readout is reported.
* ``validation``: ``test_fraction=0.25, validation_fraction=0.25``; selected on the
  validation part, the test readout at that evaluation reported. Its rows also give the
  optimism of the first protocol directly: the validation readout at the selected step
  (what selecting and reporting on one part gives) minus the test readout there.

Usage: ``python scripts/model_selection_table.py`` from the repository root.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    rows = pd.read_parquet(ROOT / "results" / "model-selection" / "results.parquet")
    rows = rows.assign(
        protocol=rows["label"]
        .str.contains("validation_fraction")
        .map({True: "validation", False: "test"}),
        estimator=rows["label"].str.replace(r"\[.*", "", regex=True),
        error=rows["mi_estimate"] - rows["mi_true"],
        validation_value=rows["extras_json"].map(lambda s: json.loads(s).get("validation_value")),
    )
    print("| estimator | protocol | cells | bias (nats) | mean abs. error (nats) |")
    print("|---|---|---|---|---|")
    for (est, protocol), g in rows.groupby(["estimator", "protocol"]):
        print(
            f"| {est} | {protocol} | {len(g)} | {g['error'].mean():+.4f} | "
            f"{g['error'].abs().mean():.4f} |"
        )
    val = rows[rows["protocol"] == "validation"]
    optimism = val["validation_value"] - val["mi_estimate"]
    print("\n| estimator | optimism: mean (nats) | sd | cells |")
    print("|---|---|---|---|")
    for est, o in optimism.groupby(val["estimator"]):
        print(f"| {est} | {o.mean():+.4f} | {o.std():.4f} | {len(o)} |")
    se = optimism.std() / len(optimism) ** 0.5
    print(
        f"| all | {optimism.mean():+.4f} (standard error {se:.4f}) | "
        f"{optimism.std():.4f} | {len(optimism)} |"
    )


if __name__ == "__main__":
    main()
