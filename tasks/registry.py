"""The task and suite registries: look up tasks by id, suites by name.

A task id that is not registered yet is built from the id grammar
(:func:`mibench.tasks.idgrammar.build_task`) and registered on first use, so
``get_task("multinormal-dense-7-7-0.3")`` works without any suite listing it.

The registry holds any object satisfying a task protocol of :mod:`mibench.protocols`
(:data:`~mibench.protocols.TaskLike`): a fixed-sample task
(:class:`~mibench.protocols.FixedSampleTask`, such as :class:`~mibench.tasks.base.Task`), or
a streaming one (:class:`~mibench.protocols.StreamingTaskLike`, such as the
:class:`~mibench.tasks.streaming.Staircase` tasks of the ``staircase`` suite), which has
``true_mi(step)`` and ``sample_batch(step, batch_size, seed)`` instead of ``mi`` and
``sample(n, seed)``. A plug-in task need not inherit from a mibench class.
"""

from __future__ import annotations

from collections.abc import Iterable

from mibench.named_registry import Registry
from mibench.protocols import FixedSampleTask, StreamingTaskLike, TaskLike, missing_members
from mibench.tasks.base import Suite
from mibench.tasks.idgrammar import build_task

_TASKS: Registry[TaskLike] = Registry("task", key="id")
_SUITES: Registry[Suite] = Registry(
    "suite",
    valid_name=lambda name: bool(name.strip()) and not any(c.isspace() for c in name),
    name_rule="be a non-empty string without spaces",
)


def task_protocol(task: object) -> type:
    """The task protocol ``task`` is meant to satisfy: :class:`~mibench.protocols.
    StreamingTaskLike` when its ``streaming`` flag is true (without the flag: when it has
    ``true_mi``), else :class:`~mibench.protocols.FixedSampleTask`."""
    streaming = getattr(task, "streaming", None)
    if streaming is None:
        streaming = "true_mi" not in missing_members(task, StreamingTaskLike)
    return StreamingTaskLike if streaming else FixedSampleTask


def task_problems(task: object) -> list[str]:
    """The members of its task protocol (:func:`task_protocol`) that ``task`` lacks, in the
    protocol's order; empty for a task. No property is evaluated but ``streaming``."""
    return missing_members(task, task_protocol(task))


def check_task(task: object) -> None:
    """Check that ``task`` satisfies its task protocol (:func:`task_protocol`).

    Raises:
        TypeError: naming the members it lacks, e.g. ``"MyTask is not a fixed-sample task
            (mibench.protocols.FixedSampleTask): it lacks streaming, sample"``.
    """
    protocol = task_protocol(task)
    missing = missing_members(task, protocol)
    if missing:
        label = "streaming" if protocol is StreamingTaskLike else "fixed-sample"
        raise TypeError(
            f"{type(task).__name__} is not a {label} task (mibench.protocols."
            f"{protocol.__name__}): it lacks {', '.join(missing)}"
        )


def is_task(obj: object) -> bool:
    """True when ``obj`` satisfies a task protocol (:func:`check_task` passes)."""
    return not task_problems(obj)


def register_task(task: TaskLike, *, replace: bool = False) -> TaskLike:
    """Add ``task`` to the registry and return it.

    ``task`` is any object satisfying :class:`~mibench.protocols.FixedSampleTask` (such as a
    :class:`~mibench.tasks.base.Task`) or :class:`~mibench.protocols.StreamingTaskLike`
    (such as a :class:`~mibench.tasks.streaming.Staircase`); it need not inherit from a
    mibench class.

    Raises:
        TypeError: when ``task`` lacks members of the task protocols, naming them
            (:func:`check_task`).
        ValueError: when another task with the same id is registered and ``replace`` is false.
    """
    check_task(task)
    return _TASKS.register(task.id, task, replace=replace)


def register_suite(
    name: str,
    tasks: Iterable[TaskLike | str],
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
    _SUITES.check(name, replace=replace)
    ids = []
    for t in tasks:
        if not isinstance(t, str) and is_task(t):
            register_task(t)
            ids.append(t.id)
        elif build:
            ids.append(get_task(t).id)  # type: ignore[arg-type]  # a non-id raises here
        elif isinstance(t, str):
            ids.append(t)
        else:
            raise ValueError(f"suite {name!r}: expected a task or a task id, got {t!r}")
    suite = Suite(name=name, task_ids=tuple(ids), description=description)
    _SUITES.register(name, suite, replace=True)
    return suite


def get_task(task_id: str) -> TaskLike:
    """The task with this id: a registered one, or one built from the id grammar.

    Raises:
        ValueError: for an id that is neither registered nor valid in the grammar; the
            message says why (unknown transform, invalid parameter, non-canonical spelling).
    """
    found = _TASKS.get(task_id)
    if found is not None:
        return found
    try:
        task = build_task(task_id, known=_TASKS.get)
    except ValueError as err:
        raise ValueError(
            f"unknown task id {task_id!r} ({err}); see `mibench list tasks` for the registered ones"
        ) from None
    return register_task(task)


def find_task(task_id: str) -> TaskLike | None:
    """The registered task with this id, or ``None`` (never builds one)."""
    return _TASKS.get(task_id)


def list_tasks(suite: str | None = None) -> list[TaskLike]:
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
    return _SUITES.lookup(name)


def list_suites() -> list[Suite]:
    """All registered suites, in registration order."""
    return _SUITES.values()
