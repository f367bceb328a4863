"""TSP instances: a symmetric distance matrix, with coordinates when there are any."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aerena.graphs.common.distances import distance_matrix


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True, order="C")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class TSPInstance:
    """A symmetric TSP on nodes ``0..n-1``.

    dist: ``[n, n]`` float64, symmetric, zero diagonal (TSPLIB integer distances are
        stored as whole floats).
    coords: ``[n, 2]`` float64 or None (explicit-matrix instances).
    edge_weight_type: ``"EUC"`` (unrounded Euclidean, generated instances), a TSPLIB
        function type (``"EUC_2D"``, ``"CEIL_2D"``, ``"ATT"``, ``"GEO"``) or ``"EXPLICIT"``.
    """

    dist: np.ndarray
    coords: np.ndarray | None = None
    name: str = "tsp"
    edge_weight_type: str = "EUC"
    comment: str = ""

    def __post_init__(self) -> None:
        d = _frozen(self.dist, np.float64)
        if d.ndim != 2 or d.shape[0] != d.shape[1]:
            raise ValueError(f"dist must be square, got shape {d.shape}")
        if d.shape[0] < 2:
            raise ValueError("a TSP needs at least 2 nodes")
        if not np.all(np.isfinite(d)) or np.any(d < 0):
            raise ValueError("distances must be finite and non-negative")
        if not np.array_equal(d, d.T):
            raise ValueError("only symmetric TSP is supported (dist != dist.T)")
        object.__setattr__(self, "dist", d)
        if self.coords is not None:
            c = _frozen(self.coords, np.float64)
            if c.shape != (d.shape[0], 2):
                raise ValueError(f"coords must be [{d.shape[0]}, 2], got {c.shape}")
            object.__setattr__(self, "coords", c)

    @property
    def n(self) -> int:
        return int(self.dist.shape[0])

    @classmethod
    def from_coords(
        cls, coords: np.ndarray, edge_weight_type: str = "EUC", name: str = "tsp", comment: str = ""
    ) -> TSPInstance:
        c = np.asarray(coords, dtype=np.float64)
        return cls(distance_matrix(c, edge_weight_type), c, name, edge_weight_type.upper(), comment)

    def __repr__(self) -> str:
        return f"TSPInstance(name={self.name!r}, n={self.n}, type={self.edge_weight_type})"
