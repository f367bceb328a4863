"""Capacitated VRP: instances, generators, objective, baselines, CVRPLIB files, Gymnasium
env (``aerena/CVRP-v0``, in :mod:`aerena.graphs.cvrp.env`)."""

from aerena.graphs.cvrp.baselines import BASELINES, solve
from aerena.graphs.cvrp.generators import GENERATORS, generate, kool_capacity
from aerena.graphs.cvrp.instance import CVRPInstance
from aerena.graphs.cvrp.io import load_cvrplib, load_solution, save_cvrplib, save_solution
from aerena.graphs.cvrp.objective import (
    check_solution,
    giant_of,
    giant_tour_length,
    objective,
    routes_of,
)

__all__ = [
    "BASELINES",
    "CVRPInstance",
    "GENERATORS",
    "check_solution",
    "generate",
    "giant_of",
    "giant_tour_length",
    "kool_capacity",
    "load_cvrplib",
    "load_solution",
    "objective",
    "routes_of",
    "save_cvrplib",
    "save_solution",
    "solve",
]
