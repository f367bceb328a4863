"""MaxCut baselines, chosen by name from :data:`BASELINES`.

===============  =========================================================================
name             method
===============  =========================================================================
``greedy``       nodes by decreasing weighted degree, each on the side that cuts more
                 weight to the nodes already placed
``localsearch``  ``greedy``, then one-flip local search (best improving flip) to a local
                 optimum; ``restarts=k`` adds k seeded random starts
``bruteforce``   Gray-code enumeration of the 2^(n-1) cuts, n <= 24
``cpsat``        OR-Tools CP-SAT with XOR-linearised edges (optional dependency)
``exact``        ``bruteforce`` when n <= 20, else ``cpsat``
===============  =========================================================================

Each takes ``(instance, *, seed=None, **options)`` and returns an int8 side vector ``[n]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.graphs.common import cpsat
from aerena.graphs.common.registry import InstanceTooLargeError, Registry, as_rng
from aerena.graphs.maxcut.instance import MaxCutInstance
from aerena.graphs.maxcut.objective import cut_value
from aerena.jit import njit

BASELINES: Registry = Registry("MaxCut baseline")

BRUTE_MAX_N = 24
EXACT_BRUTE_N = 20
EPS = 1e-12


@njit
def greedy_cut(indptr, nbr, w) -> np.ndarray:
    n = indptr.shape[0] - 1
    wdeg = np.zeros(n)
    for v in range(n):
        for k in range(indptr[v], indptr[v + 1]):
            wdeg[v] += abs(w[k])
    return place_in_order(indptr, nbr, w, np.argsort(-wdeg, kind="mergesort"))


@njit
def place_in_order(indptr, nbr, w, order) -> np.ndarray:
    """Nodes in `order`, each on the side that cuts more weight to those already placed."""
    n = indptr.shape[0] - 1
    side = np.zeros(n, dtype=np.int8)
    placed = np.zeros(n, dtype=np.bool_)
    for t in range(n):
        v = order[t]
        to0 = 0.0  # weight cut if v goes to side 0 (neighbours on side 1)
        to1 = 0.0
        for k in range(indptr[v], indptr[v + 1]):
            u = nbr[k]
            if placed[u]:
                if side[u] == 1:
                    to0 += w[k]
                else:
                    to1 += w[k]
        side[v] = 1 if to1 > to0 else 0
        placed[v] = True
    return side


@njit
def one_flip(indptr, nbr, w, side) -> None:
    """Flip the node of largest positive gain until none improves (in place)."""
    n = indptr.shape[0] - 1
    gain = np.zeros(n)  # cut change if v flips: same-side weight - other-side weight
    for v in range(n):
        for k in range(indptr[v], indptr[v + 1]):
            if side[nbr[k]] == side[v]:
                gain[v] += w[k]
            else:
                gain[v] -= w[k]
    while True:
        best = -1
        bg = EPS
        for v in range(n):
            if gain[v] > bg:
                bg = gain[v]
                best = v
        if best < 0:
            break
        v = best
        side[v] = 1 - side[v]
        gain[v] = -gain[v]
        for k in range(indptr[v], indptr[v + 1]):
            u = nbr[k]
            # edge (u, v) went from same side to different or back
            if side[u] == side[v]:
                gain[u] += 2.0 * w[k]
            else:
                gain[u] -= 2.0 * w[k]


@njit
def brute_force_cut(indptr, nbr, w) -> np.ndarray:
    """Node n-1 stays on side 0; a Gray-code walk visits the other 2^(n-1) cuts."""
    n = indptr.shape[0] - 1
    side = np.zeros(n, dtype=np.int8)
    best = side.copy()
    cut = 0.0
    best_cut = 0.0
    if n <= 1:
        return best
    for i in range(1, 1 << (n - 1)):
        v = 0
        while not (i >> v) & 1:
            v += 1
        d = 0.0
        for k in range(indptr[v], indptr[v + 1]):
            if side[nbr[k]] == side[v]:
                d += w[k]
            else:
                d -= w[k]
        side[v] = 1 - side[v]
        cut += d
        if cut > best_cut + 1e-9:
            best_cut = cut
            best[:] = side
    return best


def _csr(instance: MaxCutInstance):
    return instance.graph.csr()


@BASELINES.register("greedy")
def greedy(instance: MaxCutInstance, *, seed: Any = None) -> np.ndarray:
    indptr, nbr, w = _csr(instance)
    return greedy_cut(indptr, nbr, w)


@BASELINES.register("localsearch", aliases=("ls", "one_flip"))
def local_search(instance: MaxCutInstance, *, seed: Any = None, restarts: int = 0) -> np.ndarray:
    indptr, nbr, w = _csr(instance)
    g = instance.graph
    side = greedy_cut(indptr, nbr, w)
    one_flip(indptr, nbr, w, side)
    best, best_v = side, cut_value(g.edges, g.weights, side)
    rng = as_rng(seed)
    for _ in range(int(restarts)):
        s = rng.integers(0, 2, size=instance.n).astype(np.int8)
        one_flip(indptr, nbr, w, s)
        v = cut_value(g.edges, g.weights, s)
        if v > best_v + EPS:
            best, best_v = s, v
    return best


@BASELINES.register("bruteforce")
def bruteforce(instance: MaxCutInstance, *, seed: Any = None, max_n: int = BRUTE_MAX_N):
    if instance.n > max_n:
        raise InstanceTooLargeError(
            f"brute force MaxCut is limited to n <= {max_n} (this graph has {instance.n})"
        )
    indptr, nbr, w = _csr(instance)
    return brute_force_cut(indptr, nbr, w)


@BASELINES.register("cpsat")
def cp_sat(instance: MaxCutInstance, *, seed: Any = None, time_limit: float = 30.0):
    """max sum w_e y_e with y_e = x_u XOR x_v (needs `ortools`)."""
    cpm = cpsat.cp_model()
    model = cpm.CpModel()
    n = instance.n
    x = [model.NewBoolVar(f"x{v}") for v in range(n)]
    w, _ = cpsat.integer_weights(instance.graph.weights)
    terms = []
    for e, (u, v) in enumerate(instance.graph.edges):
        y = model.NewBoolVar(f"y{e}")
        xu, xv = x[int(u)], x[int(v)]
        model.Add(y <= xu + xv)
        model.Add(y <= 2 - xu - xv)
        model.Add(y >= xu - xv)
        model.Add(y >= xv - xu)
        terms.append(int(w[e]) * y)
    if n:
        model.Add(x[n - 1] == 0)  # symmetry
    model.Maximize(sum(terms))
    solver = cpsat.solve(model, time_limit=time_limit, seed=int(seed or 0))
    return np.asarray([solver.Value(xv) for xv in x], dtype=np.int8)


@BASELINES.register("exact")
def exact(instance: MaxCutInstance, *, seed: Any = None, time_limit: float = 30.0):
    if instance.n <= EXACT_BRUTE_N:
        return bruteforce(instance)
    if not cpsat.have_ortools():
        raise InstanceTooLargeError(
            f"exact MaxCut above n = {EXACT_BRUTE_N} needs OR-Tools: pip install ortools"
        )
    return cp_sat(instance, seed=seed, time_limit=time_limit)


def solve(instance: MaxCutInstance, name: str = "localsearch", **options: Any) -> np.ndarray:
    return BASELINES.get(name)(instance, **options)
