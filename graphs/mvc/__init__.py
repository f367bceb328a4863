"""Minimum vertex cover: instances, generators, objective, baselines, Gymnasium env
(``aerena/MVC-v0``, in :mod:`aerena.graphs.mvc.env`)."""

from aerena.graphs.mvc.baselines import BASELINES, solve
from aerena.graphs.mvc.generators import GENERATORS, generate
from aerena.graphs.mvc.instance import MVCInstance
from aerena.graphs.mvc.objective import check_solution, objective

__all__ = [
    "BASELINES",
    "GENERATORS",
    "MVCInstance",
    "check_solution",
    "generate",
    "objective",
    "solve",
]
