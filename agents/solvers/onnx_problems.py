"""The problems a graph policy is exported for: their envs, parity sizes and observations.

Per problem (routing: tsp, cvrp; node selection: mvc, maxcut, maxcover; WTA; IM): the env
id (:data:`ENV_IDS`), what an action means (:data:`ACTION_MEANING`), the env keywords of an
instance size (:func:`env_kwargs`), the default size and, for routing, the extra 100-node
latency size (:func:`report_sizes`). :func:`record_observations` steps real episodes of
the problem with the net's own sampled actions; :func:`torch_solve` is the closed-loop
torch reference. :mod:`aerena.agents.solvers.onnx` exports through these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from aerena.agents.solvers.base import GraphPolicyNet
from aerena.errors import UserError

PARITY_COUNT = 1024
#: instance sizes of the recorded parity observations (nodes, sets, weapons and targets)
PARITY_SIZES = (10, 20, 50)
ROUTING = ("tsp", "cvrp")

ENV_IDS = {
    "tsp": "aerena/TSP-v0",
    "cvrp": "aerena/CVRP-v0",
    "mvc": "aerena/MVC-v0",
    "maxcut": "aerena/MaxCut-v0",
    "maxcover": "aerena/MaxCover-v0",
    "wta": "aerena/WTA-v0",
    "im": "aerena/IM-v0",
}

ACTION_MEANING = {
    "tsp": "node index (the next node of the tour)",
    "cvrp": "node index (the next visit; 0 = depot)",
    "mvc": "node index (added to the cover)",
    "maxcut": "node index (moved into S); last = stop",
    "maxcover": "set index (chosen); last = stop",
    "wta": "target index (of the current weapon)",
    "im": "node index (the next seed)",
}

#: the problem's default instance size (latency report of non-routing problems)
DEFAULT_SIZE = {"tsp": 20, "cvrp": 20, "mvc": 20, "maxcut": 20, "maxcover": 20, "wta": 10,
                "im": 20}  # fmt: skip


# --------------------------------------------------------------------------------------
# Envs of a problem at a size
# --------------------------------------------------------------------------------------
def env_kwargs(problem: str, size: int) -> dict[str, Any]:
    """Constructor keywords of the problem's env for instances of `size` (nodes / sets /
    weapons and targets)."""
    n = int(size)
    if problem in ("tsp", "cvrp", "mvc", "maxcut"):
        return {"num_nodes": n}
    if problem == "im":
        return {"num_nodes": n, "rr_sets": 500, "generator_kwargs": {"budget": max(1, n // 4)}}
    if problem == "maxcover":
        return {"num_sets": n, "generator_kwargs": {"num_items": 2 * n}}
    if problem == "wta":
        return {"num_weapons": n, "num_targets": n}
    raise UserError(f"no env for problem {problem!r}; known: {sorted(ENV_IDS)}")


def make_env(problem: str, size: int, **kwargs: Any) -> Any:
    """The problem's Gymnasium env (unwrapped) for instances of `size`."""
    import importlib

    from aerena.graphs import ENV_IDS as ENTRY_POINTS

    if problem not in ENV_IDS:
        raise UserError(f"no env for problem {problem!r}; known: {sorted(ENV_IDS)}")
    mod, cls = ENTRY_POINTS[ENV_IDS[problem]].split(":")
    return getattr(importlib.import_module(mod), cls)(**{**env_kwargs(problem, size), **kwargs})


# --------------------------------------------------------------------------------------
# Observations from real episodes
# --------------------------------------------------------------------------------------
Group = dict[str, np.ndarray]  # obs key -> stacked observations of one size


def record_observations(
    net: GraphPolicyNet,
    *,
    count: int = PARITY_COUNT,
    sizes: Sequence[int] = PARITY_SIZES,
    seed: int = 0,
    envs: int = 8,
) -> dict[int, Group]:
    """size -> observations (stacked per obs key) of >= ceil(count / len(sizes)) steps of
    episodes on the net's problem, `envs` episodes stepped together with actions sampled
    from the net's own masked logits."""
    if count < 1:
        raise UserError(f"the parity observation count must be at least 1, got {count}")
    per = -(-count // len(sizes))
    g = torch.Generator().manual_seed(seed)
    out: dict[int, Group] = {}
    for si, size in enumerate(sizes):
        pool = [make_env(net.problem, size) for _ in range(envs)]
        next_seed = seed + 100_000 * si
        obs = []
        for env in pool:
            obs.append(env.reset(seed=next_seed)[0])
            next_seed += 1
        rows: list[dict[str, np.ndarray]] = []
        while len(rows) < per:
            rows.extend(obs)
            x = net.obs_tensors(obs)
            with torch.no_grad():
                probs = torch.softmax(net(*x).double(), dim=-1)
            acts = torch.multinomial(probs, 1, generator=g)[:, 0].tolist()
            for i, (env, a) in enumerate(zip(pool, acts, strict=True)):
                o, _, term, trunc, _ = env.step(a)
                if term or trunc:
                    o = env.reset(seed=next_seed)[0]
                    next_seed += 1
                obs[i] = o
        out[int(size)] = {k: np.stack([r[k] for r in rows[:per]]) for k in net.obs_keys}
    return out


# --------------------------------------------------------------------------------------
# Instance sizes (the latency report's)
# --------------------------------------------------------------------------------------
def trained_size(problem: str, meta: Mapping[str, Any] | None, name: str = "") -> int:
    """The instance size the net was trained on: from the checkpoint meta (`num_nodes`, `nodes`,
    `size`, ... also inside `env` / `env_kwargs`), else the digits after the problem name
    in the file name (`tsp20.pt`), else the problem's default size."""
    meta = dict(meta or {})
    keys = ("num_nodes", "nodes", "size", "num_sets", "num_weapons", "n")
    for d in (meta, meta.get("env") or {}, meta.get("env_kwargs") or {}):
        if isinstance(d, Mapping):
            for k in keys:
                if isinstance(d.get(k), int) and d[k] > 0:
                    return int(d[k])
    m = re.search(rf"{re.escape(problem)}[_-]?(\d+)", name)
    if m and int(m.group(1)) > 1:
        return int(m.group(1))
    return DEFAULT_SIZE.get(problem, 20)


def report_sizes(problem: str, size: int) -> list[int]:
    """Sizes of the latency report: routing nets also at 100 nodes."""
    return sorted({size, 100}) if problem in ROUTING else [size]


# --------------------------------------------------------------------------------------
# Greedy decoding in torch (the reference of the closed-loop test)
# --------------------------------------------------------------------------------------
def torch_solve(
    net: GraphPolicyNet, env: Any, instance: Any = None, seed: int | None = None
) -> tuple[float, np.ndarray]:
    """(objective, solution) of the torch net's greedy actions stepping `env`."""
    options = {"instance": instance} if instance is not None else None
    obs, _ = env.reset(seed=seed, options=options)
    while True:
        with torch.no_grad():
            a = int(net(*net.obs_tensors(obs)).argmax(dim=-1)[0])
        obs, _, term, trunc, info = env.step(a)
        if term or trunc:
            return float(info["objective"]), np.asarray(info["solution"])
