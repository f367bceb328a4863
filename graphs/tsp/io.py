"""TSPLIB95 ``.tsp`` files as :class:`TSPInstance` (see :mod:`aerena.graphs.common.io`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from aerena.graphs.common.io import (
    FormatError,
    atomic_write_text,
    coord_lines,
    header_lines,
    matrix_lines,
    parse_tsplib,
    read_tour,
    tsplib_distances,
    write_tour,
)
from aerena.graphs.tsp.instance import TSPInstance

__all__ = ["load_tsplib", "read_tour", "save_tsplib", "write_tour"]


def load_tsplib(path: str | os.PathLike[str]) -> TSPInstance:
    """Read a symmetric TSPLIB ``.tsp`` file."""
    f = parse_tsplib(path)
    kind = f.spec.get("TYPE", "TSP").upper()
    if kind != "TSP":
        raise FormatError(f"{path}:{f.lines.get('TYPE')}: TYPE {kind} is not TSP")
    n = f.dimension
    dist, coords, ewt = tsplib_distances(f, n)
    if not np.array_equal(dist, dist.T):
        raise FormatError(f"{path}: the distance matrix is not symmetric")
    name = f.spec.get("NAME", Path(path).stem)
    return TSPInstance(dist, coords, name, ewt, f.spec.get("COMMENT", ""))


def save_tsplib(path: str | os.PathLike[str], instance: TSPInstance) -> Path:
    """Write `instance` as TSPLIB. Function types keep their coordinates; unrounded
    ``EUC`` and ``EXPLICIT`` instances are written as ``EXPLICIT FULL_MATRIX`` (17
    significant digits, exact round trip) with coordinates in ``DISPLAY_DATA_SECTION``."""
    ewt = instance.edge_weight_type.upper()
    explicit = ewt in ("EUC", "EXPLICIT") or instance.coords is None
    lines = header_lines(
        [
            ("NAME", instance.name),
            ("TYPE", "TSP"),
            ("COMMENT", instance.comment),
            ("DIMENSION", instance.n),
            ("EDGE_WEIGHT_TYPE", "EXPLICIT" if explicit else ewt),
            ("EDGE_WEIGHT_FORMAT", "FULL_MATRIX" if explicit else None),
            (
                "DISPLAY_DATA_TYPE",
                "TWOD_DISPLAY" if explicit and instance.coords is not None else None,
            ),
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
    lines += ["EOF", ""]
    return atomic_write_text(path, "\n".join(lines))
