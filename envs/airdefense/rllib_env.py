"""`AirDefenseMultiAgentEnv`: the air-defence world as an RLlib `MultiAgentEnv` (new API stack).

    from ray.tune.registry import register_env
    from aerena.envs.airdefense.rllib_env import AirDefenseMultiAgentEnv

    register_env("aerena_airdefense", lambda cfg: AirDefenseMultiAgentEnv(cfg))
    config = PPOConfig().environment("aerena_airdefense",
                                     env_config={"scenario": "strike_small", "seed": 0})

`config` (a dict or RLlib's `EnvContext`) holds `scenario` (default `strike_small`),
`seed`, `render_mode` and any scenario overrides (e.g. `{"episode.max_steps": 300}`).
Under an `EnvContext` the seed is combined with the env runner's `worker_index` and
`vector_index`, so parallel copies play different episodes.

This module imports Ray; nothing in `aerena` imports it, so `import aerena` never does.

Rules it follows (RLlib's new API stack):

* `possible_agents`, and `observation_spaces` / `action_spaces` for all of them, are set in
  `__init__`; `agents` lists the agents alive now (UAVs join when launched).
* `reset` and `step` return observations only for agents that act next, plus the last
  observation of an agent in the step it is lost (`terminateds[a] = True`) or truncated;
  after that an agent receives nothing.
* `terminateds["__all__"]` / `truncateds["__all__"]` say whether the episode ended.
* rewards: an agent's side team reward for each step it acted in; 0 on the step it joins.

Observations, actions and rewards are those of the PettingZoo env, whose card
(:mod:`aerena.envs.airdefense.parallel`) documents them; this class is a thin layer on it.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from ray.rllib.env.multi_agent_env import MultiAgentEnv

from aerena.envs.airdefense.parallel import AirDefenseParallelEnv


def runner_seed(seed: int | None, config: Any) -> int | None:
    """Combine the base seed with the env runner's worker / vector index, if any."""
    if seed is None:
        return None
    worker = getattr(config, "worker_index", None)
    vector = getattr(config, "vector_index", None)
    if worker is None and vector is None:
        return int(seed)
    ss = np.random.SeedSequence([int(seed), int(worker or 0), int(vector or 0)])
    return int(ss.generate_state(1, np.uint64)[0] & np.uint64(2**63 - 1))


class AirDefenseMultiAgentEnv(MultiAgentEnv):
    """RLlib multi-agent env over :class:`AirDefenseParallelEnv` (see the module docstring)."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__()
        cfg = dict(config or {})
        scenario = cfg.pop("scenario", "strike_small")
        seed = runner_seed(cfg.pop("seed", None), config)
        self.render_mode = cfg.pop("render_mode", None)
        self.par_env = AirDefenseParallelEnv(
            scenario, seed=seed, render_mode=self.render_mode, **cfg
        )
        self.metadata = dict(self.par_env.metadata)
        self.possible_agents = list(self.par_env.possible_agents)
        self.agents = []
        self.observation_spaces = dict(self.par_env.observation_spaces)
        self.action_spaces = dict(self.par_env.action_spaces)
        # old-stack style aggregate spaces, for tools that still read them
        self.observation_space = gym.spaces.Dict(self.observation_spaces)
        self.action_space = gym.spaces.Dict(self.action_spaces)

    @property
    def world(self) -> Any:
        return self.par_env.world

    def reset(
        self, *, seed: int | None = None, options: dict | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        obs, infos = self.par_env.reset(seed=seed, options=options)
        self.agents = list(self.par_env.agents)
        # RLlib: an observation means "acts next", so only the agents alive now
        return {a: obs[a] for a in self.agents}, {a: infos[a] for a in self.agents}

    def step(
        self, action_dict: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        obs, rewards, terms, truncs, infos = self.par_env.step(action_dict)
        s = self.par_env.world.state
        terms["__all__"] = bool(s.terminated[0])
        truncs["__all__"] = bool(s.truncated[0])
        self.agents = list(self.par_env.agents)
        return obs, rewards, terms, truncs, infos

    def state(self) -> np.ndarray:
        return self.par_env.state()

    def render(self) -> str | None:  # type: ignore[override]
        return self.par_env.render()

    def close(self) -> None:
        self.par_env.close()
