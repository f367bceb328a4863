"""`aerena/CVRP-v0`: build CVRP routes one visit at a time (Gymnasium `Env`).

    env = gymnasium.make("aerena/CVRP-v0", num_nodes=20, generator="uniform")
    obs, info = env.reset(seed=0)                     # or options={"instance": inst}

The vehicle starts at the depot (node 0) with a full load; each step goes to an unserved
customer that fits in the remaining capacity, or back to the depot (refill). With
N = `max_nodes` (default `num_nodes` + 1, the depot included; smaller instances are
zero-padded)::

    Dict({
        "coords":      Box(0, 1, (N, 2), float32)  scaled into the unit square
        "demand":      Box(0, 1, (N,), float32)    demand / capacity
        "node_mask":   Box(0, 1, (N,), int8)       1 for the depot and real customers
        "visited":     Box(0, 1, (N,), int8)       customers served
        "current":     Box(0, N-1, (1,), int64)    where the vehicle is
        "remaining":   Box(0, 1, (1,), float32)    remaining capacity / capacity
        "action_mask": Box(0, 1, (N,), int8)
    })

Action: `Discrete(N)`, the next node (0 = depot, not allowed from the depot). Reward: minus
the distance driven; once the last customer is served the drive back to the depot is
added, so the return is exactly minus the total length (`info["objective"]` and the giant
tour `info["solution"]` at the end). Terminates when every customer is served; never
truncated. Masked actions: see :mod:`aerena.graphs.common.envbase`.

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
from aerena.graphs.cvrp.generators import GENERATORS
from aerena.graphs.cvrp.instance import CVRPInstance
from aerena.graphs.cvrp.objective import giant_of, giant_tour_length, routes_of

EPS = 1e-9


class CVRPEnv(ConstructiveEnv):
    problem = "cvrp"
    generators = GENERATORS

    def __init__(
        self,
        num_nodes: int = 20,
        generator: str = "uniform",
        generator_kwargs: dict[str, Any] | None = None,
        max_nodes: int | None = None,
        invalid_action: str = "repair",
        render_mode: str | None = None,
    ) -> None:
        kw = {"num_nodes": num_nodes, **(generator_kwargs or {})}
        super().__init__(generator, kw, invalid_action, render_mode)
        self.N = int(max_nodes or kw["num_nodes"] + 1)
        if self.N < 2:
            raise ValueError("max_nodes must be >= 2 (the depot and one customer)")
        N = self.N
        self.observation_space = gym.spaces.Dict(
            {
                "coords": float_box((N, 2), 0.0, 1.0),
                "demand": float_box((N,), 0.0, 1.0),
                "node_mask": unit_box((N,)),
                "visited": unit_box((N,)),
                "current": index_box((1,), N - 1),
                "remaining": float_box((1,), 0.0, 1.0),
                "action_mask": unit_box((N,)),
            }
        )
        self.action_space = gym.spaces.Discrete(N)

    def _check_instance(self, instance: Any) -> None:
        if not isinstance(instance, CVRPInstance):
            raise TypeError(f"expected a CVRPInstance, got {type(instance).__name__}")
        if instance.n + 1 > self.N:
            raise ValueError(f"instance has {instance.n + 1} nodes > max_nodes={self.N}")

    def _start(self) -> None:
        inst = self.instance
        n1 = inst.n + 1
        c, _ = scaled_coords(inst.coords, n1)
        self._coords = pad(c, (self.N, 2), np.float32)
        self._demand = pad(inst.demand / inst.capacity, (self.N,), np.float32)
        self._node_mask = pad(np.ones(n1), (self.N,), np.int8)
        self._visited = np.zeros(self.N, dtype=np.int8)
        self._left = inst.n
        self._cur = 0
        self._rem = float(inst.capacity)
        self._path = [0]

    def _mask(self) -> np.ndarray:
        inst = self.instance
        mask = np.zeros(self.N, dtype=np.int8)
        n1 = inst.n + 1
        fits = inst.demand <= self._rem + EPS
        mask[1:n1] = (self._visited[1:n1] == 0) & fits[1:]
        mask[0] = 1 if self._cur != 0 else 0
        return mask

    def _apply(self, a: int) -> tuple[float, bool]:
        inst = self.instance
        reward = -float(inst.dist[self._cur, a])
        if a == 0:
            self._rem = float(inst.capacity)
        else:
            self._visited[a] = 1
            self._rem -= float(inst.demand[a])
            self._left -= 1
        self._cur = a
        self._path.append(a)
        done = self._left == 0
        if done and a != 0:
            reward -= float(inst.dist[a, 0])
            self._path.append(0)
            self._cur = 0
        return reward, done

    def _obs(self) -> dict[str, np.ndarray]:
        return {
            "coords": self._coords.copy(),
            "demand": self._demand.copy(),
            "node_mask": self._node_mask.copy(),
            "visited": self._visited.copy(),
            "current": np.array([self._cur], dtype=np.int64),
            "remaining": np.array(
                [min(1.0, max(0.0, self._rem / self.instance.capacity))], dtype=np.float32
            ),
            "action_mask": self._mask(),
        }

    def solution(self) -> np.ndarray:
        return giant_of(routes_of(np.asarray(self._path, dtype=np.int64)))

    def objective_value(self) -> float:
        return float(giant_tour_length(self.instance.dist, self.solution()))
