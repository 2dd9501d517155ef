#!/usr/bin/env python
"""What bounds the batched-seeds speed-up of issue #18's case on one CPU core.

The case (:mod:`benchmarks.ensemble`): 8 default MINE seeds on ``multinormal-dense-5-5-0.5``,
n = 5,000, as one group against the same 8 fits one by one. Member e stops after s_e steps
(the same alone and in the group). A training step with E' members still training costs
about F + E'·m: F is what a step costs whatever the number of members (Python, operator
dispatch, autograd bookkeeping, the optimiser's and the objective's small tensors), m what
each member adds. The fits one by one take N = Σ s_e steps of F + m; the group takes
T = max s_e steps and pays F once per step. With S_rest and G_rest the rest of each way's
time (held-out evaluations, epoch draws, set-up), the ratio is

    R = (N·(F + m) + S_rest) / (T·F + N·m + G_rest),

so it is R >= 4 only for m <= m* = (N·F + S_rest − 4·T·F − 4·G_rest) / (3·N).

This script measures, in one run (process CPU time, one torch thread; pin it to one core with
``taskset``): the step counts; each way's total, training-step and rest time; F and m, by a
least-squares fit of every timed training step's CPU time on its number of members (the
solo steps have E' = 1, the group's 8 down to 1); m*; what a member adds to the default
critic's forward and backward pass on a training batch in a hot loop (the same PyTorch
kernels, no optimiser, no data handling); as the floor of m, the time per member of the five
matrix products of that pass alone (E = 8 members of 512 pairs each, in a hot loop); and
the ratio R would have with m at that floor. The README's speed section quotes its output.

Usage: ``OMP_NUM_THREADS=1 taskset -c 1 python scripts/seed_group_bound.py`` from the
repository root, about 15 seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import harness_sample  # noqa: E402
from benchmarks.ensemble import SEEDS, TASK, N  # noqa: E402
from mibench.neural import MINE, fit_ensemble, replicate  # noqa: E402
from mibench.neural.batched import BatchedModel  # noqa: E402
from mibench.neural.critics import JointCritic, pair_index  # noqa: E402
from mibench.neural.defaults import DEFAULTS  # noqa: E402

#: Timed repetitions of the matrix products of one training step.
PRODUCT_REPEATS = 2_000


def timed_steps(fn) -> tuple[float, list[tuple[int, float]]]:
    """Run ``fn()`` with every ``BatchedModel.train_step`` timed: the total CPU seconds of
    ``fn`` and ``(members, CPU seconds)`` of each step."""
    steps: list[tuple[int, float]] = []
    original = BatchedModel.train_step

    def train_step(model, *args):
        start = time.process_time()
        original(model, *args)
        steps.append((model.theta.shape[0], time.process_time() - start))

    with mock.patch.object(BatchedModel, "train_step", train_step):
        start = time.process_time()
        fn()
        total = time.process_time() - start
    return total, steps


def product_floor(members: int = SEEDS) -> float:
    """CPU seconds per member of the five matrix products of one training step of the
    default joint critic (2 × 32 ReLU, batch 256, one marginal pair per sample: 512 pairs of
    10 inputs), for ``members`` members: the two forward ``baddbmm`` and the backward
    products for the hidden layer's input and both weight matrices."""
    gen = torch.Generator().manual_seed(0)
    pairs, width = 2 * DEFAULTS.batch_size, DEFAULTS.hidden[0]
    h0 = torch.randn(members, pairs, 10, generator=gen)
    h1 = torch.randn(members, pairs, width, generator=gen)
    g = torch.randn(members, pairs, width, generator=gen)
    w1 = torch.randn(members, 10, width, generator=gen)
    w2 = torch.randn(members, width, width, generator=gen)
    b = torch.randn(members, 1, width, generator=gen)

    def products() -> None:
        torch.baddbmm(b, h0, w1)
        torch.baddbmm(b, h1, w2)
        g.bmm(w2.transpose(1, 2))
        h1.transpose(1, 2).bmm(g)
        h0.transpose(1, 2).bmm(g)

    for _ in range(100):
        products()
    start = time.process_time()
    for _ in range(PRODUCT_REPEATS):
        products()
    return (time.process_time() - start) / PRODUCT_REPEATS / members


