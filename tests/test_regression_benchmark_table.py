"""scripts/benchmark_table.py: pytest-benchmark JSON to a throughput table."""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture
def table_script(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPTS))
    return importlib.import_module("benchmark_table")


def record(name: str, mean: float, **extra) -> dict:
    """A benchmark record as pytest-benchmark writes it (the fields the script reads)."""
    return {
        "group": None,
        "name": name,
        "fullname": f"tests/perf/test_x.py::{name}",
        "extra_info": extra,
        "stats": {"mean": mean, "ops": 1 / mean, "min": mean, "rounds": 5},
    }


BENCHMARKS = [
    record("test_ksg[10000]", 0.02, n_samples=10_000, ratio=4.5, reference="sklearn"),
    record("test_ensemble", 0.5, speedup_vs_loop=3.0),
    record("test_plain", 0.25),
]


def test_throughput_in_samples_or_calls_and_ratio_columns(table_script):
    t = table_script.throughput_table(BENCHMARKS)
    assert list(t.columns) == ["name", "mean_s", "throughput", "unit", "ratio", "speedup_vs_loop"]
    assert t["throughput"].tolist() == pytest.approx([500_000, 2.0, 4.0])
    assert t["unit"].tolist() == ["samples/s", "calls/s", "calls/s"]
    assert t["ratio"].iloc[0] == 4.5 and math.isnan(t["ratio"].iloc[1])
    assert t["speedup_vs_loop"].iloc[1] == 3.0


def test_command_writes_markdown_and_csv(table_script, tmp_path, capsys):
    path = tmp_path / "perf.json"
    path.write_text(json.dumps({"machine_info": {}, "benchmarks": BENCHMARKS}))
    assert table_script.main([str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in lines]
    assert cells[0] == ["name", "mean_s", "throughput", "unit", "ratio", "speedup_vs_loop"]
    assert cells[2] == ["test_ksg[10000]", "0.02", "5e+05", "samples/s", "4.5", "—"]
    out = tmp_path / "perf.csv"
    assert table_script.main([str(path), "--format", "csv", "--output", str(out)]) == 0
    assert out.read_text().splitlines()[1] == "test_ksg[10000],0.02,500000.0,samples/s,4.5,"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read pytest-benchmark JSON"),
        (json.dumps({"runs": []}), "no 'benchmarks' list"),
        (json.dumps({"benchmarks": [{"name": "x", "stats": {}}]}), "positive 'stats.mean'"),
    ],
)
def test_bad_input_exits_2_with_a_message(table_script, tmp_path, capsys, content, message):
    path = tmp_path / "perf.json"
    path.write_text(content)
    assert table_script.main([str(path)]) == 2
    assert message in capsys.readouterr().err
