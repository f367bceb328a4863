"""MaxCover objective: weight of the items covered by the chosen sets, within budget."""

from __future__ import annotations

import numpy as np

from aerena.graphs.common.registry import InvalidSolutionError
from aerena.graphs.maxcover.instance import MaxCoverInstance
from aerena.jit import njit


@njit
def covered_weight(set_ptr, set_items, item_weights, chosen) -> float:
    covered = np.zeros(item_weights.shape[0], dtype=np.bool_)
    total = 0.0
    for s in range(set_ptr.shape[0] - 1):
        if chosen[s]:
            for k in range(set_ptr[s], set_ptr[s + 1]):
                i = set_items[k]
                if not covered[i]:
                    covered[i] = True
                    total += item_weights[i]
    return total


def _mask(instance: MaxCoverInstance, chosen: np.ndarray) -> np.ndarray:
    x = np.asarray(chosen)
    if x.shape != (instance.n_sets,):
        raise InvalidSolutionError(f"a choice is a [{instance.n_sets}] 0/1 mask, got {x.shape}")
    if not np.all((x == 0) | (x == 1)):
        raise InvalidSolutionError("choice entries must be 0 or 1")
    return np.ascontiguousarray(x, dtype=np.bool_)


def check_solution(instance: MaxCoverInstance, chosen: np.ndarray) -> None:
    x = _mask(instance, chosen)
    cost = float(instance.set_costs[x].sum())
    if cost > instance.budget + 1e-9:
        raise InvalidSolutionError(f"chosen sets cost {cost:g} > budget {instance.budget:g}")


def objective(instance: MaxCoverInstance, chosen: np.ndarray) -> float:
    """Covered item weight (to maximise); checks the budget first."""
    check_solution(instance, chosen)
    return float(
        covered_weight(
            instance.set_ptr, instance.set_items, instance.item_weights, _mask(instance, chosen)
        )
    )
