"""A float64 sum whose order of additions is fixed here, not by the installed NumPy.

The scalars a generator records (an example's input SDR, the threshold ``clip_to_sdr`` finds)
go into each example's hash, so they must be the same bits on any machine. ``np.sum``'s
order of additions is an implementation detail that changed between NumPy releases
(measured: NumPy 2.2.6 and 2.4.6 give sums that differ in the last bit on the same audio).
``ordered_sum`` fixes the order: NumPy's pairwise summation of a contiguous float64 array as
NumPy 2.3-2.4 perform it, so the datasets published with those releases keep their hashes.
"""
from __future__ import annotations

import numba
import numpy as np

# Largest block summed with eight interleaved accumulators (NumPy's PW_BLOCKSIZE).
BLOCK = 128


@numba.njit(cache=True)
def lane_sum(a: np.ndarray, start: int, n: int) -> float:
    """The sum of ``a[start:start+n]`` as NumPy's leaf takes it: fewer than 8 samples in a row; else eight
    accumulators of interleaved samples, then the rest (also A-SPADE's objective, on any n)."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += a[i]
        return total
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]  # rj sums a[start + j + 8k]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    end = start + n - n % 8
    for i in range(start + 8, end, 8):
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(end, start + n):
        total += a[i]
    return total


@numba.njit(cache=True)
def pairwise_sum(a: np.ndarray) -> float:
    """The sum of a contiguous float64 vector ``a`` in NumPy's pairwise order, callable from numba code:
    sum(a[s:s+n]) = sum(a[s:s+h]) + sum(a[s+h:s+n]), h = n//2 rounded down to a multiple of 8,
    down to blocks of at most BLOCK; walked with explicit stacks (numba caches no recursion)."""
    starts = np.empty(128, np.int64)
    lengths = np.empty(128, np.int64)  # -1: add the last two partial sums
    sums = np.empty(64, np.float64)
    starts[0], lengths[0] = 0, a.size
    pending, done = 1, 0
    while pending:
        pending -= 1
        start, n = starts[pending], lengths[pending]
        if n < 0:
            done -= 1
            sums[done - 1] += sums[done]
        elif n <= BLOCK:
            sums[done] = lane_sum(a, start, n)
            done += 1
        else:
            half = n // 2 - (n // 2) % 8
            starts[pending], lengths[pending] = 0, -1
            starts[pending + 1], lengths[pending + 1] = start + half, n - half
            starts[pending + 2], lengths[pending + 2] = start, half
            pending += 3
    return sums[0]


def ordered_sum(x: np.ndarray) -> float:
    """Sum of ``x`` (any shape, taken in C order, as float64) with a fixed pairwise order.

    Split in halves (each a multiple of 8 samples) down to blocks of at most 128, each
    summed by eight accumulators of interleaved samples; the result does not depend on
    the NumPy version, the CPU's SIMD width or the array's memory layout.
    """
    a = np.ascontiguousarray(x, dtype=np.float64).ravel()
    return float(pairwise_sum(a))
