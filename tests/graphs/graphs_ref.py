"""Slow, obviously-correct NumPy / itertools references for the graph-problem kernels."""

from __future__ import annotations

import itertools
import math

import numpy as np


def nint(x: float) -> int:
    return int(x + 0.5)


def tsplib_distance(a, b, kind: str) -> float:
    """TSPLIB95 distance between two coordinate pairs, straight from the specification."""
    dx, dy = a[0] - b[0], a[1] - b[1]
    if kind == "EUC_2D":
        return float(nint(math.sqrt(dx * dx + dy * dy)))
    if kind == "CEIL_2D":
        return float(math.ceil(math.sqrt(dx * dx + dy * dy)))
    if kind == "ATT":
        r = math.sqrt((dx * dx + dy * dy) / 10.0)
        t = nint(r)
        return float(t + 1 if t < r else t)
    if kind == "GEO":
        pi, rrr = 3.141592, 6378.388

        def rad(x):
            deg = int(x)
            return pi * (deg + 5.0 * (x - deg) / 3.0) / 180.0

        lat1, lon1, lat2, lon2 = rad(a[0]), rad(a[1]), rad(b[0]), rad(b[1])
        q1 = math.cos(lon1 - lon2)
        q2 = math.cos(lat1 - lat2)
        q3 = math.cos(lat1 + lat2)
        return float(int(rrr * math.acos(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)) + 1.0))
    if kind == "EUC":
        return math.sqrt(dx * dx + dy * dy)
    raise ValueError(kind)


def tour_length(dist: np.ndarray, tour) -> float:
    return float(sum(dist[tour[k], tour[(k + 1) % len(tour)]] for k in range(len(tour))))


def tsp_brute_force(dist: np.ndarray) -> float:
    n = dist.shape[0]
    best = math.inf
    for perm in itertools.permutations(range(1, n)):
        best = min(best, tour_length(dist, (0, *perm)))
    return best


def giant_length(dist: np.ndarray, giant) -> float:
    seq = [0, *list(giant), 0]
    return float(sum(dist[seq[k], seq[k + 1]] for k in range(len(seq) - 1)))


def _partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _partitions(rest):
        for i in range(len(part)):
            yield part[:i] + [[first, *part[i]]] + part[i + 1 :]
        yield [[first], *part]


def cvrp_brute_force(dist: np.ndarray, demand: np.ndarray, cap: float) -> float:
    """Every set partition of the customers, every order inside each route."""
    n = dist.shape[0] - 1
    best_route: dict[tuple[int, ...], float] = {}

    def route_cost(group):
        key = tuple(sorted(group))
        if key not in best_route:
            best_route[key] = min(giant_length(dist, perm) for perm in itertools.permutations(key))
        return best_route[key]

    best = math.inf
    for part in _partitions(list(range(1, n + 1))):
        if any(demand[g].sum() > cap + 1e-9 for g in map(list, part)):
            continue
        best = min(best, sum(route_cost(g) for g in part))
    return best


def mvc_brute_force(n: int, edges: np.ndarray, weights: np.ndarray) -> float:
    best = math.inf
    for mask in itertools.product((0, 1), repeat=n):
        x = np.asarray(mask, dtype=bool)
        if all(x[u] or x[v] for u, v in edges):
            best = min(best, float(weights[x].sum()))
    return best


def cut_value(edges: np.ndarray, weights: np.ndarray, side) -> float:
    return float(sum(w for (u, v), w in zip(edges, weights, strict=True) if side[u] != side[v]))


def maxcut_brute_force(n: int, edges: np.ndarray, weights: np.ndarray) -> float:
    return max(cut_value(edges, weights, s) for s in itertools.product((0, 1), repeat=n))


def covered_weight(sets, item_weights, chosen) -> float:
    covered = set()
    for s, c in enumerate(chosen):
        if c:
            covered.update(int(i) for i in sets[s])
    return float(sum(item_weights[i] for i in covered))


def maxcover_brute_force(sets, item_weights, costs, budget) -> float:
    best = 0.0
    for mask in itertools.product((0, 1), repeat=len(sets)):
        x = np.asarray(mask, dtype=bool)
        if costs[x].sum() <= budget + 1e-9:
            best = max(best, covered_weight(sets, item_weights, x))
    return best


def wta_value(p: np.ndarray, v: np.ndarray, assign) -> float:
    total = 0.0
    for j in range(v.shape[0]):
        surv = v[j]
        for i, a in enumerate(assign):
            if a == j:
                surv *= 1.0 - p[i, j]
        total += surv
    return float(total)


def wta_brute_force(p: np.ndarray, v: np.ndarray) -> float:
    m, n = p.shape
    return min(wta_value(p, v, a) for a in itertools.product(range(n), repeat=m))


# ------------------------------------------------------------------ influence maximisation
_MASK64 = (1 << 64) - 1


def splitmix_coin(key: int, counter: int) -> float:
    """Draw `counter` of the splitmix64 stream `key` in plain Python integers."""
    z = (key + (counter + 1) * 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    z = z ^ (z >> 31)
    return (z >> 11) / 9007199254740992.0


def _reach_count(n: int, arcs, live, seeds) -> int:
    seen = set(int(s) for s in seeds)
    stack = list(seen)
    while stack:
        u = stack.pop()
        for e, (a, b) in enumerate(arcs):
            if live[e] and a == u and b not in seen:
                seen.add(int(b))
                stack.append(int(b))
    return len(seen)


def im_exact_spread(n: int, arcs, prob, seeds) -> float:
    """Expected cascade size by enumerating all 2^m live-edge graphs (m <= ~14)."""
    arcs = [tuple(int(x) for x in a) for a in arcs]
    total = 0.0
    for live in itertools.product((False, True), repeat=len(arcs)):
        w = 1.0
        for e, on in enumerate(live):
            w *= prob[e] if on else 1.0 - prob[e]
        total += w * _reach_count(n, arcs, live, seeds)
    return total


def im_world_spread(n: int, arcs, prob, seeds, sims: int, key: int) -> float:
    """Mean cascade size over the live-edge worlds 0..sims-1 of stream `key` (arc e of
    world r live iff coin(key, r * m + e) < prob[e])."""
    arcs = [tuple(int(x) for x in a) for a in arcs]
    m = len(arcs)
    total = 0
    for r in range(sims):
        live = [splitmix_coin(key, r * m + e) < prob[e] for e in range(m)]
        total += _reach_count(n, arcs, live, seeds)
    return total / sims


def max_coverage_greedy(sets: list[set[int]], n: int, k: int) -> list[int]:
    """Plain greedy max coverage over node-indexed sets, ties to the lowest node."""
    covered: set[int] = set()
    chosen: list[int] = []
    for _ in range(k):
        best, best_gain = -1, -1
        for v in range(n):
            if v in chosen:
                continue
            gain = sum(1 for j, s in enumerate(sets) if j not in covered and v in s)
            if gain > best_gain:
                best, best_gain = v, gain
        chosen.append(best)
        covered |= {j for j, s in enumerate(sets) if best in s}
    return chosen
