"""LNC's cells in the committed figures use the adaptive default k (issue #17, item 9).

With the former default k = 5, LNC refused every task with dim_x + dim_y > 5 (750 `error` rows
in the standard heatmap, 240 in the bias-variance figure, 3,400 in the invariance study); its
default k = max(5, dim_x + dim_y + 1) runs wherever n > k.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mibench.baselines.lnc import adaptive_k

FIGURES = Path(__file__).resolve().parents[1] / "results" / "figures"


def lnc_rows(figure: str) -> pd.DataFrame:
    rows = pd.read_parquet(FIGURES / figure / "results.parquet")
    return rows[rows["estimator"] == "lnc"]


@pytest.mark.parametrize("figure", ["standard-heatmap", "bias-variance", "invariance"])
def test_committed_lnc_cells_use_the_adaptive_k(figure):
    rows = lnc_rows(figure)
    assert len(rows) > 0
    assert all(json.loads(p)["k"] is None for p in rows["params_json"])
    ok = rows[rows["status"] == "ok"]
    used = [json.loads(e)["k"] for e in ok["extras_json"]]
    assert used == [adaptive_k(dx, dy) for dx, dy in zip(ok["dim_x"], ok["dim_y"], strict=True)]
    assert (ok["dim_x"] + ok["dim_y"] > 5).any()
    # The only refusals left for k are the cells where n is not above the adaptive k.
    refused = rows[rows["message"].str.contains("neighbours", na=False)]
    assert (
        refused["n"]
        <= [adaptive_k(dx, dy) for dx, dy in zip(refused["dim_x"], refused["dim_y"], strict=True)]
    ).all()


def test_heatmap_lnc_errors_only_where_n_is_at_most_k():
    rows = lnc_rows("standard-heatmap")
    failed = rows[rows["status"] != "ok"]
    assert len(rows) == 1200
    assert set(failed["task_id"]) == {"multinormal-dense-50-50-0.5"} and set(failed["n"]) == {100}
    assert len(failed) == 5
