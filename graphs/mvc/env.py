"""`aerena/MVC-v0`: build a vertex cover one node at a time (Gymnasium `Env`).

    env = gymnasium.make("aerena/MVC-v0", num_nodes=20, generator="er",
                         generator_kwargs={"p": 0.15})
    obs, info = env.reset(seed=0)                     # or options={"instance": inst}

Each step adds a node that still has an uncovered edge. With N = `max_nodes` (default
`num_nodes`) and E = `max_edges` (default: a bound for the generator, see
`max_edges_bound`)::

    Dict({
        "node_features": Box(0, 1, (N, 3), float32)  [weight / max weight, degree / max degree,
                                                uncovered degree / max degree]
        "selected":      Box(0, 1, (N,), int8)
        "node_mask":     Box(0, 1, (N,), int8)
        "edge_index":    Box(0, N-1, (2, 2E), int64)  both directions, zero-padded
        "edge_mask":     Box(0, 1, (2E,), int8)
        "action_mask":   Box(0, 1, (N,), int8)  unselected nodes with an uncovered edge
    })

Action: `Discrete(N)`. Reward: minus the weight of the node added (-1 when unweighted), so
the return is exactly minus the cover weight (`info["objective"]`, and the 0/1 cover
`info["solution"]`, at the end). Terminates when every edge is covered; never truncated.
An edgeless graph allows any node for one step. Masked actions: see
:mod:`aerena.graphs.common.envbase`.

Version v0.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from aerena.graphs.common.envbase import (
    ConstructiveEnv,
    default_max_edges,
    float_box,
    graph_arrays,
    index_box,
    pad,
    unit_box,
)
from aerena.graphs.mvc.generators import GENERATORS
from aerena.graphs.mvc.instance import MVCInstance
from aerena.graphs.mvc.objective import cover_weight


class MVCEnv(ConstructiveEnv):
    problem = "mvc"
    generators = GENERATORS

    def __init__(
        self,
        num_nodes: int = 20,
        generator: str = "er",
        generator_kwargs: dict[str, Any] | None = None,
        max_nodes: int | None = None,
        max_edges: int | None = None,
        invalid_action: str = "repair",
        render_mode: str | None = None,
    ) -> None:
        kw = {"num_nodes": num_nodes, **(generator_kwargs or {})}
        super().__init__(generator, kw, invalid_action, render_mode)
        self.N = int(max_nodes or kw["num_nodes"])
        self.E = int(max_edges or default_max_edges(self.generator_name, self.N, kw))
        N, E = self.N, self.E
        self.observation_space = gym.spaces.Dict(
            {
                "node_features": float_box((N, 3), 0.0, 1.0),
                "selected": unit_box((N,)),
                "node_mask": unit_box((N,)),
                "edge_index": index_box((2, 2 * E), N - 1),
                "edge_mask": unit_box((2 * E,)),
                "action_mask": unit_box((N,)),
            }
        )
        self.action_space = gym.spaces.Discrete(N)

    def _check_instance(self, instance: Any) -> None:
        if not isinstance(instance, MVCInstance):
            raise TypeError(f"expected an MVCInstance, got {type(instance).__name__}")
        if instance.n > self.N:
            raise ValueError(f"instance has {instance.n} nodes > max_nodes={self.N}")
        if instance.graph.m > self.E:
            raise ValueError(f"instance has {instance.graph.m} edges > max_edges={self.E}")

    def _start(self) -> None:
        g = self.instance.graph
        n = g.n
        self._indptr, self._nbr, _ = g.csr()
        self._deg = g.degrees()
        self._resid = self._deg.copy()
        self._uncovered = g.m
        self._ei, _, self._emask = graph_arrays(g.edges, g.weights, self.E)
        self._node_mask = pad(np.ones(n), (self.N,), np.int8)
        self._selected = np.zeros(self.N, dtype=np.int8)
        w = self.instance.node_weights
        self._wmax = float(w.max())
        self._dmax = float(max(1, self._deg.max(initial=0)))

    def _mask(self) -> np.ndarray:
        n = self.instance.n
        mask = np.zeros(self.N, dtype=np.int8)
        if self._uncovered == 0:  # edgeless graph at reset: any node, one step
            mask[:n] = 1 - self._selected[:n]
        else:
            mask[:n] = (self._selected[:n] == 0) & (self._resid > 0)
        return mask

    def _apply(self, v: int) -> tuple[float, bool]:
        self._selected[v] = 1
        for k in range(self._indptr[v], self._indptr[v + 1]):
            u = self._nbr[k]
            if not self._selected[u]:
                self._resid[u] -= 1
                self._uncovered -= 1
        self._resid[v] = 0
        return -float(self.instance.node_weights[v]), self._uncovered == 0

    def _obs(self) -> dict[str, np.ndarray]:
        n = self.instance.n
        feats = np.zeros((self.N, 3), dtype=np.float32)
        feats[:n, 0] = self.instance.node_weights / self._wmax
        feats[:n, 1] = self._deg / self._dmax
        feats[:n, 2] = self._resid / self._dmax
        return {
            "node_features": feats,
            "selected": self._selected.copy(),
            "node_mask": self._node_mask.copy(),
            "edge_index": self._ei.copy(),
            "edge_mask": self._emask.copy(),
            "action_mask": self._mask(),
        }

    def solution(self) -> np.ndarray:
        return self._selected[: self.instance.n].astype(np.bool_)

    def objective_value(self) -> float:
        return float(cover_weight(self.instance.node_weights, self.solution()))
