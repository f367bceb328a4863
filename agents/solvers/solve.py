"""Solve an instance with a learned policy: the shipped models and the decoding modes.

    from aerena.agents.solvers.solve import solve_with_model
    sol, info = solve_with_model("tsp", instance, decode="aug8", polish=True)

Decoding (``decode``):

* ``greedy`` -- one solution, the most likely action at every step (the env's start:
  TSP tour from node 0, CVRP first customer chosen by the policy); for IM the GCOMB-style
  decode of :mod:`aerena.agents.solvers.im_gcomb` (every node scored at once, a third of
  the budget per forward pass);
* ``sample`` -- `samples` solutions sampled from the policy, the best kept;
* ``multistart`` -- (routing) POMO's greedy rollouts from every start node (TSP) or first
  customer (CVRP), the best kept; (node problems) the same as ``sample``;
* ``aug8`` -- (routing) multi-start on each of the 8 symmetries of the unit square;
* ``onepass`` -- (MVC, MaxCut) one forward pass scores every node, a classical greedy /
  local search finishes (:mod:`aerena.agents.solvers.onepass`).

``polish=True`` runs the classical local search on the result (TSP 2-opt then 2-opt +
Or-opt as ``aerena solve tsp --method ls``, CVRP the route local search of
``--method ls``). ``aug8`` is the default for routing, ``onepass`` for MVC and MaxCut,
``greedy`` for the other node problems.

Shipped models live in ``graphs/models`` (``SHIPPED``; the command that trained each is
in its metadata: ``aerena solve --model-info``). For routing the shipped model whose
training size is nearest the instance's is used; ``model=PATH`` picks a checkpoint.
"""

from __future__ import annotations

import math
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aerena.agents.solvers.base import GraphPolicyNet, load_checkpoint
from aerena.agents.solvers.routing import (
    CVRPAttentionNet,
    TSPAttentionNet,
    augment8,
    rollout_cvrp,
    rollout_tsp,
)
from aerena.errors import UserError
from aerena.graphs.common.envbase import scaled_coords

# the shipped checkpoints are package data of aerena.graphs (graphs/models/)
MODELS_DIR = Path(str(resources.files("aerena.graphs"))) / "models"
# problem -> {training size: file name}
SHIPPED: dict[str, dict[int, str]] = {
    "tsp": {20: "tsp20.pt", 50: "tsp50.pt", 100: "tsp100.pt"},
    "cvrp": {20: "cvrp20.pt", 100: "cvrp100.pt"},
    "mvc": {0: "mvc.pt"},
    "maxcut": {0: "maxcut.pt"},
    "maxcover": {0: "maxcover.pt"},
    "wta": {0: "wta.pt"},
    "im": {0: "im.pt"},
}
DECODES = ("greedy", "sample", "multistart", "aug8", "onepass")
ROUTING_DEFAULT = "aug8"
NODES_DEFAULT = "greedy"
ONEPASS = ("mvc", "maxcut")  # their default decode: one forward pass + classical finish

_CACHE: dict[Path, tuple[GraphPolicyNet, dict[str, Any]]] = {}


def shipped_path(problem: str, size: int) -> Path:
    """The shipped checkpoint for `problem` nearest in training size to `size`."""
    table = SHIPPED.get(problem)
    if not table:
        raise UserError(
            f"method 'model': no trained {problem} model is shipped; train one with "
            f"`python -m aerena.training.solvers.ppo {problem} --out {problem}.pt` and pass "
            "--model FILE"
        )
    best = min(table, key=lambda s: (abs(math.log(max(s, 1)) - math.log(max(size, 1))), s))
    return MODELS_DIR / table[best]


