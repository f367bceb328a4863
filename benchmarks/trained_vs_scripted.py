"""Trained policies against the scripted players, on the same seeds, with 95 % intervals.

    python benchmarks/trained_vs_scripted.py --defender runs/strike-small-defender-...
    python benchmarks/trained_vs_scripted.py --attacker runs/strike-small-attacker-...

For each run folder (or RLlib checkpoint) given, `aerena evaluate` plays `--episodes`
episodes (episode e: seed S + e) twice: the learned side (greedy, or `--sample`), then the
scripted player of that side in its place, against the same opponent (the run's, by
default the scripted player of the other side). The headline is asset value saved (the
defender's objective; the attacker wants it low) with a Student t 95 % interval: the
learned side *beats* the scripted one when the two intervals do not overlap.

Reference rows (`--references`, on by default) put the numbers in context on the same
seeds: the random defender, and the scripted defender whose radar keeps silent until a
fixed time (`--quiet-until`, s) and then follows the scripted emission control -- a
hand-made probe of how much the attacker's passive detection of the radar (ESM) costs
the defence on this scenario.

Training wall time comes from the run folder (`summary.json`, plus the behaviour-cloning
stage of `imitation.json`). Results go to `--out` (JSON, written atomically).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

METRICS = ("asset_value_saved", "win_rate", "leakers", "interceptors_used", "uavs_lost")


def _interval(x: np.ndarray) -> dict[str, Any]:
    from aerena.training.evaluate import t_interval

    lo, hi = t_interval(x)
    return {"mean": float(x.mean()), "ci95": [float(lo), float(hi)]}


def _summary(rows: list[dict[str, Any]], side: str) -> dict[str, Any]:
    from aerena.training.evaluate import side_table

    return {k: v for k, v in side_table(rows, side).items() if k in METRICS}


def training_time(checkpoint: str) -> dict[str, float]:
    """Wall seconds of the run's RL stage and of its behaviour-cloning stage."""
    from aerena.training.evaluate import resolve_checkpoint
    from aerena.training.progress import run_times

    _, run = resolve_checkpoint(checkpoint)
    return {"rl_s": math.nan, "imitation_s": 0.0} if run is None else run_times(run)


def reference_rows(scenario: str, episodes: int, seed: int, quiet_until: float) -> list[dict]:
    """Random defender, and the scripted defender with a radar silent until a set time."""
    from aerena.agents.scripted import make_player
    from aerena.agents.scripted.defender import ScriptedDefender
    from aerena.envs.airdefense import layout as Lo
    from aerena.envs.airdefense.rollout import play_episodes
    from aerena.envs.airdefense.world import World

    class QuietUntil(ScriptedDefender):
        """The scripted defender, its radars silent while the clock is below `until`."""

        def __init__(self, world: Any, until: float, seed: int) -> None:
            super().__init__(world, seed=seed)
            self.until = until
            self.radars = np.flatnonzero(world.agent_role[self.columns] == Lo.AGENT_RADAR)

        def act(self) -> np.ndarray:
            out = super().act()
            quiet = np.asarray(self.world.state.t).reshape(-1) < self.until
            out[np.ix_(quiet, self.radars)] = 1
            return out

    out = []
    for label in ("random defender", f"scripted defender, radar silent until {quiet_until:g} s"):
        world = World(scenario, min(16, episodes))
        if label.startswith("random"):
            me = make_player("defender", "random", world, seed=seed)
        else:
            me = QuietUntil(world, quiet_until, seed)
        opp = make_player("attacker", "scripted", world, seed=seed + 1)
        rows = play_episodes(world, {"defender": me, "attacker": opp}, episodes, seed)
        out.append({"label": label, "side": "defender", "summary": _summary(rows, "defender")})
    return out


