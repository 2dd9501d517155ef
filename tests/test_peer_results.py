"""The committed peer results of bmi on the Student-t tasks (issue #18): complete, with their
versions, and the comparison table is what its script computes from them and the heatmap."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "results" / "peers" / "bmi-student"
SCRIPT = ROOT / "scripts" / "bmi_peer_student.py"


def test_bmi_results_cover_every_student_task_estimator_and_seed():
    rows = pd.read_csv(FOLDER / "results.csv")
    tasks = {
        f"student-identity-{s}"
        for s in ("1-1-1", "2-2-1", "2-2-2", "3-3-2", "3-3-3", "5-5-2", "5-5-3")
    }
    assert set(rows["task_id"]) == tasks
    assert set(rows["estimator"]) == {"mine", "infonce", "nwj", "dv"}
    assert len(rows) == len(rows.drop_duplicates(["task_id", "estimator", "seed"])) == 7 * 4 * 5
    assert (rows["n"] == 10_000).all() and set(rows["seed"]) == set(range(5))
    assert set(rows["bmi_version"]) == {"0.1.3"} and set(rows["jax_version"]) == {"0.4.30"}
    assert rows["mi_estimate"].notna().all()


def test_comparison_is_recomputed_from_the_committed_rows(tmp_path):
    shutil.copyfile(FOLDER / "results.csv", tmp_path / "results.csv")
    runpy.run_path(str(SCRIPT))["compare"](tmp_path)
    again = pd.read_csv(tmp_path / "comparison.csv")
    committed = pd.read_csv(FOLDER / "comparison.csv")
    pd.testing.assert_frame_equal(again, committed)
    assert len(committed) == 28 and (committed["seeds"] == 5).all()
