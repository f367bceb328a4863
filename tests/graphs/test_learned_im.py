"""The GCOMB-style IM decode (:mod:`aerena.agents.solvers.im_gcomb`): rounds of one-pass
scoring against a slow step-by-step reference, valid and reproducible seed sets, the
shipped model against CELF, the training recipe and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aerena.agents.solvers import im_gcomb as G
from aerena.agents.solvers.base import build_net, load_checkpoint
from aerena.agents.solvers.solve import MODELS_DIR
from aerena.cli import main
from aerena.graphs import im
from aerena.graphs.im.objective import rr_sets
from aerena.training.solvers import gcomb

torch.set_num_threads(1)


def _net(seed: int = 0):
    torch.manual_seed(seed)
    return build_net("im", dim=16, layers=2).eval()


def _reference_decode(net, inst, theta, rounds, seed):
    """Rounds of scoring written out with Python sets: every round rebuilds the
    observation from the uncovered RR sets and takes the best-scored unselected nodes."""
    ptr, nodes = rr_sets(inst, theta, seed)
    sets = [set(nodes[ptr[j] : ptr[j + 1]].tolist()) for j in range(theta)]
    chosen: list[int] = []
    for r in range(rounds):
        take = (inst.budget * (r + 1)) // rounds - len(chosen)
        left = [s for s in sets if not s & set(chosen)]
        rest = np.asarray([v for s in left for v in sorted(s)], dtype=np.int64)
        mask = np.zeros(inst.n, dtype=bool)
        mask[chosen] = True
        obs = G.observation(inst, rest, mask)
        with torch.no_grad():
            scores = net(*net.obs_tensors(obs))[0].numpy()
        ranked = [v for v in np.argsort(-scores, kind="stable").tolist() if v not in chosen]
        chosen += ranked[:take]
    return sorted(chosen)


@pytest.mark.parametrize("rounds", [1, 2, 6])
def test_rounds_match_the_reference(rounds):
    inst = im.generate("constant", seed=3, num_nodes=40, budget=6, prob=0.2)
    net = _net()
    mask, info = G.solve_gcomb(net, inst, theta=300, rounds=rounds, seed=2)
    assert np.flatnonzero(mask).tolist() == _reference_decode(net, inst, 300, rounds, 2)
    assert info["forwards"] == rounds and info["rr_sets"] == 300


def test_step_by_step_is_rounds_equal_budget():
    """One seed per forward pass: each pick is the argmax of the net's masked logits."""
    inst = im.generate("wc", seed=5, num_nodes=30, budget=4)
    net = _net(1)
    mask, _ = G.solve_gcomb(net, inst, theta=200, rounds=4, seed=0)
    rr = rr_sets(inst, 200, 0)
    chosen = np.zeros(inst.n, dtype=bool)
    for _ in range(4):
        logits = G.node_scores(net, inst, G.uncovered(rr, chosen), chosen)
        chosen[int(np.argmax(logits))] = True  # masked logits never pick a seed twice
    np.testing.assert_array_equal(mask, chosen)


def test_valid_reproducible_and_prune_greedy():
    inst = im.generate("trivalency", seed=1, num_nodes=80, budget=7)
    net = _net(2)
    a, _ = G.solve_gcomb(net, inst, seed=4)
    b, _ = G.solve_gcomb(net, inst, seed=4)
    np.testing.assert_array_equal(a, b)
    assert a.sum() == inst.budget
    im.check_solution(inst, a)
    c, _ = G.solve_gcomb(net, inst, theta=None, rounds=1, factor=2.0, seed=4)
    assert c.sum() == inst.budget


def test_shipped_model_is_close_to_celf():
    net, meta = load_checkpoint(MODELS_DIR / "im.pt")
    assert net.problem == "im" and "command" in meta
    inst = im.generate("wc", seed=10_001, num_nodes=400, budget=20)
    learned = im.objective(inst, G.solve_gcomb(net, inst)[0], sims=2000)
    celf = im.objective(inst, im.solve(inst, "celf", sims=300), sims=2000)
    assert learned >= 0.95 * celf


def test_cli_method_model(capsys):
    argv = ["solve", "im", "--generate", "n=120,seed=2,budget=6", "--method", "model", "--json"]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["method"].startswith("model:im.pt") and sum(d["solution"]) == 6


def test_training_recipe(tmp_path):
    net, meta = gcomb.train(
        graphs=4, epochs=1, net_config={"dim": 8, "layers": 1}, log=lambda r: None
    )
    assert net.problem == "im" and meta["epochs"] == 1 and meta["val_recall_top3k"] is not None
    out = tmp_path / "im.pt"
    assert gcomb.main(["--graphs", "3", "--epochs", "1", "--dim", "8", "--layers", "1",
                   "--out", str(out)]) == 0  # fmt: skip
    net2, meta2 = load_checkpoint(out)
    assert net2.problem == "im" and meta2["command"].startswith("python -m")


def test_bad_input():
    inst = im.generate("wc", seed=0, num_nodes=20, budget=3)
    net = _net()
    with pytest.raises(ValueError, match="factor"):
        G.solve_gcomb(net, inst, factor=0.5)
    with pytest.raises(ValueError, match="rounds"):
        G.solve_gcomb(net, inst, rounds=4)
    with pytest.raises(ValueError, match="IM net"):
        G.solve_gcomb(build_net("mvc", dim=8, layers=1), inst)
