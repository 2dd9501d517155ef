"""Kozachenko–Leonenko entropy and the three-entropy MI estimator built from it.

Kozachenko & Leonenko, "Sample estimate of the entropy of a random vector", Probl. Inf. Transm.
23, 95–101 (1987), in the k-th neighbour form of Kraskov et al. (2004, eq. 20):

    H(A) ≈ −ψ(k) + ψ(N) + ln c_d + (d/N) Σ_i ln ε_i,

with ε_i the distance from sample i to its k-th nearest other sample, d the dimension and c_d
the volume of the unit ball of the norm (2^d for the max norm, π^{d/2}/Γ(d/2 + 1) for the
Euclidean norm). The three-entropy MI estimate is H(X) + H(Y) − H(X, Y), each entropy with its
own neighbour search and the same k.

This differs from KSG: KSG reuses the joint radius ε_i in the marginal spaces so that the
entropies' biases largely cancel, while here each space picks its own radius and the biases do
not cancel; the three-entropy estimate is therefore more biased, especially in high dimension.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from mibench.estimate import Estimate
from mibench.validation import as_2d, check_choice, check_int

from .knn_base import NeighbourEstimator
from .neighbors import BACKENDS, NORMS, choose_backend, kth_neighbour_distance
from .preprocess import Prepared


def log_unit_ball_volume(d: int, norm: str) -> float:
    """ln of the volume of the unit ball in d dimensions: d·ln 2 (max norm) or the Euclidean one."""
    if norm == "max":
        return d * math.log(2.0)
    return 0.5 * d * math.log(math.pi) - float(gammaln(0.5 * d + 1.0))


def _entropy(a: np.ndarray, k: int, norm: str, backend: str, device: str, name: str) -> float:
    n, d = a.shape
    eps = kth_neighbour_distance(a, (k,), norm=norm, backend=backend, device=device)[k]
    zero = int(np.count_nonzero(eps == 0))
    if zero:
        raise ValueError(
            f"{name} has duplicated samples: the distance to the k-th neighbour (k={k}) is 0 for "
            f"{zero} of {n} samples, so the Kozachenko–Leonenko entropy is -inf; set jitter > 0 "
            "to break ties"
        )
    return float(
        -digamma(k) + digamma(n) + log_unit_ball_volume(d, norm) + d * np.mean(np.log(eps))
    )


def kl_entropy(
    a: object, k: int = 3, norm: str = "max", backend: str = "auto", device: str = "cpu"
) -> float:
    """Kozachenko–Leonenko estimate of the differential entropy H(A) in nats.

    Kozachenko & Leonenko (1987), k-th neighbour form (Kraskov et al. 2004, eq. 20).

    Args:
        a: samples, shape ``(n, d)`` (or ``(n,)`` for one column), finite.
        k: number of neighbours, 1 <= k < n.
        norm: ``"max"`` or ``"euclidean"`` over all d coordinates.
        backend: ``"auto"``, ``"kdtree"`` or ``"brute"`` (see :mod:`mibench.baselines.neighbors`).
        device: torch device of the brute backend.

    Returns:
        The entropy estimate in nats.

    Raises:
        ValueError: naming ``a`` for empty, non-finite or duplicated samples, naming ``k`` for
            k < 1 or k >= n, or naming ``norm``/``backend``/``device`` for unknown values.
    """
    arr = as_2d(a, "a")
    k = check_int("k", k, 1)
    if arr.shape[0] <= k:
        raise ValueError(f"n={arr.shape[0]} samples must be greater than k={k}")
    check_choice("norm", norm, NORMS)
    check_choice("backend", backend, BACKENDS)
    resolved = choose_backend(
        backend, dim=arr.shape[1], kdtree_ok=True, device=device, max_norm=norm == "max"
    )
    return _entropy(arr, k, norm, resolved, device, "a")


class KLMI(NeighbourEstimator):
    """Three-entropy MI estimate H(X) + H(Y) − H(X, Y) with Kozachenko–Leonenko entropies (nats).

    Each entropy is estimated with :func:`kl_entropy` (Kozachenko & Leonenko 1987; Kraskov et al.
    2004, eq. 20) and the same k; the joint space uses ``norm`` over all dim_x + dim_y
    coordinates. Unlike KSG the radii are not shared between the joint and marginal spaces, so
    the biases of the three terms do not cancel (see the module docstring).

    Input: ``x: (n, dim_x)``, ``y: (n, dim_y)``, n > k. ``extras`` records ``k``, ``norm``, the
    three entropies (``h_x``, ``h_y``, ``h_xy``), ``standardize``, ``jitter``, ``backend``,
    ``device``, ties, and the constant and linearly dependent columns dropped.

    Args:
        k: number of neighbours.
        norm: ``"max"`` or ``"euclidean"``.
        standardize: ``"zscore"``, ``"rank"`` or ``"none"``.
        jitter: relative sd of seeded noise to break ties (0: off).
        backend: ``"auto"``, ``"kdtree"`` or ``"brute"``.
        device: torch device of the brute backend.
        error_bar: ``None`` or ``"subsampling"``; ``"bootstrap"`` is refused (kNN).
        seed: seed of the jitter and of the error bar; None (default) uses 0.

    Raises:
        ValueError: for bad input, n <= k, a hyperparameter out of range, or duplicated samples
            (a zero neighbour distance makes the entropy -inf; the message suggests ``jitter``).
    """

    name: ClassVar[str] = "kl"
    source: ClassVar[str] = "Kozachenko & Leonenko (1987)"

    k: int  # one k (several_k is false)

    def __init__(
        self,
        k: int = 3,
        norm: str = "max",
        standardize: str = "zscore",
        jitter: float = 0.0,
        backend: str = "auto",
        device: str = "cpu",
        error_bar: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.k = k
        self.norm = norm
        self.standardize = standardize
        self.jitter = jitter
        self.backend = backend
        self.device = device
        self.error_bar = error_bar
        self.seed = seed
        self._check_params()

    def _check_params(self) -> None:
        super()._check_params()
        check_choice("norm", self.norm, NORMS)

    def _max_norm(self) -> bool:
        return self.norm == "max"

    def _estimate_prepared(
        self, prepared: Prepared, ks: tuple[int, ...], backend: str, conventions: dict[str, Any]
    ) -> Estimate:
        (k,) = ks
        parts = {
            "h_x": (prepared.x, "x"),
            "h_y": (prepared.y, "y"),
            "h_xy": (np.hstack([prepared.x, prepared.y]), "the joint sample (x, y)"),
        }
        h = {
            key: _entropy(a, k, self.norm, backend, self.device, label)
            for key, (a, label) in parts.items()
        }
        extras: dict[str, Any] = {
            "estimator": "Kozachenko–Leonenko three-entropy MI",
            "k": k,
            "norm": self.norm,
            **h,
            **conventions,
            "reference": "Kozachenko & Leonenko 1987; Kraskov et al. 2004 eq. 20",
        }
        return Estimate(value=h["h_x"] + h["h_y"] - h["h_xy"], extras=extras)
