"""Accuracy on the ``quick`` suite, tracked across commits: |bias|, RMSE, failure rate.

Each (task, estimator, n) is averaged over fixed replicate seeds inside the benchmark, with
the cells run exactly as ``mibench run`` runs them (same data seeds, same standardisation).
All three figures are "lower is better", as ``asv compare`` assumes; bias and RMSE are in
nats. A group where no seed succeeded reports NaN bias and RMSE (shown as n/a by asv) and a
failure rate of 1.
"""

from __future__ import annotations

import torch

from mibench import tasks as task_registry

from .common import accuracy_table, benchmark_version

#: The tasks of the quick suite, in suite order.
QUICK_TASKS = [t.id for t in task_registry.list_tasks("quick")]

#: Replicate seeds the metrics average over.
SEEDS = list(range(5))


class _AccuracyMetrics:
    """The three tracked figures; subclasses set ``params`` and compute ``setup_cache``."""

    param_names = ["task", "estimator", "n"]
    unit = "nats"

    def track_abs_bias(self, table, task, estimator, n):
        return table[task, estimator, n]["abs_bias"]

    def track_rmse(self, table, task, estimator, n):
        return table[task, estimator, n]["rmse"]

    def track_failure_rate(self, table, task, estimator, n):
        return table[task, estimator, n]["failure_rate"]

    track_failure_rate.unit = "fraction"


class ClassicalAccuracy(_AccuracyMetrics):
    """Deterministic baselines on every quick task at two sample sizes, five seeds each."""

    params = [QUICK_TASKS, ["ksg", "ksg2", "histogram", "gaussian"], [500, 2000]]
    version = benchmark_version(QUICK_TASKS)
    timeout = 60

    def setup_cache(self):
        return accuracy_table(*self.params, SEEDS)

    setup_cache.timeout = 600


class NeuralAccuracy(_AccuracyMetrics):
    """300-step fits of two neural objectives on a 1-D and a 5-D task, three seeds each.

    Torch runs on one thread (see :class:`benchmarks.speed.NeuralTraining`).
    """

    TASKS = ["1v1-normal-0.75", "multinormal-dense-5-5-0.5"]
    params = [TASKS, ["mine[max_steps=300]", "infonce[max_steps=300]"], [2000]]
    version = benchmark_version(TASKS)
    timeout = 60

    def setup_cache(self):
        torch.set_num_threads(1)
        return accuracy_table(*self.params, SEEDS[:3])

    setup_cache.timeout = 600
