"""`aerena evaluate`: a trained policy against the scripted baseline, on the same seeds.

    aerena evaluate runs/tiny-defender-20260101-120000 --episodes 64
    aerena evaluate runs/.../checkpoints/iter_000100 --opponent random --json

The checkpoint is a weights folder (:mod:`aerena.training.weights`), an RLlib checkpoint
folder, or a run folder (its newest checkpoint).
The run's `config.yaml` gives the defaults: scenario (and overrides), learning side and
opponent. The modules (one per role) are restored with `RLModule.from_checkpoint` --
no Ray cluster is started -- and play through
:class:`~aerena.agents.rl_module.LearnedPlayer` (greedy masked actions; `--sample`
draws from the masked policy instead).

Two evaluations run on the same episode seeds (episode e: world seed S + e, as in
`aerena rollout`; :mod:`aerena.seeding`) against the same opponent (`scripted` | `random`;
players seeded S for the attacker, S + 1 for the defender, as in `aerena rollout`):
the learned side, then the scripted player of that side in its place. For each, the
report gives the mean and a 95 % confidence interval of

* `win_rate` -- episodes won by the evaluated side (Wilson interval);
* `asset_value_saved`, `leakers`, `uavs_lost`, `kills`, `interceptors_used`, `return`
  (the side's team return) -- Student t interval of the mean;
* `interceptors_per_kill` -- total interceptors over total kills (percentile bootstrap,
  2000 resamples of the episodes, fixed seed; NaN without kills).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from aerena.agents.scripted import make_player
from aerena.envs.airdefense.rollout import play_episodes, t_quantile_975
from aerena.envs.airdefense.world import World
from aerena.errors import UserError
from aerena.seeding import player_seed
from aerena.training import checkpoints
from aerena.training.checkpoints import (
    checkpoint_play_options,  # noqa: F401  (public here too)
    resolve_checkpoint,
)
from aerena.training.config import load_experiment
from aerena.training.progress import fmt

METRICS = (
    ("win_rate", "win rate"),
    ("asset_value_saved", "asset value saved"),
    ("leakers", "leakers"),
    ("interceptors_per_kill", "interceptors per kill"),
    ("uavs_lost", "UAVs lost"),
    ("kills", "kills"),
    ("interceptors_used", "interceptors used"),
    ("return", "team return"),
)


# --------------------------------------------------------------------------------------
# Checkpoints and modules
# --------------------------------------------------------------------------------------
def load_modules(checkpoint: str | Path) -> dict[str, Any]:
    """role -> RLModule of a weights folder or an algorithm checkpoint: opened as
    :func:`aerena.training.checkpoints.load_modules` says, for SideEnv's spaces."""
    from aerena.training.side_env import SideEnv  # RLlib: heavy

    return checkpoints.load_modules(checkpoint, SideEnv)


# --------------------------------------------------------------------------------------
# Playing
# --------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------
def wilson(k: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def t_interval(x: np.ndarray) -> tuple[float, float]:
    n = len(x)
    if n < 2:
        return (math.nan, math.nan)
    half = t_quantile_975(n - 1) * float(np.std(x, ddof=1)) / math.sqrt(n)
    m = float(np.mean(x))
    return (m - half, m + half)


def ratio_bootstrap(num: np.ndarray, den: np.ndarray, reps: int = 2000) -> tuple[float, float]:
    n = len(num)
    if n < 2 or den.sum() == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, n, size=(reps, n))
    d = den[idx].sum(axis=1)
    r = num[idx].sum(axis=1)[d > 0] / d[d > 0]
    if len(r) == 0:
        return (math.nan, math.nan)
    return (float(np.quantile(r, 0.025)), float(np.quantile(r, 0.975)))


