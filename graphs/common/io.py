"""Files: atomic writes, TSPLIB95 / CVRPLIB parsing, tours and CVRP solutions, graph files.

Every reader raises :class:`FormatError` naming the file and line of the problem. Every
writer writes a temporary file in the target folder and moves it into place with
`os.replace` (:func:`aerena.files.atomic_write_text`), so a reader never sees half a file.

Formats
-------
* TSPLIB95 (G. Reinelt): ``.tsp`` with ``EDGE_WEIGHT_TYPE`` ``EUC_2D``, ``CEIL_2D``,
  ``ATT``, ``GEO`` or ``EXPLICIT`` (``FULL_MATRIX``, ``UPPER_ROW``, ``LOWER_ROW``,
  ``UPPER_DIAG_ROW``, ``LOWER_DIAG_ROW`` and the ``*_COL`` forms); ``.tour`` /
  ``.opt.tour`` (``TOUR_SECTION`` ending in ``-1``).
* CVRPLIB: ``.vrp`` (TSPLIB dialect with ``CAPACITY``, ``DEMAND_SECTION`` and a one-depot
  ``DEPOT_SECTION``) and ``.sol`` (``Route #k: c1 c2 ...`` lines, customers numbered 1..n
  in file order with the depot removed, then ``Cost X``).
* Graphs: edge list (``u v [w]``, 0-based, ``#`` comments, a ``# nodes N`` header keeps
  isolated nodes), DIMACS (``p edge N M`` then ``e u v [w]``, 1-based) and rudy / Gset
  (``N M`` then ``u v w``, 1-based; the MaxCut benchmark format).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aerena.errors import UserError
from aerena.files import atomic_write_text
from aerena.graphs.common.distances import FUNCTION_TYPES, distance_matrix
from aerena.graphs.common.graph import Graph


class FormatError(UserError, ValueError):
    """A file that does not parse; the message starts with ``path:line:``."""


def _err(path: Any, line: int | None, msg: str) -> FormatError:
    where = f"{path}:{line}" if line is not None else f"{path}"
    return FormatError(f"{where}: {msg}")


MAX_DIMENSION = 100_000  # nodes of a TSPLIB / CVRPLIB file (its n x n distances: 80 GB)
# nodes of a graph file (edge list, DIMACS, rudy): the solvers keep O(n + m) arrays and a
# few n-long float64 vectors, so 10^7 nodes is ~1 GB; a larger id or header is refused
# before anything of that size is allocated
MAX_GRAPH_NODES = 10_000_000


def _check_nodes(p: str, lineno: int | None, n: int) -> None:
    if not 0 <= n <= MAX_GRAPH_NODES:
        raise _err(p, lineno, f"{n:,} nodes: at most {MAX_GRAPH_NODES:,} in a graph file")


def _no_self_loop(p: str, lineno: int, u: int, v: int) -> None:
    """A self-loop has no meaning the solvers share (a vertex cover must take the node, a
    cut never counts it): refused rather than silently dropped."""
    if u == v:
        raise _err(p, lineno, f"self-loop on node {u} (not supported: remove the line)")


MAX_FILE_BYTES = 512 * 2**20  # instance and solution files; the largest benchmarks are ~10 MB


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of an instance or solution file (at most ``MAX_FILE_BYTES``, undecodable
    bytes replaced); a FormatError naming the file otherwise."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise _err(path, None, f"cannot read: {e.strerror or e}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _err(path, None, f"larger than {MAX_FILE_BYTES // 2**20} MiB; refused")
    if b"\0" in raw[:4096]:
        raise _err(path, None, "a binary file, not an instance or solution text file")
    return raw.decode("utf-8", errors="replace")


def number_text(x: float) -> str:
    """Shortest exact text of a float; integers without a decimal point."""
    xf = float(x)
    if xf.is_integer() and abs(xf) < 1e15:
        return str(int(xf))
    return repr(xf)


# =========================================================================== TSPLIB

SECTIONS = (
    "NODE_COORD_SECTION",
    "DEPOT_SECTION",
    "DEMAND_SECTION",
    "EDGE_DATA_SECTION",
    "FIXED_EDGES_SECTION",
    "DISPLAY_DATA_SECTION",
    "TOUR_SECTION",
    "EDGE_WEIGHT_SECTION",
)

EXPLICIT_FORMATS = (
    "FULL_MATRIX",
    "UPPER_ROW",
    "LOWER_ROW",
    "UPPER_DIAG_ROW",
    "LOWER_DIAG_ROW",
    "UPPER_COL",
    "LOWER_COL",
    "UPPER_DIAG_COL",
    "LOWER_DIAG_COL",
)


@dataclass
class TSPLIBFile:
    """The raw content of a TSPLIB-dialect file (``.tsp``, ``.vrp``, ``.tour``).

    Node ids are kept as written (1-based); the loaders below turn them into 0-based
    indices. `lines` maps each section name to the line where it starts (for messages).
    """

    path: str
    spec: dict[str, str] = field(default_factory=dict)
    node_ids: np.ndarray | None = None
    node_coords: np.ndarray | None = None
    display_ids: np.ndarray | None = None
    display_coords: np.ndarray | None = None
    edge_weights: np.ndarray | None = None
    demands: dict[int, float] = field(default_factory=dict)
    depots: list[int] = field(default_factory=list)
    tours: list[list[int]] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def dimension(self) -> int:
        if "DIMENSION" not in self.spec:
            raise _err(self.path, None, "missing DIMENSION")
        try:
            n = int(self.spec["DIMENSION"])
        except ValueError:
            n = 0
        if not 1 <= n <= MAX_DIMENSION:
            raise _err(
                self.path,
                self.lines.get("DIMENSION"),
                f"DIMENSION must be an integer in [1, {MAX_DIMENSION:,}]",
            )
        return n


def _is_keyword_line(tok: str) -> bool:
    return bool(tok) and (tok[0].isalpha() or tok[0] == "_")


def parse_tsplib(path: str | os.PathLike[str], text: str | None = None) -> TSPLIBFile:
    """Parse a TSPLIB-dialect file into a :class:`TSPLIBFile` (no interpretation yet)."""
    path_s = str(path)
    if text is None:
        text = read_text(path)
    out = TSPLIBFile(path=path_s)
    raw = text.splitlines()
    i = 0
    comments: list[str] = []

    def numbers(lineno: int, line: str) -> list[float]:
        try:
            return [float(t) for t in line.split()]
        except ValueError:
            raise _err(path_s, lineno, "expected numbers") from None

    while i < len(raw):
        line = raw[i].strip()
        lineno = i + 1
        i += 1
        if not line:
            continue
        if line == "EOF":
            break
        key, sep, value = line.partition(":")
        key = key.strip().upper()
        value = value.strip()
        if key in SECTIONS:
            if value:
                raise _err(path_s, lineno, f"unexpected text after {key}")
            out.lines[key] = lineno
            rows: list[tuple[int, list[float]]] = []
            while i < len(raw):
                nxt = raw[i].strip()
                if not nxt:
                    i += 1
                    continue
                if _is_keyword_line(nxt):
                    break
                rows.append((i + 1, numbers(i + 1, nxt)))
                i += 1
            _store_section(out, key, rows)
            continue
        if not sep:
            raise _err(path_s, lineno, "expected 'KEY : VALUE' or a section name")
        if not key.replace("_", "").isalnum():
            raise _err(path_s, lineno, "unknown keyword (expected a TSPLIB / CVRPLIB key)")
        out.lines[key] = lineno
        if key == "COMMENT":
            comments.append(value)
        else:
            out.spec[key] = value
    if comments:
        out.spec["COMMENT"] = " ".join(comments)
    return out


def _store_section(out: TSPLIBFile, key: str, rows: list[tuple[int, list[float]]]) -> None:
    path = out.path
    if key in ("NODE_COORD_SECTION", "DISPLAY_DATA_SECTION"):
        ids, coords = [], []
        width = None
        for lineno, nums in rows:
            if len(nums) not in (3, 4):
                raise _err(path, lineno, f"{key} lines are 'id x y [z]', got {len(nums)} numbers")
            if width is None:
                width = len(nums)
            elif len(nums) != width:
                raise _err(path, lineno, f"{key}: mixed 2D and 3D coordinates")
            if not float(nums[0]).is_integer():
                raise _err(path, lineno, f"node id {nums[0]} is not an integer")
            ids.append(int(nums[0]))
            coords.append(nums[1:])
        arr_ids = np.asarray(ids, dtype=np.int64)
        arr = np.asarray(coords, dtype=np.float64).reshape(len(ids), -1)
        if key == "NODE_COORD_SECTION":
            out.node_ids, out.node_coords = arr_ids, arr
        else:
            out.display_ids, out.display_coords = arr_ids, arr
    elif key == "EDGE_WEIGHT_SECTION":
        flat = [x for _, nums in rows for x in nums]
        out.edge_weights = np.asarray(flat, dtype=np.float64)
    elif key == "DEMAND_SECTION":
        for lineno, nums in rows:
            if len(nums) != 2:
                raise _err(path, lineno, "DEMAND_SECTION lines are 'id demand'")
            node = int(nums[0])
            if node in out.demands:
                raise _err(path, lineno, f"demand of node {node} given twice")
            out.demands[node] = nums[1]
    elif key == "DEPOT_SECTION":
        done = False
        for lineno, nums in rows:
            for x in nums:
                if done:
                    raise _err(path, lineno, "numbers after the -1 that ends DEPOT_SECTION")
                if x == -1:
                    done = True
                else:
                    out.depots.append(int(x))
    elif key == "TOUR_SECTION":
        tour: list[int] = []
        for lineno, nums in rows:
            for x in nums:
                if x == -1:
                    if tour:
                        out.tours.append(tour)
                    tour = []
                elif x < 1 or not float(x).is_integer():
                    raise _err(path, lineno, f"bad node id {x} in TOUR_SECTION")
                else:
                    tour.append(int(x))
        if tour:  # a final tour without its -1 terminator is accepted
            out.tours.append(tour)
    # EDGE_DATA_SECTION, FIXED_EDGES_SECTION: read and ignored


def _ordered_coords(
    f: TSPLIBFile, ids: np.ndarray, coords: np.ndarray, n: int, section: str
) -> np.ndarray:
    if ids.shape[0] != n:
        raise _err(
            f.path, f.lines.get(section), f"{section} has {ids.shape[0]} nodes, DIMENSION {n}"
        )
    if not np.array_equal(np.sort(ids), np.arange(1, n + 1)):
        raise _err(f.path, f.lines.get(section), f"{section} node ids are not 1..{n}")
    out = np.empty((n, coords.shape[1]), dtype=np.float64)
    out[ids - 1] = coords
    return out


def explicit_matrix(values: np.ndarray, n: int, fmt: str) -> np.ndarray:
    """Unpack an ``EDGE_WEIGHT_SECTION`` in TSPLIB format `fmt` into a symmetric ``[n, n]``
    matrix (``FULL_MATRIX`` is returned as given)."""
    fmt = fmt.upper()
    alias = {
        "UPPER_COL": "LOWER_ROW",
        "LOWER_COL": "UPPER_ROW",
        "UPPER_DIAG_COL": "LOWER_DIAG_ROW",
        "LOWER_DIAG_COL": "UPPER_DIAG_ROW",
    }
    fmt = alias.get(fmt, fmt)
    if fmt == "FULL_MATRIX":
        need = n * n
    elif fmt in ("UPPER_ROW", "LOWER_ROW"):
        need = n * (n - 1) // 2
    elif fmt in ("UPPER_DIAG_ROW", "LOWER_DIAG_ROW"):
        need = n * (n + 1) // 2
    else:
        raise ValueError("unsupported EDGE_WEIGHT_FORMAT")
    if values.shape[0] != need:
        raise ValueError(f"{fmt} for DIMENSION {n} needs {need} weights, found {values.shape[0]}")
    if fmt == "FULL_MATRIX":
        return values.reshape(n, n).copy()
    d = np.zeros((n, n), dtype=np.float64)
    if fmt == "UPPER_ROW":
        iu = np.triu_indices(n, k=1)
    elif fmt == "UPPER_DIAG_ROW":
        iu = np.triu_indices(n, k=0)
    elif fmt == "LOWER_ROW":
        iu = np.tril_indices(n, k=-1)
    else:
        iu = np.tril_indices(n, k=0)
    d[iu] = values
    d[iu[1], iu[0]] = values
    return d


def tsplib_distances(f: TSPLIBFile, n: int) -> tuple[np.ndarray, np.ndarray | None, str]:
    """``(dist [n, n], coords [n, 2] or None, edge_weight_type)`` of a parsed file."""
    ewt = f.spec.get("EDGE_WEIGHT_TYPE", "").upper()
    if not ewt:
        raise _err(f.path, None, "missing EDGE_WEIGHT_TYPE")
    coords = None
    if f.node_coords is not None:
        coords = _ordered_coords(f, f.node_ids, f.node_coords, n, "NODE_COORD_SECTION")
    elif f.display_coords is not None:
        coords = _ordered_coords(f, f.display_ids, f.display_coords, n, "DISPLAY_DATA_SECTION")
    if ewt == "EXPLICIT":
        if f.edge_weights is None:
            raise _err(f.path, None, "EDGE_WEIGHT_TYPE EXPLICIT without EDGE_WEIGHT_SECTION")
        fmt = f.spec.get("EDGE_WEIGHT_FORMAT", "").upper()
        if fmt not in EXPLICIT_FORMATS:
            raise _err(
                f.path,
                f.lines.get("EDGE_WEIGHT_FORMAT"),
                f"unsupported EDGE_WEIGHT_FORMAT (supported: {', '.join(EXPLICIT_FORMATS)})",
            )
        try:
            d = explicit_matrix(f.edge_weights, n, fmt)
        except ValueError as e:
            raise _err(f.path, f.lines.get("EDGE_WEIGHT_SECTION"), str(e)) from None
        if coords is not None and coords.shape[1] != 2:
            coords = None
        return d, coords, ewt
    if ewt not in FUNCTION_TYPES:
        raise _err(
            f.path,
            f.lines.get("EDGE_WEIGHT_TYPE"),
            f"unsupported EDGE_WEIGHT_TYPE (supported: {', '.join(FUNCTION_TYPES)}, EXPLICIT)",
        )
    if coords is None or f.node_coords is None:
        raise _err(f.path, None, f"EDGE_WEIGHT_TYPE {ewt} needs a NODE_COORD_SECTION")
    if coords.shape[1] != 2:
        raise _err(f.path, f.lines.get("NODE_COORD_SECTION"), f"{ewt} needs 2D coordinates")
    return distance_matrix(coords, ewt), coords, ewt


def header_lines(pairs: Iterable[tuple[str, Any]]) -> list[str]:
    """TSPLIB `KEY : value` lines of the pairs whose value is given."""
    return [f"{k} : {v}" for k, v in pairs if v is not None and v != ""]


def coord_lines(coords: np.ndarray, first_id: int = 1) -> list[str]:
    """`id x y` lines of a coordinate section, ids from `first_id`."""
    return [f"{i + first_id} {number_text(x)} {number_text(y)}" for i, (x, y) in enumerate(coords)]


def matrix_lines(d: np.ndarray) -> list[str]:
    """One line of numbers per matrix row (an explicit FULL_MATRIX section)."""
    return [" ".join(number_text(x) for x in row) for row in d]


# --------------------------------------------------------------------------- tours


def read_tour(path: str | os.PathLike[str], n: int | None = None) -> np.ndarray:
    """The first tour of a ``.tour`` / ``.opt.tour`` file as 0-based node indices."""
    f = parse_tsplib(path)
    if not f.tours:
        raise _err(f.path, None, "no TOUR_SECTION")
    tour = np.asarray(f.tours[0], dtype=np.int64) - 1
    dim = int(f.spec["DIMENSION"]) if "DIMENSION" in f.spec else tour.shape[0]
    n = dim if n is None else n
    if tour.shape[0] != n or not np.array_equal(np.sort(tour), np.arange(n)):
        raise _err(f.path, f.lines.get("TOUR_SECTION"), f"the tour is not a permutation of 1..{n}")
    return tour


def write_tour(
    path: str | os.PathLike[str],
    tour: np.ndarray,
    name: str = "tour",
    comment: str | None = None,
) -> Path:
    """Write a TSPLIB ``.tour`` file (0-based `tour` written 1-based, ending in -1)."""
    t = np.asarray(tour, dtype=np.int64)
    lines = header_lines(
        [("NAME", name), ("COMMENT", comment), ("TYPE", "TOUR"), ("DIMENSION", t.shape[0])]
    )
    lines.append("TOUR_SECTION")
    lines += [str(int(v) + 1) for v in t]
    lines += ["-1", "EOF", ""]
    return atomic_write_text(path, "\n".join(lines))


# --------------------------------------------------------------------------- CVRP .sol


def read_cvrp_solution(path: str | os.PathLike[str]) -> tuple[list[np.ndarray], float | None]:
    """``(routes, cost)`` of a CVRPLIB ``.sol`` file; customers 1..n, depot not written."""
    p = str(path)
    text = read_text(path)
    routes: list[np.ndarray] = []
    cost: float | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        low = s.lower()
        if low.startswith("route"):
            _, sep, rest = s.partition(":")
            if not sep:
                raise _err(p, lineno, "expected 'Route #k: c1 c2 ...'")
            try:
                r = np.asarray([int(t) for t in rest.split()], dtype=np.int64)
            except ValueError:
                raise _err(p, lineno, "bad customer number") from None
            if r.size and r.min() < 1:
                raise _err(p, lineno, "customers are numbered from 1 (the depot is implicit)")
            routes.append(r)
        elif low.startswith("cost"):
            try:
                cost = float(s.split()[1])
            except (IndexError, ValueError):
                raise _err(p, lineno, "bad cost line") from None
        else:
            raise _err(p, lineno, "expected a 'Route #k:' or 'Cost' line")
    return routes, cost


def write_cvrp_solution(
    path: str | os.PathLike[str], routes: Iterable[np.ndarray], cost: float
) -> Path:
    """Write a CVRPLIB ``.sol`` file (routes of customer indices 1..n, depot omitted)."""
    lines = []
    k = 0
    for r in routes:
        r = np.asarray(r, dtype=np.int64)
        if r.size == 0:
            continue
        k += 1
        lines.append(f"Route #{k}: " + " ".join(str(int(c)) for c in r))
    lines.append(f"Cost {number_text(cost)}")
    return atomic_write_text(path, "\n".join(lines) + "\n")


# =========================================================================== graphs


def read_edgelist(path: str | os.PathLike[str], n: int | None = None) -> Graph:
    """An edge list ``u v [w]`` (0-based; ``#``/``%`` comments; ``# nodes N`` header)."""
    p = str(path)
    text = read_text(path)
    rows: list[tuple[int, int, float]] = []
    header_n = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        if s[0] in "#%":
            toks = s[1:].split()
            if len(toks) >= 2 and toks[0] == "nodes":
                try:
                    header_n = int(toks[1])
                except ValueError:
                    raise _err(p, lineno, "bad node count") from None
                _check_nodes(p, lineno, header_n)
            continue
        toks = s.split()
        if len(toks) not in (2, 3):
            raise _err(p, lineno, "expected 'u v [w]'")
        try:
            u, v = int(toks[0]), int(toks[1])
            w = float(toks[2]) if len(toks) == 3 else 1.0
        except ValueError:
            raise _err(p, lineno, "expected 'u v [w]' numbers") from None
        if u < 0 or v < 0:
            raise _err(p, lineno, "node ids are 0-based and non-negative")
        _check_nodes(p, lineno, max(u, v) + 1)
        _no_self_loop(p, lineno, u, v)
        rows.append((u, v, w))
    size = max((max(u, v) + 1 for u, v, _ in rows), default=0)
    size = max(size, header_n or 0, n or 0)
    if n is not None and n < size:
        raise _err(p, None, f"node id {size - 1} out of range for n={n}")
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    return Graph.from_edges(size, arr[:, :2].astype(np.int64), arr[:, 2])


def write_edgelist(path: str | os.PathLike[str], graph: Graph, weights: bool = True) -> Path:
    lines = [f"# nodes {graph.n} edges {graph.m}"]
    for (u, v), w in zip(graph.edges, graph.weights, strict=True):
        lines.append(f"{u} {v} {number_text(w)}" if weights else f"{u} {v}")
    return atomic_write_text(path, "\n".join(lines) + "\n")


def read_dimacs(path: str | os.PathLike[str]) -> Graph:
    """DIMACS graph: ``c`` comments, ``p edge N M`` (any format word), ``e u v [w]`` 1-based."""
    p = str(path)
    text = read_text(path)
    n = None
    m_declared = None
    rows: list[tuple[int, int, float]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s[0] == "c":
            continue
        toks = s.split()
        if toks[0] == "p":
            if len(toks) != 4 or n is not None:
                raise _err(p, lineno, "expected one 'p FORMAT N M' line")
            try:
                n, m_declared = int(toks[2]), int(toks[3])
            except ValueError:
                raise _err(p, lineno, "bad problem line") from None
            _check_nodes(p, lineno, n)
        elif toks[0] in ("e", "a"):
            if n is None:
                raise _err(p, lineno, "edge before the 'p' line")
            if len(toks) not in (3, 4):
                raise _err(p, lineno, "expected 'e u v [w]'")
            try:
                u, v = int(toks[1]), int(toks[2])
                w = float(toks[3]) if len(toks) == 4 else 1.0
            except ValueError:
                raise _err(p, lineno, "bad edge line") from None
            if not (1 <= u <= n and 1 <= v <= n):
                raise _err(p, lineno, f"node out of range 1..{n}")
            _no_self_loop(p, lineno, u, v)
            rows.append((u - 1, v - 1, w))
        else:
            raise _err(p, lineno, "unknown line type (expected c, p or e)")
    if n is None:
        raise _err(p, None, "no 'p' line")
    if m_declared is not None and m_declared != len(rows):
        raise _err(p, None, f"'p' line declares {m_declared} edges, found {len(rows)}")
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    return Graph.from_edges(n, arr[:, :2].astype(np.int64), arr[:, 2])


def write_dimacs(
    path: str | os.PathLike[str], graph: Graph, weights: bool = False, comment: str = ""
) -> Path:
    lines = [f"c {c}" for c in comment.splitlines()]
    lines.append(f"p edge {graph.n} {graph.m}")
    for (u, v), w in zip(graph.edges, graph.weights, strict=True):
        lines.append(f"e {u + 1} {v + 1} {number_text(w)}" if weights else f"e {u + 1} {v + 1}")
    return atomic_write_text(path, "\n".join(lines) + "\n")


def read_rudy(path: str | os.PathLike[str]) -> Graph:
    """rudy / Gset MaxCut format: ``N M`` then M lines ``u v w`` (1-based)."""
    p = str(path)
    lines = read_text(path).splitlines()
    body = [(i + 1, s.split()) for i, s in enumerate(lines) if s.strip()]
    if not body:
        raise _err(p, None, "empty file")
    lineno, head = body[0]
    try:
        n, m = int(head[0]), int(head[1])
    except (ValueError, IndexError):
        raise _err(p, lineno, "first line must be 'N M'") from None
    _check_nodes(p, lineno, n)
    if len(body) - 1 != m:
        raise _err(p, None, f"header declares {m} edges, found {len(body) - 1}")
    rows = []
    for lineno, toks in body[1:]:
        try:
            u, v, w = int(toks[0]), int(toks[1]), float(toks[2]) if len(toks) > 2 else 1.0
        except (ValueError, IndexError):
            raise _err(p, lineno, "expected 'u v w'") from None
        if not (1 <= u <= n and 1 <= v <= n):
            raise _err(p, lineno, f"node out of range 1..{n}")
        _no_self_loop(p, lineno, u, v)
        rows.append((u - 1, v - 1, w))
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    return Graph.from_edges(n, arr[:, :2].astype(np.int64), arr[:, 2])


def write_rudy(path: str | os.PathLike[str], graph: Graph) -> Path:
    lines = [f"{graph.n} {graph.m}"]
    for (u, v), w in zip(graph.edges, graph.weights, strict=True):
        lines.append(f"{u + 1} {v + 1} {number_text(w)}")
    return atomic_write_text(path, "\n".join(lines) + "\n")
