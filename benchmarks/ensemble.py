"""Batched seeds: 8 seeds of MINE trained as one group against the same 8 fits one by one.

The case of issue #18: MINE with its defaults (joint critic 2 × 32, batch 256, early stopping
with patience 3, one CPU thread) on ``multinormal-dense-5-5-0.5`` at n = 5,000, seeds 0–7, each
seed on its own grid-cell samples (:func:`benchmarks.common.harness_sample`), as the harness's
batched groups train them. The members stop at different steps (early stopping), so the group
is only fast when a stopped member stops costing. The two ways alternate ``repeats`` times
(so that a busy machine slows both alike; the order flips every repeat), and the medians and
the spread of the per-repeat ratios are kept, in wall and in process CPU time (the CPU time
is not inflated by other work on a shared machine).

Run with ``asv run --python=same --bench ensemble``; ``tests/perf/test_perf_neural.py``
asserts the ratio.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mibench.neural import MINE, fit_ensemble, replicate

from .common import benchmark_version, harness_sample

#: The task, sample size and number of seeds of the case.
TASK = "multinormal-dense-5-5-0.5"
N = 5_000
SEEDS = 8


@dataclass(frozen=True)
class GroupComparison:
    """One group against the same fits one by one, over interleaved repeats.

    Attributes:
        sequential_s: wall seconds of the fits one by one (median).
        group_s: wall seconds of the group (median).
        ratios: per repeat, sequential wall seconds / group wall seconds (> 1: the group is
            faster).
        cpu_ratios: the same with process CPU seconds.
        steps: steps each member trained (the same alone and in the group).
        identical: whether every member's value, steps and trace in the group equal its fit
            alone exactly.
    """

    sequential_s: float
    group_s: float
    ratios: tuple[float, ...]
    cpu_ratios: tuple[float, ...]
    steps: tuple[int, ...]
    identical: bool

    @property
    def ratio(self) -> float:
        """Median over repeats of the wall-time ratio."""
        return float(np.median(self.ratios))

    @property
    def cpu_ratio(self) -> float:
        """Median over repeats of the CPU-time ratio."""
        return float(np.median(self.cpu_ratios))


def compare(repeats: int = 5, seeds: int = SEEDS) -> GroupComparison:
    """Time ``seeds`` default MINE fits one by one and as one group, interleaved.

    Args:
        repeats: timed runs of each way (after one untimed single fit: imports, allocator).
        seeds: members, seeds ``0..seeds − 1``, each on the grid cell's samples of its seed.

    Returns:
        A :class:`GroupComparison`.
    """
    members = replicate(MINE(), range(seeds))
    xs, ys = zip(*(harness_sample(TASK, N, seed) for seed in range(seeds)), strict=True)
    fit_ensemble(members[:1], xs[0][:1000], ys[0][:1000])
    wall: dict[str, list[float]] = {"sequential": [], "group": []}
    cpu: dict[str, list[float]] = {"sequential": [], "group": []}
    identical = True
    for i in range(repeats):
        for way in ("sequential", "group") if i % 2 == 0 else ("group", "sequential"):
            start, start_cpu = time.perf_counter(), time.process_time()
            if way == "sequential":
                alone = [
                    fit_ensemble([m], x, y)[0] for m, x, y in zip(members, xs, ys, strict=True)
                ]
            else:
                together = fit_ensemble(members, list(xs), list(ys))
            wall[way].append(time.perf_counter() - start)
            cpu[way].append(time.process_time() - start_cpu)
        identical &= all(
            (a.value, a.steps, a.trace) == (g.value, g.steps, g.trace)
            for a, g in zip(alone, together, strict=True)
        )
    seq, group = np.array(wall["sequential"]), np.array(wall["group"])
    return GroupComparison(
        sequential_s=float(np.median(seq)),
        group_s=float(np.median(group)),
        ratios=tuple(float(r) for r in seq / group),
        cpu_ratios=tuple(float(r) for r in np.array(cpu["sequential"]) / np.array(cpu["group"])),
        steps=tuple(int(r.steps) for r in alone),
        identical=identical,
    )


class SeedGroup:
    """8 seeds of MINE as one batched group: the speed-up over fitting them one by one.

    Measured once, in ``setup_cache`` (5 interleaved repeats, about a minute each on one
    core); ``track_speedup`` is the median wall-time ratio (higher is better),
    ``track_cpu_speedup`` the CPU-time one.
    """

    version = benchmark_version([TASK])
    timeout = 1800

    def setup_cache(self) -> GroupComparison:
        return compare()

    def track_speedup(self, cache):
        return cache.ratio

    track_speedup.unit = "sequential s / group s"

    def track_cpu_speedup(self, cache):
        return cache.cpu_ratio

    track_cpu_speedup.unit = "sequential CPU s / group CPU s"


class SeedGroupFit:
    """One fit of the 8-seed MINE group (seconds; ``number = 1``: each call takes ~10 s)."""

    version = benchmark_version([TASK])
    timeout = 600
    number = 1
    repeat = (1, 3, 120.0)
    warmup_time = 0.0

    def setup(self):
        self.members = replicate(MINE(), range(SEEDS))
        xs, ys = zip(*(harness_sample(TASK, N, seed) for seed in range(SEEDS)), strict=True)
        self.xs, self.ys = list(xs), list(ys)

    def time_group(self):
        fit_ensemble(self.members, self.xs, self.ys)
