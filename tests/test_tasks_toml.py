"""User-defined tasks and suites from TOML files."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from mibench.tasks import get_suite, get_task, list_tasks, load_tasks_file

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "my_tasks.toml"
_unique = itertools.count()


def _write(tmp_path: Path, text: str, name: str | None = None) -> Path:
    path = tmp_path / (name or f"tasks_{next(_unique)}.toml")
    path.write_text(text, encoding="utf-8")
    return path


def _uid(prefix: str) -> str:
    return f"{prefix}-{next(_unique)}"


def test_example_file_loads_and_samples():
    suites = load_tasks_file(EXAMPLE)
    assert [s.name for s in suites] == ["my-tasks"]
    tasks = list_tasks("my-tasks")
    assert len(tasks) == 7
    by_id = {t.id: t for t in tasks}
    assert by_id["my-gaussian-2x1"].citation == "my lab notebook, p. 12"
    assert (by_id["my-gaussian-2x1"].dim_x, by_id["my-gaussian-2x1"].dim_y) == (2, 1)
    dense = by_id["power_3.0_y-half_cube-multinormal-dense-4-4-0.3"]
    assert dense.mi == pytest.approx(get_task("multinormal-dense-4-4-0.3").mi)
    for t in tasks:
        if "mixture" in t.tags:
            continue  # Monte-Carlo truth, covered elsewhere
        x, y = t.sample(10, 0)
        assert x.shape == (10, t.dim_x) and y.shape == (10, t.dim_y)
    # loading the same file again replaces what it registered
    assert load_tasks_file(EXAMPLE)[0].task_ids == suites[0].task_ids


def test_tasks_with_explicit_matrices_and_metadata(tmp_path):
    tid, suite = _uid("custom"), _uid("suite")
    path = _write(
        tmp_path,
        f"""
[[tasks]]
id = "{tid}"
name = "my 1x2 Gaussian"
version = 3
tags = ["gaussian"]
distribution = "multinormal"
dim_x = 1
cov = [[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 2.0]]
transforms = [{{ name = "linear", side = "y", matrix = [[1.0, 1.0], [0.0, 1.0]] }}, "asinh_x"]

[[suites]]
name = "{suite}"
tasks = ["{tid}", "1v1-normal-0.5"]
description = "mine"
""",
    )
    (s,) = load_tasks_file(path)
    assert s.name == suite and s.description == "mine"
    t = get_task(tid)
    assert t.name == "my 1x2 Gaussian" and t.version == 3 and t.tags == {"gaussian"}
    assert t.mi == pytest.approx(-0.5 * math.log(0.75))
    x, y = t.sample(5, 1)
    assert x.shape == (5, 1) and y.shape == (5, 2)


def test_file_without_suites_gets_one_named_after_it(tmp_path):
    path = _write(
        tmp_path,
        """
[[tasks]]
distribution = "student-identity"
dim_x = 2
dim_y = 3
nu = 7
transforms = ["cube_y"]
""",
        name="only_tasks.toml",
    )
    (s,) = load_tasks_file(path)
    assert s.name == "only_tasks"
    assert s.task_ids == ("cube_y-student-identity-2-3-7",)


def test_nested_distributions_and_mixtures(tmp_path):
    tid = _uid("blobs")
    path = _write(
        tmp_path,
        f"""
[[tasks]]
id = "{tid}"
distribution = "mixture"
weights = [1, 3]
[[tasks.components]]
distribution = "multinormal"
dim_x = 1
cov = [[1.0, 0.9], [0.9, 1.0]]
mean = [-4.0, 0.0]
[[tasks.components]]
distribution = "multinormal-pairs"
dim = 1
rho = -0.9

