"""`aerena_airdefense_v2`: the air-defence world as a PettingZoo `ParallelEnv`.

    env = aerena.parallel_env("strike_small", seed=0)
    obs, infos = env.reset()
    while env.agents:
        actions = {a: policy(obs[a]) for a in env.agents}
        obs, rewards, terminations, truncations, infos = env.step(actions)

A thin adapter over one :class:`~aerena.envs.airdefense.world.World`: it converts dicts to
the world's action array and the world's observation arrays to per-agent dicts.

Agents
------
`possible_agents` lists every agent from the start, in the world's order: the attacker's
UAVs `uav_0 .. uav_{U-1}` (in launch-schedule order), then the defender's launchers
`launcher_0 ..` and radars `radar_0 ..`. `agents` holds the agents alive now:

* a UAV joins `agents` on the step it is launched from its carrier (it appears in that
  step's returned dicts with reward 0; one launched in the episode's last step never
  joins) and leaves when it is killed, crashes (out of fuel), flies off the map or
  delivers its warhead (a UAV whose carrier is lost before its launch never joins);
* a launcher or radar leaves when it is destroyed.

`reset` returns observations and infos for every possible agent (one not alive yet has
the all-zero observation, with an empty action mask; only `agents` act). An agent that
leaves gets its final observation (all zeros: an empty entity and action
mask mark it lost), its reward and `terminations[a] = True` in the step it leaves and is
never seen again. Should no agent be alive while the episode goes on (every launched UAV
and every defence unit lost, more UAVs still waiting), the env advances the world with
no-ops until an agent appears or the episode ends, so `while env.agents:` loops stay right
(`env.skipped_steps` counts these steps; their rewards belong to no agent).

Observation (per agent)
-----------------------
`Dict` of four arrays (bounds computed from the scenario; see
:mod:`aerena.envs.airdefense.spaces`):

* `self`: `Box(27,)` float32 -- the agent's own state
    0. x / map width
    1. y / map height
    2. time / episode length
    3. role is uav
    4. role is launcher
    5. role is radar
    6. height above ground / 1000 m | stock / initial stock | emitting
    7. cos heading | reload left / reload time | hp fraction
    8. sin heading | linked to a live emitting radar | tracks / K
    9. speed / max speed | hp fraction | linked to a live command post or launcher
    10. fuel fraction | tracks available / K | nearest track distance / range_scale
    11. is strike | 0 | 0
    12. is decoy | 0 | 0
    13. is jammer | 0 | 0
    14. is recon | 0 | 0
    15. jammer on | 0 | 0
    16. uav: (terrain height 10 s ahead on my heading - my altitude) / 1000 m
    17. uav: (terrain height 20 s ahead on my heading - my altitude) / 1000 m
    18. uav: (terrain height 40 s ahead on my heading - my altitude) / 1000 m
    19. uav: (terrain height 80 s ahead on my heading - my altitude) / 1000 m
    20. uav: a live radar is known to my side
    21. uav: nearest known radar can see me now (in reach, terrain line of sight)
    22. uav: nearest known radar can see me 20 s ahead
    23. uav: nearest known radar can see me 60 s ahead
    24. uav: a live asset is known to my side
    25. uav: nearest known asset distance / range_scale
    26. uav: closing speed on the nearest known asset / my max speed

  (features 6-15 are role-specific: uav | launcher | radar; 16-26 are the UAV's terrain
  view, 0 for launchers and radars.) The terrain view: a point "t s ahead" is where the
  UAV would be after t seconds straight on at its current heading and speed, holding its
  altitude inside its type's band above ground (the flight model's clamp), x and y kept in
  the map. 16-19 are the bilinear terrain height there minus the UAV's altitude (metres
  above sea level), / 1000 m: negative below the UAV, in [(lowest terrain - highest
  altitude) / 1000, (highest terrain - lowest altitude) / 1000]. "Known" is the
  attacker's fog of war (a radar heard emitting or seen by recon; the assets): the radar
  of 21-23 is the nearest (horizontally) known live radar, and 1 means the point is
  inside that radar's detection reach for the UAV's cross-section (the range beyond which
  Pd < 1e-6 without jamming) and the terrain does not mask the segment from its mast top
  to it -- the very tests the radars detect with, so 0 is a position it cannot see
  (jamming and the detection draw are not part of it); 21-23 are 0 when 20 is 0. 25 is
  in [0, map diagonal / range_scale]; 26 (speed projected on the direction to that asset
  / own max speed) in [-1, 1] times the fastest speed ratio; both 0 when 24 is 0.
* `entities`: `Box(K, 25)` float32 -- up to K observed entities, nearest first, zero
  padded. A UAV sees known live ground objects and friendly aircraft; a launcher sees the
  tracks of the radars linked to it; a radar sees its own tracks. Relative coordinates are
  from the observer. Features:
    0. dx / range_scale
    1. dy / range_scale
    2. dz / 1000 m
    3. distance / range_scale
    4. vx / 100 m/s
    5. vy / 100 m/s
    6. friendly
    7. type: air (unknown type)
    8. type: strike
    9. type: decoy
    10. type: jammer
    11. type: recon
    12. type: carrier
    13. type: asset
    14. type: radar
    15. type: launcher
    16. type: point_defence
    17. type: command_post
    18. hp fraction
    19. age of the information / track memory
    20. jamming
    21. emitting
    22. engageable by me now
    23. value / total asset value
    24. one of our interceptors is flying at it (defender tracks) -- launchers and radars
        know their own interceptors in flight, so a launcher can shoot-look-shoot
* `entity_mask`: `Box(0, 1, (K,), int8)` -- 1 for filled entity slots.
* `action_mask`: `Box(0, 1, (n,), int8)` -- 1 for the actions allowed now (n = the agent's
  action count). Masked actions may be sent: they are carried out as the agent's no-op
  and reported in `infos[a]["invalid_action"]` (this step) and
  `infos[a]["invalid_actions"]` (episode count).

`state()` is the centralised-critic global state (`World.global_state`, true positions of
every entity), `state_space` its `Box`.

Actions
-------
* UAV: `Discrete(54)`, a = jam * 27 + (turn + 1) * 9 + (climb + 1) * 3 + speed, with turn
  and climb in {-1, 0, +1} (left / straight / right at the type's turn rate; descend /
  hold / climb at its climb rate), speed in {0 slow, 1 cruise, 2 fast} and jam in {0 off,
  1 on}; jam = 1 is masked except for jammers. The no-op is 13 (straight, level, cruise,
  jammer off).
* launcher: `Discrete(1 + K)`: 0 holds fire, 1 + k fires one interceptor at entity slot k
  of its observation (allowed while the target is engageable: in range and altitude
  limits, stock left, reloaded).
* radar: `Discrete(2)`: 0 emits (scans, but can be heard by the attacker), 1 goes silent.

An action outside an agent's space, a non-integer action, a name that is no agent, or a
missing action for a live agent raises `ValueError` naming the agent. Actions for agents
that are not alive (lost, or not launched yet) are ignored.

Rewards
-------
Each side gets one team reward per step; every agent of the side that acted in the step
(and an agent lost in it) receives it. With the scenario's weights `rewards.attacker` /
`rewards.defender` (`asset_value`, `defence_value`, `uav_cost`, `interceptor_cost`) and
this step's changes normalised by the episode totals::

    attacker = w.asset_value * asset value destroyed / total asset value
             + w.defence_value * defence value destroyed / total asset value
             - w.uav_cost * UAV cost lost / total UAV cost
             + w.interceptor_cost * interceptors spent / total interceptor stock cost
    defender = - w.asset_value * (asset term) - w.defence_value * (defence term)
               + w.uav_cost * (UAV term) - w.interceptor_cost * (interceptor term)

With `rewards.zero_sum: true` the defender receives exactly minus the attacker's reward.

Termination and truncation
--------------------------
The episode terminates (every agent present gets `terminations = True`) when every asset
is destroyed or the attacker has no UAV left flying or waiting. It is truncated
(`truncations = True`) after `episode.max_steps` steps. At the end all agents leave
`agents`. Every info (from `reset` on, the same keys at every step, as TorchRL needs)
holds `invalid_action`, `invalid_actions` and the episode's tallies so far (`World.outcome`:
winner, values destroyed, losses, interceptors used; final in the last step) flattened into
scalar `"outcome/<field>"` entries (:func:`aerena.envs.airdefense.forms.flat_outcome`; the
winner as `"outcome/attacker_won"` 0 / 1), so every info leaf is a scalar;
`env.world.outcome(0)` is the dict.

Seeding, rollback, rendering
----------------------------
`reset(seed=S)` plays episode 0 of base seed S, each `reset()` without a seed the next
episode: episode e has world seed `aerena.episode_seed(S, e) = S + e`, the same episode as
`aerena rollout --seed S` plays (:mod:`aerena.seeding`; `env.base_seed`, `env.episode`,
`env.episode_seed`). The constructor's `seed` is S for the first reset when it gets none;
without any seed S is drawn from OS entropy. Two envs with one seed and the same actions
give identical trajectories, bit for bit. `snapshot()` returns a picklable
:class:`ParallelSnapshot` (world arrays, agents, seed generator); `restore(snap)` puts it
back exactly. Rendering: `render_mode="ansi"` makes `render()` return a text summary;
`"rgb_array"` an [H, W, 3] uint8 picture (`env.render_size`, default 1024 x 640) and
`"human"` shows it in a pygame window after every step -- both drawn by the replay viewer's
renderer (`aerena.viz`, needs pygame-ce) from the episode recorded as it runs, so a live
frame looks exactly like the same step of its replay.

Version
-------
v2 (`aerena_airdefense_v2`, Gymnasium id `aerena/AirDefense-v2`). The version changes
when behaviour changes. v2 added self features 16-26 (the UAV's terrain view: profile
ahead, known-radar line of sight now and ahead, progress to the nearest known asset); v1
had 16 self features, and `gymnasium.make("aerena/AirDefense-v1")` is refused, pointing to
v2 (modules trained on v1 observations do not load on v2 ones). Replays do not store
observations, so v1 replays still play. v1 added entity feature 24 (one of our
interceptors is flying at it) to the defender's tracks; v0 had 24 entity features.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces as gspaces
from pettingzoo import ParallelEnv

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense import spaces as Sp
from aerena.envs.airdefense.forms import flat_outcome
from aerena.envs.airdefense.render_hook import live_view_factory
from aerena.envs.airdefense.state import WorldState
from aerena.envs.airdefense.world import World
from aerena.seeding import episode_seed, next_episode

ENV_NAME = "aerena_airdefense_v2"
RENDER_MODES = ("ansi", "rgb_array", "human")
PICTURE_MODES = ("rgb_array", "human")

_SIDE_OF_ROLE = {Lo.AGENT_UAV: 0, Lo.AGENT_LAUNCHER: 1, Lo.AGENT_RADAR: 1}


def check_render_mode(render_mode: str | None) -> str | None:
    if render_mode is not None and render_mode not in RENDER_MODES:
        modes = ", ".join(repr(m) for m in (None, *RENDER_MODES))
        raise ValueError(f"unsupported render_mode {render_mode!r}: supported modes are {modes}")
    return render_mode


def make_live_view(world: World, size: tuple[int, int], metadata: Mapping[str, Any]) -> Any:
    """The picture renderer of the "rgb_array" / "human" modes: the factory registered in
    :mod:`.render_hook` (by default the replay viewer's `LiveView`, which imports pygame)."""
    factory = live_view_factory()
    if factory is None:
        raise RuntimeError(
            "render_mode 'rgb_array' / 'human': no picture renderer registered "
            "(aerena.envs.airdefense.render_hook.set_live_view_factory)"
        )
    try:
        return factory(world, size, float(metadata.get("render_fps", 10)))
    except ImportError as exc:
        raise ImportError(
            f"render_mode 'rgb_array' / 'human' needs pygame-ce ({exc}): pip install 'aerena[viz]'"
        ) from exc


def agent_sides(world: World) -> np.ndarray:
    """[N] int64: 0 for attacker agents (UAVs), 1 for defender agents."""
    return np.array([_SIDE_OF_ROLE[int(r)] for r in world.agent_role], dtype=np.int64)


def check_action(name: str, size: int, action: Any) -> int:
    """The action as an int, or a ValueError naming the agent."""
    a = action
    if isinstance(a, np.ndarray) and a.size == 1:
        a = a.reshape(()).item() if np.issubdtype(a.dtype, np.integer) else a
    if isinstance(a, bool | np.bool_) or not isinstance(a, int | np.integer):
        raise ValueError(
            f"action for agent {name!r} must be an integer in Discrete({size}), "
            f"got {action!r} of type {type(action).__name__}"
        )
    v = int(a)
    if not 0 <= v < size:
        raise ValueError(f"action {v} for agent {name!r} is outside its space Discrete({size})")
    return v


def render_ansi(world: World, b: int = 0) -> str:
    """A text summary of world b: time, units alive, tracks, assets, this step's events."""
    s, st, ro, sz = world.state, world.static, world.roster, world.sizes
    C = sz["C"]
    status = s.air_status[b, C:]
    role = ro.air_role[C:]
    active = status == Lo.ACTIVE
    uav_parts = []
    for r, name in enumerate(Lo.UAV_ROLES):
        tot = int(np.sum(role == r))
        if tot:
            uav_parts.append(f"{name} {int(np.sum(active & (role == r)))}/{tot}")
    counts = ", ".join(
        f"{name} {int(np.sum(status == code))}"
        for code, name in enumerate(Lo.STATUS_NAMES)
        if code != Lo.ACTIVE and np.any(status == code)
    )
    carriers = int(np.sum(s.air_status[b, :C] == Lo.ACTIVE))
    hp = s.gnd_hp[b]

    def alive_of(rows: np.ndarray) -> str:
        return f"{int(np.sum(hp[rows] > 0.0))}/{len(rows)}"

    radars_alive = hp[ro.radar_g] > 0.0
    emitting = int(np.sum(s.radar_emit[b] & radars_alive))
    # tracks: active air entities held by at least one live radar
    mem = np.maximum(s.gnd_par[b, ro.radar_g, Lo.GP_TRACK_MEMORY], 1e-9)
    age = (s.t[b] - s.det_time[b]) / mem[:, None]  # [R, A]
    held = (age <= 1.0) & radars_alive[:, None]
    tracks = int(np.sum(held.any(axis=0) & (s.air_status[b] == Lo.ACTIVE))) if len(mem) else 0
    assets = np.flatnonzero(ro.gnd_kind == Lo.ASSET)
    total = float(s.totals[b, 0])
    destroyed = float(s.asset_destroyed[b])
    frac = destroyed / total if total > 0 else 0.0
    flying = int(np.sum(s.int_status[b] == Lo.INT_FLYING))
    n_ev = min(int(s.n_events[b]), s.events.shape[1])
    kinds = s.events[b, :n_ev, 1].astype(np.int64)
    events = ", ".join(
        f"{Lo.EVENT_NAMES[k]} x{int(np.sum(kinds == k))}" for k in sorted(set(kinds.tolist()))
    )
    state = "terminated" if s.terminated[b] else "truncated" if s.truncated[b] else "running"
    lines = [
        f"{world.scenario.name}  world {b}  t={float(s.t[b]):.1f} s  "
        f"step {int(s.step[b])}/{st.max_steps}  {state}",
        f"attacker  UAVs active {int(np.sum(active))}/{len(status)}"
        + (f" ({', '.join(uav_parts)})" if uav_parts else "")
        + (f"; {counts}" if counts else "")
        + f"; carriers {carriers}/{C}",
        f"defender  radars {alive_of(ro.radar_g)} (emitting {emitting}), "
        f"launchers {alive_of(ro.launcher_g)} (stock {int(s.stock[b].sum())}/"
        f"{int(ro.stock0.sum())}, interceptors flying {flying}), "
        f"point defences {alive_of(ro.pd_g)}, command posts {alive_of(ro.cp_g)}",
        f"tracks    {tracks}",
        f"assets    {alive_of(assets)} standing, value destroyed {destroyed:.2f}/{total:.2f} "
        f"({100.0 * frac:.0f}%)",
        f"events    {events or '-'}",
    ]
    return "\n".join(lines)


@dataclass
class ParallelSnapshot:
    """Everything `AirDefenseParallelEnv.restore` needs (picklable)."""

    world: WorldState
    agents: tuple[str, ...]
    live: np.ndarray  # [N] bool, agents present
    base_seed: int | None
    episode: int
    episode_seed: int | None
    over: bool
    skipped_steps: int


class AirDefenseParallelEnv(ParallelEnv):
    """PettingZoo `ParallelEnv` of the air-defence world (see the module docstring)."""

    metadata = {
        "name": ENV_NAME,
        "render_modes": list(RENDER_MODES),
        "is_parallelizable": True,
        "render_fps": 10,
    }

    def __init__(
        self,
        scenario: Any,
        *,
        seed: int | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        self.render_mode = check_render_mode(render_mode)
        self.world = World(scenario, 1, **overrides)
        w = self.world
        self.possible_agents: list[str] = list(w.agent_names)
        self.agents: list[str] = []
        self._index = {name: n for n, name in enumerate(self.possible_agents)}
        self._sizes = [int(x) for x in w.action_sizes]
        self._side = agent_sides(w)
        self._side_list: list[int] = self._side.tolist()
        amax = w.state.act_mask.shape[2]
        self._full_mask = [size == amax for size in self._sizes]
        self._bounds = Sp.compute_bounds(w)
        self._obs_spaces: dict[str, gspaces.Dict] = {}
        self._role_spaces: dict[int, gspaces.Dict] = {}
        self._act_spaces: dict[str, gspaces.Discrete] = {}
        self.state_space = Sp.state_space(self._bounds)
        self._init_seed = seed
        self.base_seed: int | None = None  # S of aerena.seeding: episode e plays S + e
        self.episode = -1
        self.episode_seed: int | None = None
        self.skipped_steps = 0
        N = w.sizes["N"]
        self._noop = Sp.noop_actions(w)
        self._act = np.zeros((1, N), dtype=np.int64)
        self._live = np.zeros(N, dtype=np.bool_)
        self._over = True
        self.render_size = (1024, 640)
        self._view: Any = None  # aerena.viz.live.LiveView for the picture modes

    # ------------------------------------------------------------------ spaces
    def observation_space(self, agent: str) -> gspaces.Dict:
        sp = self._obs_spaces.get(agent)
        if sp is None:
            # agents of one role share one (immutable) space object: building a Dict of
            # Boxes per agent costs ~4 ms each, seconds for a thousand agents
            n = self._agent_index(agent)
            role = int(self.world.agent_role[n])
            sp = self._role_spaces.get(role)
            if sp is None:
                sp = Sp.agent_observation_space(self._bounds, self.world.static.k, self._sizes[n])
                self._role_spaces[role] = sp
            self._obs_spaces[agent] = sp
        return sp

    def action_space(self, agent: str) -> gspaces.Discrete:
        sp = self._act_spaces.get(agent)
        if sp is None:
            sp = Sp.agent_action_space(self._sizes[self._agent_index(agent)])
            self._act_spaces[agent] = sp
        return sp

    @property
    def observation_spaces(self) -> dict[str, gspaces.Dict]:  # type: ignore[override]
        return {a: self.observation_space(a) for a in self.possible_agents}

    @property
    def action_spaces(self) -> dict[str, gspaces.Discrete]:  # type: ignore[override]
        return {a: self.action_space(a) for a in self.possible_agents}

    def _agent_index(self, agent: str) -> int:
        n = self._index.get(agent)
        if n is None:
            raise ValueError(f"unknown agent {agent!r}: agents are {self._names_hint()}")
        return n

    def _names_hint(self) -> str:
        names = self.possible_agents
        return ", ".join(names) if len(names) <= 12 else f"{', '.join(names[:12])}, ..."

    # ------------------------------------------------------------------ reset / step
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, Any]]]:
        del options  # accepted for API compatibility; no options yet
        self.base_seed, self.episode = next_episode(
            self.base_seed, self.episode, seed, self._init_seed
        )
        self.episode_seed = episode_seed(self.base_seed, self.episode)
        self.world.reset([self.episode_seed])
        self._over = False
        self.skipped_steps = 0
        self._view_sync(new_episode=True)
        self._skip_empty()
        arrays = Sp.copy_world_obs(self.world, 0)
        self._live[:] = self.world.state.agent_alive[0]
        self._over = bool(self.world.done[0])
        names = self.possible_agents
        idx = np.flatnonzero(self._live)
        self.agents = [names[n] for n in idx]
        # every possible agent (the PettingZoo API allows extra keys at reset; TorchRL needs
        # them): an agent not alive yet has the all-zero observation and is not in `agents`
        obs = {name: Sp.agent_obs(arrays, n, self._sizes[n]) for n, name in enumerate(names)}
        outcome = flat_outcome(self.world.outcome(0))
        infos = {name: {"invalid_action": False, "invalid_actions": 0, **outcome} for name in names}
        if self.render_mode == "human":
            self.render()
        return obs, infos

    def step(self, actions: Mapping[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if self._over:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        if not isinstance(actions, Mapping):
            raise ValueError(f"actions must be a dict agent -> int, got {type(actions).__name__}")
        act = self._act[0]
        act[:] = self._noop
        live = self._live.tolist()  # Python lists from here on: no NumPy scalars per agent
        index, sizes = self._index, self._sizes
        for name, a in actions.items():
            n = index.get(name)
            if n is None:
                hint = self._names_hint()
                raise ValueError(f"action for unknown agent {name!r}: agents are {hint}")
            if live[n]:
                # a plain int in range is the common case; anything else goes the long way
                ok = type(a) is int and 0 <= a < sizes[n]
                act[n] = a if ok else check_action(name, sizes[n], a)
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"no action given for live agent(s) {', '.join(missing)}")
        w = self.world
        s = w.state
        w.step(self._act, checked=True)
        self._view_sync()
        side_reward = s.reward[0].tolist()
        invalid = s.invalid[0].tolist()
        invalid_count = s.invalid_count[0].tolist()
        self._skip_empty()
        after = s.agent_alive[0].tolist()
        terminated = bool(s.terminated[0])
        truncated = bool(s.truncated[0])
        ended = terminated or truncated
        # fresh arrays (a caller may keep observations); rows taken in bulk, as agent_obs does
        o_self, o_ent, o_mask, o_act = (list(x) for x in Sp.copy_world_obs(w, 0)[:4])
        full = self._full_mask
        names, side = self.possible_agents, self._side_list
        # agents that acted, plus those launched in this step -- unless the episode ended:
        # a UAV launched in the last step never joins
        joined = live if ended else [x or y for x, y in zip(live, after, strict=True)]
        outcome = flat_outcome(w.outcome(0))
        obs, rewards, terms, truncs, infos = {}, {}, {}, {}, {}
        for n, there in enumerate(joined):
            if not there:
                continue
            name = names[n]
            died = live[n] and not after[n]
            obs[name] = {
                "self": o_self[n],
                "entities": o_ent[n],
                "entity_mask": o_mask[n],
                "action_mask": o_act[n] if full[n] else o_act[n][: sizes[n]],
            }
            rewards[name] = side_reward[side[n]] if live[n] else 0.0
            terms[name] = died or terminated
            truncs[name] = truncated and not died
            infos[name] = {
                "invalid_action": invalid[n],
                "invalid_actions": invalid_count[n],
                **outcome,
            }
        if ended:
            self._over = True
            self._live[:] = False
            self.agents = []
        else:
            self._live[:] = after
            self.agents = [names[n] for n, x in enumerate(after) if x]
        if self.render_mode == "human":
            self.render()
        return obs, rewards, terms, truncs, infos

    def _skip_empty(self) -> None:
        """Advance with no-ops while no agent is alive and the episode goes on."""
        w = self.world
        s = w.state
        while not s.agent_alive[0].any() and not w.done[0]:
            self._act[0] = self._noop
            w.step(self._act)
            self._view_sync()
            self.skipped_steps += 1

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

    # ------------------------------------------------------------------ misc API
    def state(self) -> np.ndarray:
        return self.world.global_state()[0]

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            import warnings

            warnings.warn(
                "render() called without a render_mode; create the env with "
                "render_mode='ansi' (text), 'rgb_array' or 'human'",
                stacklevel=2,
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

    def snapshot(self) -> ParallelSnapshot:
        """A picklable copy of everything the env's future depends on."""
        return ParallelSnapshot(
            world=self.world.snapshot(),
            agents=tuple(self.agents),
            live=self._live.copy(),
            base_seed=self.base_seed,
            episode=self.episode,
            episode_seed=self.episode_seed,
            over=self._over,
            skipped_steps=self.skipped_steps,
        )

    def restore(self, snap: ParallelSnapshot) -> None:
        """Roll back to `snap` exactly (the snapshot stays usable for further restores)."""
        self.world.restore(snap.world)
        self.agents = list(snap.agents)
        self._live[:] = snap.live
        self.base_seed = snap.base_seed
        self.episode = snap.episode
        self.episode_seed = snap.episode_seed
        self._over = snap.over
        self.skipped_steps = snap.skipped_steps
        if self._view is not None:
            self._view.restart()

    def __str__(self) -> str:
        return ENV_NAME