def _cell(entry: dict[str, Any], digits: int = 3) -> str:
    lo, hi = entry["ci95"]
    if math.isnan(lo):
        return f"{entry['mean']:.{digits}f}"
    return f"{entry['mean']:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--defender", help="run folder or checkpoint of a trained defender")
    ap.add_argument("--attacker", help="run folder or checkpoint of a trained attacker")
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--seed", type=int, default=100_000, help="episode e uses seed S + e")
    ap.add_argument("--sample", action="store_true", help="sample the learned policies")
    ap.add_argument("--quiet-until", type=float, default=550.0)
    ap.add_argument(
        "--scenario", default="strike_small", help="of the reference rows without a checkpoint"
    )
    ap.add_argument("--no-references", dest="references", action="store_false")
    ap.add_argument("--out", default="benchmarks/results/trained_vs_scripted.json")
    args = ap.parse_args(argv)
    if not (args.defender or args.attacker or args.references):
        ap.error("give --defender and/or --attacker (or keep the reference rows)")

    from aerena.errors import UserError
    from aerena.training.evaluate import evaluate, resolve_checkpoint

    try:  # bad paths fail here, before any episode is played
        for ck in (args.defender, args.attacker):
            if ck:
                resolve_checkpoint(ck)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t0 = time.time()
    results: list[dict[str, Any]] = []
    scenario = args.scenario
    for side, ck in (("defender", args.defender), ("attacker", args.attacker)):
        if not ck:
            continue
        rep = evaluate(ck, episodes=args.episodes, seed=args.seed, sample=args.sample)
        scenario = rep["scenario"]
        learned = _summary(rep["learned"]["episodes"], side)
        scripted = _summary(rep["scripted"]["episodes"], side)
        a, b = learned["asset_value_saved"]["ci95"], scripted["asset_value_saved"]["ci95"]
        # the defender wants asset value saved high, the attacker low
        beats = a[0] > b[1] if side == "defender" else a[1] < b[0]
        results.append({
            "side": side, "checkpoint": rep["checkpoint"], "scenario": rep["scenario"],
            "opponent": rep["opponent"], "policy": rep["policy"], "learned": learned,
            "scripted": scripted, "beats_scripted": bool(beats),
            "training_time_s": training_time(ck),
        })  # fmt: skip
    refs = reference_rows(scenario, args.episodes, args.seed, args.quiet_until) if (
        args.references) else []  # fmt: skip

    print(f"{scenario}: {args.episodes} episodes from seed {args.seed}, "
          f"mean [95% CI]")  # fmt: skip
    print()
    print("| policy | asset value saved | win rate (its side) | leakers | interceptors used |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        for label in ("learned", "scripted"):
            s = r[label]
            name = f"{label} {r['side']} ({r['policy']})" if label == "learned" else (
                f"scripted {r['side']}")  # fmt: skip
            print(f"| {name} | {_cell(s['asset_value_saved'])} | {_cell(s['win_rate'])} | "
                  f"{_cell(s['leakers'])} | {_cell(s['interceptors_used'], 2)} |")  # fmt: skip
    for r in refs:
        s = r["summary"]
        print(f"| {r['label']} | {_cell(s['asset_value_saved'])} | {_cell(s['win_rate'])} | "
              f"{_cell(s['leakers'])} | {_cell(s['interceptors_used'], 2)} |")  # fmt: skip
    print()
    for r in results:
        tt = r["training_time_s"]
        verdict = "beats" if r["beats_scripted"] else "does not beat"
        print(f"trained {r['side']} {verdict} the scripted {r['side']} (asset value saved, "
              f"non-overlapping 95% intervals); training {tt['rl_s'] / 60:.1f} min RL + "
              f"{tt['imitation_s'] / 60:.1f} min behaviour cloning")  # fmt: skip

    record = {
        "benchmark": "trained_vs_scripted",
        "header": {"timestamp": time.strftime("%Y-%m-%d %H:%M:%S"), "episodes": args.episodes,
                   "seed": args.seed, "sample": args.sample, "loadavg": os.getloadavg(),
                   "seconds": time.time() - t0},
        "results": results,
        "references": refs,
    }  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
