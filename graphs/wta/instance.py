"""Static weapon-target assignment instances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True, order="C")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class WTAInstance:
    """Static weapon-target assignment: `kill_prob` ``[m, n]`` (weapon i destroys target j
    with probability p_ij, independently), target `values` ``[n]`` > 0. Every weapon is
    assigned to exactly one target; minimise the expected surviving value
    ``sum_j v_j prod_i (1 - p_ij)^{x_ij}``."""

    kill_prob: np.ndarray
    values: np.ndarray
    name: str = "wta"

    def __post_init__(self) -> None:
        p = _frozen(self.kill_prob, np.float64)
        v = _frozen(self.values, np.float64)
        if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
            raise ValueError(f"kill_prob must be [m, n], got {p.shape}")
        if v.shape != (p.shape[1],):
            raise ValueError(f"values must be [{p.shape[1]}], got {v.shape}")
        if np.any(p < 0) or np.any(p > 1):
            raise ValueError("kill probabilities must be in [0, 1]")
        if np.any(v < 0):
            raise ValueError("target values must be non-negative")
        object.__setattr__(self, "kill_prob", p)
        object.__setattr__(self, "values", v)

    @property
    def m(self) -> int:
        """Number of weapons."""
        return int(self.kill_prob.shape[0])

    @property
    def n(self) -> int:
        """Number of targets."""
        return int(self.kill_prob.shape[1])

    def __repr__(self) -> str:
        return f"WTAInstance(name={self.name!r}, weapons={self.m}, targets={self.n})"
