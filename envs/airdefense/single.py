"""`aerena/AirDefense-v2`: one commander controls every unit of one side (Gymnasium `Env`).

    env = gymnasium.make("aerena/AirDefense-v2", scenario="strike_small", side="defender",
                         opponent="scripted")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

The other side is played by `make_player(other_side, opponent, world)` (`"scripted"` or
`"random"`). Seeds follow :mod:`aerena.seeding`: `reset(seed=S)` plays episode 0 of S, each
`reset()` without a seed the next one (world seed `aerena.episode_seed(S, e) = S + e`, the
opponent seeded `player_seed(S, its side)`), so episode e is the one `aerena rollout --seed
S` plays with the same players; `info["episode_seed"]` and `info["episode"]` say which.

Observation: the side's n agents stacked (same features as the PettingZoo env card in
:mod:`aerena.envs.airdefense.parallel`)::

    Dict({
        "self":        Box(n, 27)      float32
        "entities":    Box(n, K, 25)   float32
        "entity_mask": Box(0, 1, (n, K), int8)
        "action_mask": Box(0, 1, (n, AMAX), int8)   AMAX = max(54, 1 + K)
        "agent_alive": Box(0, 1, (n,), int8)
    })

Rows of agents that are not alive (not launched yet, or lost) are zero, with an empty
action mask. Action: `MultiDiscrete([action count of each agent])` -- attacker: 54 per
UAV; defender: 1 + K per launcher, then 2 per radar. `env.action_masks()` is the mask in
sb3-contrib's form (`MaskablePPO` uses it as is): bool [sum(nvec)], each agent's row of
`action_mask` cut to its action count and concatenated; an agent that is not alive allows
only its no-op. The per-agent factorisation is exact (one dimension is one agent's whole
action; see :mod:`aerena.envs.airdefense.forms`). Actions of agents that are not alive
are ignored; masked actions are carried out as the agent's no-op and counted in
`info["invalid_actions"]`. Reward: the side's team reward (see the env card). The episode
terminates when every asset is destroyed or the attacker has nothing left to fly, and is
truncated after `episode.max_steps`; every step's info holds the episode's tallies so far
(final in the last step) as scalar `"outcome/<field>"` entries
(:func:`aerena.envs.airdefense.forms.flat_outcome`).

Rendering: `render_mode="ansi"` (text), `"rgb_array"` ([H, W, 3] uint8, `env.render_size`)
or `"human"` (a pygame window, drawn after every step) -- the picture modes use the replay
viewer's renderer (see :mod:`aerena.envs.airdefense.parallel`).

Version v2 (the PettingZoo env's version, see its env card).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces as gspaces

from aerena.envs.airdefense import spaces as Sp
from aerena.envs.airdefense.forms import flat_outcome, multidiscrete_mask
from aerena.envs.airdefense.parallel import (
    PICTURE_MODES,
    RENDER_MODES,
    check_render_mode,
    make_live_view,
    render_ansi,
)
from aerena.envs.airdefense.world import World
from aerena.seeding import episode_seed, next_episode, player_seed

SIDES = ("attacker", "defender")
OPPONENTS = ("scripted", "random")


class AirDefenseSingleEnv(gym.Env):
    """One side of the air-defence world as a single-agent Gymnasium env."""

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 10}

    def __init__(
        self,
        scenario: Any = "strike_small",
        side: str = "defender",
        opponent: str = "scripted",
        seed: int | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        if side not in SIDES:
            raise ValueError(f"unknown side {side!r}: expected one of {', '.join(SIDES)}")
        if opponent not in OPPONENTS:
            raise ValueError(
                f"unknown opponent {opponent!r}: expected one of {', '.join(OPPONENTS)}"
            )
        self.render_mode = check_render_mode(render_mode)
        from aerena.agents.scripted import side_columns

        self.world = World(scenario, 1, **overrides)
        w = self.world
        self.side = side
        self.other = SIDES[1 - SIDES.index(side)]
        self.opponent_kind = opponent
        self._side_idx = SIDES.index(side)
        self.cols = side_columns(w, side)
        self.other_cols = side_columns(w, self.other)
        if len(self.cols) == 0:
            raise ValueError(f"scenario {w.scenario.name!r} has no {side} agents")
        self.agent_names = [w.agent_names[n] for n in self.cols]
        bounds = Sp.compute_bounds(w)
        self.observation_space = Sp.stacked_observation_space(
            bounds, w.static.k, len(self.cols), w.action_width
        )
        self.action_space = gspaces.MultiDiscrete(w.action_sizes[self.cols].astype(np.int64))
        self._init_seed = seed
        self._act = np.zeros((1, w.sizes["N"]), dtype=np.int64)
        self._noop = Sp.noop_actions(w)
        self.opponent: Any = None
        self.base_seed: int | None = None  # S of aerena.seeding: episode e plays S + e
        self.episode = -1
        self.episode_seed: int | None = None
        self.render_size = (1024, 640)
        self._view: Any = None  # aerena.viz.live.LiveView for the picture modes

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        self.base_seed, self.episode = next_episode(
            self.base_seed, self.episode, seed, self._init_seed
        )
        super().reset(seed=self.base_seed if self.episode == 0 else None)
        self.episode_seed = world_seed = episode_seed(self.base_seed, self.episode)
        self.world.reset([world_seed])
        from aerena.agents.scripted import make_player

        opponent_seed = player_seed(self.base_seed, self.other)
        self.opponent = make_player(self.other, self.opponent_kind, self.world, seed=opponent_seed)
        self.opponent.reset()
        self._view_sync(new_episode=True)
        if self.render_mode == "human":
            self.render()
        info = {"episode_seed": world_seed, "episode": self.episode}
        return Sp.stacked_obs(self.world, 0, self.cols), info

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        if self.opponent is None:
            raise RuntimeError("call reset() before step()")
        a = np.asarray(action)
        if a.shape != self.action_space.shape or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(
                f"action must be integers of shape {self.action_space.shape} "
                f"({self.action_space}), got {a.dtype} {a.shape}"
            )
        s = self.world.state
        alive = s.agent_alive[0, self.cols]
        bad = alive & ((a < 0) | (a >= self.action_space.nvec))
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"action {int(a[j])} for agent {self.agent_names[j]!r} is outside its space "
                f"Discrete({int(self.action_space.nvec[j])})"
            )
        act = self._act[0]
        act[:] = self._noop
        act[self.cols] = np.where(alive, a, self._noop[self.cols])
        act[self.other_cols] = self.opponent.act()[0]
        self.world.step(self._act)
        self._view_sync()
        reward = float(s.reward[0, self._side_idx])
        terminated = bool(s.terminated[0])
        truncated = bool(s.truncated[0])
        info: dict[str, Any] = {
            "invalid_actions": int(s.invalid[0, self.cols].sum()),
            "opponent_reward": float(s.reward[0, 1 - self._side_idx]),
        }
        info.update(flat_outcome(self.world.outcome(0)))
        if self.render_mode == "human":
            self.render()
        return Sp.stacked_obs(self.world, 0, self.cols), reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """The sb3-contrib mask of `action_space`: bool [sum(nvec)], each agent's allowed
        actions concatenated in `agent_names` order; an agent that is not alive allows only
        its no-op (exact, see :mod:`aerena.envs.airdefense.forms`)."""
        if self.opponent is None:
            raise RuntimeError("call reset() before action_masks()")
        m = self.world.state.act_mask[0, self.cols]
        return multidiscrete_mask(m, self.action_space.nvec, self._noop[self.cols])

    def _view_sync(self, new_episode: bool = False) -> None:
        """Record the latest step for the picture render modes (no-op otherwise)."""
        if self.render_mode in PICTURE_MODES:
            if self._view is None:
                self._view = make_live_view(self.world, self.render_size, self.metadata)
            self._view.size = tuple(self.render_size)
            if new_episode:
                self._view.restart()
            else:
                self._view.sync()

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; use render_mode='ansi', "
                "'rgb_array' or 'human'"
            )
            return None
        if self.render_mode == "ansi":
            return render_ansi(self.world, 0)
        self._view_sync()
        if self.render_mode == "rgb_array":
            return self._view.rgb_array()
        self._view.show()
        return None

    def close(self) -> None:
        if self._view is not None:
            self._view.close()
