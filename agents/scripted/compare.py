"""Greedy against WTA fire control of the scripted defender, on the same episodes.

    python -m aerena.agents.scripted.compare [--seeds N] [--seed S] [scenario ...]

prints one JSON line per scenario (:func:`compare_fire_control`).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from aerena.agents.scripted.attacker import ScriptedAttacker
from aerena.agents.scripted.base import side_columns
from aerena.agents.scripted.defender import ScriptedDefender
from aerena.envs.airdefense.world import World

__all__ = ["compare_fire_control"]


def compare_fire_control(
    scenario: str, seeds: int = 16, seed: int = 0, max_steps: int | None = None
) -> dict[str, dict[str, float]]:
    """Greedy vs WTA fire control against the scripted attacker on `seeds` episodes
    (seeds ``seed .. seed + seeds - 1``, one world each): mean asset value destroyed
    fraction (and its standard error), interceptors used, kills, defender win rate and
    invalid defender actions per fire control."""
    overrides = {} if max_steps is None else {"episode.max_steps": int(max_steps)}
    res: dict[str, dict[str, float]] = {}
    for fc in ("greedy", "wta"):
        world = World(scenario, num_worlds=int(seeds), **overrides)
        world.reset([seed + e for e in range(int(seeds))])
        att = ScriptedAttacker(world, seed=seed)
        dfd = ScriptedDefender(world, seed=seed + 1, fire_control=fc)
        att.reset()
        dfd.reset()
        ca, cd = side_columns(world, "attacker"), side_columns(world, "defender")
        actions = np.zeros((world.num_worlds, world.sizes["N"]), dtype=np.int64)
        invalid = 0
        while not world.done.all():
            live = ~world.done
            actions[:, ca] = att.act()
            actions[:, cd] = dfd.act()
            world.step(actions, worlds=live)
            invalid += int(world.state.invalid[live][:, cd].sum())
        rows = [world.outcome(b) for b in range(world.num_worlds)]
        frac = np.array([r["asset_fraction_destroyed"] for r in rows])
        res[fc] = {
            "asset_fraction_destroyed": float(frac.mean()),
            "asset_fraction_destroyed_se": (
                float(frac.std(ddof=1) / np.sqrt(len(frac))) if len(frac) > 1 else 0.0
            ),
            "interceptors_used": float(np.mean([r["interceptors_used"] for r in rows])),
            "kills": float(np.mean([r["kills"] for r in rows])),
            "defender_wins": float(np.mean([r["winner"] == "defender" for r in rows])),
            "invalid_defender_actions": float(invalid),
        }
    return res


if __name__ == "__main__":  # python -m aerena.agents.scripted.compare [--seeds N] [scenario ...]
    ap = argparse.ArgumentParser(description="greedy vs WTA fire control")
    ap.add_argument("scenarios", nargs="*", default=["strike_small", "saturation"])
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    for name in a.scenarios:
        print(name, json.dumps(compare_fire_control(name, seeds=a.seeds, seed=a.seed)))
