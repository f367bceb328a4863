"""MaxCut objective: total weight of the edges whose ends are on different sides."""

from __future__ import annotations

import numpy as np

from aerena.graphs.common.registry import InvalidSolutionError
from aerena.graphs.maxcut.instance import MaxCutInstance
from aerena.jit import njit


@njit
def cut_value(edges: np.ndarray, weights: np.ndarray, side: np.ndarray) -> float:
    s = 0.0
    for e in range(edges.shape[0]):
        if side[edges[e, 0]] != side[edges[e, 1]]:
            s += weights[e]
    return s


def check_solution(instance: MaxCutInstance, side: np.ndarray) -> None:
    x = np.asarray(side)
    if x.shape != (instance.n,):
        raise InvalidSolutionError(f"a cut is a [{instance.n}] 0/1 side vector, got {x.shape}")
    if not np.all((x == 0) | (x == 1)):
        raise InvalidSolutionError("side entries must be 0 or 1")


def objective(instance: MaxCutInstance, side: np.ndarray) -> float:
    """Cut weight (to maximise)."""
    check_solution(instance, side)
    g = instance.graph
    return float(cut_value(g.edges, g.weights, np.ascontiguousarray(side, dtype=np.int8)))
