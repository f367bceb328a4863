"""`aerena/MaxCut-v0`: grow one side S of a cut node by node (Gymnasium `Env`).

    env = gymnasium.make("aerena/MaxCut-v0", num_nodes=20, generator="ba",
                         generator_kwargs={"m": 4})
    obs, info = env.reset(seed=0)                     # or options={"instance": inst}

All nodes start outside S; each step moves one node into S, or stops (S2V-DQN style).
With N = `max_nodes` (default `num_nodes`) and E = `max_edges`::

    Dict({
        "node_features": Box(-1, 1, (N, 3), float32)  [in S, weighted degree / W,
                                                cut gain of adding the node / W],
                                               W = max weighted degree
        "selected":      Box(0, 1, (N,), int8)   in S
        "node_mask":     Box(0, 1, (N,), int8)
        "edge_index":    Box(0, N-1, (2, 2E), int64)  both directions, zero-padded
        "edge_weight":   Box(-1, 1, (2E,), float32)  weight / max |weight|
        "edge_mask":     Box(0, 1, (2E,), int8)
        "action_mask":   Box(0, 1, (N + 1,), int8)  nodes not in S; the last entry (stop)
                                                    is always valid
    })

Action: `Discrete(N + 1)`: a node index adds it to S, N stops. Reward: the change of the
cut weight (may be negative), so the return is exactly the final cut weight
(`info["objective"]`, and the 0/1 side vector `info["solution"]`, at the end). Terminates
on stop or when every node is in S; never truncated. Masked actions: see
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
from aerena.graphs.maxcut.generators import GENERATORS
from aerena.graphs.maxcut.instance import MaxCutInstance
from aerena.graphs.maxcut.objective import cut_value


class MaxCutEnv(ConstructiveEnv):
    problem = "maxcut"
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
                "node_features": float_box((N, 3), -1.0, 1.0),
                "selected": unit_box((N,)),
                "node_mask": unit_box((N,)),
                "edge_index": index_box((2, 2 * E), N - 1),
                "edge_weight": float_box((2 * E,), -1.0, 1.0),
                "edge_mask": unit_box((2 * E,)),
                "action_mask": unit_box((N + 1,)),
            }
        )
        self.action_space = gym.spaces.Discrete(N + 1)

    def _check_instance(self, instance: Any) -> None:
        if not isinstance(instance, MaxCutInstance):
            raise TypeError(f"expected a MaxCutInstance, got {type(instance).__name__}")
        if instance.n > self.N:
            raise ValueError(f"instance has {instance.n} nodes > max_nodes={self.N}")
        if instance.graph.m > self.E:
            raise ValueError(f"instance has {instance.graph.m} edges > max_edges={self.E}")

    def _start(self) -> None:
        g = self.instance.graph
        self._indptr, self._nbr, self._w = g.csr()
        wmax = float(np.abs(g.weights).max(initial=0.0)) or 1.0
        self._ei, self._ew, self._emask = graph_arrays(g.edges, g.weights / wmax, self.E)
        self._node_mask = pad(np.ones(g.n), (self.N,), np.int8)
        self._selected = np.zeros(self.N, dtype=np.int8)
        wdeg = np.zeros(g.n)
        np.add.at(wdeg, np.repeat(np.arange(g.n), np.diff(self._indptr)), np.abs(self._w))
        self._wdeg = wdeg
        self._W = float(wdeg.max(initial=0.0)) or 1.0
        # gain of moving v into S: edges to nodes outside S become cut, to S uncut
        self._gain = np.zeros(g.n)
        np.add.at(self._gain, np.repeat(np.arange(g.n), np.diff(self._indptr)), self._w)
        self._stopped = False

    def _mask(self) -> np.ndarray:
        n = self.instance.n
        mask = np.zeros(self.N + 1, dtype=np.int8)
        mask[:n] = 1 - self._selected[:n]
        mask[self.N] = 1
        return mask

    def _apply(self, a: int) -> tuple[float, bool]:
        if a == self.N:
            self._stopped = True
            return 0.0, True
        reward = float(self._gain[a])
        self._selected[a] = 1
        self._gain[a] = -self._gain[a]
        for k in range(self._indptr[a], self._indptr[a + 1]):
            u = self._nbr[k]
            if self._selected[u]:
                self._gain[u] += 2.0 * self._w[k]
            else:
                self._gain[u] -= 2.0 * self._w[k]
        return reward, bool(self._selected[: self.instance.n].all())

    def _obs(self) -> dict[str, np.ndarray]:
        n = self.instance.n
        feats = np.zeros((self.N, 3), dtype=np.float32)
        feats[:n, 0] = self._selected[:n]
        feats[:n, 1] = self._wdeg / self._W
        gain = np.clip(self._gain / self._W, -1.0, 1.0)
        feats[:n, 2] = np.where(self._selected[:n] == 1, 0.0, gain)
        return {
            "node_features": feats,
            "selected": self._selected.copy(),
            "node_mask": self._node_mask.copy(),
            "edge_index": self._ei.copy(),
            "edge_weight": self._ew.copy(),
            "edge_mask": self._emask.copy(),
            "action_mask": self._mask(),
        }

    def solution(self) -> np.ndarray:
        return self._selected[: self.instance.n].astype(np.int8)

    def objective_value(self) -> float:
        g = self.instance.graph
        return float(cut_value(g.edges, g.weights, self.solution()))
