"""TSP baselines, chosen by name from :data:`BASELINES`.

==============  ==========================================================================
name            method
==============  ==========================================================================
``nearest``     nearest neighbour from node 0, O(n^2)
``insertion``   farthest insertion (cheapest position), O(n^2)
``2opt``        nearest neighbour + 2-opt (neighbour lists, don't-look bits)
``oropt``       nearest neighbour + Or-opt (segments of 1-3 nodes, both orientations)
``ls``          nearest neighbour + 2-opt, then 2-opt and Or-opt together until neither
                improves
``ils``         ``ls`` + segment-local double-bridge kicks (seeded)
``exact``       Held-Karp dynamic programme, n <= 15 unless ``max_n`` is raised
==============  ==========================================================================

Each takes ``(instance, *, seed=None, **options)`` and returns an int64 tour starting at
node 0. With ``neighbours >= n - 1`` the local searches are full 2-opt / Or-opt local
optima; the default of 10 candidates makes n = 1000 take milliseconds.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import aerena.graphs.tsp.kernels as K
from aerena.graphs.common.registry import InstanceTooLargeError, Registry, as_rng
from aerena.graphs.tsp.instance import TSPInstance

BASELINES: Registry = Registry("TSP baseline")

HELD_KARP_MAX_N = 15


def neighbour_lists(dist: np.ndarray, k: int) -> np.ndarray:
    """``[n, k]`` int64: each row's k nearest other nodes, nearest first (ties by index)."""
    n = dist.shape[0]
    k = max(1, min(k, n - 1))
    d = dist.copy()
    np.fill_diagonal(d, np.inf)
    if k < n - 1:
        part = np.argpartition(d, k, axis=1)[:, :k]
        rows = np.take_along_axis(d, part, axis=1)
        order = np.lexsort((part, rows), axis=1)
        return np.ascontiguousarray(np.take_along_axis(part, order, axis=1), dtype=np.int64)
    return np.ascontiguousarray(np.argsort(d, axis=1, kind="stable")[:, :k], dtype=np.int64)


def _start(instance: TSPInstance, init: str) -> np.ndarray:
    if init == "nearest":
        return K.nearest_neighbour(instance.dist, 0)
    if init == "insertion":
        return K.farthest_insertion(instance.dist, 0)
    raise ValueError(f"unknown init {init!r} (known: 'nearest', 'insertion')")


@BASELINES.register("nearest", aliases=("nn", "nearest_neighbour"))
def nearest(instance: TSPInstance, *, seed: Any = None, start: int = 0) -> np.ndarray:
    """Nearest neighbour tour from `start` (rotated to begin at node 0)."""
    return K.rotate_to(K.nearest_neighbour(instance.dist, start), 0)


@BASELINES.register("insertion", aliases=("farthest_insertion",))
def insertion(instance: TSPInstance, *, seed: Any = None, start: int = 0) -> np.ndarray:
    """Farthest insertion from `start`."""
    return K.rotate_to(K.farthest_insertion(instance.dist, start), 0)


def _ls(instance: TSPInstance, use_2opt: bool, use_oropt: bool, neighbours: int, init: str):
    tour = _start(instance, init).copy()
    neigh = neighbour_lists(instance.dist, neighbours)
    everyone = np.arange(instance.n)
    if use_2opt and use_oropt:  # 2-opt first, then both moves: better optima on TSPLIB
        K.local_search(instance.dist, tour, neigh, True, False, everyone)
    K.local_search(instance.dist, tour, neigh, use_2opt, use_oropt, everyone)
    return K.rotate_to(tour, 0)


@BASELINES.register("2opt", aliases=("two_opt",))
def two_opt(
    instance: TSPInstance, *, seed: Any = None, neighbours: int = 10, init: str = "nearest"
) -> np.ndarray:
    """2-opt local search from a nearest-neighbour (or insertion) tour."""
    return _ls(instance, True, False, neighbours, init)


@BASELINES.register("oropt", aliases=("or_opt",))
def or_opt(
    instance: TSPInstance, *, seed: Any = None, neighbours: int = 10, init: str = "nearest"
) -> np.ndarray:
    """Or-opt local search (move 1-3 consecutive nodes elsewhere, either orientation)."""
    return _ls(instance, False, True, neighbours, init)


