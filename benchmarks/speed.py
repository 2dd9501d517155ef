"""Speed (``time_``) and peak memory (``peakmem_``) of estimators and of sampling.

Data come from :func:`benchmarks.common.harness_sample` (a grid cell's samples), drawn in
``setup`` so only the measured call is timed. asv's ``peakmem_`` is the peak resident memory
of the whole benchmark process (imports included), so compare it across commits, not with
the size of the data.
"""

from __future__ import annotations

import torch

from mibench import tasks as task_registry
from mibench.registry import get_estimator

from .common import benchmark_version, harness_sample

#: 1-D × 1-D Gaussian with 0.41 nats, the speed anchor of the classical estimators.
BIVARIATE = "1v1-normal-0.75"
#: The largest task of the standard suite (50 × 50).
LARGEST = "multinormal-dense-50-50-0.5"


class ClassicalEstimators:
    """One estimate of KSG and of the histogram (default hyperparameters), 1-D × 1-D."""

    params = [["ksg", "histogram"], [1_000, 10_000, 100_000]]
    param_names = ["estimator", "n"]
    version = benchmark_version([BIVARIATE])
    timeout = 120

    def setup(self, estimator, n):
        self.x, self.y = harness_sample(BIVARIATE, n)
        self.estimator = get_estimator(estimator)

    def time_estimate(self, estimator, n):
        self.estimator.estimate(self.x, self.y)

    def peakmem_estimate(self, estimator, n):
        self.estimator.estimate(self.x, self.y)


class NeuralTraining:
    """Neural estimators on one CPU thread, 5-D × 5-D: a one-step fit and a short full fit.

    ``time_one_step`` fits with ``max_steps=1`` on 512 samples (batch 256, 256 held out): the
    set-up, one Adam step and one evaluation. ``time_short_fit`` trains 200 steps on 2,000
    samples with evaluations every 100 steps. Torch runs on one thread: with several, timings
    on a shared machine vary tenfold with the other load.
    """

    TASK = "multinormal-dense-5-5-0.5"
    params = [["mine", "infonce"]]
    param_names = ["estimator"]
    version = benchmark_version([TASK])
    timeout = 180

    def setup(self, estimator):
        torch.set_num_threads(1)
        self.step_data = harness_sample(self.TASK, 512)
        self.fit_data = harness_sample(self.TASK, 2_000)
        self.one_step = get_estimator(estimator, max_steps=1, seed=0, device="cpu")
        self.short = get_estimator(estimator, max_steps=200, seed=0, device="cpu")

    def time_one_step(self, estimator):
        self.one_step.estimate(*self.step_data)

    def time_short_fit(self, estimator):
        self.short.estimate(*self.fit_data)

    def peakmem_short_fit(self, estimator):
        self.short.estimate(*self.fit_data)


class SampleLargestTask:
    """``Task.sample`` of the 50 × 50 dense Gaussian (100 float64 columns: 8 MB per 10,000 rows)."""

    params = [[10_000, 100_000]]
    param_names = ["n"]
    version = benchmark_version([LARGEST])
    timeout = 60

    def setup(self, n):
        self.task = task_registry.get_task(LARGEST)

    def time_sample(self, n):
        self.task.sample(n, seed=0)

    def peakmem_sample(self, n):
        self.task.sample(n, seed=0)
