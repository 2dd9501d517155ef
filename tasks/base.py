"""Core task types: a base distribution with known MI, pushed through MI-preserving transforms.

A :class:`Task` is what estimators are benchmarked on: ``sample(n, seed)`` returns
``x: (n, dim_x)`` and ``y: (n, dim_y)`` float64 arrays, and ``mi`` is the true mutual
information in nats (exact, or Monte Carlo with standard error ``mi_stderr``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from mibench.validation import check_int

#: The family tags a task may carry.
TAGS = frozenset(
    {
        "gaussian",
        "reparameterized",
        "high-dimensional",
        "heavy-tailed",
        "mixture",
        "discrete-continuous",
        "categorical",
        "staircase",
        "independent",
    }
)

#: Number of rows drawn per chunk by :meth:`Distribution.monte_carlo_mi` (bounds its memory).
MC_CHUNK = 100_000

#: Extra entropy mixed into Monte-Carlo seeds, so that the ground-truth samples never
#: coincide with the samples an estimator sees for the same integer seed.
_MC_SEED_TAG = 0x6D69_6D63


class Distribution(ABC):
    """A joint distribution of (X, Y) whose mutual information is known.

    Subclasses set ``dim_x`` and ``dim_y`` and implement :meth:`sample` and :attr:`mi`.
    Those that can evaluate their log-densities implement :meth:`log_densities`, which gives
    the pointwise mutual information (:meth:`pmi`) and a Monte-Carlo MI
    (:meth:`monte_carlo_mi`).
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

    def log_densities(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log-densities ``(log p(x, y), log p(x), log p(y))``.

        ``x`` has shape ``(n, dim_x)`` and ``y`` ``(n, dim_y)``.

        Each output has shape ``(n,)``. A discrete coordinate contributes its probability mass
        (density with respect to the counting measure), so the PMI stays well defined.

        Raises:
            NotImplementedError: when the family has no tractable density.
        """
        raise NotImplementedError(f"{type(self).__name__} does not provide log-densities")

    def pmi(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Pointwise MI ``log p(x, y) − log p(x) − log p(y)`` in nats, shape ``(n,)``.

        Raises:
            NotImplementedError: when :meth:`log_densities` is not available.
        """
        lxy, lx, ly = self.log_densities(x, y)
        return lxy - lx - ly

    def monte_carlo_mi(self, n: int = 1_000_000, seed: int = 0) -> tuple[float, float]:
        """Monte-Carlo estimate of I(X; Y) = E[PMI] and its standard error, in nats.

        Draws ``n`` samples in chunks of :data:`MC_CHUNK` (memory stays bounded) from a
        generator seeded by ``seed`` and a fixed tag, so the result is deterministic and
        independent of the samples :meth:`Task.sample` returns for the same seed.

        Returns:
            ``(mean PMI, std(PMI) / sqrt(n))``.

        Raises:
            ValueError: when ``n < 2``.
            NotImplementedError: when :meth:`log_densities` is not available.
        """
        n = check_int("n", n, 1)
        if n < 2:
            raise ValueError(f"n must be at least 2 for a standard error, got {n}")
        rng = np.random.default_rng([_MC_SEED_TAG, seed])
        total = total_sq = 0.0
        for start in range(0, n, MC_CHUNK):
            x, y = self.sample(min(MC_CHUNK, n - start), rng)
            p = self.pmi(x, y)
            total += float(p.sum())
            total_sq += float(np.square(p).sum())
        mean = total / n
        var = max(total_sq / n - mean**2, 0.0) * n / (n - 1)
        return mean, float(np.sqrt(var / n))


class Transform(ABC):
    """An injective map applied to every sample of X (or of Y); it leaves MI unchanged.

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

    @abstractmethod
    def inverse(self, b: np.ndarray) -> np.ndarray:
        """Invert the transform on its range: ``b: (n, out_dim(dim))`` -> ``(n, dim)``."""


def format_id(*parts: object) -> str:
    """Join id parts with ``-``: ints as digits, floats as ``repr`` (``0.5``, ``2.0``)."""
    out = []
    for p in parts:
        if isinstance(p, (bool, np.bool_)):
            raise TypeError(f"id parts cannot be booleans, got {p!r}")
        if isinstance(p, (int, np.integer)):
            out.append(str(int(p)))
        elif isinstance(p, (float, np.floating)):
            out.append(repr(float(p)))
        else:
            out.append(str(p))
    return "-".join(out)


def family_tags(*families: str, dim_x: int, dim_y: int, independent: bool = False) -> frozenset:
    """Tags for a base task: its families, ``high-dimensional`` when a side has ≥ 25
    coordinates, and ``independent`` when its MI is exactly 0."""
    tags = set(families)
    if max(dim_x, dim_y) >= 25:
        tags.add("high-dimensional")
    if independent:
        tags.add("independent")
    return frozenset(tags)


@dataclass(frozen=True)
class Pairing:
    """What makes a task a variant of a paired invariance study (:mod:`mibench.tasks.invariance`).

    A variant samples its base task's draws (the same data seed for a given n and replicate)
    and pushes them through one transform family at one strength, so that the difference of
    an estimator's values on variant and base measures the estimator, not sampling noise.

    Attributes:
        base_id: id of the base task whose draws the variant transforms.
        family: the transform family (``identity`` for the base itself).
        strength: the family's strength parameter (0 for ``identity``).
        stress: True for the floating-point stress families (scales and shifts that can merge
            values in float64, so not injective in practice).
    """

    base_id: str
    family: str
    strength: float
    stress: bool = False


@dataclass(frozen=True)
class Task:
    """A benchmark task: a :class:`Distribution` and transforms applied to X and Y.

    Attributes:
        id: stable kebab-case slug that encodes the parameters, e.g.
            ``"half_cube-multinormal-dense-5-5-0.5"`` (grammar in
            :mod:`mibench.tasks.idgrammar`).
        distribution: the base distribution; it determines the true MI.
        transforms_x: transforms applied to X, first to last.
        transforms_y: transforms applied to Y, first to last.
        name: human-readable name.
        version: bumped whenever sampling or the true MI changes, so stored results and
            cell ids from the old definition are not mixed with new ones.
        tags: family tags (gaussian, reparameterized, high-dimensional, heavy-tailed,
            mixture, discrete-continuous, categorical, staircase, independent).
        citation: where the construction comes from.
        pairing: set for a variant of a paired invariance study (:class:`Pairing`); its cells
            draw the base task's samples.
        streaming: False, a class attribute: a task draws fixed samples (it satisfies
            :class:`mibench.protocols.FixedSampleTask`).
    """

    streaming: ClassVar[bool] = False

    id: str
    distribution: Distribution
    transforms_x: tuple[Transform, ...] = ()
    transforms_y: tuple[Transform, ...] = ()
    name: str = ""
    version: int = 1
    tags: frozenset[str] = field(default_factory=frozenset)
    citation: str = ""
    pairing: Pairing | None = None

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
        """True I(X; Y) in nats (transforms preserve it).

        For a Monte-Carlo ground truth (mixtures) the first access reads it from the committed
        truths of the built-in mixtures or, for any other mixture, computes it; the value is
        then cached on the distribution (see :mod:`mibench.tasks.mixtures`).
        """
        return self.distribution.mi

    @property
    def mi_stderr(self) -> float:
        """Standard error of :attr:`mi` in nats; 0 when it is exact."""
        return self.distribution.mi_stderr

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` samples, deterministically for a given ``seed``.

        Cost and memory are linear in ``n``.

        Returns:
            ``x: (n, dim_x)`` and ``y: (n, dim_y)``, float64.

        Raises:
            ValueError: when ``n`` is not a positive integer, or a transform meets a value
                outside its domain.
        """
        n = check_int("n", n, 1)
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

        ``prefix`` defaults to the transform's ``name``.

        Raises:
            ValueError: when neither transform is given, or a transform does not accept the
                current dimension.
        """
        if transform_x is None and transform_y is None:
            raise ValueError("transformed() needs transform_x or transform_y")
        tx = self.transforms_x + ((transform_x,) if transform_x else ())
        ty = self.transforms_y + ((transform_y,) if transform_y else ())
        given = transform_x or transform_y
        assert given is not None  # one of them is given (checked above)
        prefix = prefix or given.name
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
