"""CVRP objective (total route length) and validity check.

A solution is a "giant tour": int64 node indices where 0 (the depot) separates routes,
e.g. ``[0, 3, 1, 0, 2, 4, 0]``. Leading and trailing depots are implied when missing.
"""

from __future__ import annotations

import numpy as np

from aerena.graphs.common.registry import InvalidSolutionError
from aerena.graphs.cvrp.instance import CVRPInstance
from aerena.jit import njit


@njit
def giant_tour_length(dist: np.ndarray, giant: np.ndarray) -> float:
    """Length of depot -> giant[0] -> ... -> giant[-1] -> depot."""
    total = 0.0
    prev = 0
    for k in range(giant.shape[0]):
        total += dist[prev, giant[k]]
        prev = giant[k]
    total += dist[prev, 0]
    return total


def routes_of(giant: np.ndarray) -> list[np.ndarray]:
    """The non-empty routes (customer sequences) of a giant tour."""
    g = np.asarray(giant, dtype=np.int64)
    cuts = np.flatnonzero(g == 0)
    parts = np.split(g, cuts)
    return [p[p != 0] for p in parts if np.any(p != 0)]


def giant_of(routes: list[np.ndarray]) -> np.ndarray:
    """The giant tour ``[0, r1..., 0, r2..., 0]`` of a list of routes (empty ones dropped)."""
    out = [0]
    for r in routes:
        r = np.asarray(r, dtype=np.int64)
        if r.size:
            out.extend(int(x) for x in r)
            out.append(0)
    return np.asarray(out, dtype=np.int64)


def check_solution(instance: CVRPInstance, giant: np.ndarray) -> None:
    """Raise :class:`InvalidSolutionError` unless every customer is served exactly once
    and no route carries more than the capacity."""
    g = np.asarray(giant)
    n = instance.n
    if g.ndim != 1 or not np.issubdtype(g.dtype, np.integer):
        raise InvalidSolutionError("a CVRP solution is a 1-D integer giant tour")
    if g.size and (g.min() < 0 or g.max() > n):
        raise InvalidSolutionError(f"giant tour entries must be in [0, {n}]")
    counts = np.bincount(g[g != 0], minlength=n + 1)[1:]
    if np.any(counts != 1):
        c = int(np.flatnonzero(counts != 1)[0])
        raise InvalidSolutionError(f"customer {c + 1} is served {int(counts[c])} times")
    for k, r in enumerate(routes_of(g)):
        load = float(instance.demand[r].sum())
        if load > instance.capacity + 1e-9:
            raise InvalidSolutionError(
                f"route {k + 1} carries {load:g} > capacity {instance.capacity:g}"
            )


def objective(instance: CVRPInstance, giant: np.ndarray) -> float:
    """Total length (to minimise); checks the solution first."""
    check_solution(instance, giant)
    return float(giant_tour_length(instance.dist, np.ascontiguousarray(giant, dtype=np.int64)))
