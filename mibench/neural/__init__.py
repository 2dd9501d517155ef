"""Neural (variational) MI estimators: MINE, MINE-f/NWJ, JSD, InfoNCE, DV and SMILE.

Modules: :mod:`~mibench.neural.objectives` (the bounds, pure functions of critic scores),
:mod:`~mibench.neural.critics` (joint and separable critics, derangement pairs),
:mod:`~mibench.neural.trainer` (the shared trainer, fixed-sample and streaming),
:mod:`~mibench.neural.ensemble` (batched ensembles), :mod:`~mibench.neural.clipping`
(adaptive gradient clipping), :mod:`~mibench.neural.defaults` (every default, one table) and
:mod:`~mibench.neural.estimators` (the registered estimators). Importing this package
registers ``dv``, ``mine``, ``mine-f``, ``nwj``, ``jsd``, ``smile`` and ``infonce``.
"""

from mibench.neural.clipping import adaptive_clip, clip_mi_gradient, set_adaptive_clipped_grads
from mibench.neural.defaults import DEFAULTS, OBJECTIVE_DEFAULTS
from mibench.neural.ensemble import (
    batch_groups,
    fit_ensemble,
    fit_streaming_ensemble,
    replicate,
)
from mibench.neural.estimators import (
    DV,
    JSD,
    MINE,
    NEURAL_ESTIMATORS,
    NWJ,
    SMILE,
    InfoNCE,
    MINEf,
    NeuralEstimator,
)

__all__ = [
    "DEFAULTS",
    "DV",
    "JSD",
    "MINE",
    "NEURAL_ESTIMATORS",
    "NWJ",
    "OBJECTIVE_DEFAULTS",
    "SMILE",
    "InfoNCE",
    "MINEf",
    "NeuralEstimator",
    "adaptive_clip",
    "batch_groups",
    "clip_mi_gradient",
    "fit_ensemble",
    "fit_streaming_ensemble",
    "replicate",
    "set_adaptive_clipped_grads",
]
