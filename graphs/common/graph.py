"""Undirected graphs as plain arrays, and the conversions a solver or a GNN needs.

A :class:`Graph` holds `n` nodes and `m` undirected edges ``edges[k] = (u, v)`` with
``u < v``, sorted and without duplicates or self-loops, plus one float weight per edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Graph:
    """`n` nodes, edges ``[m, 2]`` int64 with ``u < v`` (sorted, unique), weights ``[m]``."""

    n: int
    edges: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        edges = np.asarray(self.edges, dtype=np.int64).reshape(-1, 2)
        weights = np.asarray(self.weights, dtype=np.float64).reshape(-1)
        if weights.shape[0] != edges.shape[0]:
            raise ValueError(f"{edges.shape[0]} edges but {weights.shape[0]} weights")
        if edges.size and (edges.min() < 0 or edges.max() >= self.n):
            raise ValueError(f"edge endpoint out of range [0, {self.n})")
        if edges.size and np.any(edges[:, 0] >= edges[:, 1]):
            raise ValueError("edges must satisfy u < v (use Graph.from_edges to normalise)")
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "edges", _frozen(edges))
        object.__setattr__(self, "weights", _frozen(weights))

    @property
    def m(self) -> int:
        return int(self.edges.shape[0])

    @classmethod
    def from_edges(cls, n: int, edges: Any, weights: Any = None) -> Graph:
        """Normalise any edge list: orient ``u < v``, drop self-loops, merge duplicates.

        Duplicate edges keep the first weight given.
        """
        e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        w = (
            np.ones(e.shape[0], dtype=np.float64)
            if weights is None
            else np.asarray(weights, dtype=np.float64).reshape(-1)
        )
        if w.shape[0] != e.shape[0]:
            raise ValueError(f"{e.shape[0]} edges but {w.shape[0]} weights")
        keep = e[:, 0] != e[:, 1]
        e, w = e[keep], w[keep]
        e = np.sort(e, axis=1)
        key = e[:, 0] * max(int(n), 1) + e[:, 1]
        _, first = np.unique(key, return_index=True)  # sorted by key = (u, v) order
        return cls(int(n), e[first], w[first])

    def degrees(self) -> np.ndarray:
        return np.bincount(self.edges.reshape(-1), minlength=self.n).astype(np.int64)

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indptr [n+1], neighbours [2m], weights [2m])``: both directions of every edge."""
        return csr_from_edges(self.n, self.edges, self.weights)

    def edge_index(self) -> np.ndarray:
        """Directed edge index ``[2, 2m]`` (both directions), the layout GNN libraries read."""
        e = self.edges
        return np.concatenate([e.T, e[:, ::-1].T], axis=1).astype(np.int64)

    def adjacency(self) -> np.ndarray:
        """Dense weighted adjacency ``[n, n]`` float64."""
        a = np.zeros((self.n, self.n), dtype=np.float64)
        a[self.edges[:, 0], self.edges[:, 1]] = self.weights
        a[self.edges[:, 1], self.edges[:, 0]] = self.weights
        return a

    def to_networkx(self) -> Any:
        """A `networkx.Graph` (needs the optional `networkx` package)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        g.add_weighted_edges_from(
            (int(u), int(v), float(w)) for (u, v), w in zip(self.edges, self.weights, strict=True)
        )
        return g

    @classmethod
    def from_networkx(cls, g: Any, weight: str = "weight") -> Graph:
        """From a `networkx.Graph` whose nodes are relabelled 0..n-1 in iteration order."""
        index = {node: i for i, node in enumerate(g.nodes)}
        rows = [(index[u], index[v], float(d.get(weight, 1.0))) for u, v, d in g.edges(data=True)]
        arr = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
        return cls.from_edges(len(index), arr[:, :2].astype(np.int64), arr[:, 2])

    def __repr__(self) -> str:
        return f"Graph(n={self.n}, m={self.m})"


def csr_from_edges(
    n: int, edges: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric CSR adjacency of an undirected edge list (stable neighbour order)."""
    src = np.concatenate([edges[:, 0], edges[:, 1]])
    dst = np.concatenate([edges[:, 1], edges[:, 0]])
    w = np.concatenate([weights, weights])
    order = np.lexsort((dst, src))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[order].astype(np.int64), w[order].astype(np.float64)


# --------------------------------------------------------------------------- generators
# Pure NumPy, seeded by a `numpy.random.Generator`. The same seed gives the same graph on
# every platform (no networkx, no global state).


