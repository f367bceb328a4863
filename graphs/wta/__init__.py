"""Static weapon-target assignment: instances, generators, objective, baselines, Gymnasium
env (``aerena/WTA-v0``, in :mod:`aerena.graphs.wta.env`)."""

from aerena.graphs.wta.baselines import BASELINES, solve
from aerena.graphs.wta.generators import GENERATORS, generate
from aerena.graphs.wta.instance import WTAInstance
from aerena.graphs.wta.objective import check_solution, objective, surviving_value

__all__ = [
    "BASELINES",
    "GENERATORS",
    "WTAInstance",
    "check_solution",
    "generate",
    "objective",
    "solve",
    "surviving_value",
]
