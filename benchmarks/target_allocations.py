"""How much the strike UAVs' target allocation is worth against the scripted defender.

    python benchmarks/target_allocations.py [--scenario strike_small] [--episodes 64]

The scripted attacker flies every row; its doctrine picks the targets in the first row,
and in the others each strike UAV's target is fixed for as long as that target lives
(`ScriptedAttacker.fixed`, what a `target_plan` policy sets), every strike UAV taking one
of the scenario's assets, each unordered allocation once (strike UAVs from the same
carrier are interchangeable). The other UAVs (decoys, jammers, recon) keep the doctrine,
which follows the strikes. Every row plays the same seeded episodes against the scripted
defender. The table is sorted by asset value destroyed (mean and Student t 95 %
interval), with how often each asset falls: the headroom a learned allocation can take
over the doctrine's.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def play(world: Any, seed: int, fixed: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Asset value destroyed per episode [B] and whether each asset fell [B, assets]."""
    from aerena.agents.scripted import make_player, side_columns
    from aerena.agents.scripted.attacker import ScriptedAttacker
    from aerena.envs.airdefense import layout as Lo

    B = world.num_worlds
    world.reset([seed + e for e in range(B)])
    att = ScriptedAttacker(world, seed=seed + 1)
    dfn = make_player("defender", "scripted", world, seed=seed + 2)
    att.reset()
    dfn.reset()
    for j, t in fixed.items():
        att.fixed[:, j] = t
    ca, cd = side_columns(world, "attacker"), side_columns(world, "defender")
    act = np.zeros((B, world.sizes["N"]), np.int64)
    while not world.done.all():
        act[:, ca] = att.act()
        act[:, cd] = dfn.act()
        world.step(act, worlds=~world.done)
    s = world.state
    assets = world.roster.gnd_kind == Lo.ASSET
    fell = s.gnd_hp[:, assets] <= 0.0
    return (fell * s.gnd_par[:, assets, Lo.GP_VALUE]).sum(axis=1), fell


def allocations(world: Any) -> tuple[list[int], list[str], list[tuple[int, ...]]]:
    """Strike UAV slots, asset names, and one allocation per multiset per carrier."""
    from aerena.agents.scripted.attacker import ScriptedAttacker
    from aerena.envs.airdefense import layout as Lo

    C = world.sizes["C"]
    roles = world.roster.air_role[C:]
    strikes = [int(j) for j in np.flatnonzero(roles == Lo.STRIKE)]
    names = ScriptedAttacker(world).target_names[: int(np.sum(world.roster.gnd_kind == 0))]
    carrier = [int(world.roster.air_carrier[C + j]) for j in strikes]
    groups = [[i for i, c in enumerate(carrier) if c == k] for k in dict.fromkeys(carrier)]
    per_group = [
        list(itertools.combinations_with_replacement(range(len(names)), len(g))) for g in groups
    ]
    out = []
    for pick in itertools.product(*per_group):
        alloc = [0] * len(strikes)
        for g, targets in zip(groups, pick, strict=True):
            for i, t in zip(g, targets, strict=True):
                alloc[i] = t
        out.append(tuple(alloc))
    return strikes, names, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="strike_small")
    ap.add_argument("--episodes", type=int, default=64)
    ap.add_argument("--seed", type=int, default=100000)
    ap.add_argument("--top", type=int, default=12, help="rows shown (best first)")
    args = ap.parse_args(argv)

    from aerena.envs.airdefense.world import World
    from aerena.training.evaluate import t_interval

    world = World(args.scenario, args.episodes)
    strikes, names, allocs = allocations(world)
    t0 = time.perf_counter()
    rows = []
    base, base_fell = play(world, args.seed, {})
    rows.append(("doctrine (scripted attacker)", base, base_fell))
    for alloc in allocs:
        value, fell = play(world, args.seed, dict(zip(strikes, alloc, strict=True)))
        rows.append((", ".join(names[t] for t in alloc), value, fell))
    rows.sort(key=lambda r: -r[1].mean())
    print(f"{args.scenario}: {len(allocs)} strike allocations (uav {strikes}), "
          f"{args.episodes} episodes each, seeds {args.seed}+, scripted defender")  # fmt: skip
    falls = " | ".join(f"{n} falls" for n in names)
    uavs = ", ".join(map(str, strikes))
    print(f"| strike targets (uav {uavs}) | asset value destroyed | {falls} |")
    print("|" + " --- |" * (2 + len(names)))
    shown = rows[: args.top]
    if not any(r[0].startswith("doctrine") for r in shown):
        shown.append(next(r for r in rows if r[0].startswith("doctrine")))
    for label, value, fell in shown:
        lo, hi = t_interval(value)
        falls = " | ".join(f"{f:.2f}" for f in fell.mean(axis=0))
        print(f"| {label} | {value.mean():.3f} [{lo:.3f}, {hi:.3f}] | {falls} |")
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
