"""`AirDefenseVectorEnv`: `num_envs` worlds of one scenario in ONE `World`, arrays in and out.

    venv = aerena.vector_env("strike_small", num_envs=64, seed=0)
    obs, info = venv.reset()
    obs, rewards, terminated, truncated, info = venv.step(actions)   # actions int [B, N]

Every agent of every world is a column (B = num_envs worlds, N = `num_agents` agents in
`agent_names` order: UAVs, launchers, radars); one kernel call steps all worlds.

Observations: a dict of arrays over all worlds and agents (features as in the env card of
:mod:`aerena.envs.airdefense.parallel`)::

    "self"        float32 [B, N, 16]
    "entities"    float32 [B, N, K, 24]
    "entity_mask" int8    [B, N, K]
    "action_mask" int8    [B, N, AMAX]   (columns past an agent's action count are 0)
    "agent_alive" int8    [B, N]

With `copy=True` (default) they are fresh copies; with `copy=False` they are zero-copy
views of the world's own buffers (bool arrays viewed as int8), valid until the next
`step` / `reset` -- the fast path for a trainer that consumes them at once.

Actions: int [B, N]; each value must lie in the agent's space (`action_sizes[n]`), also
for agents that are not alive (their actions are ignored: 0 is always fine). Masked
actions are carried out as the no-op and flagged in `info["invalid_action"]` [B, N].

Rewards: float64 [B, N]: every agent alive at the start of the step (the agents that
acted, including those lost in it) gets its side's team reward (`agent_side[n]`: 0
attacker, 1 defender); agents not alive then get 0.

Auto-reset (gymnasium's SAME_STEP mode): a world that terminates or truncates is reset in
the same `step` call. The returned `terminated` / `truncated` [B] flag it, the returned
observation is the new episode's first, and `info` carries, for the finished worlds only:
`"_final_obs"` (bool [B]), `"final_index"` (their indices), `"final_obs"` (the dict above
restricted to those worlds: arrays [n_finished, ...]) and `"final_info"` (a list of
`World.outcome` dicts). `episode_index[b]` counts the episodes world b has started (from
0), `episodes_done[b]` those it finished.

Seeding (:mod:`aerena.seeding`): world b's k-th episode (`episode_index[b]` = k) is episode
`episode_number[b] = b + k * B` of the base seed S, world seed `aerena.episode_seed(S, b + k
* B)` -- the episode `aerena rollout --seed S` plays with that number. `reset(seed=S)`
restarts the count (k = 0 for every world); `reset()` without a seed moves every world to
its next episode. Without any seed, S is drawn from OS entropy at the first reset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces as gspaces
from gymnasium.vector.utils import batch_space

from aerena.envs.airdefense import spaces as Sp
from aerena.envs.airdefense.parallel import agent_sides, render_ansi
from aerena.envs.airdefense.world import World
from aerena.seeding import entropy_seed, episode_seed

OBS_KEYS = ("self", "entities", "entity_mask", "action_mask", "agent_alive")


class AirDefenseVectorEnv:
    """B batched worlds with same-step auto-reset (see the module docstring)."""

    autoreset_mode = "SAME_STEP"
    metadata = {"autoreset_mode": "SAME_STEP", "render_modes": ["ansi"]}

    def __init__(
        self,
        scenario: Any,
        num_envs: int,
        *,
        seed: int | None = None,
        copy: bool = True,
        **overrides: Any,
    ) -> None:
        self.world = World(scenario, int(num_envs), **overrides)
        w = self.world
        self.num_envs = w.num_worlds
        self.agent_names: list[str] = list(w.agent_names)
        self.num_agents = len(self.agent_names)
        self.agent_role = w.agent_role.copy()
        self.agent_side = agent_sides(w)
        self.action_sizes = w.action_sizes.copy()
        self.copy = bool(copy)
        bounds = Sp.compute_bounds(w)
        self.single_observation_space = Sp.stacked_observation_space(
            bounds, w.static.k, self.num_agents, w.action_width
        )
        self.single_action_space = gspaces.MultiDiscrete(self.action_sizes)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = gspaces.MultiDiscrete(np.tile(self.action_sizes, (self.num_envs, 1)))
        self._seed = None if seed is None else int(seed)
        self._started = False
        B, N = self.num_envs, self.num_agents
        self.episode_index = np.zeros(B, dtype=np.int64)
        self.episodes_done = np.zeros(B, dtype=np.int64)
        self._alive_before = np.zeros((B, N), dtype=np.bool_)
        self._rewards = np.zeros((B, N), dtype=np.float64)

    # ------------------------------------------------------------------ API
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        del options
        if seed is not None:
            self._seed = int(seed)
            self.episode_index[:] = 0
        elif self._seed is None:
            self._seed = entropy_seed()
            self.episode_index[:] = 0
        elif self._started:
            self.episode_index += 1
        self._started = True
        self.world.reset([episode_seed(self._seed, int(e)) for e in self.episode_number])
        info = {"episode_index": self.episode_index.copy(), "episode_number": self.episode_number}
        return self._obs(), info

    def step(
        self, actions: np.ndarray
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        w = self.world
        s = w.state
        np.copyto(self._alive_before, s.agent_alive)
        w.step(np.asarray(actions))
        rewards = self._rewards
        np.take(s.reward, self.agent_side, axis=1, out=rewards)
        rewards *= self._alive_before
        terminated = s.terminated.copy()
        truncated = s.truncated.copy()
        info: dict[str, Any] = {"invalid_action": s.invalid.copy()}
        done = terminated | truncated
        if done.any():
            idx = np.flatnonzero(done)
            views = self._views()
            info["_final_obs"] = done
            info["final_index"] = idx
            info["final_obs"] = {k: v[idx] for k, v in views.items()}
            info["final_info"] = [w.outcome(int(b)) for b in idx]
            self.episodes_done[idx] += 1
            self.episode_index[idx] += 1
            seeds = [episode_seed(self._seed, int(self.episode_number[b])) for b in idx]
            w.reset(seeds, worlds=idx)
        return self._obs(), rewards.copy(), terminated, truncated, info

    @property
    def episode_number(self) -> np.ndarray:
        """[B] the episode of the base seed each world plays: b + episode_index[b] * B."""
        return np.arange(self.num_envs) + self.episode_index * self.num_envs

    @property
    def base_seed(self) -> int | None:
        return self._seed

    def _views(self) -> dict[str, np.ndarray]:
        s = self.world.state
        return {
            "self": s.obs_self,
            "entities": s.obs_ent,
            "entity_mask": Sp.as_int8(s.obs_mask),
            "action_mask": Sp.as_int8(s.act_mask),
            "agent_alive": Sp.as_int8(s.agent_alive),
        }

    def _obs(self) -> dict[str, np.ndarray]:
        views = self._views()
        if self.copy:
            return {k: v.copy() for k, v in views.items()}
        return views

    def render(self, b: int = 0) -> str:
        """A text summary of world b."""
        return render_ansi(self.world, b)

    def close(self) -> None:
        pass
