"""Seeded CVRP generators (Kool et al. 2019): depot and customers uniform (or clustered)
in the unit square, integer demands uniform in 1..9, capacity 20/30/40/50 for
n = 10/20/50/100 customers (linear in between, +1 per 10 customers above 100)."""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.graphs.common.graph import clustered_points, uniform_points
from aerena.graphs.common.registry import Registry, as_rng
from aerena.graphs.cvrp.instance import CVRPInstance

GENERATORS: Registry = Registry("CVRP generator")

KOOL_CAPACITY = {10: 20.0, 20: 30.0, 50: 40.0, 100: 50.0}


def kool_capacity(n: int) -> float:
    """Vehicle capacity for `n` customers (exact for Kool et al.'s n = 10, 20, 50, 100)."""
    if n in KOOL_CAPACITY:
        return KOOL_CAPACITY[n]
    if n > 100:
        return float(np.ceil(50.0 + (n - 100) / 10.0))
    xs = sorted(KOOL_CAPACITY)
    return float(np.ceil(np.interp(n, xs, [KOOL_CAPACITY[x] for x in xs])))


def _demands(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    q = np.zeros(n + 1)
    q[1:] = rng.integers(low, high + 1, size=n)
    return q


@GENERATORS.register("uniform")
def uniform(
    seed: Any = None,
    num_nodes: int = 20,
    capacity: float | None = None,
    demand_low: int = 1,
    demand_high: int = 9,
) -> CVRPInstance:
    """`num_nodes` customers and the depot uniform in the unit square."""
    rng = as_rng(seed)
    pts = uniform_points(rng, num_nodes + 1)
    q = _demands(rng, num_nodes, demand_low, demand_high)
    cap = kool_capacity(num_nodes) if capacity is None else float(capacity)
    return CVRPInstance.from_coords(pts, q, cap, name=f"uniform{num_nodes}")


@GENERATORS.register("clustered")
def clustered(
    seed: Any = None,
    num_nodes: int = 20,
    capacity: float | None = None,
    n_clusters: int = 3,
    std: float = 0.07,
    demand_low: int = 1,
    demand_high: int = 9,
) -> CVRPInstance:
    """Customers in Gaussian clusters; the depot uniform in the unit square."""
    rng = as_rng(seed)
    depot = uniform_points(rng, 1)
    pts = np.concatenate([depot, clustered_points(rng, num_nodes, n_clusters, std)])
    q = _demands(rng, num_nodes, demand_low, demand_high)
    cap = kool_capacity(num_nodes) if capacity is None else float(capacity)
    return CVRPInstance.from_coords(pts, q, cap, name=f"clustered{num_nodes}")


def generate(name: str, seed: Any = None, **params: Any) -> CVRPInstance:
    return GENERATORS.get(name)(seed, **params)
