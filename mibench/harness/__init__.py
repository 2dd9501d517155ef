"""The execution engine: grids and cells, job kinds, executors, the store and its format.

Modules: :mod:`~mibench.harness.cells` (a cell's identity and seeds), :mod:`~mibench.harness.grid`
(which cells exist), :mod:`~mibench.harness.jobs` (the job kinds), :mod:`~mibench.harness.runner`
(the engine: pending cells, jobs, executors, timeouts), :mod:`~mibench.harness.executors`,
:mod:`~mibench.harness.schema` (the row schema and its version), :mod:`~mibench.harness.store`
(the SQLite store), :mod:`~mibench.harness.archive` (the exported and committed tables),
:mod:`~mibench.harness.config` (run files), :mod:`~mibench.harness.study` (the notebook
function :func:`run`) and :mod:`~mibench.harness.provenance`.
"""

from mibench.harness.cells import Cell
from mibench.harness.executors import make_executor
from mibench.harness.grid import Grid
from mibench.harness.runner import RunSummary, execute, run_grid
from mibench.harness.store import ResultStore, StoreError
from mibench.harness.study import run

__all__ = [
    "Cell",
    "Grid",
    "ResultStore",
    "RunSummary",
    "StoreError",
    "execute",
    "make_executor",
    "run",
    "run_grid",
]
