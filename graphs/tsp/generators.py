"""Seeded TSP generators (Kool et al. 2019 style): `uniform` and `clustered` unit-square
points with unrounded Euclidean distances."""

from __future__ import annotations

from typing import Any

from aerena.graphs.common.graph import clustered_points, uniform_points
from aerena.graphs.common.registry import Registry, as_rng
from aerena.graphs.tsp.instance import TSPInstance

GENERATORS: Registry = Registry("TSP generator")


@GENERATORS.register("uniform")
def uniform(seed: Any = None, num_nodes: int = 20) -> TSPInstance:
    """`num_nodes` points uniform in the unit square."""
    rng = as_rng(seed)
    return TSPInstance.from_coords(uniform_points(rng, num_nodes), name=f"uniform{num_nodes}")


@GENERATORS.register("clustered")
def clustered(
    seed: Any = None, num_nodes: int = 20, n_clusters: int = 3, std: float = 0.07
) -> TSPInstance:
    """Gaussian clusters in the unit square (see `clustered_points`)."""
    rng = as_rng(seed)
    pts = clustered_points(rng, num_nodes, n_clusters, std)
    return TSPInstance.from_coords(pts, name=f"clustered{num_nodes}")


def generate(name: str, seed: Any = None, **params: Any) -> TSPInstance:
    """One instance from the generator called `name`."""
    return GENERATORS.get(name)(seed, **params)
