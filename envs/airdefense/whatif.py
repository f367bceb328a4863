"""``aerena whatif``: branch a recorded episode at one step and play its possible futures.

Usage::

    aerena whatif REPLAY --at STEP [--episodes N] [--attacker P] [--defender P] [--seed S]
                  [--record DIR] [--json]

1. **Reproduce** (:func:`reproduce`). The world is rebuilt from the replay's
   ``scenario_text`` and reset from its ``seed``; the recorded players (meta ``attacker`` /
   ``defender``, their generator state and seed from ``players``: a random player draws
   per world from its seed and the world's episode seed) play it again, and every
   frame up to STEP is compared with the file, bit for bit. A replay made by another aerena
   version, by a player this command cannot build, or whose frames the re-simulation does
   not reproduce (an altered file) is refused with one line. The state at STEP is the
   snapshot the branches start from.
2. **Branch** (:func:`play_branches`). N worlds replay the recorded actions up to STEP while
   the branch players watch (a player that takes over at STEP has seen the episode so far,
   as if it had played it); every world then holds the snapshot. Branch 0 keeps the
   recording's world randomness; branch k >= 1 draws fresh world randomness from
   ``(S, STEP)``. Branch players are seeded from S (attacker) and S + 1 (defender), as in
   ``aerena rollout``, except that a player of the recorded kind keeps its recorded seed;
   with the recorded players branch 0 replays the recorded tail exactly
   (``tail_reproduced``), and fresh per-world player generators serve branches k >= 1.
3. **Report**: a table of outcomes (mean and 95 % CI of the N futures next to the recorded
   episode). ``--json`` prints one object::

       {"replay", "scenario", "seed", "episode", "at", "reproduced": true,
        "recorded_players": {...}, "players": {...}, "branch_seed",
        "recorded": {outcome}, "branches": [{"branch", "world_randomness", outcome...}],
        "summary": {"episodes", "wins", "mean", "ci95"}, "tail_reproduced": bool | null}

   ``--record DIR`` writes each branch as a replay whose frame 0 is STEP:
   ``DIR/<scenario>_seed<S>_at<STEP>_branch<k>.aerena-replay.npz`` (meta ``branch`` says
   where it came from). Python: :func:`run_whatif` returns the same dict.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import aerena.cliargs as cliargs
from aerena.agents.scripted import side_columns
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.recording import (
    FRAME_KEYS,
    STATIC_KEYS,
    SUFFIX,
    Recorder,
    Replay,
    load_replay,
)
from aerena.envs.airdefense.rollout import (
    PLAYER_KINDS,
    episode_metrics,
    episode_row,
    fmt_number,
    isatty,
    side_player,
    summarise,
)
from aerena.errors import UserError
from aerena.version import __version__

DEFAULT_BRANCHES = 8
SIDES = ("attacker", "defender")
SCRATCH = ("grid_start", "grid_items", "scratch_d", "scratch_i")  # rebuilt every step
_NAMED_AXES = {"A": "air_names", "G": "ground_names"}


@dataclass
class Reproduction:
    """A replay re-simulated up to step `at`: the recorded actions and the state there."""

    replay: Replay
    at: int
    players: dict[str, str]  # side -> recorded kind
    actions: np.ndarray  # [at, N] int64, what the recorded players did at steps 1..at
    snapshot: dict[str, np.ndarray]  # WorldState field -> the episode's rows at `at`


@dataclass
class Branches:
    """N futures of a reproduced episode; `recorders` kept when asked for."""

    reproduction: Reproduction
    players: dict[str, str]
    seed: int
    rows: list[dict[str, Any]]
    tail_reproduced: bool | None
    recorders: list[Recorder] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# 1. Reproduce
# --------------------------------------------------------------------------------------
def recorded_players(replay: Replay) -> dict[str, str]:
    """The replay's player kinds; a one-line UserError when whatif cannot build one."""
    out = {}
    for side in SIDES:
        kind = replay.meta.get(side)
        if kind is None:
            raise UserError(
                f"{replay.path.name}: the replay does not name its {side} player "
                "(whatif re-simulates replays of `aerena rollout --record`)"
            )
        if kind not in PLAYER_KINDS[side]:
            raise UserError(
                f"{replay.path.name}: its {side} player {kind!r} is not available to whatif "
                f"(it plays {', '.join(PLAYER_KINDS[side])})"
            )
        out[side] = str(kind)
    return out


