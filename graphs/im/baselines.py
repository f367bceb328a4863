"""IM baselines, chosen by name from :data:`BASELINES`.

==================  ======================================================================
name                method
==================  ======================================================================
``imm``             greedy max coverage of reverse-reachable sets, as many as IMM's
                    martingale bound asks for (Tang, Shi and Xiao 2015; `eps` 0.2, l = 1,
                    a (1 - 1/e - eps)-approximation w.p. 1 - 1/n^l), or a fixed `theta`
``celf``            CELF (Leskovec et al. 2007): lazy greedy on the Monte Carlo spread
                    over `sims` (1000) live-edge worlds of the solver stream
``greedy``          the plain greedy on the same worlds (Kempe et al. 2003): every
                    marginal gain every round; the same seeds as ``celf``, slower
``degreediscount``  degree discount (Chen, Wang and Yang 2009)
``degree``          the `budget` nodes of largest out-degree
==================  ======================================================================

Each takes ``(instance, *, seed=None, **options)`` and returns a bool mask ``[n]`` with
`budget` seeds. The worlds and RR sets come from `seed`'s solver streams
(:mod:`aerena.graphs.im.objective`), never the evaluation stream.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import aerena.graphs.im.kernels as K
from aerena.graphs.common.registry import InstanceTooLargeError, Registry
from aerena.graphs.im.instance import IMInstance
from aerena.graphs.im.objective import RR_STREAM, SOLVER_STREAM, rr_sets, stream_key

BASELINES: Registry = Registry("IM baseline")

MC_SIMS = 1000
MAX_WORLD_CELLS = 200_000_000  # sims x n booleans of the greedy's reach table
MAX_THETA = 4_000_000
IMM_EPS = 0.2


def _mask(n: int, seeds: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=np.bool_)
    out[np.asarray(seeds, dtype=np.int64)] = True
    return out


def mc_greedy_seeds(
    instance: IMInstance, *, seed: Any = None, sims: int = MC_SIMS, lazy: bool = True,
    candidates: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(seeds in order, marginal gains in nodes) of CELF (`lazy`) or the plain greedy."""
    if sims < 1:
        raise ValueError(f"sims must be >= 1, got {sims}")
    if sims * instance.n > MAX_WORLD_CELLS:
        raise InstanceTooLargeError(
            f"Monte Carlo greedy keeps sims x n = {sims * instance.n:,} reach flags "
            f"(limit {MAX_WORLD_CELLS:,}); use fewer sims or method 'imm'"
        )
    cand = np.ones(instance.n, dtype=np.bool_) if candidates is None else candidates
    order, gains = K.greedy_mc(instance.out_ptr, instance.heads, instance.prob,
                               instance.budget, int(sims), stream_key(seed, SOLVER_STREAM),
                               np.ascontiguousarray(cand, dtype=np.bool_), bool(lazy))  # fmt: skip
    return order, gains / float(sims)


def rr_greedy_seeds(
    instance: IMInstance, rr: tuple[np.ndarray, np.ndarray],
    candidates: np.ndarray | None = None, k: int | None = None,
) -> tuple[np.ndarray, int]:  # fmt: skip
    """(seeds in order, RR sets covered) of greedy max coverage of `rr`, the seeds drawn
    from `candidates` first and, if they run out, from every node."""
    n = instance.n
    k = instance.budget if k is None else int(k)
    chosen = np.zeros(n, dtype=np.bool_)
    ptr, nodes = rr
    if candidates is None:
        order, gains = K.rr_greedy(ptr, nodes, n, k, np.ones(n, dtype=np.bool_), chosen)
        return order, int(gains.sum())
    cand = np.ascontiguousarray(candidates, dtype=np.bool_)
    order, gains = K.rr_greedy(ptr, nodes, n, k, cand, chosen)
    if order.shape[0] < k:
        more, g2 = K.rr_greedy(ptr, nodes, n, k - order.shape[0], ~cand, chosen)
        order, gains = np.concatenate([order, more]), np.concatenate([gains, g2])
    return order, int(gains.sum())


