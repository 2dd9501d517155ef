"""What a paper figure computes: its cells and their tasks (a plan, never a run loop).

A figure's plan lists every cell of the figure at a scale, fixed-sample or streaming; the
engine (:func:`mibench.harness.runner.execute`) computes the pending ones, and the figure is
drawn from exactly its own rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mibench.harness.cells import Cell
from mibench.harness.grid import Grid, fixed_sample_tasks
from mibench.neural import DEFAULTS
from mibench.paper.scale import Scale
from mibench.protocols import TaskLike
from mibench.registry import BUILTIN_MODULES, estimator_factory, get_estimator, list_estimators


@dataclass(frozen=True)
class FigureWork:
    """The cells behind one figure at one scale.

    Attributes:
        cells: every cell of the figure, stored or not.
        tasks: the tasks of those cells (fixed-sample or streaming).
    """

    cells: tuple[Cell, ...]
    tasks: tuple[Any, ...]

    def cell_ids(self) -> list[str]:
        """Ids of every cell of the figure."""
        return [c.cell_id for c in self.cells]

    def estimators(self) -> list[str]:
        """Registry names of the figure's estimators, sorted."""
        return sorted({c.estimator for c in self.cells})

    def select(self, estimators: set[str] | None) -> list[Cell]:
        """The cells of the ``estimators`` (registry names; None: every cell)."""
        return [c for c in self.cells if estimators is None or c.estimator in estimators]


def builtin_estimators(variables: tuple[str, str] = ("continuous", "continuous")) -> list[str]:
    """Registry names of mibench's own estimators (baselines and neural) that take X and Y of
    the kinds ``variables`` with their defaults (``"continuous"`` or ``"categorical"``,
    :meth:`~mibench.estimator.Estimator.variable_kinds`), sorted.

    Plug-ins and estimators registered at run time are left out, so that a figure's grid does
    not depend on what else is installed; so are built-in estimators that cannot run without
    user configuration (a class attribute ``needs_configuration = True``: ``external``, which
    needs a command).
    """
    names = []
    for name in list_estimators():
        factory = estimator_factory(name)
        if not getattr(factory, "__module__", "").startswith(BUILTIN_MODULES):
            continue
        if getattr(factory, "needs_configuration", False):
            continue
        kinds = factory().variable_kinds()
        if tuple(kinds) == tuple(variables):
            names.append(name)
    return names


def trains(name: str) -> bool:
    """True for an estimator that trains (has ``max_steps``: the neural estimators)."""
    return "max_steps" in get_estimator(name).get_params()


def fixed_work(
    tasks: Sequence[TaskLike],
    names: Sequence[str],
    ns: Sequence[int],
    seeds: int,
    scale: Scale,
    min_seeds: int = 1,
    standardize: bool = True,
    error_bar: str | None = None,
) -> FigureWork:
    """A fixed-sample grid at ``scale``: each n and the seed count shrunk, and the training
    estimators' ``max_steps`` (default 2,000) shrunk, at least 10; at full scale every
    estimator runs with its defaults.

    Args:
        tasks: the tasks (fixed-sample ones: :func:`~mibench.harness.grid.fixed_sample_tasks`).
        names: registry names of the estimators.
        ns: sample sizes at full scale (equal sizes after shrinking are merged).
        seeds: replicate seeds at full scale.
        scale: the scale.
        min_seeds: the fewest seeds at any scale (e.g. 3 where an sd over seeds is drawn).
        standardize: standardise x and y per column after sampling (the grid's setting).
        error_bar: the grid's error bar (:mod:`mibench.errorbars`), or None.
    """
    specs = [
        f"{name}[max_steps={scale.steps(DEFAULTS.max_steps, floor=10)}]"
        if not scale.full and trains(name)
        else name
        for name in names
    ]
    grid = Grid(
        tasks=fixed_sample_tasks(tasks),
        estimators=specs,
        ns=sorted({scale.n(n) for n in ns}),
        seeds=list(range(scale.seeds(seeds, floor=min_seeds))),
        standardize=standardize,
        error_bar=error_bar,
    )
    return FigureWork(tuple(grid.cells()), tuple(grid.tasks))
