"""A KD-tree with buckets of samples at its leaves, compiled, for max-norm neighbour searches.

The kNN estimators spend their time in two searches in the max (Chebyshev) norm
‖a − b‖ = max_c |a_c − b_c|: the k nearest neighbours of every sample, and the number of
samples within a per-sample radius of every sample. This module does both:

- **Build**: split the samples at the median of their widest coordinate, again and again,
  until each leaf ("bucket") holds at most :func:`leaf_size_for` samples; every node keeps its
  bounding box. The samples are stored in tree order, coordinate by coordinate (shape
  ``(d, n)``), so that the distances from a query to a whole bucket come from loops the
  compiler vectorises.
- **Query**: depth first from the root, nearer child first for the k nearest neighbours; a
  node whose box is beyond the current bound is skipped, and in a radius count a node whose box
  lies inside the radius is counted whole. Inside a bucket the distances grow coordinate by
  coordinate, and every few coordinates the samples already beyond the bound are dropped, so
  that a 50-D bucket costs a fraction of a full scan.

The kernels are in :mod:`mibench.baselines.bucket_kernels` (numba), imported on first use: the
first use on a machine compiles them (2.8 s measured here) into numba's on-disk cache, and a
later process loads them from it (0.26 s with the import of numba).

Values are those of the exact test on the floats a direct computation gives: a distance is the
max of the rounded |a_c − b_c|, and box bounds are built from the same rounded differences,
which are monotone in each coordinate, so a bound never drops a sample it should keep. The
k-th neighbour distances are bit for bit those of :class:`scipy.spatial.cKDTree` with
``p = inf``, the counts those of the brute-force test (tests/test_bucket_tree.py).

Measured on one core of the 2-core machine (Intel Xeon, 2026-12-02), dense Gaussian tasks, KSG-1
with k = 3, the whole estimate (the counts of blocks of 5 or more dimensions on the rank
bitsets of :mod:`mibench.baselines.rank_bitsets`) against the cKDTree joint search with
scikit-learn KD-tree counts it replaced: 2 × 2 at n = 1e5 0.50 s against 1.39 s, 3 × 3 1.04 s
against 3.69 s, 5 × 5 4.0 s against 16.0 s; at n = 1e4, 5 × 5 0.11 s against 0.53 s. Against
the brute-force backend (scipy's cdist, one thread): 5 × 5 at n = 1e4 0.11 s against 1.7 s,
10 × 10 0.26 s against 2.0 s, 25 × 25 0.77 s against 3.1 s, 50 × 50 at n = 5,000 0.47 s against
1.5 s, so ``backend="auto"`` takes this tree on the CPU at every dimension.

Bucket sizes, from sweeps of 8 to 1024 there (k nearest in the joint space, counts in one
block): 32 is the fastest for 2-D searches, 64 for 4-D and 512 from 20-D to 100-D, each within
5 % of the best size measured at its dimension; 128 for 5-D to 10-D, where 256 is up to 5 %
faster at n = 1e4 but slower at n = 1e5 (the 5 × 5 estimate 4.5 s against 4.3 s).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import cast

import numpy as np

#: Most samples in a bucket for a number of dimensions: (most dimensions, leaf size), the
#: first that fits (measurements in the module docstring).
LEAF_SIZES = ((2, 32), (4, 64), (10, 128), (np.inf, 512))
#: Queries are split over threads (one per core) from this many samples on.
THREADS_MIN_N = 20_000


@dataclass(frozen=True)
class BucketTree:
    """A KD-tree over ``points`` whose leaves are buckets of samples (see :func:`build`).

    Attributes:
        order: the tree order, shape ``(n,)``: sample ``order[t]`` is the t-th stored sample.
        coords: the samples in tree order, coordinate by coordinate, shape ``(d, n)``.
        nodes: the kernels' node arrays: first and one-past-last stored sample, children (-1 for
            a leaf), lowest and highest box coordinates (shape ``(nodes, d)``); node 0 is the
            root.
    """

    order: np.ndarray
    coords: np.ndarray
    nodes: tuple[np.ndarray, ...]


def leaf_size_for(dim: int) -> int:
    """The bucket size of :data:`LEAF_SIZES` for ``dim`` dimensions."""
    return next(size for most, size in LEAF_SIZES if dim <= most)


def build(points: np.ndarray, leaf_size: int | None = None) -> BucketTree:
    """A KD-tree with buckets of at most ``leaf_size`` samples, by median splits on the widest
    coordinate.

    Args:
        points: shape ``(n, d)``, float64, finite.
        leaf_size: most samples in a bucket, at least 1; None: :func:`leaf_size_for` d.

    Returns:
        A :class:`BucketTree`.
    """
    from . import bucket_kernels

    size = leaf_size_for(points.shape[1]) if leaf_size is None else leaf_size
    order, *nodes = bucket_kernels.build(np.ascontiguousarray(points, dtype=np.float64), size)
    return BucketTree(order, np.ascontiguousarray(points[order].T), tuple(nodes))


def k_nearest(tree: BucketTree, kmax: int) -> tuple[np.ndarray, np.ndarray]:
    """The kmax nearest other samples of every sample of the tree, in the max norm.

    Args:
        tree: from :func:`build`, over n > kmax samples.
        kmax: number of neighbours, at least 1.

    Returns:
        ``(distances, indices)``, each of shape ``(n, kmax)`` in the samples' original order,
        nearest first; ``indices`` are original row numbers, self excluded (a duplicate of a
        sample is another sample, at distance 0).
    """
    from .bucket_kernels import knn as compiled

    knn = cast(Callable[..., None], compiled)  # for mypy: a Dispatcher, called with *args
    n = tree.order.size
    dist = np.empty((n, kmax))
    idx = np.empty((n, kmax), dtype=np.int64)
    split_over_cores(n, lambda a, b: knn(tree.coords, *tree.nodes, kmax, a, b, dist, idx))
    out_d = np.empty_like(dist)
    out_i = np.empty_like(idx)
    out_d[tree.order] = dist
    out_i[tree.order] = tree.order[idx]
    return out_d, out_i


def count_within(tree: BucketTree, radii: np.ndarray, *, strict: bool) -> np.ndarray:
    """For each sample i, the number of other samples j with ‖p_j − p_i‖ < r_i (``strict``)
    or ‖p_j − p_i‖ <= r_i, in the max norm.

    Args:
        tree: from :func:`build`.
        radii: r_i, shape ``(n,)`` in the samples' original order, finite and >= 0.
        strict: strict or non-strict comparison.

    Returns:
        Counts, shape ``(n,)``, int64, in the original order. A duplicate of sample i counts
        (distance 0); with ``strict`` and r_i = 0 the count is 0.
    """
    from .bucket_kernels import count as compiled

    count = cast(Callable[..., None], compiled)  # for mypy: a Dispatcher, called with *args
    n = tree.order.size
    r = np.ascontiguousarray(radii[tree.order], dtype=np.float64)
    counts = np.empty(n, dtype=np.int64)
    split_over_cores(n, lambda a, b: count(tree.coords, *tree.nodes, r, strict, a, b, counts))
    out = np.empty_like(counts)
    out[tree.order] = counts
    return out


def split_over_cores(n: int, run: Callable[[int, int], None]) -> None:
    """Call ``run(first, last)`` over contiguous parts of the queries 0..n-1 that cover them,
    on one thread per core from :data:`THREADS_MIN_N` queries on (``run`` must release the GIL,
    as the compiled kernels do), else once over all of them."""
    parts = (os.cpu_count() or 1) if n >= THREADS_MIN_N else 1
    bounds = np.linspace(0, n, parts + 1).astype(int).tolist()
    pairs = list(zip(bounds[:-1], bounds[1:], strict=True))
    if len(pairs) == 1:
        run(*pairs[0])
        return
    with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        list(pool.map(lambda ab: run(*ab), pairs))
