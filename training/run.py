"""`aerena run [SCENARIO]`: train, evaluate and record in one command (what `make demo` runs).

    aerena run                         # strike_small, ~10 minutes on 2 cores
    aerena run tiny --minutes 2 --episodes 16 --seed 1 --out runs

1. **Train** the defender (launcher + radar modules) against the scripted attacker with
   the recipe of `training/experiments/strike_small_defender.yaml` -- launchers
   behaviour-cloned from the scripted defender and frozen, the radar's emission plan (how
   long it keeps silent before going active) learned by PPO -- stopping on wall time
   (`--minutes`, default 10): :func:`aerena.training.train.train` in a run folder
   ``OUT/run-<scenario>-<timestamp>/`` (config, imitation figures, progress,
   checkpoints, ``curves.png``).
2. **Evaluate** the trained defender and the scripted defender on the same episode seeds
   against the scripted attacker (:func:`aerena.training.evaluate.evaluate`, greedy
   policy): ``evaluation.json`` in the run folder, and the result table printed.
3. **Record** one replay per side (trained, scripted) of the first evaluation seed:
   ``replays/learned/`` and ``replays/scripted/`` in the run folder (view them with
   `aerena replay`).

Budget: about 1 minute of behaviour cloning on `strike_small`, then PPO iterations of
8000 env steps (2 env runners x 4 envs, ~15-20 s each on 2 cores), so the wall-time stop
is met within one iteration's time.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aerena.errors import UserError
from aerena.files import atomic_write
from aerena.training.console import LOG_NAME

DEFAULT_SCENARIO = "strike_small"


@dataclass
class RunResult:
    run_dir: Path
    checkpoint: Path | None
    curves: Path
    evaluation: Path
    replays: list[Path]
    report: dict[str, Any]
    train_summary: dict[str, Any]


RECIPE = Path(__file__).resolve().parent / "experiments" / "strike_small_defender.yaml"


def run_experiment(scenario: str, minutes: float, seed: int) -> Any:
    """The experiment of `aerena run`: the defender recipe of
    `training/experiments/strike_small_defender.yaml` (cloned, frozen launchers; the
    radar's emission plan learned by PPO) on `scenario` against the scripted attacker,
    stopped on wall time. The plan's delays span the scenario's episode."""
    from aerena.scenarios.loader import load_scenario
    from aerena.training.config import load_experiment

    if not minutes > 0:
        raise UserError(f"--minutes must be positive, got {minutes:g}")
    name = "run-" + (Path(scenario).stem or "scenario")
    ep = load_scenario(scenario).episode
    choices = load_experiment(RECIPE).config.emission_plan.choices  # type: ignore[union-attr]
    return load_experiment(
        RECIPE,
        {
            "name": name,
            "scenario": scenario,
            "seed": seed,
            "emission_plan.step_s": float(ep.max_steps) * float(ep.dt) / (choices - 1),
            "stop.iterations": None,
            "stop.time_s": float(minutes) * 60.0,
            "checkpoint.every": 5,
            "checkpoint.keep": 2,
        },
    )


def record_episode(
    world: Any, players: dict[str, Any], seed: int, directory: Path, info: dict[str, Any]
) -> Path:
    """Play one episode in world 0 (seed `seed`) with one player per side; save its replay."""
    from aerena.agents.scripted import side_columns
    from aerena.envs.airdefense.recording import Recorder

    cols = {side: side_columns(world, side) for side in players}
    world.reset([seed], worlds=[0])
    for p in players.values():
        p.reset()
    rec = Recorder(world, 0, directory, info=info)
    actions = np.zeros((world.num_worlds, world.sizes["N"]), dtype=np.int64)
    live = np.zeros(world.num_worlds, dtype=bool)
    live[0] = True
    while not world.done[0]:
        for side, p in players.items():
            actions[:, cols[side]] = p.act()
        world.step(actions, worlds=live)
        rec.capture()
    return rec.save(episode=0)


def record_replays(report: dict[str, Any], run_dir: Path, overrides: dict[str, Any]) -> list[Path]:
    """One replay each of the trained and the scripted defender (the first eval seed)."""
    from aerena.agents.rl_module import LearnedPlayer
    from aerena.agents.scripted import make_player
    from aerena.envs.airdefense.world import World
    from aerena.training.evaluate import load_modules

    seed, side = int(report["seed"]), report["side"]
    other = "defender" if side == "attacker" else "attacker"
    modules = load_modules(report["checkpoint"])
    out = []
    for label in ("learned", "scripted"):
        world = World(report["scenario_source"], 1, **overrides)
        if label == "learned":
            me: Any = LearnedPlayer(world, side, modules, seed=seed, **report.get("play", {}))
        else:
            me = make_player(side, "scripted", world, seed=seed)
        opp = make_player(other, report["opponent"], world, seed=seed + 1)
        info = {side: label, other: report["opponent"]}
        out.append(
            record_episode(world, {side: me, other: opp}, seed, run_dir / "replays" / label, info)
        )
    return out


def run(
    scenario: str = DEFAULT_SCENARIO,
    *,
    minutes: float = 10.0,
    episodes: int = 32,
    seed: int = 0,
    out: str | Path = "runs",
    address: str | None = None,
    live: bool | None = None,
    file: Any = None,
    verbose: bool = False,
) -> RunResult:
    """Train, evaluate and record (see the module docstring); `verbose`: Ray's messages on
    the console instead of the run folder's ``ray.log``."""
    from aerena.training.evaluate import evaluate
    from aerena.training.train import train

    if episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {episodes}")
    loaded = run_experiment(scenario, minutes, seed)
    exp = loaded.config
    result = train(loaded, runs_dir=out, address=address, live=live, file=file, verbose=verbose)
    run_dir = result.run_dir
    if result.checkpoint is None:
        raise UserError(f"{run_dir}: training ended without a checkpoint ({result.stop_reason})")
    t0 = time.perf_counter()
    report = evaluate(
        result.checkpoint, episodes=episodes, seed=10_000 + seed, worlds=min(16, episodes)
    )
    report["scenario_source"] = exp.scenario
    report["eval_time_s"] = time.perf_counter() - t0
    evaluation = run_dir / "evaluation.json"
    atomic_write(evaluation, json.dumps(report, indent=1, default=_json_default))
    replays = record_replays(report, run_dir, dict(exp.overrides))
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return RunResult(
        run_dir=run_dir,
        checkpoint=result.checkpoint,
        curves=run_dir / "curves.png",
        evaluation=evaluation,
        replays=replays,
        report=report,
        train_summary=summary,
    )


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, float) and math.isnan(x):
        return None
    return str(x)


def print_run(res: RunResult, file: Any = None) -> None:
    """The evaluation table and where everything went."""
    import sys

    from aerena.training.evaluate import print_report

    out = file if file is not None else sys.stdout
    s = res.train_summary
    print(
        f"trained ({s['stop_reason']}): {s['iterations']} iterations, "
        f"{s['env_steps']:,} env steps, {s['time_s']:.0f} s",
        file=out,
    )
    print_report(res.report, file=out, paths=False)
    lines = [
        ("run folder", res.run_dir),
        ("checkpoint", res.checkpoint),
        ("curves", res.curves),
        ("evaluation", res.evaluation),
        *((("ray log", log),) if (log := res.run_dir / LOG_NAME).is_file() else ()),
        *(("replay", p) for p in res.replays),
    ]
    for label, path in lines:
        print(f"{label + ':':12s}{path}", file=out)
    print(f"view a replay: aerena replay {res.replays[0]}", file=out)
