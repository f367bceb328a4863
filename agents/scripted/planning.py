"""Route planning for the scripted attacker: exposure maps and grid shortest paths.

The planner works on a coarse *plan grid* laid over the map: nodes at (x = j * cell,
y = i * cell), `cell` a few hundred metres to a few km (every node lies inside the map).
Routes are 8-connected node chains.

* :func:`make_plan_grid` - the plan grid of a terrain (node ground heights included).
* :func:`risk_map` - exposure of a flyer `agl` metres above the ground to one radar, per
  node: the share of `sub x sub` sample points around the node that the radar antenna sees
  (terrain line of sight), times a range falloff `1 / (1 + (d / r50)^6)` (zero beyond
  `2 r50`). Computed once per radar and cached by the attacker.
* :func:`node_costs` - node cost multipliers `1 + w * sum(risk)` from cached risk maps.
* :func:`dijkstra_field` - the cost-to-go of every node to one goal node (Dijkstra from the
  goal; an edge u-v of length `len` costs `len * 0.5 * (cost[u] + cost[v])`), and the
  length of that cheapest way. One field per target serves every UAV flying there: a UAV
  follows :func:`next_hop` / :func:`follow`.
* :func:`plan_path` - a node path from start to goal (convenience for tests and tools).

All kernels are functions of arrays (see STYLE.md): no objects, no allocation in the hot
loops except the Dijkstra heap, which is sized once per call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aerena.envs.airdefense.terrain import TerrainGrid, height_at, line_of_sight
from aerena.jit import njit

__all__ = [
    "PlanGrid",
    "dijkstra_field",
    "follow",
    "make_plan_grid",
    "next_hop",
    "node_costs",
    "plan_path",
    "risk_map",
]

# 8-neighbourhood: (di, dj) and whether the step is diagonal
_DI = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DJ = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class PlanGrid:
    """Coarse planning grid: nodes at (j * cell, i * cell), all inside the map."""

    cell: float  # metres between nodes
    nx: int
    ny: int
    ground: np.ndarray  # [ny, nx] float64, terrain height at the nodes

    def node_of(self, x: float, y: float) -> tuple[int, int]:
        """(i, j) of the node nearest to (x, y), clamped to the grid."""
        j = min(max(int(round(x / self.cell)), 0), self.nx - 1)
        i = min(max(int(round(y / self.cell)), 0), self.ny - 1)
        return i, j

    def xy(self, i: int, j: int) -> tuple[float, float]:
        return j * self.cell, i * self.cell


def make_plan_grid(
    terrain: TerrainGrid, target_cell: float = 1000.0, max_side: int = 120
) -> PlanGrid:
    """A plan grid with about `target_cell` metres between nodes (at most `max_side` a side)."""
    W, H = float(terrain.width), float(terrain.height)
    span = max(W, H)
    n = max(int(math.ceil(span / target_cell)), 2)
    n = min(n, max_side)
    cell = span / n
    nx = int(math.floor(W / cell + 1e-9)) + 1
    ny = int(math.floor(H / cell + 1e-9)) + 1
    ground = np.zeros((ny, nx), dtype=np.float64)
    for i in range(ny):
        for j in range(nx):
            ground[i, j] = height_at(terrain.heights, terrain.cell, j * cell, i * cell)
    return PlanGrid(cell=cell, nx=nx, ny=ny, ground=ground)


# --------------------------------------------------------------------------------------
# exposure
# --------------------------------------------------------------------------------------
@njit
def risk_map(heights, tcell, pcell, rx, ry, rz, r50, agl, sub, out):
    """Exposure of each plan node to a radar antenna at (rx, ry, rz) (absolute altitude).

    `heights`/`tcell`: the terrain grid; `pcell`: plan-grid spacing; `out` [ny, nx] is
    written in place with visibility share x falloff, in [0, 1].
    """
    ny, nx = out.shape
    reach = 2.0 * r50
    for i in range(ny):
        for j in range(nx):
            x0 = j * pcell
            y0 = i * pcell
            d = math.sqrt((x0 - rx) ** 2 + (y0 - ry) ** 2)
            if d > reach + pcell:
                out[i, j] = 0.0
                continue
            seen = 0
            for a in range(sub):
                for c in range(sub):
                    x = x0 + ((c + 0.5) / sub - 0.5) * pcell
                    y = y0 + ((a + 0.5) / sub - 0.5) * pcell
                    z = height_at(heights, tcell, x, y) + agl
                    if line_of_sight(heights, tcell, rx, ry, rz, x, y, z):
                        seen += 1
            q = max(d, 1.0) / max(r50, 1.0)
            fall = 1.0 / (1.0 + q**6)
            if d > reach:
                fall = 0.0
            out[i, j] = fall * seen / (sub * sub)


@njit
def node_costs(risks, active, weight, border, out):
    """out[i, j] = 1 + weight * sum of risks[k, i, j] over active[k] (+ border on the edge)."""
    K, ny, nx = risks.shape
    for i in range(ny):
        for j in range(nx):
            r = 0.0
            for k in range(K):
                if active[k]:
                    r += risks[k, i, j]
            c = 1.0 + weight * r
            if i == 0 or j == 0 or i == ny - 1 or j == nx - 1:
                c += border
            out[i, j] = c


# --------------------------------------------------------------------------------------
# shortest paths
# --------------------------------------------------------------------------------------
@njit
def _heap_push(hk, hv, n, key, val):
    i = n
    hk[i] = key
    hv[i] = val
    while i > 0:
        p = (i - 1) // 2
        if hk[p] < hk[i] or (hk[p] == hk[i] and hv[p] <= hv[i]):
            break
        hk[p], hk[i] = hk[i], hk[p]
        hv[p], hv[i] = hv[i], hv[p]
        i = p
    return n + 1


@njit
def _heap_pop(hk, hv, n):
    key = hk[0]
    val = hv[0]
    n -= 1
    hk[0] = hk[n]
    hv[0] = hv[n]
    i = 0
    while True:
        lft = 2 * i + 1
        if lft >= n:
            break
        m = lft
        r = lft + 1
        if r < n and (hk[r] < hk[lft] or (hk[r] == hk[lft] and hv[r] < hv[lft])):
            m = r
        if hk[i] < hk[m] or (hk[i] == hk[m] and hv[i] <= hv[m]):
            break
        hk[m], hk[i] = hk[i], hk[m]
        hv[m], hv[i] = hv[i], hv[m]
        i = m
    return key, val, n


@njit
def dijkstra_field(cost, cell, gi, gj, dist, plen):
    """Cost-to-go of every node to the goal node (gi, gj); writes `dist` [ny, nx] in place.

    8-connected; edge u-v costs `length * (0.5 * (cost[u] + cost[v]))` with length `cell`
    or `cell * sqrt(2)`. Costs must be positive. Unreachable nodes keep `inf`. `plen`
    [ny, nx] receives the length in metres of the cheapest way found from each node.
    """
    ny, nx = cost.shape
    diag = cell * math.sqrt(2.0)
    for i in range(ny):
        for j in range(nx):
            dist[i, j] = np.inf
            plen[i, j] = np.inf
    cap = 8 * ny * nx + 1
    hk = np.empty(cap, np.float64)
    hv = np.empty(cap, np.int64)
    done = np.zeros(ny * nx, np.bool_)
    dist[gi, gj] = 0.0
    plen[gi, gj] = 0.0
    n = _heap_push(hk, hv, 0, 0.0, gi * nx + gj)
    while n > 0:
        d, u, n = _heap_pop(hk, hv, n)
        if done[u]:
            continue
        done[u] = True
        ui = u // nx
        uj = u - ui * nx
        cu = cost[ui, uj]
        for q in range(8):
            vi = ui + _DI[q]
            vj = uj + _DJ[q]
            if vi < 0 or vi >= ny or vj < 0 or vj >= nx:
                continue
            if done[vi * nx + vj]:
                continue
            length = diag if (_DI[q] != 0 and _DJ[q] != 0) else cell
            nd = d + length * (0.5 * (cu + cost[vi, vj]))
            if nd < dist[vi, vj]:
                dist[vi, vj] = nd
                plen[vi, vj] = plen[ui, uj] + length
                n = _heap_push(hk, hv, n, nd, vi * nx + vj)


@njit
def next_hop(cost, dist, cell, i, j):
    """The neighbour of (i, j) on a cheapest way to the goal of `dist`: (ni, nj).

    Returns (i, j) itself at the goal (or where no neighbour is finite).
    """
    ny, nx = cost.shape
    diag = cell * math.sqrt(2.0)
    bi = i
    bj = j
    if not dist[i, j] > 0.0 or not dist[i, j] < np.inf:
        return bi, bj
    best = np.inf
    for q in range(8):
        vi = i + _DI[q]
        vj = j + _DJ[q]
        if vi < 0 or vi >= ny or vj < 0 or vj >= nx:
            continue
        length = diag if (_DI[q] != 0 and _DJ[q] != 0) else cell
        v = dist[vi, vj] + length * (0.5 * (cost[i, j] + cost[vi, vj]))
        if v < best:
            best = v
            bi = vi
            bj = vj
    return bi, bj


@njit
def follow(cost, dist, cell, i, j, hops):
    """The node `hops` steps down the cheapest way from (i, j) (stops at the goal)."""
    for _ in range(hops):
        ni, nj = next_hop(cost, dist, cell, i, j)
        if ni == i and nj == j:
            break
        i = ni
        j = nj
    return i, j


def plan_path(
    cost: np.ndarray, cell: float, start: tuple[int, int], goal: tuple[int, int]
) -> tuple[list[tuple[int, int]], float]:
    """The cheapest node path from start to goal (both inclusive) and its cost."""
    dist = np.empty(cost.shape, dtype=np.float64)
    plen = np.empty(cost.shape, dtype=np.float64)
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    dijkstra_field(cost, float(cell), *goal, dist, plen)
    path = [start]
    i, j = start
    for _ in range(cost.size):
        if (i, j) == tuple(goal):
            break
        i, j = next_hop(cost, dist, cell, i, j)
        if (i, j) == path[-1]:
            break
        path.append((int(i), int(j)))
    return path, float(dist[start])