def critic_pass_cost(members: int = SEEDS) -> float:
    """CPU seconds per added member of the default critic's forward and backward pass on one
    training batch (256 joint and 256 marginal pairs of the case's shapes), in a hot loop:
    the time with ``members`` members less that with one, over ``members − 1``."""
    critic = JointCritic(5, 5)
    pairs = pair_index(DEFAULTS.batch_size, 1)

    def seconds_per_pass(e: int) -> float:
        gens = [torch.Generator().manual_seed(s) for s in range(e)]
        theta = torch.stack([critic.init(g) for g in gens]).float().requires_grad_()
        x = torch.randn(e, DEFAULTS.batch_size, 5, generator=gens[0])
        y = torch.randn(e, DEFAULTS.batch_size, 5, generator=gens[0])
        for i in range(100 + PRODUCT_REPEATS):
            if i == 100:
                start = time.process_time()
            critic.scores(theta, x, y, pairs).sum().backward()
            theta.grad = None
        return (time.process_time() - start) / PRODUCT_REPEATS

    return (seconds_per_pass(members) - seconds_per_pass(1)) / (members - 1)


def main() -> None:
    torch.set_num_threads(1)
    members = replicate(MINE(), range(SEEDS))
    xs, ys = zip(*(harness_sample(TASK, N, seed) for seed in range(SEEDS)), strict=True)
    fit_ensemble(members[:1], xs[0][:1000], ys[0][:1000])  # imports, allocator
    alone: list = []
    seq_total, seq_steps = timed_steps(
        lambda: alone.extend(
            fit_ensemble([m], x, y)[0] for m, x, y in zip(members, xs, ys, strict=True)
        )
    )
    group_total, group_steps = timed_steps(lambda: fit_ensemble(members, list(xs), list(ys)))
    counts = [int(r.steps) for r in alone]
    n_steps, t_steps = sum(counts), max(counts)
    e = np.array([k for k, _ in seq_steps + group_steps], dtype=float)
    t = np.array([s for _, s in seq_steps + group_steps])
    m, fixed = np.polyfit(e, t, 1)
    seq_train = sum(s for _, s in seq_steps)
    group_train = sum(s for _, s in group_steps)
    seq_rest, group_rest = seq_total - seq_train, group_total - group_train
    m_star = (n_steps * fixed + seq_rest - 4 * t_steps * fixed - 4 * group_rest) / (3 * n_steps)
    floor = product_floor()
    critic_pass = critic_pass_cost()

    def ratio(per_member: float) -> float:
        seq = n_steps * (fixed + per_member) + seq_rest
        return seq / (t_steps * fixed + n_steps * per_member + group_rest)

    print(f"steps per member {counts}: N = {n_steps}, T = {t_steps}")
    print("| CPU s | one by one | group | ratio |")
    print("|---|---|---|---|")
    for what, a, b in (
        ("total", seq_total, group_total),
        ("training steps", seq_train, group_train),
        ("the rest", seq_rest, group_rest),
    ):
        print(f"| {what} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
    print(f"F = {fixed * 1e3:.3f} ms per step, m = {m * 1e3:.3f} ms per member-step")
    print(f"modelled ratio: {ratio(m):.2f}")
    print(f"4x needs m <= m* = {m_star * 1e3:.3f} ms per member-step")
    print(
        f"the critic's forward and backward pass, hot loop: {critic_pass * 1e3:.3f} ms per member"
    )
    print(f"the matrix products alone: {floor * 1e3:.3f} ms per member-step")
    print(f"ratio with m = the matrix products alone (the rest as measured): {ratio(floor):.2f}")


if __name__ == "__main__":
    main()
