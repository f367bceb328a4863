"""CVRPLIB ``.vrp`` instances and ``.sol`` solutions (see :mod:`aerena.graphs.common.io`).

The depot becomes node 0 and the customers keep their file order as 1..n, which is the
CVRPLIB ``.sol`` numbering when the depot is node 1 of the file (as in sets A, B, E, P, X).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from aerena.graphs.common.io import (
    FormatError,
    atomic_write_text,
    coord_lines,
    header_lines,
    matrix_lines,
    number_text,
    parse_tsplib,
    read_cvrp_solution,
    tsplib_distances,
    write_cvrp_solution,
)
from aerena.graphs.cvrp.instance import CVRPInstance
from aerena.graphs.cvrp.objective import giant_of, routes_of

__all__ = ["load_cvrplib", "load_solution", "save_cvrplib", "save_solution"]


def load_cvrplib(path: str | os.PathLike[str], rounded: bool = True) -> CVRPInstance:
    """Read a one-depot CVRPLIB ``.vrp`` file. ``rounded=False`` turns ``EUC_2D`` into
    unrounded Euclidean distances (some papers do this for the X set)."""
    f = parse_tsplib(path)
    kind = f.spec.get("TYPE", "CVRP").upper()
    if kind != "CVRP":
        raise FormatError(f"{path}:{f.lines.get('TYPE')}: TYPE {kind} is not CVRP")
    n1 = f.dimension
    if "CAPACITY" not in f.spec:
        raise FormatError(f"{path}: missing CAPACITY")
    try:
        cap = float(f.spec["CAPACITY"])
    except ValueError:
        raise FormatError(f"{path}:{f.lines.get('CAPACITY')}: bad CAPACITY") from None
    if not rounded and f.spec.get("EDGE_WEIGHT_TYPE", "").upper() == "EUC_2D":
        f.spec["EDGE_WEIGHT_TYPE"] = "EUC"
    dist, coords, ewt = tsplib_distances(f, n1)
    depots = f.depots or [1]
    if len(depots) != 1:
        raise FormatError(f"{path}:{f.lines.get('DEPOT_SECTION')}: only one depot is supported")
    depot = depots[0]
    if not 1 <= depot <= n1:
        raise FormatError(f"{path}:{f.lines.get('DEPOT_SECTION')}: depot {depot} out of range")
    if sorted(f.demands) != list(range(1, n1 + 1)):
        raise FormatError(
            f"{path}:{f.lines.get('DEMAND_SECTION')}: DEMAND_SECTION must give nodes 1..{n1}"
        )
    order = [depot - 1] + [i for i in range(n1) if i != depot - 1]
    q = np.asarray([f.demands[i + 1] for i in order], dtype=np.float64)
    if q[0] != 0:
        raise FormatError(f"{path}: the depot has demand {q[0]:g}, expected 0")
    if np.any(q > cap):
        raise FormatError(f"{path}: a demand exceeds the capacity {cap:g}")
    dist = dist[np.ix_(order, order)]
    coords = coords[order] if coords is not None else None
    name = f.spec.get("NAME", Path(path).stem)
    m = re.search(r"-k(\d+)", name)
    return CVRPInstance(
        dist,
        q,
        cap,
        coords,
        name,
        ewt,
        f.spec.get("COMMENT", ""),
        int(m.group(1)) if m else None,
    )


def save_cvrplib(path: str | os.PathLike[str], instance: CVRPInstance) -> Path:
    """Write a ``.vrp`` file (depot as node 1). Unrounded ``EUC`` and ``EXPLICIT``
    instances are written as ``EXPLICIT FULL_MATRIX`` with ``DISPLAY_DATA_SECTION``."""
    ewt = instance.edge_weight_type.upper()
    explicit = ewt in ("EUC", "EXPLICIT") or instance.coords is None
    n1 = instance.n + 1
    lines = header_lines(
        [
            ("NAME", instance.name),
            ("COMMENT", instance.comment),
            ("TYPE", "CVRP"),
            ("DIMENSION", n1),
            ("EDGE_WEIGHT_TYPE", "EXPLICIT" if explicit else ewt),
            ("EDGE_WEIGHT_FORMAT", "FULL_MATRIX" if explicit else None),
            ("CAPACITY", number_text(instance.capacity)),
        ]
    )
    if explicit:
        lines.append("EDGE_WEIGHT_SECTION")
        lines += matrix_lines(instance.dist)
        if instance.coords is not None:
            lines.append("DISPLAY_DATA_SECTION")
            lines += coord_lines(instance.coords)
    else:
        lines.append("NODE_COORD_SECTION")
        lines += coord_lines(instance.coords)
    lines.append("DEMAND_SECTION")
    lines += [f"{i + 1} {number_text(q)}" for i, q in enumerate(instance.demand)]
    lines += ["DEPOT_SECTION", "1", "-1", "EOF", ""]
    return atomic_write_text(path, "\n".join(lines))


def load_solution(path: str | os.PathLike[str]) -> tuple[np.ndarray, float | None]:
    """``(giant tour, cost written in the file)`` of a CVRPLIB ``.sol`` file."""
    routes, cost = read_cvrp_solution(path)
    return giant_of(routes), cost


def save_solution(path: str | os.PathLike[str], giant: np.ndarray, cost: float) -> Path:
    return write_cvrp_solution(path, routes_of(giant), cost)
