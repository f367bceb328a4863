"""Numba kernels of the TSP baselines: construction, 2-opt / Or-opt local search with
neighbour lists and don't-look bits, iterated local search, Held-Karp.

Tours are int64 permutations; `pos[tour[k]] == k`. All local search assumes a symmetric
matrix. Randomness comes in as pre-drawn uniforms, so every kernel is deterministic.
"""

from __future__ import annotations

import numpy as np

from aerena.jit import njit

EPS = 1e-9


@njit
def nearest_neighbour(dist: np.ndarray, start: int) -> np.ndarray:
    n = dist.shape[0]
    tour = np.empty(n, dtype=np.int64)
    seen = np.zeros(n, dtype=np.bool_)
    cur = start
    tour[0] = start
    seen[start] = True
    for k in range(1, n):
        best = -1
        bd = np.inf
        for j in range(n):
            if not seen[j] and dist[cur, j] < bd:
                bd = dist[cur, j]
                best = j
        tour[k] = best
        seen[best] = True
        cur = best
    return tour


@njit
def farthest_insertion(dist: np.ndarray, start: int) -> np.ndarray:
    """Farthest insertion: add the node farthest from the tour at its cheapest position."""
    n = dist.shape[0]
    tour = np.empty(n, dtype=np.int64)
    in_tour = np.zeros(n, dtype=np.bool_)
    mind = dist[start].copy()
    tour[0] = start
    in_tour[start] = True
    size = 1
    for _ in range(1, n):
        best = -1
        bd = -1.0
        for j in range(n):
            if not in_tour[j] and mind[j] > bd:
                bd = mind[j]
                best = j
        at = 1
        if size > 1:
            bc = np.inf
            for i in range(size):
                a = tour[i]
                b = tour[(i + 1) % size]
                c = dist[a, best] + dist[best, b] - dist[a, b]
                if c < bc:
                    bc = c
                    at = i + 1
        for i in range(size, at, -1):
            tour[i] = tour[i - 1]
        tour[at] = best
        size += 1
        in_tour[best] = True
        for j in range(n):
            if not in_tour[j] and dist[best, j] < mind[j]:
                mind[j] = dist[best, j]
    return tour


@njit
def rotate_to(tour: np.ndarray, node: int) -> np.ndarray:
    """The same cyclic tour starting at `node`."""
    n = tour.shape[0]
    k = 0
    for i in range(n):
        if tour[i] == node:
            k = i
            break
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = tour[(k + i) % n]
    return out


# --------------------------------------------------------------------------- local search


