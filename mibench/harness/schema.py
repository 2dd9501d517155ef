"""The results-row schema: its columns, its version, and the one function that builds a row.

Every job kind of the engine (:mod:`mibench.harness.jobs`) turns its estimates into rows
through :func:`result_row`, and every failure into an estimate through :func:`error_estimate`,
so rows of every kind have the same columns and the same message format. The store
(:mod:`mibench.harness.store`) records :data:`STORE_VERSION` in the database and migrates or
refuses a store of another version; adding a column means adding it to
:data:`RESULT_COLUMNS`, to :func:`result_row`, and a migration rule to
:data:`MIGRATIONS` with the version bumped. The cell id does not depend on this version
(see :data:`mibench.harness.cells.CELL_VERSION`), so a new column never invalidates stored
cells.

Columns beyond the identity, value and provenance of a cell:

* ``deterministic`` (0/1): the estimator declares that its value depends on the data alone
  (``Estimator.deterministic``), recorded when the row is computed so that reports and
  ``mibench compare`` never ask the live registry.
* ``job_kind``: ``cell`` (one fixed-sample cell), ``group`` (the seeds of one neural
  configuration trained as one batched model), ``streaming`` (a streaming run) or
  ``training`` (a cell of a training benchmark, where the estimator is an MI term inside an
  outer model's loss; see :mod:`mibench.regularizers.benchmark` for what its columns hold).
* ``group_size``: how many cells trained together in that job (1 for a ``cell``). A member's
  value does not depend on its group (tested bit for bit on CPU); the column says which
  group it was.
* ``paired_base``, ``variant_family``, ``variant_strength``, ``variant_stress``: set for the
  cells of a paired invariance study (:mod:`mibench.tasks.invariance`): the base task whose
  draws the cell's task transforms, the transform family and strength, and whether it is a
  floating-point stress family; NULL for every other cell.

``error_bar``, ``mi_ci_low``, ``mi_ci_high``: the error-bar method the cell asked for
(:mod:`mibench.errorbars`, ``"auto"`` resolved; NULL for none) and the bounds of its 95 %
interval (nats), with ``mi_stderr``; the bounds are NULL when no error bar could be computed
(the message says why) or the cell failed.

``standardize`` is what the estimator saw: 0 for every streaming row (streaming batches are
never standardised; streaming rows stored before this rule, such as the committed staircase
figures', say 1).

Fixed-sample jobs also record, in the row's extras, ``min_distinct``: the fewest distinct
values in any column of the data the estimator saw (ties created by a transform show there).
"""

from __future__ import annotations

import json
import math
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from mibench.errorbars import interval_quantile
from mibench.estimate import Estimate, Status
from mibench.harness.cells import Cell, canonical_json
from mibench.harness.provenance import provenance

if TYPE_CHECKING:
    from mibench.protocols import FixedSampleTask, StreamingTaskLike, TaskLike

#: Version of the store's table layout; stored in the database (``PRAGMA user_version``).
STORE_VERSION = 4

#: Job kinds, the values of the ``job_kind`` column.
JOB_KINDS = ("cell", "group", "streaming", "training")

#: Columns of the ``results`` table, in order.
RESULT_COLUMNS: tuple[str, ...] = (
    "cell_id",
    "task_id",
    "task_version",
    "task_name",
    "task_tags",
    "dim_x",
    "dim_y",
    "estimator",
    "label",
    "params_json",
    "n",
    "seed",
    "standardize",
    "data_seed",
    "mi_true",
    "mi_true_stderr",
    "mi_estimate",
    "mi_stderr",
    "error_bar",
    "mi_ci_low",
    "mi_ci_high",
    "status",
    "message",
    "wall_seconds",
    "fit_seconds",
    "samples_per_second",
    "steps",
    "steps_per_second",
    "device",
    "extras_json",
    "deterministic",
    "job_kind",
    "group_size",
    "paired_base",
    "variant_family",
    "variant_strength",
    "variant_stress",
    "mibench_version",
    "python_version",
    "numpy_version",
    "torch_version",
    "git_commit",
    "host",
    "started_at",
    "finished_at",
)

