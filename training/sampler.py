"""`BatchedSampler`: one learning side in B worlds of ONE `World`, stepped by one kernel call.

The core of the batched RLlib path (:mod:`aerena.training.batched_runner`), free of Ray:
arrays in, decision records out. Each step it

1. asks :class:`~aerena.agents.play.SidePlay` which learning agents decide (alive, due
   under the decision interval or plan, more than one legal action with `skip_forced`);
2. calls `policy(role, obs)` ONCE per role on the due rows of all worlds (obs: a dict of
   arrays [m, ...] -- `self`, `entities`, `entity_mask`, `action_mask`, and `state` with a
   centralised critic) and gets back (actions, logp, logits);
3. lets the opponent play all B worlds in one batched call (scripted, random, a frozen
   checkpoint, or per-world self-play draws from the league file);
4. steps the World, sums each learning agent's side reward into its open decision, closes
   decisions (reward complete at the agent's next decision, its loss, or the episode end)
   and resets finished worlds with their next seeds (same-step auto-reset).

Semantics are those of :class:`~aerena.training.side_env.SideEnv` (the B = 1 path): the
same seeds per world (world b plays the episodes SideEnv would play as vector index b),
the same decision points and summed rewards, the same counting of env steps (a world step
counts when some learning agent is alive at its start; steps played by the opponent
alone count for nothing), target-plan UAVs scored by the team return up to the episode's
end. `tests/test_batched.py` checks the episodes against SideEnv's.

`collect(n)` steps until n env steps were counted and returns :class:`Segment` lists:
for every agent with completed decisions, its observations (one more than its
decisions: the last is the bootstrap observation of a cut chunk or the final one),
actions, rewards, logp, logits and whether it terminated or was truncated. A decision
still open at the end of a call is carried into the next one.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aerena.agents.play import SidePlay, learning_columns
from aerena.agents.scripted import make_player
from aerena.envs.airdefense.parallel import agent_sides
from aerena.envs.airdefense.rllib_env import runner_seed
from aerena.envs.airdefense.spaces import noop_actions
from aerena.envs.airdefense.world import World
from aerena.seeding import entropy_seed, episode_seed
from aerena.training.checkpoints import checkpoint_play_options, load_snapshot_modules
from aerena.training.config import check_time_limit
from aerena.training.shaping import Shaping

Policy = Callable[[str, dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray, np.ndarray]]


def other_side(side: str) -> str:
    return "defender" if side == "attacker" else "attacker"


@dataclass
class Segment:
    """One agent's decisions in one world-episode chunk (arrays, time first)."""

    agent: str
    role: str
    episode_id: str  # the world-episode (MultiAgentEpisode) id, stable across chunks
    world: int
    obs: dict[str, np.ndarray]  # [m + 1, ...]
    actions: np.ndarray  # [m]
    rewards: np.ndarray  # [m]
    logp: np.ndarray  # [m]
    logits: np.ndarray  # [m, A]
    terminated: bool
    truncated: bool
    t_started: int  # decisions of this agent before this chunk


@dataclass
class EpisodeChunk:
    """A world-episode's part in one `collect` call: env steps [t0, t1) and its agents."""

    episode_id: str
    world: int
    t0: int
    t1: int
    terminated: bool
    truncated: bool
    segments: list[Segment] = field(default_factory=list)


class LeagueDraw:
    """Self-play opponents: per side, snapshot folders and PFSP probabilities from the
    league file (written by :mod:`aerena.training.league`), re-read when it changes."""

    def __init__(self, path: str | None, side: str, seed: int | None) -> None:
        self.path, self.side = path, side
        self.rng = np.random.default_rng(seed)
        self.mtime = -1.0
        self.entries: list[tuple[str, str | None, float]] = []

    def draw(self) -> tuple[str, str | None] | None:
        """(id, path or None for the scripted player), or None while the league is empty."""
        try:
            mtime = os.stat(self.path).st_mtime if self.path else -1.0
        except OSError:
            mtime = -1.0
        if mtime != self.mtime and mtime >= 0:
            with open(self.path, encoding="utf-8") as f:  # type: ignore[arg-type]
                data = json.load(f)
            self.entries = [
                (e["id"], e.get("path"), float(e["prob"]))
                for e in data.get("pfsp", {}).get(self.side, [])
            ]
            self.mtime = mtime
        if not self.entries:
            return None
        probs = np.array([p for _, _, p in self.entries], dtype=np.float64)
        probs = probs / probs.sum() if probs.sum() > 0 else np.full(len(probs), 1 / len(probs))
        sid, path, _ = self.entries[int(self.rng.choice(len(probs), p=probs))]
        return sid, path