@njit
def _reverse(tour: np.ndarray, pos: np.ndarray, i: int, j: int) -> None:
    """Reverse the cyclic path at positions i..j (forward); reverses the complement when
    that is shorter (same cyclic tour for a symmetric matrix)."""
    n = tour.shape[0]
    inner = (j - i) % n + 1
    if 2 * inner > n:
        i, j = (j + 1) % n, (i - 1) % n
        inner = n - inner
    for _ in range(inner // 2):
        a = tour[i]
        b = tour[j]
        tour[i] = b
        pos[b] = i
        tour[j] = a
        pos[a] = j
        i = (i + 1) % n
        j = (j - 1) % n


@njit
def _push(q: np.ndarray, inq: np.ndarray, st: np.ndarray, v: int) -> None:
    # st = [head, count]; q is a ring buffer of capacity n
    if inq[v]:
        return
    n = q.shape[0]
    q[(st[0] + st[1]) % n] = v
    st[1] += 1
    inq[v] = True


@njit
def _try_2opt(dist, tour, pos, neigh, a, q, inq, st) -> bool:
    n = tour.shape[0]
    K = neigh.shape[1]
    for direction in range(2):
        if direction == 0:
            an = tour[(pos[a] + 1) % n]
        else:
            an = tour[(pos[a] - 1) % n]
        d1 = dist[a, an]
        for t in range(K):
            c = neigh[a, t]
            g1 = d1 - dist[a, c]
            if g1 <= EPS:
                break
            if direction == 0:
                cn = tour[(pos[c] + 1) % n]
            else:
                cn = tour[(pos[c] - 1) % n]
            if c == an or cn == a:
                continue
            delta = g1 + dist[c, cn] - dist[an, cn]
            if delta > EPS:
                if direction == 0:
                    _reverse(tour, pos, pos[an], pos[c])
                else:
                    _reverse(tour, pos, pos[c], pos[an])
                _push(q, inq, st, a)
                _push(q, inq, st, an)
                _push(q, inq, st, c)
                _push(q, inq, st, cn)
                return True
    return False


@njit
def _move_segment(tour, pos, buf, s1, length, u, forward) -> None:
    """Move the `length` nodes starting at s1 between u and succ(u); `forward` keeps
    s1 next to u."""
    n = tour.shape[0]
    seg = np.empty(3, dtype=np.int64)
    p1 = pos[s1]
    for t in range(length):
        seg[t] = tour[(p1 + t) % n]
    start = (p1 + length) % n
    k = 0
    for t in range(n - length):
        x = tour[(start + t) % n]
        buf[k] = x
        k += 1
        if x == u:
            for s in range(length):
                buf[k] = seg[s] if forward else seg[length - 1 - s]
                k += 1
    for t in range(n):
        tour[t] = buf[t]
        pos[buf[t]] = t


@njit
def _try_oropt(dist, tour, pos, neigh, a, q, inq, st, buf) -> bool:
    n = tour.shape[0]
    K = neigh.shape[1]
    for length in range(1, 4):
        if n < length + 3:
            break
        s1 = a
        p1 = pos[s1]
        s2 = tour[(p1 + length - 1) % n]
        p = tour[(p1 - 1) % n]
        nx = tour[(p1 + length) % n]
        g = dist[p, s1] + dist[s2, nx] - dist[p, nx]
        if g <= EPS:
            continue
        for end in range(2):
            e = s1 if end == 0 else s2
            if end == 1 and length == 1:
                break
            for t in range(K):
                c = neigh[e, t]
                if dist[e, c] >= g - EPS:
                    break
                if (pos[c] - p1) % n < length:
                    continue  # c inside the segment
                for side in range(2):
                    if side == 0:
                        u = c
                        v = tour[(pos[c] + 1) % n]
                    else:
                        u = tour[(pos[c] - 1) % n]
                        v = c
                    if (pos[u] - p1) % n < length or (pos[v] - p1) % n < length:
                        continue
                    # e sits next to c; the other segment end next to the other node
                    o = s2 if end == 0 else s1
                    if side == 0:  # u=c: c-e ... o-v
                        add = dist[c, e] + dist[o, v] - dist[u, v]
                        forward = end == 0
                    else:  # v=c: u-o ... e-c
                        add = dist[u, o] + dist[e, c] - dist[u, v]
                        forward = end == 1
                    if g - add > EPS:
                        _move_segment(tour, pos, buf, s1, length, u, forward)
                        _push(q, inq, st, p)
                        _push(q, inq, st, nx)
                        _push(q, inq, st, s1)
                        _push(q, inq, st, s2)
                        _push(q, inq, st, u)
                        _push(q, inq, st, v)
                        return True
    return False


@njit
def local_search(
    dist: np.ndarray,
    tour: np.ndarray,
    neigh: np.ndarray,
    use_2opt: bool,
    use_oropt: bool,
    active: np.ndarray,
) -> int:
    """Improve `tour` in place with 2-opt and/or Or-opt (segments of 1-3 nodes, both
    orientations) until no move from a queued node improves; returns the move count.

    Moves are searched from the nodes in `active` (don't-look bits: a node leaves the
    queue when no improving move starts at it, and re-enters when a move touches it);
    candidate new edges come from `neigh` (each row sorted by distance).
    """
    n = tour.shape[0]
    if n < 5:
        return 0
    pos = np.empty(n, dtype=np.int64)
    for k in range(n):
        pos[tour[k]] = k
    q = np.empty(n, dtype=np.int64)
    inq = np.zeros(n, dtype=np.bool_)
    st = np.zeros(2, dtype=np.int64)
    buf = np.empty(n, dtype=np.int64)
    for v in active:
        _push(q, inq, st, v)
    moves = 0
    while st[1] > 0:
        a = q[st[0]]
        st[0] = (st[0] + 1) % n
        st[1] -= 1
        inq[a] = False
        improved = False
        if use_2opt:
            improved = _try_2opt(dist, tour, pos, neigh, a, q, inq, st)
        if not improved and use_oropt:
            improved = _try_oropt(dist, tour, pos, neigh, a, q, inq, st, buf)
        if improved:
            moves += 1
            _push(q, inq, st, a)
    return moves


@njit
def _length(dist: np.ndarray, tour: np.ndarray) -> float:
    n = tour.shape[0]
    s = 0.0
    for k in range(n):
        s += dist[tour[k], tour[(k + 1) % n]]
    return s


@njit
def iterated_local_search(
    dist: np.ndarray, tour: np.ndarray, neigh: np.ndarray, noise: np.ndarray, window: int
) -> np.ndarray:
    """2-opt + Or-opt, then one segment-local double-bridge kick per row of `noise`
    (``[iters, 4]`` uniforms): cut points within `window` positions of a random start,
    local search from the 8 touched nodes, accept when not longer."""
    n = tour.shape[0]
    cur = tour.copy()
    local_search(dist, cur, neigh, True, True, np.arange(n))
    cur_len = _length(dist, cur)
    best = cur.copy()
    best_len = cur_len
    w = min(n, window)
    if w < 8:
        return best
    cand = np.empty(n, dtype=np.int64)
    active = np.empty(8, dtype=np.int64)
    for it in range(noise.shape[0]):
        start = int(noise[it, 0] * n) % n
        # three distinct cut points 1 <= a < b < c < w
        a = 1 + int(noise[it, 1] * (w - 3))
        b = a + 1 + int(noise[it, 2] * (w - a - 2))
        c = b + 1 + int(noise[it, 3] * (w - b - 1))
        # cand = A C B D with A=[0,a) B=[a,b) C=[b,c) D=[c,n) of the tour rotated to start
        k = 0
        for t in range(a):
            cand[k] = cur[(start + t) % n]
            k += 1
        for t in range(b, c):
            cand[k] = cur[(start + t) % n]
            k += 1
        for t in range(a, b):
            cand[k] = cur[(start + t) % n]
            k += 1
        for t in range(c, n):
            cand[k] = cur[(start + t) % n]
            k += 1
        active[0] = cand[0]
        active[1] = cand[a - 1]
        active[2] = cand[a]
        active[3] = cand[a + c - b - 1]
        active[4] = cand[a + c - b]
        active[5] = cand[c - 1]
        active[6] = cand[c % n]
        active[7] = cand[n - 1]
        local_search(dist, cand, neigh, True, True, active)
        L = _length(dist, cand)
        if L <= cur_len + EPS:
            cur[:] = cand
            cur_len = L
            if L < best_len - EPS:
                best[:] = cand
                best_len = L
    return best


# --------------------------------------------------------------------------- exact


@njit
def held_karp(dist: np.ndarray) -> np.ndarray:
    """Optimal tour by the Held-Karp dynamic programme, O(2^n n^2) time, O(2^n n) memory."""
    n = dist.shape[0]
    if n <= 3:
        return np.arange(n)
    m = n - 1
    full = 1 << m
    dp = np.full((full, m), np.inf)
    parent = np.full((full, m), -1, dtype=np.int8)
    for k in range(m):
        dp[1 << k, k] = dist[0, k + 1]
    for S in range(1, full):
        for k in range(m):
            if not (S >> k) & 1:
                continue
            cur = dp[S, k]
            if cur == np.inf:
                continue
            for j in range(m):
                if (S >> j) & 1:
                    continue
                T = S | (1 << j)
                v = cur + dist[k + 1, j + 1]
                if v < dp[T, j]:
                    dp[T, j] = v
                    parent[T, j] = k
    S = full - 1
    last = 0
    bv = np.inf
    for k in range(m):
        v = dp[S, k] + dist[k + 1, 0]
        if v < bv:
            bv = v
            last = k
    tour = np.empty(n, dtype=np.int64)
    tour[0] = 0
    for idx in range(n - 1, 0, -1):
        tour[idx] = last + 1
        prev = int(parent[S, last])
        S = S & ~(1 << last)
        last = prev
    return tour
