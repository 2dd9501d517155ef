"""Histogram (binning) estimator of mutual information: plug-in and Miller–Madow.

Each column is cut into bins, equal-width (over the column's range) or equal-frequency (at the
column's quantiles); the number of bins per column is fixed or comes from a rule:
Freedman–Diaconis (width 2·IQR·n^(−1/3) over the range), Sturges (⌈log2 n⌉ + 1), √n (⌈√n⌉), or
``auto`` (the default: Sturges, lowered so that D jointly binned columns have at most about n
cells).
Multivariate X and Y are binned jointly: a cell is one bin per column. The MI of the cell labels
is then

- plug-in: Ĥ(X) + Ĥ(Y) − Ĥ(X, Y) with Ĥ = −Σ p̂ ln p̂; biased upward by about
  (B_x − 1)(B_y − 1)/(2N) at independence;
- Miller–Madow: plug-in + (m_x + m_y − m_xy − 1)/(2N), m the numbers of occupied cells
  (Miller 1955, "Note on the bias of information estimates").

Equal-frequency bins are invariant to monotone transforms of each column; √n bins overestimate
badly. The number of cells, Π over all columns of the bins, must stay within ``max_cells``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from mibench.estimate import Estimate
from mibench.validation import check_choice, check_int

from .base import BaselineEstimator

#: Accepted bin rules (besides a fixed integer count).
BIN_RULES = ("auto", "fd", "sturges", "sqrt")
#: Accepted ways to place the bin edges.
BINNINGS = ("equal-width", "equal-frequency")
#: Accepted bias corrections.
CORRECTIONS = ("plugin", "miller-madow")


def bin_count(column: np.ndarray, bins: int | str, n_columns: int = 1) -> int:
    """Number of bins for one column.

    Args:
        column: values, shape ``(n,)``.
        bins: a fixed count (int >= 1) or a rule: ``"fd"`` (Freedman–Diaconis: ⌈range / (2·IQR·
            n^(−1/3))⌉; Sturges when the IQR is 0), ``"sturges"`` (⌈log2 n⌉ + 1), ``"sqrt"``
            (⌈√n⌉) or ``"auto"`` (Sturges, lowered to max(2, ⌊n^(1/D)⌋) so that the joint
            binning of all D columns has at most about n cells).
        n_columns: D, the number of columns binned jointly (dim_x + dim_y); used by ``"auto"``.

    Returns:
        The number of bins, at least 1.
    """
    n = column.size
    if not isinstance(bins, str):
        return int(bins)
    if bins == "auto":
        return min(bin_count(column, "sturges"), max(2, math.floor(n ** (1.0 / n_columns))))
    if bins == "fd":
        q1, q3 = np.quantile(column, [0.25, 0.75])
        if q3 > q1:
            width = 2.0 * (q3 - q1) * n ** (-1.0 / 3.0)
            return max(1, math.ceil((column.max() - column.min()) / width))
        bins = "sturges"
    if bins == "sturges":
        return math.ceil(math.log2(n)) + 1
    return math.ceil(math.sqrt(n))


def bin_labels(column: np.ndarray, n_bins: int, binning: str) -> np.ndarray:
    """Bin index 0..n_bins−1 of each value of a column.

    Args:
        column: values, shape ``(n,)``.
        n_bins: number of bins.
        binning: ``"equal-width"`` (n_bins equal bins over [min, max]) or ``"equal-frequency"``
            (edges at the j/n_bins quantiles, linear interpolation; tied values stay together,
            so bins may be unequal or empty).

    Returns:
        Shape ``(n,)``, int64. A value equal to an inner edge goes to the upper bin.
    """
    if binning == "equal-width":
        edges = np.linspace(column.min(), column.max(), n_bins + 1)
    else:
        edges = np.quantile(column, np.linspace(0.0, 1.0, n_bins + 1))
    return np.searchsorted(edges[1:-1], column, side="right").astype(np.int64)


def _entropy_and_occupied(labels: np.ndarray) -> tuple[float, int]:
    """Plug-in entropy (nats) of integer labels and the number of distinct labels."""
    counts = np.unique(labels, return_counts=True)[1].astype(np.float64)
    n = counts.sum()
    return float(math.log(n) - np.dot(counts, np.log(counts)) / n), counts.size


def discrete_mi(labels_x: np.ndarray, labels_y: np.ndarray, correction: str = "plugin") -> float:
    """MI (nats) of two discrete variables from their integer labels.

    Args:
        labels_x: labels of X, shape ``(n,)``, integers.
        labels_y: labels of Y, shape ``(n,)``, integers.
        correction: ``"plugin"`` (Ĥ(X) + Ĥ(Y) − Ĥ(X, Y), empirical frequencies) or
            ``"miller-madow"`` (plus (m_x + m_y − m_xy − 1)/(2N), m the occupied cells; Miller
            1955).

    Returns:
        The MI estimate in nats.

    Raises:
        ValueError: naming ``labels_y`` when the lengths differ, ``correction`` when unknown.
    """
    lx = np.asarray(labels_x)
    ly = np.asarray(labels_y)
    if lx.shape != ly.shape or lx.ndim != 1:
        raise ValueError(
            f"labels_x and labels_y must be 1-D of the same length, got shapes {lx.shape} "
            f"and {ly.shape}"
        )
    check_choice("correction", correction, CORRECTIONS)
    lx = np.unique(lx, return_inverse=True)[1].astype(np.int64)
    ly = np.unique(ly, return_inverse=True)[1].astype(np.int64)
    hx, mx = _entropy_and_occupied(lx)
    hy, my = _entropy_and_occupied(ly)
    hxy, mxy = _entropy_and_occupied(lx * (int(ly.max()) + 1) + ly)
    mi = hx + hy - hxy
    if correction == "miller-madow":
        mi += (mx + my - mxy - 1) / (2.0 * lx.size)
    return mi


class Histogram(BaselineEstimator):
    """Histogram estimator of I(X; Y) in nats, plug-in or Miller–Madow (see the module docstring).

    Input: ``x: (n, dim_x)``, ``y: (n, dim_y)``; multivariate blocks are binned jointly (one bin
    per column). ``extras`` records ``bins`` (the rule), ``bins_x``/``bins_y`` (the counts per
    column), ``binning``, ``correction`` and ``cells`` (Π of all counts).

    Args:
        bins: bins per column: an int >= 1, or a rule ``"auto"`` (default: Sturges, fewer
            when many columns are binned jointly), ``"sturges"``, ``"fd"`` (Freedman–Diaconis)
            or ``"sqrt"`` (see :func:`bin_count`).
        binning: ``"equal-width"`` (default) or ``"equal-frequency"``.
        correction: ``"plugin"`` or ``"miller-madow"``.
        max_cells: the largest number of joint cells (product of the bins over all dim_x +
            dim_y columns) accepted.
        error_bar: ``None``, ``"subsampling"`` or ``"bootstrap"`` (fills ``Estimate.stderr``).
        seed: seed of the error bar's random partitions or resamples; None (default) uses 0.

    Raises:
        ValueError: for bad input, a hyperparameter out of range (naming it), or when the number
            of cells would exceed ``max_cells`` (naming ``max_cells``, with the count).
    """

    name: ClassVar[str] = "histogram"
    source: ClassVar[str] = "Miller (1955); Paninski (2003)"
    #: Counts and covariances tolerate duplicated rows: the bootstrap is preferred.
    error_bars: ClassVar[tuple[str, ...]] = ("bootstrap", "subsampling")

    def __init__(
        self,
        bins: int | str = "auto",
        binning: str = "equal-width",
        correction: str = "plugin",
        max_cells: int = 10**6,
        error_bar: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.bins = bins
        self.binning = binning
        self.correction = correction
        self.max_cells = max_cells
        self.error_bar = error_bar
        self.seed = seed
        self._check_params()

    def _check_params(self) -> None:
        super()._check_params()
        if isinstance(self.bins, str):
            check_choice("bins", self.bins, BIN_RULES)
        else:
            check_int("bins", self.bins, 1)
        check_choice("binning", self.binning, BINNINGS)
        check_choice("correction", self.correction, CORRECTIONS)
        check_int("max_cells", self.max_cells, 1)

    def _block_labels(self, a: np.ndarray, n_bins: list[int]) -> np.ndarray:
        """One label per sample for the joint cell of a block (mixed-radix cell index)."""
        cols = [bin_labels(a[:, c], b, self.binning) for c, b in enumerate(n_bins)]
        return np.ravel_multi_index(cols, n_bins)

    def _point(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        d = x.shape[1] + y.shape[1]
        bins_x = [bin_count(x[:, c], self.bins, d) for c in range(x.shape[1])]
        bins_y = [bin_count(y[:, c], self.bins, d) for c in range(y.shape[1])]
        cells = math.prod(bins_x) * math.prod(bins_y)
        if cells > self.max_cells:
            raise ValueError(
                f"joint binning of x ({x.shape[1]} columns, bins {bins_x}) and y "
                f"({y.shape[1]} columns, bins {bins_y}) needs {cells:.3g} cells, more than "
                f"max_cells={self.max_cells}; use fewer bins or raise max_cells"
            )
        lx = self._block_labels(x, bins_x)
        ly = self._block_labels(y, bins_y)
        extras: dict[str, Any] = {
            "estimator": f"histogram ({self.correction})",
            "bins": self.bins,
            "bins_x": bins_x,
            "bins_y": bins_y,
            "binning": self.binning,
            "correction": self.correction,
            "cells": cells,
            "units": "nats",
            "reference": "plug-in; Miller 1955 for the Miller–Madow correction",
        }
        return Estimate(value=discrete_mi(lx, ly, self.correction), extras=extras)
