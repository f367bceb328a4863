"""Independent cascade kernels: Monte Carlo spread on live-edge worlds, greedy / CELF on
them, reverse-reachable (RR) sets and greedy max coverage on them, degree discount.

Randomness is counter based and explicit: arc `e` is live in world `r` of stream `key`
when ``coin(key, r * m + e) < prob[e]`` (the ``r * m + e``-th draw of the splitmix64
stream `key`, the generator of the air-defence kernels). A world is therefore a fixed
function of (key, r): every spread evaluation with the same key and world count reads the
same worlds (common random numbers), so the Monte Carlo estimate is an exact average of
per-world coverage functions -- monotone and submodular -- and CELF's lazy evaluation
returns exactly the plain greedy's seeds. Reverse-reachable set j of a stream draws its
root from counter ``j * (m + 1) + m`` and its arcs from ``j * (m + 1) + e``.

Marginal gains are integer totals over worlds (no float ties); ties go to the lowest node.
"""

from __future__ import annotations

import heapq

import numpy as np

from aerena.jit import njit
from aerena.rng import coin


@njit
def reach(out_ptr, heads, prob, key, base, sources, blocked, seen, stamp, queue, st, commit):
    """Nodes newly reached from `sources` in world `base // m`: a BFS along live arcs
    (counter ``base + e``) that never enters a node with ``blocked`` set or ``seen ==
    stamp``; marks what it reaches in `blocked` (commit) or with `stamp` in `seen`.
    Returns the count (sources already blocked count 0)."""
    tail = 0
    for i in range(sources.shape[0]):
        v = sources[i]
        if blocked[v] or seen[v] == stamp:
            continue
        if commit:
            blocked[v] = True
        else:
            seen[v] = stamp
        queue[tail] = v
        tail += 1
    head = 0
    while head < tail:
        u = queue[head]
        head += 1
        for e in range(out_ptr[u], out_ptr[u + 1]):
            w = heads[e]
            if blocked[w] or seen[w] == stamp:
                continue
            if coin(st, key, base + e) < prob[e]:
                if commit:
                    blocked[w] = True
                else:
                    seen[w] = stamp
                queue[tail] = w
                tail += 1
    return tail


