"""Core task types: a base distribution with known MI, pushed through MI-preserving transforms.

A :class:`Task` is what estimators are benchmarked on: ``sample(n, seed)`` returns
``x: (n, dim_x)`` and ``y: (n, dim_y)`` float64 arrays, and ``mi`` is the true mutual
information in nats (exact, or Monte Carlo with standard error ``mi_stderr``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np


class Distribution(ABC):
    """A joint distribution of (X, Y) whose mutual information is known.

    Subclasses set ``dim_x`` and ``dim_y`` and implement :meth:`sample` and :attr:`mi`.
    """

    dim_x: int
    dim_y: int

    @property
    @abstractmethod
    def mi(self) -> float:
        """True I(X; Y) in nats."""

    @property
    def mi_stderr(self) -> float:
        """Standard error of :attr:`mi` in nats (0 for a closed form)."""
        return 0.0

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` pairs: ``x: (n, dim_x)``, ``y: (n, dim_y)``, float64."""


class Transform(ABC):
    """A map applied to every sample of X (or of Y) that leaves MI unchanged.

    Continuous injective maps preserve mutual information (Kraskov et al. 2004, eq. 45).
    ``name`` is the prefix it adds to a task id.
    """

    name: str = ""

    def out_dim(self, dim: int) -> int:
        """Dimension of the output for an input of dimension ``dim``.

        Raises:
            ValueError: when the transform does not accept inputs of dimension ``dim``.
        """
        return dim

    @abstractmethod
    def __call__(self, a: np.ndarray) -> np.ndarray:
        """Apply the transform to ``a: (n, dim)``; returns ``(n, out_dim(dim))``."""


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return int(n)


@dataclass(frozen=True)
class Task:
    """A benchmark task: a :class:`Distribution` and transforms applied to X and Y.

    Attributes:
        id: stable kebab-case slug that encodes the parameters, e.g.
            ``"half_cube-multinormal-dense-5-5-0.5"``.
        distribution: the base distribution; it determines the true MI.
        transforms_x: transforms applied to X, first to last.
        transforms_y: transforms applied to Y, first to last.
        name: human-readable name.
        version: bumped whenever sampling or the true MI changes, so stored results and
            cell ids from the old definition are not mixed with new ones.
        tags: family tags (gaussian, reparameterized, high-dimensional, heavy-tailed,
            mixture, discrete-continuous, staircase, independent).
        citation: where the construction comes from.
    """

    id: str
    distribution: Distribution
    transforms_x: tuple[Transform, ...] = ()
    transforms_y: tuple[Transform, ...] = ()
    name: str = ""
    version: int = 1
    tags: frozenset[str] = field(default_factory=frozenset)
    citation: str = ""

    @property
    def dim_x(self) -> int:
        """Dimension of the sampled X."""
        d = self.distribution.dim_x
        for t in self.transforms_x:
            d = t.out_dim(d)
        return d

    @property
    def dim_y(self) -> int:
        """Dimension of the sampled Y."""
        d = self.distribution.dim_y
        for t in self.transforms_y:
            d = t.out_dim(d)
        return d

    @property
    def mi(self) -> float:
        """True I(X; Y) in nats (transforms preserve it)."""
        return self.distribution.mi

    @property
    def mi_stderr(self) -> float:
        """Standard error of :attr:`mi` in nats; 0 when it is exact."""
        return self.distribution.mi_stderr

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` samples, deterministically for a given ``seed``.

        Returns:
            ``x: (n, dim_x)`` and ``y: (n, dim_y)``, float64.

        Raises:
            ValueError: when ``n`` is not a positive integer.
        """
        n = _check_n(n)
        rng = np.random.default_rng(seed)
        x, y = self.distribution.sample(n, rng)
        for t in self.transforms_x:
            x = t(x)
        for t in self.transforms_y:
            y = t(y)
        return x, y

    def transformed(
        self,
        transform_x: Transform | None,
        transform_y: Transform | None,
        prefix: str | None = None,
        name: str | None = None,
    ) -> Task:
        """A new task with one more transform on X and/or Y; its id is ``prefix-<id>``.

        Raises:
            ValueError: when a transform does not accept the current dimension.
        """
        tx = self.transforms_x + ((transform_x,) if transform_x else ())
        ty = self.transforms_y + ((transform_y,) if transform_y else ())
        prefix = prefix or (transform_x or transform_y).name
        task = Task(
            id=f"{prefix}-{self.id}",
            distribution=self.distribution,
            transforms_x=tx,
            transforms_y=ty,
            name=name or f"{prefix} of {self.name or self.id}",
            version=self.version,
            tags=self.tags | {"reparameterized"},
            citation=self.citation,
        )
        task.dim_x, task.dim_y  # noqa: B018 - validates the dimensions now
        return task


@dataclass(frozen=True)
class Suite:
    """A named, ordered list of task ids."""

    name: str
    task_ids: tuple[str, ...]
    description: str = ""
