"""Budgeted maximum coverage: instances, generators, objective, baselines, Gymnasium env
(``aerena/MaxCover-v0``, in :mod:`aerena.graphs.maxcover.env`)."""

from aerena.graphs.maxcover.baselines import BASELINES, solve
from aerena.graphs.maxcover.generators import GENERATORS, generate
from aerena.graphs.maxcover.instance import MaxCoverInstance
from aerena.graphs.maxcover.objective import check_solution, covered_weight, objective

__all__ = [
    "BASELINES",
    "GENERATORS",
    "MaxCoverInstance",
    "check_solution",
    "covered_weight",
    "generate",
    "objective",
    "solve",
]