def imm_theta(n: int, k: int, eps: float, lower_bound: float, ell: float = 1.0) -> int:
    """IMM's number of RR sets for spread lower bound `lower_bound` (its eq. 6)."""
    ell = ell * (1.0 + math.log(2.0) / math.log(max(n, 2)))
    log_cnk = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    alpha = math.sqrt(ell * math.log(max(n, 2)) + math.log(2.0))
    beta = math.sqrt((1 - 1 / math.e) * (log_cnk + ell * math.log(max(n, 2)) + math.log(2.0)))
    lam = 2.0 * n * ((1 - 1 / math.e) * alpha + beta) ** 2 / eps**2
    return int(min(MAX_THETA, math.ceil(lam / max(lower_bound, 1.0))))


def imm_rr_sets(
    instance: IMInstance, *, seed: Any = None, eps: float = IMM_EPS, ell: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """The RR sets IMM settles on: its sampling phase (a lower bound of the optimum by
    doubling guesses x = n / 2^i), then theta from :func:`imm_theta`."""
    if not 0.0 < eps < 1.0:
        raise ValueError(f"eps must be in (0, 1), got {eps}")
    n, k = instance.n, instance.budget
    l2 = ell * (1.0 + math.log(2.0) / math.log(max(n, 2)))
    log_cnk = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    eps2 = math.sqrt(2.0) * eps
    lam2 = ((2.0 + 2.0 * eps2 / 3.0) * (log_cnk + l2 * math.log(max(n, 2))
            + math.log(max(math.log2(max(n, 2)), 1.0))) * n / eps2**2)  # fmt: skip
    lower = 1.0
    for i in range(1, max(2, math.ceil(math.log2(max(n, 2))))):
        x = n / 2.0**i
        theta_i = int(min(MAX_THETA, math.ceil(lam2 / x)))
        rr = rr_sets(instance, theta_i, seed, RR_STREAM)
        _, covered = rr_greedy_seeds(instance, rr)
        est = n * covered / theta_i
        if est >= (1.0 + eps2) * x:
            lower = est / (1.0 + eps2)
            break
    return rr_sets(instance, imm_theta(n, k, eps, lower, ell), seed, RR_STREAM)


@BASELINES.register("imm", aliases=("rr",))
def imm(
    instance: IMInstance, *, seed: Any = None, eps: float = IMM_EPS, theta: int | None = None
) -> np.ndarray:
    if theta is not None:
        rr = rr_sets(instance, int(theta), seed, RR_STREAM)
    else:
        rr = imm_rr_sets(instance, seed=seed, eps=eps)
    return _mask(instance.n, rr_greedy_seeds(instance, rr)[0])


@BASELINES.register("celf")
def celf(instance: IMInstance, *, seed: Any = None, sims: int = MC_SIMS) -> np.ndarray:
    return _mask(instance.n, mc_greedy_seeds(instance, seed=seed, sims=sims, lazy=True)[0])


@BASELINES.register("greedy")
def greedy(instance: IMInstance, *, seed: Any = None, sims: int = MC_SIMS) -> np.ndarray:
    return _mask(instance.n, mc_greedy_seeds(instance, seed=seed, sims=sims, lazy=False)[0])


@BASELINES.register("degreediscount", aliases=("dd",))
def degreediscount(instance: IMInstance, *, seed: Any = None) -> np.ndarray:
    order = K.degree_discount(instance.out_ptr, instance.heads, instance.in_ptr,
                              instance.in_arcs, instance.prob, instance.budget)  # fmt: skip
    return _mask(instance.n, order)


@BASELINES.register("degree")
def degree(instance: IMInstance, *, seed: Any = None) -> np.ndarray:
    order = np.argsort(-instance.out_degrees(), kind="stable")[: instance.budget]
    return _mask(instance.n, order)


def solve(instance: IMInstance, name: str = "imm", **options: Any) -> np.ndarray:
    return BASELINES.get(name)(instance, **options)
