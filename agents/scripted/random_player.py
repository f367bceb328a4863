"""A uniformly random player: each agent draws one of its legal actions.

Each world has its own generator, made when the world is reset from the player's seed and
the world's episode seed (``world.seeds[b]``), so an episode plays the same whatever the
number of worlds stepped together or the order they finish in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.agents.scripted.base import Player


class RandomPlayer(Player):
    def __init__(self, world: Any, side: str, *, seed: int | None = None) -> None:
        super().__init__(world, side, seed=seed)
        self.base_seed = int(np.random.SeedSequence(seed).entropy)  # type: ignore[arg-type]
        self.rngs: list[np.random.Generator | None] = [None] * world.num_worlds

    def reset(self, worlds: np.ndarray | None = None) -> None:
        for b in range(self.world.num_worlds) if worlds is None else worlds:
            self.rngs[int(b)] = self._generator(int(b))

    def _generator(self, b: int) -> np.random.Generator:
        return np.random.default_rng([self.base_seed, int(self.world.seeds[b])])

    def act(self) -> np.ndarray:
        mask = self.world.state.act_mask[:, self.columns, :]  # [B, n, AMAX]
        # Gumbel-free uniform choice among legal actions: random keys, illegal ones at -1
        keys = np.empty(mask.shape)
        for b in range(mask.shape[0]):
            rng = self.rngs[b]
            if rng is None:  # acted before any reset: start from the world's seed
                rng = self.rngs[b] = self._generator(b)
            keys[b] = rng.random(mask.shape[1:])
        keys[~mask] = -1.0
        act = keys.argmax(axis=2)
        act[~mask.any(axis=2)] = 0
        return act.astype(np.int64)
