"""The best configuration per task (mibench.report.best): winners chosen on half of the seeds,
scored on the other half; failures, the optimistic single-seed fallback, the report's files."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mibench.report.best import BEST_COLUMNS, best_configurations, split_seeds
from mibench.report.tables import write_report

TRUE = 1.0
#: Error (estimate − true MI) per label and seed, None for a row that failed. The seeds are
#: out of order and not contiguous: sorted 3, 7, 10, 12, they select on 3, 10 and evaluate on
#: 7, 12.
ERRORS = {
    "e": {3: 0.3, 10: -0.3, 7: 0.2, 12: 0.4},
    "e[a=1]": {3: 0.1, 10: 0.1, 7: 0.3, 12: 0.5},
    "e[a=2]": {3: 0.2, 10: -0.2, 7: 0.0, 12: 0.1},
    "e[a=3]": {3: None, 10: None, 7: 0.0, 12: 0.0},
    "solo": {3: 0.0, 10: 0.0, 7: 0.0, 12: 0.0},
}


def _rows(errors: dict[str, dict[int, float | None]], task: str = "t", n: int = 100):
    rows = []
    for label, by_seed in errors.items():
        for seed, err in by_seed.items():
            rows.append(
                {
                    "task_id": task,
                    "label": label,
                    "estimator": label.split("[")[0],
                    "n": n,
                    "seed": seed,
                    "status": "ok" if err is not None else "error",
                    "mi_true": TRUE,
                    "mi_estimate": TRUE + err if err is not None else None,
                    "wall_seconds": 0.1,
                    "samples_per_second": None,
                    "steps_per_second": None,
                }
            )
    return pd.DataFrame(rows)


def test_split_seeds_alternates_over_the_sorted_seeds():
    assert split_seeds([4, 0, 2, 1, 3, 3]) == ([0, 2, 4], [1, 3], False)
    assert split_seeds([12, 3, 10, 7]) == ([3, 10], [7, 12], False)
    assert split_seeds([5, 5]) == ([5], [5], True)


def test_winner_is_chosen_on_the_selection_half_and_scored_on_the_other():
    best = best_configurations(_rows(ERRORS))
    assert list(best.columns) == BEST_COLUMNS
    assert len(best) == 1  # "solo" has one configuration: no row
    row = best.iloc[0]
    assert (row["task_id"], row["estimator"], row["n"]) == ("t", "e", 100)
    assert row["n_configurations"] == 4
    assert (row["selection_seeds"], row["evaluation_seeds"]) == ("3 10", "7 12")
    assert not row["optimistic"]
    # selection RMSEs: e 0.3, e[a=1] 0.1, e[a=2] 0.2, e[a=3] none (failed)
    assert row["winner"] == "e[a=1]"
    assert row["winner_rmse_select"] == pytest.approx(0.1)
    # evaluation errors of e[a=1]: 0.3, 0.5 -> RMSE sqrt((0.09 + 0.25) / 2); the delta-method
    # se is sd(e², ddof=1) / (2 RMSE sqrt(2)) = (0.16 / sqrt 2) / (2 sqrt(0.17) sqrt 2)
    assert row["winner_rmse_eval"] == pytest.approx(math.sqrt(0.17))
    assert row["winner_rmse_eval_se"] == pytest.approx(0.04 / math.sqrt(0.17))
    assert row["winner_failure_rate_eval"] == 0.0
    # the default, labelled with the bare name: errors 0.2, 0.4
    assert row["default_label"] == "e"
    assert row["default_rmse_eval"] == pytest.approx(math.sqrt(0.1))
    assert row["default_rmse_eval_se"] == pytest.approx(0.03 / math.sqrt(0.1))
    assert row["default_failure_rate_eval"] == 0.0
    # in hindsight e[a=3] (errors 0, 0) is best on the evaluation seeds, but it failed on
    # every selection seed and so cannot win
    assert row["hindsight_best"] == "e[a=3]"
    assert row["hindsight_rmse_eval"] == 0.0
    assert row["cannot_win"] == "e[a=3]"


def test_failed_evaluation_rows_are_left_out_and_counted():
    errors = {
        "e[a=1]": {3: 0.1, 10: 0.1, 7: None, 12: 0.5},
        "e[a=2]": {3: 0.2, 10: 0.2, 7: 0.1, 12: 0.1},
    }
    row = best_configurations(_rows(errors)).iloc[0]
    assert row["winner"] == "e[a=1]"
    assert row["winner_rmse_eval"] == pytest.approx(0.5)  # the one ok evaluation row
    assert math.isnan(row["winner_rmse_eval_se"])  # one row has no spread
    assert row["winner_failure_rate_eval"] == 0.5
    assert row["default_label"] is None and math.isnan(row["default_rmse_eval"])
    assert row["hindsight_best"] == "e[a=2]" and row["cannot_win"] is None


def test_no_configuration_with_an_ok_selection_row_gives_no_winner():
    errors = {"e[a=1]": {0: None, 1: 0.1}, "e[a=2]": {0: None, 1: 0.2}}
    row = best_configurations(_rows(errors)).iloc[0]
    assert row["winner"] is None
    assert math.isnan(row["winner_rmse_eval"]) and math.isnan(row["winner_rmse_select"])
    assert row["cannot_win"] == "e[a=1], e[a=2]"
    assert row["hindsight_best"] == "e[a=1]"
    assert row["hindsight_rmse_eval"] == pytest.approx(0.1)


def test_one_seed_selects_and_evaluates_on_it_and_is_marked_optimistic(tmp_path):
    errors = {"e": {0: 0.3}, "e[a=1]": {0: -0.1}, "e[a=2]": {0: 0.2}}
    row = best_configurations(_rows(errors)).iloc[0]
    assert row["optimistic"]
    assert row["selection_seeds"] == row["evaluation_seeds"] == "0"
    assert row["winner"] == row["hindsight_best"] == "e[a=1]"
    assert row["winner_rmse_eval"] == pytest.approx(0.1) == row["winner_rmse_select"]
    assert row["default_rmse_eval"] == pytest.approx(0.3)
    write_report(_rows(errors), tmp_path)
    md = (tmp_path / "best_configuration.md").read_text()
    line = next(x for x in md.splitlines() if "e[a=1]" in x)
    assert "optimistic: seed 0 both selects and evaluates" in line


def test_groups_are_per_task_and_n_in_order_of_appearance():
    both = pd.concat(
        [_rows(ERRORS, task="t2", n=50), _rows(ERRORS, task="t1", n=100)], ignore_index=True
    )
    best = best_configurations(both)
    assert list(zip(best["task_id"], best["n"], strict=True)) == [("t2", 50), ("t1", 100)]
    assert set(best["winner"]) == {"e[a=1]"}


def test_report_writes_the_table_only_for_several_configurations(tmp_path):
    written = write_report(_rows(ERRORS), tmp_path / "with")
    names = {p.name for p in written}
    assert {"best_configuration.csv", "best_configuration.md", "best_configuration.tex"} <= names
    csv = pd.read_csv(tmp_path / "with" / "best_configuration.csv")
    assert csv["winner"].tolist() == ["e[a=1]"]
    md = (tmp_path / "with" / "best_configuration.md").read_text()
    assert "| winner " in md and "e[a=1]" in md and "3 10 / 7 12" in md
    single = _rows({"solo": ERRORS["solo"], "e": ERRORS["e"]})
    assert best_configurations(single).empty
    assert list(best_configurations(single).columns) == BEST_COLUMNS
    written = write_report(single, tmp_path / "without")
    assert not any(p.name.startswith("best_configuration") for p in written)
    seedless = write_report(_rows(ERRORS).drop(columns="seed"), tmp_path / "seedless")
    assert not any(p.name.startswith("best_configuration") for p in seedless)


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="seed"):
        best_configurations(_rows(ERRORS).drop(columns="seed"))


def test_rmses_equal_up_to_rounding_are_a_tie_won_by_the_first():
    # The same estimates, the second configuration's off by one part in 1e16: a tie on both
    # halves, so the winner and the best in hindsight are both the first configuration.
    errors = {"e": {0: 0.1, 1: 0.2}, "e[a=1]": {0: 0.1, 1: 0.2 + 2e-17}}
    rows = _rows(errors)
    rows.loc[rows["label"] == "e[a=1]", "mi_estimate"] *= 1 - 1e-16
    best = best_configurations(rows).iloc[0]
    assert best["winner"] == best["hindsight_best"] == "e"
