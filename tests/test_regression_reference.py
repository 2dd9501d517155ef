"""Accuracy regression test: rerun the quick suite and compare it with the committed reference.

``results/reference/quick.csv`` holds a recorded ``mibench run`` of the quick suite
(regenerate it with ``scripts/update_reference.sh``). The classical estimators are rerun here
(seconds) and compared with :func:`mibench.report.compare.compare_results`: being
deterministic, each of their cells must reproduce its reference value to a relative 1e-9.
Every reference cell must also be found again under the same cell id, so a changed default
hyperparameter (e.g. KSG's k) or a bumped task version fails here too, with a hint to
regenerate the reference when the change is intended.

The neural estimator's reference (MINE) is compared with the summary tolerances of the
compare rule; refitting it takes about a minute, so that test runs only with
``MIBENCH_RUN_SLOW=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
import torch

from mibench import tasks as task_registry
from mibench.harness.grid import Grid
from mibench.harness.runner import run_grid
from mibench.harness.store import ResultStore
from mibench.report.compare import DEFAULT_RTOL, compare_results
from mibench.report.load import load_results

REFERENCE = Path(__file__).resolve().parents[1] / "results" / "reference" / "quick.csv"
SUITE = "quick"
CLASSICAL = ["ksg", "histogram", "gaussian"]
NEURAL = ["mine"]
REGENERATE = "if the change is intended, regenerate it with scripts/update_reference.sh"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return load_results(REFERENCE)


def rerun(reference: pd.DataFrame, labels: list[str], run_dir: Path) -> pd.DataFrame:
    """Run the quick suite for ``labels`` with the reference's sample sizes and seeds."""
    ref = reference[reference["label"].isin(labels)]
    grid = Grid(
        tasks=task_registry.list_tasks(SUITE),
        estimators=labels,
        ns=sorted(int(n) for n in ref["n"].unique()),
        seeds=sorted(int(s) for s in ref["seed"].unique()),
        standardize=bool(ref["standardize"].iloc[0]),
        device="cpu",
    )
    with ResultStore(run_dir / "results.sqlite") as store:
        run_grid(grid, store, progress=False)
        return store.results()


def compare_with_reference(reference: pd.DataFrame, labels: list[str], run_dir: Path):
    """Rerun ``labels``, check every cell matches a reference cell, and compare the values."""
    base = reference[reference["label"].isin(labels)]
    assert set(base["label"]) == set(labels), (
        f"{REFERENCE} lacks estimators {sorted(set(labels) - set(base['label']))}; {REGENERATE}"
    )
    result = compare_results(base, rerun(reference, labels, run_dir), rtol=DEFAULT_RTOL)
    unmatched = result.cells[result.cells["side"] != "both"]
    assert unmatched.empty, (
        f"{len(unmatched)} cells of the quick suite and the reference {REFERENCE} do not match "
        "by cell id (a changed default hyperparameter, task version, suite, or seed "
        f"derivation); {REGENERATE}.\n"
        + unmatched[["side", "task_id", "label", "n", "seed"]]
        .astype({"n": "Int64", "seed": "Int64"})
        .sort_values(["task_id", "label", "seed", "side"])
        .head(20)
        .to_string(index=False)
    )
    assert not result.regressed, f"{result.to_text()}\n({REGENERATE})"
    return result


def test_classical_estimators_reproduce_reference(reference, tmp_path):
    result = compare_with_reference(reference, CLASSICAL, tmp_path)
    cells = result.cells
    assert cells["deterministic"].all(), "the classical estimators must declare deterministic"
    assert (cells["status_new"] == cells["status_base"]).all()
    ok = cells[cells["status_new"] == "ok"]
    assert len(ok) > 0
    assert (ok["rel_diff"] <= DEFAULT_RTOL).all()


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("MIBENCH_RUN_SLOW") != "1",
    reason="refits MINE 24 times (a minute); set MIBENCH_RUN_SLOW=1",
)
def test_neural_estimator_within_reference_tolerance(reference, tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as scripts/update_reference.sh; several times faster on 2 cores
    try:
        result = compare_with_reference(reference, NEURAL, tmp_path)
    finally:
        torch.set_num_threads(threads)
    assert (result.summary["side"] == "both").all()
