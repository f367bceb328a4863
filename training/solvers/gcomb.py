"""Supervised training of the GCOMB-style IM net (decoded by :mod:`aerena.agents.solvers.im_gcomb`).

It runs from ``aerena train-solver --config FILE.yaml`` with ``problem: im`` (algorithm
``gcomb``, its default; the schema: :mod:`aerena.training.solver_config`)::

    problem: im
    algorithm: gcomb
    iterations: 25            # epochs
    lr: 2.0e-3
    model: {dim: 32, layers: 3}
    gcomb: {graphs: 300}      # labelled random training graphs
    out: graphs/models/im.pt

(the shipped ``im.pt`` records the older ``python -m aerena.training.solvers.gcomb
--graphs 400 --epochs 40`` form of :func:`main`, kept so that command still runs).

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

from aerena.agents.solvers.base import GraphPolicyNet, build_net, save_checkpoint
from aerena.agents.solvers.im_gcomb import FACTOR, observation, uncovered
from aerena.graphs import im
from aerena.graphs.im.baselines import rr_greedy_seeds
from aerena.graphs.im.instance import IMInstance
from aerena.graphs.im.objective import rr_sets

LABEL_RR = 20_000


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
    meta["command"] = "python -m aerena.training.solvers.gcomb " + " ".join(sys.argv[1:])
    save_checkpoint(net, args.out, meta)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
