"""TSP objective (closed tour length) and validity check."""

from __future__ import annotations

import numpy as np

from aerena.graphs.common.registry import InvalidSolutionError
from aerena.graphs.tsp.instance import TSPInstance
from aerena.jit import njit


@njit
def tour_length(dist: np.ndarray, tour: np.ndarray) -> float:
    """Length of the closed tour ``tour[0] -> ... -> tour[-1] -> tour[0]``."""
    n = tour.shape[0]
    total = 0.0
    for k in range(n):
        total += dist[tour[k], tour[(k + 1) % n]]
    return total


def check_solution(instance: TSPInstance, tour: np.ndarray) -> None:
    """Raise :class:`InvalidSolutionError` unless `tour` visits every node exactly once."""
    t = np.asarray(tour)
    n = instance.n
    if t.ndim != 1 or t.shape[0] != n:
        raise InvalidSolutionError(f"a tour of {n} nodes needs {n} entries, got shape {t.shape}")
    if not np.issubdtype(t.dtype, np.integer):
        raise InvalidSolutionError(f"tour entries must be integers, got {t.dtype}")
    if t.min() < 0 or t.max() >= n:
        raise InvalidSolutionError(f"tour entries must be in [0, {n})")
    counts = np.bincount(t, minlength=n)
    if np.any(counts != 1):
        raise InvalidSolutionError(
            f"node {int(np.flatnonzero(counts != 1)[0])} is visited {int(counts[counts != 1][0])}"
            " times"
        )


def objective(instance: TSPInstance, tour: np.ndarray) -> float:
    """Tour length (to minimise); checks the tour first."""
    check_solution(instance, tour)
    return float(tour_length(instance.dist, np.ascontiguousarray(tour, dtype=np.int64)))
