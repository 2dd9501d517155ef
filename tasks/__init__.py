"""The task registry: joint distributions with known MI, MI-preserving transforms, suites.

Installed as ``mibench.tasks`` (the repository folder is ``tasks/``).
"""

from mibench.tasks import suites as _suites  # noqa: F401 - registers the built-in suites
from mibench.tasks.base import Distribution, Suite, Task, Transform
from mibench.tasks.registry import (
    get_suite,
    get_task,
    list_suites,
    list_tasks,
    register_suite,
    register_task,
)

__all__ = [
    "Distribution",
    "Suite",
    "Task",
    "Transform",
    "get_suite",
    "get_task",
    "list_suites",
    "list_tasks",
    "register_suite",
    "register_task",
]
