"""Seeded budgeted maximum coverage generators.

* ``bipartite``: `num_sets` random sets over `num_items` items, set sizes uniform in
  [`min_size`, `max_size`], item weights integers in 1..10 (RL4CO's MCP style).
* ``er``, ``ba``, ``ws``: a random graph on `num_sets` nodes; set v covers the closed
  neighbourhood of node v (items are the nodes); unit item weights by default.

Set costs are ``unit`` (budget = number of sets) or ``uniform`` (1..3, a knapsack-like
budget). The default budget is ``max(1, num_sets // 5)`` times the mean cost.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.graphs.common.graph import Graph, random_graph
from aerena.graphs.common.registry import Registry, as_rng
from aerena.graphs.maxcover.instance import MaxCoverInstance

GENERATORS: Registry = Registry("MaxCover generator")


def _costs_budget(rng, num_sets, costs, budget):
    if costs == "unit":
        c = np.ones(num_sets)
    elif costs == "uniform":
        c = rng.integers(1, 4, size=num_sets).astype(np.float64)
    else:
        raise ValueError(f"costs must be 'unit' or 'uniform', got {costs!r}")
    if budget is None:
        budget = max(1, num_sets // 5) * (1.0 if costs == "unit" else 2.0)
    return c, float(budget)


@GENERATORS.register("bipartite")
def bipartite(
    seed: Any = None,
    num_sets: int = 20,
    num_items: int = 40,
    min_size: int = 2,
    max_size: int = 8,
    budget: float | None = None,
    costs: str = "unit",
    item_weights: str = "uniform",
) -> MaxCoverInstance:
    rng = as_rng(seed)
    hi = min(max_size, num_items)
    sizes = rng.integers(min(min_size, hi), hi + 1, size=num_sets)
    sets = [np.sort(rng.choice(num_items, size=int(k), replace=False)) for k in sizes]
    if item_weights == "uniform":
        w = rng.integers(1, 11, size=num_items).astype(np.float64)
    elif item_weights == "unit":
        w = np.ones(num_items)
    else:
        raise ValueError(f"item_weights must be 'unit' or 'uniform', got {item_weights!r}")
    c, b = _costs_budget(rng, num_sets, costs, budget)
    return MaxCoverInstance.from_sets(sets, w, b, c, name=f"bipartite{num_sets}x{num_items}")


def _make(kind: str):
    def gen(
        seed: Any = None,
        num_sets: int = 20,
        budget: float | None = None,
        costs: str = "unit",
        item_weights: str = "unit",
        **params: Any,
    ) -> MaxCoverInstance:
        rng = as_rng(seed)
        g = Graph.from_edges(num_sets, random_graph(rng, kind, num_sets, **params))
        indptr, nbr, _ = g.csr()
        sets = [np.sort(np.append(nbr[indptr[v] : indptr[v + 1]], v)) for v in range(num_sets)]
        if item_weights == "uniform":
            w = rng.integers(1, 11, size=num_sets).astype(np.float64)
        elif item_weights == "unit":
            w = np.ones(num_sets)
        else:
            raise ValueError(f"item_weights must be 'unit' or 'uniform', got {item_weights!r}")
        c, b = _costs_budget(rng, num_sets, costs, budget)
        return MaxCoverInstance.from_sets(sets, w, b, c, name=f"{kind}{num_sets}")

    gen.__doc__ = f"Closed neighbourhoods of a `{kind}` graph on `num_sets` nodes."
    return gen


for _kind in ("er", "ba", "ws"):
    GENERATORS.register(_kind, _make(_kind))


def generate(name: str, seed: Any = None, **params: Any) -> MaxCoverInstance:
    return GENERATORS.get(name)(seed, **params)
