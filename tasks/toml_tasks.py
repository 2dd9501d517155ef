"""User-defined tasks and suites from a TOML file, without writing Python.

A file holds ``[[tasks]]`` and ``[[suites]]`` tables (see ``examples/my_tasks.toml``)::

    [[tasks]]
    id = "corr-4x4-cubed"              # optional when the task has a canonical id
    distribution = "multinormal-dense" # a base kind (mibench.tasks.idgrammar.BASE_KINDS)
    dim_x = 4                          # ... and that kind's parameters, by name
    dim_y = 4
    rho = 0.3
    transforms = ["half_cube", { name = "power", p = 3.0, side = "y" }]  # applied in order
    name = "my task"                   # optional metadata: name, version, tags, citation

    [[suites]]
    name = "my-suite"
    tasks = ["corr-4x4-cubed", "multinormal-dense-2-2-0.5", "half_cube-1v1-normal-0.6"]
    description = "optional"

``transforms`` are applied first to last (the reverse of the order they appear in an id).
Each is a token of the id grammar (``"normal_cdf"``, ``"swissroll_x"``, ``"power_3.0_y"``) or
a table with ``name``, optional ``side`` (``"x"``, ``"y"`` or ``"both"``) and the transform's
parameters (``p``; ``seed``; ``matrix`` for ``linear``). Nested distributions (``base`` of
``inliers``, ``components`` of ``mixture``) are base ids or tables with a ``distribution``
key. A suite lists ids of tasks from the file, registered tasks, or any valid id.

``id`` may be left out when the task can be named in the id grammar; it is required for an
explicit matrix or a mixture, and it may not be a grammar id of a different task.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from mibench.tasks.base import TAGS, Suite, Task
from mibench.tasks.idgrammar import (
    BASE_KINDS,
    apply_transform,
    build_base,
    build_task,
    parse_transform_token,
    transform_token,
)
from mibench.tasks.registry import (
    find_task,
    get_task,
    list_suites,
    register_suite,
    register_task,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

_META = ("id", "name", "version", "tags", "citation", "transforms")

# (kind, id) -> resolved path of the file that registered it, so a file can be reloaded.
_ORIGIN: dict[tuple[str, str], str] = {}


def load_tasks_file(path: str | Path) -> list[Suite]:
    """Register the tasks and suites defined in a TOML file; return its suites.

    Everything is validated before anything is registered. A file without ``[[suites]]``
    registers one suite named after the file (``my_tasks.toml`` -> ``my_tasks``) holding all
    its tasks. Loading the same file again replaces what it registered before.

    Args:
        path: the TOML file.

    Returns:
        The suites the file defines, in file order.

    Raises:
        ValueError: for an unreadable or invalid file; the message names the file and the
            offending key (e.g. ``tasks[2].rho``).
    """
    path = Path(path)
    origin = str(path.resolve())
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ValueError(f"{path}: cannot read the file: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: invalid TOML: {err}") from None
    try:
        tasks, suites = _parse(doc, default_suite=path.stem, origin=origin)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    for task in tasks:
        if find_task(task.id) is not task:
            register_task(task, replace=True)
            _ORIGIN["task", task.id] = origin
    out = []
    for name, ids, description in suites:
        out.append(register_suite(name, ids, description, replace=True))
        _ORIGIN["suite", name] = origin
    return out


def _tables(doc: dict, key: str) -> list[dict]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{key}: must be an array of tables ([[{key}]])")
    return value


def _parse(doc: dict, default_suite: str, origin: str) -> tuple[list[Task], list[tuple]]:
    unknown = sorted(set(doc) - {"tasks", "suites"})
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown top-level key; expected [[tasks]] and [[suites]]")
    tasks: dict[str, Task] = {}
    for i, table in enumerate(_tables(doc, "tasks")):
        task = _task(table, f"tasks[{i}].", origin)
        if task.id in tasks:
            raise ValueError(f"tasks[{i}].id: {task.id!r} is defined twice in this file")
        tasks[task.id] = task
    suite_tables = _tables(doc, "suites")
    if not suite_tables and tasks:
        suite_tables = [{"name": default_suite, "tasks": list(tasks)}]
    suites, seen = [], set()
    for k, table in enumerate(suite_tables):
        where = f"suites[{k}]."
        bad = sorted(set(table) - {"name", "tasks", "description"})
        if bad:
            raise ValueError(f"{where}{bad[0]}: unknown key; accepted: name, tasks, description")
        name = table.get("name")
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise ValueError(
                f"{where}name: must be a non-empty string without spaces, got {name!r}"
            )
        if name in seen:
            raise ValueError(f"{where}name: suite {name!r} is defined twice in this file")
        seen.add(name)
        _check_free("suite", name, f"{where}name", origin)
        ids = table.get("tasks")
        if not isinstance(ids, list) or not ids or not all(isinstance(t, str) for t in ids):
            raise ValueError(f"{where}tasks: must be a non-empty list of task ids")
        for j, task_id in enumerate(ids):
            if task_id not in tasks:
                try:
                    get_task(task_id)
                except ValueError as err:
                    raise ValueError(f"{where}tasks[{j}]: {err}") from None
        description = table.get("description", "")
        if not isinstance(description, str):
            raise ValueError(f"{where}description: must be a string")
        suites.append((name, [tasks.get(t, t) for t in ids], description))
    return list(tasks.values()), suites


def _check_free(kind: str, key: str, where: str, origin: str) -> None:
    """Reject a name already registered, unless this same file registered it."""
    if kind == "task":
        taken = find_task(key) is not None
    else:
        taken = any(s.name == key for s in list_suites())
    if taken and _ORIGIN.get((kind, key)) != origin:
        raise ValueError(f"{where}: a {kind} {key!r} is already registered")


def _task(table: dict, where: str, origin: str) -> Task:
    if "distribution" not in table:
        raise ValueError(f"{where}distribution: missing; one of {', '.join(BASE_KINDS)}")
    spec = {k: v for k, v in table.items() if k not in _META}
    task = build_base(spec, where=where)
    canonical = BASE_KINDS[spec["distribution"]].in_ids
    transforms = table.get("transforms", [])
    if not isinstance(transforms, list):
        raise ValueError(f"{where}transforms: must be a list of names or tables")
    for j, t in enumerate(transforms):
        at = f"{where}transforms[{j}]"
        try:
            if isinstance(t, str):
                name, side, params = parse_transform_token(t)
            elif isinstance(t, dict):
                params = dict(t)
                name, side = params.pop("name", None), params.pop("side", "both")
                if not isinstance(name, str):
                    raise ValueError("name: missing (the transform's name)")
            else:
                raise ValueError(f"must be a name or a table, got {t!r}")
            canonical = canonical and transform_token(name, side, params) is not None
            task = apply_transform(task, name, side, **params)
        except ValueError as err:
            raise ValueError(f"{at}: {err}") from None
    task = _with_metadata(task, table, where, canonical)
    if find_task(task.id) is not task:
        _check_free("task", task.id, f"{where}id", origin)
    return task


def _with_metadata(task: Task, table: dict, where: str, canonical: bool) -> Task:
    task_id = table.get("id")
    if task_id is None:
        if not canonical:
            raise ValueError(
                f"{where}id: required, this task cannot be named in the id grammar "
                "(explicit matrix or mixture)"
            )
        registered = find_task(task.id)
        if isinstance(registered, Task) and not {"name", "version", "tags", "citation"} & set(
            table
        ):
            return registered  # the very same task, e.g. a built-in one
        task_id = task.id
    if not isinstance(task_id, str) or not task_id or any(c.isspace() for c in task_id):
        raise ValueError(f"{where}id: must be a non-empty string without spaces, got {task_id!r}")
    if not (canonical and task_id == task.id):
        try:
            other = build_task(task_id)
        except ValueError:
            other = None
        if other is not None:
            raise ValueError(
                f"{where}id: {task_id!r} is the grammar id of a different task; choose another id"
            )
    changes: dict[str, Any] = {"id": task_id}
    if "name" in table:
        if not isinstance(table["name"], str):
            raise ValueError(f"{where}name: must be a string")
        changes["name"] = table["name"]
    if "version" in table:
        v = table["version"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{where}version: must be a positive integer, got {v!r}")
        changes["version"] = v
    if "tags" in table:
        tags = table["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValueError(f"{where}tags: must be a list of strings")
        bad = sorted(set(tags) - TAGS)
        if bad:
            raise ValueError(f"{where}tags: unknown tag {bad[0]!r}; known: {sorted(TAGS)}")
        changes["tags"] = frozenset(tags)
    if "citation" in table:
        if not isinstance(table["citation"], str):
            raise ValueError(f"{where}citation: must be a string")
        changes["citation"] = table["citation"]
    return dataclasses.replace(task, **changes)
