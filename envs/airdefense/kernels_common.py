"""Helpers every kernel module of the world shares: events, small geometry, the spatial grid
(randomness: :mod:`aerena.rng`, the per-world splitmix64 state `s.rng`).

`emit` appends to a world's event list; the grid buckets active air entities by cell so range
queries visit few of them.
"""

from __future__ import annotations

import math

from aerena.envs.airdefense import layout as Lo
from aerena.jit import njit


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------
@njit
def emit(events, n_events, t, b, kind, a, o, x, y):
    """Append an event to world b's list for this step (dropped beyond capacity)."""
    n = n_events[b]
    if n < events.shape[1]:
        e = events[b, n]
        e[0] = t[b]
        e[1] = kind
        e[2] = a
        e[3] = o
        e[4] = x
        e[5] = y
    n_events[b] = n + 1


@njit
def lose_uav(st, s, b, a, status, event, other):
    s.air_status[b, a] = status
    s.air_jam[b, a] = False
    role = st.air_role[a]
    if role < Lo.CARRIER and status != Lo.EXPENDED:
        s.uav_lost[b, role] += 1
        s.uav_lost_cost[b] += s.air_par[b, a, Lo.AP_COST]
    emit(s.events, s.n_events, s.t, b, event, a, other, s.air_pos[b, a, 0], s.air_pos[b, a, 1])


@njit
def wrap_angle(a):
    """An angle in [-pi, pi)."""
    w = (a + math.pi) % (2.0 * math.pi) - math.pi
    return w - 2.0 * math.pi if w >= math.pi else w


@njit
def segment_point_dist2(p0, p1, q):
    """Squared distance from point q to segment p0-p1 (3-vectors), and the parameter."""
    d0 = p1[0] - p0[0]
    d1 = p1[1] - p0[1]
    d2 = p1[2] - p0[2]
    L2 = d0 * d0 + d1 * d1 + d2 * d2
    tau = 0.0
    if L2 > 0.0:
        tau = ((q[0] - p0[0]) * d0 + (q[1] - p0[1]) * d1 + (q[2] - p0[2]) * d2) / L2
        tau = min(1.0, max(0.0, tau))
    e0 = p0[0] + tau * d0 - q[0]
    e1 = p0[1] + tau * d1 - q[1]
    e2 = p0[2] + tau * d2 - q[2]
    return e0 * e0 + e1 * e1 + e2 * e2, tau


@njit
def closest_approach2(a0, a1, b0, b1):
    """Minimum squared distance between two points moving linearly over [0, 1]."""
    r0 = a0[0] - b0[0]
    r1 = a0[1] - b0[1]
    r2 = a0[2] - b0[2]
    v0 = (a1[0] - a0[0]) - (b1[0] - b0[0])
    v1 = (a1[1] - a0[1]) - (b1[1] - b0[1])
    v2 = (a1[2] - a0[2]) - (b1[2] - b0[2])
    vv = v0 * v0 + v1 * v1 + v2 * v2
    tau = 0.0
    if vv > 0.0:
        tau = min(1.0, max(0.0, -(r0 * v0 + r1 * v1 + r2 * v2) / vv))
    e0 = r0 + tau * v0
    e1 = r1 + tau * v1
    e2 = r2 + tau * v2
    return e0 * e0 + e1 * e1 + e2 * e2


# --------------------------------------------------------------------------------------
# spatial grid over active air entities (per world)
# --------------------------------------------------------------------------------------
@njit
def grid_cell_of(grid_n, grid_cell, x, y):
    i = min(max(int(x / grid_cell), 0), grid_n - 1)
    j = min(max(int(y / grid_cell), 0), grid_n - 1)
    return j * grid_n + i


@njit
def build_grid(grid_n, grid_cell, air_status, air_pos, start, items, b):
    """Counting sort of world b's active air entities into grid cells: O(A + cells).

    Cell c holds items[start[b, c]:start[b, c + 1]] (air indices, increasing).
    """
    st_b = start[b]
    it_b = items[b]
    st_b[:] = 0
    A = air_status.shape[1]
    for a in range(A):
        if air_status[b, a] == Lo.ACTIVE:
            st_b[grid_cell_of(grid_n, grid_cell, air_pos[b, a, 0], air_pos[b, a, 1]) + 1] += 1
    for c in range(1, st_b.shape[0]):
        st_b[c] += st_b[c - 1]
    ncell = st_b.shape[0] - 1
    total = st_b[ncell]
    # fill from the back: start[c + 1] walks down from the end of cell c to its beginning,
    # and each cell ends up in increasing air index order
    for a in range(A - 1, -1, -1):
        if air_status[b, a] == Lo.ACTIVE:
            c = grid_cell_of(grid_n, grid_cell, air_pos[b, a, 0], air_pos[b, a, 1])
            st_b[c + 1] -= 1
            it_b[st_b[c + 1]] = a
    for c in range(ncell):
        st_b[c] = st_b[c + 1]
    st_b[ncell] = total


@njit
def grid_range(grid_n, grid_cell, x, y, r):
    """Cell index bounds (i0, i1, j0, j1) covering the disc of radius r around (x, y)."""
    i0 = min(max(int((x - r) / grid_cell), 0), grid_n - 1)
    i1 = min(max(int((x + r) / grid_cell), 0), grid_n - 1)
    j0 = min(max(int((y - r) / grid_cell), 0), grid_n - 1)
    j1 = min(max(int((y + r) / grid_cell), 0), grid_n - 1)
    return i0, i1, j0, j1


@njit
def grid_phase(st, s, active):
    for b in range(active.shape[0]):
        if active[b]:
            build_grid(
                st.grid_n, st.grid_cell, s.air_status, s.air_pos, s.grid_start, s.grid_items, b
            )