def learned_opponent(world: Any, side: str, path: str, seed: int | None,
                     play: dict[str, Any] | None = None, *,
                     env_cls: type | None = None) -> Any:  # fmt: skip
    """A frozen opponent: the modules at `path`, played as their run trained them
    (`play`: LearnedPlayer options; default: read from the checkpoint's run folder).
    `env_cls`: the env an unsigned checkpoint's modules are built for (SideEnv; see
    :func:`aerena.training.checkpoints.load_modules`)."""
    from aerena.agents.rl_module import LearnedPlayer  # torch and ray: heavy imports

    modules = load_snapshot_modules(path, env_cls)
    if play is None:
        play = checkpoint_play_options(path)
    return LearnedPlayer(world, side, modules, seed=seed, **play)


def _write_obs(cols: dict[str, np.ndarray], sl: slice, obs: dict[str, np.ndarray]) -> None:
    """Observation rows into a store's columns (the action mask padded with zeros)."""
    for k, v in obs.items():
        dst = cols[f"obs/{k}"]
        if k == "action_mask":
            dst[sl] = 0
            dst[sl, : v.shape[1]] = v
        else:
            dst[sl] = v


class Records:
    """Decision rows of all roles in growable arrays (action mask and logits padded to the
    widest role); a row's key is its index. Final observations live in a second store."""

    def __init__(self, shapes: dict[str, tuple[tuple[int, ...], Any]], width: int) -> None:
        self.shapes, self.width = shapes, width
        self.size, self.cap = 0, 0
        self.fsize, self.fcap = 0, 0
        self.cols: dict[str, np.ndarray] = {}
        self.fcols: dict[str, np.ndarray] = {}
        self._grow(256)
        self._fgrow(64)

    def _spec(self) -> dict[str, tuple[tuple[int, ...], Any]]:
        w = self.width
        return {
            **{f"obs/{k}": v for k, v in self.shapes.items()},
            "obs/action_mask": ((w,), np.int8),
            "logits": ((w,), np.float32),
            "b": ((), np.int64), "pos": ((), np.int64), "ep": ((), np.int64),
            "agent_t": ((), np.int64), "action": ((), np.int64), "logp": ((), np.float32),
            "reward": ((), np.float64), "closed": ((), np.bool_), "final": ((), np.int64),
        }  # fmt: skip

    def _fspec(self) -> dict[str, tuple[tuple[int, ...], Any]]:
        return {
            **{f"obs/{k}": v for k, v in self.shapes.items()},
            "obs/action_mask": ((self.width,), np.int8),
            "terminated": ((), np.bool_), "truncated": ((), np.bool_),
        }  # fmt: skip

    @staticmethod
    def _resize(cols: dict[str, np.ndarray], spec: dict, n: int, cap: int) -> None:
        for k, (shape, dtype) in spec.items():
            new = np.zeros((cap, *shape), dtype=dtype)
            if k in cols:
                new[:n] = cols[k][:n]
            cols[k] = new

    def _grow(self, need: int) -> None:
        if need > self.cap:
            self.cap = max(need, 2 * self.cap)
            self._resize(self.cols, self._spec(), self.size, self.cap)

    def _fgrow(self, need: int) -> None:
        if need > self.fcap:
            self.fcap = max(need, 2 * self.fcap)
            self._resize(self.fcols, self._fspec(), self.fsize, self.fcap)

    def add(self, obs: dict[str, np.ndarray], **scalars: np.ndarray) -> np.ndarray:
        m = len(scalars["b"])
        self._grow(self.size + m)
        sl = slice(self.size, self.size + m)
        c = self.cols
        _write_obs(c, sl, obs)
        lg = scalars.pop("logits")
        c["logits"][sl] = np.finfo(np.float32).min
        c["logits"][sl, : lg.shape[1]] = lg
        for k, v in scalars.items():
            c[k][sl] = v
        c["closed"][sl] = False
        c["final"][sl] = -1
        c["reward"][sl] = 0.0
        self.size += m
        return np.arange(sl.start, sl.stop)

    def close(self, keys: np.ndarray, rewards: np.ndarray) -> None:
        self.cols["reward"][keys] = rewards
        self.cols["closed"][keys] = True

    def set_final(self, keys: np.ndarray, obs: dict[str, np.ndarray], term: np.ndarray,
                  trunc: np.ndarray) -> None:  # fmt: skip
        m = len(keys)
        self._fgrow(self.fsize + m)
        sl = slice(self.fsize, self.fsize + m)
        f = self.fcols
        _write_obs(f, sl, obs)
        f["terminated"][sl] = term
        f["truncated"][sl] = trunc
        self.cols["final"][keys] = np.arange(sl.start, sl.stop)
        self.fsize += m

    def carry(self, keep_rows: np.ndarray | None = None) -> tuple[Records, np.ndarray]:
        """A new store holding the rows `keep_rows` selects (bool [size]; default the open
        ones) and their finals; the old keys of those rows, in their new order."""
        new = Records(self.shapes, self.width)
        if keep_rows is None:
            keep_rows = ~self.cols["closed"][: self.size]
        keep = np.flatnonzero(keep_rows)
        m = len(keep)
        new._grow(m)
        for k in new.cols:
            new.cols[k][:m] = self.cols[k][keep]
        fin = self.cols["final"][keep]
        has = fin >= 0
        nf = int(has.sum())
        new._fgrow(nf)
        for k in new.fcols:
            new.fcols[k][:nf] = self.fcols[k][fin[has]]
        new.cols["final"][:m] = -1
        new.cols["final"][np.flatnonzero(has)] = np.arange(nf)
        new.size, new.fsize = m, nf
        return new, keep


