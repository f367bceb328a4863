"""The player interface shared by scripted, random and (later) learned players."""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.envs.airdefense import layout as Lo


def side_columns(world: Any, side: str) -> np.ndarray:
    """Indices into the world's agent axis [0, N) of one side's agents."""
    role = world.agent_role
    if side == "attacker":
        return np.flatnonzero(role == Lo.AGENT_UAV)
    if side == "defender":
        return np.flatnonzero(role != Lo.AGENT_UAV)
    raise ValueError(f"unknown side {side!r}: expected 'attacker' or 'defender'")


class Player:
    """Acts for one side of all B worlds of `world`."""

    side: str = ""

    def __init__(self, world: Any, side: str, *, seed: int | None = None) -> None:
        self.world = world
        self.side = side
        self.columns = side_columns(world, side)
        self.rng = np.random.default_rng(seed)

    def reset(self, worlds: np.ndarray | None = None) -> None:
        """Called after `world.reset` for the worlds given (all by default)."""

    def act(self) -> np.ndarray:
        """int64 [B, len(self.columns)] actions, legal under the current action masks."""
        raise NotImplementedError
