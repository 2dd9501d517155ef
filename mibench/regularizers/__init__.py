"""MI estimators as training signals: a differentiable MI term and the training benchmarks.

Modules: :mod:`~mibench.regularizers.term` (:class:`MITerm`, the critic and its optimiser as
a loss term, and :func:`backward_with_mi` with adaptive clipping),
:mod:`~mibench.regularizers.benchmark` (a training protocol as the task of engine cells),
:mod:`~mibench.regularizers.summary` (the per-setting summary tables), and the benchmarks:
:mod:`~mibench.regularizers.mode_collapse` (GANs with a noisy generator),
:mod:`~mibench.regularizers.reconstruction` (autoencoders and the reconstruction bound) and
:mod:`~mibench.regularizers.bottleneck` (the Gaussian and the digits information bottleneck).
"""

from mibench.regularizers.benchmark import NO_REGULARIZER, Setting, TrainingBenchmark, TrainingRun
from mibench.regularizers.summary import summarize_training, training_metrics
from mibench.regularizers.term import (
    MITerm,
    TrainingDiverged,
    backward_with_mi,
    check_term,
    differentiable_estimators,
    make_estimator,
)

__all__ = [
    "NO_REGULARIZER",
    "MITerm",
    "Setting",
    "TrainingBenchmark",
    "TrainingDiverged",
    "TrainingRun",
    "backward_with_mi",
    "check_term",
    "differentiable_estimators",
    "make_estimator",
    "summarize_training",
    "training_metrics",
]
