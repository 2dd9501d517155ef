"""The built-in suites, as ordered lists of task ids (built through the id grammar on first
use, so importing the package stays fast).

``standard`` is the 40-task benchmark of Czyż et al. (2023), "Beyond Normal"; ``staircase``
holds streaming tasks (:mod:`mibench.tasks.streaming`); the others extend the catalogue.
"""

from __future__ import annotations

from mibench.tasks.invariance import suite_tasks
from mibench.tasks.registry import register_suite
from mibench.tasks.streaming import Staircase

_SPARSE = "multinormal-sparse-{d}-{d}-2-2.0"

STANDARD = [
    "1v1-normal-0.75",
    "normal_cdf-1v1-normal-0.75",
    "1v1-additive-0.1",
    "1v1-additive-0.75",
    "1v1-bimodal-0.75",
    "wiggly-1v1-normal-0.75",
    "half_cube-1v1-normal-0.75",
    "student-identity-1-1-1",
    "asinh-student-identity-1-1-1",
    "swissroll_x-normal_cdf-1v1-normal-0.75",
    *(f"multinormal-dense-{d}-{d}-0.5" for d in (2, 3, 5, 25, 50)),
    *(_SPARSE.format(d=d) for d in (2, 3, 5, 25)),
    *(
        f"student-identity-{d}-{d}-{nu}"
        for d, nu in ((2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3))
    ),
    *(
        f"{prefix}-{_SPARSE.format(d=d)}"
        for prefix in ("normal_cdf", "half_cube", "spiral", "spiral-normal_cdf")
        for d in (3, 5, 25)
    ),
    *(f"asinh-student-identity-{d}-{d}-{nu}" for d, nu in ((2, 1), (3, 2), (5, 2))),
]

QUICK = [
    "1v1-normal-0.75",
    "normal_cdf-1v1-normal-0.75",
    "half_cube-1v1-normal-0.75",
    "multinormal-dense-2-2-0.5",
    "multinormal-dense-5-5-0.5",
    "multinormal-sparse-3-3-2-2.0",
    "normal_cdf-multinormal-sparse-3-3-2-2.0",
    "half_cube-multinormal-sparse-3-3-2-2.0",
]

HIGH_DIM = [
    *(f"multinormal-dense-{d}-{d}-0.5" for d in (10, 25, 50, 100)),
    "multinormal-dense-100-100-0.1",
    *(_SPARSE.format(d=d) for d in (10, 25, 50, 100)),
    "multinormal-sparse-50-50-10-2.0",
    "multinormal-sparse-100-100-10-1.0",
    "multinormal-pairs-mi-100-5.0",
    "multinormal-identity-100-100",
    "student-identity-25-25-3",
    "student-sparse-50-50-2-2.0-5",
    *(
        f"{prefix}-{_SPARSE.format(d=d)}"
        for prefix in ("normal_cdf", "half_cube", "spiral", "asinh", "rotation")
        for d in (50, 100)
    ),
    "half_cube-multinormal-dense-50-50-0.5",
    "rotation-multinormal-dense-100-100-0.1",
]

_MI_STEPS = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0)
HIGH_MI = [
    *(f"{p}multinormal-pairs-mi-1-{mi!r}" for p in ("", "wiggly-") for mi in _MI_STEPS),
    *(
        f"{p}multinormal-pairs-mi-3-{mi!r}"
        for p in ("", "half_cube-", "normal_cdf-")
        for mi in _MI_STEPS
    ),
]

_RHOS = (-0.99, -0.9, -0.7, -0.5, -0.3, -0.1, 0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99)
MINE_GAUSSIAN = [f"multinormal-pairs-{d}-{rho!r}" for d in (2, 20) for rho in _RHOS]

MIXTURES = [
    "1v1-xshape-0.9",
    "1v1-xshape-0.5",
    "normal_cdf-1v1-xshape-0.9",
    *(f"inliers-{f}-{_SPARSE.format(d=d)}" for d in (2, 5) for f in (0.2, 0.5)),
    "half_cube-inliers-0.2-multinormal-sparse-5-5-2-2.0",
    "inliers-0.2-student-identity-2-2-2",
]

DISCRETE_CONTINUOUS = [
    *(f"1v1-discrete-{m}" for m in (2, 3, 5, 10, 20)),
    "asinh_y-1v1-discrete-5",
    "wiggly_y-1v1-discrete-5",
    "half_cube-1v1-discrete-10",
]

#: Categorical–categorical tasks (K-ary symmetric channel), exact MI; a suite of its own so that
#: ``standard`` and ``discrete-continuous`` stay as they are.
DISCRETE = [f"categorical-{k}-{eps!r}" for k in (2, 4, 10) for eps in (0.1, 0.3)]

HEAVY_TAILS = [
    *(f"student-identity-{d}-{d}-{nu}" for d in (1, 2, 5) for nu in (1, 2, 3, 5, 10, 30)),
    *(f"student-dense-3-3-0.5-{nu}" for nu in (1, 3, 10)),
    *(f"asinh-student-identity-{d}-{d}-1" for d in (1, 2, 5)),
    "cube-1v1-normal-0.75",
    "power_5.0-1v1-normal-0.75",
    "cube-multinormal-sparse-3-3-2-2.0",
    "power_0.5-multinormal-sparse-3-3-2-2.0",
    "half_cube-student-identity-2-2-2",
]

register_suite(
    "standard",
    STANDARD,
    description="the 40 tasks of Czyz et al. (2023), Beyond Normal (1x1 to 50x50)",
    build=False,
)
register_suite(
    "quick",
    QUICK,
    description="8 small tasks (1x1 to 5x5) for CI and the default `mibench run`",
    build=False,
)
register_suite(
    "high-dim",
    HIGH_DIM,
    description="dense and sparse Gaussians up to 100x100, Student-t, and transformed ones",
    build=False,
)
register_suite(
    "high-mi",
    HIGH_MI,
    description="correlated Gaussian pairs, MI 0 to 10 nats, 1x1 and 3x3, plain and transformed",
    build=False,
)
register_suite(
    "staircase",
    [Staircase(cubic=cubic, unit=unit) for unit in ("nats", "bits") for cubic in (False, True)],
    description="streaming MI staircases 2..10 (nats, bits), 20-d Gaussian and cubic "
    "(Poole et al. 2019; Song & Ermon 2020; Lee & Rhee 2024)",
)
register_suite(
    "mine-gaussian",
    MINE_GAUSSIAN,
    description="MINE paper Gaussians: d = 2 and 20, corr(X_i, Z_j) = delta_ij rho, rho swept",
    build=False,
)
register_suite(
    "mixtures",
    MIXTURES,
    description="Gaussian mixtures with Monte-Carlo ground truth (X shape, inliers)",
    build=False,
)
register_suite(
    "discrete-continuous",
    DISCRETE_CONTINUOUS,
    description="X uniform on {0..m-1}, Y | X ~ U(X, X+2), plain and transformed",
    build=False,
)
register_suite(
    "discrete",
    DISCRETE,
    description="categorical X and Y: X uniform on {0..K-1}, Y = X with probability 1 - eps, "
    "else uniform on the other values (K = 2, 4, 10; eps = 0.1, 0.3)",
    build=False,
)
register_suite(
    "heavy-tails",
    HEAVY_TAILS,
    description="multivariate Student-t with nu from 1 to 30, and power transforms",
    build=False,
)
register_suite(
    "invariance",
    suite_tasks(),
    description="paired invariance study: 4 Gaussian bases, each with the transform families "
    "that apply (10 in all) at 3 strengths and the base itself, on the base's draws",
)
