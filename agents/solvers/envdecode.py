"""Inference by stepping the problem's Gymnasium env with a learned policy net.

    value, solution, extras = solve_with_env(net, "mvc", instance, decode="greedy")
    value, solution, extras = solve_with_env(net, "mvc", instance, decode="sample",
                                             samples=16, seed=0)

The env (:mod:`aerena.graphs.<problem>.env`) is built just large enough for the instance
(:func:`env_for_instance`) and reset with ``options={"instance": instance}``. Each step the
net scores the observation (one forward call for all live envs, their observations
stacked) and the action is the argmax ("greedy") or a draw from the softmax of the masked
logits ("sample": `samples` rollouts of the same instance stepped together, seeded by
`seed`; the best by the problem's objective sense, :data:`OBJECTIVE_SENSE`, is returned).
The result is ``(info["objective"], info["solution"], extras)`` of the kept rollout, in the
problem's solution format; extras hold ``decode``, ``steps`` (of the kept rollout),
``rollouts``, ``objectives`` (all rollouts) and ``time_s``. Runs under ``torch.no_grad``
and leaves ``torch.get_num_threads()`` unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from aerena.agents.solvers.base import GraphPolicyNet
from aerena.errors import UserError
from aerena.graphs import SENSE

__all__ = ["DECODES", "OBJECTIVE_SENSE", "env_for_instance", "solve_with_env"]

#: "min" or "max" per problem (the problem registry's convention, :data:`aerena.graphs.SENSE`).
OBJECTIVE_SENSE: dict[str, str] = dict(SENSE)
DECODES = ("greedy", "sample")


def env_for_instance(problem: str, instance: Any, net: GraphPolicyNet | None = None) -> Any:
    """A fresh env of `problem` whose padded sizes fit `instance` exactly (TSP: with the
    distance matrix in the observation when `net` reads "dist")."""
    if problem == "tsp":
        from aerena.graphs.tsp.env import TSPEnv

        dist = net is not None and "dist" in net.obs_keys
        return TSPEnv(num_nodes=instance.n, max_nodes=max(2, instance.n), obs_distances=dist)
    if problem == "cvrp":
        from aerena.graphs.cvrp.env import CVRPEnv

        return CVRPEnv(num_nodes=instance.n, max_nodes=max(2, instance.n + 1))
    if problem == "mvc":
        from aerena.graphs.mvc.env import MVCEnv

        g = instance.graph
        return MVCEnv(num_nodes=g.n, max_nodes=g.n, max_edges=max(1, g.m))
    if problem == "maxcut":
        from aerena.graphs.maxcut.env import MaxCutEnv

        g = instance.graph
        return MaxCutEnv(num_nodes=g.n, max_nodes=g.n, max_edges=max(1, g.m))
    if problem == "maxcover":
        from aerena.graphs.maxcover.env import MaxCoverEnv

        return MaxCoverEnv(
            num_sets=instance.n_sets,
            max_sets=instance.n_sets,
            max_items=max(1, instance.n_items),
            max_edges=max(1, int(instance.set_items.shape[0])),
        )
    if problem == "im":
        from aerena.graphs.im.env import IMEnv

        return IMEnv(num_nodes=instance.n, max_nodes=instance.n, max_arcs=max(1, instance.m))
    if problem == "wta":
        from aerena.graphs.wta.env import WTAEnv

        return WTAEnv(num_weapons=instance.m, num_targets=instance.n)
    raise UserError(f"unknown problem {problem!r}; known: {sorted(OBJECTIVE_SENSE)}")


def _better(problem: str, a: float, b: float) -> bool:
    return a < b if OBJECTIVE_SENSE[problem] == "min" else a > b


@torch.no_grad()
def solve_with_env(
    net: GraphPolicyNet,
    problem: str,
    instance: Any,
    decode: str = "greedy",
    samples: int = 16,
    seed: int = 0,
) -> tuple[float, np.ndarray, dict[str, Any]]:
    """Decode `instance` with `net` on the problem's env (see the module docstring)."""
    if problem not in OBJECTIVE_SENSE:
        raise UserError(f"unknown problem {problem!r}; known: {sorted(OBJECTIVE_SENSE)}")
    if net.problem != problem:
        raise UserError(f"net {type(net).__name__} solves {net.problem!r}, not {problem!r}")
    if decode not in DECODES:
        raise UserError(f"decode must be one of {DECODES}, got {decode!r}")
    if decode == "sample" and int(samples) < 1:
        raise UserError(f"samples must be >= 1, got {samples}")
    t0 = time.perf_counter()
    k = 1 if decode == "greedy" else int(samples)
    gen = torch.Generator().manual_seed(int(seed))
    was_training = net.training
    net.eval()
    try:
        envs = [env_for_instance(problem, instance, net) for _ in range(k)]
        obs = [env.reset(seed=int(seed), options={"instance": instance})[0] for env in envs]
        live = list(range(k))
        steps = [0] * k
        results: list[tuple[float, np.ndarray] | None] = [None] * k
        while live:
            logits = net(*net.obs_tensors([obs[i] for i in live]))
            if decode == "greedy":
                actions = logits.argmax(-1)
            else:
                probs = torch.softmax(logits.to(torch.float64), dim=-1)
                actions = torch.multinomial(probs, 1, generator=gen).squeeze(-1)
            still = []
            for i, a in zip(live, actions.tolist(), strict=True):
                obs[i], _, terminated, truncated, info = envs[i].step(int(a))
                steps[i] += 1
                if terminated or truncated:
                    results[i] = (float(info["objective"]), np.asarray(info["solution"]))
                else:
                    still.append(i)
            live = still
    finally:
        net.train(was_training)
    best = 0
    for i in range(1, k):
        if _better(problem, results[i][0], results[best][0]):  # type: ignore[index]
            best = i
    value, solution = results[best]  # type: ignore[misc]
    extras = {
        "decode": decode,
        "steps": steps[best],
        "rollouts": k,
        "objectives": [r[0] for r in results],  # type: ignore[index]
        "time_s": time.perf_counter() - t0,
    }
    return value, solution, extras