class BatchedSampler:
    """B worlds of one learning side (see the module docstring).

    `config`: the SideEnv config keys (`scenario`, `overrides`, `learn`, `opponent`,
    `opponent_checkpoint`, `league_file`, `seed`, `action_repeat`, `emission_latch`,
    `emission_plan`, `target_plan`, `hold`, `doctrine`, `global_state`, `time_limit`), plus
    `skip_forced` (default True).
    `complete_episodes`: RLlib's `batch_mode: complete_episodes` -- `collect` returns only
    world-episodes that ended, each whole (its decisions of earlier calls held in the
    store until then), so no decision is bootstrapped from the critic at a chunk cut.
    `worker_index` combines with the seed as in RLlib's EnvContext (world b is vector
    index b). `env_cls`: the env an unsigned checkpoint opponent's modules are built for
    (SideEnv, from the env runner; see :func:`aerena.training.checkpoints.load_modules`).
    """

    def __init__(self, config: dict[str, Any], num_worlds: int, worker_index: int | None = None,
                 env_cls: type | None = None, complete_episodes: bool = False) -> None:  # fmt: skip
        cfg = dict(config)
        self.complete = bool(complete_episodes)
        self.env_cls = env_cls
        self.learn = str(cfg.get("learn", "defender"))
        self.opponent_kind = str(cfg.get("opponent", "scripted"))
        scenario = cfg.get("scenario", "tiny")
        self.world = World(scenario, int(num_worlds), **dict(cfg.get("overrides") or {}))
        w, s = self.world, self.world.state
        B = self.B = w.num_worlds
        seed = cfg.get("seed")
        # world b plays the episodes of SideEnv at vector index b (alone: SideEnv's own)
        ctx = (
            [None] if B == 1 and worker_index is None else [_Ctx(worker_index, b) for b in range(B)]
        )
        self.seeds = [runner_seed(seed, x) for x in ctx]
        # as the parallel env: episode e of base seed S plays S + e (aerena.seeding)
        self._bases = [entropy_seed() if x is None else int(x) for x in self.seeds]
        base = self.seeds[0]
        opp_seed = None if base is None else (base + 1) % 2**63
        self.play = SidePlay(
            w,
            self.learn,
            action_repeat=cfg.get("action_repeat") or {},
            emission_latch=bool(cfg.get("emission_latch", False)),
            emission_plan=cfg.get("emission_plan"),
            target_plan=bool(cfg.get("target_plan", False)),
            hold=cfg.get("hold") or {},
            doctrine=cfg.get("doctrine") or {},
            pilot_seed=None if base is None else base + 2,
            skip_forced=bool(cfg.get("skip_forced", True)),
        )
        self.cols = self.play.columns
        self.names = [w.agent_names[c] for c in self.cols]
        self.role_of_pos = np.empty(len(self.cols), dtype=object)
        for g in self.play.groups:
            self.role_of_pos[g.pos] = g.role
        self.side_of = agent_sides(w)[self.cols]  # 0 attacker, 1 defender
        self.global_state = bool(cfg.get("global_state", False))
        self.time_terminal = check_time_limit(cfg.get("time_limit")) == "terminal"
        terms = dict(cfg.get("shaping") or {})
        self.shaping = Shaping(w, self.cols, terms) if terms else None
        # ---- the opponent ----
        self.opp_cols = np.zeros(0, dtype=np.int64)
        self._players: dict[str, Any] = {}
        self._opp_of = np.full(B, "", dtype=object)
        self._league: LeagueDraw | None = None
        self._opp_seed = opp_seed
        self.other = "" if self.learn == "both" else other_side(self.learn)
        if self.learn != "both":
            self.opp_cols = learning_columns(w, self.other)
            kind = self.opponent_kind
            if kind in ("scripted", "random"):
                self._players[kind] = make_player(self.other, kind, w, seed=opp_seed)
            elif kind == "checkpoint":
                path = cfg.get("opponent_checkpoint")
                if not path:
                    raise ValueError("opponent: checkpoint needs opponent_checkpoint")
                self._players[kind] = learned_opponent(
                    w, self.other, str(path), opp_seed, env_cls=env_cls
                )
            else:
                self._league = LeagueDraw(cfg.get("league_file"), self.other, opp_seed)
                kind = "scripted"
                self._players[kind] = make_player(self.other, kind, w, seed=opp_seed)
            self._opp_of[:] = kind
            # a random player reads only action masks, the scripted attacker the world's
            # arrays: nobody reads their observations, so the world skips writing them
            if kind == "random" or (kind == "scripted" and self.other == "attacker"):
                w.observe[:, self.opp_cols] = False
        # ---- records and per-world bookkeeping ----
        K, F, S = s.obs_ent.shape[2], s.obs_ent.shape[3], s.obs_self.shape[2]
        shapes: dict[str, tuple[tuple[int, ...], Any]] = {
            "self": ((S,), np.float32),
            "entities": ((K, F), np.float32),
            "entity_mask": ((K,), np.int8),
        }
        if self.global_state:
            shapes["state"] = ((w.state_dim,), np.float32)
        width = max(g.n_choices for g in self.play.groups)
        self.rec = Records(shapes, width)
        n = len(self.cols)
        self.episode = np.zeros(B, dtype=np.int64)  # world-episodes started per world
        self._ep_uuid: dict[tuple[int, int], str] = {}
        self.env_t = np.zeros(B, dtype=np.int64)  # counted env steps in the episode
        self.returns = np.zeros((B, 2))  # team returns (attacker, defender) this episode
        self.learn_return = np.zeros(B)  # rewards of the learning agents, summed
        self.acc = np.zeros((B, n))  # reward of each agent's open decision so far
        self.open = np.full((B, n), -1, dtype=np.int64)  # key of the open decision
        self.agent_t = np.zeros((B, n), dtype=np.int64)  # decisions made this episode
        self.deferred = np.zeros((B, n), dtype=bool)  # target plan: lost, scored at the end
        self.finished: list[dict[str, Any]] = []  # outcomes of world-episodes ended
        self._acts = np.tile(noop_actions(w), (B, 1))
        self._started = False
        # seconds spent per phase (the benchmark's profile): world step, opponent, the
        # policy callback, everything else (decisions, records, resets)
        self.timers = {"world": 0.0, "opponent": 0.0, "policy": 0.0, "total": 0.0}

    # ------------------------------------------------------------------ episodes
    def _start(self, worlds: np.ndarray) -> None:
        """New episodes in `worlds` (their next seeds), opponents drawn and reset."""
        seeds = [episode_seed(self._bases[int(b)], int(self.episode[b])) for b in worlds]
        self.world.reset(seeds, worlds=worlds)
        for b in worlds:
            b = int(b)
            self.episode[b] += 1
            self._ep_uuid[(b, int(self.episode[b]))] = uuid.uuid4().hex
            if self._league is not None:
                self._draw(b)
        for arr in (self.env_t, self.returns, self.learn_return, self.acc, self.agent_t):
            arr[worlds] = 0
        self.open[worlds] = -1
        self.deferred[worlds] = False
        self.play.reset(worlds)
        if self.shaping is not None:
            self.shaping.reset(worlds)
        for kind, p in self._players.items():
            mine = worlds[self._opp_of[worlds] == kind]
            if len(mine):
                p.reset(mine)

    def episode_id(self, b: int, episode: int | None = None) -> str:
        return self._ep_uuid[(b, int(self.episode[b] if episode is None else episode))]

    def _draw(self, b: int) -> None:
        got = self._league.draw()  # type: ignore[union-attr]
        if got is None:
            self._opp_of[b] = "scripted"
            return
        sid, path = got
        if sid not in self._players:
            w, other = self.world, self.other
            if path is None:
                self._players[sid] = make_player(other, "scripted", w, seed=self._opp_seed)
            else:  # league snapshots come from this experiment: its own play options
                self._players[sid] = learned_opponent(
                    w, other, path, self._opp_seed, self.play.options(), env_cls=self.env_cls
                )
        self._opp_of[b] = sid

    def opponent_actions(self) -> np.ndarray:
        """The opponent's actions [B, n_opp] (each world played by its drawn player)."""
        out = np.zeros((self.B, len(self.opp_cols)), dtype=np.int64)
        for kind in set(self._opp_of.tolist()):
            acts = self._players[kind].act()
            mine = self._opp_of == kind
            out[mine] = acts[mine]
        return out

    # ------------------------------------------------------------------ sampling
    def collect(
        self, num_steps: int, policy: Policy, num_episodes: int | None = None
    ) -> list[EpisodeChunk]:
        """Step until `num_steps` env steps were counted (or `num_episodes` world-episodes
        ended); the chunks of every world-episode touched, with their segments."""
        w, s = self.world, self.world.state
        tm, t_call = self.timers, time.perf_counter()
        if not self._started:
            self._start(np.arange(self.B))
            self._started = True
        keep_rows = None
        if self.complete:  # every row of a running episode waits for its episode's end
            c, n = self.rec.cols, self.rec.size
            keep_rows = c["ep"][:n] == self.episode[c["b"][:n]]
        self.rec, old = self.rec.carry(keep_rows)
        self._ep_uuid = {
            (b, int(e)): self._ep_uuid[(b, int(e))] for b, e in enumerate(self.episode)
        }
        if len(old):  # carried open decisions get their new keys
            c = self.rec.cols
            opened = np.flatnonzero(~c["closed"][: len(old)])
            self.open[c["b"][opened], c["pos"][opened]] = opened
        # a chunk starts where this call does, or (complete episodes) at its episode's start
        t_begin = np.zeros_like(self.env_t) if self.complete else self.env_t.copy()
        chunks: list[EpisodeChunk] = []
        steps = episodes = 0
        while steps < num_steps if num_episodes is None else episodes < num_episodes:
            alive0 = s.agent_alive[:, self.cols].copy()
            counted = alive0.any(axis=1)
            gstate = w.global_state() if self.global_state else None
            choices: dict[str, np.ndarray] = {}
            for g, due, mask in self.play.decisions():
                b, j = np.nonzero(due)
                if not len(b):
                    continue
                pos = g.pos[j]
                obs = self._obs(b, self.cols[pos], gstate)
                obs["action_mask"] = mask[b, j].view(np.int8)
                tp = time.perf_counter()
                a, logp, logits = policy(g.role, obs)
                tm["policy"] += time.perf_counter() - tp
                c = np.zeros(due.shape, dtype=np.int64)
                c[b, j] = a
                choices[g.role] = c
                self._close(b, pos)  # their previous decisions are complete now
                self.open[b, pos] = self.rec.add(
                    obs, b=b, pos=pos, ep=self.episode[b], agent_t=self.agent_t[b, pos],
                    action=a, logp=logp, logits=logits,
                )  # fmt: skip
                self.agent_t[b, pos] += 1
            self._acts[:, self.cols] = self.play.actions(choices)
            to = time.perf_counter()
            if len(self.opp_cols):
                self._acts[:, self.opp_cols] = self.opponent_actions()
            tw = time.perf_counter()
            w.step(self._acts, checked=True)
            tm["world"] += time.perf_counter() - tw
            tm["opponent"] += tw - to
            team = s.reward  # [B, 2] this step's team rewards
            self.returns += team
            r = team[:, self.side_of] * (alive0 | self.deferred)
            if self.shaping is not None:  # training-only terms; `returns` stays unshaped
                r += self.shaping.step() * alive0
            self.acc += r
            self.learn_return += r.sum(axis=1)
            self.env_t += counted
            steps += int(counted.sum())
            done = w.done
            lost = alive0 & ~s.agent_alive[:, self.cols]
            ends = (self.open >= 0) & ~self.deferred & (lost | done[:, None])
            if ends.any():
                self._final(ends, done)
            if done.any():
                idx = np.flatnonzero(done)
                for b in idx:
                    b = int(b)
                    self._close_world(b)
                    if self.env_t[b] > t_begin[b]:
                        chunks.append(self._chunk(b, int(t_begin[b]), True))
                        episodes += 1
                    t_begin[b] = 0
                self._start(idx)
        for b in range(self.B):
            if self.env_t[b] > t_begin[b] and not self.complete:
                chunks.append(self._chunk(b, int(t_begin[b]), False))
        self._segments(chunks)
        tm["total"] += time.perf_counter() - t_call
        return chunks

    # ------------------------------------------------------------------ bookkeeping
    def _obs(self, b: np.ndarray, cols: np.ndarray, gstate: Any) -> dict[str, np.ndarray]:
        s = self.world.state
        obs = {
            "self": s.obs_self[b, cols],
            "entities": s.obs_ent[b, cols],
            "entity_mask": s.obs_mask[b, cols].view(np.int8),
        }
        if gstate is not None:
            obs["state"] = gstate[b]
        return obs

    def _close(self, b: np.ndarray, pos: np.ndarray) -> None:
        """Complete the open decisions of agents (b, pos) with their summed rewards."""
        keys = self.open[b, pos]
        has = keys >= 0
        self.rec.close(keys[has], self.acc[b[has], pos[has]])
        self.acc[b, pos] = 0.0
        self.open[b, pos] = -1

    def _final(self, ends: np.ndarray, done: np.ndarray) -> None:
        """Final observations of agents whose decisions end now (lost, or the episode is
        over); a lost target-plan UAV is scored at the episode's end (deferred)."""
        s = self.world.state
        b, pos = np.nonzero(ends)
        cols = self.cols[pos]
        gstate = self.world.global_state() if self.global_state else None
        obs = self._obs(b, cols, gstate)
        masks = self.play.masks()
        am = np.zeros((len(b), self.rec.width), dtype=np.int8)
        for g in self.play.groups:
            sel = self.role_of_pos[pos] == g.role
            if sel.any():
                am[sel, : g.n_choices] = masks[g.role][b[sel], np.searchsorted(g.pos, pos[sel])]
        obs["action_mask"] = am
        ended = s.terminated[b] | (s.truncated[b] & self.time_terminal)
        term = ended | ~s.agent_alive[b, cols]
        self.rec.set_final(self.open[b, pos], obs, term, s.truncated[b] & ~term)
        defer = ~done[b] & (self.role_of_pos[pos] == "uav") & (self.play.pilot is not None)
        self.deferred[b[defer], pos[defer]] = True
        now = ~defer
        if now.any():
            self._close(b[now], pos[now])

    def _close_world(self, b: int) -> None:
        """A world-episode ended: close deferred decisions, record its outcome."""
        pos = np.flatnonzero(self.open[b] >= 0)
        if len(pos):
            self._close(np.full(len(pos), b), pos)
        if self.env_t[b] > 0:  # an episode no learning agent acted in is not reported
            out = dict(self.world.outcome(b))
            out["return_attacker"] = float(self.returns[b, 0])
            out["return_defender"] = float(self.returns[b, 1])
            out["return_learning"] = float(self.learn_return[b])
            out["env_steps"] = int(self.env_t[b])
            if self._league is not None:
                out["opponent"] = str(self._opp_of[b])
            self.finished.append(out)

    def _chunk(self, b: int, t0: int, ended: bool) -> EpisodeChunk:
        s = self.world.state
        term = bool(ended and (s.terminated[b] or (s.truncated[b] and self.time_terminal)))
        return EpisodeChunk(
            episode_id=self.episode_id(b),
            world=b,
            t0=t0,
            t1=int(self.env_t[b]),
            terminated=term,
            truncated=bool(ended and s.truncated[b] and not term),
        )

    def _segments(self, chunks: list[EpisodeChunk]) -> None:
        """Cut the closed rows into per-agent segments of the chunks."""
        r = self.rec
        c = r.cols
        n = r.size
        closed = np.flatnonzero(c["closed"][:n])
        if not len(closed):
            return
        by_id = {ch.episode_id: ch for ch in chunks}
        order = closed[np.lexsort((closed, c["pos"][closed], c["ep"][closed], c["b"][closed]))]
        key = np.stack([c["b"][order], c["ep"][order], c["pos"][order]], axis=1)
        cut = np.flatnonzero(np.any(key[1:] != key[:-1], axis=1)) + 1
        groups = {g.role: g for g in self.play.groups}
        for rows in np.split(order, cut):
            b, ep, p = int(c["b"][rows[0]]), int(c["ep"][rows[0]]), int(c["pos"][rows[0]])
            ch = by_id.get(self._ep_uuid.get((b, ep), ""))
            if ch is None:
                continue
            role = str(self.role_of_pos[p])
            width = groups[role].n_choices
            last = int(rows[-1])
            f = int(c["final"][last])
            if f >= 0:
                src, at = r.fcols, f
                term, trunc = bool(r.fcols["terminated"][f]), bool(r.fcols["truncated"][f])
            else:  # cut chunk: bootstrap from the open decision that follows
                nxt = int(self.open[b, p]) if ep == int(self.episode[b]) else -1
                if nxt < 0:
                    continue
                src, at, term, trunc = c, nxt, False, False
            obs = {}
            for k in r.shapes:
                obs[k] = np.concatenate([c[f"obs/{k}"][rows], src[f"obs/{k}"][at : at + 1]])
            am = np.concatenate([c["obs/action_mask"][rows], src["obs/action_mask"][at : at + 1]])
            obs["action_mask"] = am[:, :width]
            ch.segments.append(
                Segment(
                    agent=self.names[p],
                    role=role,
                    episode_id=ch.episode_id,
                    world=b,
                    obs=obs,
                    actions=c["action"][rows].copy(),
                    rewards=c["reward"][rows].copy(),
                    logp=c["logp"][rows].copy(),
                    logits=c["logits"][rows, :width].copy(),
                    terminated=term,
                    truncated=trunc,
                    t_started=int(c["agent_t"][rows[0]]),
                )
            )


class _Ctx:
    """The EnvContext fields a runner seed combines with."""

    def __init__(self, worker_index: int | None, vector_index: int) -> None:
        self.worker_index, self.vector_index = worker_index, vector_index
