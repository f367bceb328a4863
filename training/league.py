"""Self-play league: both sides learn against frozen snapshots of each other.

    aerena league training/experiments/tiny_league.yaml     # train (see LeagueSpec)
    aerena league --scenario tiny --set league.rounds=3
    aerena league runs/tiny-league-20260101-120000           # print the Elo table

**Mains and snapshots.** Each side has one *main* learner: an RLlib algorithm that trains
that side's modules (`uav`; `launcher` + `radar`) in a :class:`~aerena.training.side_env.
SideEnv` with `opponent: self_play`. The league holds frozen *snapshots* of each side:
copies of a main's module weights (``league/<side>_<NNN>/<role>/``, RLModule checkpoints),
plus, with `include_scripted`, the scripted player of each side as snapshot
``<side>_scripted``.

**Rounds.** A round trains the attacker main for `phase_iterations` iterations, then the
defender main. After each phase the main plays `eval_episodes` evaluation episodes (greedy,
batched), each against an opponent snapshot drawn by PFSP; every game updates the Elo
ratings of the main and the snapshot and the main's win record. When the main's win rate
over its last `window` games reaches `threshold` (and it has played at least `window`
games, or `eval_episodes` when fewer), a snapshot of it joins the league with the main's
rating, and its window restarts.

**PFSP** (prioritised fictitious self-play, AlphaStar): the opponent of a main is drawn
with probability proportional to f(p), p the main's recent win rate against that
snapshot (0.5 before any game): `hard` f = (1 - p)^2 (the opponents it loses to),
`even` f = p (1 - p) (the even ones), `uniform` f = 1. When every weight is 0 the draw is
uniform. The same probabilities drive the training envs: they are written to
``league.json`` (key `pfsp`, by the snapshots' side), which the envs re-read when it
changes -- the run folder must be on a file system the env runners share.

**Elo**: expected score E = 1 / (1 + 10^((R_b - R_a) / 400)); after a game with score S
(1 win, 0.5 draw, 0 loss) R_a += K (S - E), R_b -= K (S - E). Everyone starts at 1000.

``league.json`` (written atomically after every phase): `ratings` (mains and snapshots:
id, side, elo, games, wins, draws, round, path), `pfsp`, `round`, `threshold`.
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aerena.agents.scripted import make_player
from aerena.envs.airdefense.rollout import play_episodes
from aerena.envs.airdefense.world import World
from aerena.errors import UserError
from aerena.files import atomic_write_text
from aerena.training import checkpoints, trust, weights
from aerena.training.algorithm import env_config
from aerena.training.config import LoadedExperiment
from aerena.training.console import LOG_NAME, ray_log
from aerena.training.progress import write_record
from aerena.training.runtime import init_ray, set_threads
from aerena.training.train import (
    build_algorithm_config,
    iteration_record,
    make_run_dir,
    save_checkpoint_weights,
)

SIDES = ("attacker", "defender")
START_ELO = 1000.0
LEAGUE_FILE = "league.json"


# --------------------------------------------------------------------------------------
# PFSP and Elo (pure functions)
# --------------------------------------------------------------------------------------
def pfsp_weights(p_win: np.ndarray, kind: str = "hard") -> np.ndarray:
    """Unnormalised PFSP weights f(p) of opponents the learner beats with probability p."""
    p = np.clip(np.asarray(p_win, dtype=np.float64), 0.0, 1.0)
    if kind == "hard":
        return (1.0 - p) ** 2
    if kind == "even":
        return p * (1.0 - p)
    if kind == "uniform":
        return np.ones_like(p)
    raise ValueError(f"unknown PFSP weighting {kind!r}: expected hard, even or uniform")


def pfsp_probs(p_win: np.ndarray, kind: str = "hard") -> np.ndarray:
    """PFSP sampling probabilities (uniform when every weight is 0)."""
    w = pfsp_weights(p_win, kind)
    if len(w) == 0:
        return w
    total = w.sum()
    return w / total if total > 0 else np.full(len(w), 1.0 / len(w))


def sample_opponents(
    rng: np.random.Generator, p_win: np.ndarray, n: int, kind: str = "hard"
) -> np.ndarray:
    """Indices of `n` opponents drawn by PFSP."""
    probs = pfsp_probs(p_win, kind)
    if len(probs) == 0:
        raise ValueError("no opponents to draw from")
    return rng.choice(len(probs), size=n, p=probs)


def elo_expected(r_a: float, r_b: float) -> float:
    """Expected score of a player rated r_a against one rated r_b."""
    return 1.0 / (1.0 + 10.0 ** ((r_b - r_a) / 400.0))


def elo_update(r_a: float, r_b: float, score_a: float, k: float = 16.0) -> tuple[float, float]:
    """Ratings after one game in which A scored `score_a` (1 win, 0.5 draw, 0 loss)."""
    delta = k * (score_a - elo_expected(r_a, r_b))
    return r_a + delta, r_b - delta


# --------------------------------------------------------------------------------------
# The league table
# --------------------------------------------------------------------------------------
@dataclass
class Entry:
    """A rated player: a main learner or a frozen snapshot."""

    id: str
    side: str
    kind: str  # main | snapshot | scripted
    path: str | None = None  # snapshot folder (None: scripted / main)
    elo: float = START_ELO
    games: int = 0
    wins: int = 0
    draws: int = 0
    round: int = 0


@dataclass
class League:
    """Ratings, snapshots and the mains' recent results (see the module docstring)."""

    window: int = 32
    threshold: float = 0.55
    pfsp: str = "hard"
    k: float = 16.0
    round: int = 0
    entries: dict[str, Entry] = field(default_factory=dict)
    # main side -> opponent id -> recent scores; main side -> last `window` scores
    vs: dict[str, dict[str, deque]] = field(default_factory=dict)
    recent: dict[str, deque] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for side in SIDES:
            self.entries.setdefault(f"main_{side}", Entry(f"main_{side}", side, "main"))
            self.vs.setdefault(side, {})
            self.recent.setdefault(side, deque(maxlen=self.window))

    # ---- membership ----
    def add(self, entry: Entry) -> Entry:
        if entry.id in self.entries:
            raise ValueError(f"league entry {entry.id!r} exists")
        self.entries[entry.id] = entry
        return entry

    def add_scripted(self) -> None:
        for side in SIDES:
            self.add(Entry(f"{side}_scripted", side, "scripted"))

    def snapshots(self, side: str) -> list[Entry]:
        """The frozen players of `side` (scripted ones included), in admission order."""
        return [e for e in self.entries.values() if e.side == side and e.kind != "main"]

    def admit(self, side: str, path: str | None, round: int) -> Entry:
        """Freeze the main of `side` (its weights at `path`) into a snapshot."""
        n = sum(1 for e in self.snapshots(side) if e.kind == "snapshot")
        main = self.entries[f"main_{side}"]
        entry = self.add(Entry(f"{side}_{n:03d}", side, "snapshot", path, main.elo, round=round))
        self.recent[side].clear()
        return entry

    # ---- results ----
    def p_win(self, side: str, opponent: str) -> float:
        """The main of `side`'s recent win rate against `opponent` (0.5 before any game)."""
        d = self.vs[side].get(opponent)
        return float(np.mean(d)) if d else 0.5

    def opponent_probs(self, side: str) -> tuple[list[Entry], np.ndarray]:
        """The opponents of the main of `side` and their PFSP probabilities."""
        other = "defender" if side == "attacker" else "attacker"
        opps = self.snapshots(other)
        p = np.array([self.p_win(side, o.id) for o in opps], dtype=np.float64)
        return opps, pfsp_probs(p, self.pfsp)

    def record(self, side: str, opponent: str, score: float) -> None:
        """One game of the main of `side` against `opponent` (score: the main's)."""
        main, opp = self.entries[f"main_{side}"], self.entries[opponent]
        main.elo, opp.elo = elo_update(main.elo, opp.elo, score, self.k)
        for e, s in ((main, score), (opp, 1.0 - score)):
            e.games += 1
            e.wins += int(s == 1.0)
            e.draws += int(s == 0.5)
        self.vs[side].setdefault(opponent, deque(maxlen=self.window)).append(score)
        self.recent[side].append(score)

    def recent_win_rate(self, side: str) -> float:
        d = self.recent[side]
        return float(np.mean(d)) if d else float("nan")

    def ready(self, side: str, min_games: int) -> bool:
        """Whether the main of `side` has earned a snapshot."""
        d = self.recent[side]
        return len(d) >= min(self.window, min_games) and self.recent_win_rate(side) >= (
            self.threshold
        )

    # ---- file ----
    def to_json(self) -> dict[str, Any]:
        pfsp: dict[str, list[dict[str, Any]]] = {}
        for side in SIDES:
            opps, probs = self.opponent_probs(side)
            other = opps[0].side if opps else ("defender" if side == "attacker" else "attacker")
            pfsp[other] = [
                {"id": o.id, "path": o.path, "prob": float(p), "p_win_main": self.p_win(side, o.id)}
                for o, p in zip(opps, probs, strict=True)
            ]
        return {
            "round": self.round,
            "window": self.window,
            "threshold": self.threshold,
            "pfsp_kind": self.pfsp,
            "k": self.k,
            "ratings": [asdict(e) for e in self.entries.values()],
            "pfsp": pfsp,
            "recent_win_rate": {s: _nan_none(self.recent_win_rate(s)) for s in SIDES},
        }

    def save(self, path: str | Path) -> Path:
        """Write league.json atomically (temp file, fsync, rename)."""
        return atomic_write_text(path, json.dumps(self.to_json(), indent=1))


