"""``mibench figures``: every paper figure at a tiny scale, resume, and the stored rows."""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from mibench.cli import main
from mibench.harness.archive import read_traces
from mibench.paper import Scale
from mibench.paper.staircase import POOLE
from mibench.paper.staircase_lee_rhee import REFERENCE_MEDIANS
from mibench.paper.work import builtin_estimators
from mibench.tasks import list_tasks

#: Scale of each figure in the CI run (tiny: a few steps, one seed, n = 50).
SCALES = {
    "staircase": 0.001,
    "staircase-lee-rhee": 0.001,
    "mine-gaussian": 0.005,
    "standard-heatmap": 0.005,
    "discrete-heatmap": 0.005,
    "bias-variance": 0.005,
    "invariance": 0.005,
    "coverage": 0.005,
}
#: Extra arguments per figure (the invariance grid at tiny scale, three estimators of it).
EXTRA = {"invariance": ["--estimators", "ksg,gaussian-copula,mine"]}
#: Figures without cells, drawn directly (tested in their own files: tests/test_pmi_profiles.py).
DIRECT = ("pmi-profiles",)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):
    """Run every figure at its tiny scale into a temporary folder, once for the module."""
    out = tmp_path_factory.mktemp("figures")
    runner = CliRunner()
    folders = {}
    for name, scale in SCALES.items():
        res = runner.invoke(
            main,
            [
                "figures",
                name,
                "--scale",
                str(scale),
                "--out",
                str(out),
                "--quiet",
                *EXTRA.get(name, []),
            ],
        )
        assert res.exit_code == 0, res.output
        folders[name] = out / f"{name}-scale{scale:g}"
    return out, folders


def _csv(folder, name) -> pd.DataFrame:
    if name.endswith(".parquet"):
        return pd.read_parquet(folder / name)
    return pd.read_csv(folder / name)


def test_list_names_every_figure() -> None:
    res = CliRunner().invoke(main, ["figures", "--list"])
    assert res.exit_code == 0
    for name in [*SCALES, *DIRECT]:
        assert name in res.output


