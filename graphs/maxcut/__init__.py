"""MaxCut: instances, generators, objective, baselines, Gymnasium env (``aerena/MaxCut-v0``,
in :mod:`aerena.graphs.maxcut.env`)."""

from aerena.graphs.maxcut.baselines import BASELINES, solve
from aerena.graphs.maxcut.generators import GENERATORS, generate
from aerena.graphs.maxcut.instance import MaxCutInstance
from aerena.graphs.maxcut.objective import check_solution, cut_value, objective

__all__ = [
    "BASELINES",
    "GENERATORS",
    "MaxCutInstance",
    "check_solution",
    "cut_value",
    "generate",
    "objective",
    "solve",
]
