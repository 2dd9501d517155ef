"""Where cells run: in process, a local process pool, or a Dask cluster.

Every executor runs the same :func:`mibench.harness.runner.run_cell`; the driver alone writes
results, so the stored rows do not depend on the executor or the number of workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager

from mibench.validation import check_int

_SCHEDULER_FORMS = "'local:N' with N >= 1 workers or an address such as 'tcp://HOST:PORT'"


def _check_scheduler(scheduler: str) -> int | None:
    """The N of ``local:N``, or None for a cluster address; ValueError for anything else."""
    if "://" in scheduler:
        return None
    name, _, count = scheduler.partition(":")
    n = int(count) if name == "local" and count.strip().isdigit() else 0
    if n < 1:
        raise ValueError(f"scheduler must be {_SCHEDULER_FORMS}, got {scheduler!r}")
    return n


@contextmanager
def make_executor(
    workers: int = 0, scheduler: str | None = None, cells_in_own_process: bool = False
) -> Iterator[Executor | None]:
    """Yield the executor for a run and shut it down afterwards.

    Args:
        workers: size of a local process pool; 0 runs cells in this process.
        cells_in_own_process: each cell will start its own child process (to enforce a
            timeout), so ``workers`` threads that wait on those children replace the pool.
        scheduler: ``"local:N"`` starts a Dask ``LocalCluster`` of N single-threaded worker
            processes; ``"tcp://HOST:PORT"`` (or another ``scheme://`` address that
            ``dask.distributed.Client`` accepts) uses an existing cluster. Not together with
            ``workers``.

    Yields:
        A :class:`concurrent.futures.Executor`, or None for in-process execution.

    Raises:
        ValueError: for a malformed ``scheduler``, negative ``workers``, or both
            ``workers`` and ``scheduler``.
        ImportError: when a scheduler is asked for and ``dask.distributed`` is not installed
            (``pip install "mibench[dask]"``).
    """
    workers = check_int("workers", workers, 0)
    if scheduler and workers:
        raise ValueError(
            f"give workers (a local process pool) or scheduler (Dask), not both; got "
            f"workers={workers} and scheduler={scheduler!r}"
        )
    if scheduler:
        n = _check_scheduler(scheduler)
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ImportError(
                "a Dask scheduler needs dask.distributed: pip install 'mibench[dask]'"
            ) from exc
        if n is not None:
            # Non-daemonic workers may start the child process that enforces a cell timeout.
            with dask.config.set({"distributed.worker.daemon": False}):
                cluster = LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
                )
            client = Client(cluster)
        else:
            cluster, client = None, Client(scheduler)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif workers:
        pool_cls = ThreadPoolExecutor if cells_in_own_process else ProcessPoolExecutor
        pool = pool_cls(max_workers=workers)
        try:
            yield pool
        except BaseException:
            # Interrupted (Ctrl-C, an error in the driver): stop at once. Running cells are
            # lost, never half-written: only the driver writes, one transaction per cell.
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    else:
        yield None