def erdos_renyi(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """G(n, p): each of the n(n-1)/2 pairs is an edge with probability `p`. Edges ``[m, 2]``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    iu, ju = np.triu_indices(n, k=1)
    keep = rng.random(iu.shape[0]) < p
    return np.stack([iu[keep], ju[keep]], axis=1).astype(np.int64)


def barabasi_albert(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """Preferential attachment: a star on the first m+1 nodes, then each new node links to `m`
    distinct existing nodes drawn with probability proportional to degree."""
    if not 1 <= m < n:
        raise ValueError(f"Barabasi-Albert needs 1 <= m < n, got m={m}, n={n}")
    edges = [(0, v) for v in range(1, m + 1)]
    repeated = [0] * m + list(range(1, m + 1))  # each node once per incident edge end
    for new in range(m + 1, n):
        targets: set[int] = set()
        while len(targets) < m:
            targets.add(repeated[int(rng.integers(len(repeated)))])
        for t in sorted(targets):
            edges.append((t, new))
            repeated.append(t)
            repeated.append(new)
    return np.asarray(edges, dtype=np.int64).reshape(-1, 2)


def watts_strogatz(rng: np.random.Generator, n: int, k: int, p: float) -> np.ndarray:
    """Ring lattice with each node joined to its `k` nearest neighbours (k even), then each
    lattice edge (u, u+j) rewired with probability `p` to (u, w), w uniform, avoiding
    self-loops and duplicates (the Watts-Strogatz procedure, as in networkx)."""
    if k % 2 or not 2 <= k < n:
        raise ValueError(f"Watts-Strogatz needs an even k with 2 <= k < n, got k={k}, n={n}")
    adj: list[set[int]] = [set() for _ in range(n)]
    for j in range(1, k // 2 + 1):
        for u in range(n):
            v = (u + j) % n
            adj[u].add(v)
            adj[v].add(u)
    for j in range(1, k // 2 + 1):
        for u in range(n):
            v = (u + j) % n
            if rng.random() < p and v in adj[u]:
                w = int(rng.integers(n))
                tries = 0
                while (w == u or w in adj[u]) and tries < 4 * n:
                    w = int(rng.integers(n))
                    tries += 1
                if w == u or w in adj[u]:
                    continue  # u is joined to every node: nothing to rewire to
                adj[u].discard(v)
                adj[v].discard(u)
                adj[u].add(w)
                adj[w].add(u)
    rows = [(u, v) for u in range(n) for v in adj[u] if u < v]
    return np.asarray(sorted(rows), dtype=np.int64).reshape(-1, 2)


def random_graph(
    rng: np.random.Generator,
    kind: str,
    n: int,
    *,
    p: float = 0.15,
    m: int = 4,
    k: int = 4,
    rewire: float = 0.1,
) -> np.ndarray:
    """Edges of a random graph of `kind` ``"er"``, ``"ba"`` or ``"ws"``."""
    if kind == "er":
        return erdos_renyi(rng, n, p)
    if kind == "ba":
        return barabasi_albert(rng, n, m)
    if kind == "ws":
        return watts_strogatz(rng, n, k, rewire)
    raise ValueError(f"unknown graph kind {kind!r} (known: 'er', 'ba', 'ws')")


def max_edges_bound(kind: str, n: int, *, p: float = 0.15, m: int = 4, k: int = 4) -> int:
    """An upper bound on the edge count of `kind` graphs on `n` nodes (for padded obs).

    Exact for BA and WS; for ER the mean plus 6 standard deviations (capped at n(n-1)/2).
    """
    full = n * (n - 1) // 2
    if kind == "ba":
        return min(full, m * (n - m))
    if kind == "ws":
        return min(full, n * k // 2)
    if kind == "er":
        mean = p * full
        return int(min(full, np.ceil(mean + 6.0 * np.sqrt(max(mean * (1 - p), 1.0)) + 8)))
    return full


# --------------------------------------------------------------------------- points


def uniform_points(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` points uniform in the unit square, ``[n, 2]`` float64."""
    return rng.random((n, 2))


def clustered_points(
    rng: np.random.Generator, n: int, n_clusters: int = 3, std: float = 0.07
) -> np.ndarray:
    """Gaussian mixture in the unit square: centres uniform in [0.2, 0.8]^2, each point a
    normal offset (`std`) from a uniformly chosen centre, clipped to [0, 1]."""
    centres = rng.uniform(0.2, 0.8, size=(n_clusters, 2))
    which = rng.integers(n_clusters, size=n)
    pts = centres[which] + rng.normal(0.0, std, size=(n, 2))
    return np.clip(pts, 0.0, 1.0)
