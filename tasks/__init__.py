"""The task registry: joint distributions with known MI, MI-preserving transforms, suites.

Installed as ``mibench.tasks`` (the repository folder is ``tasks/``).

- :func:`get_task` returns a registered task or builds one from its id
  (``get_task("half_cube-multinormal-dense-7-7-0.3")``, grammar in
  :mod:`mibench.tasks.idgrammar`).
- :func:`list_suites` / :func:`list_tasks` list the built-in suites (:mod:`mibench.tasks.suites`)
  and their tasks.
- :func:`load_tasks_file` registers tasks and suites declared in a TOML file
  (:mod:`mibench.tasks.toml_tasks`).
- :func:`pmi_profile` draws a task's pointwise-MI profile (the distribution of its PMI,
  :mod:`mibench.tasks.profiles`); :func:`has_pmi` says whether a task has one.
"""

# The repository folder imported as a top-level package (from the repository root) fails at once.
# From the repository root, `import tasks` would load this folder as a second, top-level
# package; refuse it at once.
if __name__ != "mibench.tasks":
    raise ImportError(
        f"{__name__!r} is the repository folder tasks/, which installs as "
        "mibench.tasks: import mibench.tasks instead"
    )


from mibench.tasks import suites as _suites  # noqa: F401 - registers the built-in suites
from mibench.tasks.base import Distribution, Suite, Task, Transform
from mibench.tasks.idgrammar import BASE_KINDS, apply_transform, build_task, id_patterns
from mibench.tasks.profiles import PMIProfile, has_pmi, pmi_profile
from mibench.tasks.registry import (
    find_task,
    get_suite,
    get_task,
    list_suites,
    list_tasks,
    register_suite,
    register_task,
)
from mibench.tasks.streaming import Staircase, StreamingTask
from mibench.tasks.toml_tasks import load_tasks_file

__all__ = [
    "BASE_KINDS",
    "Distribution",
    "PMIProfile",
    "Staircase",
    "StreamingTask",
    "Suite",
    "Task",
    "Transform",
    "apply_transform",
    "build_task",
    "find_task",
    "get_suite",
    "get_task",
    "has_pmi",
    "id_patterns",
    "list_suites",
    "list_tasks",
    "load_tasks_file",
    "pmi_profile",
    "register_suite",
    "register_task",
]
