"""`mibench run` and `mibench list` through the command line (click's CliRunner)."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from mibench.cli import main


def _run(args):
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result


def test_run_writes_outputs_and_resumes(tmp_path):
    run_dir = tmp_path / "run"
    args = [
        "run",
        "--tasks",
        "1v1-normal-0.75,multinormal-dense-2-2-0.5",
        "--estimators",
        "test-corr,test-fail",
        "--n",
        "200",
        "--seeds",
        "2",
        "--run-dir",
        str(run_dir),
        "--quiet",
    ]
    first = _run(args)
    assert first.exit_code == 0, first.output
    assert "8 cells selected: 0 already stored (skipped), 8 run now, 4 of them not ok" in (
        first.output
    )
    for name in (
        "results.sqlite",
        "results.csv",
        "results.parquet",
        "summary.csv",
        "estimate_vs_true.png",
    ):
        assert (run_dir / name).stat().st_size > 0, name
        assert str(run_dir / name) in first.output
    results = pd.read_parquet(run_dir / "results.parquet")
    assert len(results) == 8 and set(results["status"]) == {"ok", "error"}
    summary = pd.read_csv(run_dir / "summary.csv")
    corr = summary[(summary["label"] == "test-corr") & (summary["task_id"] == "1v1-normal-0.75")]
    ok = results[(results["label"] == "test-corr") & (results["task_id"] == "1v1-normal-0.75")]
    assert abs(corr["mean"].iloc[0] - ok["mi_estimate"].mean()) < 1e-5  # summary.csv has 6 digits
    second = _run(args)
    assert "8 already stored (skipped), 0 run now" in second.output


def test_run_config_file_and_override(tmp_path):
    cfg = tmp_path / "study.toml"
    cfg.write_text(
        'tasks = ["1v1-normal-0.75"]\n'
        'estimators = ["test-corr", "test-corr[scale=2.0]"]\n'
        'n = [100, 200]\nseeds = 2\nrun_dir = "out"\n'
    )
    result = _run(["run", "--config", str(cfg), "--quiet"])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(tmp_path / "out" / "results.csv")
    assert len(df) == 2 * 2 * 2
    assert set(df["label"]) == {"test-corr", "test-corr[scale=2.0]"}
    # an explicit option wins over the file
    override = _run(["run", "--config", str(cfg), "--n", "150", "--quiet"])
    assert override.exit_code == 0
    df = pd.read_csv(tmp_path / "out" / "results.csv")
    assert set(df["n"]) == {100, 150, 200}


def test_run_config_errors_name_the_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('estimator = ["ksg"]\n')
    result = CliRunner().invoke(main, ["run", "--config", str(cfg)])
    assert result.exit_code == 2 and "unknown key 'estimator'" in result.output
    cfg.write_text('n = "many"\n')
    result = CliRunner().invoke(main, ["run", "--config", str(cfg)])
    assert result.exit_code == 2 and "key 'n' must be int or list" in result.output


def test_run_rejects_unknown_task_and_estimator(tmp_path):
    r = CliRunner().invoke(main, ["run", "--tasks", "no-such-task", "--run-dir", str(tmp_path)])
    assert r.exit_code == 2 and "unknown task id 'no-such-task'" in r.output
    r = CliRunner().invoke(main, ["run", "--estimators", "nope", "--run-dir", str(tmp_path)])
    assert r.exit_code == 2 and "unknown estimator 'nope'" in r.output
    r = CliRunner().invoke(main, ["run", "--device", "tpu", "--run-dir", str(tmp_path)])
    assert r.exit_code == 2 and "device" in r.output and "tpu" in r.output


def test_list_commands():
    out = _run(["list", "tasks", "--suite", "quick"]).output
    assert "multinormal-dense-5-5-0.5" in out and "0.5928" in out
    assert "quick" in _run(["list", "suites"]).output
    listing = _run(["list", "estimators"]).output
    assert "test-corr" in listing and "no source given" in listing  # a plug-in names none
    assert "Kraskov, Stögbauer & Grassberger (2004), estimator 1" in listing


def test_every_builtin_estimator_names_its_source():
    from mibench.registry import estimator_factory, list_estimators

    for name in list_estimators():
        cls = type(estimator_factory(name)())
        if cls.__module__.startswith(("mibench.baselines", "mibench.neural", "mibench.external")):
            assert cls.source, name


def test_suite_and_tasks_together_are_refused(tmp_path):
    args = ["run", "--suite", "quick", "--tasks", "1v1-normal-0.75", "--run-dir", str(tmp_path)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "--suite or --tasks, not both" in res.output
    assert not (tmp_path / "results.sqlite").exists()


def test_run_names_the_cells_that_are_not_ok(tmp_path):
    args = ["run", "--tasks", "1v1-normal-0.75", "--estimators", "ksg,test-fail", "--n", "100"]
    result = CliRunner().invoke(
        main, [*args, "--seeds", "2", "--run-dir", str(tmp_path), "--quiet"]
    )
    assert result.exit_code == 0
    assert "Cells not ok (2; all in results.csv):" in result.output
    assert "test-fail on 1v1-normal-0.75, n=100, seed 0: error: RuntimeError: deliberate" in (
        result.output
    )


def test_ctrl_c_says_how_to_resume(tmp_path, monkeypatch):
    import mibench.harness.runner as runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_grid", interrupted)
    args = ["run", "--tasks", "1v1-normal-0.75", "--estimators", "ksg", "--n", "100"]
    result = CliRunner().invoke(main, [*args, "--run-dir", str(tmp_path), "--quiet"])
    assert result.exit_code == 130
    assert "Interrupted: 0 cells are stored" in result.output
    assert "run the same command again to resume" in result.output
