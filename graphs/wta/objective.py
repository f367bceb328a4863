"""WTA objective: expected surviving target value ``sum_j v_j prod_i (1 - p_ij)^{x_ij}``.

A solution is an int64 vector ``assign[m]``: the target of each weapon.
"""

from __future__ import annotations

import numpy as np

from aerena.graphs.common.registry import InvalidSolutionError
from aerena.graphs.wta.instance import WTAInstance
from aerena.jit import njit


@njit
def target_survival(kill_prob: np.ndarray, values: np.ndarray, assign: np.ndarray) -> np.ndarray:
    """Expected surviving value of each target, ``[n]``."""
    s = values.copy()
    for i in range(assign.shape[0]):
        j = assign[i]
        s[j] *= 1.0 - kill_prob[i, j]
    return s


@njit
def surviving_value(kill_prob: np.ndarray, values: np.ndarray, assign: np.ndarray) -> float:
    return target_survival(kill_prob, values, assign).sum()


def check_solution(instance: WTAInstance, assign: np.ndarray) -> None:
    a = np.asarray(assign)
    if a.shape != (instance.m,) or not np.issubdtype(a.dtype, np.integer):
        raise InvalidSolutionError(
            f"an assignment is an integer vector [{instance.m}] (one target per weapon), "
            f"got {a.dtype} {a.shape}"
        )
    if a.size and (a.min() < 0 or a.max() >= instance.n):
        raise InvalidSolutionError(f"targets must be in [0, {instance.n})")


def objective(instance: WTAInstance, assign: np.ndarray) -> float:
    """Expected surviving value (to minimise)."""
    check_solution(instance, assign)
    a = np.ascontiguousarray(assign, dtype=np.int64)
    return float(surviving_value(instance.kill_prob, instance.values, a))
