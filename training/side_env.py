"""`SideEnv`: the RLlib multi-agent env of one learning side against a built-in opponent.

    SideEnv({"scenario": "tiny", "learn": "defender", "opponent": "scripted", "seed": 0})

A thin layer over :class:`~aerena.envs.airdefense.rllib_env.AirDefenseMultiAgentEnv` (its
card, :mod:`aerena.envs.airdefense.parallel`, documents observations, actions and
rewards). With `learn: attacker` or `defender`, the other side's agents are removed from
the RLlib env -- `possible_agents`, spaces, observations, rewards -- and played inside
`step` by `agents.scripted.make_player(other side, opponent)` from the World's arrays.
With `learn: both` every agent is RLlib's and `opponent` is ignored.

Decision intervals: `action_repeat` (role -> k, e.g. `{"radar": 30}`) makes the agents of
a role decide every k steps: an agent is in RLlib's dicts on the step it first appears,
then every k steps (and on the step it leaves or the episode ends); in between it holds
its last action and its rewards are summed into the reward of its next observation (as
with frame skipping). :class:`~aerena.agents.rl_module.LearnedPlayer` plays a trained
module with the same `action_repeat`.

Emission latch: with `emission_latch: true` a learning radar that chooses to emit (action
0) keeps emitting for the rest of the episode: from then on its `action_mask` allows only
"emit". Its policy no longer chooses emit-or-silent at every decision but *when to go
active* -- an optimal-stopping problem, where the value of holding silence shows up in a
single decision instead of needing many consecutive silent choices that per-decision
exploration never makes. The world's rules are unchanged (the mask only narrows the
learning radar's choice); `LearnedPlayer` plays a module with the same latch.

Emission plan: with `emission_plan: (d, n)` (step_s, choices) a learning radar decides
once, on its first observation, how long it holds silence before it goes active: its
RLlib action space is `Discrete(n)` (every delay legal while it lives), action `a` keeps
it silent for `a * d` seconds of world time, and from then on it emits to the end of the
episode. The radar is in RLlib's dicts on that first step and again only when it is lost
or the episode ends, with every step's reward summed (as with decision intervals): a
contextual bandit over delays, read from the radar's first view.

Target plan: with `target_plan: true` each learning UAV decides once, on its first
observation (the step it is launched), which target it goes for: its RLlib action space
is `Discrete(1 + T)` (every choice legal while it flies), action 0 leaves the choice to
the scripted attacker's doctrine and `1 + t` fixes target slot `t` (the scenario's assets
in order, then its radars: `ScriptedAttacker.target_names`). The flight itself -- terrain
-masked routes, roles, timing, the terminal dive -- is the scripted attacker's, which
re-targets a UAV by doctrine once its fixed target is destroyed. A UAV is in RLlib's
dicts on its launch step and once more when the episode ends (a UAV lost earlier is
held back until then), its reward the team's rewards summed from its launch to the end
of the episode: a cooperative contextual bandit over target allocations, scored by the
whole raid's outcome.

Options with a learned duration: with `hold: {role: (k_1, ..., k_H)}` the role's RLlib
action space is `Discrete(n * H)` (n world actions): choice `c` is world action `c % n`
kept for `k_{c // n}` steps, or until it stops being legal; the agent is in RLlib's dicts
when it decides again (or leaves), with the held steps' rewards summed (the rules of
:class:`~aerena.agents.play.SidePlay`, which the batched path and `LearnedPlayer` run).

Centralised critic: with `global_state: true` every observation also holds `state`, the
World's true global state (`World.global_state`: every entity's position and status, what
the attacker knows, stocks, the clock). Only the value head reads it
(:class:`~aerena.agents.rl_module.EntityGNNModule`); the policy acts on the agent's own
view, so trained policies run without it.

Config keys: `scenario` (name or path), `learn` (`attacker` | `defender` | `both`),
`opponent` (`scripted` | `random` | `checkpoint` | `self_play`), `seed`, `overrides`
(dotted scenario overrides, a dict). `checkpoint`: the frozen modules of
`opponent_checkpoint` (an RLlib checkpoint or run folder, or a league snapshot folder)
play the other side through :class:`~aerena.agents.rl_module.LearnedPlayer` (greedy), as
their run trained them (its decision intervals, emission latch or plan, read from the run
folder's experiment; league snapshots use this env's own settings).
`self_play`: at every reset the opponent is drawn from the league file `league_file`
(written by :mod:`aerena.training.league`: per side, snapshot folders and their PFSP
probabilities; re-read when it changes; the scripted player until there is one);
`last_episode["opponent"]` names the draw.
Under an `EnvContext` the seed is combined with the runner's worker and vector index (as
in the wrapped env); the opponent player is seeded from the same seed.

Steps in which no agent of the learning side is alive (before the first UAV launch, or
after the learning side lost every unit) are played by the opponent alone, inside the
call: RLlib only sees steps where some learning agent acts. Their rewards reach no agent.
An episode that ends before any learning agent could act is skipped at reset.

Episode summary: after the episode ends, `last_episode` holds the World's `outcome`
plus the team returns of both sides over every step (`return_attacker`,
`return_defender`), for the training callbacks.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from ray.rllib.env.multi_agent_env import MultiAgentEnv

from aerena.agents.heads import role_of_agent
from aerena.agents.play import check_doctrine, check_hold, doctrine_behaviours
from aerena.agents.scripted import make_player, side_columns
from aerena.agents.scripted.attacker import ScriptedAttacker
from aerena.envs.airdefense import spaces as Sp
from aerena.envs.airdefense.rllib_env import AirDefenseMultiAgentEnv, runner_seed
from aerena.training import trust
from aerena.training.config import check_time_limit
from aerena.training.sampler import LeagueDraw, learned_opponent
from aerena.training.shaping import Shaping

LEARN_SIDES = ("attacker", "defender", "both")
OPPONENTS = ("scripted", "random", "checkpoint", "self_play")


def _other(side: str) -> str:
    return "defender" if side == "attacker" else "attacker"


class SideEnv(MultiAgentEnv):
    """The learning side's agents as an RLlib MultiAgentEnv (see the module docstring)."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__()
        cfg = dict(config or {})
        trust.adopt_runner_decision(cfg)  # before any checkpoint opponent is opened
        self.learn = str(cfg.get("learn", "defender"))
        self.opponent_kind = str(cfg.get("opponent", "scripted"))
        if self.learn not in LEARN_SIDES:
            raise ValueError(f"learn must be one of {', '.join(LEARN_SIDES)}, got {self.learn!r}")
        if self.opponent_kind not in OPPONENTS:
            raise ValueError(
                f"opponent must be one of {', '.join(OPPONENTS)}, got {self.opponent_kind!r}"
            )
        seed = cfg.get("seed")
        inner: dict[str, Any] = {
            "scenario": cfg.get("scenario", "tiny"),
            **cfg.get("overrides", {}),
        }
        # the seed is combined with the runner index here, once, for env and opponent
        run_seed = runner_seed(seed, config)
        if run_seed is not None:
            inner["seed"] = run_seed
        self.base = AirDefenseMultiAgentEnv(inner)
        self.par = self.base.par_env
        world = self.par.world
        names = list(world.agent_names)
        if self.learn == "both":
            learn_cols = np.arange(len(names))
            self.player = None
            self.opp_names: list[str] = []
        else:
            learn_cols = side_columns(world, self.learn)
            other = _other(self.learn)
            opp_seed = None if run_seed is None else (run_seed + 1) % 2**63
            self._opp_seed = opp_seed
            self._other = other
            if self.opponent_kind in ("scripted", "random"):
                self.player = make_player(other, self.opponent_kind, world, seed=opp_seed)
            elif self.opponent_kind == "checkpoint":
                path = cfg.get("opponent_checkpoint")
                if not path:
                    raise ValueError("opponent: checkpoint needs opponent_checkpoint")
                self.player = self._learned_player(str(path))
            else:
                # the league file (None: the scripted player only)
                self._draw = LeagueDraw(cfg.get("league_file"), other, opp_seed)
                self._players: dict[str, Any] = {}
                self.player = make_player(other, "scripted", world, seed=opp_seed)
                self.opponent_id = "scripted"
            self.opp_names = [names[c] for c in side_columns(world, other)]
        self.possible_agents = [names[c] for c in learn_cols]
        self._learning = set(self.possible_agents)
        terms = dict(cfg.get("shaping") or {})  # training-only reward terms (UAVs)
        self.shaping = Shaping(world, learn_cols, terms) if terms else None
        self._shaped: np.ndarray | None = None  # this step's terms [1, n]
        self._col = {a: j for j, a in enumerate(self.possible_agents)}
        self.agents: list[str] = []
        self.observation_spaces = {a: self.base.observation_spaces[a] for a in self.possible_agents}
        self.global_state = bool(cfg.get("global_state", False))
        self.time_terminal = check_time_limit(cfg.get("time_limit")) == "terminal"
        if self.global_state:  # a centralised critic's input, next to each agent's own view
            box = gym.spaces.Box(-np.inf, np.inf, (world.state_dim,), np.float32)
            self.observation_spaces = {
                a: gym.spaces.Dict({**sp.spaces, "state": box})
                for a, sp in self.observation_spaces.items()
            }
        self.action_spaces = {a: self.base.action_spaces[a] for a in self.possible_agents}
        self.observation_space = gym.spaces.Dict(self.observation_spaces)
        self.action_space = gym.spaces.Dict(self.action_spaces)
        self.metadata = dict(self.base.metadata)
        self.last_episode: dict[str, Any] | None = None
        self._returns = np.zeros(2, dtype=np.float64)
        repeat = {str(r): int(k) for r, k in dict(cfg.get("action_repeat") or {}).items()}
        self._repeat = {
            a: repeat[role_of_agent(a)]
            for a in self.possible_agents
            if repeat.get(role_of_agent(a), 1) > 1
        }
        self._held: dict[str, Any] = {}  # agent -> action held between its decisions
        self._left: dict[str, int] = {}  # agent -> steps until its next decision
        self._acc: dict[str, float] = {}  # agent -> reward summed since its last observation
        self.emission_latch = bool(cfg.get("emission_latch", False))
        self._radars = {a for a in self.possible_agents if role_of_agent(a) == "radar"}
        self._latched: set[str] = set()  # radars that chose to emit (emission latch)
        plan = cfg.get("emission_plan")
        self.plan: tuple[float, int] | None = None
        self._choices: dict[str, int] = {}  # planning agent -> its number of choices
        if plan is not None:
            self.plan = (float(plan[0]), int(plan[1]))
            if self.plan[0] <= 0 or self.plan[1] < 2:
                raise ValueError(f"emission_plan: step_s > 0 and choices >= 2, got {plan}")
            self._plan_spaces(self._radars, self.plan[1])
        self._switch_on: dict[str, float] = {}  # plan radar -> world time it goes active
        self.target_plan = bool(cfg.get("target_plan", False))
        self._uavs = {a for a in self.possible_agents if role_of_agent(a) == "uav"}
        self.pilot: Any = None  # target plan: the scripted attacker that flies the UAVs
        self._pending: dict[str, tuple] = {}  # plan UAVs that left: their final step
        if self.target_plan:
            if not self._uavs:
                raise ValueError("target_plan: needs learning UAVs (learn: attacker | both)")
            self.pilot = ScriptedAttacker(world, seed=None if run_seed is None else run_seed + 2)
            uav_cols = side_columns(world, "attacker")
            self._uav_slot = {names[c]: j for j, c in enumerate(uav_cols)}
            self._plan_spaces(self._uavs, 1 + len(self.pilot.target_names))
        hold = check_hold(cfg.get("hold"))
        # doctrine behaviours: their spaces only (RLlib's probe); the batched sampler plays them
        self.doctrine = check_doctrine(cfg.get("doctrine"), hold, self.target_plan)
        self._ks: dict[str, tuple[int, ...]] = {}  # hold agent -> its durations
        self._n_world: dict[str, int] = {}
        for a in self.possible_agents:
            role = role_of_agent(a)
            if role not in hold:
                continue
            if a in self._repeat or a in self._choices:
                raise ValueError(f"hold.{role}: not with action_repeat or a plan of the role")
            self._ks[a] = hold[role]
            self._n_world[a] = n = int(self.action_spaces[a].n)
            self._repeat[a] = 1  # held between decisions; its duration is chosen
            P = doctrine_behaviours(world, role) if role in self.doctrine else 0
            self._choices[a] = (n + P) * len(hold[role])
            sp = self.observation_spaces[a].spaces
            self.observation_spaces[a] = gym.spaces.Dict(
                {**sp, "action_mask": gym.spaces.Box(0, 1, (self._choices[a],), np.int8)}
            )
            self.action_spaces[a] = gym.spaces.Discrete(self._choices[a])
        self.observation_space = gym.spaces.Dict(self.observation_spaces)
        self.action_space = gym.spaces.Dict(self.action_spaces)
        self._play = {  # how LearnedPlayer plays this experiment's snapshots (self-play)
            "action_repeat": repeat,
            "emission_latch": self.emission_latch,
            "emission_plan": self.plan,
            "target_plan": self.target_plan,
            "hold": {r: list(k) for r, k in hold.items()},
            "doctrine": dict(self.doctrine),
        }

    def _plan_spaces(self, agents: set[str], n: int) -> None:
        """A plan: the agents decide once per episode among `n` choices (held to the end)."""
        for a in agents:
            self._repeat[a] = 2**62
            self._choices[a] = n
            sp = self.observation_spaces[a].spaces
            self.observation_spaces[a] = gym.spaces.Dict(
                {**sp, "action_mask": gym.spaces.Box(0, 1, (n,), np.int8)}
            )
            self.action_spaces[a] = gym.spaces.Discrete(n)
        self.observation_space = gym.spaces.Dict(self.observation_spaces)
        self.action_space = gym.spaces.Dict(self.action_spaces)

    @property
    def world(self) -> Any:
        return self.par.world

    # ------------------------------------------------------------------ opponents
    def _learned_player(self, path: str, play: dict[str, Any] | None = None) -> Any:
        """A frozen opponent: the modules at `path`, played as their run trained them."""
        return learned_opponent(
            self.world, self._other, path, self._opp_seed, play, env_cls=SideEnv
        )

    def _draw_league_opponent(self) -> None:
        """Self-play: this episode's opponent drawn from the league file (re-read when it
        changes; the scripted player while the league is empty)."""
        got = self._draw.draw()
        if got is None:
            return
        sid, path = got
        if sid not in self._players:
            if path is None:
                self._players[sid] = make_player(
                    self._other, "scripted", self.world, seed=self._opp_seed
                )
            else:
                # league snapshots come from this experiment: its own play options
                self._players[sid] = self._learned_player(path, self._play)
        self.player = self._players[sid]
        self.opponent_id = sid

    # ------------------------------------------------------------------ helpers
    def _opponent_actions(self) -> dict[str, int]:
        if self.player is None:
            return {}
        acts = self.player.act()[0]
        return {name: int(a) for name, a in zip(self.opp_names, acts, strict=True)}

    def _mine(self, d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k in self._learning}

    def _over(self) -> bool:
        s = self.world.state
        return bool(s.terminated[0] or s.truncated[0])

    def _learners_alive(self) -> bool:
        return any(a in self._learning for a in self.par.agents)

    def _advance_alone(self) -> tuple[dict, dict, dict, dict, dict]:
        """Step with the opponent alone while no learning agent is alive; the last step's
        (filtered) returns, or empty dicts if no step was needed."""
        out: tuple[dict, dict, dict, dict, dict] = ({}, {}, {}, {}, {})
        while not self._over() and not self._learners_alive():
            obs, rew, term, trunc, info = self._world_step(self._opponent_actions())
            out = (self._mine(obs), self._mine(rew), self._mine(term), self._mine(trunc),
                   self._mine(info))  # fmt: skip
        return out

    def _world_step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """One world step: the team returns, and this step's shaping terms (every step, so
        the potential follows the world even while no learning agent is alive)."""
        out = self.base.step(actions)
        self._returns += self.world.state.reward[0]
        if self.shaping is not None:
            self._shaped = self.shaping.step()
        return out

    def _finish(self) -> None:
        self.last_episode = dict(self.world.outcome(0))
        self.last_episode["return_attacker"] = float(self._returns[0])
        self.last_episode["return_defender"] = float(self._returns[1])
        if self.opponent_kind == "self_play" and self.learn != "both":
            self.last_episode["opponent"] = self.opponent_id

    # ------------------------------------------------------------------ API
    def reset(
        self, *, seed: int | None = None, options: dict | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if self.doctrine:
            raise ValueError("doctrine: its behaviours are played by the batched sampler "
                             "only (resources.sampler: batched)")  # fmt: skip
        for _ in range(100):
            obs, infos = self.base.reset(seed=seed, options=options)
            seed = None  # retries continue the seeded sequence
            self._returns[:] = 0.0
            self.last_episode = None
            if self.opponent_kind == "self_play" and self.learn != "both":
                self._draw_league_opponent()
            if self.player is not None:
                self.player.reset()
            if self.pilot is not None:
                self.pilot.reset()
            if self.shaping is not None:
                self.shaping.reset()
            self._advance_alone()
            # an episode that ended before any learning agent could act (e.g. every UAV's
            # carrier lost before launch) gives RLlib nothing to learn from: play the next
            if not self._over():
                break
        # the observations of the agents alive now (after any steps played alone)
        arrays = Sp.copy_world_obs(self.world, 0)
        index = {n: i for i, n in enumerate(self.world.agent_names)}
        sizes = self.world.action_sizes
        alive = [a for a in self.par.agents if a in self._learning]
        obs = {a: Sp.agent_obs(arrays, index[a], int(sizes[index[a]])) for a in alive}
        infos = {a: infos.get(a, {"invalid_action": False, "invalid_actions": 0}) for a in alive}
        self.agents = alive
        self._add_state(obs)
        self._held.clear()
        self._left.clear()
        self._acc.clear()
        self._latched.clear()
        self._switch_on.clear()
        self._pending.clear()
        self._plan_obs(obs)
        return obs, infos

    def step(
        self, action_dict: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        actions = self._opponent_actions()
        for a in self._repeat:  # agents between decisions hold their action
            if a not in action_dict and a in self._held and a in self.par.agents:
                actions[a] = self._held[a]
        actions.update(action_dict)
        for a in self._ks:
            if a in action_dict:
                actions[a] = self._choice(a, action_dict, "choice") % self._n_world[a]
        if self.emission_latch:
            self._latched.update(a for a in self._radars if int(actions.get(a, 1)) == 0)
        if self.plan is not None:
            self._apply_plan(action_dict, actions)
        if self.pilot is not None:
            self._fly_targets(action_dict, actions)
        obs, rew, term, trunc, info = self._world_step(actions)
        stepped = float(self._returns[0])  # the attacker's team return after this step
        obs, rew, term, trunc, info = (self._mine(x) for x in (obs, rew, term, trunc, info))
        if self._shaped is not None:  # the agents that acted in this step
            rew = {a: r + float(self._shaped[0, self._col[a]]) for a, r in rew.items()}
        if not self._over() and not self._learners_alive():
            # every learning agent is lost (their final data is in this step's dicts):
            # the opponent plays on alone until the episode ends
            self._advance_alone()
        over = self._over()
        if self._repeat:
            self._hold(action_dict, obs, rew, term, trunc, info, over)
        if self.pilot is not None:
            self._defer_lost(obs, rew, term, trunc, info, over, stepped)
        s = self.world.state
        term["__all__"] = bool(s.terminated[0]) if over else False
        trunc["__all__"] = bool(s.truncated[0]) if over else False
        if self.time_terminal:  # the time limit ends the task: nothing to bootstrap
            for a in [a for a, x in trunc.items() if x]:
                term[a], trunc[a] = True, False
        if over:
            self._finish()
        self.agents = [a for a in self.par.agents if a in self._learning]
        self._latch(obs)
        self._plan_obs(obs)
        self._add_state(obs)
        return obs, rew, term, trunc, info

    def _choice(self, a: str, acted: dict[str, Any], what: str) -> int:
        """A planning agent's choice, checked against its number of choices."""
        c, n = int(acted[a]), self._choices[a]
        if not 0 <= c < n:
            raise ValueError(f"{a}: {what} {c} outside 0..{n - 1}")
        return c

    def _apply_plan(self, acted: dict[str, Any], actions: dict[str, Any]) -> None:
        """Emission plan: a radar's delay choice becomes silent (1) until its switch-on
        time, then emit (0)."""
        t = float(self.world.state.t[0])
        step_s = self.plan[0]  # type: ignore[index]
        for a in self._radars:
            if a in acted:
                self._switch_on[a] = t + self._choice(a, acted, "emission delay") * step_s
            if a in actions:
                actions[a] = 0 if t >= self._switch_on.get(a, 0.0) else 1

    def _fly_targets(self, acted: dict[str, Any], actions: dict[str, Any]) -> None:
        """Target plan: a UAV's choice fixes its target in the pilot (0: the doctrine's);
        the pilot flies every live UAV."""
        for a in self._uavs:
            if a in acted:
                self.pilot.fixed[0, self._uav_slot[a]] = self._choice(a, acted, "target choice") - 1
        flown = self.pilot.act()[0]
        for a in self._uavs:
            if a in self.par.agents:
                actions[a] = int(flown[self._uav_slot[a]])

    def _defer_lost(self, obs: dict, rew: dict, term: dict, trunc: dict, info: dict,
                    over: bool, stepped: float) -> None:  # fmt: skip
        """Target plan: a UAV that leaves before the end is reported only when the episode
        ends, with the team's rewards summed up to then (its choice is scored by the whole
        raid, not only by what happened while it flew). `stepped`: the attacker's team
        return right after this step (before any steps played alone)."""
        for a in self._uavs:
            if a in obs and (term.get(a) or trunc.get(a)):
                final = (obs.pop(a), info.pop(a, {}), float(rew.pop(a, 0.0)), stepped,
                         bool(term.pop(a, False)), bool(trunc.pop(a, False)))  # fmt: skip
                self._pending[a] = final
        if over:
            for a, (o, i, r, then, te, tr) in self._pending.items():
                obs[a], info[a], term[a], trunc[a] = o, i, te, tr
                rew[a] = r + float(self._returns[0]) - then
            self._pending.clear()

    def _plan_obs(self, obs: dict[str, Any]) -> None:
        """Plans: a planning agent's action mask covers its choices (all legal while it
        lives)."""
        for a, n in self._choices.items():
            if a in obs and a in self._ks:  # every duration of a legal action
                mask = np.asarray(obs[a]["action_mask"], np.int8)
                obs[a] = {**obs[a], "action_mask": np.tile(mask, len(self._ks[a]))}
            elif a in obs:
                live = bool(np.asarray(obs[a]["action_mask"]).any())
                obs[a] = {**obs[a], "action_mask": np.full(n, live, np.int8)}

    def _latch(self, obs: dict[str, Any]) -> None:
        """Emission latch: a radar that chose to emit may only emit from then on."""
        for a in self._latched:
            if a in obs and obs[a]["action_mask"][0]:
                mask = obs[a]["action_mask"].copy()
                mask[1:] = 0
                obs[a] = {**obs[a], "action_mask": mask}

    def _add_state(self, obs: dict[str, Any]) -> None:
        """`global_state`: every observation also holds the world's true state (for the
        critic only: the policy never reads it)."""
        if self.global_state and obs:
            gs = self.world.global_state()[0]
            for a in obs:
                obs[a] = {**obs[a], "state": gs}

    def _hold(self, acted: dict, obs: dict, rew: dict, term: dict, trunc: dict, info: dict,
              over: bool) -> None:  # fmt: skip
        """Decision intervals: keep in the dicts only the agents due to decide (or leaving);
        the others' rewards wait for their next observation."""
        for a, k in self._repeat.items():
            ks = self._ks.get(a)
            if a in acted and ks is not None:  # an option: its action for its duration
                n = self._n_world[a]
                self._held[a] = int(acted[a]) % n
                self._left[a] = ks[int(acted[a]) // n] - 1
            elif a in acted:
                self._held[a] = acted[a]
                self._left[a] = k - 1
            elif a in self._left:
                self._left[a] -= 1
            if a not in obs:
                continue
            r = self._acc.pop(a, 0.0) + float(rew.get(a, 0.0))
            ended = ks is not None and not obs[a]["action_mask"][int(self._held.get(a, 0))]
            if over or term.get(a) or trunc.get(a) or self._left.get(a, 0) <= 0 or ended:
                rew[a] = r
            else:
                self._acc[a] = r
                for d in (obs, rew, term, trunc, info):
                    d.pop(a, None)

    def state(self) -> np.ndarray:
        return self.base.state()

    def close(self) -> None:
        self.base.close()
