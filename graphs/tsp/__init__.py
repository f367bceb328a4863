"""Symmetric TSP: instances, generators, objective, baselines, TSPLIB files, Gymnasium env
(``aerena/TSP-v0``, in :mod:`aerena.graphs.tsp.env`)."""

from aerena.graphs.tsp.baselines import BASELINES, solve
from aerena.graphs.tsp.generators import GENERATORS, generate
from aerena.graphs.tsp.instance import TSPInstance
from aerena.graphs.tsp.io import load_tsplib, read_tour, save_tsplib, write_tour
from aerena.graphs.tsp.objective import check_solution, objective, tour_length

__all__ = [
    "BASELINES",
    "GENERATORS",
    "TSPInstance",
    "check_solution",
    "generate",
    "load_tsplib",
    "objective",
    "read_tour",
    "save_tsplib",
    "solve",
    "tour_length",
    "write_tour",
]
