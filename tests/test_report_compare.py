"""Comparison of two result sets: tolerance rule, per-cell checks, `mibench compare` exit status."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mibench.cli import main
from mibench.harness.schema import RESULT_COLUMNS
from mibench.harness.store import ResultStore
from mibench.report.compare import compare_results

SEEDS = 10
# fixed zero-mean, unit-sd offsets, so every group has an exactly known mean and sd
_OFFSETS = np.linspace(-1.0, 1.0, SEEDS)
_OFFSETS = (_OFFSETS - _OFFSETS.mean()) / _OFFSETS.std(ddof=1)


def _results(bias=0.0, sd=0.01, shift_label="test-seeded", det_change=0.0, status=None):
    """A results table: 'test-corr' (deterministic) and 'test-seeded' (not) on one task.

    ``bias``/``sd`` set the mean error and spread of ``shift_label``; ``det_change`` is added
    to test-corr's seed-0 estimate; ``status`` (if set) replaces test-corr's seed-1 status.
    """
    rows = []
    true = 0.4133
    for label in ("test-corr", "test-seeded"):
        for seed, z in enumerate(_OFFSETS):
            value = true + 0.01 * z
            if label == shift_label:
                value = true + bias + sd * z
            if label == "test-corr" and seed == 0:
                value += det_change
            st = status if (status and label == "test-corr" and seed == 1) else "ok"
            rows.append(
                {
                    "cell_id": f"{label}-{seed}",
                    "task_id": "1v1-normal-0.75",
                    "label": label,
                    "estimator": label,
                    "deterministic": int(label == "test-corr"),
                    "n": 1000,
                    "seed": seed,
                    "mi_true": true,
                    "mi_estimate": value if st == "ok" else None,
                    "status": st,
                    "wall_seconds": 0.1,
                    "samples_per_second": 1e4,
                    "steps_per_second": None,
                }
            )
    return pd.DataFrame(rows)


def test_identical_results_do_not_regress():
    base = _results()
    res = compare_results(base, base.copy())
    assert not res.regressed
    assert (res.summary["side"] == "both").all() and not res.summary["moved"].any()
    assert res.cells["deterministic"].tolist() == [True] * SEEDS + [False] * SEEDS


def test_bias_beyond_tolerance_regresses_and_within_does_not():
    base = _results(bias=0.0, sd=0.01)
    # se of the bias difference = sqrt(2) * 0.01 / sqrt(10) ≈ 0.0045, so atol = 0.02 rules
    res = compare_results(base, _results(bias=0.05, sd=0.01), atol=0.02)
    row = res.summary.set_index("label").loc["test-seeded"]
    assert row["tolerance"] == pytest.approx(0.02)
    assert row["d_abs_bias"] == pytest.approx(0.05)
    assert res.regressed and "|bias| grew" in row["reason"]
    assert not compare_results(base, _results(bias=0.015, sd=0.01), atol=0.02).regressed
    # an improvement moves but does not regress
    better = compare_results(_results(bias=0.05), _results(bias=0.0))
    assert better.summary["moved"].any() and not better.regressed
    assert "improved" in better.summary["reason"].tolist()


def test_tolerance_grows_with_the_standard_error():
    noisy = 0.2  # se = sqrt(2 · 0.2² / 10) ≈ 0.089; 3 se ≈ 0.27 > the 0.05 shift
    res = compare_results(_results(sd=noisy), _results(bias=0.05, sd=noisy), atol=0.02)
    row = res.summary.set_index("label").loc["test-seeded"]
    assert row["tolerance"] == pytest.approx(3 * np.sqrt(2 * noisy**2 / SEEDS))
    assert not res.regressed


def test_deterministic_cell_change_and_lost_ok_cell_regress():
    base = _results()
    changed = compare_results(base, _results(det_change=1e-6))
    bad = changed.cells[changed.cells["regressed"]]
    assert bad["cell_id"].tolist() == ["test-corr-0"]
    assert changed.regressed and not changed.summary["regressed"].any()
    # a change within rtol passes; the same change on a non-deterministic estimator passes
    assert not compare_results(base, _results(det_change=1e-12)).regressed
    assert not compare_results(base, _results(det_change=1e-6), rtol=1e-3).regressed
    failed = compare_results(base, _results(status="error"))
    assert failed.cells.set_index("cell_id").loc["test-corr-1", "reason"] == "ok → error"
    assert failed.regressed


def test_cells_on_one_side_only_are_reported_not_regressions():
    base = _results()
    new = pd.concat([base.iloc[1:], base.iloc[[0]].assign(cell_id="extra", seed=99)])
    res = compare_results(base, new)
    sides = res.cells.set_index("cell_id")["side"]
    assert sides["test-corr-0"] == "base only" and sides["extra"] == "new only"
    assert not res.regressed
    assert "1 only in BASE, 1 only in NEW" in res.to_text()


def test_determinism_comes_from_the_rows_never_from_the_registry():
    # an estimator name that is not registered anywhere, marked deterministic in its rows
    base = _results().replace({"test-corr": "not-registered"})
    new = base.copy()
    new.loc[new["cell_id"] == "test-corr-0", "mi_estimate"] += 1e-6
    res = compare_results(base, new)
    assert res.regressed and res.cells["deterministic"].sum() == SEEDS
    # the registered deterministic test-corr, in rows that do not say so, is not checked
    changed = _results(det_change=1e-6)
    res = compare_results(_results().drop(columns="deterministic"), changed)
    assert not res.cells["deterministic"].any() and not res.regressed


def _write_sqlite(df, path):
    with ResultStore(path) as store:
        for row in df.to_dict("records"):
            store.write(
                {k: (None if pd.isna(v) else v) for k, v in row.items() if k in RESULT_COLUMNS}
            )


def test_compare_command_exit_status_and_file_kinds(tmp_path):
    base, shifted = _results(), _results(bias=0.1)
    base.to_csv(tmp_path / "base.csv", index=False)
    shifted.to_parquet(tmp_path / "new.parquet")
    run = tmp_path / "run"
    _write_sqlite(base, run / "results.sqlite")
    runner = CliRunner()
    res = runner.invoke(main, ["compare", str(tmp_path / "base.csv"), str(run)])
    assert res.exit_code == 0, res.output
    assert "no regression" in res.output
    res = runner.invoke(
        main,
        [
            "compare",
            str(run / "results.sqlite"),
            str(tmp_path / "new.parquet"),
            "--out",
            str(tmp_path / "cmp"),
        ],
    )
    assert res.exit_code == 1, res.output
    assert "Summaries that moved" in res.output and "|bias| grew" in res.output
    assert (tmp_path / "cmp" / "compare_summary.csv").stat().st_size > 0
    res = runner.invoke(main, ["compare", str(run), str(tmp_path / "new.parquet"), "--atol", "0.5"])
    assert res.exit_code == 0, res.output
    _results(det_change=1e-6).to_csv(tmp_path / "det.csv", index=False)
    res = runner.invoke(main, ["compare", str(run), str(tmp_path / "det.csv")])
    assert res.exit_code == 1 and "deterministic value changed" in res.output
    res = runner.invoke(main, ["compare", str(run), str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "nothing" in res.output


def test_compare_fails_when_nothing_was_compared(tmp_path):
    base = _results()
    other = base.assign(label=base["label"] + "[k=10]", cell_id=base["cell_id"] + "-k10")
    base.to_csv(tmp_path / "base.csv", index=False)
    other.to_csv(tmp_path / "other.csv", index=False)
    res = CliRunner().invoke(
        main, ["compare", str(tmp_path / "base.csv"), str(tmp_path / "other.csv")]
    )
    assert res.exit_code == 1
    assert "nothing compared" in res.output
    assert compare_results(base, other).compared == 0
    assert compare_results(base, base).compared == 2
