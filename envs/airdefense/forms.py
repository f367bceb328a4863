"""Masks and infos in the forms third-party clients expect (sb3-contrib, SuperSuit, TorchRL,
RLlib).

Infos hold only scalar leaves (TorchRL stacks them into tensors): the episode outcome
(`World.outcome`) is flattened by :func:`flat_outcome` into ``"outcome/<field>"`` keys,
``"outcome/uavs_lost/<role>"`` for the per-role losses and ``"outcome/attacker_won"``
(0 / 1) in place of the winner's name.

The world's mask is per agent: ``act_mask [N, AMAX]`` bool, row n valid in its first
``action_sizes[n]`` columns. An agent that is not alive (not launched yet, lost) has an
empty row. Clients that sample from a masked distribution need at least one allowed action
per dimension, so the adapters here allow exactly the agent's no-op in an empty row (its
action is ignored by the world anyway).

For a `MultiDiscrete([a_0, ..., a_{n-1}])` action space (one dimension per agent) sb3-contrib
wants the concatenation of the per-dimension masks, ``sum(a_i)`` booleans: that is
:func:`multidiscrete_mask`. This factorisation is **exact** for aerena: each dimension is one
agent's whole `Discrete` action (a UAV's 54 = jam x turn x climb x speed combinations are
one dimension, not four), and agents' masks do not depend on each other's choices.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def noop_filled(mask: np.ndarray, noop: np.ndarray) -> np.ndarray:
    """`mask` [n, A] as bool, with rows that allow nothing set to allow only `noop[i]`."""
    out = np.asarray(mask).astype(np.bool_)
    empty = ~out.any(axis=1)
    rows = np.flatnonzero(empty)
    out[rows, np.asarray(noop)[rows]] = True
    return out


def multidiscrete_mask(mask: np.ndarray, sizes: np.ndarray, noop: np.ndarray) -> np.ndarray:
    """The flat bool mask [sum(sizes)] of `MultiDiscrete(sizes)`: row i's first `sizes[i]`
    entries of the padded `mask` [n, AMAX], concatenated (empty rows: no-op only)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    full = noop_filled(mask, noop)
    keep = np.arange(full.shape[1])[None, :] < sizes[:, None]
    return full[keep]


def flat_outcome(outcome: dict[str, Any]) -> dict[str, int | float]:
    """`World.outcome` as scalar info entries: ``outcome/<key>`` (nested dicts joined by
    ``/``), the winner as ``outcome/attacker_won`` 0 / 1."""
    out: dict[str, int | float] = {}
    for key, v in outcome.items():
        if key == "winner":
            out["outcome/attacker_won"] = int(v == "attacker")
        elif isinstance(v, dict):
            for k2, v2 in v.items():
                out[f"outcome/{key}/{k2}"] = v2
        else:
            out[f"outcome/{key}"] = v
    return out
