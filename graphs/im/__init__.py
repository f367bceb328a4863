"""Influence maximisation under the independent cascade model: instances, generators,
objective (Monte Carlo spread), baselines (IMM, CELF, greedy, degree discount), Gymnasium
env (``aerena/IM-v0``, in :mod:`aerena.graphs.im.env`)."""

from aerena.graphs.im.baselines import BASELINES, solve
from aerena.graphs.im.generators import GENERATORS, generate
from aerena.graphs.im.instance import IMInstance
from aerena.graphs.im.objective import check_solution, objective, spread

__all__ = [
    "BASELINES",
    "GENERATORS",
    "IMInstance",
    "check_solution",
    "generate",
    "objective",
    "solve",
    "spread",
]
