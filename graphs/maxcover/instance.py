"""Budgeted maximum coverage instances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True, order="C")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class MaxCoverInstance:
    """Budgeted maximum coverage on a bipartite set-item graph.

    Set s covers items ``set_items[set_ptr[s]:set_ptr[s+1]]`` (CSR, no duplicates in a
    set). Choose sets of total ``set_costs`` <= `budget` covering the most item weight.
    With unit costs and an integer budget k this is the classic "choose k sets" problem.
    """

    set_ptr: np.ndarray
    set_items: np.ndarray
    item_weights: np.ndarray
    budget: float
    set_costs: np.ndarray | None = None
    name: str = "maxcover"

    def __post_init__(self) -> None:
        ptr = _frozen(self.set_ptr, np.int64)
        items = _frozen(self.set_items, np.int64)
        w = _frozen(self.item_weights, np.float64)
        n_sets = ptr.shape[0] - 1
        if n_sets < 1 or ptr[0] != 0 or ptr[-1] != items.shape[0] or np.any(np.diff(ptr) < 0):
            raise ValueError("set_ptr must be a CSR index array starting at 0")
        if items.size and (items.min() < 0 or items.max() >= w.shape[0]):
            raise ValueError(f"set items must be in [0, {w.shape[0]})")
        for s in range(n_sets):
            seg = items[ptr[s] : ptr[s + 1]]
            if np.unique(seg).shape[0] != seg.shape[0]:
                raise ValueError(f"set {s} lists an item twice")
        if np.any(w < 0):
            raise ValueError("item weights must be non-negative")
        c = np.ones(n_sets) if self.set_costs is None else self.set_costs
        c = _frozen(c, np.float64)
        if c.shape != (n_sets,) or np.any(c <= 0):
            raise ValueError(f"set_costs must be [{n_sets}] and positive")
        if not float(self.budget) >= 0:
            raise ValueError("budget must be >= 0")
        object.__setattr__(self, "set_ptr", ptr)
        object.__setattr__(self, "set_items", items)
        object.__setattr__(self, "item_weights", w)
        object.__setattr__(self, "set_costs", c)
        object.__setattr__(self, "budget", float(self.budget))

    @property
    def n_sets(self) -> int:
        return int(self.set_ptr.shape[0] - 1)

    @property
    def n_items(self) -> int:
        return int(self.item_weights.shape[0])

    @classmethod
    def from_sets(cls, sets, item_weights, budget, set_costs=None, name="maxcover"):
        """From a list of item-index lists."""
        lens = [len(s) for s in sets]
        ptr = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum(lens, out=ptr[1:])
        items = np.concatenate([np.asarray(s, dtype=np.int64) for s in sets]) if sets else []
        return cls(ptr, np.asarray(items, dtype=np.int64), item_weights, budget, set_costs, name)

    def sets(self) -> list[np.ndarray]:
        return [self.set_items[self.set_ptr[s] : self.set_ptr[s + 1]] for s in range(self.n_sets)]

    def __repr__(self) -> str:
        return (
            f"MaxCoverInstance(name={self.name!r}, sets={self.n_sets}, items={self.n_items}, "
            f"budget={self.budget:g})"
        )
