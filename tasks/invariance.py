"""Paired invariance studies: base tasks, transform families with a strength, and variants.

MI is invariant under injective maps applied separately to X and to Y (Kraskov et al. 2004,
eq. 45; Brakel & Bengio 2017); estimators are not. A *variant* pushes its base task's draws
through one family at one strength. Its cells draw the base's samples (the same data seed for
a given n and replicate seed, :attr:`mibench.harness.cells.Cell.paired_base`), so
Δ = Î(f(X), g(Y)) − Î(X, Y) is computed on paired data and measures the estimator alone.

Families (coordinate-wise ones act on every coordinate of X and of Y):

==============  ====================================================  ===================
family          map (strength s)                                      strengths
==============  ====================================================  ===================
``normal_cdf``  Φ(s·x)                                                0.5, 1, 2
``power``       sign(x)·|x|^s                                         2, 3, 5
``asinh``       arsinh(s·x)                                           1, 5, 25
``spline``      random increasing piecewise-linear map, log-slopes    0.5, 1, 2
                ~ N(0, s²) (:func:`~mibench.tasks.transforms.random_spline`)
``wiggly``      the standard suite's wiggly maps, amplitudes × s      0.5, 1, 1.19
                (1.19 is just below 1/Σ|a_k b_k| = 1.192 of the X map,
                the bound of :class:`~mibench.tasks.transforms.Wiggly`'s
                guarantee of a positive derivative)
``linear``      U·diag(σ)·Vᵀ with condition number s (s = 1: rotation)  1, 30, 1000
``spiral``      the standard spiral at s × its speed 1/dim            0.5, 1, 2
``swissroll``   X only: Φ, then a Swiss roll with s × the turns        0.5, 1, 2
``scale``       stress: coordinate i × 10^{s·(2i/(d−1) − 1)} (Y; X     2, 4, 8
                reversed); a 1-D side × 10^{−s} (X) or 10^{s} (Y)
``shift``       stress: x + 10^s                                      8, 12, 16
==============  ====================================================  ===================

``linear`` and ``spiral`` need multivariate sides (the spiral dim_x ≥ 2, dim_y ≥ 3);
``swissroll`` needs a 1-D X. The two stress families are injective in exact arithmetic but
not in float64: a shift large against the spread merges values (x + 1e16 leaves a handful of
distinct values of a standard normal sample), so their rows say ``variant_stress`` and the
reports give the distinct values that survive. Strengths outside the table are accepted
through the id grammar (``paired-power_4-…``) but not flagged: a very large power or CDF
scale can saturate float64 too. The identity variant (family ``identity``) is
the base itself, paired, so every Δ has its reference in the same study.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mibench.tasks.base import Pairing, Task, Transform
from mibench.tasks.registry import get_task
from mibench.tasks.transforms import (
    WIGGLY_X,
    WIGGLY_Y,
    Affine,
    Asinh,
    NormalCDF,
    Power,
    PreScaled,
    Spiral,
    SwissRoll,
    Wiggly,
    conditioned_linear,
    random_spline,
)

#: The base tasks of the invariance study: bivariate normal ρ = 0.75, the 2-pair sparse
#: Gaussians 3×3 and 5×5, and the dense 5×5 Gaussian.
BASES = (
    "1v1-normal-0.75",
    "multinormal-sparse-3-3-2-2.0",
    "multinormal-sparse-5-5-2-2.0",
    "multinormal-dense-5-5-0.5",
)
#: Prefix of every variant id: ``paired-<family>_<strength>-<base id>``.
PREFIX = "paired"

#: ``make(side, dim, strength)``: the transform of one side, or None to leave it unchanged.
Maker = Callable[[str, int, float], Transform | None]


@dataclass(frozen=True)
class Family:
    """A transform family of the invariance study.

    Attributes:
        name: the family's name (the ``variant_family`` column).
        strengths: its strengths, weakest first.
        make: builds the transform of one side for a strength.
        applies: whether the family applies to a base of dimensions (dim_x, dim_y).
        stress: a floating-point stress family (not injective in float64).
    """

    name: str
    strengths: tuple[float, ...]
    make: Maker
    applies: Callable[[int, int], bool] = lambda dx, dy: True
    stress: bool = False


def _wiggly(side: str, dim: int, s: float) -> Transform:
    terms = WIGGLY_X if side == "x" else WIGGLY_Y
    return Wiggly([(a * s, b, c) for a, b, c in terms])


def _spline(side: str, dim: int, s: float) -> Transform:
    return random_spline(s, seed=0 if side == "x" else 1)


def _scale(side: str, dim: int, s: float) -> Transform:
    sign = -1.0 if side == "x" else 1.0
    exponents = sign * s * (np.linspace(-1.0, 1.0, dim) if dim > 1 else np.ones(1))
    return Affine(10.0**exponents, name=f"scale_{s:g}")


FAMILIES: tuple[Family, ...] = (
    Family("normal_cdf", (0.5, 1.0, 2.0), lambda side, d, s: PreScaled(NormalCDF(), s)),
    Family("power", (2.0, 3.0, 5.0), lambda side, d, s: Power(s)),
    Family("asinh", (1.0, 5.0, 25.0), lambda side, d, s: PreScaled(Asinh(), s)),
    Family("spline", (0.5, 1.0, 2.0), _spline),
    Family("wiggly", (0.5, 1.0, 1.19), _wiggly),
    Family(
        "linear",
        (1.0, 30.0, 1000.0),
        lambda side, d, s: conditioned_linear(d, s, seed=0 if side == "x" else 1),
        applies=lambda dx, dy: dx >= 2 and dy >= 2,
    ),
    Family(
        "spiral",
        (0.5, 1.0, 2.0),
        lambda side, d, s: Spiral(0, 1, s / d) if side == "x" else Spiral(1, 2, s / d),
        applies=lambda dx, dy: dx >= 2 and dy >= 3,
    ),
    Family(
        "swissroll",
        (0.5, 1.0, 2.0),
        lambda side, d, s: _Composed(NormalCDF(), SwissRoll(s)) if side == "x" else None,
        applies=lambda dx, dy: dx == 1,
    ),
    Family("scale", (2.0, 4.0, 8.0), _scale, stress=True),
    Family("shift", (8.0, 12.0, 16.0), lambda side, d, s: Affine(np.ones(d), 10.0**s), stress=True),
)


class _Composed(Transform):
    """Two transforms applied one after the other (the first, then the second)."""

    def __init__(self, first: Transform, second: Transform) -> None:
        self.first, self.second = first, second
        self.name = f"{second.name}-{first.name}"

    def out_dim(self, dim: int) -> int:
        return self.second.out_dim(self.first.out_dim(dim))

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return self.second(self.first(a))

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return self.first.inverse(self.second.inverse(b))


def get_family(name: str) -> Family:
    """The family called ``name``.

    Raises:
        ValueError: for an unknown name, listing the families.
    """
    for family in FAMILIES:
        if family.name == name:
            return family
    raise ValueError(f"unknown family {name!r}; the families are {[f.name for f in FAMILIES]}")


def identity_variant(base: Task) -> Task:
    """The base task itself as a paired variant (family ``identity``, strength 0).

    Raises:
        ValueError: when ``base`` is itself a paired variant.
    """
    _check_base(base)
    return dataclasses.replace(
        base,
        id=f"{PREFIX}-identity-{base.id}",
        name=f"{base.name or base.id} (paired base)",
        pairing=Pairing(base.id, "identity", 0.0),
    )


def variant(base: Task, family: Family, strength: float) -> Task:
    """``base`` pushed through ``family`` at ``strength``, paired with ``base``.

    Raises:
        ValueError: when the family does not apply to the base's dimensions, or a strength is
            out of the family's range (e.g. a wiggly amplitude that could break injectivity).
    """
    _check_base(base)
    if not family.applies(base.dim_x, base.dim_y):
        raise ValueError(
            f"family {family.name!r} does not apply to {base.id!r} ({base.dim_x}×{base.dim_y})"
        )
    try:
        tx = family.make("x", base.dim_x, strength)
        ty = family.make("y", base.dim_y, strength)
    except ArithmeticError as exc:  # e.g. 10**s beyond float64 for a huge shift
        raise ValueError(f"strength {strength:g} of family {family.name!r}: {exc}") from None
    prefix = f"{PREFIX}-{family.name}_{strength:g}"
    task = base.transformed(tx, ty, prefix=prefix, name=f"{family.name} {strength:g} of {base.id}")
    return dataclasses.replace(
        task, pairing=Pairing(base.id, family.name, float(strength), family.stress)
    )


def _check_base(base: Task) -> None:
    if base.pairing is not None:
        raise ValueError(
            f"the base of a paired variant must not be a paired variant itself, got {base.id!r}"
        )


def variants(base_id: str) -> list[Task]:
    """Every variant of the base ``base_id``: the identity, then each family that applies
    (in :data:`FAMILIES` order) at each strength.

    Raises:
        ValueError: for an unknown base id, or the id of a streaming task.
    """
    base = get_task(base_id)
    if not isinstance(base, Task):
        raise ValueError(f"base_id must name a fixed-sample task, got streaming task {base_id!r}")
    out = [identity_variant(base)]
    for family in FAMILIES:
        if family.applies(base.dim_x, base.dim_y):
            out += [variant(base, family, s) for s in family.strengths]
    return out


def suite_tasks() -> list[Task]:
    """The tasks of the ``invariance`` suite: :func:`variants` of every base of :data:`BASES`."""
    return [t for base_id in BASES for t in variants(base_id)]
