"""Neural (variational) MI estimators: critic-based bounds and conditional-density models.

Modules: :mod:`~mibench.neural.objectives` (the bounds, pure functions of critic scores),
:mod:`~mibench.neural.critics` (joint and separable critics, critics with a baseline, FLO's
pair of networks, derangement pairs), :mod:`~mibench.neural.densities` (learned Gaussian
densities q(y | x) and q(y), and the bounds read from them),
:mod:`~mibench.neural.settings`, :mod:`~mibench.neural.batched`, :mod:`~mibench.neural.data`,
:mod:`~mibench.neural.outcome`, :mod:`~mibench.neural.fit_fixed` and
:mod:`~mibench.neural.fit_streaming` (the shared trainer: settings and membership rules, the
batched model, the per-member data, divergence rules, fixed-sample and streaming training),
:mod:`~mibench.neural.ensemble` (batched ensembles), :mod:`~mibench.neural.clipping`
(adaptive gradient clipping), :mod:`~mibench.neural.defaults` (every default, one table),
:mod:`~mibench.neural.estimators` (the critic-based estimators) and
:mod:`~mibench.neural.density_estimators` (the density-model ones). Importing this package
registers ``dv``, ``mine``, ``mine-f``, ``nwj``, ``jsd``, ``smile``, ``infonce``, ``tuba``,
``alpha-infonce``, ``flo`` and ``ba``, ``club``, ``doe``. Importing it (and building or
configuring an estimator) imports no torch; the training functions of
:mod:`~mibench.neural.clipping` and :mod:`~mibench.neural.ensemble` are loaded on first
access (``mibench.neural.fit_ensemble``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mibench.lazy import lazy_attributes
from mibench.neural.defaults import DEFAULTS, OBJECTIVE_DEFAULTS
from mibench.neural.density_estimators import CLUB, DENSITY_ESTIMATORS, BarberAgakov, DoE
from mibench.neural.estimators import (
    DV,
    FLO,
    JSD,
    MINE,
    NEURAL_ESTIMATORS,
    NWJ,
    SMILE,
    TUBA,
    AlphaInfoNCE,
    InfoNCE,
    MINEf,
    NeuralEstimator,
)

if TYPE_CHECKING:
    from mibench.neural.clipping import (
        adaptive_clip,
        clip_mi_gradient,
        set_adaptive_clipped_grads,
    )
    from mibench.neural.ensemble import (
        batch_groups,
        fit_ensemble,
        fit_streaming_ensemble,
        replicate,
    )

#: The names loaded on first access (they need torch), by the module that defines them.
_LAZY = {
    "adaptive_clip": "mibench.neural.clipping",
    "clip_mi_gradient": "mibench.neural.clipping",
    "set_adaptive_clipped_grads": "mibench.neural.clipping",
    "batch_groups": "mibench.neural.ensemble",
    "fit_ensemble": "mibench.neural.ensemble",
    "fit_streaming_ensemble": "mibench.neural.ensemble",
    "replicate": "mibench.neural.ensemble",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "CLUB",
    "DEFAULTS",
    "DENSITY_ESTIMATORS",
    "DV",
    "FLO",
    "JSD",
    "MINE",
    "NEURAL_ESTIMATORS",
    "NWJ",
    "OBJECTIVE_DEFAULTS",
    "SMILE",
    "TUBA",
    "AlphaInfoNCE",
    "BarberAgakov",
    "DoE",
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
