"""Gaussian and Gaussian-copula baselines: MI of a Gaussian fitted to the samples.

For a Gaussian with covariance Σ split into the X and Y blocks,
I = ½ (ln det Σ_XX + ln det Σ_YY − ln det Σ) (Cover & Thomas, "Elements of Information Theory",
2nd ed., eq. 8.56 and the chain rule); the Gaussian baseline plugs in the sample covariance,
here as the sample correlation matrix (the ratio of determinants is scale free, and the
correlation matrix is better conditioned). The estimate is exact only for Gaussian data and a
lower bound of sorts for others: it sees linear dependence only.

The Gaussian-copula version first maps each column to normal scores Φ⁻¹(r/(n + 1)), r the rank
(average ranks for ties), which makes the estimate invariant to monotone transforms of each
column and exact for data with a Gaussian copula.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtri

from mibench.estimate import Estimate
from mibench.preprocessing import unit_scaled

from .base import BaselineEstimator
from .preprocess import constant_columns, dependent_columns

#: Warn when the estimate's mean at independence, dim_x·dim_y/(2n) nats, exceeds this.
NULL_MEAN_WARNING = 0.1


def normal_scores(a: np.ndarray) -> np.ndarray:
    """Map each column of ``a: (n, d)`` to normal scores Φ⁻¹(r/(n + 1)), r = average ranks."""
    from scipy.stats import rankdata  # here: scipy.stats takes a second to import

    return ndtri(rankdata(a, method="average", axis=0) / (a.shape[0] + 1))


def _logdet(corr: np.ndarray, what: str) -> float:
    sign, logdet = np.linalg.slogdet(corr)
    if sign <= 0:
        raise ValueError(
            f"the sample correlation matrix of {what} is singular (collinear columns, or fewer "
            "samples than columns); the Gaussian MI is undefined or infinite"
        )
    return float(logdet)


def gaussian_mi(x: np.ndarray, y: np.ndarray) -> float:
    """MI (nats) of the Gaussian with the samples' correlation matrix.

    ½ (ln det R_XX + ln det R_YY − ln det R), R the sample correlation matrix of (x, y).

    Args:
        x: samples of X, shape ``(n, dim_x)``, no constant column.
        y: samples of Y, shape ``(n, dim_y)``, no constant column.

    Returns:
        The estimate in nats.

    Raises:
        ValueError: naming x, y or the joint sample when a correlation matrix is singular.
    """
    dim_x = x.shape[1]
    # Exact power-of-two scaling first: data at 1e±200 would overflow or underflow otherwise.
    corr = np.atleast_2d(np.corrcoef(unit_scaled(np.hstack([x, y])), rowvar=False))
    return 0.5 * (
        _logdet(corr[:dim_x, :dim_x], "x")
        + _logdet(corr[dim_x:, dim_x:], "y")
        - _logdet(corr, "the joint sample (x, y)")
    )


class GaussianMI(BaselineEstimator):
    """Gaussian baseline: ½ (ln det Σ̂_X + ln det Σ̂_Y − ln det Σ̂) in nats, Σ̂ the sample
    covariance (see the module docstring); exact only for Gaussian data.

    Input: ``x: (n, dim_x)``, ``y: (n, dim_y)``, n > dim_x + dim_y. Constant columns, and
    columns that are linear combinations of the other columns of their block (after the
    per-column map of the copula version), are dropped with a warning: neither changes the MI
    (a one-to-one map of the block); a block with only constant columns gives 0.

    Args:
        error_bar: ``None``, ``"subsampling"`` or ``"bootstrap"`` (fills ``Estimate.stderr``).
        seed: seed of the error bar's random partitions or resamples; None (default) uses 0.

    Raises:
        ValueError: for bad input, n <= dim_x + dim_y (the sample covariance is singular), or a
            singular joint correlation matrix (x and y linearly dependent, where the Gaussian
            MI is infinite).

    Warns:
        RuntimeWarning: for constant and for linearly dependent columns, and when n is small
            for the dimensions: at independence 2n·Î is asymptotically χ² with dim_x·dim_y
            degrees of freedom (the likelihood-ratio test of Σ_XY = 0), so Î averages about
            dim_x·dim_y/(2n) nats; above :data:`NULL_MEAN_WARNING` that is said.
    """

    name: ClassVar[str] = "gaussian"
    source: ClassVar[str] = "Cover & Thomas (2006): log-determinants of Gaussian entropies"
    #: Counts and covariances tolerate duplicated rows: the bootstrap is preferred.
    error_bars: ClassVar[tuple[str, ...]] = ("bootstrap", "subsampling")
    min_samples: ClassVar[int] = 3

    def __init__(self, error_bar: str | None = None, seed: int | None = None) -> None:
        self.error_bar = error_bar
        self.seed = seed
        self._check_params()

    def _transform(self, a: np.ndarray) -> np.ndarray:
        """Per-column map applied before the fit (identity here)."""
        return a

    def _point(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        blocks = {}
        dropped: dict[str, dict[str, list[int]]] = {"constant": {}, "dependent": {}}
        for name, a in (("x", x), ("y", y)):
            constant = constant_columns(a)
            kept = np.setdiff1d(np.arange(a.shape[1]), constant)
            a = self._transform(a[:, kept])
            dependent = [int(kept[c]) for c in dependent_columns(a, [])]
            dropped["constant"][name], dropped["dependent"][name] = constant, dependent
            for cols, why in (
                (constant, "constant"),
                (dependent, "linear combinations of the other columns"),
            ):
                if cols:
                    warnings.warn(
                        f"{name} has column(s) {cols} that are {why}: dropped, the MI is unchanged",
                        RuntimeWarning,
                        stacklevel=5,
                    )
            blocks[name] = a[:, np.isin(kept, dependent, invert=True)]
        extras: dict[str, Any] = {
            "estimator": type(self).__name__,
            "dropped_constant_columns": dropped["constant"],
            "dropped_dependent_columns": dropped["dependent"],
            "units": "nats",
            "reference": "Gaussian MI, ½(ln det Σ_XX + ln det Σ_YY − ln det Σ)",
        }
        if blocks["x"].shape[1] == 0 or blocks["y"].shape[1] == 0:
            return Estimate(value=0.0, extras=extras)
        n, d = x.shape[0], blocks["x"].shape[1] + blocks["y"].shape[1]
        if n <= d:
            # The joint sample correlation matrix then has rank < d: its determinant is 0 in
            # exact arithmetic, and rounding turns it into an arbitrary huge "estimate".
            raise ValueError(
                f"x and y need more samples than columns for the Gaussian estimate: n={n} <= "
                f"dim_x + dim_y = {d} (after dropping constant and dependent columns), where "
                "the sample covariance is singular and the Gaussian MI is undefined"
            )
        null_mean = blocks["x"].shape[1] * blocks["y"].shape[1] / (2 * n)
        extras["null_mean"] = null_mean
        if null_mean > NULL_MEAN_WARNING:
            warnings.warn(
                f"n={n} is small for dim_x·dim_y = {blocks['x'].shape[1] * blocks['y'].shape[1]}: "
                f"at independence the Gaussian estimate averages about dim_x·dim_y/(2n) = "
                f"{null_mean:.3g} nats (2n·Î is about χ² with dim_x·dim_y degrees of freedom), "
                "so values of that size do not show dependence",
                RuntimeWarning,
                stacklevel=5,
            )
        return Estimate(value=gaussian_mi(blocks["x"], blocks["y"]), extras=extras)


class GaussianCopulaMI(GaussianMI):
    """Gaussian-copula baseline: the Gaussian baseline on per-column normal scores
    Φ⁻¹(r/(n + 1)) (r = average ranks), in nats; invariant to monotone transforms of each column.

    Same input, hyperparameters, errors and warnings as :class:`GaussianMI`.
    """

    name: ClassVar[str] = "gaussian-copula"
    source: ClassVar[str] = "Gaussian MI of normal scores (Ince et al. 2017)"

    def _transform(self, a: np.ndarray) -> np.ndarray:
        return normal_scores(a)
