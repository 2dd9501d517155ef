"""Shared base of the classical baselines: common hyperparameters and the sample count.

Every baseline estimator derives from :class:`BaselineEstimator`. It validates the
hyperparameters common to all baselines (``error_bar``, ``seed``), checks the sample count and
calls the subclass's point estimate. Its ``error_bar`` hyperparameter is the default of the
``error_bar`` option of :meth:`~mibench.estimator.Estimator.estimate`; the error bar itself is
computed by :mod:`mibench.errorbars`, as for every estimator.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from typing import ClassVar

import numpy as np

from mibench import errorbars
from mibench.estimate import Estimate
from mibench.estimator import Estimator
from mibench.validation import check_int

#: A classical estimate below this (nats) gets a warning: MI is non-negative, and a value
#: this far below 0 shows a bias (high dimension for n, heavy ties) larger than the signal.
NEGATIVE_WARNING = -0.1


class BaselineEstimator(Estimator):
    """Base of the classical estimators: parameter checks, sample-count check, error bars.

    Subclasses store ``error_bar`` and ``seed`` (None or an int >= 0; None uses 0)
    hyperparameters, implement :meth:`_point` (the estimate on validated float64 arrays
    ``x: (n, dim_x)``, ``y: (n, dim_y)``, value in nats) and may extend :meth:`_check_params`,
    :meth:`required_samples` and :meth:`_check_n`.

    ``error_bar`` is ``None`` (no error bar), ``"auto"``, ``"subsampling"`` (Holmes & Nemenman
    2019) or ``"bootstrap"`` (resampling with replacement; refused by the kNN estimators,
    whose ``error_bars`` omit it); see :mod:`mibench.errorbars`.
    """

    deterministic: ClassVar[bool] = True

    error_bar: str | None
    seed: int | None

    @property
    def seed_used(self) -> int:
        """The seed in use: ``seed``, or 0 when it is None (a grid replaces None with a seed
        derived from the cell)."""
        return 0 if self.seed is None else int(self.seed)

    def validate(self) -> None:
        """Check every hyperparameter (as on construction and before every estimate).

        Raises:
            ValueError: naming the hyperparameter that is out of range.
        """
        self._check_params()

    def _check_params(self) -> None:
        """Validate the hyperparameters (called on construction and before every estimate).

        Raises:
            ValueError: naming the hyperparameter that is out of range.
        """
        errorbars.check_error_bar(self.error_bar, self)
        if self.seed is not None:
            check_int("seed", self.seed, 0)

    def configured_error_bar(self) -> str | None:
        """The ``error_bar`` hyperparameter (the default of ``estimate(error_bar=...)``)."""
        return self.error_bar

    def _check_n(self, n: int, dim_x: int, dim_y: int) -> None:
        """Raise a ValueError naming ``n`` when there are too few samples."""
        need = self.required_samples(dim_x, dim_y)
        if n < need:
            raise ValueError(f"{type(self).__name__} needs n >= {need} samples, got n={n}")

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        self._check_params()
        self._check_n(x.shape[0], x.shape[1], y.shape[1])
        result = self._point(x, y)
        if result.value < NEGATIVE_WARNING:
            n, d = x.shape[0], x.shape[1] + y.shape[1]
            warnings.warn(
                f"{type(self).__name__} gave {result.value:.4g} nats, below 0 (MI is "
                f"non-negative): its bias exceeds the dependence in these data (n={n}, "
                f"dim_x + dim_y = {d}); the value is reported as computed, but it is not a "
                "usable estimate of I(X; Y)",
                RuntimeWarning,
                stacklevel=4,
            )
        return result

    @abstractmethod
    def _point(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The point estimate (nats) on validated arrays ``x: (n, dim_x)``, ``y: (n, dim_y)``."""
