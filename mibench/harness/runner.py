"""The execution engine: run the pending cells of a grid (or of any list of cells) as jobs.

Everything that computes cells goes through :func:`execute`: the pending rule
(:func:`pending_cells`), the grouping of cells into jobs (:func:`~mibench.harness.jobs.plan_jobs`),
in-process or executor runs, per-job timeouts in a child process, and the store, written by
this driver alone, one transaction per finished job. A run therefore gives the same rows
whatever the executor or the number of workers, and an interrupted run resumes where it
stopped.

**Retries.** With ``retry_failed``, stored cells whose status is not ok run again, and the
new row replaces the old one under the same cell id. Nothing of the earlier attempts is lost:
the new row's extras record ``attempt`` (2, 3, ...) and ``previous_attempts``, a list of
``{attempt, status, message, value, estimator_seed}`` of the earlier attempts (value in nats,
None when none was stored), from which reports count first-attempt failures
(:func:`mibench.report.metrics.summarize`, ``first_attempt_failure_rate``). A retry repeats
the cell as configured, so a neural fit that diverged on its seed diverges again; with
``reseed`` as well, a fixed-sample cell of a non-deterministic estimator whose configuration
leaves ``seed`` None runs with a new estimator seed,
:func:`~mibench.harness.cells.reseeded_seed` of the first attempt's seed and the attempt
number (its data stay the same). Such a row also records ``estimator_seed`` and
``reseeded_from`` (the previous attempt's seed) in its extras, and its message starts with
``reseeded retry``. Cells of deterministic estimators, of configurations with a fixed seed,
of streaming tasks (whose seed is the batches' seed) and of training benchmarks are retried
as configured.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor, as_completed
from dataclasses import dataclass, field, replace
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from tqdm.auto import tqdm

from mibench.estimate import Estimate, Status
from mibench.harness.cells import Cell, canonical_json
from mibench.harness.grid import Grid
from mibench.harness.jobs import CellOutput, Job, plan_jobs, takes_cell_seed
from mibench.harness.schema import is_streaming, is_training, utc_now
from mibench.harness.store import ResultStore
from mibench.registry import estimator_factory


class CellLost(RuntimeError):
    """The process running a job died without a result; its cells stay pending."""


#: Seconds a timed job's child process may take to start before its cells count as lost.
CHILD_START_LIMIT = 300.0
#: The child's first message: it has started, and the job's clock starts now.
_STARTED = "started"


def run_job(job: Job) -> list[CellOutput]:
    """Run ``job`` in this process (the function every executor runs)."""
    return job()


def _child_main(conn: Connection, job: Job) -> None:
    conn.send(_STARTED)
    conn.send(job())
    conn.close()


def _process_context() -> mp.context.ForkServerContext | mp.context.SpawnContext:
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["mibench.harness.runner"])
        return ctx
    return mp.get_context("spawn")


def run_job_with_timeout(job: Job, timeout: float | None) -> list[CellOutput]:
    """Run ``job`` in a child process and stop it after ``timeout`` seconds per cell.

    A running numpy or torch call cannot be interrupted inside a process, so the job runs in
    its own child process, which is killed at the deadline: ``timeout`` × the number of cells
    of the job (the members of a batched group share one clock). The deadline counts from the
    moment the child has started, not from process start-up, which a loaded machine slows.
    ``timeout=None`` sets no deadline: the child only isolates the job (a crash loses this job
    alone).

    Returns:
        The job's rows and traces; rows with status ``timeout`` when the deadline passed.

    Raises:
        CellLost: when the child process died without a result (killed, crashed) or did not
            start within :data:`CHILD_START_LIMIT` seconds; no row is written, so a later run
            computes the cells again.
    """
    started = utc_now()
    deadline = None if timeout is None else timeout * len(job.cells)
    recv, send = mp.Pipe(duplex=False)
    proc = _process_context().Process(target=_child_main, args=(send, job))
    proc.start()
    send.close()
    where = f"{len(job.cells)} cell(s) of {job.description}"
    try:
        if not recv.poll(CHILD_START_LIMIT):
            raise CellLost(f"{where}: worker process did not start within {CHILD_START_LIMIT:g} s")
        try:
            recv.recv()
            if recv.poll(deadline):
                return recv.recv()
        except EOFError:
            proc.join()
            raise CellLost(
                f"{where}: worker process exited with code {proc.exitcode} before returning a "
                "result"
            ) from None
        assert timeout is not None  # without a deadline, poll waits for the result
        message = f"cell exceeded its {timeout:g} s timeout"
        if len(job.cells) > 1:
            message += f" ({deadline:g} s for the {len(job.cells)} cells trained together)"
        results = []
        for _ in job.cells:
            result = Estimate.failed(Status.TIMEOUT, message)
            result.wall_seconds = float(timeout)
            results.append(result)
        return job.outputs(results, [], started)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()


@dataclass
class RunSummary:
    """Counts of a run.

    Attributes:
        total: cells selected to run (stored or not).
        skipped: cells already stored before this run (not recomputed).
        run: cells run and stored now.
        failed: of those, cells whose status is not ok.
        retried: of those run now, cells that were stored as not ok (``retry_failed``).
        reseeded: of the retried cells, those run with a new estimator seed (``reseed``).
        lost: cells whose worker died without a result; they stay pending for the next run.
        lost_messages: why each lost job was lost.
    """

    total: int
    skipped: int
    run: int = 0
    failed: int = 0
    retried: int = 0
    reseeded: int = 0
    lost: int = 0
    lost_messages: list[str] = field(default_factory=list)

    def text(self) -> str:
        """One line for the user."""
        line = (
            f"{self.total} cells selected: {self.skipped} already stored (skipped), "
            f"{self.run} run now, {self.failed} of them not ok."
        )
        if self.retried:
            line += f" {self.retried} of them retried failed cells"
            line += f" ({self.reseeded} with a new seed)." if self.reseeded else "."
        if self.lost:
            line += f" {self.lost} lost to a dead worker (run again to finish them)."
        return line


def pending_cells(
    cells: Iterable[Cell], store: ResultStore, retry_failed: bool = False
) -> list[Cell]:
    """The cells not yet stored (and, with ``retry_failed``, those stored as not ok)."""
    stored = store.statuses()
    return [
        c
        for c in cells
        if c.cell_id not in stored or (retry_failed and stored[c.cell_id] != Status.OK.value)
    ]


@dataclass(frozen=True)
class Retry:
    """What the new row of a retried cell records (see the module docstring).

    Attributes:
        extras: entries added to the row's extras (``attempt``, ``previous_attempts`` and,
            for a cell that takes the cell's seed, ``estimator_seed``; ``reseeded_from`` when
            reseeded).
        note: put before the row's message (empty for a retry as configured).
        reseeded: whether the cell runs with a new estimator seed.
    """

    extras: dict[str, Any]
    note: str = ""
    reseeded: bool = False

    def apply(self, row: dict[str, Any]) -> None:
        """Record the retry in ``row`` (a result row of the cell), in place."""
        extras = _json_dict(row.get("extras_json"))
        extras.update(self.extras)
        row["extras_json"] = canonical_json(extras)
        if self.note:
            row["message"] = "; ".join(m for m in (self.note, row.get("message")) if m)


def _json_dict(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def plan_retries(
    cells: Sequence[Cell],
    store: ResultStore,
    tasks: Mapping[str, Any],
    factories: Mapping[str, Callable[..., Any]],
    *,
    reseed: bool = False,
) -> tuple[list[Cell], dict[str, Retry]]:
    """The cells to run, and a :class:`Retry` for each of them that is stored (not ok).

    Args:
        cells: pending cells (:func:`pending_cells`); those not stored are first attempts.
        store: where the earlier attempts are stored.
        tasks: task id → task, for every cell.
        factories: estimator name → factory, for every cell but training cells.
        reseed: give a retried fixed-sample cell of a non-deterministic estimator whose
            configuration leaves ``seed`` None a new estimator seed (its
            ``reseed_attempt`` set to the attempt number).

    Returns:
        ``(cells, retries)``: the cells (reseeded ones replaced by their new attempt, same
        id), and the retries by cell id.
    """
    stored = store.rows_of([c.cell_id for c in cells]).set_index("cell_id")
    out, retries = [], {}
    for cell in cells:
        if cell.cell_id not in stored.index:
            out.append(cell)
            continue
        prev = stored.loc[cell.cell_id]
        prev_extras = _json_dict(prev["extras_json"])
        prev_attempt = prev_extras.get("attempt", 1)
        prev_attempt = prev_attempt if isinstance(prev_attempt, int) and prev_attempt > 1 else 1
        attempt = prev_attempt + 1
        task = tasks[cell.task_id]
        factory = factories.get(cell.estimator)
        fixed_sample = not is_streaming(task) and not is_training(task)
        seeded = fixed_sample and factory is not None and takes_cell_seed(cell)
        first = replace(cell, reseed_attempt=None)
        prev_seed = prev_extras.get("estimator_seed", first.estimator_seed if seeded else None)
        renew = reseed and seeded and not bool(getattr(factory, "deterministic", False))
        cell = replace(cell, reseed_attempt=attempt if renew else None)
        history = prev_extras.get("previous_attempts")
        history = list(history) if isinstance(history, list) else []
        history.append(
            {
                "attempt": prev_attempt,
                "status": prev["status"],
                "message": prev["message"] or "",
                "value": _finite(prev["mi_estimate"]),
                "estimator_seed": prev_seed,
            }
        )
        extras: dict[str, Any] = {"attempt": attempt, "previous_attempts": history}
        if seeded:
            extras["estimator_seed"] = cell.estimator_seed
        note = ""
        if renew:
            extras["reseeded_from"] = prev_seed
            note = (
                f"reseeded retry: attempt {attempt} with estimator seed {cell.estimator_seed} "
                f"(attempt {prev_attempt} with seed {prev_seed} was {prev['status']})"
            )
        retries[cell.cell_id] = Retry(extras=extras, note=note, reseeded=renew)
        out.append(cell)
    return out, retries


def execute(
    cells: Sequence[Cell],
    tasks: Iterable[Any],
    store: ResultStore,
    *,
    executor: Executor | None = None,
    timeout: float | None = None,
    retry_failed: bool = False,
    reseed: bool = False,
    batch: bool = True,
    progress: bool = True,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> RunSummary:
    """Compute every pending cell of ``cells`` and store each job's rows as it finishes.

    Args:
        cells: the cells (fixed-sample or streaming) to have in ``store``; a cell given twice
            (a repeated seed, n or task, or one configuration spelled two ways, such as
            ``ksg`` and ``ksg[k=3]``) counts and runs once.
        tasks: their tasks (every ``cell.task_id`` must be among the ids).
        store: where finished cells go; cells already there are skipped.
        executor: a :class:`concurrent.futures.Executor` (see
            :func:`mibench.harness.executors.make_executor`); None runs in this process.
        timeout: per-cell limit in seconds; each job then runs in its own child process and
            its cells are recorded with status ``timeout`` when it runs over.
        retry_failed: also rerun stored cells whose status is not ``ok``; their new rows
            record the earlier attempts (module docstring).
        reseed: with ``retry_failed``, rerun a failed fixed-sample cell of a
            non-deterministic estimator whose configuration leaves ``seed`` None with a new
            estimator seed instead of repeating the same fit (module docstring).
        batch: train the pending seeds of each neural configuration as one batched model
            (:class:`~mibench.harness.jobs.GroupJob`); the stored values are those of
            separate runs.
        progress: show a progress bar on stderr.
        on_row: called with each stored row (for logging).

    Returns:
        A :class:`RunSummary`.

    Raises:
        ValueError: when ``timeout`` is not positive, ``reseed`` is given without
            ``retry_failed``, or a cell's task is missing.
    """
    if reseed and not retry_failed:
        raise ValueError(
            "reseed=True needs retry_failed=True: only stored cells that are not ok are rerun "
            "with a new seed"
        )
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not 0 < timeout < math.inf
    ):
        raise ValueError(f"timeout must be a positive, finite number of seconds, got {timeout!r}")
    by_id = {t.id: t for t in tasks}
    cells = list({c.cell_id: c for c in cells}.values())  # a repeated cell is one cell
    missing = sorted({c.task_id for c in cells} - set(by_id))
    if missing:
        raise ValueError(f"tasks must include the task of every cell; missing {missing}")
    todo = pending_cells(cells, store, retry_failed)
    # A training cell names a regulariser that its benchmark builds; every other cell an estimator.
    names = {c.estimator for c in todo if not is_training(by_id[c.task_id])}
    factories = {name: estimator_factory(name) for name in names}
    retries: dict[str, Retry] = {}
    if retry_failed:
        todo, retries = plan_retries(todo, store, by_id, factories, reseed=reseed)
    jobs = plan_jobs(todo, by_id, factories, batch=batch)
    summary = RunSummary(total=len(cells), skipped=len(cells) - len(todo))
    work = run_job if timeout is None else partial(run_job_with_timeout, timeout=timeout)
    bar = tqdm(total=len(todo), disable=not progress, unit="cell", desc="mibench")

    def finish(outputs: list[CellOutput]) -> None:
        for row, _ in outputs:
            retry = retries.get(row["cell_id"])
            if retry is not None:
                retry.apply(row)
                summary.retried += 1
                summary.reseeded += retry.reseeded
        store.write_many(outputs)
        for row, _ in outputs:
            summary.run += 1
            summary.failed += row["status"] != Status.OK.value
            if on_row:
                on_row(row)
        bar.set_postfix_str(f"{outputs[0][0]['label']} on {outputs[0][0]['task_id']}", False)
        bar.update(len(outputs))

    def lose(job: Job, exc: BaseException) -> None:
        summary.lost += len(job.cells)
        summary.lost_messages.append(f"{job.description}: {exc}")
        bar.update(len(job.cells))

    try:
        if executor is None:
            for job in jobs:
                try:
                    finish(work(job))
                except CellLost as exc:
                    lose(job, exc)
        else:
            futures = {executor.submit(work, job): job for job in jobs}
            broken: list[Job] = []
            for fut in as_completed(futures):
                try:
                    outputs = fut.result()
                except BrokenExecutor:
                    # A worker died and took the pool down: every job still queued fails
                    # with it. Each of them runs again below in its own process, so that
                    # only the job that kills its process is lost.
                    broken.append(futures[fut])
                except Exception as exc:  # noqa: BLE001 - a dead worker loses only its cells
                    lose(futures[fut], exc)
                else:
                    finish(outputs)
            for job in broken:
                try:
                    finish(run_job_with_timeout(job, timeout))
                except CellLost as exc:
                    lose(job, exc)
    finally:
        bar.close()
    return summary


def run_grid(grid: Grid, store: ResultStore, **options: Any) -> RunSummary:
    """Compute every pending cell of ``grid`` into ``store``: :func:`execute` on
    ``grid.cells()`` and ``grid.tasks``, with the same keyword ``options``.

    Example::

        from mibench.harness import Grid, ResultStore, run_grid
        from mibench.tasks import list_tasks

        grid = Grid(list_tasks("quick"), ["ksg", "mine"], ns=[1000], seeds=[0, 1, 2])
        with ResultStore("results/runs/mine/results.sqlite") as store:
            print(run_grid(grid, store).text())
            table = store.results()
    """
    return execute(grid.cells(), grid.tasks, store, **options)
