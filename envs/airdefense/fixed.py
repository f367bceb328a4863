"""Fixed-agent and flat forms of the PettingZoo env, for SuperSuit, SB3, TorchRL and RLlib.

    env = aerena.parallel_env("strike_small", seed=0, fixed_agents=True)
    flat = aerena.wrappers.flatten_parallel(env)            # flat Box observations

:class:`FixedAgentsParallelEnv` (``aerena.parallel_env(..., fixed_agents=True)``): every
possible agent is in `agents` at every step of the episode, from `reset` to its last step
(the form SuperSuit's vector envs, SB3 and PufferLib-style trainers need: no agent joins or
dies). An agent that is not active (a UAV not launched yet, or lost; a destroyed launcher or
radar) gets the all-zero observation with an action mask that allows only its no-op, reward
0, `terminations = truncations = False` until the episode ends, and
``infos[a]["active"] = False``; its action is ignored. Every info has the same keys at every
step (those of the wrapped env -- scalar ``outcome/...`` tallies included,
:func:`aerena.envs.airdefense.forms.flat_outcome` -- plus ``active``). When the episode
ends every agent gets `terminations` (or `truncations`) True and `agents` empties.
Rewards of active agents, spaces, seeding (:mod:`aerena.seeding`), `state()`, `snapshot()`
/ `restore()` are those of the wrapped :class:`AirDefenseParallelEnv` (`env.unwrapped`).

:class:`FlatParallelEnv` (``aerena.wrappers.flatten_parallel(env)``): one observation space
and one action space for every agent (the roles' spaces padded to the largest), so SuperSuit
stacks the agents without `pad_*` wrappers. The observation is ``Box(D,)`` float32::

    [ self (S_DIM = 27) | entities (K * F, row-major) | entity_mask (K) | action_mask (AMAX) ]

``env.mask_slice`` is the action-mask slice (the last AMAX entries; ``AMAX = max(54, 1 + K,
2)``). The action is ``Discrete(AMAX)``: an action at or past the agent's own action count
is carried out as its no-op and flagged in ``infos[a]["invalid_action"]`` (its mask
entries are 0).
``flatten_parallel(env, dict_obs=True)`` keeps a ``Dict({"observations": Box(D - AMAX,),
"action_mask": Box(AMAX,)})`` instead: the form of RLlib's action-masking module and of
TorchRL's ``PettingZooWrapper``. Infos are those of the wrapped env.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces as gspaces
from pettingzoo import ParallelEnv

from aerena.envs.airdefense import spaces as Sp
from aerena.envs.airdefense.forms import flat_outcome, noop_filled
from aerena.envs.airdefense.parallel import AirDefenseParallelEnv


class ParallelWrapper(ParallelEnv):
    """Forwards `state`, `render`, `close` and `unwrapped` to the wrapped `env`."""

    env: Any

    @property
    def unwrapped(self) -> AirDefenseParallelEnv:
        return self.env.unwrapped

    def state(self) -> np.ndarray:
        return self.env.state()

    def render(self) -> Any:
        return self.env.render()

    def close(self) -> None:
        self.env.close()


class FixedAgentsParallelEnv(ParallelWrapper):
    """Every possible agent present at every step (see the module docstring)."""

    def __init__(self, env: AirDefenseParallelEnv) -> None:
        self.env = env
        self.metadata = {**env.metadata, "name": f"{env.metadata['name']}_fixed"}
        self.render_mode = env.render_mode
        self.possible_agents = list(env.possible_agents)
        self._known = set(self.possible_agents)
        self.agents: list[str] = []
        self.state_space = env.state_space
        w = env.world
        self._sizes = [int(x) for x in w.action_sizes]
        self._noop = Sp.noop_actions(w)

    @property
    def world(self) -> Any:
        return self.env.world

    def observation_space(self, agent: str) -> gspaces.Dict:
        return self.env.observation_space(agent)

    def action_space(self, agent: str) -> gspaces.Discrete:
        return self.env.action_space(agent)

    def _all(self, infos: Mapping[str, dict]) -> tuple[dict, dict]:
        """Observations and infos of every possible agent, from the world's arrays."""
        w = self.env.world
        arrays = list(Sp.copy_world_obs(w, 0))
        active = w.state.agent_alive[0]
        outcome = flat_outcome(w.outcome(0))
        arrays[3] = noop_filled(arrays[3], self._noop).astype(np.int8)
        obs, out = {}, {}
        for n, name in enumerate(self.possible_agents):
            obs[name] = Sp.agent_obs(arrays, n, self._sizes[n])
            info = infos.get(name)
            if info is None:  # not active: no invalid action, this episode's tallies
                count = int(w.state.invalid_count[0, n])
                info = {"invalid_action": False, "invalid_actions": count, **outcome}
            info["active"] = bool(active[n])
            out[name] = info
        return obs, out

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        _, infos = self.env.reset(seed=seed, options=options)
        self.agents = list(self.possible_agents)
        return self._all(infos)

    def step(self, actions: Mapping[str, Any]):
        if not self.agents:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        if not isinstance(actions, Mapping):
            raise ValueError(f"actions must be a dict agent -> int, got {type(actions).__name__}")
        # live agents' actions, and unknown names (the wrapped env names them in its error)
        live = set(self.env.agents)
        acts = {a: v for a, v in actions.items() if a in live or a not in self._known}
        _, rew, _, _, infos = self.env.step(acts)
        w = self.env.world
        terminated, truncated = bool(w.state.terminated[0]), bool(w.state.truncated[0])
        obs, infos = self._all(infos)
        names = self.possible_agents
        rewards = {a: float(rew.get(a, 0.0)) for a in names}
        terms = dict.fromkeys(names, terminated)
        truncs = dict.fromkeys(names, truncated and not terminated)
        if terminated or truncated:
            self.agents = []
        return obs, rewards, terms, truncs, infos

    def snapshot(self) -> Any:
        return (self.env.snapshot(), list(self.agents))

    def restore(self, snap: Any) -> None:
        self.env.restore(snap[0])
        self.agents = list(snap[1])