def side_table(rows: list[dict[str, Any]], side: str) -> dict[str, dict[str, Any]]:
    """metric -> {"mean": m, "ci95": [lo, hi]} for the evaluated side."""
    n = len(rows)
    wins = np.array([r["winner"] == side for r in rows], dtype=np.float64)
    col = {
        "asset_value_saved": np.array([r["asset_value_saved"] for r in rows], np.float64),
        "leakers": np.array([r["leakers"] for r in rows], np.float64),
        "uavs_lost": np.array([r["uavs_lost_total"] for r in rows], np.float64),
        "kills": np.array([r["kills"] for r in rows], np.float64),
        "interceptors_used": np.array([r["interceptors_used"] for r in rows], np.float64),
        "return": np.array([r[f"return_{side}"] for r in rows], np.float64),
    }
    out: dict[str, dict[str, Any]] = {
        "win_rate": {"mean": float(wins.mean()) if n else math.nan,
                     "ci95": list(wilson(float(wins.sum()), n))},
    }  # fmt: skip
    kills, used = col["kills"], col["interceptors_used"]
    out["interceptors_per_kill"] = {
        "mean": float(used.sum() / kills.sum()) if kills.sum() > 0 else math.nan,
        "ci95": list(ratio_bootstrap(used, kills)),
    }
    for key, x in col.items():
        out[key] = {"mean": float(x.mean()) if n else math.nan, "ci95": list(t_interval(x))}
    return {k: out[k] for k, _ in METRICS}


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------
def evaluate(
    checkpoint: str | Path,
    *,
    scenario: str | None = None,
    episodes: int = 32,
    opponent: str | None = None,
    side: str | None = None,
    seed: int = 10_000,
    worlds: int = 16,
    overrides: dict[str, Any] | None = None,
    sample: bool = False,
) -> dict[str, Any]:
    """Evaluate a checkpoint's learned side and the scripted baseline; a JSON-able report."""
    import torch  # heavy: only when a policy plays

    from aerena.agents.rl_module import LearnedPlayer  # torch and ray: heavy

    if episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {episodes}")
    ckpt, run_dir = resolve_checkpoint(checkpoint)
    exp = None
    if run_dir is not None:
        exp = load_experiment(run_dir / "config.yaml").config
    modules = load_modules(ckpt)
    if side is None:
        if exp is not None and exp.learn in ("attacker", "defender"):
            side = exp.learn
        else:
            side = "defender" if ("launcher" in modules or "radar" in modules) else "attacker"
    if scenario is None:
        if exp is None:
            raise UserError(f"{checkpoint}: not inside a run folder; give --scenario")
        scenario = exp.scenario
        if overrides is None:
            overrides = dict(exp.overrides)
    opponent = opponent or (exp.opponent if exp is not None else "scripted")
    play = exp.play_options() if exp is not None else {}
    other = "defender" if side == "attacker" else "attacker"
    torch.set_num_threads(1)

    results = {}
    my_seed = player_seed(seed, side)
    for label in ("learned", "scripted"):
        world = World(scenario, min(max(1, worlds), episodes), **(overrides or {}))
        if label == "learned":
            try:
                me = LearnedPlayer(world, side, modules, seed=my_seed, sample=sample, **play)
            except ValueError as exc:  # the modules do not fit this side or scenario
                raise UserError(f"{checkpoint}: cannot play the {side} here: {exc}") from None
        else:
            me = make_player(side, "scripted", world, seed=my_seed)
        opp = make_player(other, opponent, world, seed=player_seed(seed, other))
        rows = play_episodes(world, {side: me, other: opp}, episodes, seed)
        results[label] = {"summary": side_table(rows, side), "episodes": rows}
    return {
        "checkpoint": str(ckpt),
        "scenario": world.scenario.name,
        "overrides": dict(overrides or {}),
        "side": side,
        "opponent": opponent,
        "episodes": episodes,
        "seed": seed,
        "policy": "sampled" if sample else "greedy",
        "play": play,
        "learned": results["learned"],
        "scripted": results["scripted"],
    }


def _cell(entry: dict[str, Any]) -> str:
    m = entry["mean"]
    lo, hi = entry["ci95"]
    if math.isnan(lo):
        return fmt(m)
    return f"{fmt(m)}  [{fmt(lo)}, {fmt(hi)}]"


def print_report(report: dict[str, Any], file: Any = None, paths: bool = True) -> None:
    """The result table: learned and scripted side by side (mean [95 % CI]); its title on
    its own line (never wrapped); `paths`: then the checkpoint's path."""
    import sys

    from rich.console import Console
    from rich.table import Table

    out = file if file is not None else sys.stdout
    console = Console(file=out, highlight=False)
    other = "defender" if report["side"] == "attacker" else "attacker"
    title = (
        f"{report['scenario']}: learned {report['side']} vs {report['opponent']} {other}, "
        f"{report['episodes']} episodes from seed {report['seed']}"
    )
    console.print(title, soft_wrap=True)
    table = Table()
    table.add_column("metric")
    table.add_column("learned: mean [95% CI]", justify="right")
    table.add_column("scripted: mean [95% CI]", justify="right")
    for key, label in METRICS:
        table.add_row(
            label,
            _cell(report["learned"]["summary"][key]),
            _cell(report["scripted"]["summary"][key]),
        )
    console.print(table)
    if paths:
        console.print(f"checkpoint: {report['checkpoint']}", soft_wrap=True)
