"""scripts/asv_check_regression.py: exit status from synthetic ``asv compare`` output."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture
def check(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPTS))
    return importlib.import_module("asv_check_regression")


HEADER = (
    "| Change   | Before [0123abcd] <main>   | After [4567ef01] <topic>   |   Ratio "
    "| Benchmark (Parameter)   |\n"
    "|----------|----------------------------|----------------------------|---------"
    "|-------------------------|\n"
)


def compare_output(*rows: tuple[str, str, str, str, str]) -> str:
    """``asv compare --split`` output with one table per group of rows, as asv prints it."""
    titles = {
        "-": "Benchmarks that have improved:",
        " ": "Benchmarks that have stayed the same:",
        "+": "Benchmarks that have got worse:",
        "!": "Benchmarks that have got worse:",
        "x": "Benchmarks that are not comparable:",
    }
    text = ""
    for mark in ("-", " ", "+", "!", "x"):
        group = [r for r in rows if r[0] == mark]
        if group:
            text += f"\n{titles[mark]}\n\n{HEADER}"
            text += "".join(f"| {' | '.join(r)} |\n" for r in group)
    return text


UNCHANGED = (
    " ",
    "11.2±0.1ms",
    "11.4±0.2ms",
    "1.02",
    "speed.ClassicalEstimators.time_estimate('ksg', 1000)",
)
BETTER = ("-", "1.02±0s", "501±3ms", "0.49", "speed.NeuralTraining.time_short_fit('mine')")
NOT_COMPARABLE = (
    "x",
    "0.0034",
    "0.0034",
    "1.00",
    "accuracy.ClassicalAccuracy.track_abs_bias('1v1-normal-0.75', 'ksg', 500)",
)
SLOWER = (
    "+",
    "250±2ms",
    "1.10±0.01s",
    "4.40",
    "speed.ClassicalEstimators.time_estimate('ksg', 100000)",
)
LESS_ACCURATE = (
    "+",
    "0.0103",
    "0.0512",
    "4.97",
    "accuracy.ClassicalAccuracy.track_rmse('multinormal-dense-2-2-0.5', 'ksg', 2000)",
)
NEW_FAILURE = (
    "!",
    "0.0201",
    "failed",
    "n/a",
    "accuracy.ClassicalAccuracy.track_abs_bias('1v1-normal-0.75', 'gaussian', 500)",
)


def run_on(check, tmp_path, text, capsys):
    path = tmp_path / "compare.txt"
    path.write_text(text)
    status = check.main(["--input", str(path)])
    return status, capsys.readouterr()


def test_parse_reads_every_row_and_its_mark(check):
    rows = check.parse_compare_output(compare_output(UNCHANGED, BETTER, SLOWER, NOT_COMPARABLE))
    assert [(r.mark, r.benchmark) for r in rows] == [
        ("-", BETTER[4]),
        ("", UNCHANGED[4]),
        ("+", SLOWER[4]),
        ("x", NOT_COMPARABLE[4]),
    ]
    assert rows[2].before == "250±2ms" and rows[2].after == "1.10±0.01s" and rows[2].ratio == "4.40"
    assert [r.regressed for r in rows] == [False, False, True, False]


@pytest.mark.parametrize("worse", [SLOWER, LESS_ACCURATE, NEW_FAILURE])
def test_regression_exits_1_and_names_the_benchmark(check, tmp_path, capsys, worse):
    status, out = run_on(check, tmp_path, compare_output(UNCHANGED, BETTER, worse), capsys)
    assert status == 1
    assert "REGRESSION: 1 of 3 benchmarks" in out.out
    assert f"{worse[0]} {worse[4]}: {worse[1]} -> {worse[2]}" in out.out


def test_no_regression_exits_0(check, tmp_path, capsys):
    status, out = run_on(check, tmp_path, compare_output(UNCHANGED, BETTER, NOT_COMPARABLE), capsys)
    assert status == 0
    assert "no regression: 3 benchmarks compared" in out.out


def test_output_without_benchmarks_exits_2(check, tmp_path, capsys):
    status, out = run_on(check, tmp_path, "· No results found for commit 0123abcd\n", capsys)
    assert status == 2
    assert "listed no benchmarks" in out.err


def test_runs_asv_compare_with_the_options(check, monkeypatch, capsys):
    seen = {}

    def fake_run(cmd, **kwargs):
        seen["cmd"] = cmd
        return subprocess.CompletedProcess(cmd, 0, compare_output(SLOWER), "")

    monkeypatch.setattr(check.subprocess, "run", fake_run)
    status = check.main(["main", "HEAD", "--factor", "1.5", "--machine", "ci"])
    assert status == 1
    assert seen["cmd"] == [
        sys.executable,
        "-m",
        "asv",
        "compare",
        "--split",
        "--factor",
        "1.5",
        "--config",
        "asv.conf.json",
        "--machine",
        "ci",
        "main",
        "HEAD",
    ]


def test_asv_failure_exits_2_with_its_message(check, monkeypatch, capsys):
    monkeypatch.setattr(
        check.subprocess,
        "run",
        lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1, "", "asv: Results for machine x"),
    )
    assert check.main(["main", "HEAD"]) == 2
    assert "Results for machine x" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [[], ["main"], ["main", "HEAD", "--input", "-"], ["a", "b", "--factor", "1"]]
)
def test_bad_arguments_are_refused(check, argv):
    with pytest.raises(SystemExit) as exc:
        check.main(argv)
    assert exc.value.code == 2
