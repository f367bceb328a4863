"""Optional OR-Tools CP-SAT: imported lazily; solvers that need it say how to get it."""

from __future__ import annotations

import importlib.util
import warnings
from typing import Any

import numpy as np

from aerena.errors import UserError


class MissingDependencyError(UserError, ImportError):
    """An optional package is needed for this solver."""


def have_ortools() -> bool:
    return importlib.util.find_spec("ortools") is not None


def cp_model() -> Any:
    """The `ortools.sat.python.cp_model` module, or a clear error when not installed."""
    try:
        from ortools.sat.python import cp_model as cpm
    except ImportError:
        raise MissingDependencyError(
            "this solver needs OR-Tools CP-SAT: pip install ortools"
        ) from None
    return cpm


def solve(model: Any, *, time_limit: float = 30.0, seed: int = 0, workers: int = 1) -> Any:
    """Solve `model`; returns the solver. Warns when optimality was not proven."""
    cpm = cp_model()
    solver = cpm.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    status = solver.Solve(model)
    if status == cpm.OPTIMAL:
        return solver
    if status == cpm.FEASIBLE:
        warnings.warn(
            f"CP-SAT stopped after {time_limit:g} s without proving optimality; "
            "returning its best solution",
            RuntimeWarning,
            stacklevel=3,
        )
        return solver
    raise RuntimeError(f"CP-SAT found no solution (status {solver.StatusName(status)})")


def integer_weights(w: Any, scale: float = 1e6) -> tuple[Any, float]:
    """Integer coefficients for CP-SAT: `w` as is when integral, else ``round(w * s)``
    with ``s`` chosen so that the largest magnitude is about `scale`."""
    w = np.asarray(w, dtype=np.float64)
    if np.all(w == np.round(w)) and np.all(np.abs(w) < 2**40):
        return w.astype(np.int64), 1.0
    top = float(np.max(np.abs(w))) if w.size else 1.0
    s = scale / top if top > 0 else 1.0
    return np.round(w * s).astype(np.int64), s
