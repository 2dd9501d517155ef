"""The task and suite registries: look up tasks by id, suites by name.

A task id that is not registered yet is built from the id grammar
(:func:`mibench.tasks.idgrammar.build_task`) and registered on first use, so
``get_task("multinormal-dense-7-7-0.3")`` works without any suite listing it.

Streaming tasks (:class:`~mibench.tasks.streaming.StreamingTask`, the ``staircase`` suite)
share the registry; they have ``true_mi(step)`` and ``sample_batch(step, batch_size, seed)``
instead of ``mi`` and ``sample(n, seed)``.
"""

from __future__ import annotations

from collections.abc import Iterable

from mibench.tasks.base import Suite, Task
from mibench.tasks.idgrammar import build_task
from mibench.tasks.streaming import StreamingTask

AnyTask = Task | StreamingTask

_TASKS: dict[str, AnyTask] = {}
_SUITES: dict[str, Suite] = {}


def register_task(task: AnyTask, *, replace: bool = False) -> AnyTask:
    """Add ``task`` (a :class:`Task` or a streaming task) to the registry and return it.

    Raises:
        TypeError: when ``task`` is neither a Task nor a StreamingTask.
        ValueError: when another task with the same id is registered and ``replace`` is false.
    """
    if not isinstance(task, (Task, StreamingTask)):
        raise TypeError(f"task must be a Task or StreamingTask, got {type(task).__name__}")
    if task.id in _TASKS and not replace and _TASKS[task.id] is not task:
        raise ValueError(f"a task with id {task.id!r} is already registered")
    _TASKS[task.id] = task
    return task


def register_suite(
    name: str,
    tasks: Iterable[AnyTask | str],
    description: str = "",
    *,
    replace: bool = False,
    build: bool = True,
) -> Suite:
    """Register a suite from tasks (registered as a side effect) or task ids.

    An id that is not registered yet is built from the id grammar (:func:`get_task`), now,
    or on first use when ``build`` is false (the built-in suites do this, so importing
    :mod:`mibench.tasks` stays fast); such ids must then be canonical.

    Raises:
        ValueError: for an empty or malformed name, an unknown or invalid task id (when
            ``build``), or a name already registered when ``replace`` is false.
    """
    if not isinstance(name, str) or not name.strip() or any(c.isspace() for c in name):
        raise ValueError(f"suite name must be a non-empty string without spaces, got {name!r}")
    if name in _SUITES and not replace:
        raise ValueError(f"a suite named {name!r} is already registered")
    ids = []
    for t in tasks:
        if isinstance(t, (Task, StreamingTask)):
            register_task(t)
            ids.append(t.id)
        elif build:
            ids.append(get_task(t).id)
        elif isinstance(t, str):
            ids.append(t)
        else:
            raise ValueError(f"suite {name!r}: expected a task or a task id, got {t!r}")
    suite = Suite(name=name, task_ids=tuple(ids), description=description)
    _SUITES[name] = suite
    return suite


def get_task(task_id: str) -> AnyTask:
    """The task with this id: a registered one, or one built from the id grammar.

    Raises:
        ValueError: for an id that is neither registered nor valid in the grammar; the
            message says why (unknown transform, invalid parameter, non-canonical spelling).
    """
    if isinstance(task_id, str) and task_id in _TASKS:
        return _TASKS[task_id]
    try:
        task = build_task(task_id, known=_TASKS.get)
    except ValueError as err:
        raise ValueError(
            f"unknown task id {task_id!r} ({err}); see `mibench list tasks` for the registered ones"
        ) from None
    return register_task(task)


def find_task(task_id: str) -> AnyTask | None:
    """The registered task with this id, or ``None`` (never builds one)."""
    return _TASKS.get(task_id) if isinstance(task_id, str) else None


def list_tasks(suite: str | None = None) -> list[AnyTask]:
    """The tasks of ``suite`` in suite order; without a suite, the tasks of every suite
    (in suite order) followed by the other registered tasks. Tasks are built on first use.

    Raises:
        ValueError: for an unknown suite name.
    """
    if suite is not None:
        return [get_task(i) for i in get_suite(suite).task_ids]
    ids = dict.fromkeys(i for s in _SUITES.values() for i in s.task_ids)
    ids.update(dict.fromkeys(_TASKS))
    return [get_task(i) for i in ids]


def get_suite(name: str) -> Suite:
    """The suite registered under ``name``.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    try:
        return _SUITES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown suite {name!r}; known suites are {sorted(_SUITES)}") from None


def list_suites() -> list[Suite]:
    """All registered suites, in registration order."""
    return list(_SUITES.values())
