"""The generic registry behind the estimator, task, suite and paper-figure registries."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest

from mibench.named_registry import Registry


def _colours() -> Registry[str]:
    reg: Registry[str] = Registry("colour")
    reg.register("red", "#f00")
    reg.register("green", "#0f0")
    reg.register("blue", "#00f")
    return reg


def test_lookup_get_membership_and_order():
    reg = _colours()
    assert reg.lookup("green") == "#0f0"
    assert reg.get("green") == "#0f0" and reg.get("grey") is None and reg.get(3) is None  # type: ignore[arg-type]
    assert "red" in reg and "grey" not in reg and 3 not in reg
    assert len(reg) == 3
    assert list(reg) == reg.names() == ["red", "green", "blue"]  # registration order
    assert sorted(reg) == ["blue", "green", "red"]
    assert reg.values() == ["#f00", "#0f0", "#00f"]
    assert reg.items() == [("red", "#f00"), ("green", "#0f0"), ("blue", "#00f")]
    assert reg.kind == "colour" and reg.plural == "colours"
    assert "colour" in repr(reg) and "3" in repr(reg)


def test_unknown_name_is_named_and_the_known_ones_listed_sorted():
    reg = _colours()
    with pytest.raises(
        ValueError, match=re.escape("unknown colour 'grey'; known colours are blue, green, red")
    ):
        reg.lookup("grey")
    with pytest.raises(ValueError, match="unknown colour \\['x'\\]"):  # unhashable: still unknown
        reg.lookup(["x"])  # type: ignore[arg-type]
    empty: Registry[int] = Registry("mouse", plural="mice")
    with pytest.raises(ValueError, match="unknown mouse 'x'; none are registered"):
        empty.lookup("x")
    assert str(_colours().unknown("x")).endswith("known colours are blue, green, red")


def test_taken_name_refused_unless_same_object_or_replace():
    reg = _colours()
    value = reg.lookup("red")
    assert reg.register("red", value) is value  # the same object again: fine
    with pytest.raises(ValueError, match=re.escape("a colour named 'red' is already registered")):
        reg.register("red", "#ff0000")
    assert reg.lookup("red") == "#f00"
    assert reg.register("red", "#ff0000", replace=True) == "#ff0000"
    assert reg.lookup("red") == "#ff0000" and reg.names()[0] == "red"  # keeps its place
    ids: Registry[str] = Registry("task", key="id")
    ids.register("t1", "a")
    with pytest.raises(ValueError, match=re.escape("a task with id 't1' is already registered")):
        ids.register("t1", "b")
    with pytest.raises(ValueError, match=re.escape("task id must be a string, got 5")):
        ids.register(5, "c")  # type: ignore[arg-type]


def test_check_validates_without_registering():
    reg = _colours()
    reg.check("grey")
    reg.check("red", "#f00")
    reg.check("red", "other", replace=True)
    with pytest.raises(ValueError, match="already registered"):
        reg.check("red")
    assert "grey" not in reg


def test_name_rule():
    reg: Registry[int] = Registry(
        "gadget",
        valid_name=lambda name: re.fullmatch(r"[a-z]+", name) is not None,
        name_rule="use lower-case letters",
    )
    reg.register("ok", 1)
    for bad in ("Not ok", "", 3, None):
        with pytest.raises(ValueError, match="gadget name must use lower-case letters, got "):
            reg.register(bad, 2)  # type: ignore[arg-type]
    assert reg.names() == ["ok"]


def test_unregister():
    reg = _colours()
    assert reg.unregister("green") == "#0f0"
    assert reg.names() == ["red", "blue"]
    with pytest.raises(ValueError, match="unknown colour 'green'"):
        reg.unregister("green")


def test_loader_runs_once_on_first_use_and_may_register():
    calls = []

    def load() -> None:
        calls.append(1)
        reg.register("built-in", 0)
        assert "built-in" in reg  # a look-up while loading does not load again

    reg: Registry[int] = Registry("widget", loader=load)
    reg.register("early", 1)  # registering never triggers the loader
    assert calls == [] and not reg.loaded
    assert reg.names() == ["early", "built-in"]
    assert calls == [1] and reg.loaded
    assert reg.lookup("built-in") == 0 and len(reg) == 2 and reg.get("x") is None
    assert calls == [1]


@pytest.mark.parametrize(
    "use",
    [
        lambda r: r.lookup("a"),
        lambda r: r.get("a"),
        lambda r: "a" in r,
        lambda r: len(r),
        lambda r: list(r),
        lambda r: r.names(),
        lambda r: r.values(),
        lambda r: r.items(),
        lambda r: r.load(),
    ],
)
def test_every_read_triggers_the_loader(use):
    calls = []

    def load() -> None:
        calls.append(1)
        reg.register("a", 1)

    reg: Registry[int] = Registry("widget", loader=load)
    use(reg)
    assert calls == [1] and reg.names() == ["a"]


def test_a_failing_loader_is_not_rerun():
    calls = []

    def load() -> None:
        calls.append(1)
        raise RuntimeError("broken plug-in")

    reg: Registry[int] = Registry("widget", loader=load)
    with pytest.raises(RuntimeError, match="broken plug-in"):
        reg.names()
    assert reg.names() == [] and calls == [1]


def test_without_loader_it_is_loaded():
    assert Registry("widget").loaded


# -- the three registries built on it keep their messages ------------------------------------


def test_estimator_registry_messages():
    from mibench.registry import estimator_factory, list_estimators, register_estimator

    with pytest.raises(ValueError, match="unknown estimator 'nope'; known estimators are .*ksg"):
        estimator_factory("nope")
    with pytest.raises(ValueError, match="estimator name must use letters, digits"):
        register_estimator("bad name", estimator_factory("ksg"))
    with pytest.raises(ValueError, match="an estimator named 'ksg' is already registered"):
        register_estimator("ksg", estimator_factory("mine"))
    register_estimator("ksg", estimator_factory("ksg"))  # the same factory again: fine
    assert list_estimators() == sorted(list_estimators()) and "ksg" in list_estimators()


def test_task_and_suite_registry_messages():
    from mibench.tasks import get_suite, get_task, list_suites, register_suite, register_task
    from mibench.tasks.base import Task

    with pytest.raises(ValueError, match="unknown suite 'nope'; known suites are .*standard"):
        get_suite("nope")
    with pytest.raises(ValueError, match="a suite named 'standard' is already registered"):
        register_suite("standard", ["1v1-normal-0.75"])
    with pytest.raises(ValueError, match="suite name must be a non-empty string without spaces"):
        register_suite(" ", ["1v1-normal-0.75"])
    assert "standard" in [s.name for s in list_suites()]
    task = get_task("1v1-normal-0.75")
    assert isinstance(task, Task)
    assert register_task(task) is task
    with pytest.raises(ValueError, match="a task with id '1v1-normal-0.75' is already registered"):
        register_task(dataclasses.replace(task, name="another"))


def test_figure_registry_messages():
    pytest.importorskip("matplotlib")
    from mibench.paper import get_figure, list_figures
    from mibench.paper.registry import register_figure

    figures = list_figures()
    assert figures, "the built-in figures register on import"
    with pytest.raises(ValueError, match="unknown figure 'nope'; known figures are "):
        get_figure("nope")
    assert register_figure(figures[0]) is figures[0]  # the same figure again: fine
    with pytest.raises(ValueError, match=f"a figure named '{figures[0].name}' is already"):
        register_figure(dataclasses.replace(figures[1], name=figures[0].name))


def test_a_builtin_name_is_refused_even_before_the_builtins_are_loaded():
    # A fresh process: registering "ksg" first must not shadow the built-in (and break the
    # loading of every other built-in later).
    code = (
        "import mibench\n"
        "try:\n"
        "    mibench.register('ksg', lambda x, y: 0.1)\n"
        "except ValueError as exc:\n"
        "    print('refused:', exc)\n"
        "print(type(mibench.get_estimator('kl')).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "refused: an estimator named 'ksg' is already registered" in done.stdout
    assert done.stdout.strip().endswith("KLMI")