def _nan_none(x: float) -> float | None:
    return None if x != x else x


def read_league(run_dir: str | Path) -> dict[str, Any]:
    p = Path(run_dir)
    p = p if p.is_file() else p / LEAGUE_FILE
    if not p.is_file():
        raise UserError(f"{run_dir}: no {LEAGUE_FILE} (not a league run folder)")
    try:
        data = json.loads(p.read_text(encoding="utf-8", errors="replace"))
        if not isinstance(data, dict) or not isinstance(data["round"], int):
            raise ValueError
        for e in data["ratings"]:  # what print_league shows
            _ = (e["id"], e["side"], e["kind"], float(e["elo"]), int(e["games"]), e["round"])
            _ = (float(e["wins"]), float(e["draws"]))
    except (ValueError, KeyError, TypeError, RecursionError):
        raise UserError(f"{p}: not a league file aerena wrote (unreadable or incomplete)") from None
    return data


def print_league(run_dir: str | Path, file: Any = None) -> None:
    """The Elo table of a league run folder (rich)."""
    import sys

    from rich.console import Console
    from rich.table import Table

    data = read_league(run_dir)
    console = Console(file=file if file is not None else sys.stdout, highlight=False)
    table = Table(title=f"league after round {data['round']} ({run_dir})")
    for col, just in (("#", "right"), ("player", "left"), ("side", "left"), ("kind", "left"),
                      ("Elo", "right"), ("games", "right"), ("win rate", "right"),
                      ("round", "right")):  # fmt: skip
        table.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    rows = sorted(data["ratings"], key=lambda e: -e["elo"])
    for i, e in enumerate(rows, 1):
        wr = f"{(e['wins'] + 0.5 * e['draws']) / e['games']:.2f}" if e["games"] else "-"
        table.add_row(str(i), e["id"], e["side"], e["kind"], f"{e['elo']:.0f}", str(e["games"]),
                      wr, str(e["round"]))  # fmt: skip
    console.print(table)


