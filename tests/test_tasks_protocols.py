"""Task protocols: a plug-in task need not inherit from Task; the registry checks members."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mibench.harness.grid import Grid
from mibench.harness.runner import run_grid
from mibench.harness.store import ResultStore
from mibench.harness.study import run
from mibench.protocols import (
    FixedSampleTask,
    StreamingTaskLike,
    TaskInfo,
    missing_members,
    protocol_members,
)
from mibench.tasks import get_task, list_tasks, register_suite, register_task
from mibench.tasks import registry as task_registry
from mibench.tasks.registry import check_task, is_task, task_problems


class PluginPair:
    """A fixed-sample plug-in task: a correlated Gaussian pair, not a mibench Task."""

    id = "plugin-pair-0.6"
    version = 3
    name = "plug-in correlated pair"
    tags = frozenset({"gaussian"})
    dim_x = 1
    dim_y = 1
    citation = ""
    streaming = False
    mi_stderr = 0.0
    rho = 0.6

    @property
    def mi(self) -> float:
        return -0.5 * math.log1p(-(self.rho**2))

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, 1))
        y = self.rho * x + math.sqrt(1 - self.rho**2) * rng.standard_normal((n, 1))
        return x, y


class PluginStream:
    """A streaming plug-in task: a constant schedule."""

    id = "plugin-stream"
    version = 1
    name = "plug-in stream"
    tags = frozenset({"staircase"})
    dim_x = 2
    dim_y = 2
    citation = ""
    streaming = True
    n_steps = 10

    def true_mi(self, step: int) -> float:
        return 0.0

    def sample_batch(self, step: int, batch_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng((seed, step))
        return rng.standard_normal((batch_size, 2)), rng.standard_normal((batch_size, 2))


class Incomplete:
    """Most of a task, but no ``dim_y`` and no ``sample``."""

    id = "plugin-incomplete"
    version = 1
    name = "incomplete"
    tags = frozenset()
    dim_x = 1
    citation = ""
    streaming = False
    mi = 0.0
    mi_stderr = 0.0


@pytest.fixture
def registered():
    """Registers the plug-in tasks and removes them afterwards (other tests list tasks)."""
    tasks = [register_task(PluginPair()), register_task(PluginStream())]
    yield tasks
    for t in tasks:
        task_registry._TASKS.unregister(t.id)


def test_builtin_tasks_satisfy_the_protocols():
    fixed, stream = get_task("1v1-normal-0.75"), get_task("staircase-gaussian-5-1-2-x10")
    assert missing_members(fixed, FixedSampleTask) == [] and fixed.streaming is False
    assert missing_members(stream, StreamingTaskLike) == [] and stream.streaming is True
    assert isinstance(stream, StreamingTaskLike) and not isinstance(fixed, StreamingTaskLike)
    assert is_task(fixed) and is_task(stream) and not is_task("1v1-normal-0.75")
    assert protocol_members(TaskInfo) == (
        "id",
        "version",
        "name",
        "tags",
        "dim_x",
        "dim_y",
        "citation",
        "streaming",
    )
    assert protocol_members(FixedSampleTask)[-3:] == ("mi", "mi_stderr", "sample")
    assert protocol_members(StreamingTaskLike)[-3:] == ("n_steps", "true_mi", "sample_batch")


def test_missing_members_evaluates_no_property():
    class Loud(PluginPair):
        @property
        def mi(self) -> float:
            raise AssertionError("evaluated")

    assert missing_members(Loud(), FixedSampleTask) == []
    check_task(Loud())


def test_plugin_task_registers_and_runs_through_a_grid(registered, tmp_path):
    pair = registered[0]
    assert get_task(pair.id) is pair and pair in list_tasks()
    grid = Grid(tasks=[pair], estimators=["test-corr"], ns=[400], seeds=[0, 1])
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = run_grid(grid, store, progress=False)
        df = store.results()
    assert summary.total == 2 and summary.failed == 0
    assert (df["task_id"] == pair.id).all() and (df["task_version"] == 3).all()
    assert (df["status"] == "ok").all()
    assert df["mi_true"].iloc[0] == pytest.approx(pair.mi)
    assert np.allclose(df["mi_estimate"], pair.mi, atol=0.15)
    # mibench.run with the id of the registered plug-in gives the same cells and values
    again = run(tasks=[pair.id], estimators="test-corr", n=400, seeds=2, progress=False)
    assert sorted(again["cell_id"]) == sorted(df["cell_id"])
    assert np.allclose(
        again.sort_values("cell_id")["mi_estimate"], df.sort_values("cell_id")["mi_estimate"]
    )


def test_plugin_tasks_in_a_suite(registered):
    suite = register_suite("plugin-suite-test", registered)
    try:
        assert suite.task_ids == ("plugin-pair-0.6", "plugin-stream")
        assert list_tasks("plugin-suite-test") == registered
    finally:
        task_registry._SUITES.unregister("plugin-suite-test")


def test_streaming_plugin_is_refused_by_a_fixed_sample_grid(registered):
    with pytest.raises(ValueError, match=r"streaming tasks \['plugin-stream'\] have no fixed"):
        Grid(tasks=[registered[1]], estimators=["test-corr"], ns=[100], seeds=[0])


def test_an_incomplete_task_is_refused_naming_what_it_lacks():
    assert task_problems(Incomplete()) == ["dim_y", "sample"]
    message = (
        "Incomplete is not a fixed-sample task (mibench.protocols.FixedSampleTask): "
        "it lacks dim_y, sample"
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        register_task(Incomplete())  # type: ignore[arg-type]
    assert "plugin-incomplete" not in [t.id for t in list_tasks()]


def test_an_incomplete_streaming_task_names_the_streaming_members():
    no_steps = type(
        "NoSteps",
        (),
        {k: v for k, v in vars(PluginStream).items() if not k.startswith("__") and k != "n_steps"},
    )
    with pytest.raises(TypeError, match=r"NoSteps is not a streaming task .*: it lacks n_steps$"):
        register_task(no_steps())
    no_flag = type("NoFlag", (), {"true_mi": lambda self, step: 0.0})()
    with pytest.raises(TypeError, match=r"NoFlag is not a streaming task .* lacks id, "):
        register_task(no_flag)  # type: ignore[arg-type]


def test_a_non_task_is_refused():
    with pytest.raises(TypeError, match="str is not a fixed-sample task.* lacks id, version"):
        register_task("1v1-normal-0.75")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lacks .*streaming"):
        register_task(object())  # type: ignore[arg-type]


def test_missing_members_sees_slots_and_instance_attributes():
    class Slotted:
        __slots__ = ("id", "version")

    class Plain:
        def __init__(self) -> None:
            self.id, self.version = "x", 1

    slotted = Slotted()
    assert missing_members(slotted, TaskInfo)[:2] == ["name", "tags"]  # id, version: slots
    assert missing_members(Plain(), TaskInfo)[:2] == ["name", "tags"]
    assert missing_members(PluginPair, FixedSampleTask)[0] == "id"  # a class is not a task


def test_a_grid_refuses_an_unregistered_object_that_is_not_a_task_before_any_cell():
    class Broken:
        id, version, name, tags, citation, streaming = "broken", 1, "broken", (), "", False
        dim_x = 1
        mi = 0.0

        def sample(self, n, seed):
            raise AssertionError("no cell may run")

    with pytest.raises(TypeError, match="Broken is not a fixed-sample task .* lacks dim_y"):
        Grid(tasks=[Broken()], estimators=["ksg"], ns=[100], seeds=[0])
