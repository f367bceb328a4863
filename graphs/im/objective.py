"""IM objective: the expected spread of the chosen seeds, estimated by Monte Carlo on a
fixed set of live-edge worlds (:mod:`aerena.graphs.im.kernels`), and validity (a 0/1
mask over the nodes with at most `budget` ones).

The estimate is deterministic: ``EVAL_SIMS`` worlds of the evaluation stream
(``stream_key(0, EVAL_STREAM)``). Solvers draw their own worlds and RR sets from other
streams (:data:`SOLVER_STREAM`, :data:`RR_STREAM`), so a method is never scored on the
samples it optimised.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import aerena.graphs.im.kernels as K
from aerena.graphs.common.registry import InvalidSolutionError
from aerena.graphs.im.instance import IMInstance

EVAL_SIMS = 10_000
EVAL_STREAM = 0
SOLVER_STREAM = 1
RR_STREAM = 2
ENV_RR_STREAM = 3


def stream_key(seed: Any, stream: int) -> np.uint64:
    """The splitmix64 key of random stream `stream` of `seed` (an int or None = 0)."""
    s = 0 if seed is None else int(seed)
    state = np.random.SeedSequence([s, int(stream)]).generate_state(1, np.uint64)
    return np.uint64(state[0])


def seeds_of(instance: IMInstance, solution: np.ndarray) -> np.ndarray:
    """The seed nodes of a valid 0/1 mask, int64 ascending."""
    return np.flatnonzero(_as_mask(instance, solution)).astype(np.int64)


def spread(
    instance: IMInstance, seeds: np.ndarray, sims: int = EVAL_SIMS, seed: Any = 0,
    stream: int = EVAL_STREAM,
) -> float:  # fmt: skip
    """Monte Carlo spread of the seed nodes `seeds` (indices) over `sims` worlds."""
    if sims < 1:
        raise ValueError(f"sims must be >= 1, got {sims}")
    s = np.ascontiguousarray(seeds, dtype=np.int64)
    total = K.mc_total(instance.out_ptr, instance.heads, instance.prob, s,
                       int(sims), stream_key(seed, stream))  # fmt: skip
    return float(total) / int(sims)


def rr_sets(instance: IMInstance, theta: int, seed: Any = 0, stream: int = RR_STREAM):
    """`theta` reverse-reachable sets ``(ptr, nodes)`` of `seed`'s stream `stream`."""
    if theta < 1:
        raise ValueError(f"theta must be >= 1, got {theta}")
    return K.rr_sets(instance.in_ptr, instance.in_arcs, instance.tails,
                     instance.prob, int(theta), stream_key(seed, stream))  # fmt: skip


def rr_spread(instance: IMInstance, rr: tuple[np.ndarray, np.ndarray], mask: np.ndarray) -> float:
    """The RR-set estimate n * (fraction of sets hit) of the spread of a 0/1 mask."""
    ptr, nodes = rr
    hits = K.rr_hits(ptr, nodes, np.ascontiguousarray(mask, dtype=np.bool_))
    return instance.n * hits / (ptr.shape[0] - 1)


def _as_mask(instance: IMInstance, solution: np.ndarray) -> np.ndarray:
    x = np.asarray(solution)
    if x.shape != (instance.n,):
        raise InvalidSolutionError(f"a seed set is a [{instance.n}] 0/1 mask, got {x.shape}")
    if not np.all((x == 0) | (x == 1)):
        raise InvalidSolutionError("a seed mask holds only 0 and 1")
    return np.ascontiguousarray(x, dtype=np.bool_)


def check_solution(instance: IMInstance, solution: np.ndarray) -> None:
    k = int(_as_mask(instance, solution).sum())
    if k > instance.budget:
        raise InvalidSolutionError(f"{k} seeds > budget {instance.budget}")


def objective(instance: IMInstance, solution: np.ndarray, sims: int = EVAL_SIMS) -> float:
    """Expected spread of the seed mask (to maximise; the evaluation estimate of the
    module docstring); checks the budget first."""
    check_solution(instance, solution)
    return spread(instance, seeds_of(instance, solution), sims)
