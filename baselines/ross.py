"""Nearest-neighbour MI of one categorical and one continuous variable (Ross 2014).

Ross, "Mutual information between discrete and continuous data sets", PLoS ONE 9(2): e87357
(2014), eqs. (2)–(3). With D the categorical variable, C the continuous one (a vector in
general), N samples and ψ the digamma function, for each sample i:

- N_{d_i}: the number of samples whose category equals d_i (i included);
- ε_i: the distance (max norm over C's columns) from c_i to its k-th nearest neighbour among
  the other samples of the same category;
- m_i: the number of samples j ≠ i of any category with ‖c_j − c_i‖ ≤ ε_i (so the k-th
  neighbour itself counts, as in the paper, and m_i ≥ k);
- I_i = ψ(N) − ψ(N_{d_i}) + ψ(k) − ψ(m_i), and Î = ⟨I_i⟩, the mean over samples.

Conventions for small categories (scikit-learn's ``mutual_info_classif`` follows both; the
second is also that of the MATLAB code published with the paper):

- a category with a single sample has no neighbour: its samples are dropped before anything
  else (N, the N_d and the counts m_i cover the samples kept); ``extras["dropped"]`` says how
  many;
- a category with N_d ≤ k samples uses k_d = N_d − 1 neighbours, and ψ(k) becomes the mean of
  ψ(k_d) over samples (``extras["small_categories"]`` counts the categories affected).

scikit-learn counts m_i as the samples strictly within ε_i, self included; the two counts agree
unless a second sample lies at exactly ε_i (probability 0 for continuous C).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma

from mibench.estimate import Estimate
from mibench.preprocessing import standardize, standardize_method
from mibench.validation import check_choice, check_int

from . import bucket_tree
from .base import BaselineEstimator
from .neighbors import _block_distance, _counter
from .plugin import category_codes, check_categorical
from .preprocess import constant_columns

#: Accepted values of ``discrete``.
DISCRETE_SIDES = ("x", "y")
#: Share of samples whose k-th within-category neighbour is at distance 0 above which the
#: continuous side is refused (below it, a warning); as KSG's share of duplicated rows.
TIED_SHARE = 0.01


class Ross(BaselineEstimator):
    """Ross (2014) nearest-neighbour estimator of I(X; Y) in nats, one side categorical.

    Input: ``x: (n, dim_x)``, ``y: (n, dim_y)``; the side named by ``discrete`` is categorical
    (each distinct row one category), the other continuous (any dimension; max norm).
    ``extras`` records ``k``, ``discrete``, ``categories``, ``dropped`` (samples of single-sample
    categories), ``small_categories`` (categories of 2..k samples, searched with k_d = N_d − 1),
    ``norm`` and ``standardize``.

    Args:
        k: number of neighbours (within the sample's category), an integer >= 1.
        discrete: ``"x"`` (default) or ``"y"``: which variable is categorical.
        standardize: ``"zscore"`` (default), ``"rank"`` or ``"none"``, applied to the columns
            of the continuous variable (see :mod:`mibench.preprocessing`).
        error_bar: ``None`` or ``"subsampling"``; ``"bootstrap"`` is refused (resampled
            copies sit at distance 0, as for every kNN estimator).
        seed: seed of the error bar's partitions; None (default) uses 0.

    Raises:
        ValueError: for bad input, n <= k, a hyperparameter out of range (naming it), a
            categorical side with more than half as many distinct values as samples (naming it
            and the count; then most categories would have a single sample), or a continuous
            side with ties: more than :data:`TIED_SHARE` of the samples with their k-th
            within-category neighbour at distance 0 (a warning below that share).
    """

    name: ClassVar[str] = "ross"
    source: ClassVar[str] = (
        "Ross (2014), Mutual information between discrete and continuous data sets, PLoS ONE"
    )
    variables: ClassVar[tuple[str, str]] = ("categorical", "continuous")
    error_bars: ClassVar[tuple[str, ...]] = ("subsampling",)

    def __init__(
        self,
        k: int = 3,
        discrete: str = "x",
        standardize: str = "zscore",
        error_bar: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.k = k
        self.discrete = discrete
        self.standardize = standardize
        self.error_bar = error_bar
        self.seed = seed
        self._check_params()

    def variable_kinds(self) -> tuple[str, str]:
        """The kinds of X and Y: the side named by ``discrete`` is categorical."""
        if self.discrete == "y":
            return ("continuous", "categorical")
        return ("categorical", "continuous")

    def _check_params(self) -> None:
        super()._check_params()
        check_int("k", self.k, 1)
        check_choice("discrete", self.discrete, DISCRETE_SIDES)
        standardize_method(self.standardize)

    def required_samples(self, dim_x: int, dim_y: int) -> int:
        return check_int("k", self.k, 1) + 1

    def _check_n(self, n: int, dim_x: int, dim_y: int) -> None:
        if n <= self.k:
            raise ValueError(
                f"Ross needs more samples than neighbours: n={n} samples must be greater than "
                f"k={self.k}"
            )

    def _point(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        side, other = self.discrete, "y" if self.discrete == "x" else "x"
        disc, cont = (x, y) if side == "x" else (y, x)
        labels = category_codes(disc)
        check_categorical(labels, side, "ross", "ksg or mixed-ksg")
        sizes = np.bincount(labels)
        keep = sizes[labels] > 1
        dropped = int(np.count_nonzero(~keep))
        # at most n/2 categories (checked above), so some category has 2 samples or more
        labels = np.unique(labels[keep], return_inverse=True)[1].reshape(-1)
        c = standardize(cont[keep], standardize_method(self.standardize))
        n = labels.size
        sizes = np.bincount(labels)
        extras: dict[str, Any] = {
            "estimator": "Ross (2014)",
            "k": self.k,
            "discrete": side,
            "categories": int(sizes.size),
            "dropped": dropped,
            "norm": "max",
            "standardize": standardize_method(self.standardize),
            "units": "nats",
            "reference": "Ross 2014, PLoS ONE 9(2): e87357, eqs. 2-3",
        }
        constant = len(constant_columns(c)) == c.shape[1]
        if sizes.size == 1 or constant:
            what = f"{side} has one category" if sizes.size == 1 else f"{other} is constant"
            return Estimate(value=0.0, message=f"{what}: I(X; Y) = 0", extras=extras)
        radius = np.empty(n)
        k_used = np.empty(n, dtype=np.int64)
        small = 0
        for label, size in enumerate(sizes):
            rows = np.flatnonzero(labels == label)
            kc = min(self.k, int(size) - 1)
            small += kc < self.k
            pts = c[rows]
            idx = bucket_tree.k_nearest(bucket_tree.build(pts), kc)[1]
            # the distance recomputed as the counts below compute it, bit for bit
            radius[rows] = _block_distance(pts, idx[:, kc - 1 : kc])[:, 0]
            k_used[rows] = kc
        tied = int(np.count_nonzero(radius == 0))
        if tied:
            why = (
                f"{tied} of {n} samples have their k-th neighbour (k={self.k}) in their category "
                f"at distance 0: {other} repeats values, which Ross's estimator cannot take (a "
                f"continuous {other} has no ties)"
            )
            if tied > TIED_SHARE * n:
                raise ValueError(
                    f"{why}; use plugin if {other} is categorical too, or mixed-ksg for data "
                    "with point masses"
                )
            warnings.warn(f"{why}; the estimate is biased", stacklevel=3)
        m = _counter(c).count(radius, strict=False)
        value = float(
            (digamma(n) - digamma(sizes[labels]).mean())
            + (digamma(k_used).mean() - digamma(m).mean())
        )
        extras["small_categories"] = int(small)
        return Estimate(value=value, extras=extras)
