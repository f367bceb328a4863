"""`aerena/WTA-v0`: assign weapons to targets one weapon at a time (Gymnasium `Env`).

    env = gymnasium.make("aerena/WTA-v0", num_weapons=10, num_targets=10)
    obs, info = env.reset(seed=0)                     # or options={"instance": inst}

Weapons are assigned in index order 0, 1, ..., m-1; each step picks the target of the
current weapon. With M = `max_weapons`, T = `max_targets` (defaults: the generator's
sizes; smaller instances are zero-padded)::

    Dict({
        "kill_prob":   Box(0, 1, (M, T), float32)
        "values":      Box(0, 1, (T,), float32)   value / max value
        "surviving":   Box(0, 1, (T,), float32)   expected surviving value / max value
        "assigned":    Box(-1, T-1, (M,), int64)  target of each weapon, -1 if none yet
        "weapon_mask": Box(0, 1, (M,), int8)
        "target_mask": Box(0, 1, (T,), int8)
        "current":     Box(0, M-1, (1,), int64)   the weapon to assign now
        "action_mask": Box(0, 1, (T,), int8)      the real targets
    })

Action: `Discrete(T)`, the current weapon's target. Reward: the expected value it destroys,
``surviving_j * p_ij``, so the return is ``sum(values) - objective``: minus the expected
surviving value up to the instance constant ``sum(values)`` (`info["objective"]` and the
assignment `info["solution"]` at the end). Terminates when every weapon is assigned; never
truncated. Masked actions: see :mod:`aerena.graphs.common.envbase`.

Version v0.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from aerena.graphs.common.envbase import ConstructiveEnv, float_box, index_box, pad, unit_box
from aerena.graphs.wta.generators import GENERATORS
from aerena.graphs.wta.instance import WTAInstance
from aerena.graphs.wta.objective import surviving_value


class WTAEnv(ConstructiveEnv):
    problem = "wta"
    generators = GENERATORS

    def __init__(
        self,
        num_weapons: int = 10,
        num_targets: int = 10,
        generator: str = "uniform",
        generator_kwargs: dict[str, Any] | None = None,
        max_weapons: int | None = None,
        max_targets: int | None = None,
        invalid_action: str = "repair",
        render_mode: str | None = None,
    ) -> None:
        kw = {"num_weapons": num_weapons, "num_targets": num_targets, **(generator_kwargs or {})}
        super().__init__(generator, kw, invalid_action, render_mode)
        self.M = int(max_weapons or kw["num_weapons"])
        self.T = int(max_targets or kw["num_targets"])
        M, T = self.M, self.T
        self.observation_space = gym.spaces.Dict(
            {
                "kill_prob": float_box((M, T), 0.0, 1.0),
                "values": float_box((T,), 0.0, 1.0),
                "surviving": float_box((T,), 0.0, 1.0),
                "assigned": index_box((M,), T - 1, low=-1),
                "weapon_mask": unit_box((M,)),
                "target_mask": unit_box((T,)),
                "current": index_box((1,), M - 1),
                "action_mask": unit_box((T,)),
            }
        )
        self.action_space = gym.spaces.Discrete(T)

    def _check_instance(self, instance: Any) -> None:
        if not isinstance(instance, WTAInstance):
            raise TypeError(f"expected a WTAInstance, got {type(instance).__name__}")
        if instance.m > self.M or instance.n > self.T:
            raise ValueError(
                f"instance has {instance.m} weapons / {instance.n} targets > "
                f"max_weapons={self.M} / max_targets={self.T}"
            )

    def _start(self) -> None:
        inst = self.instance
        self._vmax = float(inst.values.max(initial=0.0)) or 1.0
        self._p = pad(inst.kill_prob, (self.M, self.T), np.float32)
        self._values = pad(inst.values / self._vmax, (self.T,), np.float32)
        self._wmask = pad(np.ones(inst.m), (self.M,), np.int8)
        self._tmask = pad(np.ones(inst.n), (self.T,), np.int8)
        self._surv = inst.values.astype(np.float64).copy()
        self._assigned = np.full(self.M, -1, dtype=np.int64)
        self._cur = 0

    def _mask(self) -> np.ndarray:
        return self._tmask.copy()

    def _apply(self, j: int) -> tuple[float, bool]:
        p = float(self.instance.kill_prob[self._cur, j])
        reward = float(self._surv[j] * p)
        self._surv[j] *= 1.0 - p
        self._assigned[self._cur] = j
        self._cur += 1
        return reward, self._cur == self.instance.m

    def _obs(self) -> dict[str, np.ndarray]:
        return {
            "kill_prob": self._p.copy(),
            "values": self._values.copy(),
            "surviving": pad(self._surv / self._vmax, (self.T,), np.float32),
            "assigned": self._assigned.copy(),
            "weapon_mask": self._wmask.copy(),
            "target_mask": self._tmask.copy(),
            "current": np.array([min(self._cur, self.instance.m - 1)], dtype=np.int64),
            "action_mask": self._mask(),
        }

    def solution(self) -> np.ndarray:
        return self._assigned[: self.instance.m].copy()

    def objective_value(self) -> float:
        inst = self.instance
        return float(surviving_value(inst.kill_prob, inst.values, self.solution()))
