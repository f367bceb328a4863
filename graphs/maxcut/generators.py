"""Seeded MaxCut generators: `er`, `ba`, `ws` graphs with `unit`, `uniform` ([0, 1)) or
`signed` (+-1) edge weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.graphs.common.graph import Graph, random_graph
from aerena.graphs.common.registry import Registry, as_rng
from aerena.graphs.maxcut.instance import MaxCutInstance

GENERATORS: Registry = Registry("MaxCut generator")


def _make(kind: str):
    def gen(
        seed: Any = None, num_nodes: int = 20, weights: str = "unit", **params: Any
    ) -> MaxCutInstance:
        rng = as_rng(seed)
        e = random_graph(rng, kind, num_nodes, **params)
        if weights == "unit":
            w = np.ones(e.shape[0])
        elif weights == "uniform":
            w = rng.random(e.shape[0])
        elif weights == "signed":
            w = rng.choice(np.array([-1.0, 1.0]), size=e.shape[0])
        else:
            raise ValueError(f"weights must be 'unit', 'uniform' or 'signed', got {weights!r}")
        return MaxCutInstance(Graph.from_edges(num_nodes, e, w), name=f"{kind}{num_nodes}")

    gen.__doc__ = f"`{kind}` graph on `num_nodes` nodes with `weights` edge weights."
    return gen


for _kind in ("er", "ba", "ws"):
    GENERATORS.register(_kind, _make(_kind))


def generate(name: str, seed: Any = None, **params: Any) -> MaxCutInstance:
    return GENERATORS.get(name)(seed, **params)
