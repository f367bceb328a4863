"""A uniformly random player: each agent draws one of its legal actions."""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.agents.scripted.base import Player


class RandomPlayer(Player):
    shared_rng = True  # one draw of [B, n, AMAX] keys per step

    def __init__(self, world: Any, side: str, *, seed: int | None = None) -> None:
        super().__init__(world, side, seed=seed)

    def act(self) -> np.ndarray:
        mask = self.world.state.act_mask[:, self.columns, :]  # [B, n, AMAX]
        # Gumbel-free uniform choice among legal actions: random keys, illegal ones at -1
        keys = self.rng.random(mask.shape)
        keys[~mask] = -1.0
        act = keys.argmax(axis=2)
        act[~mask.any(axis=2)] = 0
        return act.astype(np.int64)
