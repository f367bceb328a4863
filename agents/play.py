"""`SidePlay`: how one side's learned agents act in B worlds -- who decides this step, under
which action mask, and how their choices become world actions.

This is the one implementation of the play options an experiment can train with; the
batched RLlib env runner (:mod:`aerena.training.batched_runner`) and
:class:`~aerena.agents.rl_module.LearnedPlayer` (evaluation, league games, checkpoint
opponents) both drive it, so a policy is played exactly as it was trained::

    play = SidePlay(world, "defender", action_repeat={"radar": 30})
    for role, pos, due, mask in play.decisions():   # [B, n] bool, [B, n, A'] bool
        choices[role] = policy(role, observations of the due rows, mask[due])
    actions = play.actions(choices)                 # int64 [B, len(play.columns)]

Options (the semantics of :class:`~aerena.training.side_env.SideEnv`, the B = 1 path):

* `action_repeat` (role -> k): an agent decides on the first step it is alive and then
  every k steps; in between it holds its last choice (even if the mask no longer allows
  it: the world then carries out the no-op and counts an invalid action).
* `emission_latch`: a radar that emitted (action 0) may only emit from then on (its mask
  allows action 0 alone while emitting is legal).
* `emission_plan` (step_s, n): a radar decides once, on its first live step, among n
  delays (all legal); it is silent (1) for `choice * step_s` seconds of world time, then
  emits (0) to the end of the episode.
* `target_plan`: a UAV decides once, on its first live step, among 1 + T targets (all
  legal; 0: the scripted doctrine's choice, 1 + t: target slot t of
  :attr:`~aerena.agents.scripted.attacker.ScriptedAttacker.target_names`), and the
  scripted attacker (`pilot`) flies every UAV.
* `hold` (role -> durations (k_1, ..., k_H) in steps): the general option mechanism
  (temporally extended actions with a learned duration, as in FiGAR, Sharma et al. 2017).
  A role's policy chooses an action *and* how long to keep it: choice `c` of
  `n_world * H` means world action `c % n_world` held for `k_{c // n_world}` steps. The
  option ends early when its action stops being legal (or the agent is lost); then the
  agent decides again. The rewards of the steps it held are summed into that one
  decision. With H = 1 it is a decision interval that re-decides on an illegal hold;
  `(1, 60, 240)` lets a radar say "silent for four minutes" in one choice instead of 240
  consecutive silent choices that per-step exploration almost never makes.
* `doctrine` (role -> initial probability): the role's choices gain the scripted
  player's own behaviours as options, held like any other (the role needs `hold`). For
  `uav` they are "fly the scripted attacker's route to target t": 0 the doctrine's own
  choice, 1 + t target slot t (as `target_plan`). A choice `c` of `(n_world + P) * H`
  means base choice `b = c % (n_world + P)` for duration `k_{c // (n_world + P)}`: a
  world action if `b < n_world`, else behaviour `b - n_world`, flown by the pilot step
  by step (its actions are always legal) until the option's steps are used up. So the
  policy decides, per option, between flying itself and following the doctrine where
  it likes (e.g. the doctrine's terrain-masked route, but to a target it chooses). The
  probability is the policy's initial mass on the behaviours (`doctrine_prior`).
* `skip_forced`: an agent of a role without a plan or decision interval whose mask allows
  a single action takes it without deciding (no policy row: a launcher with no track in
  reach only holds). The batched training path sets it; the B = 1 path does not.

Agents that are not alive take their no-op and never decide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from aerena.agents.scripted.base import side_columns
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.spaces import noop_actions

ROLE_CODES = Lo.AGENT_ROLE_CODES
NEVER = 2**62  # "decide once": a plan's decision interval


class RoleGroup(NamedTuple):
    """The agents of one role on the side: positions in `SidePlay.columns`, world columns,
    the world's action count and the policy's choice count (differs under a plan)."""

    role: str
    pos: np.ndarray
    cols: np.ndarray
    n_world: int
    n_choices: int


def learning_columns(world: Any, side: str) -> np.ndarray:
    """World agent columns of `side` (`attacker`, `defender`, or `both`: every agent)."""
    if side == "both":
        return np.arange(len(world.agent_names))
    return side_columns(world, side)


class SidePlay:
    """Decision bookkeeping for one side's learned agents over all B worlds (see the module
    docstring)."""

    def __init__(
        self,
        world: Any,
        side: str,
        *,
        action_repeat: Mapping[str, int] | None = None,
        emission_latch: bool = False,
        emission_plan: tuple[float, int] | None = None,
        target_plan: bool = False,
        pilot_seed: int | None = None,
        hold: Mapping[str, Sequence[int]] | None = None,
        doctrine: Mapping[str, float] | None = None,
        skip_forced: bool = False,
    ) -> None:
        self.world = world
        self.columns = learning_columns(world, side)
        self.action_repeat = {str(r): int(k) for r, k in (action_repeat or {}).items()}
        self.emission_latch = bool(emission_latch)
        self.plan = None if emission_plan is None else (float(emission_plan[0]),
                                                        int(emission_plan[1]))  # fmt: skip
        if self.plan is not None and (self.plan[0] <= 0 or self.plan[1] < 2):
            raise ValueError(f"emission_plan: step_s > 0 and choices >= 2, got {emission_plan}")
        self.skip_forced = bool(skip_forced)
        self.hold = check_hold(hold)
        check_hold_conflicts(
            self.hold, self.action_repeat, self.emission_latch, self.plan is not None, target_plan
        )
        self.doctrine = check_doctrine(doctrine, self.hold, target_plan)
        self.pilot: Any = None
        role = world.agent_role[self.columns]
        # as for `hold`, a doctrine role the side does not have is ignored (one set of play
        # options serves both sides of a league); the experiment checks its roles
        self.doctrine = {r: p for r, p in self.doctrine.items() if np.any(role == ROLE_CODES[r])}
        if target_plan and not np.any(role == Lo.AGENT_UAV):
            raise ValueError("target_plan: needs learning UAVs (learn: attacker | both)")
        if needs_pilot(target_plan, self.doctrine):
            from aerena.agents.scripted.attacker import ScriptedAttacker  # a heavy import

            self.pilot = ScriptedAttacker(world, seed=pilot_seed)
        self.target_plan = bool(target_plan)
        self.groups: list[RoleGroup] = []
        self.behaviours: dict[str, int] = {}  # doctrine role -> its behaviour count P
        for name, code in ROLE_CODES.items():
            pos = np.flatnonzero(role == code)
            if len(pos) == 0:
                continue
            cols = self.columns[pos]
            n_world = int(world.action_sizes[cols[0]])
            n_choices = n_world
            if name == "radar" and self.plan is not None:
                n_choices = self.plan[1]
            if name == "uav" and self.target_plan:
                n_choices = 1 + len(self.pilot.target_names)
            if name in self.hold:
                if name in self.doctrine:
                    self.behaviours[name] = doctrine_behaviours(world, name)
                n_choices = (n_world + self.behaviours.get(name, 0)) * len(self.hold[name])
            self.groups.append(RoleGroup(name, pos, cols, n_world, n_choices))
        B, n = world.num_worlds, len(self.columns)
        self.noop = noop_actions(world)[self.columns]
        self._held = np.tile(self.noop, (B, 1)).astype(np.int64)
        self._left = np.zeros((B, n), dtype=np.int64)  # steps until the next decision
        self._latched = np.zeros((B, n), dtype=bool)  # radars that emitted (latch)
        self._switch_on = np.full((B, n), np.nan)  # emission plan: emits from this time
        self._planned = np.zeros((B, n), dtype=bool)  # target plan: target chosen
        self._beh = np.full((B, n), -1, dtype=np.int64)  # doctrine: behaviour held, or -1
        self._due: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ options
    def interval(self, role: str) -> int:
        """Steps between a role's decisions (NEVER: once per episode)."""
        if (role == "radar" and self.plan is not None) or (role == "uav" and self.target_plan):
            return NEVER
        return max(1, self.action_repeat.get(role, 1))

    def options(self) -> dict[str, Any]:
        """The `LearnedPlayer` / experiment keyword arguments of this play."""
        return {
            "action_repeat": dict(self.action_repeat),
            "emission_latch": self.emission_latch,
            "emission_plan": self.plan,
            "target_plan": self.target_plan,
            "hold": {r: list(k) for r, k in self.hold.items()},
            "doctrine": dict(self.doctrine),
        }

    def reset(self, worlds: np.ndarray | None = None) -> None:
        """Forget the decisions of `worlds` (all by default): call after `world.reset`."""
        idx: Any = slice(None) if worlds is None else np.asarray(worlds, dtype=np.int64)
        self._held[idx] = self.noop
        self._left[idx] = 0
        self._latched[idx] = False
        self._switch_on[idx] = np.nan
        self._planned[idx] = False
        self._beh[idx] = -1
        if self.pilot is not None:
            self.pilot.reset(None if worlds is None else idx)

    # ------------------------------------------------------------------ one step
    def masks(self) -> dict[str, np.ndarray]:
        """Per role: the policy's action mask [B, n, n_choices] bool now (plans: every
        choice legal while the agent lives; the latch: emit only)."""
        s = self.world.state
        out = {}
        for g in self.groups:
            legal = s.act_mask[:, g.cols, : g.n_world]  # [B, n, A] (a copy)
            if g.role in self.hold:  # (action, duration): every duration of a legal action
                P = self.behaviours.get(g.role, 0)
                if P:  # behaviours: legal while any action is (the pilot's always are)
                    beh = np.repeat(legal.any(axis=2)[..., None], P, axis=2)
                    legal = np.concatenate([legal, beh], axis=2)
                out[g.role] = np.tile(legal, (1, 1, len(self.hold[g.role])))
                continue
            if g.n_choices != g.n_world:
                out[g.role] = np.repeat(legal.any(axis=2)[..., None], g.n_choices, axis=2)
                continue
            if self.emission_latch and g.role == "radar":
                on = self._latched[:, g.pos] & legal[:, :, 0]
                legal[:, :, 1:] &= ~on[..., None]
            out[g.role] = legal
        return out

    def decisions(self) -> list[tuple[RoleGroup, np.ndarray, np.ndarray]]:
        """Per role: (group, due [B, n] bool, mask [B, n, n_choices] bool) for this step.
        Only the `due` rows need a choice; `actions` reads those."""
        s = self.world.state
        masks = self.masks()
        out = []
        for g in self.groups:
            alive = s.agent_alive[:, g.cols]
            mask = masks[g.role]
            if g.role in self.hold:
                due = alive & self._option_over(g)
                if self.skip_forced:
                    due &= s.act_mask[:, g.cols, : g.n_world].sum(axis=2) > 1
            elif g.n_choices != g.n_world:  # a plan: decide once
                undecided = (
                    np.isnan(self._switch_on[:, g.pos])
                    if g.role == "radar"
                    else ~self._planned[:, g.pos]
                )
                due = alive & undecided
            else:
                due = alive & (self._left[:, g.pos] <= 0)
                if self.skip_forced and self.interval(g.role) == 1:
                    due &= mask.sum(axis=2) > 1
            self._due[g.role] = due
            out.append((g, due, mask))
        self._masks = masks
        return out

    def actions(self, choices: Mapping[str, np.ndarray]) -> np.ndarray:
        """World actions [B, len(columns)] from the choices [B, n] of the due agents (the
        other entries are ignored); advances holds, latches, plans and the pilot."""
        s = self.world.state
        B = s.obs_self.shape[0]
        out = np.tile(self.noop, (B, 1))
        flown = None
        for g in self.groups:
            due = self._due[g.role]
            alive = s.agent_alive[:, g.cols]
            c = np.asarray(choices.get(g.role, 0), dtype=np.int64)
            c = np.broadcast_to(c, due.shape)
            if due.any() and (c[due].min() < 0 or c[due].max() >= g.n_choices):
                bad = int(c[due][(c[due] < 0) | (c[due] >= g.n_choices)][0])
                raise ValueError(f"{g.role}: choice {bad} outside 0..{g.n_choices - 1}")
            if g.role == "radar" and self.plan is not None:
                t = np.asarray(s.t, dtype=np.float64)[:, None]
                sw = self._switch_on[:, g.pos]
                self._switch_on[:, g.pos] = np.where(due, t + c * self.plan[0], sw)
                on = t >= self._switch_on[:, g.pos]
                act = np.where(on, 0, 1)
            elif g.role == "uav" and self.target_plan:
                self.pilot.fixed[:, g.pos] = np.where(due, c - 1, self.pilot.fixed[:, g.pos])
                self._planned[:, g.pos] |= due
                if flown is None:
                    flown = self.pilot.act()
                act = flown[:, g.pos]
            elif g.role in self.hold:
                act = self._hold_actions(g, due, alive, c)
            else:
                k = self.interval(g.role)
                act = c
                if self.skip_forced and k == 1:  # forced rows take their one legal action
                    act = np.where(due, c, self._masks[g.role].argmax(axis=2))
                if k > 1:
                    act = np.where(due, c, self._held[:, g.pos])
                    self._held[:, g.pos] = np.where(alive, act, self._held[:, g.pos])
                    self._left[:, g.pos] = np.where(due, k - 1, self._left[:, g.pos] - 1)
                if self.emission_latch and g.role == "radar":
                    self._latched[:, g.pos] |= alive & (act == 0)
            out[:, g.pos] = np.where(alive, act, self.noop[g.pos][None, :])
        return out.astype(np.int64)

    def play(self, decide: Callable[[str, tuple[np.ndarray, ...]], np.ndarray]) -> np.ndarray:
        """One step of world actions [B, len(columns)] from a policy over the due rows:
        `decide(role, (self, entities, entity_mask, action_mask))` gets the stacked
        observations of the agents that decide now and returns one choice per row (the
        loop of `LearnedPlayer` and `aerena.deploy.OnnxPlayer`)."""
        s = self.world.state
        choices: dict[str, np.ndarray] = {}
        for g, due, mask in self.decisions():
            b, j = np.nonzero(due)
            if not len(b):
                continue
            cols = g.cols[j]
            rows = (s.obs_self[b, cols], s.obs_ent[b, cols], s.obs_mask[b, cols], mask[b, j])
            c = np.zeros(due.shape, dtype=np.int64)
            c[b, j] = decide(g.role, rows)
            choices[g.role] = c
        return self.actions(choices)

    # ------------------------------------------------------------------ options (hold)
    def _option_over(self, g: RoleGroup) -> np.ndarray:
        """[B, n]: the agents of a `hold` role whose option ended (its steps are used up, or
        its action is no longer legal)."""
        legal = self.world.state.act_mask[:, g.cols, : g.n_world]
        held = self._held[:, g.pos]
        still = np.take_along_axis(legal, held[..., None], axis=2)[..., 0]
        if g.role in self.behaviours:  # a behaviour's actions are the pilot's: legal
            still |= (self._beh[:, g.pos] >= 0) & legal.any(axis=2)
        return (self._left[:, g.pos] <= 0) | ~still

    def _hold_actions(
        self, g: RoleGroup, due: np.ndarray, alive: np.ndarray, c: np.ndarray
    ) -> np.ndarray:
        """World actions of a `hold` role: a due agent starts option `c` (its action, for
        its duration); the others keep theirs; one with no option and a single legal
        action (`skip_forced`) takes that action for one step."""
        ks = np.asarray(self.hold[g.role], dtype=np.int64)
        n = g.n_world
        m = n + self.behaviours.get(g.role, 0)  # base choices: actions, then behaviours
        over = self._option_over(g)
        forced = alive & ~due & over  # only under skip_forced: one legal action
        legal = self.world.state.act_mask[:, g.cols, :n]
        base = c % m
        act = np.where(due, np.minimum(base, n - 1), self._held[:, g.pos])
        act = np.where(forced, legal.argmax(axis=2), act)
        if m > n:
            act = self._behave(g, due, alive, forced, base, act)
        left = np.where(due, ks[np.minimum(c // m, len(ks) - 1)] - 1, self._left[:, g.pos] - 1)
        self._left[:, g.pos] = np.where(forced, 0, left)
        self._held[:, g.pos] = np.where(alive, act, self._held[:, g.pos])
        return act

    def _behave(self, g: RoleGroup, due: np.ndarray, alive: np.ndarray, forced: np.ndarray,
                base: np.ndarray, act: np.ndarray) -> np.ndarray:  # fmt: skip
        """Doctrine behaviours of a `hold` role: a due agent whose base choice is past the
        world actions starts behaviour `base - n_world` (the pilot's target: that minus
        1); the agents in a behaviour take the pilot's action this step."""
        beh = self._beh[:, g.pos]
        start = due & (base >= g.n_world)
        beh = np.where(due | forced | ~alive, -1, beh)
        beh = np.where(start, base - g.n_world, beh)
        self._beh[:, g.pos] = beh
        flying = beh >= 0
        if not flying.any():
            return act
        fixed = self.pilot.fixed[:, g.pos]
        self.pilot.fixed[:, g.pos] = np.where(start, beh - 1, fixed)
        return np.where(flying, self.pilot.act()[:, g.pos], act)


def needs_pilot(target_plan: bool, doctrine: Mapping[str, float] | None) -> bool:
    """Whether play options fly UAVs with the scripted pilot (a target plan, or doctrine
    behaviours of `uav`): its players then draw a pilot seed."""
    return bool(target_plan) or "uav" in dict(doctrine or {})


def doctrine_behaviours(world: Any, role: str) -> int:
    """How many doctrine behaviours a role's choices gain (`uav`: 1 + the scripted
    attacker's target slots, the assets then the radars)."""
    if role != "uav":
        raise ValueError(f"doctrine: only uav has behaviours so far, not {role!r}")
    ro = world.roster
    return 1 + int(np.count_nonzero(ro.gnd_kind == Lo.ASSET)) + len(ro.radar_g)


def check_doctrine(
    doctrine: Mapping[str, float] | None, hold: Mapping[str, Any], target_plan: bool
) -> dict[str, float]:
    """The `doctrine` option as role -> initial probability of its behaviours; a
    ValueError names what is wrong (the one check of :class:`SidePlay` and the config)."""
    out: dict[str, float] = {}
    for role, p in dict(doctrine or {}).items():
        if role != "uav":
            raise ValueError(f"doctrine: only uav has behaviours so far, not {role!r}")
        if not 0.0 < float(p) < 1.0:
            raise ValueError(f"doctrine.{role}: an initial probability in (0, 1), got {p}")
        if role not in hold:
            raise ValueError(
                f"doctrine.{role}: behaviours are held options; give hold.{role} too "
                "(e.g. [1] for per-step decisions)"
            )
        if target_plan:
            raise ValueError("doctrine.uav: not with target_plan (a target plan is its "
                             "behaviours chosen once)")  # fmt: skip
        out[str(role)] = float(p)
    return out


def doctrine_prior(n_world: int, behaviours: int, durations: int, p: float) -> np.ndarray:
    """Initial choice probabilities [(n_world + behaviours) * durations] of a doctrine
    role: the behaviours share `p`, the world actions `1 - p`, evenly over durations."""
    block = np.concatenate([np.full(n_world, (1.0 - p) / n_world),
                            np.full(behaviours, p / behaviours)])  # fmt: skip
    return np.tile(block, durations) / durations


def check_hold(hold: Mapping[str, Sequence[int]] | None) -> dict[str, tuple[int, ...]]:
    """The `hold` option as role -> durations (steps, >= 1, distinct); a ValueError names
    what is wrong."""
    out: dict[str, tuple[int, ...]] = {}
    for role, ks in dict(hold or {}).items():
        if role not in ROLE_CODES:
            raise ValueError(f"hold: unknown role {role!r} (roles: {', '.join(ROLE_CODES)})")
        ks = tuple(int(k) for k in ks)
        if not ks or min(ks) < 1 or len(set(ks)) != len(ks):
            raise ValueError(f"hold.{role}: durations must be distinct steps >= 1, got {ks}")
        out[str(role)] = ks
    return out


def check_hold_conflicts(
    hold: Iterable[str],
    action_repeat: Iterable[str],
    emission_latch: bool,
    emission_plan: bool,
    target_plan: bool,
) -> None:
    """The play options a `hold` role cannot have besides (roles of `hold` and of
    `action_repeat`; whether the latch, an emission plan, a target plan is on); a ValueError
    names the first conflict. The one check of :class:`SidePlay` and of the experiment
    config (:mod:`aerena.training.config`)."""
    repeat = set(action_repeat)
    for role in hold:
        if role in repeat:
            raise ValueError(f"hold.{role}: the role has action_repeat too (keep one)")
    if "radar" in hold and (emission_latch or emission_plan):
        raise ValueError("hold.radar: not with emission_latch or emission_plan")
    if "uav" in hold and target_plan:
        raise ValueError("hold.uav: not with target_plan")