def test_unknown_figure_is_a_usage_error_listing_the_names(tmp_path) -> None:
    res = CliRunner().invoke(main, ["figures", "nope", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "unknown figure 'nope'" in res.output
    for name in [*SCALES, *DIRECT]:
        assert name in res.output


@pytest.mark.parametrize("name", list(SCALES))
def test_every_figure_writes_its_files(made, name) -> None:
    _, folders = made
    folder = folders[name]
    for f in ("results.parquet", "COMMAND.txt", "README.md", "report.html"):
        assert (folder / f).is_file(), f
    assert not (folder / "results.csv").exists()
    pngs = list(folder.glob("*.png"))
    assert pngs and all(p.with_suffix(".pdf").is_file() for p in pngs)
    command = (folder / "COMMAND.txt").read_text()
    assert f"mibench figures {name} --scale {SCALES[name]:g}" in command
    assert f"--scale {SCALES[name]:g}" in (folder / "README.md").read_text()
    assert (_csv(folder, "results.parquet")["status"] == "ok").any()


def test_staircase_tables(made) -> None:
    _, folders = made
    folder = folders["staircase"]
    results = _csv(folder, "results.parquet")
    assert len(results) == 2 * 2 * 6  # staircases × critics × estimators, one seed
    medians = _csv(folder, "stage_medians.csv")
    assert len(medians) == len(results) * 5
    assert sorted(medians["true_mi"].unique()) == [2.0, 4.0, 6.0, 8.0, 10.0]
    wide = (folder / "stage_medians.md").read_text(encoding="utf-8").splitlines()
    assert wide[0].rstrip(" |").endswith("status") and len(wide) == 2 + len(results)
    # the stored trace holds every step: estimate and true MI per step
    traces = read_traces(folder)
    per_run = traces.groupby("cell_id")["step"].count()
    steps = POOLE.tasks(Scale(SCALES["staircase"]))[0].n_steps
    assert (per_run == steps).all() and len(per_run) == len(results)
    assert set(traces["test_value"].round(6)) == {2.0, 4.0, 6.0, 8.0, 10.0}


def test_lee_rhee_comparison_table(made) -> None:
    _, folders = made
    table = _csv(folders["staircase-lee-rhee"], "comparison.csv")
    assert len(table) == 3 * 5
    assert set(table["estimator"]) == set(REFERENCE_MEDIANS)
    bits = [v * math.log(2) for v in (2, 4, 6, 8, 10)]
    assert sorted(table["true_mi"].unique()) == pytest.approx(bits, rel=1e-5)
    row = table.iloc[0]
    assert row["rel_diff"] == pytest.approx((row["mibench"] - row["lee_rhee"]) / row["lee_rhee"])


def test_fixed_figures_tables(made) -> None:
    _, folders = made
    n_est = len(builtin_estimators())
    assert (
        len(_csv(folders["mine-gaussian"], "results.parquet"))
        == len(list_tasks("mine-gaussian")) * 3 * 3  # estimators × seeds
    )
    heat = folders["standard-heatmap"]
    assert len(_csv(heat, "results.parquet")) == 40 * n_est
    assert len(_csv(heat, "samples_to_factor_1.5.csv")) == 40
    discrete = _csv(folders["discrete-heatmap"], "results.parquet")
    assert len(discrete) == (8 + 6) * 5  # discrete-continuous and categorical tasks × 5
    # each estimator for discrete data runs where its variables fit, and refuses elsewhere
    ok = discrete[discrete["status"] == "ok"]
    assert set(ok[ok["estimator"] == "plugin"]["task_id"]) == set(list_tasks_ids("discrete"))
    assert not set(ok[ok["estimator"] == "ross"]["task_id"]) & set(list_tasks_ids("discrete"))
    assert len(ok[ok["estimator"] == "mixed-ksg"]) == 14
    assert len(_csv(folders["bias-variance"], "summary.csv")) == 8 * n_est


def list_tasks_ids(suite: str) -> list[str]:
    return [t.id for t in list_tasks(suite)]


def test_coverage_tables(made) -> None:
    _, folders = made
    rows = _csv(folders["coverage"], "results.parquet")
    table = _csv(folders["coverage"], "coverage.csv")
    methods = dict(zip(rows["label"] + "/" + rows["error_bar"], rows["error_bar"], strict=True))
    assert set(methods.values()) == {"subsampling", "bootstrap", "held-out", "seeds"}
    assert set(table["error_bar"]) <= set(methods.values())
    ok = rows[rows["status"] == "ok"]
    assert (
        ok["mi_ci_low"].le(ok["mi_estimate"]).all() and ok["mi_ci_high"].ge(ok["mi_estimate"]).all()
    )
    assert table["coverage"].between(0, 1).all()
    assert (table["n_intervals"] <= table["n_ok"]).all()


def test_invariance_tables(made) -> None:
    _, folders = made
    folder = folders["invariance"]
    table = _csv(folder, "invariance.csv")
    assert set(table["estimator"]) == {"ksg", "gaussian-copula", "mine[max_steps=10]"}
    assert set(table["standardize"]) == {0, 1}
    copula = table[(table["estimator"] == "gaussian-copula") & ~table["stress"]]
    monotone = copula["family"].isin(["normal_cdf", "power", "asinh", "spline", "wiggly"])
    assert (copula.loc[monotone, "delta_mean"] == 0).all()
    scores = _csv(folder, "invariance_scores.csv")
    assert len(scores) == len(table.groupby(["estimator", "family", "standardize"]))
    assert "Invariance score, with standardisation" in (folder / "invariance_scores.md").read_text(
        encoding="utf-8"
    )


def test_rerun_resumes_and_no_run_draws_from_the_store(made) -> None:
    out, folders = made
    runner = CliRunner()
    args = ["figures", "staircase-lee-rhee", "--scale", "0.001", "--out", str(out), "--quiet"]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "3 already stored (skipped), 0 run now" in res.output
    res = runner.invoke(main, [*args, "--no-run"])
    assert res.exit_code == 0, res.output
    assert "3 of 3 cells" in res.output
    # the run and the rerun are recorded; the redraw computed nothing and is not
    assert (folders["staircase-lee-rhee"] / "COMMAND.txt").read_text().count("mibench") == 2


def test_no_run_on_an_empty_store_is_a_usage_error(tmp_path) -> None:
    res = CliRunner().invoke(
        main, ["figures", "staircase", "--scale", "0.001", "--out", str(tmp_path), "--no-run"]
    )
    assert res.exit_code == 2
    assert "holds no results of figure 'staircase'" in res.output
    assert "--from" in res.output
    assert not list(tmp_path.iterdir())


def test_estimators_outside_the_figure_are_refused(tmp_path) -> None:
    res = CliRunner().invoke(
        main,
        [
            "figures",
            "mine-gaussian",
            "--scale",
            "0.005",
            "--out",
            str(tmp_path),
            "--estimators",
            "infonce",
        ],
    )
    assert res.exit_code == 2
    assert "estimators must name estimators of figure 'mine-gaussian'" in res.output
    assert "got ['infonce']" in res.output
    assert not list(tmp_path.iterdir())


def test_committed_tables_alone_redraw_and_resume_without_computing(made, tmp_path) -> None:
    """A clean clone has the tables but no working store: --no-run redraws from the tables,
    and a run rebuilds the store from them and computes nothing."""
    out, folders = made
    folder = tmp_path / "mine-gaussian-scale0.005"
    shutil.copytree(folders["mine-gaussian"], folder)
    (folder / "results.sqlite").unlink()
    for side in folder.glob("results.sqlite-*"):
        side.unlink()
    before = pd.read_parquet(folder / "results.parquet")
    args = ["figures", "mine-gaussian", "--scale", "0.005", "--out", str(tmp_path), "--quiet"]
    res = CliRunner().invoke(main, [*args, "--no-run"])
    assert res.exit_code == 0, res.output
    assert not (folder / "results.sqlite").exists()
    assert (folder / "mine_gaussian.png").is_file()
    drawn = {p.name: p.read_bytes() for p in folder.iterdir()}
    res = CliRunner().invoke(main, [*args, "--no-run"])
    assert res.exit_code == 0, res.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == drawn  # byte-identical
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert f"{len(before)} already stored (skipped), 0 run now" in res.output
    after = pd.read_parquet(folder / "results.parquet")
    pd.testing.assert_frame_equal(
        before.sort_values("cell_id").reset_index(drop=True),
        after.sort_values("cell_id").reset_index(drop=True),
    )
