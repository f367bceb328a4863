"""MaxCut instances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aerena.graphs.common.graph import Graph


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True, order="C")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class MaxCutInstance:
    """Maximum cut of `graph` with its edge weights (any sign)."""

    graph: Graph
    name: str = "maxcut"

    @property
    def n(self) -> int:
        return self.graph.n

    def __repr__(self) -> str:
        return f"MaxCutInstance(name={self.name!r}, n={self.graph.n}, m={self.graph.m})"
