"""Scripted and random players for both sides of the air-defence world.

A player acts for one side of every world of a :class:`~aerena.envs.airdefense.world.World`
at once, from that side's knowledge only (fog of war):

    player = make_player("defender", "scripted", world, seed=0)
    player.reset()                      # after world.reset(...)
    cols = player.act()                 # int64 [B, n_side] actions, in the side's agent order

Side agent order is the world's: the attacker's columns are `uav_0..`, the defender's are
`launcher_0..`, then `radar_0..`. `side_columns(world, side)` gives their indices in [0, N).
"""

from __future__ import annotations

from typing import Any

from aerena.agents.scripted.attacker import ScriptedAttacker
from aerena.agents.scripted.base import Player, side_columns
from aerena.agents.scripted.defender import ScriptedDefender
from aerena.agents.scripted.random_player import RandomPlayer

SIDES = ("attacker", "defender")
KINDS = ("scripted", "scripted-wta", "random")


def make_player(side: str, kind: str, world: Any, *, seed: int | None = None) -> Player:
    """A player by side (`attacker` | `defender`) and kind (`scripted` | `random`;
    `scripted-wta`: the scripted defender choosing its shots by weapon-target assignment)."""
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r}: expected one of {', '.join(SIDES)}")
    if kind == "random":
        return RandomPlayer(world, side, seed=seed)
    if kind == "scripted":
        if side == "attacker":
            return ScriptedAttacker(world, seed=seed)
        return ScriptedDefender(world, seed=seed)
    if kind == "scripted-wta" and side == "defender":
        return ScriptedDefender(world, seed=seed, fire_control="wta")
    raise ValueError(f"unknown player kind {kind!r}: expected one of {', '.join(KINDS)}")


__all__ = ["KINDS", "SIDES", "Player", "make_player", "side_columns"]
