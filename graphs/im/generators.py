"""Seeded IM generators: an undirected random graph (``graph`` = ``ba`` (default), ``er``
or ``ws``, its parameters as for MVC) made directed both ways, with arc probabilities

* ``wc`` -- weighted cascade: p(u -> v) = 1 / in-degree(v) (Kempe, Kleinberg and Tardos);
* ``constant`` -- p(u -> v) = `prob` (default 0.1);
* ``trivalency`` -- p drawn uniformly from {0.1, 0.01, 0.001} per arc;

and a seed budget `budget` (default 5)."""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.graphs.common.graph import Graph, random_graph
from aerena.graphs.common.registry import Registry, as_rng
from aerena.graphs.im.instance import IMInstance

GENERATORS: Registry = Registry("IM generator")
TRIVALENCY = (0.1, 0.01, 0.001)


def _graph(rng: np.random.Generator, graph: str, n: int, params: dict[str, Any]) -> Graph:
    return Graph.from_edges(n, random_graph(rng, graph, n, **params))


@GENERATORS.register("wc")
def weighted_cascade(
    seed: Any = None, num_nodes: int = 50, budget: int = 5, graph: str = "ba", **params: Any
) -> IMInstance:
    """Weighted cascade on a `graph` graph: p(u -> v) = 1 / in-degree(v)."""
    rng = as_rng(seed)
    g = _graph(rng, graph, num_nodes, params)
    indeg = np.maximum(g.degrees(), 1)  # each undirected edge is an arc into both ends
    return IMInstance.from_graph(
        g, lambda arcs: 1.0 / indeg[arcs[:, 1]], budget, name=f"wc-{graph}{num_nodes}"
    )


@GENERATORS.register("constant")
def constant(
    seed: Any = None, num_nodes: int = 50, budget: int = 5, graph: str = "ba",
    prob: float = 0.1, **params: Any,
) -> IMInstance:  # fmt: skip
    """Every arc of a `graph` graph live with probability `prob`."""
    if not 0.0 < float(prob) <= 1.0:
        raise ValueError(f"prob must be in (0, 1], got {prob}")
    rng = as_rng(seed)
    g = _graph(rng, graph, num_nodes, params)
    return IMInstance.from_graph(g, float(prob), budget, name=f"ic{prob:g}-{graph}{num_nodes}")


@GENERATORS.register("trivalency")
def trivalency(
    seed: Any = None, num_nodes: int = 50, budget: int = 5, graph: str = "ba", **params: Any
) -> IMInstance:
    """Each arc's probability uniform in {0.1, 0.01, 0.001}."""
    rng = as_rng(seed)
    g = _graph(rng, graph, num_nodes, params)
    choice = np.asarray(TRIVALENCY)
    return IMInstance.from_graph(
        g, lambda arcs: choice[rng.integers(3, size=arcs.shape[0])], budget,
        name=f"tv-{graph}{num_nodes}",
    )  # fmt: skip


def generate(name: str, seed: Any = None, **params: Any) -> IMInstance:
    return GENERATORS.get(name)(seed, **params)
