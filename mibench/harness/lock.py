"""One driver per run folder: an exclusive lock held while a run writes into a folder.

Two drivers on one folder would both find the same cells pending and compute nearly every
cell twice. The lock is a ``filelock`` lock file, ``.mibench.lock`` in the folder; the
operating system releases it when its holder exits, even when killed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from mibench.harness.store import StoreError

#: The lock file's name in a run or figure folder.
LOCK_FILE = ".mibench.lock"


class FolderBusy(StoreError):
    """Another process holds the run folder's lock (its store cannot be used now)."""


@contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold the exclusive lock of ``folder`` for the duration of the block.

    Raises:
        FolderBusy: at once, when another process holds it (the message says what to do).
    """
    path = Path(folder) / LOCK_FILE
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise FolderBusy(
            f"{folder} is in use by another mibench run (lock {path.name}); wait for it to "
            "finish, or use another folder"
        ) from None
    try:
        yield
    finally:
        lock.release()
