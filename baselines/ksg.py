"""The KSG estimators of mutual information, KSG-1 and KSG-2 (Kraskov et al. 2004).

Kraskov, Stögbauer & Grassberger, "Estimating mutual information", Phys. Rev. E 69, 066138
(2004), equations (8) and (9). With ψ the digamma function, N samples, the joint space normed by
the max of the X and Y distances and ⟨·⟩ the mean over samples:

- KSG-1: I = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩, where ε_i is the distance from sample i
  to its k-th joint neighbour and n_x counts j ≠ i with ‖x_i − x_j‖ strictly below ε_i.
- KSG-2: I = ψ(k) − 1/k + ψ(N) − ⟨ψ(n_x) + ψ(n_y)⟩, where ε_x,i is the largest X-distance among
  the k joint neighbours and n_x counts j ≠ i with ‖x_i − x_j‖ <= ε_x,i (likewise Y).

Without ties KSG-1 never exceeds ψ(N) − ψ(k + 1) (about 5.65 nats at N = 1000, k = 3), so high
MI is underestimated; :mod:`mibench.baselines.lnc` lifts this cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma

from mibench.estimate import Estimate
from mibench.validation import check_bool, check_choice

from .knn_base import NeighbourEstimator
from .neighbors import NORMS, MarginalCounts, joint_neighbours
from .preprocess import Prepared


def ksg_local_terms(counts: MarginalCounts, n: int, k: int, variant: int) -> np.ndarray:
    """Per-sample KSG terms; their mean is the estimate (nats).

    Args:
        counts: marginal counts for this k (strict for KSG-1, non-strict for KSG-2), from
            :func:`mibench.baselines.neighbors.joint_neighbours`.
        n: number of samples N.
        k: number of neighbours.
        variant: 1 for KSG-1, 2 for KSG-2 (Kraskov et al. 2004, eqs. 8 and 9).

    Returns:
        Shape ``(n,)``: ψ(k) + ψ(N) − ψ(n_x + 1) − ψ(n_y + 1) for KSG-1, or
        ψ(k) − 1/k + ψ(N) − ψ(n_x) − ψ(n_y) for KSG-2.
    """
    # grouped so that a constant block gives exactly 0: with n_x = N − 1 and n_y = k − 1 the
    # two brackets are −a and a (KSG-1)
    if variant == 1:
        return (digamma(k) - digamma(counts.n_y + 1)) + (digamma(n) - digamma(counts.n_x + 1))
    return (digamma(k) - digamma(counts.n_y)) + (digamma(n) - digamma(counts.n_x)) - 1.0 / k


class KSG(NeighbourEstimator):
    """KSG-1 estimator of I(X; Y) in nats (Kraskov, Stögbauer & Grassberger 2004, eq. 8).

    Input: ``x: (n, dim_x)``, ``y: (n, dim_y)`` (1-D arrays are one column), any dimensions,
    n > k. The value is the KSG-1 estimate for the first k; ``extras`` records every convention
    (``variant``, ``k``, ``per_k``, ``norm``, ``counting``, ``standardize``, ``jitter``, ``clip``,
    ``backend``, ``device``, ties, and the constant and linearly dependent columns dropped).

    Args:
        k: number of neighbours, or a sequence of them computed from one neighbour search (the
            value is for the first; ``extras["per_k"]`` holds all).
        norm: norm inside the X and Y blocks, ``"max"`` or ``"euclidean"``; the joint space
            always takes the max of the two block distances.
        standardize: ``"zscore"`` (per column), ``"rank"`` or ``"none"``; see
            :mod:`mibench.preprocessing`.
        jitter: relative sd of seeded Gaussian noise added after standardising, to break ties
            (0: off; 1e-10 is customary).
        clip: report max(0, estimate) (scikit-learn's convention); off by default.
        backend: ``"auto"``, ``"kdtree"`` or ``"brute"`` (see
            :mod:`mibench.baselines.neighbors`); both give the same values.
        device: torch device of the brute backend (``"cpu"``, ``"cuda"``, ``"auto"``, ...).
        return_local: put the per-sample local terms (whose mean is the estimate) in
            ``extras["local"]`` as ``{k: array of shape (n,)}``.
        error_bar: ``None`` or ``"subsampling"`` (fills ``Estimate.stderr``); ``"bootstrap"``
            is refused with a ValueError (kNN estimators).
        seed: seed of the jitter and of the error bar's partitions; None (default) uses 0
            (a grid replaces None with a seed derived from the cell).

    Raises:
        ValueError: from :meth:`estimate`, for bad input (naming ``x`` or ``y``), for n <= k
            (naming ``n`` and ``k``), or for a hyperparameter out of range (naming it).

    Warns:
        RuntimeWarning: for constant columns (a constant X or Y gives exactly 0, as the KSG-1
            formula does), for linearly dependent columns (dropped: the MI is unchanged) and
            for tied values when ``jitter`` is 0.
    """

    name: ClassVar[str] = "ksg"
    source: ClassVar[str] = "Kraskov, Stögbauer & Grassberger (2004), estimator 1"
    several_k: ClassVar[bool] = True
    #: 1 for KSG-1, 2 for KSG-2.
    variant: ClassVar[int] = 1

    def __init__(
        self,
        k: int | Sequence[int] = 3,
        norm: str = "max",
        standardize: str = "zscore",
        jitter: float = 0.0,
        clip: bool = False,
        backend: str = "auto",
        device: str = "cpu",
        return_local: bool = False,
        error_bar: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.k = k
        self.norm = norm
        self.standardize = standardize
        self.jitter = jitter
        self.clip = clip
        self.backend = backend
        self.device = device
        self.return_local = return_local
        self.error_bar = error_bar
        self.seed = seed
        self._check_params()

    def _check_params(self) -> None:
        super()._check_params()
        check_choice("norm", self.norm, NORMS)
        check_bool("clip", self.clip)
        check_bool("return_local", self.return_local)

    def _kdtree_ok(self, dim_x: int, dim_y: int) -> bool:
        return self.norm == "max" or dim_x == dim_y == 1

    def _estimate_prepared(
        self, prepared: Prepared, ks: tuple[int, ...], backend: str, conventions: dict[str, Any]
    ) -> Estimate:
        n = prepared.x.shape[0]
        nb = joint_neighbours(
            prepared.x,
            prepared.y,
            ks,
            strict=self.variant == 1,
            norm=self.norm,
            backend=backend,
            device=self.device,
        )
        local = {k: ksg_local_terms(nb.counts[k], n, k, self.variant) for k in ks}
        per_k = {k: float(terms.mean()) for k, terms in local.items()}
        raw = per_k[ks[0]]
        extras: dict[str, Any] = {
            "estimator": f"KSG-{self.variant}",
            "variant": self.variant,
            "k": ks[0],
            "per_k": per_k,
            "norm": self.norm,
            "joint_norm": "max of the X and Y block distances",
            "counting": (
                "strict: distance < radius (one ulp below it), j != i"
                if self.variant == 1
                else "non-strict: distance <= per-block radius, j != i"
            ),
            "clip": self.clip,
            "unclipped_value": raw,
            **conventions,
            "reference": "Kraskov, Stögbauer & Grassberger 2004",
        }
        if self.return_local:
            extras["local"] = local
        return Estimate(value=max(0.0, raw) if self.clip else raw, extras=extras)


class KSG2(KSG):
    """KSG-2 estimator of I(X; Y) in nats (Kraskov, Stögbauer & Grassberger 2004, eq. 9).

    Same hyperparameters, input, extras and errors as :class:`KSG`; the counts are non-strict
    inside the per-block sides ε_x, ε_y of the box spanned by the k joint neighbours, and the
    estimate is ψ(k) − 1/k + ψ(N) − ⟨ψ(n_x) + ψ(n_y)⟩.
    """

    name: ClassVar[str] = "ksg2"
    source: ClassVar[str] = "Kraskov, Stögbauer & Grassberger (2004), estimator 2"
    variant: ClassVar[int] = 2
