"""Graph and assignment optimisation tasks: TSP, CVRP, MVC, MaxCut, MaxCover, WTA and
influence maximisation (IM).

Each problem is a composition chosen by name (STYLE.md section 8)::

    from aerena import graphs
    tsp = graphs.problem("tsp")                      # the module aerena.graphs.tsp
    inst = tsp.generate("uniform", seed=0, num_nodes=50)
    tour = tsp.solve(inst, "ls")                     # a baseline from tsp.BASELINES
    tsp.objective(inst, tour)

    graphs.register_envs()                           # aerena/TSP-v0, ..., aerena/IM-v0
    env = gymnasium.make("aerena/TSP-v0", num_nodes=50)

Every problem package exposes ``GENERATORS`` and ``BASELINES`` registries, ``generate``,
``solve``, ``objective``, ``check_solution``, its instance type, and its env in ``.env``.
Sub-packages are imported on first use, so ``import aerena.graphs`` stays cheap.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from aerena.graphs.common.registry import Registry

__all__ = ["ENV_IDS", "PROBLEMS", "baseline_names", "problem", "register_envs", "solve"]

PROBLEMS: Registry = Registry("graph problem")
for _name in ("tsp", "cvrp", "mvc", "maxcut", "maxcover", "wta", "im"):
    PROBLEMS.register(_name, f"aerena.graphs.{_name}")

#: Gymnasium id -> entry point, one per problem (version v0).
ENV_IDS: dict[str, str] = {
    "aerena/TSP-v0": "aerena.graphs.tsp.env:TSPEnv",
    "aerena/CVRP-v0": "aerena.graphs.cvrp.env:CVRPEnv",
    "aerena/MVC-v0": "aerena.graphs.mvc.env:MVCEnv",
    "aerena/MaxCut-v0": "aerena.graphs.maxcut.env:MaxCutEnv",
    "aerena/MaxCover-v0": "aerena.graphs.maxcover.env:MaxCoverEnv",
    "aerena/WTA-v0": "aerena.graphs.wta.env:WTAEnv",
    "aerena/IM-v0": "aerena.graphs.im.env:IMEnv",
}

#: Objective sense of each problem.
SENSE: dict[str, str] = {
    "tsp": "min",
    "cvrp": "min",
    "mvc": "min",
    "maxcut": "max",
    "maxcover": "max",
    "wta": "min",
    "im": "max",
}


def problem(name: str) -> ModuleType:
    """The package of problem `name` (``"tsp"``, ``"cvrp"``, ...), imported on demand."""
    return importlib.import_module(PROBLEMS.get(name))


def baseline_names(name: str) -> tuple[str, ...]:
    return problem(name).BASELINES.names()


def solve(name: str, instance: Any, baseline: str, **options: Any) -> Any:
    """Run `baseline` of problem `name` on `instance`."""
    return problem(name).BASELINES.get(baseline)(instance, **options)


def register_envs() -> None:
    """Register the seven graph envs with Gymnasium (idempotent; imports nothing heavy)."""
    import gymnasium

    for env_id, entry_point in ENV_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point)
