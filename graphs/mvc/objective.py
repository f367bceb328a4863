"""MVC objective (total weight of the chosen nodes) and validity (every edge covered)."""

from __future__ import annotations

import numpy as np

from aerena.graphs.common.registry import InvalidSolutionError
from aerena.graphs.mvc.instance import MVCInstance
from aerena.jit import njit


@njit
def uncovered_edges(edges: np.ndarray, chosen: np.ndarray) -> int:
    """Number of edges with neither end chosen."""
    k = 0
    for e in range(edges.shape[0]):
        if not chosen[edges[e, 0]] and not chosen[edges[e, 1]]:
            k += 1
    return k


@njit
def cover_weight(weights: np.ndarray, chosen: np.ndarray) -> float:
    s = 0.0
    for v in range(chosen.shape[0]):
        if chosen[v]:
            s += weights[v]
    return s


def _as_mask(instance: MVCInstance, solution: np.ndarray) -> np.ndarray:
    x = np.asarray(solution)
    if x.shape != (instance.n,):
        raise InvalidSolutionError(f"a cover is a [{instance.n}] 0/1 mask, got shape {x.shape}")
    if not np.all((x == 0) | (x == 1)):
        raise InvalidSolutionError("a cover mask holds only 0 and 1")
    return np.ascontiguousarray(x, dtype=np.bool_)


def check_solution(instance: MVCInstance, solution: np.ndarray) -> None:
    x = _as_mask(instance, solution)
    k = uncovered_edges(instance.graph.edges, x)
    if k:
        raise InvalidSolutionError(f"{k} edges are not covered")


def objective(instance: MVCInstance, solution: np.ndarray) -> float:
    """Total node weight of the cover (to minimise); checks the cover first."""
    check_solution(instance, solution)
    return float(cover_weight(instance.node_weights, _as_mask(instance, solution)))
