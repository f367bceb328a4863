"""POMO training of the routing attention nets: REINFORCE with a shared multi-start baseline.

The recipe of Kwon et al. (2020, "POMO: Policy Optimization with Multiple Optima"):

1. sample a batch of B uniform instances (the Kool et al. distribution: TSP nodes and
   CVRP depot + customers uniform in the unit square, CVRP demands uniform in 1..9 and
   the capacity 30 / 40 / 50 for 20 / 50 / 100 customers), scaled like the env scales them;
2. roll out P solutions per instance, solution p forced to start at node p (TSP) or to
   visit customer p first (CVRP), each sampled from the policy;
3. the baseline of a solution is the mean length of the P solutions of its instance::

       loss = -mean_{b,p} (mean_q L_bq - L_bp) * log pi(solution_bp)

Optionally (``augment=True``) each instance is also seen under its 8 unit-square
symmetries, which share one baseline (Sym-NCO / POMO-style augmentation in training).

:func:`pomo_loss` is the one loss; two drivers run it:

* :func:`train` -- a plain torch loop (CPU or GPU, no Ray, resumable), the one that
  trained the shipped models: ``engine: torch`` in a solver experiment;
* :mod:`aerena.training.solvers.pomo_rllib` -- the same loss as a custom RLlib
  Algorithm + Learner: ``engine: rllib`` (the default).

Both run from ``aerena train-solver --config FILE.yaml`` (the schema:
:mod:`aerena.training.solver_config`; the run folder: :mod:`aerena.training.solver_train`),
e.g. ``training/experiments/solvers/tsp20_pomo.yaml``::

    problem: tsp              # or cvrp
    algorithm: pomo
    engine: torch             # torch: this loop | rllib: pomo_rllib
    nodes: 20                 # TSP nodes / CVRP customers
    iterations: 2000          # updates; and/or minutes: 9 (engine torch); totals over resumes
    batch_size: 64            # instances per update
    lr: 1.0e-4
    model: {dim: 128, layers: 3, heads: 8}
    device: cuda              # engine torch: cpu | cuda | cuda:N
    validate_every: 100
    checkpoint_every: 100     # engine torch: resumable loop checkpoints

The shipped models' meta names the older ``python -m aerena.training.solvers.pomo tsp
--nodes 20 ...`` form of :func:`main` (kept so those commands still run).

Validation: greedy multi-start decoding of a fixed set of instances (numpy seed 4321)
after every `validate_every` steps; the checkpoint keeps the best validation length.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor

from aerena.agents.solvers.base import build_net, load_checkpoint, save_checkpoint
from aerena.agents.solvers.routing import (
    CVRPAttentionNet,
    TSPAttentionNet,
    augment8,
    rollout_cvrp,
    rollout_tsp,
)
from aerena.graphs.common.envbase import scaled_coords
from aerena.graphs.cvrp.generators import kool_capacity

ROUTING = ("tsp", "cvrp")
VALIDATION_SEED = 4321


def _unit_scale(coords: np.ndarray) -> np.ndarray:
    """[B, n, 2] -> each instance shifted and scaled into the unit square as the env does."""
    return np.stack([scaled_coords(c, c.shape[0])[0] for c in coords])


def sample_batch(
    problem: str, n: int, batch: int, rng: np.random.Generator, device: str | torch.device = "cpu"
) -> dict[str, Tensor]:
    """B random instances as tensors: TSP ``coords`` [B, n, 2]; CVRP ``coords``
    [B, n+1, 2] (depot first) and ``demand`` [B, n+1] as a fraction of the capacity."""
    if problem == "tsp":
        coords = _unit_scale(rng.random((batch, n, 2)))
        return {"coords": torch.as_tensor(coords, dtype=torch.float32, device=device)}
    if problem == "cvrp":
        coords = _unit_scale(rng.random((batch, n + 1, 2)))
        demand = np.zeros((batch, n + 1))
        demand[:, 1:] = rng.integers(1, 10, size=(batch, n)) / kool_capacity(n)
        return {
            "coords": torch.as_tensor(coords, dtype=torch.float32, device=device),
            "demand": torch.as_tensor(demand, dtype=torch.float32, device=device),
        }
    raise ValueError(f"POMO trains routing problems {ROUTING}, not {problem!r}")


def _starts(b: int, n: int, p: int, device: torch.device, offset: int = 0) -> Tensor:
    """[B, P] start nodes offset, offset+1, ... (mod n)."""
    return ((torch.arange(p, device=device) % n) + offset).expand(b, p).contiguous()


def multistart_rollout(
    net: TSPAttentionNet | CVRPAttentionNet,
    batch: dict[str, Tensor],
    *,
    pomo_size: int | None = None,
    sample: bool,
    augment: bool = False,
) -> tuple[Tensor, Tensor, Tensor]:
    """P rollouts per instance (times 8 with `augment`).

    Returns (log_prob [A, B, P], length [A, B, P], actions [A, B, P, T]) with A = 8 or 1.
    """
    coords = batch["coords"]
    b, n_nodes, _ = coords.shape
    dev = coords.device
    k = 8 if augment else 1
    c = augment8(coords) if augment else coords
    if isinstance(net, TSPAttentionNet):
        p = min(pomo_size or n_nodes, n_nodes)
        r = rollout_tsp(net, c, _starts(b * k, n_nodes, p, dev), sample=sample)
    else:
        n = n_nodes - 1
        p = min(pomo_size or n, n)
        demand = batch["demand"].repeat(k, 1) if augment else batch["demand"]
        r = rollout_cvrp(net, c, demand, _starts(b * k, n, p, dev, offset=1), sample=sample)
    shape = (k, b, p)
    return r.log_prob.reshape(shape), r.length.reshape(shape), r.actions.reshape(*shape, -1)


def reinforce_loss(log_prob: Tensor, length: Tensor) -> tuple[Tensor, dict[str, float]]:
    """POMO's REINFORCE loss from rollouts [A, B, P] (A = 8 symmetric copies or 1): each
    solution's baseline is the mean length over its instance's P starts (and A copies)."""
    dims = (0, 2) if length.shape[0] > 1 else (2,)
    advantage = (length.mean(dim=dims, keepdim=True) - length).detach()
    loss = -(advantage * log_prob).mean()
    metrics = {
        "loss": float(loss.detach()),
        "length_mean": float(length.mean().detach()),
        "length_best": float(length.amin(dim=(0, 2)).mean().detach()),
        "log_prob_mean": float(log_prob.mean().detach()),
    }
    return loss, metrics


def pomo_loss(
    net: TSPAttentionNet | CVRPAttentionNet,
    batch: dict[str, Tensor],
    *,
    pomo_size: int | None = None,
    augment: bool = False,
) -> tuple[Tensor, dict[str, float]]:
    """The POMO loss of a batch of instances and its metrics (see the module docstring)."""
    log_prob, length, _ = multistart_rollout(
        net, batch, pomo_size=pomo_size, sample=True, augment=augment
    )
    return reinforce_loss(log_prob, length)


@torch.no_grad()
def validate(net: TSPAttentionNet | CVRPAttentionNet, batch: dict[str, Tensor]) -> float:
    """Mean best-of-P greedy multi-start length on a validation batch (no augmentation)."""
    was = net.training
    net.eval()
    _, length, _ = multistart_rollout(net, batch, sample=False)
    net.train(was)
    return float(length[0].amin(dim=1).mean())


def train(
    problem: str,
    nodes: int,
    *,
    minutes: float | None = None,
    steps: int | None = None,
    batch_size: int = 64,
    lr: float = 1e-4,
    weight_decay: float = 1e-6,
    augment: bool = False,
    net_config: dict[str, Any] | None = None,
    seed: int = 0,
    device: str = "cpu",
    validation_size: int = 256,
    validate_every: int = 100,
    out: str | Path | None = None,
    init: str | Path | None = None,
    command: str = "",
    log: Callable[[dict[str, Any]], None] | None = None,
    resume: TrainState | None = None,
    on_state: Callable[[TrainState], None] | None = None,
    state_every: int = 0,
) -> tuple[TSPAttentionNet | CVRPAttentionNet, list[dict[str, Any]]]:
    """Train a routing net with POMO for `minutes` of wall time or `steps` updates.

    Saves the best net (by validation length) to `out` whenever it improves. Returns the
    best net (on the CPU, eval mode) and the validation history. Resuming: `on_state` gets
    the loop's :class:`TrainState` every `state_every` updates and at the end; a run given
    one as `resume` continues from it exactly (`steps` and `minutes` are totals).
    """
    if minutes is None and steps is None:
        raise ValueError("give minutes or steps")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    dev = torch.device(device)
    if init is not None:  # continue from a checkpoint (its config wins over net_config)
        net, init_meta = load_checkpoint(init)
        net.train()
        net = net.to(dev)
    else:
        net, init_meta = build_net(problem, **(net_config or {})).to(dev), {}
    prior_steps = int(init_meta.get("steps", 0))
    prior_instances = int(init_meta.get("instances", 0))
    prior_time = float(init_meta.get("train_time_s", 0.0))
    assert isinstance(net, (TSPAttentionNet, CVRPAttentionNet))
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    val = sample_batch(problem, nodes, validation_size, np.random.default_rng(VALIDATION_SEED), dev)
    history: list[dict[str, Any]] = []
    best = float(init_meta.get("validation_length", math.inf))
    best_state: dict[str, Tensor] | None = None
    if init is not None:  # a continued run only replaces the checkpoint when it improves
        best_state = {k: t.detach().cpu().clone() for k, t in net.state_dict().items()}
    saved = False
    t0 = time.perf_counter()
    step = 0
    instances = 0
    window: list[dict[str, float]] = []
    if resume is not None:
        step, instances, best, saved, best_state, history, window = restore_state(
            resume, net, opt, rng, dev
        )
        t0 -= resume.time_s
    while True:
        elapsed = time.perf_counter() - t0
        if (steps is not None and step >= steps) or (
            minutes is not None and elapsed >= 60 * minutes
        ):
            break
        batch = sample_batch(problem, nodes, batch_size, rng, dev)
        loss, metrics = pomo_loss(net, batch, augment=augment)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        instances += batch_size
        window.append(metrics)
        if step % validate_every == 0:
            v = validate(net, val)
            row = {
                "step": step,
                "instances": instances,
                "time_s": round(time.perf_counter() - t0, 1),
                "train_length": float(np.mean([m["length_mean"] for m in window])),
                "val_length": v,
            }
            window.clear()
            history.append(row)
            if log:
                log(row)
            if v < best:
                best = v
                best_state = {k: t.detach().cpu().clone() for k, t in net.state_dict().items()}
                if out is not None:
                    _save(
                        net,
                        best_state,
                        out,
                        problem,
                        nodes,
                        prior_steps + step,
                        prior_instances + instances,
                        t0 - prior_time,
                        best,
                        command if not init else f"{init_meta.get('command', '')}; then {command}",
                    )
                    saved = True
        if on_state is not None and state_every and step % state_every == 0:
            on_state(TrainState.of(step, instances, time.perf_counter() - t0, best, saved,
                                   net, opt, rng, best_state, history, window))  # fmt: skip
    if on_state is not None and step > (resume.step if resume is not None else 0):
        if not (state_every and step % state_every == 0):
            on_state(TrainState.of(step, instances, time.perf_counter() - t0, best, saved,
                                   net, opt, rng, best_state, history, window))  # fmt: skip
    net = net.cpu()
    if best_state is not None:
        net.load_state_dict(best_state)
        if out is not None and not saved and init is not None:
            save_checkpoint(net, out, init_meta)
    elif out is not None:
        state = {k: t.detach().clone() for k, t in net.state_dict().items()}
        _save(net, state, out, problem, nodes, step, instances, t0, math.nan, command)
    net.eval()
    return net, history


# --------------------------------------------------------------------------------------
# Resuming: the whole state of the loop of `train` (a hook for aerena train-solver --resume)
# --------------------------------------------------------------------------------------
class TrainState(NamedTuple):
    """Everything `train` needs to continue a run exactly: counters, the best validation
    so far, net and optimiser states, the numpy and torch generators; plain data that
    ``torch.save`` / ``torch.load(weights_only=True)`` round-trip."""

    step: int
    instances: int
    time_s: float
    best: float
    saved: bool
    net: dict[str, Tensor]
    optimizer: dict[str, Any]
    rng: dict[str, Any]
    torch_rng: Tensor
    cuda_rng: Tensor | None
    best_state: dict[str, Tensor] | None
    history: list[dict[str, Any]]
    window: list[dict[str, float]]

    @classmethod
    def of(cls, step: int, instances: int, time_s: float, best: float, saved: bool,
           net: Any, opt: Any, rng: np.random.Generator, best_state: Any,
           history: list, window: list) -> TrainState:  # fmt: skip
        cpu = {k: t.detach().cpu().clone() for k, t in net.state_dict().items()}
        dev = next(net.parameters()).device
        cuda = torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None
        return cls(step, instances, float(time_s), float(best), saved, cpu,
                   _cpu(opt.state_dict()), rng.bit_generator.state, torch.get_rng_state(),
                   cuda, best_state, [dict(r) for r in history],
                   [dict(m) for m in window])  # fmt: skip


def restore_state(
    state: TrainState, net: Any, opt: Any, rng: np.random.Generator, dev: torch.device
) -> tuple[int, int, float, bool, dict[str, Tensor] | None, list, list]:
    """Load `state` into the net, optimiser and generators; the loop's other variables."""
    net.load_state_dict(state.net)
    opt.load_state_dict(state.optimizer)
    rng.bit_generator.state = state.rng
    torch.set_rng_state(state.torch_rng)
    if state.cuda_rng is not None and dev.type == "cuda":
        torch.cuda.set_rng_state(state.cuda_rng, dev)
    history, window = list(state.history), list(state.window)
    return state.step, state.instances, state.best, state.saved, state.best_state, history, window


