"""Plug-in estimator of the mutual information of two categorical variables.

From the empirical joint distribution p̂(x, y) = n_xy / N of the categories (each distinct row of
X is one category of X, likewise Y):

- plug-in: Î = Ĥ(X) + Ĥ(Y) − Ĥ(X, Y) with Ĥ = −Σ p̂ ln p̂, equal to
  Σ p̂(x, y) ln(p̂(x, y) / (p̂(x) p̂(y))); biased upward by about (m_x − 1)(m_y − 1)/(2N) at
  independence;
- Miller–Madow (the default): each entropy gets Miller's first-order bias term (m − 1)/(2N), m
  its number of non-empty cells (Miller 1955, "Note on the bias of information estimates"), so
  Î_MM = Î + (m_x + m_y − m_xy − 1)/(2N).

Both come from :func:`mibench.baselines.binning.discrete_mi`.

Continuous data are refused: a variable with more than :data:`MAX_CATEGORY_SHARE` · N distinct
values (fewer than two samples per category on average) leaves most cells with a single sample,
which is what real-valued data look like, and where p̂ says nothing about p.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mibench.estimate import Estimate
from mibench.validation import check_choice

from .base import BaselineEstimator
from .binning import discrete_mi

#: Accepted values of ``correction``.
CORRECTIONS = ("miller-madow", "none")
#: A categorical variable may have at most this share of N distinct values (rows).
MAX_CATEGORY_SHARE = 0.5


def category_codes(a: np.ndarray) -> np.ndarray:
    """Integer code 0..m−1 of each row of ``a: (n, d)`` (one category per distinct row)."""
    return np.unique(a, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def check_categorical(codes: np.ndarray, name: str, estimator: str, instead: str) -> int:
    """Refuse a variable with evidently continuous values; return its number of categories.

    Args:
        codes: category codes, shape ``(n,)``.
        name: ``"x"`` or ``"y"``, for the message.
        estimator: the estimator's name, for the message.
        instead: the estimators to suggest, for the message.

    Raises:
        ValueError: naming ``name`` and the count when the variable has more than
            :data:`MAX_CATEGORY_SHARE` · n distinct values (and more than 1).
    """
    n = codes.size
    m = int(codes.max()) + 1 if n else 0
    if m > 1 and m > MAX_CATEGORY_SHARE * n:
        raise ValueError(
            f"{name} has {m} distinct values in n={n} samples (more than "
            f"{MAX_CATEGORY_SHARE:.0%} of n, fewer than 2 samples per category on average), so "
            f"it looks continuous, not categorical: {estimator} needs a categorical {name}; use "
            f"{instead} for continuous data"
        )
    return m


class PluginMI(BaselineEstimator):
    """Plug-in MI (nats) of two categorical variables, with the Miller–Madow correction.

    Input: ``x: (n, dim_x)``, ``y: (n, dim_y)`` of any numeric values; each distinct row is one
    category. ``extras`` records ``correction``, ``categories_x``, ``categories_y`` and
    ``cells`` (non-empty joint cells).

    Args:
        correction: ``"miller-madow"`` (default; Miller 1955) or ``"none"`` (plain plug-in).
        error_bar: ``None``, ``"bootstrap"`` (preferred) or ``"subsampling"``.
        seed: seed of the error bar's resamples or partitions; None (default) uses 0.

    Raises:
        ValueError: for bad input, an unknown ``correction``, or a variable with more than
            half as many distinct values as samples (evidently continuous; the message names
            ``x`` or ``y`` and the count, and suggests ``ksg`` or ``ross``).
    """

    name: ClassVar[str] = "plugin"
    source: ClassVar[str] = "Miller (1955), Note on the bias of information estimates"
    variables: ClassVar[tuple[str, str]] = ("categorical", "categorical")
    #: Counts tolerate duplicated rows: the bootstrap is preferred.
    error_bars: ClassVar[tuple[str, ...]] = ("bootstrap", "subsampling")

    def __init__(
        self,
        correction: str = "miller-madow",
        error_bar: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.correction = correction
        self.error_bar = error_bar
        self.seed = seed
        self._check_params()

    def variable_kinds(self) -> tuple[str, str]:
        """The kinds of X and Y: both categorical."""
        return self.variables

    def _check_params(self) -> None:
        super()._check_params()
        check_choice("correction", self.correction, CORRECTIONS)

    def _point(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        lx, ly = category_codes(x), category_codes(y)
        instead = "ksg or mixed-ksg (both continuous) or ross (one of them categorical)"
        mx = check_categorical(lx, "x", "plugin", instead)
        my = check_categorical(ly, "y", "plugin", instead)
        cells = int(np.unique(lx * my + ly).size)
        value = discrete_mi(lx, ly, "plugin" if self.correction == "none" else "miller-madow")
        extras: dict[str, Any] = {
            "estimator": f"plug-in ({self.correction})",
            "correction": self.correction,
            "categories_x": mx,
            "categories_y": my,
            "cells": cells,
            "units": "nats",
            "reference": "plug-in; Miller 1955 for the Miller–Madow correction",
        }
        return Estimate(value=value, extras=extras)
