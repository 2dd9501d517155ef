"""What a paper figure computes: a fixed-sample grid or a set of streaming runs.

Both kinds store one row per cell in the figure's :class:`~mibench.harness.store.ResultStore`
and skip what is stored already, so running a figure again resumes it; both know the cell ids
that belong to the figure at its scale, so a figure is drawn from exactly its own rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mibench.harness.grid import Grid
from mibench.harness.store import ResultStore
from mibench.neural import DEFAULTS
from mibench.paper.batched import is_neural, run_grid_batched
from mibench.paper.scale import Scale
from mibench.paper.streaming import StreamingRun, pending_runs, run_streaming
from mibench.registry import BUILTIN_MODULES, estimator_factory, list_estimators, parse_spec
from mibench.tasks import Task


class Work(Protocol):
    """The computation behind one figure at one scale."""

    def cell_ids(self) -> list[str]:
        """Ids of every cell of the figure, stored or not."""

    def estimators(self) -> list[str]:
        """Registry names of the figure's estimators."""

    def run(self, store: ResultStore, *, only: set[str] | None, progress: bool) -> str:
        """Compute and store the pending cells (of the ``only`` estimators); a summary line."""


@dataclass
class FixedWork:
    """A fixed-sample grid, run with :func:`~mibench.paper.batched.run_grid_batched`."""

    grid: Grid

    def cell_ids(self) -> list[str]:
        return [c.cell_id for c in self.grid.cells()]

    def estimators(self) -> list[str]:
        return sorted({parse_spec(s)[0] for s in self.grid.estimators})

    def run(self, store: ResultStore, *, only: set[str] | None, progress: bool) -> str:
        s = run_grid_batched(self.grid, store, only=only, progress=progress)
        return (
            f"{s.total} cells selected: {s.skipped} already stored (skipped), {s.run} run now, "
            f"{s.failed} of them not ok."
        )


def builtin_estimators() -> list[str]:
    """Registry names of mibench's own estimators (baselines and neural), sorted.

    Plug-ins and estimators registered at run time are left out, so that a figure's grid does
    not depend on what else is installed.
    """
    return [
        name
        for name in list_estimators()
        if getattr(estimator_factory(name), "__module__", "").startswith(BUILTIN_MODULES)
    ]


def fixed_work(
    tasks: Sequence[Task],
    names: Sequence[str],
    ns: Sequence[int],
    seeds: int,
    scale: Scale,
    min_seeds: int = 1,
) -> FixedWork:
    """A fixed-sample grid at ``scale``: each n and the seed count shrunk, and the neural
    estimators' ``max_steps`` (default 2,000) shrunk, at least 10; at full scale every
    estimator runs with its defaults.

    Args:
        tasks: the tasks.
        names: registry names of the estimators.
        ns: sample sizes at full scale (equal sizes after shrinking are merged).
        seeds: replicate seeds at full scale.
        scale: the scale.
        min_seeds: the fewest seeds at any scale (e.g. 3 where an sd over seeds is drawn).
    """
    specs = [
        f"{name}[max_steps={scale.steps(DEFAULTS.max_steps, floor=10)}]"
        if is_neural(name) and not scale.full
        else name
        for name in names
    ]
    return FixedWork(
        Grid(
            tasks=list(tasks),
            estimators=specs,
            ns=sorted({scale.n(n) for n in ns}),
            seeds=list(range(scale.seeds(seeds, floor=min_seeds))),
        )
    )


@dataclass
class StreamingWork:
    """Streaming runs, trained with :func:`~mibench.paper.streaming.run_streaming`."""

    runs: list[StreamingRun]

    def cell_ids(self) -> list[str]:
        return [r.cell.cell_id for r in self.runs]

    def estimators(self) -> list[str]:
        return sorted({parse_spec(r.spec)[0] for r in self.runs})

    def run(self, store: ResultStore, *, only: set[str] | None, progress: bool) -> str:
        selected = [r for r in self.runs if only is None or parse_spec(r.spec)[0] in only]
        pending = pending_runs(selected, store)
        done = run_streaming(pending, store, progress=progress)
        return (
            f"{len(selected)} streaming runs selected: {len(selected) - len(pending)} already "
            f"stored (skipped), {done} run now."
        )
