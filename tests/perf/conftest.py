"""Speed tests (pytest-benchmark): print each benchmark's throughput and comparison ratios.

Run with ``pytest tests/perf --benchmark-only`` (the default ``pytest`` run ignores this
folder). At the end of the run, the table of ``scripts/benchmark_table.py`` (mean time,
throughput, and the ``ratio*``/``speedup*`` values each test stored in
``benchmark.extra_info``) is printed for the benchmarks of this session.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from benchmark_table import format_table, throughput_table  # noqa: E402

#: The records (pytest-benchmark JSON form) of the benchmarks run in this session.
RECORDS = pytest.StashKey[list]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RECORDS] = []


@pytest.fixture(autouse=True)
def _record_benchmark(request: pytest.FixtureRequest):
    """Keep the statistics and extra_info of every test that used the benchmark fixture."""
    if "benchmark" not in request.fixturenames:
        yield
        return
    bench = request.getfixturevalue("benchmark")
    yield
    if bench.stats is not None:  # None when the benchmark was skipped or disabled
        request.config.stash[RECORDS].append(bench.stats.as_dict(include_data=False))


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    records = config.stash.get(RECORDS, [])
    if records:
        terminalreporter.write_sep("-", "throughput and ratios (extra_info)")
        terminalreporter.write(format_table(throughput_table(records), "markdown"))
