"""Suites, task metadata, determinism of sampling, and building tasks from ids."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from mibench.tasks import (
    Staircase,
    StreamingTask,
    Task,
    build_task,
    get_suite,
    get_task,
    list_suites,
    list_tasks,
    register_suite,
)
from mibench.tasks.base import TAGS

# The standard suite of Czyż et al. (2023, "Beyond normal"), as published:
# id, dim_x x dim_y, MI (nats).
STANDARD_TABLE = """
1v1-normal-0.75 1x1 0.4133                 normal_cdf-1v1-normal-0.75 1x1 0.4133
1v1-additive-0.1 1x1 1.7094                1v1-additive-0.75 1x1 0.3333
1v1-bimodal-0.75 1x1 0.4133                wiggly-1v1-normal-0.75 1x1 0.4133
half_cube-1v1-normal-0.75 1x1 0.4133       student-identity-1-1-1 1x1 0.2242
asinh-student-identity-1-1-1 1x1 0.2242    swissroll_x-normal_cdf-1v1-normal-0.75 2x1 0.4133
multinormal-dense-2-2-0.5 2x2 0.2939       multinormal-dense-3-3-0.5 3x3 0.4133
multinormal-dense-5-5-0.5 5x5 0.5928       multinormal-dense-25-25-0.5 25x25 1.2922
multinormal-dense-50-50-0.5 50x50 1.6243   multinormal-sparse-2-2-2-2.0 2x2 1.0217
multinormal-sparse-3-3-2-2.0 3x3 1.0217    multinormal-sparse-5-5-2-2.0 5x5 1.0217
multinormal-sparse-25-25-2-2.0 25x25 1.0217
student-identity-2-2-1 2x2 0.4319          student-identity-2-2-2 2x2 0.1931
student-identity-3-3-2 3x3 0.2909          student-identity-3-3-3 3x3 0.1787
student-identity-5-5-2 5x5 0.4482          student-identity-5-5-3 5x5 0.2985
normal_cdf-multinormal-sparse-3-3-2-2.0 3x3 1.0217
normal_cdf-multinormal-sparse-5-5-2-2.0 5x5 1.0217
normal_cdf-multinormal-sparse-25-25-2-2.0 25x25 1.0217
half_cube-multinormal-sparse-3-3-2-2.0 3x3 1.0217
half_cube-multinormal-sparse-5-5-2-2.0 5x5 1.0217
half_cube-multinormal-sparse-25-25-2-2.0 25x25 1.0217
spiral-multinormal-sparse-3-3-2-2.0 3x3 1.0217
spiral-multinormal-sparse-5-5-2-2.0 5x5 1.0217
spiral-multinormal-sparse-25-25-2-2.0 25x25 1.0217
spiral-normal_cdf-multinormal-sparse-3-3-2-2.0 3x3 1.0217
spiral-normal_cdf-multinormal-sparse-5-5-2-2.0 5x5 1.0217
spiral-normal_cdf-multinormal-sparse-25-25-2-2.0 25x25 1.0217
asinh-student-identity-2-2-1 2x2 0.4319     asinh-student-identity-3-3-2 3x3 0.2909
asinh-student-identity-5-5-2 5x5 0.4482
"""


def _standard_rows():
    words = STANDARD_TABLE.split()
    return {
        words[i]: (tuple(int(d) for d in words[i + 1].split("x")), float(words[i + 2]))
        for i in range(0, len(words), 3)
    }


def _fixed_sample_tasks():
    return [t for t in list_tasks() if isinstance(t, Task)]


def test_standard_suite_matches_reference_table():
    rows = _standard_rows()
    tasks = list_tasks("standard")
    assert len(rows) == 40 and len(tasks) == 40
    assert {t.id for t in tasks} == set(rows)
    for t in tasks:
        dims, mi = rows[t.id]
        assert (t.dim_x, t.dim_y) == dims, t.id
        assert round(t.mi, 4) == mi, t.id
        assert t.mi_stderr == 0.0


def test_quick_suite_is_unchanged():
    assert get_suite("quick").task_ids == (
        "1v1-normal-0.75",
        "normal_cdf-1v1-normal-0.75",
        "half_cube-1v1-normal-0.75",
        "multinormal-dense-2-2-0.5",
        "multinormal-dense-5-5-0.5",
        "multinormal-sparse-3-3-2-2.0",
        "normal_cdf-multinormal-sparse-3-3-2-2.0",
        "half_cube-multinormal-sparse-3-3-2-2.0",
    )
    assert all(t.version == 1 for t in list_tasks("quick"))


def test_quick_sampling_is_the_original_definition():
    """Version 1 of these tasks: one N(0, I) draw times the Cholesky factor, then transforms."""
    for task_id, transform in (
        ("half_cube-multinormal-sparse-3-3-2-2.0", lambda a: a * np.sqrt(np.abs(a))),
        ("multinormal-dense-5-5-0.5", lambda a: a),
    ):
        task = get_task(task_id)
        cov = task.distribution.cov
        z = (
            np.random.default_rng(5).standard_normal((100, cov.shape[0]))
            @ np.linalg.cholesky(cov).T
        )
        x, y = task.sample(100, 5)
        np.testing.assert_array_equal(x, transform(z[:, : task.dim_x]))
        np.testing.assert_array_equal(y, transform(z[:, task.dim_x :]))


def test_all_suites_are_listed_with_their_sizes():
    sizes = {s.name: len(s.task_ids) for s in list_suites()}
    expected = (
        "standard",
        "quick",
        "high-dim",
        "high-mi",
        "staircase",
        "mine-gaussian",
        "mixtures",
        "discrete-continuous",
        "heavy-tails",
    )
    assert set(expected) <= set(sizes)
    assert sizes["standard"] == 40 and sizes["quick"] == 8 and sizes["staircase"] == 4
    assert all(sizes[name] >= 5 for name in expected if name != "staircase")
    assert all(get_suite(name).description for name in expected)


def test_high_dim_suite_reaches_100_by_100():
    tasks = list_tasks("high-dim")
    big = [t for t in tasks if min(t.dim_x, t.dim_y) >= 100]
    ids = " ".join(t.id for t in big)
    assert "multinormal-dense-100-100" in ids and "multinormal-sparse-100-100" in ids
    assert any("reparameterized" in t.tags for t in big)
    assert all(min(t.dim_x, t.dim_y) >= 10 for t in tasks)
    assert sum("high-dimensional" in t.tags for t in tasks) >= 20


def test_high_mi_suite_spans_0_to_10_nats_in_1d_and_3d_with_transforms():
    tasks = list_tasks("high-mi")
    for dims in ((1, 1), (3, 3)):
        group = [t for t in tasks if (t.dim_x, t.dim_y) == dims]
        mis = sorted({round(t.mi, 9) for t in group})
        assert mis[0] == 0.0 and mis[-1] >= 10.0 and len(mis) >= 5
        assert any("reparameterized" in t.tags for t in group)


def test_mine_gaussian_suite():
    tasks = list_tasks("mine-gaussian")
    for d in (2, 20):
        group = [t for t in tasks if t.dim_x == d]
        rhos = sorted(t.distribution.rho for t in group)
        assert rhos[0] < -0.9 and rhos[-1] > 0.9 and 0.0 in rhos
        for t in group:
            assert t.mi == pytest.approx(-d / 2 * math.log(1 - t.distribution.rho**2))


def test_heavy_tails_and_other_family_suites():
    nus = {t.distribution.nu for t in list_tasks("heavy-tails") if "heavy-tailed" in t.tags}
    assert min(nus) == 1.0 and max(nus) == 30.0
    assert any(t.id.startswith(("power_", "cube-")) for t in list_tasks("heavy-tails"))
    assert all("mixture" in t.tags for t in list_tasks("mixtures"))
    assert all("discrete-continuous" in t.tags for t in list_tasks("discrete-continuous"))


def test_staircase_suite_schedules():
    tasks = list_tasks("staircase")
    assert all(isinstance(t, StreamingTask) for t in tasks)
    kinds = {(t.cubic, t.unit) for t in tasks}
    assert kinds == {(False, "nats"), (True, "nats"), (False, "bits"), (True, "bits")}
    for t in tasks:
        assert t.dim_x == t.dim_y == 20 and t.n_steps == 20_000
        factor = 1.0 if t.unit == "nats" else math.log(2.0)
        stages = [t.true_mi(s) for s in range(0, 20_000, 4000)]
        assert stages == pytest.approx([factor * v for v in (2, 4, 6, 8, 10)])
        assert get_task(t.id) is t


def test_task_metadata():
    for t in _fixed_sample_tasks():
        assert t.id and t.name and t.citation and t.version >= 1
        assert t.tags <= TAGS, t.id
        assert t.dim_x >= 1 and t.dim_y >= 1
        if "mixture" not in t.tags:
            assert t.mi_stderr == 0.0 and t.mi >= 0.0
        if "independent" in t.tags:
            assert t.mi == 0.0


def test_sampling_is_deterministic_and_shaped_for_every_task():
    for t in _fixed_sample_tasks():
        x, y = t.sample(7, seed=0)
        assert x.shape == (7, t.dim_x) and y.shape == (7, t.dim_y), t.id
        assert x.dtype == np.float64 and y.dtype == np.float64
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(y)), t.id
        x2, y2 = t.sample(7, seed=0)
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
        x3, y3 = t.sample(7, seed=1)
        assert not np.array_equal(x, x3) and not np.array_equal(y, y3), t.id


def test_every_suite_task_rebuilds_from_its_id():
    for t in _fixed_sample_tasks():
        if t.id.endswith("-custom"):
            continue
        fresh = build_task(t.id)
        assert fresh is not t and fresh.id == t.id
        assert (fresh.dim_x, fresh.dim_y, fresh.tags) == (t.dim_x, t.dim_y, t.tags)
        a, b = fresh.sample(3, 4), t.sample(3, 4)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize(
    ("task_id", "dims", "mi"),
    [
        ("multinormal-dense-7-7-0.3", (7, 7), None),
        ("half_cube-1v1-normal-0.6", (1, 1), -0.5 * math.log(1 - 0.36)),
        ("multinormal-dense-3-5--0.1", (3, 5), None),
        ("power_3.0_y-asinh_x-multinormal-pairs-4-0.5", (4, 4), -2 * math.log(0.75)),
        ("rotation_3-linear-multinormal-sparse-6-4-3-1.0", (6, 4), -1.5 * math.log(0.75)),
        ("swissroll_x-normal_cdf_x-1v1-discrete-4", (2, 1), math.log(4) - 0.75 * math.log(2)),
        ("bimodal_y-1v1-additive-0.3", (1, 1), 0.3 - math.log(0.6)),
        ("cube-student-sparse-3-2-2-1.0-4", (3, 2), None),
        ("multinormal-identity-4-2", (4, 2), 0.0),
        ("spiral_x-multinormal-pairs-mi-2-3.5", (2, 2), 3.5),
    ],
)
def test_get_task_builds_any_id_of_the_grammar(task_id, dims, mi):
    t = get_task(task_id)
    assert t.id == task_id and (t.dim_x, t.dim_y) == dims
    if mi is not None:
        assert t.mi == pytest.approx(mi)
    assert get_task(task_id) is t  # registered on first use
    x, y = t.sample(20, 0)
    assert x.shape == (20, dims[0]) and y.shape == (20, dims[1])


def test_grammar_side_suffixes_and_transform_order():
    t = get_task("spiral-normal_cdf-multinormal-sparse-3-3-2-2.0")
    assert [type(tr).__name__ for tr in t.transforms_x] == ["NormalCDF", "Spiral"]
    assert (t.transforms_x[1].i, t.transforms_x[1].j) == (0, 1)
    assert (t.transforms_y[1].i, t.transforms_y[1].j) == (1, 2)
    t = get_task("swissroll_x-normal_cdf-1v1-normal-0.75")
    assert len(t.transforms_x) == 2 and len(t.transforms_y) == 1
    t = get_task("half_cube_y-1v1-normal-0.5")
    assert t.transforms_x == () and len(t.transforms_y) == 1


@pytest.mark.parametrize(
    ("task_id", "match"),
    [
        ("multinormal-dense-7-7-.3", "canonical id is 'multinormal-dense-7-7-0.3'"),
        ("multinormal-sparse-3-3-2-2", "canonical id is 'multinormal-sparse-3-3-2-2.0'"),
        ("student-identity-2-2-2.0", "canonical id is 'student-identity-2-2-2'"),
        ("halfcube-1v1-normal-0.5", "not a base task id"),
        ("1v1-normal-1.5", "rho must be in"),
        ("multinormal-dense-2-2-0.9-1", "not a base task id"),
        ("spiral-1v1-normal-0.5", "spiral"),
        ("power-1v1-normal-0.5", "exponent"),
        ("swissroll-1v1-normal-0.5", r"\[0, 1\]"),
        ("multinormal-dense-2-2--0.5", "positive definite"),
        ("inliers-0.2-half_cube-1v1-normal-0.5", "not a base task id"),
        ("staircase-gaussian-20-2-4-x10.5", "staircase"),
    ],
)
def test_bad_ids_raise_clear_errors(task_id, match):
    with pytest.raises(ValueError, match=match):
        t = get_task(task_id)
        t.sample(5, 0)


def test_unknown_suite_and_duplicate_registration():
    with pytest.raises(ValueError, match="known suites"):
        get_suite("no-such-suite")
    with pytest.raises(ValueError, match="already registered"):
        register_suite("standard", ["1v1-normal-0.75"])
    with pytest.raises(ValueError, match="suite name"):
        register_suite("has space", ["1v1-normal-0.75"])


def test_staircase_ids_build_from_the_grammar():
    t = get_task("staircase-cubic-5-1-2.5bits-x100")
    assert isinstance(t, Staircase) and t.cubic and t.unit == "bits" and t.n_steps == 200
    assert t.true_mi(150) == pytest.approx(2.5 * math.log(2))


def _peak_bytes(task, n):
    tracemalloc.start()
    try:
        task.sample(n, 0)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_sampling_memory_is_linear_in_n():
    """No task builds an n x n object: 4x the samples needs at most ~4x the memory."""
    for t in _fixed_sample_tasks():
        small, large = _peak_bytes(t, 1000), _peak_bytes(t, 4000)
        assert large <= 5 * small, (t.id, small, large)
