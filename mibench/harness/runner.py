"""The execution engine: run the pending cells of a grid (or of any list of cells) as jobs.

Everything that computes cells goes through :func:`execute`: the pending rule
(:func:`pending_cells`), the grouping of cells into jobs (:func:`~mibench.harness.jobs.plan_jobs`),
in-process or executor runs, per-job timeouts in a child process, and the store, written by
this driver alone, one transaction per finished job. A run therefore gives the same rows
whatever the executor or the number of workers, and an interrupted run resumes where it
stopped.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import BrokenExecutor, Executor, as_completed
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from tqdm.auto import tqdm

from mibench.estimate import Estimate, Status
from mibench.harness.cells import Cell
from mibench.harness.grid import Grid
from mibench.harness.jobs import CellOutput, Job, plan_jobs
from mibench.harness.schema import is_training, utc_now
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


def _process_context() -> mp.context.BaseContext:
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
        lost: cells whose worker died without a result; they stay pending for the next run.
        lost_messages: why each lost job was lost.
    """

    total: int
    skipped: int
    run: int = 0
    failed: int = 0
    lost: int = 0
    lost_messages: list[str] = field(default_factory=list)

    def text(self) -> str:
        """One line for the user."""
        line = (
            f"{self.total} cells selected: {self.skipped} already stored (skipped), "
            f"{self.run} run now, {self.failed} of them not ok."
        )
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


def execute(
    cells: Sequence[Cell],
    tasks: Iterable[Any],
    store: ResultStore,
    *,
    executor: Executor | None = None,
    timeout: float | None = None,
    retry_failed: bool = False,
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
        retry_failed: also rerun stored cells whose status is not ``ok``.
        batch: train the pending seeds of each neural configuration as one batched model
            (:class:`~mibench.harness.jobs.GroupJob`); the stored values are those of
            separate runs.
        progress: show a progress bar on stderr.
        on_row: called with each stored row (for logging).

    Returns:
        A :class:`RunSummary`.

    Raises:
        ValueError: when ``timeout`` is not positive, or a cell's task is missing.
    """
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
    jobs = plan_jobs(todo, by_id, factories, batch=batch)
    summary = RunSummary(total=len(cells), skipped=len(cells) - len(todo))
    work = run_job if timeout is None else partial(run_job_with_timeout, timeout=timeout)
    bar = tqdm(total=len(todo), disable=not progress, unit="cell", desc="mibench")

    def finish(outputs: list[CellOutput]) -> None:
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
