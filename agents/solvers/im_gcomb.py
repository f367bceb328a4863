"""GCOMB-style influence maximisation: a GNN scores every node once, the best candidates
are kept, and greedy max coverage of reverse-reachable sets picks the seeds among them.

    seeds_mask, info = solve_gcomb(net, instance)            # net: an IMNet

Decoding (Manchanda et al. 2020, "GCOMB", in its score-prune-then-greedy form):

1. draw `theta` RR sets (default 10,000; ``theta=None``: as many as IMM's bound asks for
   at ``eps``);
2. in each of `rounds` rounds (default 3) one forward pass of the net on the observation
   of ``aerena/IM-v0`` (the seeds so far selected and masked, the RR marginal gains
   counted over the RR sets they do not cover yet) scores every node at once; the round
   takes its share of the budget (``k / rounds`` seeds): the best-scored nodes when
   ``factor`` is 1 (default), else greedy max coverage of the uncovered RR sets among the
   ``ceil(factor * share)`` best-scored candidates. ``rounds=budget`` is step-by-step
   decoding (one seed per forward).

Training (supervised, on greedy RR-set seeds) is :mod:`aerena.training.solvers.gcomb`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from aerena.agents.solvers.base import GraphPolicyNet
from aerena.graphs.im import kernels as K
from aerena.graphs.im.baselines import imm_rr_sets
from aerena.graphs.im.env import arc_arrays, node_features
from aerena.graphs.im.instance import IMInstance
from aerena.graphs.im.objective import rr_sets

THETA = 10_000
ROUNDS = 3
FACTOR = 1.0
EPS = 0.5


def observation(
    instance: IMInstance, rr_nodes: np.ndarray, chosen: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The env's observation of `instance` (no padding) with seeds `chosen` (a mask;
    none: the start) and RR gains counted over `rr_nodes` (the nodes of the RR sets that
    no seed covers yet)."""
    n = instance.n
    chosen = np.zeros(n, dtype=np.bool_) if chosen is None else chosen
    ei, ew, em = arc_arrays(instance, max(1, instance.m))
    gain = np.bincount(rr_nodes, minlength=n)
    return {
        "node_features": node_features(instance, gain, n),
        "selected": chosen.astype(np.int8),
        "node_mask": np.ones(n, dtype=np.int8),
        "edge_index": ei,
        "edge_weight": ew,
        "edge_mask": em,
        "budget_left": np.array([1.0 - chosen.sum() / instance.budget], dtype=np.float32),
        "action_mask": (~chosen).astype(np.int8),
    }


@torch.no_grad()
def node_scores(
    net: GraphPolicyNet, instance: IMInstance, rr_nodes: np.ndarray,
    chosen: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """The net's masked logits [n] on :func:`observation` (one forward pass)."""
    was = net.training
    net.eval()
    try:
        return net(*net.obs_tensors(observation(instance, rr_nodes, chosen)))[0].numpy()
    finally:
        net.train(was)


def uncovered(rr: tuple[np.ndarray, np.ndarray], chosen: np.ndarray) -> np.ndarray:
    """The nodes of the RR sets that hold no node of `chosen` (a mask)."""
    ptr, nodes = rr
    owner = np.repeat(np.arange(ptr.shape[0] - 1), np.diff(ptr))
    hit = np.zeros(ptr.shape[0] - 1, dtype=np.bool_)
    hit[owner[chosen[nodes]]] = True
    return nodes[~hit[owner]]


def solve_gcomb(
    net: GraphPolicyNet, instance: IMInstance, *, theta: int | None = THETA,
    rounds: int = ROUNDS, factor: float = FACTOR, eps: float = EPS, seed: int = 0,
) -> tuple[np.ndarray, dict[str, Any]]:  # fmt: skip
    """Seed mask and info (``rr_sets``, ``forwards``, ``time_s``) of the module's decode."""
    if net.problem != "im":
        raise ValueError(f"solve_gcomb needs an IM net, got a {net.problem} one")
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    if not 1 <= rounds <= instance.budget:
        raise ValueError(f"rounds must be in [1, budget={instance.budget}], got {rounds}")
    t0 = time.perf_counter()
    if theta is None:
        rr = imm_rr_sets(instance, seed=seed, eps=eps)
    else:
        rr = rr_sets(instance, int(theta), seed)
    n, k = instance.n, instance.budget
    mask = np.zeros(n, dtype=np.bool_)
    for r in range(rounds):
        take = (k * (r + 1)) // rounds - int(mask.sum())
        scores = node_scores(net, instance, uncovered(rr, mask), mask)
        scores[mask] = -np.inf
        keep = np.zeros(n, dtype=np.bool_)
        keep[np.argsort(-scores, kind="stable")[: min(n, math.ceil(factor * take))]] = True
        if factor == 1.0:
            mask |= keep
        else:  # greedy max coverage of the uncovered RR sets among the candidates
            K.rr_greedy(rr[0], rr[1], n, take, keep, mask)
    info = {"rr_sets": int(rr[0].shape[0] - 1), "forwards": rounds,
            "time_s": time.perf_counter() - t0}  # fmt: skip
    return mask, info
