"""The rank-bitset radius counts against the brute-force test, and the rule that picks them.

The counts must equal the exact test on the same floats bit for bit, with ties, duplicates,
radii of 0, radii equal to a distance that occurs or one ulp above it, huge and tiny scales,
sample counts on and off a multiple of 64, on one thread and on several.
"""

from __future__ import annotations

import numpy as np
import pytest

from mibench.baselines import bucket_tree, neighbors
from mibench.baselines.rank_bitsets import bitset_bytes, build, count_within


@pytest.mark.parametrize("kind", ["normal", "ties", "duplicates", "scales"])
@pytest.mark.parametrize(("n", "d"), [(64, 2), (300, 5), (257, 8), (640, 12), (200, 40)])
def test_counts_equal_the_exact_test(kind, n, d, awkward_samples):
    a = awkward_samples(kind, n, d, seed=n * d)
    n = a.shape[0]  # duplicates: a multiple of 4
    full = np.abs(a[:, None, :] - a[None, :, :]).max(axis=2)
    np.fill_diagonal(full, np.inf)
    rng = np.random.default_rng(1)
    radii = np.sort(full, axis=1)[np.arange(n), rng.integers(0, min(40, n - 1), n)]
    radii[:8] = 0.0
    radii[8:16] = np.nextafter(radii[8:16], np.inf)
    radii[16:20] = 1e30  # everything
    sets = build(a)
    for strict in (True, False):
        want = (full < radii[:, None]).sum(1) if strict else (full <= radii[:, None]).sum(1)
        np.testing.assert_array_equal(count_within(sets, radii, strict=strict), want)


def test_the_sorted_coordinates_ranks_and_prefix_bitsets_are_consistent(awkward_samples):
    a = awkward_samples("ties", 200, 3, seed=4)
    sets = build(a)
    for c in range(3):
        np.testing.assert_array_equal(sets.values[c], np.sort(a[:, c]))
        np.testing.assert_array_equal(sets.values[c], a[sets.order[c], c])
        np.testing.assert_array_equal(sets.rank[c][sets.order[c]], np.arange(200))
        for m in range(sets.prefix.shape[1]):
            bits = np.unpackbits(sets.prefix[c, m].view(np.uint8), bitorder="little")[:200]
            np.testing.assert_array_equal(np.flatnonzero(bits), np.sort(sets.order[c, : 64 * m]))
    assert sets.prefix.nbytes == bitset_bytes(200, 3)


def test_threads_give_the_same_counts(monkeypatch, awkward_samples):
    a = awkward_samples("normal", 2000, 6, seed=2)
    radii = np.abs(np.random.default_rng(3).standard_normal(2000))
    one = count_within(build(a), radii, strict=True)
    monkeypatch.setattr(bucket_tree, "THREADS_MIN_N", 100)
    monkeypatch.setattr(bucket_tree.os, "cpu_count", lambda: 3)
    np.testing.assert_array_equal(count_within(build(a), radii, strict=True), one)


def test_the_counts_of_a_block_use_bitsets_from_five_dimensions_within_their_bounds():
    assert not neighbors.uses_bitsets(10_000, 4)
    assert neighbors.uses_bitsets(10_000, 5) and neighbors.uses_bitsets(60_000, 5)
    assert not neighbors.uses_bitsets(60_001, 5)
    assert neighbors.uses_bitsets(5_000, 50)
    big = next(n for n in range(50_000, 200_000, 1000) if bitset_bytes(n, 50) > 256 * 2**20)
    assert not neighbors.uses_bitsets(big, 50)
    assert isinstance(neighbors._counter(np.zeros((100, 6))), neighbors._BitsetCounter)
    assert isinstance(neighbors._counter(np.zeros((100, 3))), neighbors._TreeCounter)