# --------------------------------------------------------------------------------------
# Snapshots of modules
# --------------------------------------------------------------------------------------
def save_snapshot_modules(
    modules: dict[str, Any], path: str | Path, experiment_yaml: str | None = None
) -> Path:
    """Save role -> RLModule as a weights folder (:mod:`aerena.training.weights`: no
    pickles, so a snapshot is played anywhere without the trust flag)."""
    return weights.save_weights(modules, path, experiment_yaml)


def load_snapshot_modules(path: str | Path) -> dict[str, Any]:
    """role -> RLModule of a league snapshot, an RLlib checkpoint or a run folder: opened
    as :func:`aerena.training.checkpoints.load_snapshot_modules` says, for SideEnv's
    spaces."""
    from aerena.training.side_env import SideEnv  # RLlib: heavy

    return checkpoints.load_snapshot_modules(path, SideEnv)


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------
def _score(winner: Any, side: str) -> float:
    if winner == side:
        return 1.0
    if winner in SIDES:
        return 0.0
    return 0.5


def play_matches(
    league: League,
    side: str,
    modules: dict[str, Any],
    scenario: str,
    overrides: dict[str, Any],
    episodes: int,
    rng: np.random.Generator,
    seed: int,
    play: dict[str, Any] | None = None,
) -> list[tuple[str, float]]:
    """`episodes` games of the main of `side` against PFSP-drawn snapshots; recorded.
    `play`: the experiment's `play_options()`, for the main and its snapshots alike."""
    from aerena.agents.rl_module import LearnedPlayer  # torch and ray: heavy

    other = "defender" if side == "attacker" else "attacker"
    opps, probs = league.opponent_probs(side)
    if not opps:
        return []
    draws = rng.choice(len(opps), size=episodes, p=probs)
    out: list[tuple[str, float]] = []
    for j in np.unique(draws):
        n = int((draws == j).sum())
        opp = opps[int(j)]
        world = World(scenario, n, **overrides)
        me = LearnedPlayer(world, side, modules, seed=seed, **(play or {}))
        if opp.path is None:
            them: Any = make_player(other, "scripted", world, seed=seed + 1)
        else:
            them = LearnedPlayer(
                world, other, load_snapshot_modules(opp.path), seed=seed + 1, **(play or {})
            )
        rows = play_episodes(world, {side: me, other: them}, n, seed + 1000 * int(j))
        for r in rows:
            s = _score(r["winner"], side)
            league.record(side, opp.id, s)
            out.append((opp.id, s))
    return out


