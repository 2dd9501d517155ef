"""mibench: a benchmark and evaluation suite for mutual-information estimators.

Mutual information is reported in nats throughout. Tasks (joint distributions with known MI)
live in :mod:`mibench.tasks`, classical estimators in :mod:`mibench.baselines`, neural
estimators in :mod:`mibench.neural`, the execution engine and store in :mod:`mibench.harness`
(:func:`run` runs a grid from Python and returns its results table), and metrics, tables and
figures in :mod:`mibench.report`.

Importing the package imports neither torch nor pandas: :func:`estimate_mi` and :func:`run`
are loaded on first access (PEP 562), and torch only when a neural estimator fits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mibench.estimate import Estimate, Status
from mibench.estimator import Estimator
from mibench.lazy import lazy_attributes
from mibench.plugins import register
from mibench.registry import get_estimator, list_estimators, register_estimator

if TYPE_CHECKING:
    from mibench.api import estimate_mi
    from mibench.harness.study import run

__version__ = "0.1.0"

#: The names loaded on first access, by the module that defines them.
_LAZY = {"estimate_mi": "mibench.api", "run": "mibench.harness.study"}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

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
