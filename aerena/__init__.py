"""aerena: fast multi-agent air-defence worlds and graph-optimization tasks for RL.

Public API::

    aerena.load_scenario(name_or_path)      # a validated Scenario
    aerena.parallel_env(scenario, seed=...)  # PettingZoo ParallelEnv (fixed_agents=True)
    aerena.wrappers.flatten_parallel(env)    # flat Box observations, one space for all
    aerena.vector_env(scenario, num_envs)    # batched worlds, array in / array out
    gymnasium.make("aerena/AirDefense-v2", scenario=..., side=..., opponent=...)
    aerena.episode_seed(S, e)                # the world seed of episode e of base seed S
"""

from __future__ import annotations

from typing import Any

from aerena.envs.airdefense.render_hook import set_live_view_factory
from aerena.seeding import episode_seed
from aerena.version import __version__

__all__ = ["__version__", "episode_seed", "load_scenario", "parallel_env", "vector_env"]


def load_scenario(name_or_path: Any, **overrides: Any) -> Any:
    """Load and validate a scenario by shipped name (`strike_small`) or by path."""
    # lazy: the loader brings pydantic and yaml (~+30 ms), `import aerena` stays light
    from aerena.scenarios.loader import load_scenario as _load

    return _load(name_or_path, **overrides)


def parallel_env(
    scenario: Any,
    *,
    seed: int | None = None,
    render_mode: str | None = None,
    fixed_agents: bool = False,
    **overrides: Any,
) -> Any:
    """The PettingZoo `ParallelEnv` of the air-defence world; `fixed_agents=True`: every
    possible agent present at every step (:mod:`aerena.envs.airdefense.fixed`)."""
    # lazy (here and below): the envs compile Numba kernels, `import aerena` stays light
    from aerena.envs.airdefense.parallel import AirDefenseParallelEnv

    env = AirDefenseParallelEnv(scenario, seed=seed, render_mode=render_mode, **overrides)
    if fixed_agents:
        from aerena.envs.airdefense.fixed import FixedAgentsParallelEnv

        return FixedAgentsParallelEnv(env)
    return env


def vector_env(scenario: Any, num_envs: int, *, seed: int | None = None, **overrides: Any) -> Any:
    """`num_envs` batched worlds stepped in one kernel call, with auto-reset."""
    from aerena.envs.airdefense.vector import AirDefenseVectorEnv

    return AirDefenseVectorEnv(scenario, num_envs, seed=seed, **overrides)


def _live_view(world: Any, size: tuple[int, int], fps: float) -> Any:
    """The envs' default picture renderer (:mod:`aerena.envs.airdefense.render_hook`)."""
    from aerena.viz.live import LiveView  # lazy: pygame is optional (aerena[viz]) and heavy

    return LiveView(world, 0, size=size, fps=fps)


def _register_gym_envs() -> None:
    import gymnasium

    if "aerena/AirDefense-v2" not in gymnasium.registry:
        gymnasium.register(
            id="aerena/AirDefense-v2",
            entry_point="aerena.envs.airdefense.single:AirDefenseSingleEnv",
        )
    from aerena.graphs import register_envs as _register_graph_envs

    _register_graph_envs()


set_live_view_factory(_live_view)
_register_gym_envs()
