"""``aerena rollout``: play episodes of a scenario between two players and report the results.

Usage::

    aerena rollout SCENARIO [--attacker scripted|random] [--defender scripted|random]
                   [--episodes N] [--seed S] [--worlds B] [--record DIR] [--json]
                   [--set KEY=VALUE ...]

Episodes run batched: one :class:`~aerena.envs.airdefense.world.World` of
``min(episodes, B)`` worlds; a world that finishes is reset for the next episode. Episode
``e`` resets its world from seed ``S + e`` (``aerena.episode_seed``, the convention of every
face: :mod:`aerena.seeding`; terrain draws, unit placement and the kernel's
randomness). The players (``agents.scripted.make_player``) act for all worlds at once and
are seeded from ``S`` (attacker) and ``S + 1`` (defender); a random player draws for each
world from its own generator (its seed and the episode's), so episode ``e`` plays the same
for any ``--worlds``.

The table lists each episode and a summary row (mean, and the 95 % confidence interval of
the mean when there is more than one episode, Student t). ``--json`` prints one JSON object
instead and nothing else on stdout::

    {"scenario": ..., "source": ..., "attacker": ..., "defender": ..., "seed": ...,
     "worlds": ..., "overrides": {...}, "episodes": [{"episode", "seed", "winner", ...}],
     "summary": {"episodes", "wins", "mean": {...}, "ci95": {metric: [lo, hi]} | null}}

``--record DIR`` writes one replay per episode (see :mod:`.recording`) and prints where;
each also holds the batch width, its world's index and the players' generator state at
the episode's start (:func:`replay_info`), so `aerena whatif` can re-simulate it.
Python: :func:`run_rollouts` returns the same dict.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

import aerena.cliargs as cliargs
from aerena.envs.airdefense import layout as Lo
from aerena.errors import UserError
from aerena.scenarios.loader import add_set_option, parse_set_options
from aerena.seeding import episode_seed, player_seed

PLAYER_KINDS = {
    "attacker": ("scripted", "random"),
    "defender": ("scripted", "scripted-wta", "random"),
}
DEFAULT_WORLDS = 16

# two-sided 95 % Student t quantiles, df = 1..30
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


# --------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------
def run_rollouts(
    scenario: Any,
    attacker: str = "scripted",
    defender: str = "scripted",
    episodes: int = 1,
    seed: int = 0,
    record: str | Path | None = None,
    worlds: int | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Play `episodes` episodes of `scenario` (name, path or Scenario); return the results.

    `record`: a directory for one replay per episode. `worlds`: the most worlds stepped
    together (default 16). `overrides`: dotted scenario overrides (`{"episode.max_steps": 50}`).
    """
    from aerena.envs.airdefense.world import World

    episodes, seed = int(episodes), int(seed)
    if episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {episodes}")
    B = DEFAULT_WORLDS if worlds is None else int(worlds)
    if B < 1:
        raise UserError(f"--worlds must be at least 1, got {B}")
    B = min(B, episodes)
    for side, kind in (("attacker", attacker), ("defender", defender)):
        if kind not in PLAYER_KINDS[side]:
            raise UserError(
                f"unknown {side} player {kind!r}: expected one of {', '.join(PLAYER_KINDS[side])}"
            )
    overrides = dict(overrides or {})
    world = World(scenario, num_worlds=B, **overrides)
    players = {
        "attacker": side_player("attacker", attacker, world, player_seed(seed, "attacker")),
        "defender": side_player("defender", defender, world, player_seed(seed, "defender")),
    }
    info = {"attacker": attacker, "defender": defender}
    rows = play_episodes(world, players, episodes, seed, record=record, info=info)
    return {
        "scenario": world.scenario.name,
        "source": str(scenario) if isinstance(scenario, str | Path) else world.scenario.name,
        "attacker": attacker,
        "defender": defender,
        "seed": seed,
        "worlds": B,
        "overrides": _jsonable(overrides),
        "uav_roles": roles_present(world),
        "episodes": rows,
        "summary": summarise(rows),
    }


