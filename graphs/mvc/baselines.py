"""MVC baselines, chosen by name from :data:`BASELINES`.

==============  ==========================================================================
name            method
==============  ==========================================================================
``greedy``      repeatedly take the node covering most uncovered edges per unit weight
                (lazy max-heap), then drop nodes made redundant
``matching``    both ends of a maximal matching (a 2-approximation), then drop redundant
``bruteforce``  Gray-code enumeration of all 2^n node sets, n <= 24
``cpsat``       OR-Tools CP-SAT (optional dependency)
``exact``       ``bruteforce`` when n <= 20, else ``cpsat``
==============  ==========================================================================

Each takes ``(instance, *, seed=None, **options)`` and returns a bool mask ``[n]``.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from aerena.graphs.common import cpsat
from aerena.graphs.common.registry import InstanceTooLargeError, Registry
from aerena.graphs.mvc.instance import MVCInstance
from aerena.jit import njit

BASELINES: Registry = Registry("MVC baseline")

BRUTE_MAX_N = 24
EXACT_BRUTE_N = 20


@njit
def _prune(indptr, nbr, weights, chosen) -> None:
    """Drop chosen nodes whose neighbours are all chosen, heaviest first."""
    order = np.argsort(-weights, kind="mergesort")
    for t in range(order.shape[0]):
        v = order[t]
        if not chosen[v]:
            continue
        needed = False
        for k in range(indptr[v], indptr[v + 1]):
            if not chosen[nbr[k]]:
                needed = True
                break
        if not needed:
            chosen[v] = False


@njit
def greedy_cover(indptr, nbr, weights) -> np.ndarray:
    return greedy_cover_from(indptr, nbr, weights, np.zeros(indptr.shape[0] - 1, np.bool_))


@njit
def cover_in_order(indptr, nbr, order, edge_share) -> np.ndarray:
    """Nodes taken in `order` while each still covers an uncovered edge, until a share
    `edge_share` of the edges is covered (the start a learned score gives the greedy)."""
    n = indptr.shape[0] - 1
    m = indptr[n] // 2
    chosen = np.zeros(n, dtype=np.bool_)
    covered = 0
    for t in range(order.shape[0]):
        if covered >= edge_share * m:
            break
        v = order[t]
        new = 0
        for k in range(indptr[v], indptr[v + 1]):
            if not chosen[nbr[k]]:
                new += 1
        if new > 0:
            chosen[v] = True
            covered += new
    return chosen


@njit
def greedy_cover_from(indptr, nbr, weights, start) -> np.ndarray:
    """The greedy of :func:`greedy_cover` completing the cover `start` (then pruned)."""
    n = indptr.shape[0] - 1
    chosen = start.copy()
    deg = np.zeros(n, dtype=np.int64)
    for v in range(n):
        if chosen[v]:
            continue
        for k in range(indptr[v], indptr[v + 1]):
            if not chosen[nbr[k]]:
                deg[v] += 1
    heap = [(-deg[v] / weights[v], v) for v in range(n)]
    heapq.heapify(heap)
    while len(heap) > 0:
        key, v = heapq.heappop(heap)
        if chosen[v] or deg[v] == 0:
            continue
        cur = -deg[v] / weights[v]
        if key != cur:  # stale entry: its degree dropped since it was pushed
            heapq.heappush(heap, (cur, v))
            continue
        chosen[v] = True
        deg[v] = 0
        for k in range(indptr[v], indptr[v + 1]):
            u = nbr[k]
            if not chosen[u]:
                deg[u] -= 1
    _prune(indptr, nbr, weights, chosen)
    return chosen


@njit
def matching_cover(n, edges) -> np.ndarray:
    chosen = np.zeros(n, dtype=np.bool_)
    for e in range(edges.shape[0]):
        u = edges[e, 0]
        v = edges[e, 1]
        if not chosen[u] and not chosen[v]:
            chosen[u] = True
            chosen[v] = True
    return chosen


@njit
def brute_force_cover(indptr, nbr, weights) -> np.ndarray:
    """Gray-code walk over all subsets keeping the count of uncovered edges."""
    n = indptr.shape[0] - 1
    m = indptr[n] // 2
    chosen = np.zeros(n, dtype=np.bool_)
    best = np.ones(n, dtype=np.bool_)
    best_w = 0.0
    for v in range(n):
        best_w += weights[v]
    uncovered = m
    w = 0.0
    if m == 0:
        return chosen
    for i in range(1, 1 << n):
        v = 0
        while not (i >> v) & 1:
            v += 1
        # flip v: edges to unchosen neighbours change their covered state
        delta = 0
        for k in range(indptr[v], indptr[v + 1]):
            if not chosen[nbr[k]]:
                delta += 1
        if chosen[v]:
            chosen[v] = False
            w -= weights[v]
            uncovered += delta
        else:
            chosen[v] = True
            w += weights[v]
            uncovered -= delta
        if uncovered == 0 and w < best_w - 1e-12:
            best_w = w
            best[:] = chosen
    return best


def _csr(instance: MVCInstance):
    indptr, nbr, _ = instance.graph.csr()
    return indptr, nbr


@BASELINES.register("greedy")
def greedy(instance: MVCInstance, *, seed: Any = None) -> np.ndarray:
    indptr, nbr = _csr(instance)
    return greedy_cover(indptr, nbr, instance.node_weights)


@BASELINES.register("matching")
def matching(instance: MVCInstance, *, seed: Any = None) -> np.ndarray:
    indptr, nbr = _csr(instance)
    chosen = matching_cover(instance.n, instance.graph.edges)
    _prune(indptr, nbr, instance.node_weights, chosen)
    return chosen


@BASELINES.register("bruteforce")
def bruteforce(instance: MVCInstance, *, seed: Any = None, max_n: int = BRUTE_MAX_N):
    if instance.n > max_n:
        raise InstanceTooLargeError(
            f"brute force MVC is limited to n <= {max_n} (this graph has {instance.n})"
        )
    indptr, nbr = _csr(instance)
    return brute_force_cover(indptr, nbr, instance.node_weights)


@BASELINES.register("cpsat")
def cp_sat(instance: MVCInstance, *, seed: Any = None, time_limit: float = 30.0) -> np.ndarray:
    """min sum w_v x_v  s.t.  x_u + x_v >= 1 for every edge (needs `ortools`)."""
    cpm = cpsat.cp_model()
    model = cpm.CpModel()
    x = [model.NewBoolVar(f"x{v}") for v in range(instance.n)]
    for u, v in instance.graph.edges:
        model.AddBoolOr([x[int(u)], x[int(v)]])
    w, _ = cpsat.integer_weights(instance.node_weights)
    model.Minimize(sum(int(w[v]) * x[v] for v in range(instance.n)))
    solver = cpsat.solve(model, time_limit=time_limit, seed=int(seed or 0))
    return np.asarray([solver.Value(xv) for xv in x], dtype=np.bool_)


@BASELINES.register("exact")
def exact(instance: MVCInstance, *, seed: Any = None, time_limit: float = 30.0) -> np.ndarray:
    if instance.n <= EXACT_BRUTE_N:
        return bruteforce(instance)
    if not cpsat.have_ortools():
        raise InstanceTooLargeError(
            f"exact MVC above n = {EXACT_BRUTE_N} needs OR-Tools: pip install ortools"
        )
    return cp_sat(instance, seed=seed, time_limit=time_limit)


def solve(instance: MVCInstance, name: str = "greedy", **options: Any) -> np.ndarray:
    return BASELINES.get(name)(instance, **options)
