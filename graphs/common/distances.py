"""Distance matrices: plain Euclidean for generated instances, and the TSPLIB95 functions.

The TSPLIB functions follow G. Reinelt's TSPLIB95 specification (section 2), with the
reference C code's integer conversions: ``nint(x) = (int)(x + 0.5)``, ``GEO`` degrees
truncated toward zero with ``PI = 3.141592`` and ``RRR = 6378.388``, ``ATT``
pseudo-Euclidean rounding up when ``nint`` falls below the true value.
"""

from __future__ import annotations

import numpy as np

from aerena.jit import njit

FUNCTION_TYPES = ("EUC_2D", "CEIL_2D", "ATT", "GEO", "EUC")


@njit
def euclidean_matrix(coords: np.ndarray) -> np.ndarray:
    """Unrounded Euclidean distances ``[n, n]`` float64 (generated instances)."""
    n = coords.shape[0]
    d = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            dx = coords[i, 0] - coords[j, 0]
            dy = coords[i, 1] - coords[j, 1]
            v = np.sqrt(dx * dx + dy * dy)
            d[i, j] = v
            d[j, i] = v
    return d


@njit
def _nint(x: float) -> float:
    return float(int(x + 0.5))


@njit
def euc_2d_matrix(coords: np.ndarray) -> np.ndarray:
    """TSPLIB ``EUC_2D``: ``nint(sqrt(dx^2 + dy^2))``."""
    n = coords.shape[0]
    d = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            dx = coords[i, 0] - coords[j, 0]
            dy = coords[i, 1] - coords[j, 1]
            v = _nint(np.sqrt(dx * dx + dy * dy))
            d[i, j] = v
            d[j, i] = v
    return d


@njit
def ceil_2d_matrix(coords: np.ndarray) -> np.ndarray:
    """TSPLIB ``CEIL_2D``: ``ceil(sqrt(dx^2 + dy^2))``."""
    n = coords.shape[0]
    d = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            dx = coords[i, 0] - coords[j, 0]
            dy = coords[i, 1] - coords[j, 1]
            v = np.ceil(np.sqrt(dx * dx + dy * dy))
            d[i, j] = v
            d[j, i] = v
    return d


@njit
def att_matrix(coords: np.ndarray) -> np.ndarray:
    """TSPLIB ``ATT`` pseudo-Euclidean distance."""
    n = coords.shape[0]
    d = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            dx = coords[i, 0] - coords[j, 0]
            dy = coords[i, 1] - coords[j, 1]
            r = np.sqrt((dx * dx + dy * dy) / 10.0)
            t = _nint(r)
            v = t + 1.0 if t < r else t
            d[i, j] = v
            d[j, i] = v
    return d


@njit
def _geo_radians(x: float) -> float:
    pi = 3.141592
    deg = float(int(x))  # truncation toward zero, as in the reference code
    minutes = x - deg
    return pi * (deg + 5.0 * minutes / 3.0) / 180.0


@njit
def geo_matrix(coords: np.ndarray) -> np.ndarray:
    """TSPLIB ``GEO``: coordinates are DDD.MM latitude/longitude, great-circle km."""
    n = coords.shape[0]
    rrr = 6378.388
    lat = np.empty(n)
    lon = np.empty(n)
    for i in range(n):
        lat[i] = _geo_radians(coords[i, 0])
        lon[i] = _geo_radians(coords[i, 1])
    d = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            q1 = np.cos(lon[i] - lon[j])
            q2 = np.cos(lat[i] - lat[j])
            q3 = np.cos(lat[i] + lat[j])
            v = float(int(rrr * np.arccos(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)) + 1.0))
            d[i, j] = v
            d[j, i] = v
    return d


def distance_matrix(coords: np.ndarray, edge_weight_type: str) -> np.ndarray:
    """The ``[n, n]`` float64 matrix of a coordinate-based `edge_weight_type`."""
    c = np.ascontiguousarray(coords, dtype=np.float64)
    kind = edge_weight_type.upper()
    if kind == "EUC":
        return euclidean_matrix(c)
    if kind == "EUC_2D":
        return euc_2d_matrix(c)
    if kind == "CEIL_2D":
        return ceil_2d_matrix(c)
    if kind == "ATT":
        return att_matrix(c)
    if kind == "GEO":
        return geo_matrix(c)
    raise ValueError(
        f"unsupported EDGE_WEIGHT_TYPE {edge_weight_type!r} (supported: "
        f"{', '.join(FUNCTION_TYPES)}, EXPLICIT)"
    )
