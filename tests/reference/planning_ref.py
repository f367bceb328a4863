"""Reference route planning: textbook Dijkstra with `heapq` and a per-point exposure map.

Mirrors `aerena.agents.scripted.planning`:

* `dijkstra_field`: nodes (i, j) of a cost grid, 8-connected, an edge u-v of length `cell`
  (straight) or `cell * sqrt(2)` (diagonal) costs `length * (0.5 * (cost[u] + cost[v]))`;
  the field is the cost-to-go to the goal node.
* `risk_map`: per plan node (x = j * pcell, y = i * pcell), the share of `sub x sub` points
  spread over the node's cell that the radar sees (terrain line of sight to a point `agl`
  above the ground), times `1 / (1 + (d / r50)^6)`, zero beyond `2 r50`.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from . import terrain_ref


def neighbours(i: int, j: int, ny: int, nx: int):
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di == 0 and dj == 0:
                continue
            vi, vj = i + di, j + dj
            if 0 <= vi < ny and 0 <= vj < nx:
                yield vi, vj, (di != 0 and dj != 0)


def edge_cost(cost: np.ndarray, cell: float, u: tuple[int, int], v: tuple[int, int]) -> float:
    diagonal = u[0] != v[0] and u[1] != v[1]
    length = cell * math.sqrt(2.0) if diagonal else cell
    return length * (0.5 * (float(cost[u]) + float(cost[v])))


def dijkstra_ref(cost: np.ndarray, cell: float, goal: tuple[int, int]) -> np.ndarray:
    """Cost-to-go of every node to `goal` (inf where unreachable)."""
    ny, nx = cost.shape
    dist = np.full((ny, nx), np.inf)
    dist[goal] = 0.0
    heap = [(0.0, goal)]
    done = set()
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        for vi, vj, _ in neighbours(u[0], u[1], ny, nx):
            v = (vi, vj)
            if v in done:
                continue
            nd = d + edge_cost(cost, cell, u, v)
            if nd < dist[v]:
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


def path_cost(cost: np.ndarray, cell: float, path: list[tuple[int, int]]) -> float:
    """Sum of the edge costs along a node path (accumulated from the goal end, like Dijkstra)."""
    total = 0.0
    for u, v in zip(reversed(path[:-1]), reversed(path[1:]), strict=True):
        total = total + edge_cost(cost, cell, v, u)
    return total


def is_connected_path(path: list[tuple[int, int]]) -> bool:
    return all(
        max(abs(a[0] - b[0]), abs(a[1] - b[1])) == 1
        for a, b in zip(path[:-1], path[1:], strict=True)
    )


def risk_map_ref(
    heights: np.ndarray,
    tcell: float,
    pcell: float,
    shape: tuple[int, int],
    radar: tuple[float, float, float],
    r50: float,
    agl: float,
    sub: int,
) -> np.ndarray:
    ny, nx = shape
    out = np.zeros((ny, nx))
    for i in range(ny):
        for j in range(nx):
            x0, y0 = j * pcell, i * pcell
            d = math.hypot(x0 - radar[0], y0 - radar[1])
            if d > 2.0 * r50:
                continue
            seen = 0
            for a in range(sub):
                for c in range(sub):
                    x = x0 + ((c + 0.5) / sub - 0.5) * pcell
                    y = y0 + ((a + 0.5) / sub - 0.5) * pcell
                    z = float(terrain_ref.height_ref(heights, tcell, [x], [y])[0]) + agl
                    seen += terrain_ref.line_of_sight_ref(heights, tcell, radar, (x, y, z))
            q = max(d, 1.0) / max(r50, 1.0)
            out[i, j] = seen / (sub * sub) / (1.0 + q**6)
    return out
