"""The compiled kernels of :mod:`mibench.baselines.bucket_tree` (numba).

Imported only when a bucket tree is first built: importing numba takes a few tenths of a
second. Compiled once per machine and kept in numba's on-disk cache. Exact IEEE arithmetic (no
``fastmath``): a distance is the max of the rounded |a_c − b_c|.
"""

import numba
import numpy as np

jit = numba.njit(cache=True, nogil=True)


#: Coordinates read before the first pruning of a bucket's samples, and between two prunings.
#: In the 50 × 50 dense Gaussian task (n = 5,000) about 20 % of the samples are still within
#: the KSG radius after 16 coordinates and 6 % after 32, so most coordinates are read for few
#: samples. 16 measured fastest of 4, 6, 8, 12, 16 and 24 there and at 25 × 25 (one core; with
#: a scan that pruned after every stride, before the dense phase of :func:`within`).
STRIDE = 16


@jit
def within(coords, s, e, q, bound, strict, buf, alive):
    """The stored samples s..e-1 within ``bound`` of q (max norm, ``< bound`` when strict).

    Sets ``alive[:m]`` to their offsets from s and ``buf[alive[t]]`` to their distances, and
    returns m. Distances are built coordinate by coordinate, :data:`STRIDE` coordinates at a
    time, in loops the compiler vectorises, over every sample while more than a quarter of
    them are still within the bound; then the samples already beyond it are dropped (a max
    only grows) and the rest go on one by one, dropped again every stride. So a bucket costs
    little more than its first coordinates when the bound is tight, and no bookkeeping when it
    is loose.
    """
    d = coords.shape[0]
    m = e - s
    col = coords[0, s:e]
    q0 = q[0]
    for j in range(m):
        buf[j] = abs(col[j] - q0)
    c = 1
    while True:  # dense: every sample
        stop = min(c + STRIDE - 1 if c == 1 else c + STRIDE, d)
        for cc in range(c, stop):
            col = coords[cc, s:e]
            qc = q[cc]
            for j in range(m):
                v = abs(col[j] - qc)
                buf[j] = v if v > buf[j] else buf[j]
        c = stop
        if c == d:
            break
        inside = 0
        for j in range(m):
            inside += buf[j] < bound if strict else buf[j] <= bound
        if 4 * inside <= m:
            break
    kept = 0
    for j in range(m):  # branch-free compaction of the offsets still within the bound
        alive[kept] = j
        kept += buf[j] < bound if strict else buf[j] <= bound
    while c < d and kept > 0:  # sparse: the samples still within, dropped every stride
        stop = min(c + STRIDE, d)
        for cc in range(c, stop):
            col = coords[cc, s:e]
            qc = q[cc]
            for t in range(kept):
                j = alive[t]
                v = abs(col[j] - qc)
                buf[j] = v if v > buf[j] else buf[j]
        c = stop
        m = kept
        kept = 0
        for t in range(m):
            j = alive[t]
            alive[kept] = j
            kept += buf[j] < bound if strict else buf[j] <= bound
    return kept


@jit
def node_bounds(low, high, b, q):
    """The lowest and the highest max-norm distance from q to a point of node b's box."""
    near = 0.0
    far = 0.0
    for c in range(low.shape[1]):
        a = low[b, c] - q[c]
        z = q[c] - high[b, c]
        g = a if a > z else z
        near = g if g > near else near
        a = high[b, c] - q[c]
        z = q[c] - low[b, c]
        g = a if a > z else z
        far = g if g > far else far
    return near, far