@njit
def mc_total(out_ptr, heads, prob, seeds, sims, key):
    """Sum over worlds 0..sims-1 of the nodes the cascade from `seeds` activates."""
    n = out_ptr.shape[0] - 1
    m = heads.shape[0]
    blocked = np.zeros(n, dtype=np.bool_)
    seen = np.full(n, -1, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    st = np.empty(1, dtype=np.uint64)
    total = 0
    for r in range(sims):
        total += reach(out_ptr, heads, prob, key, r * m, seeds, blocked, seen, r, queue, st,
                       False)  # fmt: skip
    return total


@njit
def _gain(out_ptr, heads, prob, key, v, active, seen, stamp, queue, st):
    """Marginal gain (total over worlds) of adding v to the seeds whose reach is `active`."""
    m = heads.shape[0]
    src = np.empty(1, dtype=np.int64)
    src[0] = v
    total = 0
    for r in range(active.shape[0]):
        if active[r, v]:
            continue
        stamp[0] += 1
        total += reach(out_ptr, heads, prob, key, r * m, src, active[r], seen, stamp[0], queue,
                       st, False)  # fmt: skip
    return total


@njit
def add_seed(out_ptr, heads, prob, key, v, active, seen, queue, st):
    """Mark in `active` [sims, n] what seed v newly reaches in each world; returns the
    total over worlds (v's marginal gain)."""
    m = heads.shape[0]
    src = np.empty(1, dtype=np.int64)
    src[0] = v
    total = 0
    for r in range(active.shape[0]):
        total += reach(out_ptr, heads, prob, key, r * m, src, active[r], seen, -2, queue, st,
                       True)  # fmt: skip
    return total


@njit
def greedy_mc(out_ptr, heads, prob, k, sims, key, candidates, lazy):
    """Seeds (in order of choice, at most k, among `candidates`) of the greedy on the
    Monte Carlo spread over worlds 0..sims-1: plain (every gain every round) or, with
    `lazy`, CELF (a max-heap of stale gains; a popped gain is recomputed unless it is
    from this round). Also returns each seed's marginal gain (totals over worlds)."""
    n = out_ptr.shape[0] - 1
    active = np.zeros((sims, n), dtype=np.bool_)
    seen = np.full(n, -1, dtype=np.int64)
    stamp = np.zeros(1, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    st = np.empty(1, dtype=np.uint64)
    order = np.full(k, -1, dtype=np.int64)
    gains = np.zeros(k, dtype=np.int64)
    chosen = np.zeros(n, dtype=np.bool_)
    t = 0
    if lazy:
        heap = [(np.int64(0), np.int64(0), np.int64(0))]
        heap.pop()  # an empty list of (-gain, node, round) with its type fixed
        for v in range(n):
            if candidates[v]:
                g = _gain(out_ptr, heads, prob, key, v, active, seen, stamp, queue, st)
                heap.append((-g, np.int64(v), np.int64(0)))
        heapq.heapify(heap)
        while t < k and len(heap) > 0:
            neg, v, when = heapq.heappop(heap)
            if when != t:
                g = _gain(out_ptr, heads, prob, key, v, active, seen, stamp, queue, st)
                heapq.heappush(heap, (-g, v, np.int64(t)))
                continue
            order[t] = v
            gains[t] = -neg
            chosen[v] = True
            add_seed(out_ptr, heads, prob, key, v, active, seen, queue, st)
            t += 1
    else:
        while t < k:
            best = -1
            best_g = -1
            for v in range(n):
                if chosen[v] or not candidates[v]:
                    continue
                g = _gain(out_ptr, heads, prob, key, v, active, seen, stamp, queue, st)
                if g > best_g:
                    best, best_g = v, g
            if best < 0:
                break
            order[t] = best
            gains[t] = best_g
            chosen[best] = True
            add_seed(out_ptr, heads, prob, key, best, active, seen, queue, st)
            t += 1
    return order[:t], gains[:t]


@njit
def rr_sets(in_ptr, in_arcs, tails, prob, theta, key):
    """`theta` reverse-reachable sets as CSR ``(ptr [theta+1], nodes)``: set j is every
    node that reaches a uniform random root along the live arcs of world j."""
    n = in_ptr.shape[0] - 1
    m = tails.shape[0]
    ptr = np.zeros(theta + 1, dtype=np.int64)
    cap = max(16, 4 * theta)
    nodes = np.empty(cap, dtype=np.int64)
    seen = np.full(n, -1, dtype=np.int64)
    st = np.empty(1, dtype=np.uint64)
    size = 0
    for j in range(theta):
        base = j * (m + 1)
        root = min(n - 1, int(coin(st, key, base + m) * n))
        if size == cap:
            grown = np.empty(2 * cap, dtype=np.int64)
            grown[:cap] = nodes
            nodes, cap = grown, 2 * cap
        nodes[size] = root
        size += 1
        seen[root] = j
        head = ptr[j]
        while head < size:
            w = nodes[head]
            head += 1
            for t in range(in_ptr[w], in_ptr[w + 1]):
                e = in_arcs[t]
                u = tails[e]
                if seen[u] == j:
                    continue
                if coin(st, key, base + e) < prob[e]:
                    seen[u] = j
                    if size == cap:
                        grown = np.empty(2 * cap, dtype=np.int64)
                        grown[:cap] = nodes
                        nodes, cap = grown, 2 * cap
                    nodes[size] = u
                    size += 1
        ptr[j + 1] = size
    return ptr, nodes[:size].copy()


@njit
def rr_hits(rr_ptr, rr_nodes, mask):
    """How many RR sets hold a node with `mask` set."""
    hits = 0
    for j in range(rr_ptr.shape[0] - 1):
        for q in range(rr_ptr[j], rr_ptr[j + 1]):
            if mask[rr_nodes[q]]:
                hits += 1
                break
    return hits


@njit
def rr_greedy(rr_ptr, rr_nodes, n, k, candidates, chosen):
    """Greedy max coverage of the RR sets: up to k more seeds among `candidates` (not
    already `chosen`, whose sets count as covered), each covering the most uncovered
    sets. Returns (new seeds in order, their gains in sets); `chosen` is updated."""
    theta = rr_ptr.shape[0] - 1
    inv_ptr = np.zeros(n + 1, dtype=np.int64)
    for q in range(rr_nodes.shape[0]):
        inv_ptr[rr_nodes[q] + 1] += 1
    for v in range(n):
        inv_ptr[v + 1] += inv_ptr[v]
    fill = inv_ptr[:-1].copy()
    inv = np.empty(rr_nodes.shape[0], dtype=np.int64)
    for j in range(theta):
        for q in range(rr_ptr[j], rr_ptr[j + 1]):
            v = rr_nodes[q]
            inv[fill[v]] = j
            fill[v] += 1
    count = np.diff(inv_ptr)
    covered = np.zeros(theta, dtype=np.bool_)
    for v in range(n):
        if chosen[v]:
            for t in range(inv_ptr[v], inv_ptr[v + 1]):
                j = inv[t]
                if not covered[j]:
                    covered[j] = True
                    for q in range(rr_ptr[j], rr_ptr[j + 1]):
                        count[rr_nodes[q]] -= 1
    order = np.full(k, -1, dtype=np.int64)
    gains = np.zeros(k, dtype=np.int64)
    t_out = 0
    while t_out < k:
        best = -1
        best_c = -1
        for v in range(n):
            if candidates[v] and not chosen[v] and count[v] > best_c:
                best, best_c = v, count[v]
        if best < 0:
            break
        chosen[best] = True
        order[t_out] = best
        gains[t_out] = best_c
        t_out += 1
        for t in range(inv_ptr[best], inv_ptr[best + 1]):
            j = inv[t]
            if not covered[j]:
                covered[j] = True
                for q in range(rr_ptr[j], rr_ptr[j + 1]):
                    count[rr_nodes[q]] -= 1
    return order[:t_out], gains[:t_out]


@njit
def degree_discount(out_ptr, heads, in_ptr, in_arcs, prob, k):
    """Chen, Wang and Yang's degree discount (KDD 2009) on a directed graph: pick the
    node of largest ``dd_v = d_v - 2 t_v - (d_v - t_v) t_v p_v`` (d: out-degree, t: seeds
    among its in-neighbours, p: the mean probability of its in-arcs)."""
    n = out_ptr.shape[0] - 1
    d = np.zeros(n)
    pbar = np.zeros(n)
    for v in range(n):
        d[v] = out_ptr[v + 1] - out_ptr[v]
        s = 0.0
        for t in range(in_ptr[v], in_ptr[v + 1]):
            s += prob[in_arcs[t]]
        if in_ptr[v + 1] > in_ptr[v]:
            pbar[v] = s / (in_ptr[v + 1] - in_ptr[v])
    dd = d.copy()
    tv = np.zeros(n)
    chosen = np.zeros(n, dtype=np.bool_)
    order = np.empty(k, dtype=np.int64)
    for s_ in range(k):
        best = -1
        best_dd = -np.inf
        for v in range(n):
            if not chosen[v] and dd[v] > best_dd:
                best, best_dd = v, dd[v]
        chosen[best] = True
        order[s_] = best
        for e in range(out_ptr[best], out_ptr[best + 1]):
            u = heads[e]
            if chosen[u]:
                continue
            tv[u] += 1.0
            dd[u] = d[u] - 2.0 * tv[u] - (d[u] - tv[u]) * tv[u] * pbar[u]
    return order
