"""Minimum vertex cover instances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aerena.graphs.common.graph import Graph


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True, order="C")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class MVCInstance:
    """Minimum (weighted) vertex cover of `graph`; `node_weights` ``[n]`` > 0 (ones when
    unweighted)."""

    graph: Graph
    node_weights: np.ndarray | None = None
    name: str = "mvc"

    def __post_init__(self) -> None:
        w = np.ones(self.graph.n) if self.node_weights is None else self.node_weights
        w = _frozen(w, np.float64)
        if w.shape != (self.graph.n,) or np.any(w <= 0):
            raise ValueError(f"node_weights must be [{self.graph.n}] and positive")
        object.__setattr__(self, "node_weights", w)

    @property
    def n(self) -> int:
        return self.graph.n

    def __repr__(self) -> str:
        return f"MVCInstance(name={self.name!r}, n={self.graph.n}, m={self.graph.m})"
