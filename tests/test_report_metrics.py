"""Report metrics against hand-computed values on a small synthetic results table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mibench.report.metrics import log_ratio, samples_to_factor, summarize
from mibench.report.tables import samples_to_factor_table


def _table(groups):
    """Results rows from ``{(task_id, mi_true, label, n): [estimate or None (error)]}``."""
    rows = []
    for (task, true, label, n), values in groups.items():
        for seed, v in enumerate(values):
            rows.append(
                {
                    "cell_id": f"{task}-{label}-{n}-{seed}",
                    "task_id": task,
                    "label": label,
                    "estimator": label,
                    "n": n,
                    "seed": seed,
                    "mi_true": true,
                    "mi_estimate": np.nan if v is None else v,
                    "status": "error" if v is None else "ok",
                    "wall_seconds": 0.5 + seed,
                    "samples_per_second": np.nan if v is None else 1000.0 * (seed + 1),
                    "steps_per_second": np.nan,
                }
            )
    return pd.DataFrame(rows)


def test_summary_values_match_hand_computation():
    df = _table(
        {
            ("a", 0.5, "e", 100): [0.4, 0.6, 0.8, None],
            ("zero", 0.0, "e", 100): [0.1, -0.05],
            ("floor", 0.2, "e", 100): [-0.1, 0.05],
            ("dead", 0.3, "e", 100): [None, None],
        }
    )
    s = summarize(df).set_index("task_id")
    a = s.loc["a"]
    assert (a["n_rows"], a["n_ok"]) == (4, 3)
    assert a["mean"] == pytest.approx(0.6)
    assert a["bias"] == pytest.approx(0.1)
    assert a["sd"] == pytest.approx(0.2)  # ddof = 1
    assert a["rmse"] == pytest.approx(math.sqrt((0.01 + 0.01 + 0.09) / 3))
    assert a["mae"] == pytest.approx(0.5 / 3)
    assert a["failure_rate"] == pytest.approx(0.25)
    assert a["log_ratio"] == pytest.approx(math.log(0.6 / 0.5))
    assert a["mean_wall_seconds"] == pytest.approx((0.5 + 1.5 + 2.5 + 3.5) / 4)
    assert a["samples_per_second"] == pytest.approx(2000.0)  # median over ok rows
    assert np.isnan(a["steps_per_second"])
    # true MI 0: the log-ratio column holds the absolute error of the mean
    assert s.loc["zero", "log_ratio"] == pytest.approx(0.025)
    # a non-positive mean is floored at 1e-3 inside the log
    assert s.loc["floor", "mean"] == pytest.approx(-0.025)
    assert s.loc["floor", "log_ratio"] == pytest.approx(math.log(1e-3 / 0.2))
    dead = s.loc["dead"]
    assert dead["failure_rate"] == 1.0 and dead["n_ok"] == 0
    assert dead[["mean", "bias", "sd", "rmse", "mae", "log_ratio"]].isna().all()


def test_log_ratio_cases():
    assert log_ratio(1.0, 0.5) == pytest.approx(math.log(2.0))
    assert log_ratio(-3.0, 2.0) == pytest.approx(math.log(1e-3 / 2.0))
    assert log_ratio(-0.2, 0.0) == pytest.approx(0.2)


def test_samples_to_factor_needs_every_larger_n_within():
    ns = [100, 300, 1000, 3000]
    true = 1.0
    inside, outside = 1.2, 2.0  # ln 1.2 < ln 1.5 < ln 2
    groups = {
        # within at 100, out at 300, within from 1000 on -> 1000
        **{
            ("t", true, "late", n): [v]
            for n, v in zip(ns, [inside, outside, inside, inside], strict=True)
        },
        # within everywhere -> the smallest n
        **{("t", true, "always", n): [inside] for n in ns},
        # outside at the largest n -> never
        **{("t", true, "never", n): [v] for n, v in zip(ns, [inside] * 3 + [0.5], strict=True)},
        # failed at the largest n -> never
        **{("t", true, "failed", n): [v] for n, v in zip(ns, [inside] * 3 + [None], strict=True)},
        # true MI 0 never qualifies, however small the error
        **{("z", 0.0, "always", n): [1e-6] for n in ns},
    }
    out = samples_to_factor(summarize(_table(groups)))
    got = {(r.task_id, r.label): r.n_within for r in out.itertuples()}
    assert got[("t", "late")] == 1000
    assert got[("t", "always")] == 100
    assert pd.isna(got[("t", "never")]) and pd.isna(got[("t", "failed")])
    assert pd.isna(got[("z", "always")])
    assert str(out["n_within"].dtype) == "Int64"
    # the boundary is strict: exactly a factor 1.5 is not within
    edge = samples_to_factor(summarize(_table({("t", 1.0, "e", 10): [1.5]})))
    assert pd.isna(edge["n_within"].iloc[0])
    wide = samples_to_factor_table(summarize(_table(groups))).set_index("task_id")
    assert list(wide.columns) == ["mi_true", "always", "failed", "late", "never"]
    assert wide.loc["t", "late"] == 1000 and pd.isna(wide.loc["z", "late"])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="mi_estimate"):
        summarize(_table({("a", 0.5, "e", 10): [0.4]}).drop(columns="mi_estimate"))
    with pytest.raises(ValueError, match="factor"):
        samples_to_factor(summarize(_table({("a", 0.5, "e", 10): [0.4]})), factor=1.0)


def test_a_label_of_several_configurations_is_split_not_pooled(tmp_path):
    # A run folder resumed with another --device or --no-standardize once pooled both runs
    # under one label (rows = 6 for a 3-seed grid, two estimates per seed).
    from click.testing import CliRunner

    from mibench.cli import main
    from mibench.harness import ResultStore
    from mibench.report.metrics import summarize

    base = ["run", "--tasks", "1v1-normal-0.75", "--estimators", "ksg", "--n", "200"]
    base += ["--seeds", "3", "--run-dir", str(tmp_path), "--quiet"]
    for extra in (
        ["--device", "auto"],
        ["--device", "cpu"],
        ["--device", "cpu", "--no-standardize"],
    ):
        assert CliRunner().invoke(main, [*base, *extra]).exit_code == 0
    with ResultStore(tmp_path / "results.sqlite") as store:
        summary = summarize(store.results())
    assert sorted(summary["label"]) == [
        "ksg[device=auto,standardized_data=true]",
        "ksg[device=cpu,standardized_data=false]",
        "ksg[device=cpu,standardized_data=true]",
    ]
    assert (summary["n_rows"] == 3).all()


def test_flagged_rows_are_counted_and_shown_never_silently_dropped():
    import pandas as pd

    from mibench.report.metrics import summarize

    rows = pd.DataFrame(
        {
            "task_id": "t",
            "label": "infonce",
            "estimator": "infonce",
            "n": 100,
            "status": ["ok", "ok", "diverged", "diverged", "error"],
            "mi_true": 1.0,
            "mi_estimate": [0.9, 1.1, -3.0, float("nan"), float("nan")],
            "wall_seconds": 1.0,
            "samples_per_second": 1.0,
            "steps_per_second": 1.0,
        }
    )
    s = summarize(rows).iloc[0]
    assert (s["n_ok"], s["n_flagged"]) == (2, 1)
    assert s["mean"] == pytest.approx(1.0)  # over ok rows only
    assert s["failure_rate"] == pytest.approx(0.6)
    assert s["mean_with_flagged"] == pytest.approx((0.9 + 1.1 - 3.0) / 3)
