"""Node policies decoded in one forward pass (or a few), for graphs of thousands of nodes.

The MVC and MaxCut nets score every node at once; :mod:`aerena.agents.solvers.envdecode`
still spends one forward pass per node chosen (seconds on a 1,000-node graph). Here:

* :func:`decode_rounds` -- each forward pass picks up to `per_round` nodes, the
  best-scored legal ones (MaxCut: only those scored above the stop action; the stop wins
  when it is the best), applied in score order and skipped if an earlier one of the round
  made them illegal. ``per_round=1`` is exactly the step-by-step greedy decode.
* :func:`mvc_one_pass` -- one forward pass on the start observation; nodes are taken in
  score order while they cover new edges until a share `edge_share` of the edges is
  covered (:func:`aerena.graphs.mvc.baselines.cover_in_order`), then the classical greedy
  completes the cover and drops redundant nodes (GCOMB's learned pruning, greedy finish).
  ``edge_share=1`` leaves the greedy only the pruning.
* :func:`maxcut_one_pass` -- one forward pass on the start observation; the nodes are
  placed in score order, each on the side cutting more weight to those already placed
  (``greedy``'s rule with the net's order instead of weighted degree:
  :func:`aerena.graphs.maxcut.baselines.place_in_order`), then the one-flip local search
  of ``localsearch`` polishes the cut (``polish=True``). (The start scores cannot be read
  as "S = nodes above the stop action": at the start every node scores above it; the
  shipped policy's sense of when to stop is sequential.)

Each returns ``(solution, info)`` with ``forwards`` and ``time_s``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from aerena.agents.solvers.base import GraphPolicyNet
from aerena.agents.solvers.envdecode import env_for_instance

EDGE_SHARE = 0.75


@torch.no_grad()
def _logits(net: GraphPolicyNet, obs: dict[str, np.ndarray]) -> np.ndarray:
    return net(*net.obs_tensors(obs))[0].numpy()


def _eval(net: GraphPolicyNet):
    was = net.training
    net.eval()
    return was


def decode_rounds(
    net: GraphPolicyNet, problem: str, instance: Any, per_round: int = 1
) -> tuple[np.ndarray, dict[str, Any]]:
    """Several nodes per forward pass on the problem's env (module docstring)."""
    if problem not in ("mvc", "maxcut"):
        raise ValueError(f"decode_rounds is for mvc and maxcut, not {problem!r}")
    if net.problem != problem:
        raise ValueError(f"net {type(net).__name__} solves {net.problem!r}, not {problem!r}")
    if per_round < 1:
        raise ValueError(f"per_round must be >= 1, got {per_round}")
    t0 = time.perf_counter()
    was = _eval(net)
    try:
        env = env_for_instance(problem, instance)
        obs, info = env.reset(options={"instance": instance})
        stop = env.N if problem == "maxcut" else None
        forwards, done = 0, False
        while not done:
            logits = _logits(net, obs)
            forwards += 1
            order = np.argsort(-logits, kind="stable")
            if stop is not None and order[0] == stop:
                obs, _, done, _, info = env.step(stop)
                break
            picks = [int(a) for a in order[:per_round] if obs["action_mask"][a]]
            if stop is not None:
                picks = [a for a in picks if a != stop and logits[a] > logits[stop]]
            for a in picks:
                if not info["action_mask"][a]:
                    continue  # an earlier pick of this round made it illegal
                obs, _, done, _, info = env.step(a)
                if done:
                    break
    finally:
        net.train(was)
    return np.asarray(info["solution"]), {"forwards": forwards, "time_s": time.perf_counter() - t0}


def mvc_one_pass(
    net: GraphPolicyNet, instance: Any, edge_share: float = EDGE_SHARE
) -> tuple[np.ndarray, dict[str, Any]]:
    """One forward pass, score-ordered start, greedy finish (module docstring)."""
    from aerena.graphs.mvc.baselines import cover_in_order, greedy_cover_from

    if not 0.0 <= edge_share <= 1.0:
        raise ValueError(f"edge_share must be in [0, 1], got {edge_share}")
    t0 = time.perf_counter()
    was = _eval(net)
    try:
        env = env_for_instance("mvc", instance)
        obs, _ = env.reset(options={"instance": instance})
        logits = _logits(net, obs)[: instance.n]
    finally:
        net.train(was)
    indptr, nbr, _ = instance.graph.csr()
    order = np.argsort(-logits, kind="stable").astype(np.int64)
    start = cover_in_order(indptr, nbr, order, float(edge_share))
    cover = greedy_cover_from(indptr, nbr, instance.node_weights, start)
    info = {"forwards": 1, "model_nodes": int(start.sum()), "time_s": time.perf_counter() - t0}
    return cover, info


def maxcut_one_pass(
    net: GraphPolicyNet, instance: Any, polish: bool = True
) -> tuple[np.ndarray, dict[str, Any]]:
    """One forward pass, nodes placed in score order, one-flip polish (module docstring)."""
    from aerena.graphs.maxcut.baselines import one_flip, place_in_order

    t0 = time.perf_counter()
    was = _eval(net)
    try:
        env = env_for_instance("maxcut", instance)
        obs, _ = env.reset(options={"instance": instance})
        logits = _logits(net, obs)[: instance.n]
    finally:
        net.train(was)
    indptr, nbr, w = instance.graph.csr()
    side = place_in_order(indptr, nbr, w, np.argsort(-logits, kind="stable").astype(np.int64))
    if polish:
        one_flip(indptr, nbr, w, side)
    return side, {"forwards": 1, "time_s": time.perf_counter() - t0}