def check_replay(replay: Replay, at: int) -> dict[str, str]:
    """Refuse what cannot be reproduced or branched at `at`; return the recorded players."""
    name = replay.path.name
    made = replay.meta.get("aerena_version")
    if made != __version__:
        raise UserError(
            f"{name}: recorded by aerena {made}, this is aerena {__version__}; the "
            "re-simulation would not match (branch it with the aerena that recorded it)"
        )
    first = int(replay.arrays["step"][0])
    if first != 0:
        raise UserError(
            f"{name}: the replay starts at step {first} (a branch); whatif needs a whole episode"
        )
    steps = replay.frames - 1
    if not 0 <= int(at) < steps:
        raise UserError(
            f"--at {at}: {name} has steps 0 to {steps}; branch at a step from 0 to {steps - 1}"
        )
    return recorded_players(replay)


def build_world(replay: Replay, num_worlds: int) -> Any:
    """The replay's world (from its merged scenario text) with `num_worlds` worlds."""
    from aerena.envs.airdefense.world import World  # heavy (kernels): not on `aerena --help`

    name = replay.path.name
    try:
        world = World(yaml.safe_load(replay.meta["scenario_text"]), num_worlds)
    except (UserError, yaml.YAMLError, ValueError, TypeError) as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{name}: its scenario does not build here ({first})") from None
    want = replay.sizes
    if any(int(world.sizes[k]) != int(want[k]) for k in world.sizes):
        raise UserError(f"{name}: the rebuilt scenario's unit counts differ from the replay's")
    return world


