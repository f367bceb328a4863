"""Seeded WTA generators. ``uniform``: kill probabilities uniform in [`p_low`, `p_high`]
(default [0.6, 0.9]) and target values uniform in [`v_low`, `v_high`] (default [25, 100]),
the ranges of Ahuja et al. (2007)."""

from __future__ import annotations

from typing import Any

from aerena.graphs.common.registry import Registry, as_rng
from aerena.graphs.wta.instance import WTAInstance

GENERATORS: Registry = Registry("WTA generator")


@GENERATORS.register("uniform")
def uniform(
    seed: Any = None,
    num_weapons: int = 10,
    num_targets: int = 10,
    p_low: float = 0.6,
    p_high: float = 0.9,
    v_low: float = 25.0,
    v_high: float = 100.0,
) -> WTAInstance:
    rng = as_rng(seed)
    p = rng.uniform(p_low, p_high, size=(num_weapons, num_targets))
    v = rng.uniform(v_low, v_high, size=num_targets)
    return WTAInstance(p, v, name=f"uniform{num_weapons}x{num_targets}")


def generate(name: str, seed: Any = None, **params: Any) -> WTAInstance:
    return GENERATORS.get(name)(seed, **params)
