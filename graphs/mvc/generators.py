"""Seeded MVC generators: Erdos-Renyi (`er`), Barabasi-Albert (`ba`), Watts-Strogatz
(`ws`) graphs, unit or uniform node weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.graphs.common.graph import Graph, random_graph
from aerena.graphs.common.registry import Registry, as_rng
from aerena.graphs.mvc.instance import MVCInstance

GENERATORS: Registry = Registry("MVC generator")


def _make(kind: str):
    def gen(
        seed: Any = None,
        num_nodes: int = 20,
        node_weights: str = "unit",
        **params: Any,
    ) -> MVCInstance:
        rng = as_rng(seed)
        g = Graph.from_edges(num_nodes, random_graph(rng, kind, num_nodes, **params))
        if node_weights == "unit":
            w = None
        elif node_weights == "uniform":
            w = rng.integers(1, 11, size=num_nodes).astype(np.float64)
        else:
            raise ValueError(f"node_weights must be 'unit' or 'uniform', got {node_weights!r}")
        return MVCInstance(g, w, name=f"{kind}{num_nodes}")

    gen.__doc__ = (
        f"`{kind}` graph on `num_nodes` nodes (params: p for er, m for ba, k and rewire for "
        "ws); node_weights 'unit' or 'uniform' (integers 1..10)."
    )
    return gen


for _kind in ("er", "ba", "ws"):
    GENERATORS.register(_kind, _make(_kind))


def generate(name: str, seed: Any = None, **params: Any) -> MVCInstance:
    return GENERATORS.get(name)(seed, **params)