def load_model(
    problem: str, size: int, model: str | Path | None = None
) -> tuple[GraphPolicyNet, dict[str, Any], Path]:
    """(net, meta, path): `model` if given, else the shipped one for this size (cached)."""
    path = Path(model) if model is not None else shipped_path(problem, size)
    if path not in _CACHE:
        _CACHE[path] = load_checkpoint(path)
    net, meta = _CACHE[path]
    if net.problem != problem:
        raise UserError(f"{path}: a {net.problem} policy, not a {problem} one")
    return net, meta, path


# ----------------------------------------------------------------------------- routing


def _routing_inputs(problem: str, instance: Any) -> dict[str, torch.Tensor]:
    if instance.coords is None:
        raise UserError(
            f"the learned {problem} solver reads node coordinates; {instance.name!r} has "
            "only a distance matrix (use a classical method)"
        )
    n = instance.dist.shape[0]
    coords, _ = scaled_coords(np.asarray(instance.coords, dtype=np.float64), n)
    out = {"coords": torch.as_tensor(coords[None], dtype=torch.float32)}
    if problem == "cvrp":
        dem = np.asarray(instance.demand, dtype=np.float64) / float(instance.capacity)
        out["demand"] = torch.as_tensor(dem[None], dtype=torch.float32)
    return out


