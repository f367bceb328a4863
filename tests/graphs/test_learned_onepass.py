"""One-pass decoding of the MVC and MaxCut node policies (:mod:`aerena.agents.solvers.onepass`):
several nodes per forward pass equals the step-by-step decode at one node per pass, the
one-pass starts against slow references, valid solutions and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aerena import graphs
from aerena.agents.solvers import onepass as O
from aerena.agents.solvers.base import build_net
from aerena.agents.solvers.envdecode import env_for_instance, solve_with_env
from aerena.agents.solvers.solve import MODELS_DIR, load_model, solve_with_model
from aerena.graphs.maxcut import baselines as CB
from aerena.graphs.mvc import baselines as VB

torch.set_num_threads(1)


def _net(problem: str, seed: int = 0):
    torch.manual_seed(seed)
    return build_net(problem, dim=16, layers=2).eval()


def _inst(problem: str, seed: int, n: int = 30):
    return graphs.problem(problem).generate("ba", seed=seed, num_nodes=n, m=3)


@pytest.mark.parametrize("problem", ["mvc", "maxcut"])
@pytest.mark.parametrize("shipped", [False, True])
def test_one_node_per_round_is_the_step_by_step_decode(problem, shipped):
    net = load_model(problem, 0)[0] if shipped else _net(problem)
    for seed in range(3):
        inst = _inst(problem, seed)
        _, want, extras = solve_with_env(net, problem, inst, decode="greedy")
        got, info = O.decode_rounds(net, problem, inst, per_round=1)
        np.testing.assert_array_equal(got, want)
        assert info["forwards"] == extras["steps"]


@pytest.mark.parametrize("problem", ["mvc", "maxcut"])
def test_several_per_round_are_valid_and_use_fewer_passes(problem):
    mod = graphs.problem(problem)
    net = load_model(problem, 0)[0]
    inst = _inst(problem, 4, n=60)
    _, _, extras = solve_with_env(net, problem, inst, decode="greedy")
    sol, info = O.decode_rounds(net, problem, inst, per_round=5)
    mod.check_solution(inst, sol)
    assert info["forwards"] < extras["steps"] or extras["steps"] == 1


def _scores(net, problem, inst):
    env = env_for_instance(problem, inst)
    obs, _ = env.reset(options={"instance": inst})
    with torch.no_grad():
        return net(*net.obs_tensors(obs))[0].numpy()[: inst.n]


def test_mvc_one_pass_against_references():
    net = _net("mvc", 3)
    inst = _inst("mvc", 5, n=50)
    indptr, nbr, _ = inst.graph.csr()
    w = inst.node_weights
    # no model share: exactly the classical greedy
    none, info = O.mvc_one_pass(net, inst, edge_share=0.0)
    np.testing.assert_array_equal(none, graphs.solve("mvc", inst, "greedy"))
    assert info["model_nodes"] == 0 and info["forwards"] == 1
    # the score-ordered start, in slow Python
    order = np.argsort(-_scores(net, "mvc", inst), kind="stable")
    edges = [tuple(e) for e in inst.graph.edges.tolist()]
    for share in (0.4, 1.0):
        chosen: set[int] = set()
        covered = 0
        for v in order.tolist():
            if covered >= share * len(edges):
                break
            new = sum(1 for a, b in edges if v in (a, b) and a not in chosen and b not in chosen)
            if new:
                chosen.add(v)
                covered += new
        start = np.zeros(inst.n, dtype=bool)
        start[list(chosen)] = True
        np.testing.assert_array_equal(VB.cover_in_order(indptr, nbr, order, share), start)
        cover, info = O.mvc_one_pass(net, inst, edge_share=share)
        graphs.problem("mvc").check_solution(inst, cover)
        assert info["model_nodes"] == len(chosen)
        # the finish only adds nodes, then drops redundant ones
        np.testing.assert_array_equal(cover, VB.greedy_cover_from(indptr, nbr, w, start))


def test_maxcut_one_pass_against_references():
    net = _net("maxcut", 1)
    inst = _inst("maxcut", 2, n=40)
    indptr, nbr, w = inst.graph.csr()
    # greedy's rule is place_in_order with the weighted-degree order
    wdeg = np.asarray([np.abs(w[indptr[v] : indptr[v + 1]]).sum() for v in range(inst.n)])
    np.testing.assert_array_equal(
        CB.place_in_order(indptr, nbr, w, np.argsort(-wdeg, kind="mergesort")),
        graphs.solve("maxcut", inst, "greedy"),
    )
    raw, _ = O.maxcut_one_pass(net, inst, polish=False)
    order = np.argsort(-_scores(net, "maxcut", inst), kind="stable")
    np.testing.assert_array_equal(raw, CB.place_in_order(indptr, nbr, w, order))
    side, _ = O.maxcut_one_pass(net, inst)
    mod = graphs.problem("maxcut")
    best = mod.objective(inst, side)
    assert best >= mod.objective(inst, raw)
    for v in range(inst.n):  # a one-flip local optimum
        flipped = side.copy()
        flipped[v] = 1 - flipped[v]
        assert mod.objective(inst, flipped) <= best + 1e-9


def test_solve_with_model_defaults_to_one_pass():
    inst = _inst("mvc", 7, n=80)
    sol, info = solve_with_model("mvc", inst)
    assert info["decode"] == "onepass"
    np.testing.assert_array_equal(sol, O.mvc_one_pass(load_model("mvc", 0)[0], inst)[0])
    assert (MODELS_DIR / "mvc.pt").is_file()


def test_bad_input():
    inst = _inst("mvc", 0)
    net = _net("mvc")
    with pytest.raises(ValueError, match="per_round"):
        O.decode_rounds(net, "mvc", inst, per_round=0)
    with pytest.raises(ValueError, match="not 'maxcut'"):
        O.decode_rounds(net, "maxcut", _inst("maxcut", 0))
    with pytest.raises(ValueError, match="mvc and maxcut"):
        O.decode_rounds(net, "wta", inst)
    with pytest.raises(ValueError, match="edge_share"):
        O.mvc_one_pass(net, inst, edge_share=1.5)
