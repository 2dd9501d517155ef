"""The built-in suites."""

from __future__ import annotations

from mibench.tasks.gaussian import bivariate_normal, dense_normal, sparse_normal
from mibench.tasks.registry import register_suite
from mibench.tasks.transforms import HalfCube, NormalCDF


def _both(task, transform_cls):
    return task.transformed(transform_cls(), transform_cls())


register_suite(
    "quick",
    [
        bivariate_normal(0.75),
        _both(bivariate_normal(0.75), NormalCDF),
        _both(bivariate_normal(0.75), HalfCube),
        dense_normal(2, 0.5),
        dense_normal(5, 0.5),
        sparse_normal(3, 2, 2.0),
        _both(sparse_normal(3, 2, 2.0), NormalCDF),
        _both(sparse_normal(3, 2, 2.0), HalfCube),
    ],
    description="8 small tasks (1x1 to 5x5) for CI and the default `mibench run`",
)
