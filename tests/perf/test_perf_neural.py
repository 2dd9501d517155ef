"""Speed of the neural estimators: batched ensembles against separate runs, and throughput.

Skipped in the default run (pyproject's addopts has ``--ignore=tests/perf``); run with

    pytest tests/perf/test_perf_neural.py -o addopts="" --benchmark-only

The device is ``cpu`` unless the environment sets ``MIBENCH_BENCH_DEVICE`` (``cuda`` in
``scripts/gpu_check.sh``). Each test stores its figures in ``benchmark.extra_info``:

Fits use the estimators' default of one CPU thread.

* ``test_ensemble_speedup``: an 8-seed MINE ensemble against the same 8 runs one after
  another, fixed 300 steps each (no early stopping), for critic widths 16, 32 (the default),
  64 and 256. ``ratio_wall`` = separate wall time / ensemble wall time (best of the rounds,
  timed interleaved so that a busy machine slows both alike); ``ratio_cpu`` = the same with
  process CPU time, which contention on a shared machine does not inflate.
* ``test_fit_throughput``: one default fit per estimator on the default grid's size (n=2000,
  1x1 Gaussian), with optimisation steps per second.
* ``test_staircase_step``: the staircase protocol's step (batch 64, all 64² pairs, 2x256
  ReLU critics), alone and as an 8-seed ensemble: milliseconds per step and per member-step.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import torch

from mibench.neural import MINE, InfoNCE, fit_ensemble, fit_streaming_ensemble, replicate
from mibench.registry import get_estimator
from mibench.tasks.gaussian import bivariate_normal
from mibench.tasks.streaming import Staircase

DEVICE = os.environ.get("MIBENCH_BENCH_DEVICE", "cpu")
STEPS = 300


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return bivariate_normal(0.9).sample(2000, seed=0)


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of one call, synchronising CUDA."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    if DEVICE.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - wall, time.process_time() - cpu


@pytest.mark.parametrize("width", [16, 32, 64, 256])
def test_ensemble_speedup(benchmark, data, width):
    config = MINE(hidden=(width, width), max_steps=STEPS, patience=10**6, device=DEVICE)
    members = replicate(config, range(8))

    def ensemble():
        fit_ensemble(members, *data)

    def separate():
        for member in members:
            member.estimate(*data)

    rounds = 2 if width >= 256 else 3
    ens, sep = [], []
    for _ in range(rounds):  # interleaved
        ens.append(_timed(ensemble))
        sep.append(_timed(separate))
    benchmark.pedantic(ensemble, rounds=1, iterations=1)
    ens_wall, ens_cpu = min(t[0] for t in ens), min(t[1] for t in ens)
    sep_wall, sep_cpu = min(t[0] for t in sep), min(t[1] for t in sep)
    benchmark.extra_info.update(
        {
            "device": DEVICE,
            "threads": config.threads,
            "width": width,
            "members": 8,
            "steps": STEPS,
            "ensemble_wall_s": ens_wall,
            "separate_wall_s": sep_wall,
            "ensemble_cpu_s": ens_cpu,
            "separate_cpu_s": sep_cpu,
            "ratio_wall": sep_wall / ens_wall,
            "ratio_cpu": sep_cpu / ens_cpu,
        }
    )


@pytest.mark.parametrize("name", ["mine", "mine-f", "jsd", "smile", "infonce", "dv"])
def test_fit_throughput(benchmark, data, name):
    estimator = get_estimator(name, seed=0, device=DEVICE)
    result = benchmark.pedantic(lambda: estimator.estimate(*data), rounds=3, iterations=1)
    benchmark.extra_info.update(
        {
            "device": DEVICE,
            "threads": estimator.threads,
            "n_samples": data[0].shape[0],
            "steps": result.steps,
            "steps_per_s": result.steps_per_second,
            "value": result.value,
        }
    )


@pytest.mark.parametrize("critic", ["joint", "separable"])
@pytest.mark.parametrize("members", [1, 8])
def test_staircase_step(benchmark, critic, members):
    task = Staircase()
    steps = 20 if (critic == "joint" and DEVICE == "cpu") else 100
    config = InfoNCE(
        critic=critic, hidden=(256, 256), batch_size=64, lr=5e-4, device=DEVICE, eval_every=10
    )
    ensemble = replicate(config, range(members))

    def run():
        fit_streaming_ensemble(ensemble, task, n_steps=steps)

    run()  # warm-up
    benchmark.pedantic(run, rounds=2, iterations=1)
    per_step = benchmark.stats.stats.min / steps
    benchmark.extra_info.update(
        {
            "device": DEVICE,
            "threads": config.threads,
            "critic": critic,
            "members": members,
            "ms_per_step": 1e3 * per_step,
            "ms_per_member_step": 1e3 * per_step / members,
        }
    )
