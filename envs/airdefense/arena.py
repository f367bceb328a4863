"""Arrays packed into one contiguous buffer per dtype, so a kernel call unboxes a handful.

Numba unboxes every array of a NamedTuple argument on every call: the world's ~70 state and
static arrays cost about 11 us a call, against 0.4 us for six plain arrays (measured with
a kernel that returns at once, strike_small, B = 1). `pack` copies a list of arrays into one
*arena* per dtype (:data:`DTYPES`) and hands back views of them plus an int64 *layout* table,
one row per array: (arena, offset, ndim, d0, d1, d2, d3). Python code keeps using the
views (`s.air_pos` is still an [B, A, 3] float64 array, writable in place); a kernel entry
takes the arenas and the table and rebuilds the same views inside ``@njit`` with
:func:`view1` .. :func:`view4` (a slice and a reshape: C-contiguous arrays of the same
Numba type, so the kernels behind them compile and run unchanged, bit for bit).

Offsets are rounded up to 64 bytes, so no two arrays share a cache line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from aerena.jit import njit

DTYPES = (np.float64, np.float32, np.int32, np.int8, np.bool_, np.uint64)
LAYOUT_WIDTH = 7  # arena, offset, ndim, d0, d1, d2, d3
_ALIGN = 64  # bytes


class Arenas(NamedTuple):
    """One buffer per dtype of :data:`DTYPES` (empty where no array has it) and the table."""

    f8: np.ndarray
    f4: np.ndarray
    i4: np.ndarray
    i1: np.ndarray
    b1: np.ndarray
    u8: np.ndarray
    layout: np.ndarray  # [arrays, LAYOUT_WIDTH] int64


def allocate(specs: Sequence[tuple[tuple[int, ...], type]]) -> tuple[list[np.ndarray], Arenas]:
    """Zeroed arrays of the given (shape, dtype) as views of fresh arenas."""
    kinds = [DTYPES.index(np.dtype(dt).type) for _, dt in specs]
    sizes = [0] * len(DTYPES)
    layout = np.zeros((len(specs), LAYOUT_WIDTH), np.int64)
    for j, ((shape, _), kind) in enumerate(zip(specs, kinds, strict=True)):
        if len(shape) > 4:
            raise ValueError(f"arena views have at most 4 dimensions, got shape {shape}")
        step = _ALIGN // np.dtype(DTYPES[kind]).itemsize
        layout[j, 0] = kind
        layout[j, 1] = sizes[kind]
        layout[j, 2] = len(shape)
        layout[j, 3 : 3 + len(shape)] = shape
        sizes[kind] += -(-math.prod(shape) // step) * step
    buffers = [np.zeros(n, dt) for n, dt in zip(sizes, DTYPES, strict=True)]
    return _views(buffers, layout), Arenas(*buffers, layout)


def pack(arrays: Sequence[np.ndarray]) -> tuple[list[np.ndarray], Arenas]:
    """Copies of `arrays` as views of fresh arenas (same shapes, dtypes, values)."""
    views, arenas = allocate([(a.shape, a.dtype.type) for a in arrays])
    for v, a in zip(views, arrays, strict=True):
        v[...] = a
    return views, arenas


def copy_arenas(src: Arenas) -> tuple[list[np.ndarray], Arenas]:
    """An independent copy of packed arrays: one copy per arena, the views rebuilt."""
    buffers = [a.copy() for a in src[: len(DTYPES)]]
    return _views(buffers, src.layout), Arenas(*buffers, src.layout)


def _views(buffers: Sequence[np.ndarray], layout: np.ndarray) -> list[np.ndarray]:
    views = []
    for row in layout:
        kind, off, ndim = int(row[0]), int(row[1]), int(row[2])
        shape = tuple(int(d) for d in row[3 : 3 + ndim])
        views.append(buffers[kind][off : off + math.prod(shape)].reshape(shape))
    return views


# --------------------------------------------------------------------------------------
# views inside kernels: arena, layout row -> the array
# --------------------------------------------------------------------------------------
@njit
def view1(arena, row):
    return arena[row[1] : row[1] + row[3]]


@njit
def view2(arena, row):
    return arena[row[1] : row[1] + row[3] * row[4]].reshape((row[3], row[4]))


@njit
def view3(arena, row):
    n = row[3] * row[4] * row[5]
    return arena[row[1] : row[1] + n].reshape((row[3], row[4], row[5]))


@njit
def view4(arena, row):
    n = row[3] * row[4] * row[5] * row[6]
    return arena[row[1] : row[1] + n].reshape((row[3], row[4], row[5], row[6]))