[[tasks]]
distribution = "inliers"
fraction = 0.25
base = {{ distribution = "multinormal-sparse", dim_x = 3, dim_y = 3 }}
""",
    )
    (s,) = load_tasks_file(path)
    assert s.task_ids[1] == "inliers-0.25-multinormal-sparse-3-3-2-2.0"
    mix = get_task(tid).distribution
    assert mix.weights.tolist() == [0.25, 0.75]
    x, _ = mix.sample(4000, np.random.default_rng(0))
    assert np.mean(x < -2) == pytest.approx(0.25, abs=0.03)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[tasks]]\ndistribution = "multinormal-dense"\ndim_x = 2\ndim_y = 2\nrhoo = 0.3\n',
            r"tasks\[0\]\.rhoo: unknown key for distribution 'multinormal-dense'",
        ),
        (
            '[[tasks]]\ndistribution = "multinormal-dense"\ndim_x = 2\ndim_y = 2\n',
            r"tasks\[0\]\.rho: missing",
        ),
        (
            '[[tasks]]\ndistribution = "multinormal-dense"\ndim_x = 2.5\ndim_y = 2\nrho = 0.1\n',
            r"tasks\[0\]\.dim_x must be an integer",
        ),
        ('[[tasks]]\ndistribution = "gamma"\n', r"tasks\[0\]\.distribution must be one of"),
        ("[[tasks]]\ndim_x = 1\n", r"tasks\[0\]\.distribution: missing"),
        (
            '[[tasks]]\ndistribution = "1v1-normal"\nrho = 0.5\ntransforms = ["halfcube"]\n',
            r"tasks\[0\]\.transforms\[0\]: unknown transform 'halfcube'",
        ),
        (
            '[[tasks]]\ndistribution = "1v1-normal"\nrho = 0.5\n'
            'transforms = [{ name = "power" }]\n',
            r"tasks\[0\]\.transforms\[0\]: transform 'power' needs the parameter p",
        ),
        (
            '[[tasks]]\ndistribution = "1v1-normal"\nrho = 0.5\ntransforms = ["swissroll_x"]\n',
            r"tasks\[0\]\.transforms\[0\]: swissroll expects values in \[0, 1\]",
        ),
        (
            '[[tasks]]\ndistribution = "1v1-normal"\nrho = 0.5\ntags = ["fancy"]\n',
            r"tasks\[0\]\.tags: unknown tag 'fancy'",
        ),
        (
            '[[tasks]]\ndistribution = "1v1-normal"\nrho = 1.5\n',
            r"tasks\[0\]\.distribution '1v1-normal': rho",
        ),
        (
            '[[tasks]]\ndistribution = "multinormal"\ndim_x = 1\ncov = [[1.0, 0.5], [0.5, 1.0]]\n',
            r"tasks\[0\]\.id: required",
        ),
        (
            '[[tasks]]\nid = "x"\ndistribution = "multinormal"\ndim_x = 1\n'
            "cov = [[1.0, 2.0], [2.0, 1.0]]\n",
            r"tasks\[0\]\.distribution 'multinormal': cov must be positive definite",
        ),
        (
            '[[tasks]]\nid = "x"\ndistribution = "multinormal"\ndim_x = 1\n'
            "cov = [[1.0], [0.5, 1.0]]\n",
            r"tasks\[0\]\.cov must be a list of equal-length lists",
        ),
        (
            '[[tasks]]\nid = "1v1-normal-0.25"\ndistribution = "1v1-normal"\nrho = 0.5\n',
            r"tasks\[0\]\.id: '1v1-normal-0.25' is the grammar id of a different task",
        ),
        (
            '[[tasks]]\nid = "standard"\ndistribution = "1v1-normal"\nrho = 0.5\nversion = 0\n',
            r"tasks\[0\]\.version: must be a positive integer",
        ),
        (
            '[[suites]]\nname = "standard"\ntasks = ["1v1-normal-0.5"]\n',
            r"suites\[0\]\.name: a suite 'standard' is already registered",
        ),
        (
            '[[suites]]\nname = "s-bad-ref"\ntasks = ["no-such-task"]\n',
            r"suites\[0\]\.tasks\[0\]: unknown task id 'no-such-task'",
        ),
        (
            '[[suites]]\nname = "s-bad-key"\ntask = ["1v1-normal-0.5"]\n',
            r"suites\[0\]\.task: unknown key",
        ),
        ('[[task]]\ndistribution = "1v1-normal"\n', r"task: unknown top-level key"),
        (
            '[[tasks]]\ndistribution = "1v1-normal"\nrho = 0.4321\n[[tasks]]\ndistribution = '
            '"1v1-normal"\nrho = 0.4321\nname = "again"\n',
            r"tasks\[1\]\.id: .* defined twice",
        ),
        ("[[tasks]\n", r"invalid TOML"),
    ],
)
def test_errors_name_the_offending_key(tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises(ValueError, match=message) as info:
        load_tasks_file(path)
    assert str(path) in str(info.value)


def test_invalid_file_registers_nothing(tmp_path):
    tid, suite = _uid("half-good"), _uid("never")
    path = _write(
        tmp_path,
        f"""
[[tasks]]
id = "{tid}"
distribution = "1v1-normal"
rho = 0.5

[[suites]]
name = "{suite}"
tasks = ["{tid}", "missing-task"]
""",
    )
    with pytest.raises(ValueError):
        load_tasks_file(path)
    with pytest.raises(ValueError):
        get_suite(suite)
    with pytest.raises(ValueError):
        get_task(tid)


def test_another_file_cannot_take_a_registered_id(tmp_path):
    tid = _uid("owned")
    body = f'[[tasks]]\nid = "{tid}"\ndistribution = "1v1-normal"\nrho = 0.5\n'
    load_tasks_file(_write(tmp_path, body))
    with pytest.raises(ValueError, match="already registered"):
        load_tasks_file(_write(tmp_path, body))


def test_missing_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        load_tasks_file(tmp_path / "nope.toml")
