"""CVRP baselines, chosen by name from :data:`BASELINES`.

===============  =========================================================================
name             method
===============  =========================================================================
``nearest``      nearest feasible customer, back to the depot when none fits
``savings``      Clarke-Wright parallel savings
``sweep``        sweep by polar angle (every start angle), then 2-opt inside routes
``ls``           savings + local search: 2-opt in routes, relocate, swap, 2-opt*
``ils``          ``ls`` + ruin (a customer and its nearest neighbours) and recreate
                 (cheapest insertion), seeded
``exact``        subset dynamic programme, n <= 14 customers unless ``max_n`` is raised
===============  =========================================================================

Each takes ``(instance, *, seed=None, **options)`` and returns a giant tour
``[0, route 1..., 0, route 2..., 0]``. The fleet is unlimited (``num_vehicles`` of a
benchmark is not enforced).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import aerena.graphs.cvrp.kernels as K
from aerena.graphs.common.registry import InstanceTooLargeError, Registry, as_rng
from aerena.graphs.cvrp.instance import CVRPInstance

BASELINES: Registry = Registry("CVRP baseline")

EXACT_MAX_N = 14


def _args(inst: CVRPInstance) -> tuple[np.ndarray, np.ndarray, float]:
    return inst.dist, inst.demand, float(inst.capacity)


def improve(inst: CVRPInstance, giant: np.ndarray) -> np.ndarray:
    """A giant tour improved by the local search (2-opt, relocate, swap and 2-opt* moves
    until none improves)."""
    routes, lens = K.giant_to_routes(giant, inst.n)
    K.local_search(*_args(inst), routes, lens)
    return K.routes_to_giant(routes, lens)


@BASELINES.register("nearest", aliases=("nn",))
def nearest(instance: CVRPInstance, *, seed: Any = None) -> np.ndarray:
    return K.nearest_neighbour(*_args(instance))


@BASELINES.register("savings", aliases=("clarke_wright",))
def savings(instance: CVRPInstance, *, seed: Any = None) -> np.ndarray:
    return K.clarke_wright(*_args(instance))


@BASELINES.register("sweep")
def sweep(instance: CVRPInstance, *, seed: Any = None) -> np.ndarray:
    """Needs coordinates (the polar angle around the depot)."""
    if instance.coords is None:
        raise ValueError("sweep needs node coordinates; this instance has none")
    c = instance.coords
    angle = np.arctan2(c[:, 1] - c[0, 1], c[:, 0] - c[0, 0])
    giant = K.sweep(*_args(instance), angle)
    routes, lens = K.giant_to_routes(giant, instance.n)
    for r in range(routes.shape[0]):
        if lens[r] > 2:
            K._two_opt_route(instance.dist, routes, lens, r)
    return K.routes_to_giant(routes, lens)


@BASELINES.register("ls", aliases=("local_search",))
def local_search(instance: CVRPInstance, *, seed: Any = None, init: str = "savings") -> np.ndarray:
    """Local search from the `init` baseline's solution."""
    if init == "ls":
        raise ValueError("init must be a construction baseline")
    return improve(instance, BASELINES.get(init)(instance))


def customer_neighbours(dist: np.ndarray, k: int) -> np.ndarray:
    """``[n+1, k]``: each customer's k nearest other customers (row 0 unused)."""
    n = dist.shape[0] - 1
    k = max(1, min(k, n - 1))
    d = dist.copy()
    d[:, 0] = np.inf
    np.fill_diagonal(d, np.inf)
    return np.ascontiguousarray(np.argsort(d, axis=1, kind="stable")[:, :k], dtype=np.int64)


@BASELINES.register("ils", aliases=("ruin_recreate",))
def iterated_local_search(
    instance: CVRPInstance,
    *,
    seed: Any = None,
    iterations: int = 500,
    max_remove: int = 10,
    init: str = "savings",
) -> np.ndarray:
    """Ruin-and-recreate iterated local search; same seed, same solution."""
    rng = as_rng(seed)
    n = instance.n
    if n < 3:
        return local_search(instance, init=init)
    kmax = max(2, min(max_remove, n))
    noise = rng.random((int(iterations), 2 + kmax))
    routes, lens = K.giant_to_routes(BASELINES.get(init)(instance), n)
    neigh = customer_neighbours(instance.dist, kmax)
    best_r, best_l = K.ruin_recreate(*_args(instance), routes, lens, neigh, noise)
    return K.routes_to_giant(best_r, best_l)


@BASELINES.register("exact", aliases=("dp",))
def exact(instance: CVRPInstance, *, seed: Any = None, max_n: int = EXACT_MAX_N) -> np.ndarray:
    """Optimal solution by subset DP: O(2^n n^2 + 3^n) time, 17 * 2^n * n bytes."""
    n = instance.n
    if n > max_n:
        raise InstanceTooLargeError(
            f"the exact CVRP DP is limited to n <= {max_n} customers (this instance has {n}); "
            "use 'ils' or pass max_n=... (time grows as 3^n)"
        )
    if n > 30:
        raise InstanceTooLargeError("the exact CVRP DP cannot index more than 30 customers")
    return K.exact_dp(*_args(instance))


def solve(instance: CVRPInstance, name: str = "ls", **options: Any) -> np.ndarray:
    return BASELINES.get(name)(instance, **options)