#: Columns stored as integers (the rest are text or real numbers).
INTEGER_COLUMNS = frozenset(
    {
        "task_version",
        "dim_x",
        "dim_y",
        "n",
        "seed",
        "standardize",
        "steps",
        "deterministic",
        "group_size",
        "variant_stress",
    }
)
#: Columns stored as real numbers.
REAL_COLUMNS = frozenset(
    {
        "mi_true",
        "mi_true_stderr",
        "mi_estimate",
        "mi_stderr",
        "mi_ci_low",
        "mi_ci_high",
        "wall_seconds",
        "fit_seconds",
        "samples_per_second",
        "steps_per_second",
        "variant_strength",
    }
)


def _v1_job(row: dict[str, Any]) -> tuple[str, int]:
    """``(job_kind, group_size)`` of a version-1 row, read from its extras.

    Neural estimators recorded ``ensemble_size`` in their extras, streaming runs also
    ``task``; every other row was a single cell.
    """
    extras = json.loads(row.get("extras_json") or "{}")
    size = int(extras.get("ensemble_size", 1))
    if "ensemble_size" in extras and "task" in extras:
        return "streaming", size
    return ("group" if size > 1 else "cell"), size


def _v1_deterministic(row: dict[str, Any]) -> int | None:
    """The ``deterministic`` flag of a version-1 row's estimator, from the registry when the
    store is migrated (None for a name that is not registered here)."""
    from mibench.registry import estimator_factory

    try:
        factory = estimator_factory(row["estimator"])
    except ValueError:
        return None
    return int(bool(getattr(factory, "deterministic", False)))


def _v3_interval(row: dict[str, Any]) -> tuple[str | None, float | None, float | None]:
    """``(error_bar, mi_ci_low, mi_ci_high)`` of a version-3 row: a baseline's stored
    standard error (its ``extras["error_bar"]["method"]``) gets the normal 95 % interval."""
    stderr, value = _finite_or_none(row.get("mi_stderr")), _finite_or_none(row.get("mi_estimate"))
    method = json.loads(row.get("extras_json") or "{}").get("error_bar", {}).get("method")
    if stderr is None or value is None or method is None:
        return None, None, None
    z = interval_quantile()
    return method, value - z * stderr, value + z * stderr


#: Migrations: from version v to v + 1, the columns added and a function giving their values
#: for one old row (a dict of its columns).
MIGRATIONS: dict[int, tuple[tuple[str, ...], Any]] = {
    1: (
        ("deterministic", "job_kind", "group_size"),
        lambda row: (_v1_deterministic(row), *_v1_job(row)),
    ),
    2: (
        ("paired_base", "variant_family", "variant_strength", "variant_stress"),
        lambda row: (None, None, None, None),
    ),
    3: (("error_bar", "mi_ci_low", "mi_ci_high"), lambda row: _v3_interval(row)),
}


@dataclass(frozen=True)
class TaskColumns:
    """The task columns of a row, for a fixed-sample or a streaming task.

    Attributes:
        id, version, name: the task's identity.
        tags: its family tags.
        dim_x, dim_y: dimensions of X and Y.
        mi: the true MI in nats (a streaming task: the MI of its last step).
        mi_stderr: the standard error of ``mi`` (0 when exact).
        pairing: the task's :class:`~mibench.tasks.base.Pairing` (None unless it is a
            variant of a paired invariance study).
        streaming: a streaming task (whose batches are never standardised).
    """

    id: str
    version: int
    name: str
    tags: frozenset[str]
    dim_x: int
    dim_y: int
    mi: float
    mi_stderr: float = 0.0
    pairing: Any = None
    streaming: bool = False


def is_streaming(task: Any) -> bool:
    """True for a streaming task (one with a ``true_mi(step)`` schedule)."""
    return hasattr(task, "true_mi")


def is_training(task: Any) -> bool:
    """True for a training benchmark (:mod:`mibench.regularizers.benchmark`): a task whose
    cells train an outer model with an MI term (it has ``train_cell``)."""
    return callable(getattr(task, "train_cell", None))


