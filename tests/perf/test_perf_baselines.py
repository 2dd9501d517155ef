"""Speed of the KSG baseline against scikit-learn, NPEET and bmi, measured in the same process.

Skipped in the default run (pyproject's addopts has ``--ignore=tests/perf``); run on one core,
single-threaded, with

    OMP_NUM_THREADS=1 taskset -c 1 pytest tests/perf/test_perf_baselines.py --benchmark-only

Each peer case (:data:`benchmarks.peers.CASES`) times mibench and the peer interleaved on the
very same samples and records both medians, the median time ratio and the |difference| of the
values in ``benchmark.extra_info``; a peer that is not installed skips its cases.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the asv suite, benchmarks/

from benchmarks.peers import CASES, compare, peer_installed  # noqa: E402
from mibench.baselines import KSG  # noqa: E402
from mibench.tasks import get_task  # noqa: E402

#: Speed-up over the peer that each case must reach (issue #18, one core).
REQUIRED_RATIO = {
    case: 5.0 if n >= 1_000_000 else 3.0 if peer == "bmi" else 2.0
    for case, (_, n, peer) in CASES.items()
}
#: Cases whose target is not reached yet (an expected failure, with what was measured).
OPEN_TARGETS: dict[str, str] = {}


@pytest.mark.parametrize("case", list(CASES))
def test_ksg1_against_peer(benchmark, case):
    task, n, peer = CASES[case]
    if not peer_installed(peer):
        pytest.skip(f"{peer} is not installed")
    result = benchmark.pedantic(
        compare, args=(task, n, peer), kwargs={"repeats": 3 if n >= 1_000_000 else 5}, rounds=1
    )
    benchmark.extra_info.update(
        {
            "case": case,
            "mibench_ksg_s": result.mibench_s,
            f"{peer}_s": result.peer_s,
            "speedup": result.ratio,
            "value_difference_nats": result.difference,
        }
    )
    assert result.difference < 1e-10
    if result.ratio < REQUIRED_RATIO[case] and case in OPEN_TARGETS:
        pytest.xfail(f"KSG-1 only {result.ratio:.2f}x faster: {case} ({OPEN_TARGETS[case]})")
    assert result.ratio >= REQUIRED_RATIO[case], f"KSG-1 only {result.ratio:.2f}x faster: {case}"


def test_ksg1_25_by_25_dimensions_uses_the_kdtree_backend():
    x, y = get_task("multinormal-dense-25-25-0.5").sample(200, 0)
    assert KSG(k=3).estimate(x, y).extras["backend"] == "kdtree"  # the automatic choice