def routing_rollouts(
    net: TSPAttentionNet | CVRPAttentionNet,
    batch: dict[str, torch.Tensor],
    decode: str,
    *,
    samples: int = 64,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """All rollouts of a decoding mode for a batch of B instances (unit-square coords).

    Returns (actions [B, R, T], length [B, R]) over the R rollouts the mode makes; the
    caller keeps the shortest.
    """
    coords = batch["coords"]
    b, nn_, _ = coords.shape
    gen = torch.Generator().manual_seed(seed)
    tsp = isinstance(net, TSPAttentionNet)
    n_start = nn_ if tsp else nn_ - 1
    first = 0 if tsp else 1
    if decode == "greedy":
        starts: torch.Tensor | None = torch.zeros(b, 1, dtype=torch.long) if tsp else None
        sample, k = False, 1
    elif decode == "sample":
        starts = (torch.arange(samples) % n_start + first).expand(b, samples).contiguous()
        if tsp:  # sampled tours from node 0 (any start gives the same set of tours)
            starts = torch.zeros(b, samples, dtype=torch.long)
        sample, k = True, 1
    elif decode in ("multistart", "aug8"):
        starts = (torch.arange(n_start) + first).expand(b, n_start).contiguous()
        sample, k = False, (8 if decode == "aug8" else 1)
    else:
        raise UserError(f"unknown decode {decode!r} (known: {', '.join(DECODES)})")
    c = augment8(coords) if k == 8 else coords
    if starts is not None and k == 8:
        starts = starts.repeat(8, 1)
    with torch.no_grad():
        if tsp:
            assert starts is not None
            r = rollout_tsp(net, c, starts, sample=sample, generator=gen)
        else:
            dem = batch["demand"].repeat(k, 1)
            r = rollout_cvrp(net, c, dem, starts, sample=sample, generator=gen)
    acts = r.actions.reshape(k, b, *r.actions.shape[1:]).transpose(0, 1).flatten(1, 2)
    length = r.length.reshape(k, b, -1).transpose(0, 1).flatten(1, 2)
    return acts, length


def _tsp_tour(actions: np.ndarray) -> np.ndarray:
    from aerena.graphs.tsp.kernels import rotate_to

    return rotate_to(np.ascontiguousarray(actions, dtype=np.int64), 0)


def _cvrp_giant(actions: np.ndarray) -> np.ndarray:
    from aerena.graphs.cvrp.objective import giant_of, routes_of

    return giant_of(routes_of(np.concatenate([[0], np.asarray(actions, dtype=np.int64), [0]])))


def polish_solution(
    problem: str,
    instance: Any,
    solution: np.ndarray,
    *,
    seconds: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Classical local search from a learned solution: TSP 2-opt then 2-opt + Or-opt, and
    with `seconds` double-bridge ILS kicks from there for that long
    (:func:`aerena.graphs.tsp.baselines.polish`); CVRP route improvement."""
    if problem == "tsp":
        from aerena.graphs.tsp.baselines import polish

        return polish(instance, solution, seed=seed, seconds=seconds)
    if problem == "cvrp":
        from aerena.graphs.cvrp.baselines import improve as _improve

        return _improve(instance, np.ascontiguousarray(solution, dtype=np.int64))
    return solution


def _solve_routing(
    problem: str, net: Any, instance: Any, decode: str, samples: int, seed: int
) -> np.ndarray:
    from aerena import graphs

    mod = graphs.problem(problem)
    acts, length = routing_rollouts(
        net, _routing_inputs(problem, instance), decode, samples=samples, seed=seed
    )
    # rank by the scaled length, then score the few best exactly on the instance's metric
    order = torch.argsort(length[0])[: min(8, length.shape[1])].tolist()
    best, best_obj = None, math.inf
    for r in order:
        a = acts[0, r].numpy()
        sol = _tsp_tour(a) if problem == "tsp" else _cvrp_giant(a)
        obj = float(mod.objective(instance, sol))
        if obj < best_obj:
            best, best_obj = sol, obj
    assert best is not None
    return best


# ------------------------------------------------------------------------------- entry


def solve_with_model(
    problem: str,
    instance: Any,
    *,
    decode: str | None = None,
    samples: int = 64,
    polish: bool = False,
    polish_seconds: float | None = None,
    model: str | Path | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Solve `instance` with a learned policy; returns (solution, info).

    `polish_seconds` (TSP): after the local search, ILS kicks until that much wall time of
    the whole call has passed (the model's time counts).

    info: ``model`` (path), ``decode``, ``polish``, ``time_s`` and the model's training
    ``meta``.
    """
    t0 = time.perf_counter()
    size = _size(problem, instance)
    net, meta, path = load_model(problem, size, model)
    routing = problem in ("tsp", "cvrp")
    default = ROUTING_DEFAULT if routing else "onepass" if problem in ONEPASS else NODES_DEFAULT
    decode = decode or default
    if decode not in DECODES:
        raise UserError(f"unknown decode {decode!r} (known: {', '.join(DECODES)})")
    if decode == "onepass" and problem not in ONEPASS:
        raise UserError(f"decode 'onepass' is for {' and '.join(ONEPASS)}")
    if decode == "onepass":
        from aerena.agents.solvers import onepass

        if problem == "mvc":
            sol, _ = onepass.mvc_one_pass(net, instance)
        else:
            sol, _ = onepass.maxcut_one_pass(net, instance)
    elif routing:
        sol = _solve_routing(problem, net, instance, decode, samples, seed)
    elif problem == "im" and decode == "greedy":
        from aerena.agents.solvers.im_gcomb import solve_gcomb

        sol, _ = solve_gcomb(net, instance, seed=seed)
    else:
        if decode == "aug8":
            raise UserError("decode 'aug8' is for routing problems (tsp, cvrp)")
        from aerena.agents.solvers.envdecode import solve_with_env

        mode = "greedy" if decode == "greedy" else "sample"
        _, sol, _ = solve_with_env(net, problem, instance, decode=mode, samples=samples, seed=seed)
    if polish:
        left = None
        if polish_seconds is not None:
            left = max(0.0, float(polish_seconds) - (time.perf_counter() - t0))
        sol = polish_solution(problem, instance, sol, seconds=left, seed=seed)
    info = {
        "model": str(path),
        "decode": decode,
        "polish": polish,
        "time_s": time.perf_counter() - t0,
        "meta": meta,
    }
    return sol, info


def _size(problem: str, instance: Any) -> int:
    if problem in ("tsp", "cvrp"):
        return int(instance.n)
    for attr in ("n", "num_nodes", "num_sets", "num_weapons"):
        if hasattr(instance, attr):
            return int(getattr(instance, attr))
    return 0
