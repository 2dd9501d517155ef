"""Coverage of the stored 95 % intervals against hand-computed values on a hand-made table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from mibench.cli import main
from mibench.report.coverage import (
    COVERAGE_COLUMNS,
    COVERAGE_LEVEL,
    coverage_table,
    has_intervals,
)
from mibench.report.tables import write_report

TRUE = 0.5


def _row(task, label, n, seed, estimate, low, high, *, method, stderr=None, status="ok"):
    return {
        "cell_id": f"{task}-{label}-{n}-{seed}",
        "task_id": task,
        "label": label,
        "estimator": label,
        "n": n,
        "seed": seed,
        "mi_true": TRUE,
        "mi_estimate": estimate,
        "status": status,
        "wall_seconds": 0.1,
        "samples_per_second": 1000.0,
        "steps_per_second": np.nan,
        "mi_stderr": np.nan if stderr is None else stderr,
        "error_bar": method,
        "mi_ci_low": np.nan if low is None else low,
        "mi_ci_high": np.nan if high is None else high,
    }


#: Ten seeds of ``ksg`` at n = 100 with intervals of half-width 0.1 (+ 0.01 per seed) around
#: the estimate; seeds 0–6 cover 0.5, seeds 7–9 do not.
ESTIMATES = [0.45, 0.5, 0.55, 0.48, 0.52, 0.5, 0.56, 0.7, 0.3, 0.75]


def _ksg_rows(task="a", n=100):
    rows = []
    for seed, est in enumerate(ESTIMATES):
        half = 0.1 + 0.01 * seed
        rows.append(
            _row(
                task,
                "ksg",
                n,
                seed,
                est,
                est - half,
                est + half,
                method="subsampling",
                stderr=half / 1.96,
            )  # fmt: skip
        )
    return rows


def _table():
    rows = _ksg_rows()
    # A diverged seed with a (covering) interval and an ok seed whose error bar failed.
    rows.append(_row("a", "ksg", 100, 10, 0.5, 0.4, 0.6, method="subsampling", status="diverged"))
    rows.append(_row("a", "ksg", 100, 11, 0.62, None, None, method=None))
    # An estimator without error bars: no coverage.
    rows += [_row("a", "gauss", 100, s, 0.49 + 0.01 * s, None, None, method=None) for s in range(3)]
    return pd.DataFrame(rows)


def _wilson(k, m):
    """The Wilson score 95 % interval, by its closed form."""
    z = stats.norm.ppf(0.975)
    p = k / m
    centre = (p + z**2 / (2 * m)) / (1 + z**2 / m)
    half = z / (1 + z**2 / m) * math.sqrt(p * (1 - p) / m + z**2 / (4 * m**2))
    return centre - half, centre + half


def test_coverage_values_match_hand_computation():
    df = _table()
    cov = coverage_table(df)
    assert list(cov.columns) == COVERAGE_COLUMNS
    assert COVERAGE_LEVEL == 0.95
    assert list(cov["label"]) == ["ksg"]  # gauss has no interval and is absent
    r = cov.iloc[0]
    assert (r["task_id"], r["n"], r["error_bar"], r["estimator"]) == (
        "a",
        100,
        "subsampling",
        "ksg",
    )
    assert r["mi_true"] == TRUE
    assert r["n_ok"] == 11  # ten seeds and the one whose error bar failed; not the diverged one
    assert r["n_intervals"] == 10
    assert r["coverage"] == pytest.approx(0.7)
    assert r["coverage_se"] == pytest.approx(math.sqrt(0.21 / 10))
    low, high = _wilson(7, 10)
    assert (r["coverage_low"], r["coverage_high"]) == (pytest.approx(low), pytest.approx(high))
    ci = stats.binomtest(7, 10).proportion_ci(method="wilson")
    assert (r["coverage_low"], r["coverage_high"]) == (
        pytest.approx(ci.low),
        pytest.approx(ci.high),
    )
    assert r["coverage_low"] == pytest.approx(0.3968, abs=1e-4)
    assert r["coverage_high"] == pytest.approx(0.8922, abs=1e-4)
    widths = [2 * (0.1 + 0.01 * s) for s in range(10)]
    assert r["mean_width"] == pytest.approx(np.mean(widths))  # 0.29
    assert r["mean_width"] == pytest.approx(0.29)
    assert r["mean_stderr"] == pytest.approx(0.145 / 1.96)
    sd = np.std([*ESTIMATES, 0.62], ddof=1)
    assert r["sd"] == pytest.approx(sd)
    assert r["stderr_ratio"] == pytest.approx(0.145 / 1.96 / sd)


def test_a_row_that_is_not_ok_never_counts():
    rows = [_row("a", "e", 50, s, 0.5, 0.4, 0.6, method="bootstrap") for s in range(2)]
    rows += [_row("a", "e", 50, s, 0.9, 0.8, 1.0, method="bootstrap", status="diverged")
             for s in (2, 3)]  # fmt: skip
    r = coverage_table(pd.DataFrame(rows)).iloc[0]
    assert (r["n_ok"], r["n_intervals"], r["coverage"]) == (2, 2, 1.0)
    assert r["coverage_se"] == 0.0
    assert r["coverage_high"] == pytest.approx(1.0)
    assert r["sd"] == 0.0 and math.isnan(r["stderr_ratio"])
    assert math.isnan(r["mean_stderr"])  # no stderr stored
    only_diverged = pd.DataFrame(rows[2:])
    assert not has_intervals(only_diverged)
    assert coverage_table(only_diverged).empty


def test_a_single_seed_has_no_sd_and_a_wide_wilson_interval():
    r = coverage_table(pd.DataFrame([_row("a", "e", 50, 0, 0.7, 0.6, 0.8, method="held-out",
                                          stderr=0.05)])).iloc[0]  # fmt: skip
    assert (r["n_intervals"], r["coverage"]) == (1, 0.0)
    assert math.isnan(r["sd"]) and math.isnan(r["stderr_ratio"])
    assert r["coverage_low"] == pytest.approx(0.0, abs=1e-12)
    assert r["coverage_high"] == pytest.approx(_wilson(0, 1)[1])


def test_groups_keep_their_order_of_first_appearance():
    df = pd.DataFrame([*_ksg_rows("b", 300), *_ksg_rows("a", 100), *_ksg_rows("b", 100)])
    cov = coverage_table(df)
    assert list(zip(cov["task_id"], cov["n"], strict=True)) == [("b", 300), ("a", 100), ("b", 100)]
    assert cov["coverage"].tolist() == pytest.approx([0.7, 0.7, 0.7])


def test_mixed_methods_are_split_by_method():
    rows = [_row("a", "e", 100, s, 0.5, 0.45, 0.55, method="seeds") for s in range(4)]
    rows += [_row("a", "e", 100, s, 0.5, 0.6, 0.7, method="held-out") for s in range(4, 6)]
    rows.append(_row("a", "e", 100, 6, 0.5, None, None, method=None))  # joins no split
    cov = coverage_table(pd.DataFrame(rows))
    assert cov["error_bar"].tolist() == ["seeds", "held-out"]
    assert cov["n_ok"].tolist() == [4, 2]
    assert cov["n_intervals"].tolist() == [4, 2]
    assert cov["coverage"].tolist() == [1.0, 0.0]
    assert cov["mean_width"].tolist() == pytest.approx([0.1, 0.1])


def test_labels_name_one_configuration_each():
    rows = _ksg_rows()
    for r in rows:
        r.update(params_json='{"k": 3}' if r["seed"] < 5 else '{"k": 5}', standardize=True)
    cov = coverage_table(pd.DataFrame(rows))
    assert cov["label"].tolist() == ["ksg[k=3]", "ksg[k=5]"]
    assert cov["coverage"].tolist() == pytest.approx([1.0, 0.4])


def test_tables_without_interval_columns_or_columns_needed():
    old = _table().drop(columns=["error_bar", "mi_ci_low", "mi_ci_high"])
    assert not has_intervals(old)
    empty = coverage_table(old)
    assert empty.empty and list(empty.columns) == COVERAGE_COLUMNS
    with pytest.raises(ValueError, match=r"lacks required columns \['error_bar'\]"):
        coverage_table(_table().drop(columns=["error_bar"]))
    with pytest.raises(ValueError, match=r"lacks required columns \['mi_true'\]"):
        coverage_table(_table().drop(columns=["mi_true"]))
    no_intervals = _table().assign(mi_ci_low=np.nan, mi_ci_high=np.nan, error_bar=None)
    assert not has_intervals(no_intervals)
    assert coverage_table(no_intervals).empty
    assert has_intervals(_table())


def test_an_inverted_interval_is_refused():
    df = pd.DataFrame([_row("a", "e", 100, 0, 0.5, 0.6, 0.4, method="bootstrap")])
    with pytest.raises(ValueError, match=r"'label': 'e'.*mi_ci_low > mi_ci_high"):
        coverage_table(df)


def test_write_report_writes_coverage_only_when_there_are_intervals(tmp_path):
    written = write_report(_table(), tmp_path / "with")
    for suffix in (".csv", ".md", ".tex"):
        assert tmp_path / "with" / f"coverage{suffix}" in written
    table = pd.read_csv(tmp_path / "with" / "coverage.csv")
    assert list(table.columns) == COVERAGE_COLUMNS
    assert table["coverage"].tolist() == pytest.approx([0.7])
    md = (tmp_path / "with" / "coverage.md").read_text()
    assert "subsampling" in md and "0.70" in md and "stderr/sd" in md
    assert "\\toprule" in (tmp_path / "with" / "coverage.tex").read_text()

    old = _table().drop(columns=["error_bar", "mi_ci_low", "mi_ci_high"])
    written = write_report(old, tmp_path / "without")
    assert not list((tmp_path / "without").glob("coverage*"))
    assert all("coverage" not in p.name for p in written)
    assert (tmp_path / "without" / "summary.csv").is_file()


def test_mibench_report_lists_the_coverage_files(tmp_path):
    _table().to_csv(tmp_path / "results.csv", index=False)
    res = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert str(tmp_path / "report" / "coverage.csv") in res.output
    table = pd.read_csv(tmp_path / "report" / "coverage.csv")
    assert table["n_ok"].tolist() == [11]


def test_a_cell_stored_twice_under_two_ids_counts_once():
    # A grid run with error_bar="auto" and resumed with the method auto stands for stores the
    # same (task, configuration, n, seed) under two cell ids: reports count it once.
    from mibench.report.metrics import summarize

    rows = []
    for attempt, finished in (("a", "2026-01-01T00:00:00"), ("b", "2026-01-02T00:00:00")):
        for seed in range(4):
            rows.append(
                {
                    "cell_id": f"{attempt}{seed}",
                    "task_id": "t",
                    "label": "ksg",
                    "estimator": "ksg",
                    "params_json": "{}",
                    "standardize": 1,
                    "error_bar": "subsampling",
                    "n": 100,
                    "seed": seed,
                    "mi_true": 0.5,
                    "mi_estimate": 0.4 + 0.01 * seed,
                    "mi_stderr": 0.05,
                    "mi_ci_low": 0.3,
                    "mi_ci_high": 0.45 if seed < 3 else 0.49,
                    "status": "ok",
                    "wall_seconds": 1.0,
                    "samples_per_second": 1.0,
                    "steps_per_second": float("nan"),
                    "finished_at": finished,
                }
            )
    table = pd.DataFrame(rows)
    cov = coverage_table(table)
    assert len(cov) == 1 and cov["n_intervals"].iloc[0] == 4
    assert summarize(table)["n_rows"].iloc[0] == 4
