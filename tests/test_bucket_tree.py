"""The bucket KD-tree of the kNN estimators against direct computations.

k-th neighbour distances must equal scipy's cKDTree (max norm) bit for bit, the neighbours'
indices must give those distances and never the sample itself, and the radius counts must equal
the brute-force test on the same floats, with ties, duplicates, radii of 0 and radii equal to
a distance that occurs, at every leaf size, from 1 to 60 dimensions, on one thread and on
several.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from mibench.baselines import bucket_tree
from mibench.baselines.bucket_tree import build, count_within, k_nearest


def _brute(a: np.ndarray) -> np.ndarray:
    d = np.abs(a[:, None, :] - a[None, :, :]).max(axis=2)
    np.fill_diagonal(d, np.inf)
    return d


CASES = [
    (kind, n, d, leaf)
    for kind in ("normal", "ties", "duplicates", "scales")
    for n, d in ((400, 1), (600, 3), (500, 7), (300, 24), (200, 60))
    for leaf in (1, 16, 256)
]


@pytest.mark.parametrize(("kind", "n", "d", "leaf"), CASES)
def test_k_nearest_equals_ckdtree_and_counts_equal_the_exact_test(
    kind, n, d, leaf, awkward_samples
):
    a = awkward_samples(kind, n, d, seed=n + d)
    tree = build(a, leaf)
    dist, idx = k_nearest(tree, 6)
    expected = cKDTree(a).query(a, k=7, p=np.inf)[0][:, 1:]
    np.testing.assert_array_equal(dist, expected)
    assert np.all(idx != np.arange(n)[:, None])
    np.testing.assert_array_equal(np.abs(a[idx] - a[:, None, :]).max(axis=2), dist)
    full = _brute(a)
    rng = np.random.default_rng(0)
    radii = np.sort(full, axis=1)[np.arange(n), rng.integers(0, min(40, n - 1), n)]
    radii[:10] = 0.0  # nothing is strictly within 0; a duplicate is within it otherwise
    radii[10:20] = np.nextafter(radii[10:20], np.inf)
    for strict in (True, False):
        want = (full < radii[:, None]).sum(1) if strict else (full <= radii[:, None]).sum(1)
        np.testing.assert_array_equal(count_within(tree, radii, strict=strict), want)


def test_radii_wider_than_the_sample_count_everything_else(awkward_samples):
    a = awkward_samples("normal", 500, 4, seed=3)
    tree = build(a, 32)
    for strict in (True, False):
        np.testing.assert_array_equal(count_within(tree, np.full(500, 1e3), strict=strict), 499)


def test_the_tree_splits_each_node_in_halves_with_exact_boxes(awkward_samples):
    a = awkward_samples("normal", 1000, 5, seed=1)
    tree = build(a, 50)
    start, stop, left, right, low, high = tree.nodes
    np.testing.assert_array_equal(np.sort(tree.order), np.arange(1000))
    np.testing.assert_array_equal(tree.coords, a[tree.order].T)
    assert (start[0], stop[0]) == (0, 1000)
    leaves = left < 0
    assert np.all((right < 0) == leaves)
    assert np.all(stop[leaves] - start[leaves] <= 50) and np.all(stop - start >= 1)
    assert np.sum(stop[leaves] - start[leaves]) == 1000
    for b in np.flatnonzero(~leaves):
        assert left[b] > b and right[b] > b
        assert (start[left[b]], stop[left[b]], stop[right[b]]) == (
            start[b],
            start[right[b]],
            stop[b],
        )
        assert abs((stop[left[b]] - start[b]) - (stop[b] - stop[left[b]])) <= 1
    for b in range(start.size):
        part = tree.coords[:, start[b] : stop[b]]
        np.testing.assert_array_equal(low[b], part.min(axis=1))
        np.testing.assert_array_equal(high[b], part.max(axis=1))


def test_threads_give_the_same_values(monkeypatch, awkward_samples):
    a = awkward_samples("ties", 3000, 6, seed=2)
    radii = np.abs(np.random.default_rng(1).standard_normal(3000))
    one = k_nearest(build(a), 4), count_within(build(a), radii, strict=True)
    monkeypatch.setattr(bucket_tree, "THREADS_MIN_N", 100)
    monkeypatch.setattr(bucket_tree.os, "cpu_count", lambda: 3)
    several = k_nearest(build(a), 4), count_within(build(a), radii, strict=True)
    np.testing.assert_array_equal(one[0][0], several[0][0])
    np.testing.assert_array_equal(one[0][1], several[0][1])
    np.testing.assert_array_equal(one[1], several[1])
