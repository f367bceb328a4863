"""GCOMB-style influence maximisation: a GNN scores every node once, the best candidates
are kept, and greedy max coverage of reverse-reachable sets picks the seeds among them.

    seeds_mask, info = solve_gcomb(net, instance)            # net: an IMNet

    python -m aerena.graphs.learned.im_gcomb --graphs 300 --epochs 25 \\
        --out graphs/models/im.pt

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

Training is supervised (GCOMB trains its pruner on greedy solutions the same way): on
small random graphs (50-300 nodes, the three probability models, BA / ER / WS), the
label of a graph is the seed set of greedy max coverage on 20,000 RR sets; the loss is the
cross-entropy of the net's softmax over the nodes against the uniform distribution on
those seeds (a listwise top-k ranking loss). Features are computed from a separate, smaller
RR sample (2,000-10,000 sets), as at inference.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

import numpy as np
import torch

from aerena.graphs import im
from aerena.graphs.im import kernels as K
from aerena.graphs.im.baselines import imm_rr_sets, rr_greedy_seeds
from aerena.graphs.im.env import arc_arrays, node_features
from aerena.graphs.im.instance import IMInstance
from aerena.graphs.im.objective import rr_sets
from aerena.graphs.learned.base import GraphPolicyNet, build_net, save_checkpoint

THETA = 10_000
ROUNDS = 3
FACTOR = 1.0
EPS = 0.5
LABEL_RR = 20_000


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


# ----------------------------------------------------------------------------- training


def training_graph(rng: np.random.Generator) -> IMInstance:
    """One random training instance (module docstring)."""
    n = int(rng.integers(50, 301))
    graph = str(rng.choice(["ba", "ba", "er", "ws"]))
    params: dict[str, Any] = {
        "ba": {"m": int(rng.integers(2, 6))},
        "er": {"p": float(rng.uniform(3.0, 8.0) / n)},
        "ws": {"k": int(rng.choice([4, 6])), "rewire": float(rng.uniform(0.05, 0.5))},
    }[graph]
    budget = int(rng.integers(5, 26))
    gen = str(rng.choice(["wc", "constant", "trivalency"]))
    if gen == "constant":
        params["prob"] = float(rng.choice([0.01, 0.05, 0.1]))
    seed = int(rng.integers(2**31))
    return im.generate(gen, seed=seed, num_nodes=n, budget=budget, graph=graph, **params)


def labelled(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(observation, greedy seeds to come) of one training graph: half the time the
    start, else after a random prefix of the greedy's seeds (the states of a decode in
    rounds)."""
    inst = training_graph(rng)
    s = int(rng.integers(2**31))
    order, _ = rr_greedy_seeds(inst, rr_sets(inst, LABEL_RR, s, stream=5))
    feats_rr = rr_sets(inst, int(rng.integers(2000, 10_001)), s, stream=6)
    t = int(rng.integers(1, len(order))) if rng.random() < 0.5 else 0
    chosen = np.zeros(inst.n, dtype=np.bool_)
    chosen[order[:t]] = True
    return observation(inst, uncovered(feats_rr, chosen), chosen), order[t:]


def train(
    graphs: int = 300, epochs: int = 25, lr: float = 2e-3, seed: int = 0,
    net_config: dict[str, Any] | None = None, log: Any = print,
) -> tuple[GraphPolicyNet, dict[str, Any]]:  # fmt: skip
    # ---- 1. data: labelled random graphs ----
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    data = [labelled(rng) for _ in range(graphs)]
    n_val = max(1, graphs // 10)
    val, fit = data[:n_val], data[n_val:]
    t_data = time.perf_counter() - t0
    # ---- 2. net and optimiser ----
    net = build_net("im", **(net_config or {"dim": 32, "layers": 3}))
    opt = torch.optim.Adam(net.parameters(), lr=lr)

    def loss_of(obs: dict[str, np.ndarray], label: np.ndarray) -> torch.Tensor:
        logits = net(*net.obs_tensors(obs))[0]
        return -torch.log_softmax(logits, dim=-1)[torch.as_tensor(label)].mean()

    def recall(batch) -> float:
        """Share of the label seeds among the top-(factor * k) scored nodes."""
        hits = []
        with torch.no_grad():
            for obs, label in batch:
                scores = net(*net.obs_tensors(obs))[0].numpy()
                c = math.ceil(FACTOR * len(label))
                top = set(np.argsort(-scores, kind="stable")[:c].tolist())
                hits.append(np.mean([v in top for v in label.tolist()]))
        return float(np.mean(hits))

    # ---- 3. loop ----
    history = []
    for epoch in range(epochs):
        net.train()
        total = 0.0
        for i in rng.permutation(len(fit)):
            loss = loss_of(*fit[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        net.eval()
        row = {"epoch": epoch, "loss": total / len(fit), "val_recall": recall(val),
               "time_s": time.perf_counter() - t0}  # fmt: skip
        history.append(row)
        log(row)
    meta = {
        "algorithm": "supervised listwise top-k (GCOMB-style pruner)",
        "graphs": graphs,
        "epochs": epochs,
        "label": f"greedy max coverage on {LABEL_RR} RR sets",
        "data_time_s": t_data,
        "train_time_s": time.perf_counter() - t0,
        "val_recall_top3k": history[-1]["val_recall"] if history else None,
        "device": "cpu",
        "threads": torch.get_num_threads(),
    }
    return net, meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--graphs", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if args.graphs < 2 or args.epochs < 1:
        ap.error("--graphs must be >= 2 and --epochs >= 1")
    torch.set_num_threads(1)
    net, meta = train(args.graphs, args.epochs, args.lr, args.seed,
                      {"dim": args.dim, "layers": args.layers})  # fmt: skip
    meta["command"] = "python -m aerena.graphs.learned.im_gcomb " + " ".join(sys.argv[1:])
    save_checkpoint(net, args.out, meta)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
