"""Wrappers that put the aerena envs in the forms third-party clients expect.

    env = aerena.parallel_env("strike_small", fixed_agents=True)
    flat = aerena.wrappers.flatten_parallel(env)               # Box obs, mask in flat.mask_slice
    masked = aerena.wrappers.flatten_parallel(env, dict_obs=True)  # {"observations", "action_mask"}

See :mod:`aerena.envs.airdefense.fixed` for the layout and the action rule.
"""

from __future__ import annotations

from typing import Any

__all__ = ["flatten_parallel"]


def flatten_parallel(env: Any, *, dict_obs: bool = False) -> Any:
    """`env` (an aerena parallel env, fixed-agent or not) with one flat observation space and
    one `Discrete(AMAX)` action space for every agent."""
    from aerena.envs.airdefense.fixed import FlatParallelEnv

    return FlatParallelEnv(env, dict_obs=dict_obs)
