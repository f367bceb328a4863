"""The public benchmark instances shipped in ``graphs/data`` and their optimal values.

    from aerena.graphs.common.benchmarks import load, OPTIMA
    inst = load("berlin52")            # a TSPInstance (or a CVRPInstance for CVRPLIB names)
    OPTIMA["berlin52"]                 # 7542

Sources and how each value was checked: ``graphs/data/README.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aerena.graphs.common.registry import Registry
from aerena.graphs.cvrp.io import load_cvrplib
from aerena.graphs.tsp.io import load_tsplib

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

#: name -> (problem, optimal objective value)
BENCHMARKS: Registry = Registry("benchmark instance")
for _name, _opt in {
    "burma14": 3323,
    "ulysses16": 6859,
    "gr17": 2085,
    "ulysses22": 7013,
    "att48": 10628,
    "eil51": 426,
    "berlin52": 7542,
    "st70": 675,
    "eil76": 538,
    "kroA100": 21282,
    "pr107": 44303,
    "pcb442": 50778,
    "gr666": 294358,
}.items():
    BENCHMARKS.register(_name, ("tsp", float(_opt)))
for _name, _opt in {"E-n22-k4": 375, "A-n32-k5": 784}.items():
    BENCHMARKS.register(_name, ("cvrp", float(_opt)))

OPTIMA: dict[str, float] = {name: opt for name, (_, opt) in BENCHMARKS.items()}


def path(name: str) -> Path:
    """The instance file of benchmark `name`."""
    kind, _ = BENCHMARKS.get(name)
    return DATA_DIR / kind / (f"{name}.tsp" if kind == "tsp" else f"{name}.vrp")


def load(name: str) -> Any:
    """The instance of benchmark `name` (TSPLIB or CVRPLIB)."""
    kind, _ = BENCHMARKS.get(name)
    if kind == "tsp":
        return load_tsplib(path(name))
    return load_cvrplib(path(name))


def names(problem: str | None = None) -> list[str]:
    return [n for n, (k, _) in BENCHMARKS.items() if problem is None or k == problem]