def _cpu(obj: Any) -> Any:
    """A copy of nested optimiser state with every tensor on the CPU."""
    if isinstance(obj, Tensor):
        return obj.detach().cpu().clone()
    if isinstance(obj, dict):
        return {k: _cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_cpu(v) for v in obj]
    return obj


def _save(
    net: Any,
    state: dict[str, Tensor],
    out: str | Path,
    problem: str,
    nodes: int,
    step: int,
    instances: int,
    t0: float,
    val: float,
    command: str,
) -> None:
    cpu = build_net(problem, **net.config)
    cpu.load_state_dict(state)
    meta = {
        "problem": problem,
        "nodes": nodes,
        "algorithm": "pomo",
        "steps": step,
        "instances": instances,
        "train_time_s": round(time.perf_counter() - t0, 1),
        "validation_length": val,
        "validation": f"{VALIDATION_SEED=} greedy multi-start",
        "command": command,
        "torch": str(torch.__version__),
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
    }
    save_checkpoint(cpu, out, meta)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("problem", choices=ROUTING)
    p.add_argument("--nodes", type=int, default=20, help="TSP nodes / CVRP customers")
    p.add_argument("--minutes", type=float, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--augment", action="store_true", help="train on the 8 symmetries too")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--validate-every", type=int, default=100)
    p.add_argument("--out", default=None)
    p.add_argument("--init", default=None, help="continue training this checkpoint")
    p.add_argument("--history", default=None, help="write the validation history (JSON)")
    args = p.parse_args(argv)
    import sys

    command = "python -m aerena.training.solvers.pomo " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    net, history = train(
        args.problem,
        args.nodes,
        minutes=args.minutes,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        augment=args.augment,
        net_config={
            "dim": args.dim,
            "layers": args.layers,
            "heads": args.heads,
            "ff": 4 * args.dim,
        },
        seed=args.seed,
        device=args.device,
        validate_every=args.validate_every,
        out=args.out,
        init=args.init,
        command=command,
        log=lambda row: print(json.dumps(row), flush=True),
    )
    if args.history:
        Path(args.history).write_text(json.dumps(history, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
