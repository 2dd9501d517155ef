"""Shared base of the k-nearest-neighbour estimators (KSG-1, KSG-2, Kozachenko–Leonenko, LNC).

Holds what the kNN estimators have in common: the checks of ``k``, ``standardize``, ``jitter``,
``backend`` and ``device``; the rule n > k; the preparation of the samples
(:mod:`mibench.baselines.preprocess`); the choice of backend; the conventions recorded in
``extras``; and the answer 0 when X or Y is constant (all its columns hold one value), where the
kNN formulas are undefined but I(X; Y) = 0 exactly.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from mibench.devices import check_device, resolve_device
from mibench.estimate import Estimate
from mibench.preprocessing import standardize_method
from mibench.validation import check_choice, check_int, check_real

from .base import BaselineEstimator
from .neighbors import BACKENDS, choose_backend
from .preprocess import (
    Prepared,
    check_duplicate_points,
    prepare,
    without_redundant_columns,
)


class NeighbourEstimator(BaselineEstimator):
    """Base of the kNN estimators; subclasses store the hyperparameters named below.

    Hyperparameters read here: ``k`` (int, or a sequence of ints where ``several_k`` is true),
    ``standardize``, ``jitter``, ``backend``, ``device``, plus ``error_bar`` and ``seed`` (see
    :class:`~mibench.baselines.base.BaselineEstimator`). kNN estimators refuse
    ``error_bar="bootstrap"`` (see :mod:`mibench.errorbars`).
    """

    error_bars: ClassVar[tuple[str, ...]] = ("subsampling",)
    #: Whether ``k`` may be a sequence of ints (several k from one neighbour search).
    several_k: ClassVar[bool] = False

    k: int | Sequence[int] | None  # None only where a subclass adapts k (see _ks_for)
    standardize: str
    jitter: float
    backend: str
    device: str

    def _ks(self) -> tuple[int, ...]:
        """The values of k as a tuple (the first is the reported one).

        Raises:
            ValueError: naming ``k`` when it is not a positive integer (or, where allowed, a
                non-empty sequence of distinct positive integers).
        """
        if self.several_k and isinstance(self.k, Sequence) and not isinstance(self.k, str):
            if len(self.k) == 0:
                raise ValueError("k must be a positive integer or a non-empty sequence of them")
            ks = tuple(check_int("k", k, 1) for k in self.k)
            if len(set(ks)) != len(ks):
                raise ValueError(f"k must not repeat a value, got {self.k!r}")
            return ks
        return (check_int("k", self.k, 1),)

    def _ks_for(self, dim_x: int, dim_y: int) -> tuple[int, ...]:
        """The values of k used on X of dimension ``dim_x`` and Y of ``dim_y`` (the first is the
        reported one); the given ``k`` unless a subclass adapts its default to the dimension."""
        return self._ks()

    def _check_params(self) -> None:
        super()._check_params()
        self._ks()
        standardize_method(self.standardize)
        check_real("jitter", self.jitter, 0)
        check_choice("backend", self.backend, BACKENDS)
        check_device(self.device)

    def required_samples(self, dim_x: int, dim_y: int) -> int:
        return max(self._ks_for(dim_x, dim_y)) + 1

    def _check_n(self, n: int, dim_x: int, dim_y: int) -> None:
        kmax = max(self._ks_for(dim_x, dim_y))
        if n <= kmax:
            raise ValueError(
                f"{type(self).__name__} needs more samples than neighbours: n={n} samples must "
                f"be greater than k={kmax}"
            )

    def _kdtree_ok(self, dim_x: int, dim_y: int) -> bool:
        """Whether the KD-tree backend can search this estimator's space (see neighbors)."""
        return True

    def _max_norm(self) -> bool:
        """Whether this estimator's searches are in the max norm (see neighbors)."""
        return True

    def _point(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        prepared = prepare(
            x,
            y,
            standardize_method=standardize_method(self.standardize),
            jitter=self.jitter,
            seed=self.seed_used,
            estimator=type(self).__name__,
        )
        dim_x, dim_y = x.shape[1], y.shape[1]
        ks = self._ks_for(dim_x, dim_y)
        backend = choose_backend(
            self.backend,
            dim=dim_x + dim_y,
            kdtree_ok=self._kdtree_ok(dim_x, dim_y),
            device=self.device,
            max_norm=self._max_norm(),
        )
        conventions: dict[str, Any] = {
            "standardize": standardize_method(self.standardize),
            "jitter": self.jitter,
            "seed": self.seed_used,
            "backend": backend,
            "device": str(resolve_device(self.device)) if backend == "brute" else "cpu",
            "constant_columns": prepared.constant,
            "dependent_columns": prepared.dependent,
            "ties": prepared.ties,
            "units": "nats",
        }
        constant = [b for b, d in (("x", dim_x), ("y", dim_y)) if len(prepared.constant[b]) == d]
        if constant:
            # I(X; Y) = 0 exactly; kNN formulas are undefined for a point mass (KSG-1 gives 0)
            return Estimate(
                value=0.0,
                message=f"{' and '.join(constant)} constant: I(X; Y) = 0",
                extras={"k": ks[0], **conventions},
            )
        if self.jitter == 0:
            check_duplicate_points(prepared, min(ks), type(self).__name__)
        prepared = without_redundant_columns(prepared)
        result = self._estimate_prepared(prepared, ks, backend, conventions)
        if backend == "brute":
            result.device = conventions["device"]
        return result

    @abstractmethod
    def _estimate_prepared(
        self, prepared: Prepared, ks: tuple[int, ...], backend: str, conventions: dict[str, Any]
    ) -> Estimate:
        """The estimate from prepared samples with the values ``ks`` of k (from
        :meth:`_ks_for`), with ``conventions`` merged into its extras."""
