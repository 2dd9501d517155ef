"""The compiled kernels of :mod:`mibench.baselines.rank_bitsets` (numba).

Imported on first use; compiled once per machine into numba's on-disk cache. Exact IEEE
arithmetic (no ``fastmath``).
"""

import numba
import numpy as np

jit = numba.njit(cache=True, nogil=True)


@jit
def prefix_bitsets(order):
    """``prefix[c, m]``: the bits of samples ``order[c, :64·m]``; shape ``(d, n // 64 + 1,
    ⌈n / 64⌉)``, uint64."""
    d, n = order.shape
    words = (n + 63) // 64
    marks = n // 64 + 1
    prefix = np.zeros((d, marks, words), np.uint64)
    one = np.uint64(1)
    for c in range(d):
        for m in range(1, marks):
            prefix[c, m] = prefix[c, m - 1]
            for t in range(64 * (m - 1), 64 * m):
                j = order[c, t]
                prefix[c, m, j >> 6] |= one << np.uint64(j & 63)
    return prefix


@jit
def _inside(v, t, vi, r, strict):
    dist = abs(v[t] - vi)
    return dist < r if strict else dist <= r


@jit
def _popcount(w):
    w = w - ((w >> np.uint64(1)) & np.uint64(0x5555555555555555))
    w = (w & np.uint64(0x3333333333333333)) + ((w >> np.uint64(2)) & np.uint64(0x3333333333333333))
    w = (w + (w >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (w * np.uint64(0x0101010101010101)) >> np.uint64(56)


@jit
def count(values, order, rank, prefix, radii, strict, first, last, out):
    """``out[i]`` = number of other samples within ``radii[i]`` of sample i (max norm), for
    i in first..last-1: the AND over coordinates of each coordinate's range of ranks."""
    d, n = values.shape
    words = prefix.shape[2]
    acc = np.empty(words, np.uint64)
    cut = np.empty(words, np.uint64)
    one = np.uint64(1)
    for i in range(first, last):
        r = radii[i]
        if strict and r == 0:
            out[i] = 0  # nothing is strictly within a radius of 0, not even i itself
            continue
        for c in range(d):
            v = values[c]
            pos = rank[c, i]
            vi = v[pos]
            # lowest rank inside: the test is false, then true, up to pos (i itself is inside)
            a, b = 0, pos
            while a < b:
                mid = (a + b) // 2
                if _inside(v, mid, vi, r, strict):
                    b = mid
                else:
                    a = mid + 1
            lo = a
            # one past the highest rank inside: true from pos, then false
            a, b = pos + 1, n
            while a < b:
                mid = (a + b) // 2
                if _inside(v, mid, vi, r, strict):
                    a = mid + 1
                else:
                    b = mid
            hi = a
            # the prefix bitsets at the marks nearest lo and hi, then the ranks between each
            # mark and its end toggled one by one (at most 32 at each end)
            lo_mark = min((lo + 32) >> 6, prefix.shape[1] - 1)
            hi_mark = min((hi + 32) >> 6, prefix.shape[1] - 1)
            below = prefix[c, lo_mark]
            upto = prefix[c, hi_mark]
            for w in range(words):
                cut[w] = upto[w] ^ below[w]  # ranks 64·lo_mark .. 64·hi_mark − 1
            for t in range(min(lo, 64 * lo_mark), max(lo, 64 * lo_mark)):
                j = order[c, t]
                cut[j >> 6] ^= one << np.uint64(j & 63)
            for t in range(min(hi, 64 * hi_mark), max(hi, 64 * hi_mark)):
                j = order[c, t]
                cut[j >> 6] ^= one << np.uint64(j & 63)
            if c == 0:
                acc[:] = cut
            else:
                for w in range(words):
                    acc[w] &= cut[w]
        found = 0
        for w in range(words):
            found += _popcount(acc[w])
        out[i] = found - 1  # i itself is inside every range
