"""mibench: a benchmark and evaluation suite for mutual-information estimators.

Mutual information is reported in nats throughout. Tasks (joint distributions with known MI)
live in :mod:`mibench.tasks`, classical estimators in :mod:`mibench.baselines`, neural
estimators in :mod:`mibench.neural`, and the grid runner, store and reports in
:mod:`mibench.harness`.
"""

from mibench.estimate import Estimate, Status
from mibench.estimator import Estimator
from mibench.registry import get_estimator, list_estimators, register_estimator

__version__ = "0.1.0"

__all__ = [
    "Estimate",
    "Estimator",
    "Status",
    "__version__",
    "get_estimator",
    "list_estimators",
    "register_estimator",
]
