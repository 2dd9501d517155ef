"""The committed heavy-tails results (``results/heavy-tails-quadratic``): every cell ok, every
critic estimator within 0.06 nats of the truth on the Student-t tasks with normal scores and
quadratic features, and the tables of ``results/heavy-tails/README.md`` as the script prints
them from the committed rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "results" / "heavy-tails-quadratic"


def test_the_standard_suite_run_is_complete_and_ok():
    rows = pd.read_parquet(RUN / "results.parquet")
    assert len(rows) == 40 * 7 * 5
    assert (rows["n"] == 10_000).all()
    assert (rows["status"] == "ok").all()
    assert rows["label"].str.contains("normal_scores=True,quadratic_features=True").all()


def test_every_estimator_is_within_0_06_nats_on_the_student_t_tasks():
    rows = pd.read_parquet(RUN / "results.parquet")
    student = rows[rows["task_id"].str.startswith("student-identity-")]
    bias = (
        (student["mi_estimate"] - student["mi_true"])
        .groupby([student["task_id"], student["estimator"]])
        .mean()
    )
    assert len(bias) == 49
    assert bias.abs().max() < 0.06


def test_the_readme_tables_are_those_the_script_prints():
    printed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "heavy_tails_table.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    readme = (ROOT / "results" / "heavy-tails" / "README.md").read_text(encoding="utf-8")
    assert printed in readme
