"""The task and suite registries: look up tasks by id, suites by name."""

from __future__ import annotations

from mibench.tasks.base import Suite, Task

_TASKS: dict[str, Task] = {}
_SUITES: dict[str, Suite] = {}


def register_task(task: Task, *, replace: bool = False) -> Task:
    """Add ``task`` to the registry and return it.

    Raises:
        ValueError: when another task with the same id is registered and ``replace`` is false.
    """
    if task.id in _TASKS and not replace and _TASKS[task.id] is not task:
        raise ValueError(f"a task with id {task.id!r} is already registered")
    _TASKS[task.id] = task
    return task


def register_suite(name: str, tasks: list[Task] | list[str], description: str = "") -> Suite:
    """Register a suite from tasks (registered as a side effect) or registered task ids.

    Raises:
        ValueError: for an unknown task id.
    """
    ids = []
    for t in tasks:
        if isinstance(t, Task):
            register_task(t)
            ids.append(t.id)
        else:
            get_task(t)
            ids.append(t)
    suite = Suite(name=name, task_ids=tuple(ids), description=description)
    _SUITES[name] = suite
    return suite


def get_task(task_id: str) -> Task:
    """The registered task with this id.

    Raises:
        ValueError: for an unknown id.
    """
    try:
        return _TASKS[task_id]
    except KeyError:
        raise ValueError(
            f"unknown task id {task_id!r}; see `mibench list tasks` for the registered ones"
        ) from None


def list_tasks(suite: str | None = None) -> list[Task]:
    """Registered tasks, in suite order when ``suite`` is given, else in registration order.

    Raises:
        ValueError: for an unknown suite name.
    """
    if suite is None:
        return list(_TASKS.values())
    return [_TASKS[i] for i in get_suite(suite).task_ids]


def get_suite(name: str) -> Suite:
    """The suite registered under ``name``.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    try:
        return _SUITES[name]
    except KeyError:
        raise ValueError(f"unknown suite {name!r}; known suites are {sorted(_SUITES)}") from None


def list_suites() -> list[Suite]:
    """All registered suites, in registration order."""
    return list(_SUITES.values())
