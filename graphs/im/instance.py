"""Influence maximisation instances: a directed graph with one activation probability per arc
(the independent cascade model) and a seed budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aerena.graphs.common.graph import Graph


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True, order="C")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class IMInstance:
    """Choose at most `budget` seed nodes maximising the expected number of nodes the
    independent cascade from them activates.

    `arcs` ``[m, 2]`` int64 ``(u, v)``: an active u activates v with probability ``prob[k]``
    in (0, 1], once, in the step after u became active. Arcs are sorted by (u, v), without
    duplicates or self-loops (:meth:`from_arcs` normalises any list), so the arc list is
    also the out-neighbour CSR: ``out_ptr`` ``[n+1]``. ``in_ptr`` / ``in_arcs`` index the
    arcs by head (the reverse walk of reverse-reachable sets).
    """

    n: int
    arcs: np.ndarray
    prob: np.ndarray
    budget: int
    name: str = "im"
    # derived in __post_init__
    out_ptr: np.ndarray = field(init=False, repr=False)
    in_ptr: np.ndarray = field(init=False, repr=False)
    in_arcs: np.ndarray = field(init=False, repr=False)
    tails: np.ndarray = field(init=False, repr=False)  # arcs[:, 0], contiguous
    heads: np.ndarray = field(init=False, repr=False)  # arcs[:, 1], contiguous

    def __post_init__(self) -> None:
        n = int(self.n)
        arcs = _frozen(np.asarray(self.arcs).reshape(-1, 2), np.int64)
        p = _frozen(np.asarray(self.prob).reshape(-1), np.float64)
        if n < 1:
            raise ValueError(f"an IM instance needs at least one node, got n={n}")
        if p.shape[0] != arcs.shape[0]:
            raise ValueError(f"{arcs.shape[0]} arcs but {p.shape[0]} probabilities")
        if arcs.size and (arcs.min() < 0 or arcs.max() >= n):
            raise ValueError(f"arc endpoint out of range [0, {n})")
        if arcs.size and np.any(arcs[:, 0] == arcs[:, 1]):
            raise ValueError("self-loops are not arcs of a cascade")
        key = arcs[:, 0] * n + arcs[:, 1]
        if key.size and np.any(np.diff(key) <= 0):
            raise ValueError("arcs must be sorted by (u, v) and unique (use IMInstance.from_arcs)")
        if not np.all((p > 0) & (p <= 1)):
            raise ValueError("arc probabilities must be in (0, 1]")
        if not isinstance(self.budget, (int, np.integer)) or not 1 <= int(self.budget) <= n:
            raise ValueError(f"budget must be an integer in [1, {n}], got {self.budget!r}")
        out_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(arcs[:, 0], minlength=n), out=out_ptr[1:])
        order = np.lexsort((arcs[:, 0], arcs[:, 1])).astype(np.int64)
        in_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(arcs[:, 1], minlength=n), out=in_ptr[1:])
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "arcs", arcs)
        object.__setattr__(self, "prob", p)
        object.__setattr__(self, "budget", int(self.budget))
        object.__setattr__(self, "out_ptr", _frozen(out_ptr, np.int64))
        object.__setattr__(self, "in_ptr", _frozen(in_ptr, np.int64))
        object.__setattr__(self, "in_arcs", _frozen(order, np.int64))
        object.__setattr__(self, "tails", _frozen(arcs[:, 0], np.int64))
        object.__setattr__(self, "heads", _frozen(arcs[:, 1], np.int64))

    @property
    def m(self) -> int:
        return int(self.arcs.shape[0])

    def out_degrees(self) -> np.ndarray:
        return np.diff(self.out_ptr)

    def in_degrees(self) -> np.ndarray:
        return np.diff(self.in_ptr)

    @classmethod
    def from_arcs(cls, n: int, arcs: Any, prob: Any, budget: int, name: str = "im") -> IMInstance:
        """Normalise any arc list: drop self-loops, sort by (u, v), keep the first of
        duplicates; `prob` is one number for every arc or one per arc."""
        a = np.asarray(arcs, dtype=np.int64).reshape(-1, 2)
        p = np.broadcast_to(np.asarray(prob, dtype=np.float64), (a.shape[0],)).copy()
        keep = a[:, 0] != a[:, 1]
        a, p = a[keep], p[keep]
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ValueError(f"arc endpoint out of range [0, {n})")
        _, first = np.unique(a[:, 0] * max(int(n), 1) + a[:, 1], return_index=True)
        return cls(int(n), a[first], p[first], budget, name)

    @classmethod
    def from_graph(cls, graph: Graph, prob: Any, budget: int, name: str = "im") -> IMInstance:
        """Both directions of every undirected edge; `prob` is a number or a function of
        the arcs ``[m, 2]`` returning their probabilities."""
        e = graph.edges
        arcs = np.concatenate([e, e[:, ::-1]])
        p = prob(np.asarray(arcs)) if callable(prob) else prob
        return cls.from_arcs(graph.n, arcs, p, budget, name)

    def __repr__(self) -> str:
        return f"IMInstance(name={self.name!r}, n={self.n}, arcs={self.m}, budget={self.budget})"