@jit
def nth_element(vals, idx, lo, hi, kth):
    """Reorder ``vals[lo:hi]`` (and ``idx`` alongside) so that position kth holds the value a
    sort would put there, nothing larger before it and nothing smaller after it (Hoare's
    selection, median-of-three pivot; duplicates are split evenly)."""
    while hi - lo > 1:
        a = vals[lo]
        b = vals[(lo + hi) // 2]
        c = vals[hi - 1]
        pivot = max(min(a, b), min(max(a, b), c))
        i = lo
        j = hi - 1
        while i <= j:
            while vals[i] < pivot:
                i += 1
            while vals[j] > pivot:
                j -= 1
            if i <= j:
                vals[i], vals[j] = vals[j], vals[i]
                idx[i], idx[j] = idx[j], idx[i]
                i += 1
                j -= 1
        if kth <= j:
            hi = j + 1
        elif kth >= i:
            lo = i
        else:
            return


@jit
def build(points, leaf_size):
    """A KD-tree of ``points`` (n, d): median splits on the widest coordinate down to leaves
    ("buckets") of at most ``leaf_size`` samples.

    Returns ``(order, start, stop, left, right, low, high)``: the tree order of the samples;
    node b holds stored samples ``start[b]:stop[b]``, has children ``left[b]`` and
    ``right[b]`` (-1 for a leaf), and the box ``low[b]``, ``high[b]`` (shape ``(nodes, d)``).
    Node 0 is the root; a child's number is larger than its parent's.
    """
    n, d = points.shape
    order = np.arange(n)
    vals = np.empty(n)
    cap = 4 * (n // max(1, leaf_size // 2) + 1)
    start = np.empty(cap, np.int64)
    stop = np.empty(cap, np.int64)
    left = np.full(cap, -1, np.int64)
    right = np.full(cap, -1, np.int64)
    start[0] = 0
    stop[0] = n
    nodes = 1
    pending = [0]
    while len(pending) > 0:
        b = pending.pop()
        lo = start[b]
        hi = stop[b]
        if hi - lo <= leaf_size:
            continue
        widest = 0
        spread = -1.0
        for c in range(d):
            mn = np.inf
            mx = -np.inf
            for t in range(lo, hi):
                v = points[order[t], c]
                mn = v if v < mn else mn
                mx = v if v > mx else mx
            if mx - mn > spread:
                spread = mx - mn
                widest = c
        for t in range(lo, hi):
            vals[t] = points[order[t], widest]
        half = lo + (hi - lo) // 2
        nth_element(vals, order, lo, hi, half)
        for child, (a, z) in enumerate(((lo, half), (half, hi))):
            start[nodes] = a
            stop[nodes] = z
            if child == 0:
                left[b] = nodes
            else:
                right[b] = nodes
            pending.append(nodes)
            nodes += 1
    low = np.empty((nodes, d))
    high = np.empty((nodes, d))
    for b in range(nodes - 1, -1, -1):  # children before parents
        if left[b] < 0:
            for c in range(d):
                mn = np.inf
                mx = -np.inf
                for t in range(start[b], stop[b]):
                    v = points[order[t], c]
                    mn = v if v < mn else mn
                    mx = v if v > mx else mx
                low[b, c] = mn
                high[b, c] = mx
        else:
            for c in range(d):
                low[b, c] = min(low[left[b], c], low[right[b], c])
                high[b, c] = max(high[left[b], c], high[right[b], c])
    return (
        order,
        start[:nodes].copy(),
        stop[:nodes].copy(),
        left[:nodes].copy(),
        right[:nodes].copy(),
        low,
        high,
    )


@jit
def knn(coords, start, stop, left, right, low, high, kmax, first, last, dist, idx):
    """The kmax nearest other samples of stored samples first..last-1.

    Fills their rows of ``dist`` and ``idx`` (shape ``(n, kmax)``, tree order, nearest first).
    Depth first, the nearer child first; a node whose box is no nearer than the kmax-th
    distance found so far is not entered.
    """
    d, n = coords.shape
    buf = np.empty(n)
    alive = np.empty(n, np.int64)
    q = np.empty(d)
    pending = np.empty(256, np.int64)  # the nodes left to visit and their distances
    pending_near = np.empty(256)
    for i in range(first, last):
        for c in range(d):
            q[c] = coords[c, i]
        for t in range(kmax):
            dist[i, t] = np.inf
            idx[i, t] = -1
        bound = np.inf
        pending[0] = 0
        pending_near[0] = 0.0
        top = 1
        while top > 0:
            top -= 1
            b = pending[top]
            if pending_near[top] >= bound:
                continue
            if left[b] >= 0:
                near_l, _ = node_bounds(low, high, left[b], q)
                near_r, _ = node_bounds(low, high, right[b], q)
                if near_l <= near_r:  # the nearer child is taken next
                    pending[top], pending_near[top] = right[b], near_r
                    pending[top + 1], pending_near[top + 1] = left[b], near_l
                else:
                    pending[top], pending_near[top] = left[b], near_l
                    pending[top + 1], pending_near[top + 1] = right[b], near_r
                top += 2
                continue
            s = start[b]
            for t in range(within(coords, s, stop[b], q, bound, True, buf, alive)):
                j = alive[t]
                v = buf[j]
                if v < bound and s + j != i:
                    p = kmax - 1
                    while p > 0 and dist[i, p - 1] > v:
                        dist[i, p] = dist[i, p - 1]
                        idx[i, p] = idx[i, p - 1]
                        p -= 1
                    dist[i, p] = v
                    idx[i, p] = s + j
                    bound = dist[i, kmax - 1]


@jit
def count(coords, start, stop, left, right, low, high, radii, strict, first, last, out):
    """Number of other samples within ``radii[i]`` of each stored sample i in first..last-1.

    Fills ``out[i]`` (tree order). Depth first; a node whose box is beyond the radius is not
    entered, and one whose box lies inside it is counted whole.
    """
    d, n = coords.shape
    buf = np.empty(n)
    alive = np.empty(n, np.int64)
    q = np.empty(d)
    pending = np.empty(256, np.int64)  # the nodes left to visit
    for i in range(first, last):
        r = radii[i]
        for c in range(d):
            q[c] = coords[c, i]
        found = 0
        pending[0] = 0
        top = 1
        while top > 0:
            top -= 1
            b = pending[top]
            near, far = node_bounds(low, high, b, q)
            if near > r or (strict and near == r):
                continue
            if far < r or (not strict and far == r):
                found += stop[b] - start[b]  # the whole box is inside
            elif left[b] >= 0:
                pending[top] = left[b]
                pending[top + 1] = right[b]
                top += 2
            else:
                found += within(coords, start[b], stop[b], q, r, strict, buf, alive)
        # self (distance 0) was counted unless strict with r = 0
        out[i] = found - (1 if r > 0 or not strict else 0)