class FlatParallelEnv(ParallelWrapper):
    """One flat observation and action space for all agents (see the module docstring)."""

    def __init__(self, env: ParallelEnv, dict_obs: bool = False) -> None:
        base = env.unwrapped
        if not isinstance(base, AirDefenseParallelEnv):
            raise TypeError(f"flatten_parallel wraps an aerena parallel env, got {type(env)}")
        self.env = env
        self.dict_obs = bool(dict_obs)
        self.metadata = dict(env.metadata)
        self.render_mode = env.render_mode
        self.possible_agents = list(env.possible_agents)
        w = base.world
        self._sizes = {a: int(w.action_sizes[n]) for n, a in enumerate(self.possible_agents)}
        self._noop = dict(zip(self.possible_agents, Sp.noop_actions(w).tolist(), strict=True))
        self.amax = int(w.action_width)
        k, f, s = w.static.k, w.state.obs_ent.shape[3], w.state.obs_self.shape[2]
        self.feature_size = s + k * f + k
        D = self.feature_size + self.amax
        self.mask_slice = slice(self.feature_size, D)
        self._lo, self._hi = self._bounds(base)
        feats = gspaces.Box(self._lo, self._hi, dtype=np.float32)
        mask = gspaces.Box(0, 1, (self.amax,), dtype=np.int8)
        if self.dict_obs:
            self._obs_space: gspaces.Space = gspaces.Dict(
                {"observations": feats, "action_mask": mask}
            )
        else:
            lo = np.concatenate([self._lo, np.zeros(self.amax, np.float32)])
            hi = np.concatenate([self._hi, np.ones(self.amax, np.float32)])
            self._obs_space = gspaces.Box(lo, hi, dtype=np.float32)
        self._act_space = gspaces.Discrete(self.amax)

    def _bounds(self, base: AirDefenseParallelEnv) -> tuple[np.ndarray, np.ndarray]:
        """Feature bounds: the union over the roles' observation spaces."""
        los, his = [], []
        roles = {id(sp): sp for sp in map(base.observation_space, self.possible_agents)}
        for sp in roles.values():
            los.append(self._feature_vec({k: sp[k].low for k in ("self", "entities")}, 0))
            his.append(self._feature_vec({k: sp[k].high for k in ("self", "entities")}, 1))
        return np.min(los, axis=0), np.max(his, axis=0)

    def _feature_vec(self, o: Mapping[str, np.ndarray], mask_value: int) -> np.ndarray:
        k = o["entities"].shape[0]
        return np.concatenate(
            [
                np.asarray(o["self"], np.float32).ravel(),
                np.asarray(o["entities"], np.float32).ravel(),
                np.full(k, mask_value, np.float32)
                if "entity_mask" not in o
                else np.asarray(o["entity_mask"], np.float32),
            ]
        )

    @property
    def agents(self) -> list[str]:  # type: ignore[override]
        return self.env.agents

    def observation_space(self, agent: str) -> gspaces.Space:
        return self._obs_space

    def action_space(self, agent: str) -> gspaces.Discrete:
        return self._act_space

    def flatten(self, agent: str, o: Mapping[str, np.ndarray]) -> Any:
        """One agent's flat observation from its `Dict` observation."""
        feats = self._feature_vec(o, 1)
        mask = np.zeros(self.amax, np.int8)
        mask[: len(o["action_mask"])] = o["action_mask"]
        if self.dict_obs:
            return {"observations": feats, "action_mask": mask}
        return np.concatenate([feats, mask.astype(np.float32)])

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, infos = self.env.reset(seed=seed, options=options)
        return {a: self.flatten(a, o) for a, o in obs.items()}, infos

    def step(self, actions: Mapping[str, Any]):
        acts, past = {}, []
        for a, v in actions.items():
            x, size = np.asarray(v), self._sizes.get(a)
            if size is None or x.size != 1 or not np.issubdtype(x.dtype, np.integer):
                acts[a] = v  # the wrapped env names the unknown agent or the bad action
                continue
            x = int(x.reshape(()))
            if not 0 <= x < self.amax:
                raise ValueError(f"action {x} for agent {a!r} is outside Discrete({self.amax})")
            if x >= size:
                past.append(a)
            acts[a] = x if x < size else self._noop[a]
        obs, rew, terms, truncs, infos = self.env.step(acts)
        for a in past:
            if a in infos:
                infos[a]["invalid_action"] = True
        return {a: self.flatten(a, o) for a, o in obs.items()}, rew, terms, truncs, infos
