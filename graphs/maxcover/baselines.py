"""MaxCover baselines, chosen by name from :data:`BASELINES`.

==============  ==========================================================================
name            method
==============  ==========================================================================
``greedy``      CELF lazy greedy: take the affordable set of largest marginal gain per
                unit cost (gains only shrink, so stale heap entries are re-evaluated only
                when they reach the top); with non-unit costs the best single affordable
                set is also tried (Khuller, Moss and Naor's modified greedy)
``bruteforce``  Gray-code enumeration of all 2^S choices within budget, S <= 24 sets
``cpsat``       OR-Tools CP-SAT (optional dependency)
``exact``       ``bruteforce`` when S <= 20, else ``cpsat``
==============  ==========================================================================

Each takes ``(instance, *, seed=None, **options)`` and returns a bool mask ``[n_sets]``.
With unit costs the greedy is the (1 - 1/e)-approximation.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from aerena.graphs.common import cpsat
from aerena.graphs.common.registry import InstanceTooLargeError, Registry
from aerena.graphs.maxcover.instance import MaxCoverInstance
from aerena.graphs.maxcover.objective import covered_weight
from aerena.jit import njit

BASELINES: Registry = Registry("MaxCover baseline")

BRUTE_MAX_SETS = 24
EXACT_BRUTE_SETS = 20
EPS = 1e-9


@njit
def _gain(set_ptr, set_items, w, covered, s) -> float:
    g = 0.0
    for k in range(set_ptr[s], set_ptr[s + 1]):
        if not covered[set_items[k]]:
            g += w[set_items[k]]
    return g


@njit
def celf(set_ptr, set_items, w, costs, budget) -> np.ndarray:
    S = set_ptr.shape[0] - 1
    covered = np.zeros(w.shape[0], dtype=np.bool_)
    chosen = np.zeros(S, dtype=np.bool_)
    # entries (-gain/cost, set, round in which the gain was computed)
    heap = [(-_gain(set_ptr, set_items, w, covered, s) / costs[s], s, 0) for s in range(S)]
    heapq.heapify(heap)
    spent = 0.0
    rnd = 0
    while len(heap) > 0:
        key, s, when = heapq.heappop(heap)
        if spent + costs[s] > budget + EPS:
            continue  # never affordable again: the budget only shrinks
        if when != rnd:
            g = _gain(set_ptr, set_items, w, covered, s)
            heapq.heappush(heap, (-g / costs[s], s, rnd))
            continue
        if key >= 0.0:
            break  # nothing left adds weight
        chosen[s] = True
        spent += costs[s]
        rnd += 1
        for k in range(set_ptr[s], set_ptr[s + 1]):
            covered[set_items[k]] = True
    return chosen


@njit
def brute_force_cover(set_ptr, set_items, w, costs, budget) -> np.ndarray:
    S = set_ptr.shape[0] - 1
    count = np.zeros(w.shape[0], dtype=np.int64)
    chosen = np.zeros(S, dtype=np.bool_)
    best = chosen.copy()
    best_v = 0.0
    value = 0.0
    spent = 0.0
    for i in range(1, 1 << S):
        s = 0
        while not (i >> s) & 1:
            s += 1
        if chosen[s]:
            chosen[s] = False
            spent -= costs[s]
            for k in range(set_ptr[s], set_ptr[s + 1]):
                it = set_items[k]
                count[it] -= 1
                if count[it] == 0:
                    value -= w[it]
        else:
            chosen[s] = True
            spent += costs[s]
            for k in range(set_ptr[s], set_ptr[s + 1]):
                it = set_items[k]
                if count[it] == 0:
                    value += w[it]
                count[it] += 1
        if spent <= budget + EPS and value > best_v + EPS:
            best_v = value
            best[:] = chosen
    return best


def _args(inst: MaxCoverInstance):
    return inst.set_ptr, inst.set_items, inst.item_weights, inst.set_costs, inst.budget


@BASELINES.register("greedy", aliases=("celf",))
def greedy(instance: MaxCoverInstance, *, seed: Any = None) -> np.ndarray:
    chosen = celf(*_args(instance))
    costs = instance.set_costs
    if np.all(costs == costs[0]):
        return chosen
    ptr, items, w = instance.set_ptr, instance.set_items, instance.item_weights
    value = covered_weight(ptr, items, w, chosen)
    single = np.zeros(instance.n_sets, dtype=np.bool_)
    best_s, best_v = -1, value
    for s in np.flatnonzero(costs <= instance.budget + EPS):
        v = float(w[items[ptr[s] : ptr[s + 1]]].sum())
        if v > best_v + EPS:
            best_s, best_v = int(s), v
    if best_s >= 0:
        single[best_s] = True
        return single
    return chosen


@BASELINES.register("bruteforce")
def bruteforce(instance: MaxCoverInstance, *, seed: Any = None, max_sets: int = BRUTE_MAX_SETS):
    if instance.n_sets > max_sets:
        raise InstanceTooLargeError(
            f"brute force MaxCover is limited to {max_sets} sets (this one has {instance.n_sets})"
        )
    return brute_force_cover(*_args(instance))


@BASELINES.register("cpsat")
def cp_sat(instance: MaxCoverInstance, *, seed: Any = None, time_limit: float = 30.0):
    """max sum w_i y_i  s.t.  y_i <= sum_{s covers i} x_s, sum c_s x_s <= B."""
    cpm = cpsat.cp_model()
    model = cpm.CpModel()
    x = [model.NewBoolVar(f"x{s}") for s in range(instance.n_sets)]
    y = [model.NewBoolVar(f"y{i}") for i in range(instance.n_items)]
    covers: list[list[int]] = [[] for _ in range(instance.n_items)]
    for s, items in enumerate(instance.sets()):
        for i in items:
            covers[int(i)].append(s)
    for i in range(instance.n_items):
        model.Add(y[i] <= sum(x[s] for s in covers[i]))
    c, sc = cpsat.integer_weights(np.append(instance.set_costs, instance.budget))
    model.Add(sum(int(c[s]) * x[s] for s in range(instance.n_sets)) <= int(np.floor(c[-1])))
    w, _ = cpsat.integer_weights(instance.item_weights)
    model.Maximize(sum(int(w[i]) * y[i] for i in range(instance.n_items)))
    solver = cpsat.solve(model, time_limit=time_limit, seed=int(seed or 0))
    return np.asarray([solver.Value(v) for v in x], dtype=np.bool_)


@BASELINES.register("exact")
def exact(instance: MaxCoverInstance, *, seed: Any = None, time_limit: float = 30.0):
    if instance.n_sets <= EXACT_BRUTE_SETS:
        return bruteforce(instance)
    if not cpsat.have_ortools():
        raise InstanceTooLargeError(
            f"exact MaxCover above {EXACT_BRUTE_SETS} sets needs OR-Tools: pip install ortools"
        )
    return cp_sat(instance, seed=seed, time_limit=time_limit)


def solve(instance: MaxCoverInstance, name: str = "greedy", **options: Any) -> np.ndarray:
    return BASELINES.get(name)(instance, **options)
