"""Mixtures: MI has no closed form, so the ground truth is a Monte-Carlo mean of the PMI.

For a mixture p = Σ_k w_k p_k, the marginals are the mixtures of the component marginals, so
log p(x, y), log p(x) and log p(y) are log-sum-exps over components and the pointwise MI
log p(x, y) − log p(x) − log p(y) is exact at any point. I(X; Y) = E[PMI] is then estimated
from ``mc_samples`` draws with a fixed seed (deterministic), with standard error
std(PMI)/sqrt(n); it is computed on first access and cached on the distribution (Czyż et al.
2023, "The Mixtures and the Neural Critics: On the Pointwise Mutual Information Profiles of
Simple Distributions").

The built-in mixtures' values are computed once and committed in :data:`TRUTHS_FILE`, keyed
by the mixture's :attr:`Mixture.truth_key` (a fingerprint of its samples and PMI at fixed
points, and the Monte-Carlo settings), so that no process recomputes them: a mixture whose
key is in the file reads its value from there (exactly what the Monte-Carlo run gives), any
other one runs the Monte Carlo on first access. After changing a built-in mixture (or adding
one), rewrite the file with :func:`write_truths_file`; a test fails until then.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from mibench.protocols import TaskInfo
from mibench.tasks.base import Distribution, Task, family_tags, format_id
from mibench.tasks.gaussian import MultivariateNormal

CITE_PMI_PROFILES = (
    "Czyż, Grabowski, Vogt, Beerenwinkel & Marx (2023), The Mixtures and the Neural Critics: "
    "On the Pointwise Mutual Information Profiles of Simple Distributions, arXiv:2310.10240"
)

#: Default Monte-Carlo sample size for mixture ground truths (standard error ~1e-3 nats).
MC_SAMPLES = 1_000_000

#: The committed Monte-Carlo truths of the built-in mixtures (see :func:`write_truths_file`).
TRUTHS_FILE = Path(__file__).with_name("mixture_truths.json")

#: Number of points (drawn with a fixed seed) whose coordinates and PMI make a mixture's
#: fingerprint (:attr:`Mixture.truth_key`).
FINGERPRINT_POINTS = 16
#: Decimals those values are rounded to before hashing, so that last-bit differences between
#: machines do not change the fingerprint.
FINGERPRINT_DECIMALS = 8


class Mixture(Distribution):
    """A finite mixture Σ_k w_k p_k of distributions that provide log-densities.

    Args:
        components: distributions with the same ``dim_x`` and ``dim_y``, each implementing
            :meth:`~mibench.tasks.base.Distribution.log_densities`.
        weights: positive weights, one per component (normalised here).
        mc_samples: Monte-Carlo sample size for the ground-truth MI.
        mc_seed: seed of that Monte-Carlo run.

    Raises:
        ValueError: when there are no components, their dimensions differ, a component has
            no log-densities, or the weights are not positive and one per component.
    """

    def __init__(
        self,
        components: Sequence[Distribution],
        weights: Sequence[float],
        mc_samples: int = MC_SAMPLES,
        mc_seed: int = 0,
    ) -> None:
        components = tuple(components)
        if not components:
            raise ValueError("components must hold at least one distribution")
        dims = {(c.dim_x, c.dim_y) for c in components}
        if len(dims) != 1:
            raise ValueError(f"components must share dim_x and dim_y, got {sorted(dims)}")
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(components),) or not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise ValueError(
                f"weights must be {len(components)} positive numbers, got {list(weights)!r}"
            )
        for c in components:
            _check_has_densities(c)
        self.components = components
        self.weights = w / w.sum()
        (self.dim_x, self.dim_y) = dims.pop()
        self.mc_samples = int(mc_samples)
        self.mc_seed = int(mc_seed)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.choice(len(self.components), size=n, p=self.weights)
        x = np.empty((n, self.dim_x))
        y = np.empty((n, self.dim_y))
        for k, comp in enumerate(self.components):
            idx = np.flatnonzero(labels == k)
            if idx.size:
                x[idx], y[idx] = comp.sample(idx.size, rng)
        return x, y

    def log_densities(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        per_comp = np.stack([np.stack(c.log_densities(x, y)) for c in self.components])
        # per_comp: (components, 3, n)
        out = np.logaddexp.reduce(per_comp + np.log(self.weights)[:, None, None], axis=0)
        return out[0], out[1], out[2]

    @cached_property
    def truth_key(self) -> str:
        """The key of this mixture's ground truth in :data:`TRUTHS_FILE`.

        A SHA-256 digest of the Monte-Carlo settings and of the coordinates and PMI of
        :data:`FINGERPRINT_POINTS` points drawn with a fixed seed (rounded to
        :data:`FINGERPRINT_DECIMALS` decimals): any change to the components, the weights,
        the sampling or the densities changes it.
        """
        x, y = self.sample(FINGERPRINT_POINTS, np.random.default_rng(0))
        values = np.concatenate([x.ravel(), y.ravel(), self.pmi(x, y)])
        rounded = values.round(FINGERPRINT_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
        text = ",".join(f"{v:.{FINGERPRINT_DECIMALS}f}" for v in rounded)
        digest = hashlib.sha256(f"{self.mc_samples};{self.mc_seed};{text}".encode())
        return digest.hexdigest()

    @cached_property
    def _monte_carlo(self) -> tuple[float, float]:
        stored = _stored_truths().get(self.truth_key)
        if stored is not None:
            return stored
        return self.monte_carlo_mi(self.mc_samples, self.mc_seed)

    @property
    def mi(self) -> float:
        """Monte-Carlo I(X; Y) in nats (computed on first access, then cached)."""
        return self._monte_carlo[0]

    @property
    def mi_stderr(self) -> float:
        """Standard error of :attr:`mi` in nats."""
        return self._monte_carlo[1]


class ProductOfMarginals(Distribution):
    """X and Y drawn independently from the marginals of ``base`` (MI = 0).

    Args:
        base: a distribution implementing ``log_densities``.

    Raises:
        ValueError: when ``base`` has no log-densities.
    """

    def __init__(self, base: Distribution) -> None:
        _check_has_densities(base)
        self.base = base
        self.dim_x, self.dim_y = base.dim_x, base.dim_y

    @property
    def mi(self) -> float:
        return 0.0

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x, _ = self.base.sample(n, rng)
        _, y = self.base.sample(n, rng)
        return x, y

    def log_densities(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        _, lx, ly = self.base.log_densities(x, y)
        return lx + ly, lx, ly


@cache
def _stored_truths() -> dict[str, tuple[float, float]]:
    """The truths of :data:`TRUTHS_FILE`: truth key → (MI, standard error) in nats."""
    entries = json.loads(TRUTHS_FILE.read_text(encoding="utf-8"))["truths"]
    return {e["key"]: (e["mi"], e["mi_stderr"]) for e in entries}


def truth_entries(tasks: Iterable[TaskInfo]) -> list[dict]:
    """Run the Monte Carlo of each distinct mixture among ``tasks`` (never reading
    :data:`TRUTHS_FILE`) and return one entry per mixture, in the order first met.

    Each entry holds ``task`` (the id of the first task with that distribution, for reading),
    ``key`` (:attr:`Mixture.truth_key`), ``mc_samples``, ``mc_seed``, ``mi`` and
    ``mi_stderr`` (nats). Tasks of other distributions are skipped.
    """
    entries: dict[str, dict] = {}
    for task in tasks:
        dist = getattr(task, "distribution", None)
        if not isinstance(dist, Mixture) or dist.truth_key in entries:
            continue
        mi, stderr = dist.monte_carlo_mi(dist.mc_samples, dist.mc_seed)
        entries[dist.truth_key] = {
            "task": task.id,
            "key": dist.truth_key,
            "mc_samples": dist.mc_samples,
            "mc_seed": dist.mc_seed,
            "mi": mi,
            "mi_stderr": stderr,
        }
    return list(entries.values())


def write_truths_file(path: Path = TRUTHS_FILE) -> None:
    """Recompute the truths of the mixtures among the registered tasks (every built-in
    suite's) and write them to ``path`` (JSON; floats written exactly).

    Run ``python -c "from mibench.tasks.mixtures import write_truths_file;
    write_truths_file()"`` after changing or adding a built-in mixture (about a minute).
    """
    from mibench.tasks.registry import list_tasks

    document = {
        "about": "Monte-Carlo truths of the built-in mixtures (mibench.tasks.mixtures); "
        "regenerate with mibench.tasks.mixtures.write_truths_file()",
        "truths": truth_entries(list_tasks()),
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _check_has_densities(dist: Distribution) -> None:
    x, y = dist.sample(1, np.random.default_rng(0))
    try:
        dist.log_densities(x, y)
    except NotImplementedError:
        raise ValueError(
            f"{type(dist).__name__} has no log-densities, so it cannot enter a mixture"
        ) from None


def _mixture_tags(*bases: Task) -> frozenset:
    dims = [(b.dim_x, b.dim_y) for b in bases]
    return family_tags("mixture", dim_x=max(d[0] for d in dims), dim_y=max(d[1] for d in dims))


def x_shape(rho: float = 0.9) -> Task:
    """½ N(0, [[1, −ρ], [−ρ, 1]]) + ½ N(0, [[1, ρ], [ρ, 1]]): an X-shaped 1-D × 1-D mixture.

    X and Y are uncorrelated yet dependent; MI ≈ 0.408 ± 0.001 nats at ρ = 0.9 (Monte
    Carlo). Id ``1v1-xshape-<rho>`` (Czyż et al. 2023, PMI profiles).

    Raises:
        ValueError: unless 0 < ρ < 1.
    """
    if not 0.0 < rho < 1.0:
        raise ValueError(f"rho must be in (0, 1), got {rho}")
    arms = [MultivariateNormal(np.array([[1.0, r], [r, 1.0]]), 1) for r in (-rho, rho)]
    return Task(
        id=format_id("1v1-xshape", float(rho)),
        distribution=Mixture(arms, [0.5, 0.5]),
        name=f"X-shaped mixture of two normals, rho=+-{rho}",
        tags=family_tags("mixture", dim_x=1, dim_y=1),
        citation=CITE_PMI_PROFILES,
    )


def inliers(base: Task, fraction: float) -> Task:
    """(1 − f)·p_base + f·(product of its marginals): a share f of pairs carries no information.

    With the 2-pair sparse Gaussian as base, MI ≈ 0.636 at f = 0.2 and ≈ 0.270 at f = 0.5
    (Monte Carlo). Id ``inliers-<fraction>-<base id>`` (Czyż et al. 2023, PMI profiles).

    Args:
        base: an untransformed task whose distribution provides log-densities.
        fraction: f, with 0 < f < 1.

    Raises:
        ValueError: for f outside (0, 1), a transformed base, or a base without densities.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    if base.transforms_x or base.transforms_y:
        raise ValueError(f"inliers needs an untransformed base task, got {base.id!r}")
    dist = Mixture(
        [base.distribution, ProductOfMarginals(base.distribution)], [1.0 - fraction, fraction]
    )
    return Task(
        id=format_id("inliers", float(fraction), base.id),
        distribution=dist,
        name=f"{base.name or base.id} with a share {fraction} of independent inliers",
        tags=_mixture_tags(base),
        citation=CITE_PMI_PROFILES,
    )


def mixture_task(components: Sequence[Task], weights: Sequence[float]) -> Task:
    """A mixture of untransformed tasks' distributions with the given weights.

    Its id is the placeholder ``mixture-custom``: give it a real one with
    ``dataclasses.replace(task, id=...)`` before registering it.

    Raises:
        ValueError: for a transformed component; see also :class:`Mixture`.
    """
    for c in components:
        if c.transforms_x or c.transforms_y:
            raise ValueError(f"mixture components must be untransformed, got {c.id!r}")
    return Task(
        id="mixture-custom",
        distribution=Mixture([c.distribution for c in components], weights),
        name="mixture of " + ", ".join(c.id for c in components),
        tags=_mixture_tags(*components),
        citation=CITE_PMI_PROFILES,
    )
