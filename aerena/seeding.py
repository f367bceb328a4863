"""The one seed convention of every aerena face.

**Episode e of base seed S is the world seed** ``episode_seed(S, e) = S + e``.

* ``aerena rollout --seed S`` and ``aerena evaluate --seed S`` play episodes 0 .. n-1 of S;
* the PettingZoo env (``aerena.parallel_env``) and the Gymnasium env
  (``aerena/AirDefense-v2``): ``reset(seed=S)`` starts episode 0 of S, each later
  ``reset()`` without a seed the next episode (1, 2, ...); the constructor's ``seed`` is S
  for the first reset when it gets none; with no seed at all, S is drawn once from OS
  entropy (``env.base_seed`` holds it);
* the RLlib env over the PettingZoo env: the same, with base ``runner_seed(S, worker,
  vector index)`` under an RLlib ``EnvContext`` so that parallel copies differ (S itself
  without one); the training sampler plays the same episodes per world;
* the vector env (``aerena.vector_env(..., num_envs=B)``): after ``reset(seed=S)`` world b
  plays episodes b, b + B, b + 2B, ... of S (``env.episode_number[b]`` is the one it plays).

The scripted and random players are seeded per side: the attacker from ``S``, the defender
from ``S + 1`` (:func:`player_seed`; a random player's per-world generator derives from
its seed and the episode's world seed), so the same (S, e) with the same players is the same
episode, bit for bit, through every face. Bases that differ by less than the number of
episodes share episodes (S = 0's episode 1 is S = 1's episode 0): take bases far apart
(e.g. 0, 10_000, 20_000) for independent evaluation sets.
"""

from __future__ import annotations

import numpy as np

MAX_WORLD_SEED = 2**63 - 1
SIDE_OFFSET = {"attacker": 0, "defender": 1}


def episode_seed(seed: int, episode: int) -> int:
    """The world seed of episode `episode` (from 0) of base seed `seed`: ``seed + episode``
    (modulo 2**63, the world seed range)."""
    s, e = int(seed), int(episode)
    if s < 0 or e < 0:
        raise ValueError(f"seed {s} and episode {e} must be >= 0")
    return (s + e) % (MAX_WORLD_SEED + 1)  # world seeds are 63-bit


def player_seed(seed: int, side: str) -> int:
    """The seed of the scripted / random player of `side` under base seed `seed`."""
    if side not in SIDE_OFFSET:
        raise ValueError(f"unknown side {side!r}: expected attacker or defender")
    return int(seed) + SIDE_OFFSET[side]


def entropy_seed() -> int:
    """A base seed drawn from OS entropy, in [0, 2**31) (what the CLI's --seed accepts)."""
    return int(np.random.SeedSequence().entropy) % 2**31


def next_episode(
    base_seed: int | None, episode: int, seed: int | None, init_seed: int | None
) -> tuple[int, int]:
    """(base seed, episode) of the episode a `reset(seed)` plays: `seed` given -> (seed, 0);
    none -> the next episode of the current base; the first reset without one -> episode 0
    of `init_seed` (the constructor's), or of a base drawn from OS entropy."""
    if seed is not None or base_seed is None:
        base = seed if seed is not None else init_seed
        return (entropy_seed() if base is None else int(base)), 0
    return int(base_seed), int(episode) + 1
