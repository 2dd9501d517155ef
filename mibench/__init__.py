"""mibench: a benchmark and evaluation suite for mutual-information estimators.

Mutual information is reported in nats throughout. Tasks (joint distributions with known MI)
live in :mod:`mibench.tasks`, classical estimators in :mod:`mibench.baselines`, neural
estimators in :mod:`mibench.neural`, the execution engine and store in :mod:`mibench.harness`
(:func:`run` runs a grid from Python and returns its results table), and metrics, tables and
figures in :mod:`mibench.report`.
"""

from mibench.api import estimate_mi
from mibench.estimate import Estimate, Status
from mibench.estimator import Estimator
from mibench.harness.study import run
from mibench.plugins import register
from mibench.registry import get_estimator, list_estimators, register_estimator

__version__ = "0.1.0"

__all__ = [
    "Estimate",
    "Estimator",
    "Status",
    "__version__",
    "estimate_mi",
    "get_estimator",
    "list_estimators",
    "register",
    "register_estimator",
    "run",
]
