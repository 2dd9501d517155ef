"""Speed of the KSG baseline against scikit-learn, measured in the same process.

Skipped in the default run (pyproject's addopts has ``--ignore=tests/perf``); run with

    pytest tests/perf/test_perf_baselines.py --benchmark-only

Each test records its figures (seconds, and the ratio to the reference where there is one) in
``benchmark.extra_info``. The reference is timed interleaved with mibench's estimate, best of
the same number of rounds, so that a busy machine slows both alike; the CPU seconds of both are
recorded too (mibench uses both cores, scikit-learn one, so on a machine whose cores are taken
by other work the wall-time ratio falls towards the CPU-time ratio).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.feature_selection import mutual_info_regression

from mibench.baselines import KSG


def gaussian_pair(n: int, dim: int = 1, rho: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, dim))
    return x, rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dim))


def timed(fn) -> tuple[float, float]:
    """Wall and CPU (all threads of this process) seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


@pytest.mark.parametrize("n", [1_000, 10_000, 100_000])
def test_ksg1_against_sklearn_mutual_info_regression(benchmark, n):
    x, y = gaussian_pair(n)
    estimator = KSG(k=3)

    def reference():
        mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)

    def ours():
        estimator.estimate(x, y)

    ours(), reference()  # warm-up (imports, allocator)
    ours_t, ref_t = [], []
    for _ in range(9):  # interleaved, best of 9: a busy machine slows both alike
        ours_t.append(timed(ours))
        ref_t.append(timed(reference))
    benchmark.pedantic(ours, rounds=1, iterations=1)
    (ours_wall, ours_cpu), (ref_wall, ref_cpu) = min(ours_t), min(ref_t)
    ratio = ref_wall / ours_wall
    benchmark.extra_info.update(
        {
            "n": n,
            "mibench_ksg_s": ours_wall,
            "sklearn_mutual_info_regression_s": ref_wall,
            "speedup": ratio,
            "mibench_ksg_cpu_s": ours_cpu,
            "sklearn_cpu_s": ref_cpu,
        }
    )
    if n == 100_000:
        assert ratio >= 3.0, f"KSG-1 is only {ratio:.2f}x faster than scikit-learn at n=1e5"


def test_ksg1_at_one_million_samples_under_10_seconds(benchmark):
    x, y = gaussian_pair(1_000_000)
    result = benchmark.pedantic(KSG(k=3).estimate, args=(x, y), rounds=1, iterations=1)
    seconds = benchmark.stats.stats.min
    benchmark.extra_info.update({"n": 1_000_000, "seconds": seconds, "value": result.value})
    assert seconds < 10.0


def test_ksg1_25_by_25_dimensions_at_n_10000(benchmark):
    x, y = gaussian_pair(10_000, dim=25, rho=0.3)
    result = benchmark.pedantic(KSG(k=3).estimate, args=(x, y), rounds=1, iterations=1)
    seconds = benchmark.stats.stats.min
    benchmark.extra_info.update(
        {"n": 10_000, "dims": "25x25", "backend": result.extras["backend"], "seconds": seconds}
    )
    assert result.extras["backend"] == "brute"  # the automatic choice at this dimension
    assert seconds < 60.0, "25 x 25 at n = 10,000 must take seconds, not minutes"