def _players(
    world: Any, kinds: dict[str, str], seed: int, recorded: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The players of `kinds`; a side whose kind is the recorded one gets the recorded
    player seed (a random player's draws come from it and each world's episode seed)."""
    out = {}
    for i, side in enumerate(SIDES):
        rec = (recorded or {}).get(side) or {}
        s = rec.get("seed") if rec.get("kind") == kinds[side] else None
        out[side] = side_player(side, kinds[side], world, seed + i if s is None else int(s))
    return out


def reproduce(replay: Replay, at: int) -> Reproduction:
    """Re-simulate `replay` with its recorded players up to step `at`, checking every frame."""
    at = int(at)
    kinds = check_replay(replay, at)
    meta, name = replay.meta, replay.path.name
    world = build_world(replay, 1)
    recorded = meta.get("players") or {}
    players = _players(world, kinds, 0, recorded)
    world.reset([int(meta["seed"])])
    for side, p in players.items():
        p.reset()
        rec = recorded.get(side) or {}
        if getattr(p, "base_seed", None) is not None and rec.get("seed") is None:
            raise UserError(
                f"{name}: the {kinds[side]} {side}'s seed was not recorded (an older "
                "replay); its episode cannot be re-simulated"
            )
        state = rec.get("rng")
        if state is not None:
            try:
                p.rng.bit_generator.state = state
            except (TypeError, ValueError, KeyError):
                raise UserError(f"{name}: the {side}'s recorded random state is invalid") from None
    rec = Recorder(world, 0)
    where = static_difference(rec.arrays(), replay) or frame_difference(rec.last_frame(), replay, 0)
    if where:
        raise _diverged(name, 0, where)
    cols = {side: side_columns(world, side) for side in players}
    actions = np.zeros((1, world.sizes["N"]), dtype=np.int64)
    taken = np.zeros((at, world.sizes["N"]), dtype=np.int64)
    for t in range(at):
        for side, p in players.items():
            actions[:, cols[side]] = p.act()
        taken[t] = actions[0]
        world.step(actions)
        rec.capture()
        where = frame_difference(rec.last_frame(), replay, t + 1)
        if where:
            raise _diverged(name, t + 1, where)
    s = world.state
    snapshot = {f: np.array(getattr(s, f)[0]) for f in s._fields if f not in SCRATCH}
    return Reproduction(replay, at, kinds, taken, snapshot)


def static_difference(arrays: dict[str, np.ndarray], replay: Replay) -> str | None:
    """The first static table of the episode (terrain, units, links) that differs, or None."""
    for key in STATIC_KEYS:
        if key in ("events", "event_index"):
            continue
        if not _equal(arrays[key], replay.arrays[key]):
            return key
    return None


def frame_difference(frame: dict[str, np.ndarray], replay: Replay, t: int) -> str | None:
    """Where frame `t` of `replay` differs from `frame` (a `Recorder.last_frame()`), or None."""
    for key, (_, dims) in FRAME_KEYS.items():
        got, want = frame[key], replay.arrays[key][t]
        if _equal(got, want):
            continue
        names = replay.meta.get(_NAMED_AXES.get(str(dims[0]), ""), []) if dims else []
        bad = np.argwhere(np.asarray(got != want))
        if len(bad) and len(names) > int(bad[0][0]):
            return f"{key} of {names[int(bad[0][0])]}"
        return key
    if not _equal(frame["events"], replay.events_at(t)):
        return "events"
    return None


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _diverged(name: str, step: int, where: str) -> UserError:
    return UserError(
        f"{name}: the re-simulation differs from the recording at step {step} ({where}); "
        "the file was altered or made by other code, so it cannot be branched"
    )


# --------------------------------------------------------------------------------------
# 2. Branch
# --------------------------------------------------------------------------------------
def play_branches(
    repro: Reproduction,
    episodes: int = DEFAULT_BRANCHES,
    *,
    attacker: str | None = None,
    defender: str | None = None,
    seed: int = 0,
    record: str | Path | None = None,
    keep_recorders: bool = False,
) -> Branches:
    """Play `episodes` futures of the reproduced episode from its step `at`.

    `attacker` / `defender`: the branch players (default: the recorded kinds). `record`: a
    folder for one replay per branch (frame 0 = step `at`). `keep_recorders`: keep every
    branch's Recorder in the result (the viewer draws them)."""
    n, seed, at, replay = int(episodes), int(seed), repro.at, repro.replay
    if n < 1:
        raise UserError(f"--episodes must be at least 1, got {n}")
    kinds = {"attacker": attacker or repro.players["attacker"]}
    kinds["defender"] = defender or repro.players["defender"]
    for side in SIDES:
        if kinds[side] not in PLAYER_KINDS[side]:
            raise UserError(
                f"unknown {side} player {kinds[side]!r}: expected one of "
                f"{', '.join(PLAYER_KINDS[side])}"
            )
    world = build_world(replay, n)
    world.reset([int(replay.meta["seed"])] * n)
    players = _players(world, kinds, seed, replay.meta.get("players") or {})
    for p in players.values():
        p.reset()
    # ---- the recorded actions up to `at`; the branch players watch, their moves unused
    actions = np.zeros((n, world.sizes["N"]), dtype=np.int64)
    for t in range(at):
        for p in players.values():
            p.act()
        actions[:] = repro.actions[t]
        world.step(actions)
    s = world.state
    for f, want in repro.snapshot.items():
        if not all(_equal(row, want) for row in getattr(s, f)):
            raise RuntimeError(f"the branch worlds missed the reproduced state at {at} ({f})")
    # ---- fresh world randomness for branches 1.. (branch 0 keeps the recording's)
    fresh = np.random.default_rng([seed, at]).integers(0, 2**63 - 1, size=n - 1)
    s.rng[1:] = fresh.astype(np.uint64)
    for i, p in enumerate(players.values()):  # and for per-world player generators
        rngs = getattr(p, "rngs", None)
        if rngs is not None:
            for k in range(1, n):
                rngs[k] = np.random.default_rng([seed, at, k, i])
    # ---- play every branch to its end
    keep = keep_recorders or record is not None
    info = {**kinds, "branch_seed": seed}
    recorders = [
        Recorder(world, k, info={**info, "branch": _branch_info(replay, at, k)})
        for k in range(n if keep else 1)
    ]
    same = kinds == repro.players
    tail: bool | None = True if same else None
    cols = {side: side_columns(world, side) for side in players}
    returns = np.zeros((n, 2), dtype=np.float64)
    returns[:] = replay.arrays["reward"][1 : at + 1].sum(axis=0)  # the shared prefix
    while not world.done.all():
        live = ~world.done
        for side, p in players.items():
            actions[:, cols[side]] = p.act()
        world.step(actions)
        returns[live] += s.reward[live]
        for k in np.flatnonzero(live[: len(recorders)]):
            recorders[k].capture()
        if tail and live[0]:
            t = at + recorders[0].frames - 1
            tail = t < replay.frames and not frame_difference(recorders[0].last_frame(), replay, t)
    if tail:
        tail = at + recorders[0].frames == replay.frames
    rows = []
    for k in range(n):
        row = episode_row(world, k, int(replay.meta.get("episode", 0)), returns[k])
        row = {"branch": k, "world_randomness": "recorded" if k == 0 else "fresh", **row}
        if record is not None:
            path = Path(record) / branch_filename(replay, at, k)
            row["replay"] = str(recorders[k].save(path, episode=row["episode"]))
        rows.append(row)
    return Branches(repro, kinds, seed, rows, tail, recorders if keep_recorders else [])


def _branch_info(replay: Replay, at: int, k: int) -> dict[str, Any]:
    return {"replay": replay.path.name, "at": int(at), "index": int(k)}


def branch_filename(replay: Replay, at: int, k: int) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(replay.meta.get("scenario", ""))) or "scenario"
    return f"{name}_seed{replay.meta['seed']}_at{int(at)}_branch{int(k)}{SUFFIX}"


