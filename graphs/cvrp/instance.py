"""CVRP instances: one depot (node 0), customers 1..n with demands, one vehicle capacity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aerena.graphs.common.distances import distance_matrix


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True, order="C")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class CVRPInstance:
    """Capacitated VRP with an unlimited fleet of identical vehicles.

    dist: ``[n+1, n+1]`` float64 symmetric, node 0 the depot.
    demand: ``[n+1]`` float64, ``demand[0] == 0``, each ``<= capacity``.
    capacity: vehicle capacity.
    coords: ``[n+1, 2]`` float64 or None.
    num_vehicles: the fleet size a benchmark names (the ``k`` of ``A-n32-k5``), for
        reference only: solutions are not limited to it.
    """

    dist: np.ndarray
    demand: np.ndarray
    capacity: float
    coords: np.ndarray | None = None
    name: str = "cvrp"
    edge_weight_type: str = "EUC"
    comment: str = ""
    num_vehicles: int | None = None

    def __post_init__(self) -> None:
        d = _frozen(self.dist, np.float64)
        q = _frozen(self.demand, np.float64)
        if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] < 2:
            raise ValueError(f"dist must be square with a depot and >= 1 customer, got {d.shape}")
        if not np.array_equal(d, d.T) or np.any(d < 0) or not np.all(np.isfinite(d)):
            raise ValueError("dist must be symmetric, finite and non-negative")
        if q.shape != (d.shape[0],):
            raise ValueError(f"demand must have shape ({d.shape[0]},), got {q.shape}")
        if q[0] != 0:
            raise ValueError("the depot (node 0) must have demand 0")
        cap = float(self.capacity)
        if np.any(q < 0) or np.any(q > cap):
            raise ValueError(f"demands must be in [0, capacity={cap}]")
        object.__setattr__(self, "dist", d)
        object.__setattr__(self, "demand", q)
        object.__setattr__(self, "capacity", cap)
        if self.coords is not None:
            c = _frozen(self.coords, np.float64)
            if c.shape != (d.shape[0], 2):
                raise ValueError(f"coords must be [{d.shape[0]}, 2], got {c.shape}")
            object.__setattr__(self, "coords", c)

    @property
    def n(self) -> int:
        """Number of customers (nodes 1..n)."""
        return int(self.dist.shape[0] - 1)

    @classmethod
    def from_coords(
        cls,
        coords: np.ndarray,
        demand: np.ndarray,
        capacity: float,
        edge_weight_type: str = "EUC",
        name: str = "cvrp",
        **kw,
    ) -> CVRPInstance:
        c = np.asarray(coords, dtype=np.float64)
        return cls(
            distance_matrix(c, edge_weight_type),
            demand,
            capacity,
            c,
            name,
            edge_weight_type.upper(),
            **kw,
        )

    def __repr__(self) -> str:
        return f"CVRPInstance(name={self.name!r}, n={self.n}, capacity={self.capacity:g})"
