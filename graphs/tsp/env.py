"""`aerena/TSP-v0`: build a TSP tour one node at a time (Gymnasium `Env`).

    env = gymnasium.make("aerena/TSP-v0", num_nodes=20, generator="uniform")
    obs, info = env.reset(seed=0)                     # or options={"instance": inst}
    obs, reward, terminated, truncated, info = env.step(action)

The tour starts at node 0; each step appends an unvisited node. With N = `max_nodes`
(default `num_nodes`; smaller instances are zero-padded)::

    Dict({
        "coords":      Box(0, 1, (N, 2), float32)  coordinates scaled into the unit square
        "node_mask":   Box(0, 1, (N,), int8)       1 for real nodes
        "visited":     Box(0, 1, (N,), int8)
        "current":     Box(0, N-1, (1,), int64)    last node of the partial tour
        "action_mask": Box(0, 1, (N,), int8)       unvisited real nodes
        "dist":        Box(0, 1, (N, N), float32)  only with obs_distances=True:
                                                   distances / the largest distance
    })

Action: `Discrete(N)`, the next node. Reward: minus the length of the edge added; the
last step also adds the edge back to node 0, so the episode return is exactly minus the
tour length (`info["objective"]` at the end, with `info["solution"]`). Explicit-matrix
instances (no coordinates) have zero "coords": use `obs_distances=True`. The episode
terminates after n - 1 steps; it is never truncated. Masked actions: see
:mod:`aerena.graphs.common.envbase`.

Version v0.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from aerena.graphs.common.envbase import (
    ConstructiveEnv,
    float_box,
    index_box,
    pad,
    scaled_coords,
    unit_box,
)
from aerena.graphs.tsp.generators import GENERATORS
from aerena.graphs.tsp.instance import TSPInstance
from aerena.graphs.tsp.objective import tour_length


class TSPEnv(ConstructiveEnv):
    problem = "tsp"
    generators = GENERATORS

    def __init__(
        self,
        num_nodes: int = 20,
        generator: str = "uniform",
        generator_kwargs: dict[str, Any] | None = None,
        max_nodes: int | None = None,
        obs_distances: bool = False,
        invalid_action: str = "repair",
        render_mode: str | None = None,
    ) -> None:
        kw = {"num_nodes": num_nodes, **(generator_kwargs or {})}
        super().__init__(generator, kw, invalid_action, render_mode)
        self.N = int(max_nodes or kw["num_nodes"])
        if self.N < 2:
            raise ValueError("max_nodes must be >= 2")
        self.obs_distances = bool(obs_distances)
        N = self.N
        spaces = {
            "coords": float_box((N, 2), 0.0, 1.0),
            "node_mask": unit_box((N,)),
            "visited": unit_box((N,)),
            "current": index_box((1,), N - 1),
            "action_mask": unit_box((N,)),
        }
        if self.obs_distances:
            spaces["dist"] = float_box((N, N), 0.0, 1.0)
        self.observation_space = gym.spaces.Dict(spaces)
        self.action_space = gym.spaces.Discrete(N)

    def _check_instance(self, instance: Any) -> None:
        if not isinstance(instance, TSPInstance):
            raise TypeError(f"expected a TSPInstance, got {type(instance).__name__}")
        if instance.n > self.N:
            raise ValueError(f"instance has {instance.n} nodes > max_nodes={self.N}")

    def _start(self) -> None:
        inst = self.instance
        n = inst.n
        c, _ = scaled_coords(inst.coords, n)
        scale = float(inst.dist.max()) or 1.0
        self._coords = pad(c, (self.N, 2), np.float32)
        self._node_mask = pad(np.ones(n), (self.N,), np.int8)
        if self.obs_distances:
            self._dist = pad(inst.dist / scale, (self.N, self.N), np.float32)
        self._visited = np.zeros(self.N, dtype=np.int8)
        self._visited[0] = 1
        self._tour = [0]

    def _mask(self) -> np.ndarray:
        return (self._node_mask & (1 - self._visited)).astype(np.int8)

    def _apply(self, a: int) -> tuple[float, bool]:
        d = self.instance.dist
        cur = self._tour[-1]
        reward = -float(d[cur, a])
        self._tour.append(a)
        self._visited[a] = 1
        done = len(self._tour) == self.instance.n
        if done:
            reward -= float(d[a, self._tour[0]])
        return reward, done

    def _obs(self) -> dict[str, np.ndarray]:
        obs = {
            "coords": self._coords.copy(),
            "node_mask": self._node_mask.copy(),
            "visited": self._visited.copy(),
            "current": np.array([self._tour[-1]], dtype=np.int64),
            "action_mask": self._mask(),
        }
        if self.obs_distances:
            obs["dist"] = self._dist.copy()
        return obs

    def solution(self) -> np.ndarray:
        return np.asarray(self._tour, dtype=np.int64)

    def objective_value(self) -> float:
        return float(tour_length(self.instance.dist, self.solution()))
