"""Start-up time: a fresh process that imports mibench or runs ``mibench list ...``.

Skipped in the default run; run with

    pytest tests/perf/test_perf_startup.py --benchmark-only

Each round starts a new interpreter (:func:`benchmarks.startup.run_fresh`, the cases of the
asv benchmark ``startup.StartUp``). Before each round the bare interpreter (``python -c
pass``) is timed too (untimed by the benchmark), so that ``extra_info`` records the command's
own cost (``own_seconds``: the best time less the bare interpreter's best) and
``ratio_to_bare_python``. Issue #18 asks for each listing command under 1.5 s on the 2-core
machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the asv suite, benchmarks/

from benchmarks.startup import COMMANDS, run_fresh  # noqa: E402

#: The most seconds (best of the rounds) each listing command may take (issue #18).
LIMIT_SECONDS = 1.5


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "python"])
def test_fresh_process_start_up(benchmark, command):
    bare: list[float] = []

    def time_bare_python() -> None:  # before each timed round, untimed
        start = time.perf_counter()
        run_fresh("python")
        bare.append(time.perf_counter() - start)

    benchmark.pedantic(run_fresh, args=(command,), setup=time_bare_python, rounds=3)
    best, bare_best = benchmark.stats.stats.min, min(bare)
    benchmark.extra_info.update(
        bare_python_seconds=bare_best,
        own_seconds=best - bare_best,
        ratio_to_bare_python=best / bare_best,
    )
    if command.startswith("list"):
        assert best < LIMIT_SECONDS, f"mibench {command} took {best:.2f} s"