def task_columns(task: TaskLike) -> TaskColumns:
    """The :class:`TaskColumns` of a task, fixed-sample or streaming (:func:`is_streaming`)."""
    if is_streaming(task):
        stream = cast("StreamingTaskLike", task)
        mi, stderr = float(stream.true_mi(stream.n_steps - 1)), 0.0
    else:
        fixed = cast("FixedSampleTask", task)
        mi, stderr = float(fixed.mi), float(fixed.mi_stderr)
    return TaskColumns(
        id=task.id,
        version=task.version,
        name=task.name,
        tags=frozenset(task.tags),
        dim_x=task.dim_x,
        dim_y=task.dim_y,
        mi=mi,
        mi_stderr=stderr,
        pairing=getattr(task, "pairing", None),
        streaming=is_streaming(task),
    )


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second (the ``started_at``/``finished_at`` format)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def error_estimate(exc: BaseException) -> Estimate:
    """An ``error`` estimate for an exception raised while running a job.

    The message is ``"<type>: <text> (at <file name>:<line>)"`` with the file's base name only,
    so that stored messages never hold a path of the machine that computed them.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return Estimate.failed(Status.ERROR, f"{type(exc).__name__}: {exc}{where}")


def _finite_or_none(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def result_row(
    cell: Cell,
    task: TaskColumns,
    result: Estimate,
    messages: list[str],
    started: str,
    *,
    job_kind: str,
    group_size: int,
    deterministic: bool,
) -> dict[str, Any]:
    """The results-table row of a finished cell (the columns of :data:`RESULT_COLUMNS`).

    Args:
        cell: the cell.
        task: its task's columns (:func:`task_columns`).
        result: the cell's estimate; a non-finite value is stored as NULL.
        messages: joined with ``"; "`` into ``message``.
        started: when the job started (:func:`utc_now`).
        job_kind: one of :data:`JOB_KINDS`.
        group_size: cells trained together in the job.
        deterministic: the estimator's declared determinism.

    Raises:
        ValueError: for a ``job_kind`` outside :data:`JOB_KINDS`.
    """
    if job_kind not in JOB_KINDS:
        raise ValueError(f"job_kind must be one of {JOB_KINDS}, got {job_kind!r}")
    pairing = task.pairing
    return {
        "cell_id": cell.cell_id,
        "task_id": task.id,
        "task_version": task.version,
        "task_name": task.name,
        "task_tags": ",".join(sorted(task.tags)),
        "dim_x": task.dim_x,
        "dim_y": task.dim_y,
        "estimator": cell.estimator,
        "label": cell.label,
        "params_json": canonical_json(cell.params),
        "n": cell.n,
        "seed": cell.seed,
        # A streaming run never standardises its batches, whatever its cell says.
        "standardize": int(cell.standardize and not task.streaming),
        "data_seed": str(cell.data_seed),
        "mi_true": task.mi,
        "mi_true_stderr": task.mi_stderr,
        "mi_estimate": _finite_or_none(result.value),
        "mi_stderr": _finite_or_none(result.stderr),
        "error_bar": result.error_bar,
        "mi_ci_low": _finite_or_none(result.ci_low),
        "mi_ci_high": _finite_or_none(result.ci_high),
        "status": str(result.status),
        "message": "; ".join(messages),
        "wall_seconds": result.wall_seconds,
        "fit_seconds": result.fit_seconds,
        "samples_per_second": _finite_or_none(result.samples_per_second),
        "steps": result.steps,
        "steps_per_second": _finite_or_none(result.steps_per_second),
        "device": result.device,
        "extras_json": canonical_json(result.extras),
        "deterministic": int(bool(deterministic)),
        "job_kind": job_kind,
        "group_size": int(group_size),
        "paired_base": pairing.base_id if pairing else None,
        "variant_family": pairing.family if pairing else None,
        "variant_strength": float(pairing.strength) if pairing else None,
        "variant_stress": int(pairing.stress) if pairing else None,
        **provenance(),
        "started_at": started,
        "finished_at": utc_now(),
    }
