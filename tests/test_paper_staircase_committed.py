"""The committed nats staircase (issue #17, item 11): the separable critic at Song & Ermon's
depth, every run finite.

With two hidden layers the cubic staircase's separable critic made NWJ and MINE-f non-finite
at step 5,870 and MINE's readout end near −1e8 nats; with the published three layers every
run trains through all 20,000 steps (docs/figures.md, the staircase section).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mibench.paper.scale import Scale
from mibench.paper.staircase import POOLE

FOLDER = Path(__file__).resolve().parents[1] / "results" / "figures" / "staircase"
STEPS = 5 * 4000


@pytest.fixture(scope="module")
def committed() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(FOLDER / "results.parquet"), pd.read_parquet(FOLDER / "traces.parquet")


def test_separable_critic_has_the_published_depth():
    assert dict(POOLE.critics) == {"joint": (256, 256), "separable": (256, 256, 256)}


def test_committed_rows_are_exactly_the_figure_plan(committed):
    results, _ = committed
    assert sorted(results["cell_id"]) == sorted(POOLE.work(Scale(1.0)).cell_ids())
    keys = POOLE.keys(Scale(1.0)).set_index("cell_id")["critic"]
    hidden = {
        (keys[cell], tuple(json.loads(p)["hidden"]))
        for cell, p in zip(results["cell_id"], results["params_json"], strict=True)
    }
    assert hidden == {("joint", (256, 256)), ("separable", (256, 256, 256))}


def test_every_run_trains_through_the_whole_staircase(committed):
    results, traces = committed
    per_run = traces.groupby("cell_id").agg(
        steps=("step", "size"),
        finite=("train_value", lambda v: bool(np.isfinite(v).all())),
        lowest=("train_value", "min"),
    )
    runs = results.set_index("cell_id")[["estimator", "task_id", "status"]].join(per_run)
    assert (runs["steps"] == STEPS).all(), runs[runs["steps"] != STEPS]
    assert runs["finite"].all()
    # JSD's per-step NWJ readout has a heavy negative tail (the published code's too), which
    # the last-100 mean may flag; every other bound ends ok.
    others = runs[runs["estimator"] != "jsd"]
    assert (others["status"] == "ok").all(), others[others["status"] != "ok"]
    cubic = runs[runs["task_id"].str.startswith("staircase-cubic")]
    assert (cubic.loc[cubic["estimator"] == "mine", "lowest"] > -1e3).all()