@BASELINES.register("ls", aliases=("2opt+oropt",))
def two_opt_or_opt(
    instance: TSPInstance, *, seed: Any = None, neighbours: int = 10, init: str = "nearest"
) -> np.ndarray:
    """2-opt to a local optimum, then 2-opt and Or-opt moves in one don't-look-bit queue
    until neither improves."""
    return _ls(instance, True, True, neighbours, init)


@BASELINES.register("ils")
def iterated_local_search(
    instance: TSPInstance,
    *,
    seed: Any = None,
    iterations: int = 1000,
    neighbours: int = 10,
    window: int = 50,
    init: str = "nearest",
) -> np.ndarray:
    """``ls`` then `iterations` double-bridge kicks, each followed by local search from
    the touched nodes; keeps the best tour. Same seed, same tour."""
    rng = as_rng(seed)
    noise = rng.random((int(iterations), 4))
    neigh = neighbour_lists(instance.dist, neighbours)
    tour = K.iterated_local_search(instance.dist, _start(instance, init), neigh, noise, window)
    return K.rotate_to(tour, 0)


POLISH_CHUNK = 64  # ILS kicks between two looks at the clock


def polish(
    instance: TSPInstance,
    tour: np.ndarray,
    *,
    seed: Any = None,
    iterations: int = 0,
    seconds: float | None = None,
    neighbours: int = 10,
    window: int = 50,
) -> np.ndarray:
    """Improve a given tour (a learned one, a construction's): 2-opt to a local optimum,
    2-opt + Or-opt together (neighbour lists, don't-look bits), then double-bridge ILS kicks
    from that tour: `iterations` of them, or as many chunks of :data:`POLISH_CHUNK` as fit
    in `seconds` (whichever is given; both: the first reached). Never longer than `tour`;
    with `iterations` only, same seed, same result."""
    dist = instance.dist
    cur = np.ascontiguousarray(tour, dtype=np.int64).copy()
    if sorted(cur.tolist()) != list(range(instance.n)):
        raise ValueError("polish needs a permutation of the instance's nodes")
    t0 = time.perf_counter()
    neigh = neighbour_lists(dist, neighbours)
    everyone = np.arange(instance.n)
    K.local_search(dist, cur, neigh, True, False, everyone)
    K.local_search(dist, cur, neigh, True, True, everyone)
    rng = as_rng(seed)
    done = 0
    while True:
        left = int(iterations) - done if iterations else POLISH_CHUNK
        if left <= 0 or (seconds is not None and time.perf_counter() - t0 >= seconds):
            break
        if not iterations and seconds is None:
            break
        step = min(left, POLISH_CHUNK)
        cur = K.iterated_local_search(dist, cur, neigh, rng.random((step, 4)), window)
        done += step
    return K.rotate_to(cur, 0)


@BASELINES.register("exact", aliases=("held_karp",))
def held_karp(
    instance: TSPInstance, *, seed: Any = None, max_n: int = HELD_KARP_MAX_N
) -> np.ndarray:
    """Optimal tour by Held-Karp. Time O(2^n n^2), memory 9 * 2^(n-1) * (n-1) bytes: the
    default limit n <= 15 answers in milliseconds; ``max_n=22`` needs ~0.4 GB and seconds."""
    n = instance.n
    if n > max_n:
        raise InstanceTooLargeError(
            f"Held-Karp is limited to n <= {max_n} nodes (this instance has {n}); "
            "use a heuristic ('ils', 'ls') or pass max_n=... knowing it needs "
            f"~{9 * 2.0 ** min(n - 1, 1000) * (n - 1) / 1e9:.3g} GB"
        )
    if n > 128:
        raise InstanceTooLargeError("Held-Karp cannot represent more than 128 nodes")
    return K.held_karp(instance.dist)


def solve(instance: TSPInstance, name: str = "ls", **options: Any) -> np.ndarray:
    """Run the baseline called `name`."""
    return BASELINES.get(name)(instance, **options)
