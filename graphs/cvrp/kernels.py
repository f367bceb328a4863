"""Numba kernels of the CVRP baselines.

Solutions inside the kernels are a routes table: ``routes[r, :lens[r]]`` holds the
customers of route r in order (the depot 0 at both ends implied), ``R = n`` rows so an
empty route is always available. Randomness comes in as pre-drawn uniforms.
"""

from __future__ import annotations

import numpy as np

from aerena.jit import njit

EPS = 1e-9


@njit
def routes_to_giant(routes: np.ndarray, lens: np.ndarray) -> np.ndarray:
    total = 1
    for r in range(routes.shape[0]):
        if lens[r] > 0:
            total += lens[r] + 1
    out = np.zeros(total, dtype=np.int64)
    k = 1
    for r in range(routes.shape[0]):
        if lens[r] > 0:
            for i in range(lens[r]):
                out[k] = routes[r, i]
                k += 1
            k += 1
    return out


@njit
def giant_to_routes(giant: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    routes = np.zeros((max(n, 1), max(n, 1)), dtype=np.int64)
    lens = np.zeros(max(n, 1), dtype=np.int64)
    r = 0
    for k in range(giant.shape[0]):
        v = giant[k]
        if v == 0:
            if lens[r] > 0:
                r += 1
        else:
            routes[r, lens[r]] = v
            lens[r] += 1
    return routes, lens


@njit
def table_cost(dist: np.ndarray, routes: np.ndarray, lens: np.ndarray) -> float:
    total = 0.0
    for r in range(routes.shape[0]):
        prev = 0
        for i in range(lens[r]):
            total += dist[prev, routes[r, i]]
            prev = routes[r, i]
        if lens[r] > 0:
            total += dist[prev, 0]
    return total


# --------------------------------------------------------------------------- construction


@njit
def clarke_wright(dist: np.ndarray, demand: np.ndarray, cap: float) -> np.ndarray:
    """Parallel Clarke-Wright savings: merge route ends by decreasing saving
    ``d(0,i) + d(0,j) - d(i,j)`` while the merged load fits. Returns a giant tour."""
    n = dist.shape[0] - 1
    m = n * (n - 1) // 2
    sv = np.empty(m)
    si = np.empty(m, dtype=np.int64)
    sj = np.empty(m, dtype=np.int64)
    k = 0
    for i in range(1, n + 1):
        for j in range(i + 1, n + 1):
            sv[k] = dist[0, i] + dist[0, j] - dist[i, j]
            si[k] = i
            sj[k] = j
            k += 1
    order = np.argsort(-sv, kind="mergesort")
    route_of = np.arange(n + 1)
    load = demand.copy()
    first = np.arange(n + 1)
    last = np.arange(n + 1)
    nxt = np.zeros(n + 1, dtype=np.int64)
    prv = np.zeros(n + 1, dtype=np.int64)
    for t in range(m):
        e = order[t]
        if sv[e] <= EPS:
            break
        i = si[e]
        j = sj[e]
        ri = route_of[i]
        rj = route_of[j]
        if ri == rj or load[ri] + load[rj] > cap + EPS:
            continue
        if not (first[ri] == i or last[ri] == i) or not (first[rj] == j or last[rj] == j):
            continue
        if last[ri] != i:  # reverse route ri so that it ends at i
            v = first[ri]
            while v != 0:
                w = nxt[v]
                nxt[v] = prv[v]
                prv[v] = w
                v = w
            first[ri], last[ri] = last[ri], first[ri]
        if first[rj] != j:  # reverse route rj so that it starts at j
            v = first[rj]
            while v != 0:
                w = nxt[v]
                nxt[v] = prv[v]
                prv[v] = w
                v = w
            first[rj], last[rj] = last[rj], first[rj]
        nxt[i] = j
        prv[j] = i
        v = j
        while v != 0:
            route_of[v] = ri
            v = nxt[v]
        last[ri] = last[rj]
        load[ri] += load[rj]
    out = np.zeros(2 * n + 1, dtype=np.int64)
    k = 1
    for c in range(1, n + 1):
        if prv[c] == 0:
            v = c
            while v != 0:
                out[k] = v
                k += 1
                v = nxt[v]
            k += 1
    return out[:k]


@njit
def nearest_neighbour(dist: np.ndarray, demand: np.ndarray, cap: float) -> np.ndarray:
    """Go to the nearest unserved customer that fits; back to the depot when none fits."""
    n = dist.shape[0] - 1
    out = np.zeros(2 * n + 1, dtype=np.int64)
    served = np.zeros(n + 1, dtype=np.bool_)
    k = 1
    left = n
    cur = 0
    rem = cap
    while left > 0:
        best = -1
        bd = np.inf
        for j in range(1, n + 1):
            if not served[j] and demand[j] <= rem + EPS and dist[cur, j] < bd:
                bd = dist[cur, j]
                best = j
        if best < 0:
            k += 1  # close the route (out[k] stays 0)
            cur = 0
            rem = cap
            continue
        out[k] = best
        k += 1
        served[best] = True
        left -= 1
        rem -= demand[best]
        cur = best
    return out[: k + 1]


@njit
def sweep(dist: np.ndarray, demand: np.ndarray, cap: float, angle: np.ndarray) -> np.ndarray:
    """Sweep: customers by polar angle around the depot, cut into routes when the next one
    does not fit; every rotation of the start is tried, the cheapest kept."""
    n = dist.shape[0] - 1
    order = np.argsort(angle[1:], kind="mergesort") + 1
    best_cost = np.inf
    best_start = 0
    for s in range(n):
        cost = 0.0
        prev = 0
        rem = cap
        for t in range(n):
            c = order[(s + t) % n]
            if demand[c] > rem + EPS:
                cost += dist[prev, 0]
                prev = 0
                rem = cap
            cost += dist[prev, c]
            rem -= demand[c]
            prev = c
        cost += dist[prev, 0]
        if cost < best_cost - EPS:
            best_cost = cost
            best_start = s
    out = np.zeros(2 * n + 1, dtype=np.int64)
    k = 1
    rem = cap
    for t in range(n):
        c = order[(best_start + t) % n]
        if demand[c] > rem + EPS:
            k += 1
            rem = cap
        out[k] = c
        k += 1
        rem -= demand[c]
    return out[: k + 1]


# --------------------------------------------------------------------------- local search


@njit
def _node(routes, lens, r, k):
    """Position k of route r with the depot at k = -1 and k = lens[r]."""
    if k < 0 or k >= lens[r]:
        return 0
    return routes[r, k]


@njit
def _two_opt_route(dist, routes, lens, r) -> bool:
    L = lens[r]
    any_move = False
    improved = True
    while improved:
        improved = False
        for i in range(-1, L - 2):
            a = _node(routes, lens, r, i)
            b = routes[r, i + 1]
            for j in range(i + 2, L):
                c = routes[r, j]
                d = _node(routes, lens, r, j + 1)
                delta = dist[a, c] + dist[b, d] - dist[a, b] - dist[c, d]
                if delta < -EPS:
                    lo = i + 1
                    hi = j
                    while lo < hi:
                        routes[r, lo], routes[r, hi] = routes[r, hi], routes[r, lo]
                        lo += 1
                        hi -= 1
                    improved = True
                    any_move = True
                    b = routes[r, i + 1]
    return any_move


@njit
def _remove_at(routes, lens, r, i) -> None:
    for k in range(i, lens[r] - 1):
        routes[r, k] = routes[r, k + 1]
    lens[r] -= 1


@njit
def _insert_at(routes, lens, r, j, u) -> None:
    for k in range(lens[r], j, -1):
        routes[r, k] = routes[r, k - 1]
    routes[r, j] = u
    lens[r] += 1


@njit
def _first_empty(lens) -> int:
    for r in range(lens.shape[0]):
        if lens[r] == 0:
            return r
    return -1


@njit
def _relocate_pass(dist, demand, cap, routes, lens, loads) -> bool:
    R = routes.shape[0]
    any_move = False
    for r in range(R):
        i = 0
        while i < lens[r]:
            u = routes[r, i]
            p = _node(routes, lens, r, i - 1)
            q = _node(routes, lens, r, i + 1)
            gain = dist[p, u] + dist[u, q] - dist[p, q]
            best = -EPS
            bs = -1
            bj = -1
            empty = _first_empty(lens)
            for s in range(R):
                if lens[s] == 0 and s != empty:
                    continue
                if s != r and loads[s] + demand[u] > cap + EPS:
                    continue
                if s == r and lens[r] == 1:
                    continue
                for j in range(lens[s] + 1):
                    if s == r and (j == i or j == i + 1):
                        continue
                    a = _node(routes, lens, s, j - 1)
                    b = _node(routes, lens, s, j)
                    delta = dist[a, u] + dist[u, b] - dist[a, b] - gain
                    if delta < best:
                        best = delta
                        bs = s
                        bj = j
            if bs >= 0:
                _remove_at(routes, lens, r, i)
                if bs == r and bj > i:
                    bj -= 1
                _insert_at(routes, lens, bs, bj, u)
                loads[r] -= demand[u]
                loads[bs] += demand[u]
                any_move = True
            else:
                i += 1
    return any_move


@njit
def _swap_pass(dist, demand, cap, routes, lens, loads) -> bool:
    R = routes.shape[0]
    any_move = False
    for r in range(R):
        for i in range(lens[r]):
            for s in range(r + 1, R):
                for j in range(lens[s]):
                    u = routes[r, i]
                    v = routes[s, j]
                    if loads[r] - demand[u] + demand[v] > cap + EPS:
                        continue
                    if loads[s] - demand[v] + demand[u] > cap + EPS:
                        continue
                    pu = _node(routes, lens, r, i - 1)
                    nu = _node(routes, lens, r, i + 1)
                    pv = _node(routes, lens, s, j - 1)
                    nv = _node(routes, lens, s, j + 1)
                    delta = (
                        dist[pu, v]
                        + dist[v, nu]
                        - dist[pu, u]
                        - dist[u, nu]
                        + dist[pv, u]
                        + dist[u, nv]
                        - dist[pv, v]
                        - dist[v, nv]
                    )
                    if delta < -EPS:
                        routes[r, i] = v
                        routes[s, j] = u
                        loads[r] += demand[v] - demand[u]
                        loads[s] += demand[u] - demand[v]
                        any_move = True
    return any_move


@njit
def _two_opt_star_pass(dist, demand, cap, routes, lens, loads, buf) -> bool:
    """Exchange route tails: r[:i] + s[j:] and s[:j] + r[i:]."""
    R = routes.shape[0]
    any_move = False
    for r in range(R):
        if lens[r] == 0:
            continue
        for s in range(r + 1, R):
            if lens[s] == 0:
                continue
            moved = True
            while moved:
                moved = False
                pr = 0.0
                for i in range(lens[r] + 1):
                    if i > 0:
                        pr += demand[routes[r, i - 1]]
                    a = _node(routes, lens, r, i - 1)
                    a2 = _node(routes, lens, r, i)
                    ps = 0.0
                    for j in range(lens[s] + 1):
                        if j > 0:
                            ps += demand[routes[s, j - 1]]
                        if (i == 0 and j == 0) or (i == lens[r] and j == lens[s]):
                            continue
                        if pr + loads[s] - ps > cap + EPS or ps + loads[r] - pr > cap + EPS:
                            continue
                        b = _node(routes, lens, s, j - 1)
                        b2 = _node(routes, lens, s, j)
                        delta = dist[a, b2] + dist[b, a2] - dist[a, a2] - dist[b, b2]
                        if delta < -EPS:
                            # buf <- tail of r; r <- r[:i] + s[j:]; s <- s[:j] + buf
                            tr = lens[r] - i
                            for k in range(tr):
                                buf[k] = routes[r, i + k]
                            ts = lens[s] - j
                            for k in range(ts):
                                routes[r, i + k] = routes[s, j + k]
                            for k in range(tr):
                                routes[s, j + k] = buf[k]
                            lens[r] = i + ts
                            lens[s] = j + tr
                            moved = True
                            any_move = True
                            break
                    if moved:
                        break
                if moved:  # recompute both loads exactly
                    loads[r] = 0.0
                    for k in range(lens[r]):
                        loads[r] += demand[routes[r, k]]
                    loads[s] = 0.0
                    for k in range(lens[s]):
                        loads[s] += demand[routes[s, k]]
                if lens[r] == 0 or lens[s] == 0:
                    break
    return any_move


@njit
def local_search(dist, demand, cap, routes, lens) -> None:
    """Intra-route 2-opt, relocate (within and between routes, into an empty route too),
    swap and 2-opt* until a whole round finds no improving move."""
    R = routes.shape[0]
    loads = np.zeros(R)
    for r in range(R):
        for i in range(lens[r]):
            loads[r] += demand[routes[r, i]]
    buf = np.empty(routes.shape[1], dtype=np.int64)
    while True:
        changed = False
        for r in range(R):
            if lens[r] > 2 and _two_opt_route(dist, routes, lens, r):
                changed = True
        if _relocate_pass(dist, demand, cap, routes, lens, loads):
            changed = True
        if _swap_pass(dist, demand, cap, routes, lens, loads):
            changed = True
        if _two_opt_star_pass(dist, demand, cap, routes, lens, loads, buf):
            changed = True
        if not changed:
            break


@njit
def ruin_recreate(dist, demand, cap, routes, lens, neigh, noise) -> tuple[np.ndarray, np.ndarray]:
    """Iterated local search: per row of `noise` (``[iters, 2 + kmax]`` uniforms) remove a
    seed customer and its nearest neighbours (2..kmax of them), reinsert them in random
    order at their cheapest feasible place, run :func:`local_search`, accept when not
    worse. Returns the best routes table."""
    n = dist.shape[0] - 1
    R = routes.shape[0]
    kmax = noise.shape[1] - 2
    local_search(dist, demand, cap, routes, lens)
    cur_r = routes.copy()
    cur_l = lens.copy()
    cur_c = table_cost(dist, cur_r, cur_l)
    best_r = cur_r.copy()
    best_l = cur_l.copy()
    best_c = cur_c
    removed = np.empty(kmax, dtype=np.int64)
    is_removed = np.zeros(n + 1, dtype=np.bool_)
    for it in range(noise.shape[0]):
        cr = cur_r.copy()
        cl = cur_l.copy()
        k = 2 + int(noise[it, 0] * (min(kmax, n) - 1))
        k = min(k, n)
        seed = 1 + int(noise[it, 1] * n) % n
        removed[0] = seed
        cnt = 1
        t = 0
        while cnt < k and t < neigh.shape[1]:
            removed[cnt] = neigh[seed, t]
            cnt += 1
            t += 1
        for c in range(cnt):
            is_removed[removed[c]] = True
        for r in range(R):
            w = 0
            for i in range(cl[r]):
                if not is_removed[cr[r, i]]:
                    cr[r, w] = cr[r, i]
                    w += 1
            cl[r] = w
        for c in range(cnt):
            is_removed[removed[c]] = False
        order = np.argsort(noise[it, 2 : 2 + cnt])
        loads = np.zeros(R)
        for r in range(R):
            for i in range(cl[r]):
                loads[r] += demand[cr[r, i]]
        for oi in range(cnt):
            u = removed[order[oi]]
            best = np.inf
            bs = -1
            bj = -1
            empty = _first_empty(cl)
            for s in range(R):
                if cl[s] == 0 and s != empty:
                    continue
                if loads[s] + demand[u] > cap + EPS:
                    continue
                for j in range(cl[s] + 1):
                    a = _node(cr, cl, s, j - 1)
                    b = _node(cr, cl, s, j)
                    delta = dist[a, u] + dist[u, b] - dist[a, b]
                    if delta < best:
                        best = delta
                        bs = s
                        bj = j
            _insert_at(cr, cl, bs, bj, u)
            loads[bs] += demand[u]
        local_search(dist, demand, cap, cr, cl)
        c_new = table_cost(dist, cr, cl)
        if c_new <= cur_c + EPS:
            cur_r = cr
            cur_l = cl
            cur_c = c_new
            if c_new < best_c - EPS:
                best_r = cr.copy()
                best_l = cl.copy()
                best_c = c_new
    return best_r, best_l


# --------------------------------------------------------------------------- exact


@njit
def exact_dp(dist: np.ndarray, demand: np.ndarray, cap: float) -> np.ndarray:
    """Optimal CVRP by dynamic programming over customer subsets: Held-Karp gives the
    cheapest route of every subset that fits in one vehicle (O(2^n n^2)), then a set
    partition DP over submasks (O(3^n)). Returns a giant tour."""
    n = dist.shape[0] - 1
    full = 1 << n
    load = np.zeros(full)
    for S in range(1, full):
        low = 0
        while not (S >> low) & 1:
            low += 1
        load[S] = load[S & (S - 1)] + demand[low + 1]
    g = np.full((full, n), np.inf)
    par = np.full((full, n), -1, dtype=np.int8)
    for k in range(n):
        if demand[k + 1] <= cap + EPS:
            g[1 << k, k] = dist[0, k + 1]
    for S in range(1, full):
        if load[S] > cap + EPS:
            continue
        for k in range(n):
            cur = g[S, k]
            if cur == np.inf:
                continue
            for j in range(n):
                if (S >> j) & 1:
                    continue
                T = S | (1 << j)
                if load[T] > cap + EPS:
                    continue
                v = cur + dist[k + 1, j + 1]
                if v < g[T, j]:
                    g[T, j] = v
                    par[T, j] = k
    route = np.full(full, np.inf)
    last = np.full(full, -1, dtype=np.int64)
    for S in range(1, full):
        for k in range(n):
            v = g[S, k] + dist[k + 1, 0]
            if v < route[S]:
                route[S] = v
                last[S] = k
    f = np.full(full, np.inf)
    choice = np.zeros(full, dtype=np.int64)
    f[0] = 0.0
    for S in range(1, full):
        low = S & (-S)
        T = S
        while T > 0:
            if T & low and route[T] < np.inf:
                v = route[T] + f[S ^ T]
                if v < f[S]:
                    f[S] = v
                    choice[S] = T
            T = (T - 1) & S
    out = np.zeros(2 * n + 1, dtype=np.int64)
    k = 1
    S = full - 1
    seq = np.empty(n, dtype=np.int64)
    while S > 0:
        T = choice[S]
        # walk the route of T backwards from its last customer
        m = 0
        U = T
        v = last[T]
        while v >= 0:
            seq[m] = v + 1
            m += 1
            pv = int(par[U, v])
            U = U & ~(1 << v)
            v = pv
        for t in range(m - 1, -1, -1):
            out[k] = seq[t]
            k += 1
        k += 1
        S = S ^ T
    return out[:k]
