"""The estimator contract: constructor hyperparameters, ``get_params()``, ``estimate(x, y)``."""

from __future__ import annotations

import inspect
import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from mibench.estimate import Estimate


class Estimator(ABC):
    """Base class of every MI estimator (scikit-learn style hyperparameters).

    Subclasses take their hyperparameters as keyword arguments of ``__init__`` and store each
    one unchanged on an attribute of the same name; :meth:`get_params` reads them back. An
    estimator never reads global random state: its randomness comes from its own ``seed``
    hyperparameter when it has one.

    Subclasses implement :meth:`_estimate`, which receives validated float64 arrays and returns
    an :class:`~mibench.estimate.Estimate` (or a float in nats). :meth:`estimate` adds the
    validation and the wall-clock timing.
    """

    #: Registry name, e.g. ``"ksg"``.
    name: ClassVar[str] = ""
    #: The fewest samples the estimator accepts.
    min_samples: ClassVar[int] = 2
    #: True for estimators whose value depends only on the data (no training randomness).
    deterministic: ClassVar[bool] = True

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """Return the constructor hyperparameters as a dict, unchanged."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Estimator:
        """Set hyperparameters by name and return self.

        Raises:
            ValueError: for a name that is not a constructor hyperparameter.
        """
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"{type(self).__name__} has no hyperparameter {key!r}; "
                    f"valid ones are {sorted(valid)}"
                )
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def validate(self) -> None:  # noqa: B027 - a hook whose default checks nothing
        """Check every hyperparameter now, without estimating anything.

        The grid calls it for every configuration before any cell runs, so that a bad value
        is refused at once rather than as one error row per cell. The default checks nothing;
        estimator families override it.

        Raises:
            ValueError: naming the first invalid hyperparameter.
        """

    def clone(self) -> Estimator:
        """A new, unfitted estimator with the same hyperparameters (``get_params()``), its
        name and its declared determinism; changing the copy leaves this one as it is.

        Estimators that wrap a function or an object (:mod:`mibench.plugins`) override it.
        """
        return type(self)(**self.get_params())

    def estimate(self, x: object, y: object) -> Estimate:
        """Estimate I(X; Y) in nats.

        Args:
            x: samples of X, array-like of shape ``(n, dim_x)`` (or ``(n,)`` for one column).
            y: samples of Y, array-like of shape ``(n, dim_y)`` (or ``(n,)``).

        Returns:
            An :class:`~mibench.estimate.Estimate`; ``wall_seconds`` covers the whole call.

        Raises:
            ValueError: for mismatched n, NaN/inf, fewer than ``min_samples`` rows or arrays
                that are not 1-D/2-D; the message names the argument and the value.
        """
        from mibench.validation import check_xy

        xa, ya = check_xy(x, y, min_samples=self.min_samples)
        start = time.perf_counter()
        result = self._estimate(xa, ya)
        wall = time.perf_counter() - start
        if not isinstance(result, Estimate):
            result = Estimate(value=float(result), fit_seconds=wall)
        result.wall_seconds = wall
        if result.fit_seconds == 0.0:
            result.fit_seconds = wall
        result.n_samples = xa.shape[0]
        return result

    @abstractmethod
    def _estimate(self, x: np.ndarray, y: np.ndarray) -> Estimate | float:
        """Compute the estimate from validated float64 arrays ``x: (n, dx)``, ``y: (n, dy)``."""


def clone(estimator: Estimator) -> Estimator:
    """``estimator.clone()``: a new estimator with the same hyperparameters (scikit-learn's
    ``clone`` for mibench estimators).

    Raises:
        TypeError: when ``estimator`` is not an :class:`Estimator`.
    """
    if not isinstance(estimator, Estimator):
        raise TypeError(f"estimator must be an Estimator, got {type(estimator).__name__}")
    return estimator.clone()