def play_episodes(
    world: Any,
    players: dict[str, Any],
    episodes: int,
    seed: int,
    *,
    record: str | Path | None = None,
    info: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Play `episodes` episodes (episode e from seed `seed + e`) on the worlds of `world`,
    one player per side; a world that finishes gets the next episode. Returns one row per
    episode (outcome and returns), in episode order; with `record`, a replay per episode."""
    from aerena.agents.scripted import side_columns

    B = world.num_worlds
    cols = {side: side_columns(world, side) for side in players}
    first = min(B, episodes)
    slot_ep = np.full(B, -1, dtype=np.int64)  # episode played by each world (-1: idle)
    slot_ep[:first] = np.arange(first)
    world.reset([episode_seed(seed, e) for e in range(first)], worlds=list(range(first)))
    for p in players.values():
        p.reset()
    recorders: list[Any] = []
    if record is not None:
        from aerena.envs.airdefense.recording import Recorder, remove_stale_temp_files

        remove_stale_temp_files(record)
        recorders = [
            Recorder(world, b, Path(record), info=replay_info(info, players, b, B))
            for b in range(B)
        ]
    next_ep = first
    returns = np.zeros((B, 2), dtype=np.float64)
    results: list[dict[str, Any] | None] = [None] * episodes
    actions = np.zeros((B, world.sizes["N"]), dtype=np.int64)

    def finish(b: int) -> None:
        e = int(slot_ep[b])
        row = episode_row(world, b, e, returns[b])
        if recorders:
            row["replay"] = str(recorders[b].save(episode=e))
        results[e] = row
        returns[b] = 0.0

    def start(b: int) -> None:
        if recorders:
            recorders[b].info = replay_info(info, players, b, B)
            recorders[b].start()

    while True:
        next_ep = recycle_worlds(
            world, list(players.values()), slot_ep, next_ep, episodes, seed, finish, start
        )
        live = slot_ep >= 0
        if not live.any():
            break
        for side, p in players.items():
            actions[:, cols[side]] = p.act()
        world.step(actions, worlds=live)
        returns[live] += world.state.reward[live]
        for b in np.flatnonzero(live) if recorders else ():
            recorders[b].capture()
    return [r for r in results if r is not None]


def replay_info(
    info: dict[str, Any] | None, players: dict[str, Any], b: int, worlds: int
) -> dict[str, Any]:
    """What a replay needs to be re-simulated (`aerena whatif`): `info` (the player kinds)
    plus the width of the batch, the world's index in it, and each player's generator state
    as the episode of world `b` starts and its seed (a random player's per-world generators
    derive from it and the world's episode seed)."""
    out = dict(info or {})
    out["worlds"], out["world"] = int(worlds), int(b)
    out["players"] = {}
    for side, p in players.items():
        bits = getattr(getattr(p, "rng", None), "bit_generator", None)
        out["players"][side] = {
            "kind": out.get(side),
            "rng": bits.state if bits else None,
            "seed": getattr(p, "base_seed", None),  # per-world generators derive from it
        }
    return out


def recycle_worlds(
    world: Any,
    players: list[Any],
    slot_ep: np.ndarray,
    next_ep: int,
    episodes: int,
    seed: int,
    finish: Any,
    start: Any = None,
) -> int:
    """Finish the episodes that are over and hand their worlds the next ones.

    `slot_ep` [B]: the episode each world plays (-1: idle), updated in place. For every
    world whose episode is over: `finish(b)`, then the next episode (seed `seed + e`;
    the players reset for that world; `start(b)`) while `next_ep < episodes`, else idle.
    Returns the new `next_ep`."""
    while True:
        over = np.flatnonzero((slot_ep >= 0) & world.done)
        if len(over) == 0:
            return next_ep
        for b in over:
            finish(int(b))
            if next_ep < episodes:
                world.reset([episode_seed(seed, next_ep)], worlds=[int(b)])
                for p in players:
                    p.reset(np.array([b], dtype=np.int64))
                if start is not None:
                    start(int(b))
                slot_ep[b] = next_ep
                next_ep += 1
            else:
                slot_ep[b] = -1


def side_player(side: str, kind: str, world: Any, seed: int) -> Any:
    """`make_player`, with a player whose module is missing as a one-line UserError."""
    from aerena.agents.scripted import make_player

    try:
        return make_player(side, kind, world, seed=seed)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("aerena.agents.scripted"):
            raise UserError(
                f"the {kind} {side} is not available in this aerena ({exc.name} is missing)"
            ) from None
        raise


def episode_row(world: Any, b: int, episode: int, returns: np.ndarray) -> dict[str, Any]:
    """The result row of world b's episode: its seed, outcome, end flags and team returns."""
    out = world.outcome(b)
    row: dict[str, Any] = {"episode": episode, "seed": int(world.seeds[b])}
    row.update(out)
    row["terminated"] = bool(world.state.terminated[b])
    row["truncated"] = bool(world.state.truncated[b])
    row["return_attacker"] = float(returns[0])
    row["return_defender"] = float(returns[1])
    return row


def roles_present(world: Any) -> list[str]:
    roles = set(int(r) for r in world.roster.air_role) - {Lo.CARRIER}
    return [name for i, name in enumerate(Lo.UAV_ROLES) if i in roles]


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return {str(k): repr(v) for k, v in dict(value).items()}


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------
def episode_metrics(row: dict[str, Any]) -> dict[str, float]:
    m = {
        "attacker_win": 1.0 if row["winner"] == "attacker" else 0.0,
        "asset_value_destroyed": row["asset_value_destroyed"],
        "asset_value_saved": row["asset_value_saved"],
        "asset_fraction_destroyed": row["asset_fraction_destroyed"],
        "defence_value_destroyed": row["defence_value_destroyed"],
        "uavs_lost_total": row["uavs_lost_total"],
    }
    for role, n in row["uavs_lost"].items():
        m[f"uavs_lost_{role}"] = n
    for key in ("interceptors_used", "kills", "leakers", "steps"):
        m[key] = row[key]
    m["return_attacker"] = row["return_attacker"]
    m["return_defender"] = row["return_defender"]
    return {k: float(v) for k, v in m.items()}


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        return math.nan
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959963984540054  # Cornish-Fisher expansion: error < 1e-4 beyond df = 30
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Win counts, means and (n > 1) 95 % confidence intervals of the means."""
    n = len(rows)
    wins = {"attacker": 0, "defender": 0}
    for r in rows:
        wins[r["winner"]] = wins.get(r["winner"], 0) + 1
    if n == 0:
        return {"episodes": 0, "wins": wins, "mean": {}, "ci95": None}
    table = [episode_metrics(r) for r in rows]
    keys = list(table[0])
    data = np.array([[t[k] for k in keys] for t in table], dtype=np.float64)
    mean = data.mean(axis=0)
    out: dict[str, Any] = {
        "episodes": n,
        "wins": wins,
        "mean": {k: float(v) for k, v in zip(keys, mean, strict=True)},
        "ci95": None,
    }
    if n > 1:
        half = t_quantile_975(n - 1) * data.std(axis=0, ddof=1) / math.sqrt(n)
        out["ci95"] = {
            k: [float(m - h), float(m + h)] for k, m, h in zip(keys, mean, half, strict=True)
        }
    return out


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------
def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``aerena rollout`` on the top-level subparsers."""
    p = sub.add_parser(
        "rollout",
        help="play episodes between two players and report the results",
        description="Play episodes of a scenario (shipped name or YAML file) between an "
        "attacker and a defender player; print a result table (or JSON) and optionally "
        "record replays.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="shipped name or YAML file")
    p.add_argument(
        "--attacker", choices=PLAYER_KINDS["attacker"], default="scripted", help="attacker player"
    )
    p.add_argument(
        "--defender",
        choices=PLAYER_KINDS["defender"],
        default="scripted",
        help="defender player (scripted-wta: shots chosen by weapon-target assignment)",
    )
    p.add_argument(
        "--episodes", type=cliargs.count(1), default=1, metavar="N", help="episodes (default 1)"
    )
    p.add_argument(
        "--seed",
        type=cliargs.seed,
        default=0,
        metavar="S",
        help="episode e uses seed S+e (default 0)",
    )
    cliargs.add_worlds_option(p, DEFAULT_WORLDS)
    p.add_argument("--record", metavar="DIR", help="write one replay file per episode to DIR")
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    add_set_option(p, what="a scenario field")
    p.set_defaults(func=_cmd_rollout)


def _cmd_rollout(args: argparse.Namespace) -> int:
    result = run_rollouts(
        args.scenario,
        attacker=args.attacker,
        defender=args.defender,
        episodes=args.episodes,
        seed=args.seed,
        record=args.record,
        worlds=args.worlds,
        overrides=parse_set_options(args.overrides),
    )
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
        return 0
    print_table(result)
    return 0


def isatty(f: Any) -> bool:
    try:
        return bool(f.isatty())
    except (AttributeError, ValueError):
        return False


def fmt_number(x: float, digits: int = 2) -> str:
    if float(x).is_integer() and abs(x) < 1e9:
        return str(int(x))
    return f"{x:.{digits}f}"


def print_table(result: dict[str, Any], file: Any = None) -> None:
    """The rich result table: one row per episode, then the mean and the 95 % CI half-width."""
    from rich.console import Console
    from rich.table import Table

    out = file if file is not None else sys.stdout
    console = Console(file=out, highlight=False, width=None if isatty(out) else 200)
    roles = result["uav_roles"]
    title = (
        f"{result['scenario']}: {result['attacker']} attacker vs {result['defender']} defender, "
        f"{len(result['episodes'])} episode(s) from seed {result['seed']}"
    )
    table = Table(title=title)
    cols = ["ep", "seed", "winner", "assets destroyed", "assets saved"]
    cols += [f"lost {r}" for r in roles]
    cols += ["interceptors", "kills", "leakers", "steps"]
    for c in cols:
        table.add_column(c, justify="left" if c == "winner" else "right", no_wrap=True)
    for row in result["episodes"]:
        cells = [
            str(row["episode"]),
            str(row["seed"]),
            row["winner"],
            fmt_number(row["asset_value_destroyed"]),
            fmt_number(row["asset_value_saved"]),
        ]
        cells += [str(row["uavs_lost"][r]) for r in roles]
        cells += [str(row[k]) for k in ("interceptors_used", "kills", "leakers", "steps")]
        table.add_row(*cells)
    s = result["summary"]
    keys = ["asset_value_destroyed", "asset_value_saved"]
    keys += [f"uavs_lost_{r}" for r in roles]
    keys += ["interceptors_used", "kills", "leakers", "steps"]
    if s["episodes"]:
        table.add_section()
        wins = f"attacker {s['wins']['attacker']}/{s['episodes']}"
        table.add_row("mean", "", wins, *(fmt_number(s["mean"][k]) for k in keys))
        if s["ci95"] is not None:
            half = {k: (s["ci95"][k][1] - s["ci95"][k][0]) / 2 for k in keys}
            table.add_row("95% CI", "", "", *(f"±{fmt_number(half[k])}" for k in keys))
    console.print(table)
    if s["ci95"] is not None:
        console.print("95% CI: half-width of the confidence interval of the mean (Student t)")
    replays = [row["replay"] for row in result["episodes"] if row.get("replay")]
    if replays:
        folder = Path(replays[0]).parent
        console.print(f"replays: {len(replays)} file(s) in {folder}", soft_wrap=True)
        for r in replays:
            console.print(f"  {r}", soft_wrap=True)