def train_league(
    experiment: Any,
    *,
    runs_dir: str | Path = "runs",
    live: bool | None = None,
    file: Any = None,
) -> Path:
    """Self-play league training (see the module docstring); the run folder."""
    out = file if file is not None else sys.stdout
    exp = experiment.config if isinstance(experiment, LoadedExperiment) else experiment
    spec = exp.league
    if exp.curriculum:
        raise UserError("curriculum: `aerena train` plays it; a league trains on the scenario")
    run_dir = make_run_dir(exp, runs_dir)
    atomic_write_text(run_dir / "config.yaml", exp.to_yaml())
    league_file = run_dir / LEAGUE_FILE
    league = League(window=spec.window, threshold=spec.threshold, pfsp=spec.pfsp, k=spec.elo_k)
    if spec.include_scripted:
        league.add_scripted()
    league.save(league_file)
    set_threads(exp.resources.torch_threads)
    with ray_log(run_dir / LOG_NAME):  # Ray's and RLlib's notices: the run's log
        init_ray(None, exp)

        algos: dict[str, Any] = {}
        side_exps: dict[str, Any] = {}
        for side in SIDES:
            e = exp.model_copy(update={"learn": side, "opponent": "self_play"})
            cfg = build_algorithm_config(e)
            cfg = cfg.environment(env_config={**env_config(e), "league_file": str(league_file)})
            algos[side], side_exps[side] = cfg.build_algo(), e
        if not league.snapshots("attacker") or not league.snapshots("defender"):
            # no scripted players: each side starts against a snapshot of the other's init
            for side in SIDES:
                mods = {r: algos[side].get_module(r) for r in side_exps[side].roles}
                path = save_snapshot_modules(mods, run_dir / "league" / f"{side}_init")
                league.admit(side, str(path), 0)
            league.save(league_file)

        rng = np.random.default_rng(exp.seed)
        start = time.perf_counter()
        steps = dict.fromkeys(SIDES, 0)
        try:
            for rnd in range(1, spec.rounds + 1):
                league.round = rnd
                for side in SIDES:
                    algo, e = algos[side], side_exps[side]
                    for _ in range(spec.phase_iterations):
                        t0 = time.perf_counter()
                        result = algo.train()
                        dt = time.perf_counter() - t0
                        rec = iteration_record(
                            result, e, time.perf_counter() - start, dt, steps[side]
                        )
                        steps[side] = rec["env_steps"]
                        rec.update(side=side, round=rnd)
                        write_record(run_dir / "progress.jsonl", rec)
                    modules = {r: algo.get_module(r) for r in e.roles}
                    games = play_matches(league, side, modules, exp.scenario, dict(exp.overrides),
                                         spec.eval_episodes, rng, exp.seed + 7919 * rnd,
                                         exp.play_options())  # fmt: skip
                    wr = league.recent_win_rate(side)
                    msg = (f"round {rnd} {side}: {steps[side]:,} env steps, {len(games)} games, "
                           f"recent win rate {wr:.2f}")  # fmt: skip
                    if league.ready(side, spec.eval_episodes):
                        n = sum(1 for s in league.snapshots(side) if s.kind == "snapshot")
                        path = save_snapshot_modules(
                            modules, run_dir / "league" / f"{side}_{n:03d}"
                        )
                        entry = league.admit(side, str(path), rnd)
                        msg += f" -> snapshot {entry.id} joins (Elo {entry.elo:.0f})"
                    print(msg, file=out, flush=True)
                    league.save(league_file)
        finally:
            for side, algo in algos.items():
                try:
                    ck = run_dir / "checkpoints" / side
                    algo.save_to_path(str(ck.resolve()))
                    save_checkpoint_weights(algo, ck, side_exps[side].to_yaml())
                    trust.sign(ck)
                finally:
                    algo.stop()
    return run_dir
