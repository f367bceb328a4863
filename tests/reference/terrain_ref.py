"""Reference terrain queries: plain NumPy, one formula per line, no speed tricks.

Mirrors `aerena.envs.airdefense.terrain`: heights[i, j] sits at (x = j * cell, y = i * cell),
bilinear in between, coordinates clamped to the grid; line of sight samples the segment at
t = k / n, k = 1 .. n - 1, n = ceil(d / (cell / 2)), from the lexicographically smaller end.
"""

from __future__ import annotations

import math

import numpy as np


def height_ref(heights: np.ndarray, cell: float, xs, ys) -> np.ndarray:
    """Bilinear height at each (xs[k], ys[k]), clamped to the grid."""
    ny, nx = heights.shape
    fx = np.clip(np.asarray(xs, dtype=np.float64) / cell, 0.0, nx - 1)
    fy = np.clip(np.asarray(ys, dtype=np.float64) / cell, 0.0, ny - 1)
    j0 = np.minimum(np.floor(fx).astype(np.int64), nx - 2)
    i0 = np.minimum(np.floor(fy).astype(np.int64), ny - 2)
    tx = fx - j0
    ty = fy - i0
    h00 = heights[i0, j0]
    h01 = heights[i0, j0 + 1]
    h10 = heights[i0 + 1, j0]
    h11 = heights[i0 + 1, j0 + 1]
    h0 = h00 * (1.0 - tx) + h01 * tx
    h1 = h10 * (1.0 - tx) + h11 * tx
    return h0 * (1.0 - ty) + h1 * ty


def los_samples_ref(cell: float, a, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (x, y, z) sample points that line of sight tests between 3-D points a and b."""
    a = tuple(float(v) for v in a)
    b = tuple(float(v) for v in b)
    if b < a:  # tuple order is lexicographic: x, then y, then z
        a, b = b, a
    dx, dy, dz = b[0] - a[0], b[1] - a[1], b[2] - a[2]
    d = math.sqrt(dx * dx + dy * dy)
    if not d > 0.5 * cell:
        empty = np.zeros(0)
        return empty, empty, empty
    n = math.ceil(d / (0.5 * cell))
    t = np.arange(1, n, dtype=np.float64) / n
    return a[0] + t * dx, a[1] + t * dy, a[2] + t * dz


def line_of_sight_ref(heights: np.ndarray, cell: float, a, b) -> bool:
    """True when the terrain is nowhere above the segment at the sample points."""
    xs, ys, zs = los_samples_ref(cell, a, b)
    return not bool(np.any(height_ref(heights, cell, xs, ys) > zs))


def visibility_map_ref(
    heights: np.ndarray, cell: float, observer, target_agl: float, max_range: float
) -> np.ndarray:
    """Per grid point: in range and a point target_agl above it is in line of sight."""
    ny, nx = heights.shape
    out = np.zeros((ny, nx), dtype=bool)
    for i in range(ny):
        for j in range(nx):
            x, y = j * cell, i * cell
            dx, dy = x - observer[0], y - observer[1]
            if dx * dx + dy * dy <= max_range * max_range:
                target = (x, y, heights[i, j] + target_agl)
                out[i, j] = line_of_sight_ref(heights, cell, observer, target)
    return out
