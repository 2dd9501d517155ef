#!/usr/bin/env python
"""Where the neural estimators lose MI on the 5 × 5 Student-t tasks: the bound or the critic.

Prints, for ``student-identity-5-5-2`` (and the other tasks named on the command line):

1. the DV and NWJ bounds evaluated with the optimal critic, the task's true pointwise MI
   log p(x, y) − log p(x) − log p(y), on 5,000 samples (the size of the held-out half of a
   10,000-sample cell), marginal pairs from 5 shuffles: mean ± sd over the shuffles;
2. MINE and NWJ with ``normal_scores=True``, trained at n = 10,000 and at n = 100,000 with
   their defaults and with ``patience=10, max_steps=20000``: the estimate and its steps.

If the bounds with the optimal critic are close to the truth while the trained estimators are
not, the loss is in learning the critic, not in the bound's variance.

Usage: ``python scripts/student_t_critic_gap.py [TASK ...]`` from the repository root, about
2 minutes on one core.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.special import logsumexp

from mibench.neural import MINE, NWJ
from mibench.tasks import get_task

#: Samples of the bound evaluations: the held-out half of a cell of n = 10,000.
HELD_OUT = 5_000
#: Shuffles of y that make the marginal pairs.
SHUFFLES = 5


def optimal_critic_bounds(task_id: str, seed: int = 123) -> dict[str, tuple[float, float]]:
    """DV and NWJ with the true pointwise MI as the critic: ``{name: (mean, sd)}`` in nats."""
    dist = get_task(task_id).distribution
    x, y = dist.sample(HELD_OUT, np.random.default_rng(seed))
    joint = dist.pmi(x, y)
    rng = np.random.default_rng(0)
    dv, nwj = [], []
    for _ in range(SHUFFLES):
        marginal = dist.pmi(x, y[rng.permutation(HELD_OUT)])
        dv.append(joint.mean() - (logsumexp(marginal) - np.log(HELD_OUT)))
        nwj.append(joint.mean() + 1.0 - np.exp(marginal).mean())
    return {name: (float(np.mean(v)), float(np.std(v))) for name, v in (("DV", dv), ("NWJ", nwj))}


def main(task_ids: list[str]) -> None:
    for task_id in task_ids:
        task = get_task(task_id)
        print(f"{task_id}: true MI {task.mi:.3f} nats")
        for name, (mean, sd) in optimal_critic_bounds(task_id).items():
            print(f"  {name} with the optimal critic, {HELD_OUT} samples: {mean:.3f} ± {sd:.3f}")
        for n in (10_000, 100_000):
            x, y = task.sample(n, 7)
            for cls in (MINE, NWJ):
                for extra in ({}, {"patience": 10, "max_steps": 20_000}):
                    start = time.perf_counter()
                    est = cls(normal_scores=True, seed=0, **extra).estimate(x, y)
                    print(
                        f"  {cls.__name__} n={n} {extra or 'defaults'}: {est.value:.3f} "
                        f"({est.steps} steps, {time.perf_counter() - start:.1f} s)"
                    )


if __name__ == "__main__":
    main(sys.argv[1:] or ["student-identity-5-5-2"])