def recorded_row(replay: Replay) -> dict[str, Any]:
    """The recorded episode's outcome, in the form of a branch row."""
    ret = replay.arrays["reward"][1:].sum(axis=0)
    row = dict(replay.meta["outcome"])
    row["terminated"] = bool(replay.meta.get("terminated"))
    row["truncated"] = bool(replay.meta.get("truncated"))
    row["return_attacker"], row["return_defender"] = float(ret[0]), float(ret[1])
    return row


def run_whatif(
    replay: str | Path | Replay,
    at: int,
    episodes: int = DEFAULT_BRANCHES,
    *,
    attacker: str | None = None,
    defender: str | None = None,
    seed: int = 0,
    record: str | Path | None = None,
) -> dict[str, Any]:
    """Reproduce `replay` up to `at`, play `episodes` futures; the `--json` object."""
    rp = replay if isinstance(replay, Replay) else load_replay(replay)
    repro = reproduce(rp, at)
    br = play_branches(
        repro, episodes, attacker=attacker, defender=defender, seed=seed, record=record
    )
    roles = [r for r in rp.meta["outcome"].get("uavs_lost", {}) if _role_present(rp, r)]
    return {
        "replay": str(rp.path),
        "scenario": rp.meta["scenario"],
        "seed": int(rp.meta["seed"]),
        "episode": int(rp.meta.get("episode", 0)),
        "at": repro.at,
        "reproduced": True,
        "recorded_players": repro.players,
        "players": br.players,
        "branch_seed": br.seed,
        "uav_roles": roles,
        "recorded": recorded_row(rp),
        "branches": br.rows,
        "summary": summarise(br.rows),
        "tail_reproduced": br.tail_reproduced,
    }


def _role_present(replay: Replay, role: str) -> bool:
    i = Lo.ROLE_NAMES.index(role) if role in Lo.ROLE_NAMES else -1
    return bool(np.any(replay.arrays["air_role"] == i))


