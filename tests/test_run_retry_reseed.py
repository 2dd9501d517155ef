"""`--retry-failed --reseed`: a failed trained cell reruns with a new seed, marked, its first
attempt kept and counted."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from mibench.cli import main
from mibench.estimate import Estimate, Status
from mibench.estimator import Estimator
from mibench.harness.cells import Cell, reseeded_seed
from mibench.harness.grid import Grid
from mibench.harness.runner import execute, run_grid
from mibench.harness.store import ResultStore
from mibench.registry import register_estimator
from mibench.report.metrics import summarize
from mibench.tasks import get_task

TASK = "1v1-normal-0.75"
#: The flagged value of a divergence (kept by the store, as a neural fit below −1 nat is).
DIVERGED_VALUE = -2.0


class DivergesOnEvenSeed(Estimator):
    """Test estimator, trained in spirit: diverges (flagged value) when its seed is even,
    answers 0.5 otherwise; records the seed it received."""

    name = "test-diverge"
    deterministic = False

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def _estimate(self, x, y) -> Estimate:
        extras = {"seed": self.seed}
        if self.seed % 2 == 0:
            return Estimate(
                value=DIVERGED_VALUE,
                status=Status.DIVERGED,
                message="training diverged (test: even seed)",
                extras=extras,
            )
        return Estimate(value=0.5, extras=extras)


class BatchedDiverges(DivergesOnEvenSeed):
    """The same, trained as a batched group of seeds (the engine's GroupJob, as neural)."""

    name = "test-diverge-batched"

    @classmethod
    def estimate_group(cls, members, xs, ys, *, error_bar=None):
        return [m._estimate(x, y) for m, x, y in zip(members, xs, ys, strict=True)]


for _cls in (DivergesOnEvenSeed, BatchedDiverges):
    register_estimator(_cls.name, _cls, replace=True)


def _pick_seeds(estimator: str) -> dict[str, int]:
    """Replicate seeds of three kinds: ``once`` (first estimator seed even, attempt 2's odd),
    ``twice`` (attempts 1 and 2 even, 3 odd) and ``fine`` (first seed odd)."""
    found: dict[str, int] = {}
    for seed in range(200):
        cell = Grid([get_task(TASK)], [estimator], ns=[100], seeds=[seed]).cells()[0]
        first = cell.estimator_seed
        parity = [first % 2] + [reseeded_seed(first, k) % 2 for k in (2, 3)]
        kind = {(0, 1): "once", (0, 0): "twice"}.get((parity[0], parity[1]), "fine")
        if kind == "twice" and parity[2] == 0:
            continue
        found.setdefault(kind, seed)
        if len(found) == 3:
            return found
    raise AssertionError("no seeds of every kind")


def _grid(estimator: str, seeds: list[int]) -> Grid:
    return Grid([get_task(TASK)], [estimator], ns=[100], seeds=seeds)


def _rows(store: ResultStore) -> list[dict]:
    """The stored results, each with its extras parsed (``"extras"``)."""
    return [
        {**r, "extras": json.loads(r["extras_json"])} for r in store.results().to_dict("records")
    ]


def _by_seed(store: ResultStore) -> dict[int, dict]:
    return {int(r["seed"]): r for r in _rows(store)}


@pytest.mark.parametrize("estimator", ["test-diverge", "test-diverge-batched"])
def test_reseed_reruns_failed_cells_with_new_seeds_and_keeps_the_first_attempt(estimator):
    kinds = _pick_seeds(estimator)
    grid = _grid(estimator, sorted(kinds.values()))
    cells = {c.seed: c for c in grid.cells()}
    with ResultStore(":memory:") as store:
        first = run_grid(grid, store, progress=False)
        assert (first.run, first.failed, first.retried) == (3, 2, 0)
        before = _by_seed(store)
        retry = run_grid(grid, store, retry_failed=True, reseed=True, progress=False)
        assert (retry.skipped, retry.run, retry.failed) == (1, 2, 1)
        assert (retry.retried, retry.reseeded) == (2, 2)
        assert "2 of them retried failed cells (2 with a new seed)" in retry.text()
        second = _by_seed(store)
        third_run = run_grid(grid, store, retry_failed=True, reseed=True, progress=False)
        assert (third_run.run, third_run.failed, third_run.reseeded) == (1, 0, 1)
        third = _by_seed(store)
        summary = summarize(store.results())

    assert set(third) == set(before) and len(third) == 3
    assert {r["cell_id"] for r in third.values()} == {c.cell_id for c in cells.values()}

    fine = third[kinds["fine"]]
    assert fine["status"] == "ok" and "attempt" not in fine["extras"]
    assert fine["extras"]["seed"] == cells[kinds["fine"]].estimator_seed

    once = third[kinds["once"]]
    seed1 = cells[kinds["once"]].estimator_seed
    seed2 = reseeded_seed(seed1, 2)
    assert before[kinds["once"]]["extras"]["seed"] == seed1
    assert once["status"] == "ok" and once["mi_estimate"] == 0.5
    assert once["extras"]["seed"] == seed2 != seed1  # the estimator got the new seed
    assert once["extras"]["estimator_seed"] == seed2
    assert (once["extras"]["attempt"], once["extras"]["reseeded_from"]) == (2, seed1)
    assert once["extras"]["previous_attempts"] == [
        {
            "attempt": 1,
            "status": "diverged",
            "message": "training diverged (test: even seed)",
            "value": DIVERGED_VALUE,
            "estimator_seed": seed1,
        }
    ]
    assert once["message"].startswith(f"reseeded retry: attempt 2 with estimator seed {seed2} ")
    assert f"attempt 1 with seed {seed1} was diverged" in once["message"]

    twice = third[kinds["twice"]]
    seed1 = cells[kinds["twice"]].estimator_seed
    seeds = [seed1, reseeded_seed(seed1, 2), reseeded_seed(seed1, 3)]
    assert second[kinds["twice"]]["status"] == "diverged"
    assert second[kinds["twice"]]["extras"]["seed"] == seeds[1]
    assert second[kinds["twice"]]["message"].startswith("reseeded retry: attempt 2")
    assert twice["status"] == "ok" and twice["extras"]["seed"] == seeds[2]
    assert (twice["extras"]["attempt"], twice["extras"]["reseeded_from"]) == (3, seeds[1])
    history = twice["extras"]["previous_attempts"]
    assert [(h["attempt"], h["status"], h["estimator_seed"]) for h in history] == [
        (1, "diverged", seeds[0]),
        (2, "diverged", seeds[1]),
    ]
    assert history[1]["message"].startswith("reseeded retry: attempt 2")

    (row,) = summary.to_dict("records")
    assert row["failure_rate"] == 0.0 and row["n_ok"] == 3
    assert row["first_attempt_failure_rate"] == pytest.approx(2 / 3)
    assert (row["n_retried"], row["n_reseeded"]) == (2, 2)


def test_plain_retry_repeats_the_seed_and_still_records_the_attempts():
    kinds = _pick_seeds("test-diverge")
    grid = _grid("test-diverge", [kinds["once"]])
    with ResultStore(":memory:") as store:
        run_grid(grid, store, progress=False)
        retry = run_grid(grid, store, retry_failed=True, progress=False)
        (row,) = _by_seed(store).values()
        summary = summarize(store.results()).iloc[0]
    seed = grid.cells()[0].estimator_seed
    assert (retry.retried, retry.reseeded, retry.failed) == (1, 0, 1)
    assert row["status"] == "diverged" and row["extras"]["seed"] == seed
    assert row["extras"]["estimator_seed"] == seed and "reseeded_from" not in row["extras"]
    assert row["extras"]["attempt"] == 2 and len(row["extras"]["previous_attempts"]) == 1
    assert row["message"] == "training diverged (test: even seed)"
    assert summary["failure_rate"] == summary["first_attempt_failure_rate"] == 1.0
    assert (summary["n_retried"], summary["n_reseeded"]) == (1, 0)


def test_deterministic_and_fixed_seed_cells_are_retried_as_configured():
    kinds = _pick_seeds("test-diverge")
    grid = Grid(
        [get_task(TASK)], ["test-fail", "test-diverge[seed=4]"], ns=[100], seeds=[kinds["once"]]
    )
    with ResultStore(":memory:") as store:
        run_grid(grid, store, progress=False)
        retry = run_grid(grid, store, retry_failed=True, reseed=True, progress=False)
        rows = {r["label"]: r for r in _rows(store)}
    assert (retry.retried, retry.reseeded, retry.failed) == (2, 0, 2)
    fixed = rows["test-diverge[seed=4]"]
    assert fixed["extras"]["seed"] == 4 and "reseeded_from" not in fixed["extras"]
    assert "estimator_seed" not in fixed["extras"]  # the configuration fixes it
    assert not fixed["message"].startswith("reseeded")
    fail = rows["test-fail"]
    assert fail["status"] == "error" and fail["extras"]["attempt"] == 2
    assert fail["extras"]["previous_attempts"][0]["status"] == "error"


def test_reseed_needs_retry_failed():
    grid = _grid("test-diverge", [0])
    with ResultStore(":memory:") as store:
        with pytest.raises(ValueError, match="reseed=True needs retry_failed=True"):
            execute(grid.cells(), grid.tasks, store, reseed=True, progress=False)
    result = CliRunner().invoke(
        main,
        ["run", "--tasks", TASK, "--estimators", "test-diverge", "--reseed", "--quiet"],
    )
    assert result.exit_code == 2 and "--reseed needs --retry-failed" in result.output


def test_reseed_attempt_is_not_part_of_the_cell():
    cell = _grid("test-diverge", [0]).cells()[0]
    again = Cell(**{**cell.__dict__, "reseed_attempt": 2})
    assert again.cell_id == cell.cell_id and again.params_key == cell.params_key
    assert again.data_seed == cell.data_seed
    assert again.estimator_seed == reseeded_seed(cell.estimator_seed, 2) != cell.estimator_seed
    for bad in (1, 0, True, 2.0):
        with pytest.raises(ValueError, match="reseed_attempt must be None or an int >= 2"):
            Cell(**{**cell.__dict__, "reseed_attempt": bad})


def test_cli_retry_failed_reseed(tmp_path):
    kinds = _pick_seeds("test-diverge")
    seeds = max(kinds.values()) + 1
    args = ["run", "--tasks", TASK, "--estimators", "test-diverge", "--n", "100"]
    args += ["--seeds", str(seeds), "--run-dir", str(tmp_path / "run"), "--quiet"]
    first = CliRunner().invoke(main, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    failed = int((pd.read_csv(tmp_path / "run" / "results.csv")["status"] != "ok").sum())
    assert failed >= 2
    retry = CliRunner().invoke(main, [*args, "--retry-failed", "--reseed"], catch_exceptions=False)
    assert retry.exit_code == 0, retry.output
    assert f"{failed} of them retried failed cells ({failed} with a new seed)" in retry.output
    summary = pd.read_csv(tmp_path / "run" / "summary.csv")
    assert summary["first_attempt_failure_rate"].iloc[0] == pytest.approx(failed / seeds)
    assert summary["failure_rate"].iloc[0] < summary["first_attempt_failure_rate"].iloc[0]
    assert summary["n_reseeded"].iloc[0] == failed
    results = pd.read_parquet(tmp_path / "run" / "results.parquet")
    marked = results[results["message"].str.startswith("reseeded retry", na=False)]
    assert len(marked) == failed
