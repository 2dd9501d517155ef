"""The mixed KSG estimator for discrete–continuous mixtures (Gao, Kannan, Oh & Viswanath 2017).

Gao, Kannan, Oh & Viswanath, "Estimating mutual information for discrete-continuous mixtures",
NeurIPS 2017, Algorithm 1 (arXiv:1709.06212). For data in which rows may
repeat (point masses: discrete variables, censored or rounded values, mixtures), with N samples,
ψ the digamma function and the joint distance d_ij = max(‖x_i − x_j‖, ‖y_i − y_j‖) (max norm in
each block), for each sample i:

- ρ_i: the k-th smallest of d_ij over j ≠ i;
- k̃_i = k when ρ_i > 0; when ρ_i = 0 (i has at least k exact copies), k̃_i is the number of
  j ≠ i with d_ij = 0;
- n_x,i = #{j ≠ i : ‖x_j − x_i‖ ≤ ρ_i}, n_y,i likewise (non-strict, so that at ρ_i = 0 they
  count the copies of x_i and of y_i);
- ξ_i = ψ(k̃_i) + ln N − ln(n_x,i + 1) − ln(n_y,i + 1), and Î = ⟨ξ_i⟩.

On continuous data (no ties) it is KSG-1 with ψ(N), ψ(n + 1) replaced by logarithms and
non-strict counts; on purely discrete data it tends to the plug-in estimate. Unlike KSG it
accepts any share of repeated rows (that is what it is for). Z-scoring changes no tie: it maps
equal values to equal values.

Fixed-k bias. The paper proves consistency for k growing with N; at a fixed small k the
logarithms and the non-strict counts cost about ψ(k) − ln(k + 1) (−0.46 nats at k = 3) in every
local term whose marginal ball holds few points. That happens where one variable is discrete
and the other continuous (the ball in the continuous one holds little more than the k
neighbours): on ``1v1-discrete-5`` (true 1.055 nats) Algorithm 1 gives 0.74 at n = 10,000 and
k = 3. The default, ``variant="ksg"``, keeps the KSG-1 form wherever ρ_i > 0 — ψ(k) + ψ(N) −
ψ(n_x,i + 1) − ψ(n_y,i + 1) with counts strictly within ρ_i, the conventions the authors'
reference code uses, which equals :class:`~mibench.baselines.ksg.KSG` on tie-free data — and
at ρ_i = 0 takes ψ(k̃_i + 1) + ψ(N) − ψ(n_x,i + 1) − ψ(n_y,i + 1), every count including i
(on purely discrete data with more than k copies of every row: the digamma plug-in
⟨ψ(c_xy) + ψ(N) − ψ(c_x) − ψ(c_y)⟩, c the counts of the sample's cell and margins).
``variant="paper"`` is Algorithm 1 as printed.

Rows that repeat only 2 to k times are what copied continuous samples look like, not point
masses (a point mass gives many copies); they are used as given, with a warning.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma

from mibench.estimate import Estimate
from mibench.preprocessing import standardize, standardize_method
from mibench.validation import check_choice, check_int

from . import bucket_tree
from .base import BaselineEstimator
from .neighbors import _block_distance, _counter, choose_backend, joint_neighbours
from .preprocess import constant_columns

#: Accepted values of ``variant``.
VARIANTS = ("paper", "ksg")


def mixed_ksg_local_terms(x: np.ndarray, y: np.ndarray, k: int, variant: str) -> np.ndarray:
    """Per-sample terms ξ_i of the mixed KSG; their mean is the estimate.

    Args:
        x: samples of X, shape ``(n, dim_x)``, float64.
        y: samples of Y, shape ``(n, dim_y)``, float64.
        k: number of neighbours, in [1, n − 1].
        variant: ``"paper"`` (Algorithm 1 of Gao et al. 2017) or ``"ksg"`` (see
            :class:`MixedKSG`).

    Returns:
        Shape ``(n,)``. ``"paper"``: ψ(k̃_i) + ln N − ln(n_x,i + 1) − ln(n_y,i + 1), counts
        non-strict. ``"ksg"``: ψ(k) + ψ(N) − ψ(n_x,i + 1) − ψ(n_y,i + 1) with strict counts
        where ρ_i > 0, and ψ(k̃_i + 1) + ψ(N) − ψ(n_x,i + 1) − ψ(n_y,i + 1) with the counts
        of exact copies where ρ_i = 0.
    """
    n = x.shape[0]
    xy = np.hstack([x, y])
    if variant == "ksg":
        return _ksg_form(x, y, xy, k)
    idx = bucket_tree.k_nearest(bucket_tree.build(xy), k)[1][:, k - 1 : k]
    # ρ recomputed from the block distances, as the counts below compare them, bit for bit
    rho = np.maximum(_block_distance(x, idx), _block_distance(y, idx))[:, 0]
    k_tilde = np.full(n, k, dtype=np.int64)
    zero = rho == 0
    if zero.any():
        k_tilde[zero] = _copies(xy)[zero] - 1
    cx, cy = _counter(x), _counter(y)
    n_x, n_y = cx.count(rho, strict=False), cy.count(rho, strict=False)
    return digamma(k_tilde) + math.log(n) - np.log(n_x + 1.0) - np.log(n_y + 1.0)


def _copies(a: np.ndarray) -> np.ndarray:
    """For each row of ``a``, how many rows equal it (itself included), shape ``(n,)``."""
    _, inverse, copies = np.unique(a, axis=0, return_inverse=True, return_counts=True)
    return copies[inverse.reshape(-1)]


def _ksg_form(x: np.ndarray, y: np.ndarray, xy: np.ndarray, k: int) -> np.ndarray:
    """The ``"ksg"`` variant's terms: KSG-1's joint search and strict counts (the KD-tree or
    the chunked brute force, by dimension, as :class:`~mibench.baselines.ksg.KSG`), with the
    counts of exact copies where ρ_i = 0."""
    n = x.shape[0]
    backend = choose_backend("auto", dim=xy.shape[1], kdtree_ok=True, device="cpu")
    counts = joint_neighbours(
        x, y, (k,), strict=True, norm="max", backend=backend, device="cpu"
    ).counts[k]
    zero = counts.eps_x == 0
    n_x, n_y, k_used = counts.n_x, counts.n_y, np.full(n, k, dtype=np.int64)
    if zero.any():
        # at ρ_i = 0 every count is of the exact copies of i (itself excluded)
        n_x = np.where(zero, _copies(x) - 1, n_x)
        n_y = np.where(zero, _copies(y) - 1, n_y)
        k_used = np.where(zero, _copies(xy), k)  # k̃_i + 1
    # grouped as KSG-1 groups its terms (mibench.baselines.ksg.ksg_local_terms)
    return (digamma(k_used) - digamma(n_y + 1)) + (digamma(n) - digamma(n_x + 1))


class MixedKSG(BaselineEstimator):
    """Mixed KSG estimator of I(X; Y) in nats (Gao, Kannan, Oh & Viswanath 2017, Algorithm 1).

    Input: ``x: (n, dim_x)``, ``y: (n, dim_y)`` of numbers, repeated rows allowed, n > k.
    ``extras`` records ``k``, ``norm`` (max), ``standardize``, ``distinct_rows`` (of the joint
    sample) and ``constant`` (the blocks whose columns are all constant; then the value is 0).

    Args:
        k: number of neighbours, an integer >= 1.
        variant: ``"ksg"`` (default: KSG-1 where ρ_i > 0, digamma counts of the copies where
            ρ_i = 0, as the authors' reference code; much less biased at fixed k when one
            variable is discrete, see the module docstring) or ``"paper"`` (Algorithm 1 as
            printed).
        standardize: ``"zscore"`` (default), ``"rank"`` or ``"none"`` per column (see
            :mod:`mibench.preprocessing`); no choice changes which rows tie.
        error_bar: ``None`` or ``"subsampling"``; ``"bootstrap"`` is refused (a resample's
            copies would be taken for point masses of the distribution).
        seed: seed of the error bar's partitions; None (default) uses 0.

    Raises:
        ValueError: for bad input, n <= k (naming ``n`` and ``k``) or a hyperparameter out of
            range (naming it).
    """

    name: ClassVar[str] = "mixed-ksg"
    source: ClassVar[str] = (
        "Gao, Kannan, Oh & Viswanath (2017), Estimating mutual information for "
        "discrete-continuous mixtures, NeurIPS, Algorithm 1"
    )
    error_bars: ClassVar[tuple[str, ...]] = ("subsampling",)

    def __init__(
        self,
        k: int = 3,
        variant: str = "ksg",
        standardize: str = "zscore",
        error_bar: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.k = k
        self.variant = variant
        self.standardize = standardize
        self.error_bar = error_bar
        self.seed = seed
        self._check_params()

    def _check_params(self) -> None:
        super()._check_params()
        check_int("k", self.k, 1)
        check_choice("variant", self.variant, VARIANTS)
        standardize_method(self.standardize)

    def required_samples(self, dim_x: int, dim_y: int) -> int:
        return check_int("k", self.k, 1) + 1

    def _check_n(self, n: int, dim_x: int, dim_y: int) -> None:
        if n <= self.k:
            raise ValueError(
                f"MixedKSG needs more samples than neighbours: n={n} samples must be greater "
                f"than k={self.k}"
            )

    def _point(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        method = standardize_method(self.standardize)
        xs, ys = standardize(x, method), standardize(y, method)
        extras: dict[str, Any] = {
            "estimator": "mixed KSG (Gao et al. 2017)",
            "k": self.k,
            "norm": "max",
            "joint_norm": "max of the X and Y block distances",
            "variant": self.variant,
            "counting": (
                "non-strict: distance <= rho_i, j != i"
                if self.variant == "paper"
                else "strict (distance < rho_i, j != i) where rho_i > 0; copies where rho_i = 0"
            ),
            "standardize": standardize_method(self.standardize),
            "units": "nats",
            "reference": "Gao, Kannan, Oh & Viswanath 2017, Algorithm 1",
        }
        constant = [b for b, a in (("x", xs), ("y", ys)) if len(constant_columns(a)) == a.shape[1]]
        extras["constant"] = constant
        if constant:
            return Estimate(
                value=0.0, message=f"{' and '.join(constant)} constant: I(X; Y) = 0", extras=extras
            )
        local = mixed_ksg_local_terms(xs, ys, self.k, self.variant)
        _, copies = np.unique(np.hstack([xs, ys]), axis=0, return_counts=True)
        extras["distinct_rows"] = int(len(copies))
        few = int(copies[(copies >= 2) & (copies <= self.k)].sum())
        if few:
            warnings.warn(
                f"{few} of {len(local)} (x, y) rows repeat only 2 to k={self.k} times: mixed "
                "KSG takes repeated rows for point masses of the distribution; if they are "
                "copies of continuous samples (a merge or a resample), they inflate the "
                "estimate: drop the copies first",
                stacklevel=3,
            )
        return Estimate(value=float(local.mean()), extras=extras)