# --------------------------------------------------------------------------------------
# 3. Command line
# --------------------------------------------------------------------------------------
def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``aerena whatif`` on the top-level subparsers."""
    p = sub.add_parser(
        "whatif",
        help="branch a recorded episode at a step and play its possible futures",
        description="Re-simulate a replay (aerena rollout --record) with its recorded players "
        "up to STEP, checking every frame, then play N futures from that exact state with "
        "the given players (default: the recorded ones). Branch 0 keeps the recording's "
        "randomness, the others draw fresh randomness from --seed. Prints the outcomes next "
        "to the recorded one.",
    )
    p.add_argument("replay", metavar="REPLAY", help="replay file (*.aerena-replay.npz)")
    p.add_argument("--at", type=int, required=True, metavar="STEP", help="step to branch at")
    p.add_argument(
        "--episodes",
        type=cliargs.count(1, cliargs.MAX_WORLDS),  # one world per future
        default=DEFAULT_BRANCHES,
        metavar="N",
        help=f"futures to play (default {DEFAULT_BRANCHES})",
    )
    for side in SIDES:
        p.add_argument(
            f"--{side}",
            choices=PLAYER_KINDS[side],
            default=None,
            help=f"{side} player from STEP on (default: the recorded one)",
        )
    p.add_argument(
        "--seed",
        type=cliargs.seed,
        default=0,
        metavar="S",
        help="branch randomness seed (default 0)",
    )
    p.add_argument("--record", metavar="DIR", help="write each branch as a replay from STEP")
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    p.set_defaults(func=_cmd_whatif)


def _cmd_whatif(args: argparse.Namespace) -> int:
    result = run_whatif(
        args.replay,
        args.at,
        args.episodes,
        attacker=args.attacker,
        defender=args.defender,
        seed=args.seed,
        record=args.record,
    )
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        print_table(result)
    return 0


def print_table(result: dict[str, Any], file: Any = None) -> None:
    """One row per metric: the recorded episode, the futures' mean and 95 % CI."""
    from rich.console import Console
    from rich.table import Table

    out = file if file is not None else sys.stdout
    console = Console(file=out, highlight=False, width=None if isatty(out) else 200)
    p, s = result["players"], result["summary"]
    title = (
        f"{result['scenario']} seed {result['seed']}: {s['episodes']} future(s) from step "
        f"{result['at']}, {p['attacker']} attacker vs {p['defender']} defender"
    )
    table = Table(title=title)
    for c in ("", "recorded", "futures: mean", "95% CI", "min", "max"):
        table.add_column(c, justify="left" if not c else "right", no_wrap=True)
    keys = ["attacker_win", "asset_value_destroyed", "asset_value_saved"]
    keys += ["defence_value_destroyed"] + [f"uavs_lost_{r}" for r in result["uav_roles"]]
    keys += ["interceptors_used", "kills", "leakers", "steps"]
    keys += ["return_attacker", "return_defender"]
    rec = episode_metrics(result["recorded"])
    values = np.array([[episode_metrics(r)[k] for k in keys] for r in result["branches"]])
    for j, k in enumerate(keys):
        ci = s["ci95"]
        interval = f"{fmt_number(ci[k][0])} .. {fmt_number(ci[k][1])}" if ci else "-"
        table.add_row(
            k.replace("_", " "),
            fmt_number(rec[k]),
            fmt_number(s["mean"][k]),
            interval,
            fmt_number(values[:, j].min()),
            fmt_number(values[:, j].max()),
        )
    console.print(table)
    rp = result["recorded_players"]
    console.print(
        f"reproduced: steps 0 to {result['at']} of the recording ({rp['attacker']} attacker, "
        f"{rp['defender']} defender) match bit for bit",
        soft_wrap=True,
    )
    tail = result["tail_reproduced"]
    if tail is not None:
        what = "replays the recorded tail exactly" if tail else "DIFFERS from the recorded tail"
        console.print(f"branch 0 (the recording's randomness) {what}")
    replays = [r["replay"] for r in result["branches"] if r.get("replay")]
    if replays:
        console.print(f"replays: {len(replays)} file(s) in {Path(replays[0]).parent}")
        for r in replays:
            console.print(f"  {r}", soft_wrap=True)
