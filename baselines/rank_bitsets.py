"""Max-norm radius counts from sorted coordinates and bitsets, for high-dimensional blocks.

Counting, for every sample i, the samples j with ‖p_j − p_i‖ < r_i in the max norm is counting
the intersection of d sets: S_c(i) = {j : |p_jc − p_ic| < r_i} for each coordinate c. In the
order of coordinate c sorted, S_c(i) is one contiguous range of ranks, found by two binary
searches with the exact test on fl(|p_jc − p_ic|) (monotone in p_jc on each side of p_ic).
With the samples' indices as bits, a range of ranks is the difference of two prefix bitsets,
kept at every 64th rank, with the ≤ 32 ranks between each end and its nearest kept rank
toggled one by one; the
intersection over coordinates is a word-wise AND and the count a population count. A query
costs O(d · (n / 64 + log n)) word operations whatever the radius, against a KD-tree that in
25 to 50 dimensions visits most buckets.

Memory: d · (n / 64 + 1) · ⌈n / 64⌉ words (:func:`bitset_bytes`); :data:`MAX_BYTES` bounds
what :mod:`mibench.baselines.neighbors` lets it take. The times that choose between this and
the bucket tree are at :data:`mibench.baselines.neighbors.BITSET_MIN_DIM`.

Values are those of the exact test: the counts equal the brute-force ones bit for bit
(tests/test_rank_bitsets.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bucket_tree import split_over_cores

#: The most memory the prefix bitsets of one block may take (bytes).
MAX_BYTES = 256 * 2**20


def bitset_bytes(n: int, d: int) -> int:
    """Bytes of the prefix bitsets of n samples in d dimensions."""
    return 8 * d * (n // 64 + 1) * ((n + 63) // 64)


@dataclass(frozen=True)
class RankBitsets:
    """Sorted coordinates and prefix bitsets of a block (see :func:`build`).

    Attributes:
        values: each coordinate sorted, shape ``(d, n)``.
        order: ``order[c, t]`` is the sample at rank t of coordinate c, shape ``(d, n)``.
        rank: ``rank[c, j]`` is sample j's rank in coordinate c, shape ``(d, n)``.
        prefix: ``prefix[c, m]`` has the bits of the samples of ranks below 64·m in coordinate
            c, shape ``(d, n // 64 + 1, ⌈n / 64⌉)``, uint64.
    """

    values: np.ndarray
    order: np.ndarray
    rank: np.ndarray
    prefix: np.ndarray


def build(points: np.ndarray) -> RankBitsets:
    """Sort each coordinate of ``points`` (shape ``(n, d)``, float64, finite) and build the
    prefix bitsets (:func:`bitset_bytes` of memory)."""
    from .rank_bitset_kernels import prefix_bitsets

    n, d = points.shape
    order = np.ascontiguousarray(np.argsort(points, axis=0, kind="stable").T)
    values = np.ascontiguousarray(np.take_along_axis(points.T, order, axis=1))
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n)[None, :].repeat(d, axis=0), axis=1)
    return RankBitsets(values, order, rank, prefix_bitsets(order))


def count_within(sets: RankBitsets, radii: np.ndarray, *, strict: bool) -> np.ndarray:
    """For each sample i, the number of other samples j with ‖p_j − p_i‖ < r_i (``strict``)
    or ‖p_j − p_i‖ <= r_i, in the max norm.

    Args:
        sets: from :func:`build`.
        radii: r_i, shape ``(n,)``, finite and >= 0.
        strict: strict or non-strict comparison.

    Returns:
        Counts, shape ``(n,)``, int64. A duplicate of sample i counts (distance 0); with
        ``strict`` and r_i = 0 the count is 0.
    """
    from .rank_bitset_kernels import count

    n = radii.size
    r = np.ascontiguousarray(radii, dtype=np.float64)
    out = np.empty(n, dtype=np.int64)

    def run(first: int, last: int) -> None:
        count(sets.values, sets.order, sets.rank, sets.prefix, r, strict, first, last, out)

    split_over_cores(n, run)
    return out
