"""Hyperparameter sweeps (``ksg[k=3|5|10]``): expansion, its errors, and sweeps in grids, run
files, ``mibench run``, ``mibench.run`` and the report's best-configuration table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import mibench
from mibench.cli import main
from mibench.harness.grid import Grid
from mibench.registry import (
    MAX_SWEEP_CONFIGURATIONS,
    expand_sweep,
    get_estimator,
    parse_spec,
    split_top_level,
)
from mibench.tasks import get_task


def test_expansion_order_is_the_product_of_the_values_as_written():
    assert expand_sweep("ksg[k=3|5|10]") == ["ksg[k=3]", "ksg[k=5]", "ksg[k=10]"]
    assert expand_sweep("mine[lr=1e-4|5e-4,batch_size=128|256]") == [
        "mine[lr=1e-4,batch_size=128]",
        "mine[lr=1e-4,batch_size=256]",
        "mine[lr=5e-4,batch_size=128]",
        "mine[lr=5e-4,batch_size=256]",
    ]
    # fixed parameters stay in place, values keep their text, spaces around them go
    assert expand_sweep("mine[hidden=(64,64) | (128, 128), lr=1e-4, standardize=none|zscore]") == [
        "mine[hidden=(64,64),lr=1e-4,standardize=none]",
        "mine[hidden=(64,64),lr=1e-4,standardize=zscore]",
        "mine[hidden=(128, 128),lr=1e-4,standardize=none]",
        "mine[hidden=(128, 128),lr=1e-4,standardize=zscore]",
    ]


def test_a_spec_without_a_sweep_is_returned_as_written():
    for spec in ("ksg", "ksg[k=5]", " mine[lr=1e-4, batch_size=128] ", "ksg[]"):
        assert expand_sweep(spec) == [spec]
    # a '|' inside brackets or quotes separates nothing
    for spec in ("external[command=('sh', '-c', 'a | b')]", "x[a='p|q']", 'x[a="p\\"|q"]'):
        assert expand_sweep(spec) == [spec]
    assert parse_spec("x[a='p|q',b=\"(|\"]") == ("x", {"a": "p|q", "b": "(|"})


def test_split_top_level_keeps_a_sweep_in_one_part():
    assert split_top_level("ksg[k=3|5|10],mine") == ["ksg[k=3|5|10]", "mine"]
    assert split_top_level("a[s='x,y'],b") == ["a[s='x,y']", "b"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ksg[k=3||5]", "estimator spec 'ksg[k=3||5]': an empty value in the sweep 'k=3||5'"),
        ("ksg[k=|3]", "estimator spec 'ksg[k=|3]': an empty value in the sweep 'k=|3'"),
        ("ksg[k=3|]", "an empty value in the sweep 'k=3|'"),
        ("ksg|kl", "estimator spec 'ksg|kl': '|' sweeps the values of a hyperparameter, not"),
        ("ksg|kl[k=3|5]", "not the estimator name; list several estimators separated by commas"),
        ("ksg[k=3|3]", "estimator spec 'ksg[k=3|3]': the sweep 'k=3|3' gives the value 3 twice"),
        ("mine[lr=1e-4|0.0001]", "gives the value 0.0001 twice (1e-4 and 0.0001)"),
        ("ksg[k=3|5,k=4]", "sweep 'ksg[k=3|5,k=4]': estimator spec 'ksg[k=3,k=4]' sets 'k' twice"),
        ("ksg[k=3|5", "estimator spec must look like 'name' or 'name[a=1,b=2]'"),
    ],
)
def test_bad_sweeps_are_refused_naming_the_spec(spec, message):
    with pytest.raises(ValueError) as info:
        expand_sweep(spec)
    assert message in str(info.value)


def test_too_many_combinations_are_refused_with_their_number():
    def sweep(ks: int, jitters: int) -> str:
        k = "|".join(str(i) for i in range(1, ks + 1))
        return f"ksg[k={k},jitter={'|'.join(f'{j}e-3' for j in range(1, jitters + 1))}]"

    assert MAX_SWEEP_CONFIGURATIONS == 256
    assert len(expand_sweep(sweep(16, 16))) == 256
    with pytest.raises(ValueError, match=r"sweeps 272 configurations, more than 256"):
        expand_sweep(sweep(16, 17))


def test_a_single_estimator_refuses_a_sweep_and_points_to_grids():
    for call in (lambda: parse_spec("ksg[k=3|5]"), lambda: get_estimator("ksg[k=3|5]")):
        with pytest.raises(ValueError) as info:
            call()
        text = str(info.value)
        assert "estimator spec 'ksg[k=3|5]': k=3|5 holds '|'" in text
        assert "a sweep expands into one configuration per value in a grid" in text


def _grid(estimators, seeds=(0,)):
    return Grid([get_task("1v1-normal-0.75")], list(estimators), ns=[200], seeds=list(seeds))


def test_grid_expands_a_sweep_into_one_configuration_per_value():
    grid = _grid(["ksg[k=3|5|10]"], seeds=(0, 1))
    assert grid.estimators == ["ksg[k=3]", "ksg[k=5]", "ksg[k=10]"]
    cells = grid.cells()
    assert [c.label for c in cells] == ["ksg[k=3]", "ksg[k=5]", "ksg[k=10]"] * 2
    assert [c.params["k"] for c in cells[:3]] == [3, 5, 10]
    # labels are canonical, as for a spec typed out: sorted keys, literal values
    labels = [c.label for c in _grid(["mine[lr=1e-4|5e-4,batch_size=128|256]"]).cells()]
    assert labels == [
        "mine[batch_size=128,lr=0.0001]",
        "mine[batch_size=256,lr=0.0001]",
        "mine[batch_size=128,lr=0.0005]",
        "mine[batch_size=256,lr=0.0005]",
    ]


def test_specs_without_a_sweep_keep_their_cells_and_fingerprint():
    # Literals computed before sweeps existed: a plain spec must keep its label and cell id.
    grid = _grid(["ksg", "ksg[k=5]", "mine[lr=1e-4, batch_size=128]"])
    assert [(c.label, c.cell_id) for c in grid.cells()] == [
        ("ksg", "b9b619089e6b4e4ed5d2d64c"),
        ("ksg[k=5]", "38645232fcdd4fc44a814ace"),
        ("mine[batch_size=128,lr=0.0001]", "cb9f386c6b5ea55823ddbb63"),
    ]
    assert grid.fingerprint() == "a8197d0c12"
    # a swept value gives the very cell of the same spec typed out
    swept = {c.label: c.cell_id for c in _grid(["ksg[k=3|5]"]).cells()}
    assert swept["ksg[k=5]"] == "38645232fcdd4fc44a814ace"


def test_a_cell_of_a_sweep_listed_again_is_one_cell():
    cells = _grid(["ksg[k=5|10]", "ksg[k=5]"]).cells()
    assert [c.label for c in cells] == ["ksg[k=5]", "ksg[k=10]"]
    # KSG's default is k=3: the default and the sweep's k=3 are one cell, under its last label
    cells = _grid(["ksg[k=3|5]", "ksg"]).cells()
    assert [c.label for c in cells] == ["ksg", "ksg[k=5]"]


def test_grid_refuses_a_bad_sweep():
    with pytest.raises(ValueError, match=r"'ksg\[k=3\|\|5\]': an empty value"):
        _grid(["ksg", "ksg[k=3||5]"])
    with pytest.raises(ValueError, match="rejected hyperparameters"):
        _grid(["ksg[k=3|5,nope=1|2]"])


def test_run_file_with_a_sweep(tmp_path):
    cfg = tmp_path / "study.toml"
    cfg.write_text(
        'tasks = ["1v1-normal-0.75"]\n'
        'estimators = ["test-corr", "test-corr[scale=2.0|3.0]"]\n'
        'n = 100\nseeds = 2\nrun_dir = "out"\n'
    )
    result = CliRunner().invoke(main, ["run", "--config", str(cfg), "--quiet"])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(tmp_path / "out" / "results.csv")
    assert len(df) == 3 * 2
    assert sorted(set(df["label"])) == ["test-corr", "test-corr[scale=2.0]", "test-corr[scale=3.0]"]
    by_label = df.groupby("label")["mi_estimate"].mean()
    assert by_label["test-corr[scale=3.0]"] == pytest.approx(3 * by_label["test-corr"])


def test_python_api_expands_a_sweep():
    df = mibench.run("1v1-normal-0.75", "test-corr[scale=1.0|2.0]", n=100, seeds=2, progress=False)
    assert df["label"].tolist() == ["test-corr[scale=1.0]", "test-corr[scale=2.0]"] * 2
    with pytest.raises(ValueError, match="gives the value 1.0 twice"):
        mibench.run("1v1-normal-0.75", "test-corr[scale=1.0|1.0]", n=100, progress=False)


def test_cli_sweep_runs_three_configurations_and_the_report_names_the_winners(tmp_path):
    run_dir = tmp_path / "run"
    tasks = "1v1-normal-0.75,multinormal-dense-2-2-0.5"
    args = ["run", "--tasks", tasks, "--estimators", "ksg[k=3|5|10]", "--n", "200", "--seeds", "3"]
    result = CliRunner().invoke(main, [*args, "--run-dir", str(run_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "18 cells selected: 0 already stored (skipped), 18 run now" in result.output
    results = pd.read_csv(run_dir / "results.csv")
    assert sorted(set(results["label"])) == ["ksg[k=10]", "ksg[k=3]", "ksg[k=5]"]
    report = CliRunner().invoke(main, ["report", str(run_dir)])
    assert report.exit_code == 0, report.output
    assert str(run_dir / "report" / "best_configuration.md") in report.output
    seeds = {"selection_seeds": str, "evaluation_seeds": str}
    best = pd.read_csv(run_dir / "report" / "best_configuration.csv", dtype=seeds)
    assert best["task_id"].tolist() == tasks.split(",")
    md = (run_dir / "report" / "best_configuration.md").read_text()
    for row in best.itertuples():
        # the winner, by hand: the smallest RMSE over seeds 0 and 2, scored on seed 1
        rows = results[results["task_id"] == row.task_id]
        err = rows.set_index(["label", "seed"])["mi_estimate"] - row.mi_true
        select = {
            lab: math.sqrt((err[lab, 0] ** 2 + err[lab, 2] ** 2) / 2) for lab in set(rows["label"])
        }
        winner = min(select, key=select.get)
        assert row.winner == winner and row.n_configurations == 3
        assert row.winner_rmse_eval == pytest.approx(abs(err[winner, 1]))
        assert (row.selection_seeds, row.evaluation_seeds) == ("0 2", "1")
        assert not row.optimistic and np.isnan(row.default_rmse_eval)
        line = next(x for x in md.splitlines() if x.startswith(f"| {row.task_id} "))
        assert f"| {winner} " in line and "0 2 / 1" in line


def test_cli_names_a_bad_sweep(tmp_path):
    args = ["run", "--estimators", "ksg,ksg[k=3||5]", "--run-dir", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "an empty value in the sweep 'k=3||5'" in result.output
    assert not (tmp_path / "results.sqlite").exists()
