"""The routing attention nets, their batched decoder, POMO training and `--method model`."""

from __future__ import annotations

import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch

import aerena  # noqa: F401  (registers the envs)
from aerena import graphs
from aerena.agents.solvers.base import load_checkpoint, save_checkpoint
from aerena.agents.solvers.routing import (
    CVRPAttentionNet,
    TSPAttentionNet,
    augment8,
    rollout_cvrp,
    rollout_tsp,
)
from aerena.agents.solvers.solve import MODELS_DIR, SHIPPED, routing_rollouts, solve_with_model
from aerena.errors import UserError
from aerena.training.solvers import pomo

SMALL = {"dim": 32, "heads": 4, "layers": 2, "ff": 64}


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _net(problem: str, seed: int = 0):
    torch.manual_seed(seed)
    cls = TSPAttentionNet if problem == "tsp" else CVRPAttentionNet
    return cls(**SMALL).eval()


def _env_greedy(net, env, seed):
    obs, info = env.reset(seed=seed)
    actions, done = [], False
    while not done:
        with torch.no_grad():
            a = int(net(*net.obs_tensors(obs)).argmax(-1))
        actions.append(a)
        obs, _, done, _, info = env.step(a)
    return actions, info


@pytest.mark.parametrize("problem", ["tsp", "cvrp"])
def test_greedy_rollout_equals_stepping_the_env(problem):
    net = _net(problem)
    env = gym.make(f"aerena/{problem.upper()}-v0", num_nodes=12).unwrapped
    for seed in range(4):
        actions, info = _env_greedy(net, env, seed)
        coords = torch.as_tensor(env._coords[None], dtype=torch.float32)
        with torch.no_grad():
            if problem == "tsp":
                r = rollout_tsp(net, coords, torch.zeros(1, 1, dtype=torch.long), sample=False)
                assert r.actions[0, 0, 1:].tolist() == actions
            else:
                dem = torch.as_tensor(env._demand[None], dtype=torch.float32)
                r = rollout_cvrp(net, coords, dem, None, sample=False)
                got = [a for a in r.actions[0, 0].tolist()]
                while got and got[-1] == 0:
                    got.pop()
                while actions and actions[-1] == 0:
                    actions.pop()
                assert got == actions
        # the rollout's length is the env's objective in the scaled coordinates
        inst = env.instance
        span = float((inst.coords.max(0) - inst.coords.min(0)).max())
        assert float(r.length[0, 0]) * span == pytest.approx(info["objective"], rel=1e-4)


@pytest.mark.parametrize("problem", ["tsp", "cvrp"])
def test_padding_does_not_change_real_logits(problem):
    net = _net(problem)
    small = gym.make(f"aerena/{problem.upper()}-v0", num_nodes=10).unwrapped
    n_pad = 16
    big = gym.make(f"aerena/{problem.upper()}-v0", num_nodes=10, max_nodes=n_pad).unwrapped
    o1, _ = small.reset(seed=3)
    o2, _ = big.reset(seed=3)
    with torch.no_grad():
        l1 = net(*net.obs_tensors(o1))[0]
        l2 = net(*net.obs_tensors(o2))[0]
    k = l1.shape[0]
    legal = torch.as_tensor(o1["action_mask"]) != 0
    torch.testing.assert_close(l2[:k][legal], l1[legal], atol=1e-5, rtol=1e-5)
    assert bool((l2[k:] == torch.finfo(torch.float32).min).all())


def test_masked_actions_get_zero_probability():
    net = _net("cvrp")
    env = gym.make("aerena/CVRP-v0", num_nodes=10).unwrapped
    obs, _ = env.reset(seed=0)
    for _ in range(6):
        with torch.no_grad():
            p = torch.softmax(net(*net.obs_tensors(obs))[0], -1)
        assert float(p[torch.as_tensor(obs["action_mask"]) == 0].sum()) == 0.0
        obs, _, done, _, _ = env.step(int(p.argmax()))
        if done:
            break


def test_rollouts_are_valid_solutions():
    net = _net("tsp")
    coords = torch.rand(3, 9, 2)
    r = rollout_tsp(net, coords, torch.arange(9).expand(3, 9), sample=True)
    for b in range(3):
        for p in range(9):
            assert sorted(r.actions[b, p].tolist()) == list(range(9))
            assert r.actions[b, p, 0] == p
    cnet = _net("cvrp")
    inst = graphs.problem("cvrp").generate("uniform", seed=5, num_nodes=12)
    c = torch.tensor(inst.coords[None], dtype=torch.float32)
    d = torch.as_tensor((inst.demand / inst.capacity)[None], dtype=torch.float32)
    r = rollout_cvrp(cnet, c, d, torch.arange(1, 13)[None], sample=True)
    from aerena.graphs.cvrp.objective import check_solution, giant_of, routes_of

    for p in range(12):
        giant = giant_of(routes_of(np.concatenate([[0], r.actions[0, p].numpy(), [0]])))
        check_solution(inst, giant)
        assert giant[1] == p + 1


def test_augment8_is_the_square_symmetry_group():
    c = torch.rand(2, 7, 2)
    a = augment8(c)
    assert a.shape == (16, 7, 2)
    d0 = torch.cdist(c, c)
    for k in range(8):
        torch.testing.assert_close(torch.cdist(a[2 * k : 2 * k + 2], a[2 * k : 2 * k + 2]), d0)
    assert len({tuple(a[2 * k, 0].tolist()) for k in range(8)}) == 8


@pytest.mark.parametrize("problem", ["tsp", "cvrp"])
def test_decodes_are_nested(problem):
    """aug8 contains multistart, which contains greedy: best lengths never get worse."""
    net = _net(problem)
    batch = pomo.sample_batch(problem, 10, 3, np.random.default_rng(0))
    best = {}
    for mode in ("greedy", "multistart", "aug8"):
        _, length = routing_rollouts(net, batch, mode)
        best[mode] = length.min(dim=1).values
    assert bool((best["multistart"] <= best["greedy"] + 1e-4).all())
    assert bool((best["aug8"] <= best["multistart"] + 1e-4).all())


def test_pomo_training_improves_the_policy():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    val = pomo.sample_batch("tsp", 10, 64, np.random.default_rng(99))
    net, history = pomo.train(
        "tsp", 10, steps=80, batch_size=32, lr=1e-3, net_config=SMALL, validate_every=40
    )
    del rng
    untrained = pomo.validate(TSPAttentionNet(**SMALL), val)
    trained = pomo.validate(net, val)
    assert trained < 0.85 * untrained, (trained, untrained, history)


def test_pomo_checkpoint_continues(tmp_path):
    out = tmp_path / "tsp.pt"
    pomo.train("tsp", 8, steps=4, batch_size=8, net_config=SMALL, validate_every=2, out=out)
    net, meta = load_checkpoint(out)
    assert meta["steps"] in (2, 4) and meta["algorithm"] == "pomo"
    assert "python" in meta["command"] or meta["command"] == ""
    out2 = tmp_path / "tsp2.pt"
    pomo.train("tsp", 8, steps=2, batch_size=8, validate_every=1, out=out2, init=out)
    _, meta2 = load_checkpoint(out2)
    assert meta2["steps"] >= meta["steps"]
    assert meta2["validation_length"] <= meta["validation_length"] + 1e-9


def test_checkpoint_errors(tmp_path):
    with pytest.raises(UserError, match="no such"):
        load_checkpoint(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="not a readable"):
        load_checkpoint(bad)
    other = tmp_path / "other.pt"
    torch.save({"format": "something else"}, other)
    with pytest.raises(UserError, match="not an aerena graph-policy"):
        load_checkpoint(other)
    net = _net("tsp")
    path = save_checkpoint(net, tmp_path / "ok.pt", {"x": 1})
    back, meta = load_checkpoint(path)
    assert meta == {"x": 1}
    for k, v in net.state_dict().items():
        torch.testing.assert_close(back.state_dict()[k], v)
    assert not list(tmp_path.glob(".*.tmp"))


# ---------------------------------------------------------------------- shipped models


def test_shipped_models_exist_and_record_their_training():
    for problem, table in SHIPPED.items():
        if problem not in ("tsp", "cvrp"):
            continue
        for size, name in table.items():
            net, meta = load_checkpoint(MODELS_DIR / name)
            assert net.problem == problem
            assert meta["nodes"] == size
            assert meta["command"].startswith("python -m aerena.graphs.learned.pomo")
            assert (MODELS_DIR / name).stat().st_size < 4_000_000


def test_shipped_tsp20_is_near_optimal():
    tsp = graphs.problem("tsp")
    gaps = []
    for seed in range(5):
        inst = tsp.generate("uniform", seed=500 + seed, num_nodes=20)
        ref = tsp.objective(inst, tsp.solve(inst, "ils"))
        sol, info = solve_with_model("tsp", inst, decode="aug8")
        tsp.check_solution(inst, sol)
        gaps.append(tsp.objective(inst, sol) / ref - 1)
    assert info["model"].endswith("tsp20.pt")
    assert np.mean(gaps) < 0.01, gaps


def test_shipped_cvrp20_on_cvrplib():
    from aerena.graphs.common.benchmarks import OPTIMA, load

    inst = load("E-n22-k4")
    cvrp = graphs.problem("cvrp")
    sol, _ = solve_with_model("cvrp", inst, decode="aug8")
    cvrp.check_solution(inst, sol)
    assert cvrp.objective(inst, sol) <= 1.03 * OPTIMA["E-n22-k4"]


def test_polish_never_hurts():
    tsp = graphs.problem("tsp")
    inst = tsp.generate("uniform", seed=3, num_nodes=60)
    a, _ = solve_with_model("tsp", inst, decode="greedy")
    b, _ = solve_with_model("tsp", inst, decode="greedy", polish=True)
    tsp.check_solution(inst, b)
    assert tsp.objective(inst, b) <= tsp.objective(inst, a) + 1e-9


def test_timed_polish_runs_ils_past_the_local_optimum():
    """`polish_seconds`: ILS kicks after the descent; never longer than the descent alone."""
    tsp = graphs.problem("tsp")
    inst = tsp.generate("uniform", seed=5, num_nodes=80)
    b, _ = solve_with_model("tsp", inst, decode="greedy", polish=True)
    c, info = solve_with_model("tsp", inst, decode="greedy", polish=True, polish_seconds=0.5)
    tsp.check_solution(inst, c)
    assert tsp.objective(inst, c) <= tsp.objective(inst, b) + 1e-9
    assert info["polish"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aerena.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_solve_cli_with_the_model(tmp_path):
    out = tmp_path / "b.tour"
    r = _cli("solve", "tsp", "burma14", "--method", "model", "--json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {"objective", "gap", "time_s", "solution"} <= set(doc)
    assert sorted(doc["solution"]) == list(range(14))
    assert doc["gap"] < 5.0
    assert doc["method"] == "model:tsp20.pt:aug8"
    assert out.read_text().startswith("NAME")
    r = _cli("solve", "tsp", "gr17", "--method", "model")  # explicit distance matrix
    assert r.returncode == 2 and "coordinates" in r.stderr and "Traceback" not in r.stderr
    r = _cli("solve", "tsp", "burma14", "--method", "2opt", "--decode", "greedy")
    assert r.returncode == 2 and "--method model only" in r.stderr
    r = _cli("solve", "tsp", "burma14", "--method", "model", "--model", str(tmp_path / "x.pt"))
    assert r.returncode == 2 and "no such policy checkpoint" in r.stderr
    r = _cli(
        "solve", "cvrp", "E-n22-k4", "--method", "model", "--model", str(MODELS_DIR / "tsp20.pt")
    )
    assert r.returncode == 2 and "not a cvrp one" in r.stderr


def test_train_solver_cli_torch_engine(tmp_path):
    out = tmp_path / "t.pt"
    r = _cli(
        "train-solver", "tsp", "--engine", "torch", "--nodes", "8", "--iterations", "3",
        "--batch-size", "4", "--dim", "16", "--heads", "2", "--layers", "1", "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    net, meta = load_checkpoint(out)
    assert meta["command"].startswith("aerena train-solver tsp")
    r = _cli("train-solver", "mvc", "--algo", "pomo", "--iterations", "1", "--out", str(out))
    assert r.returncode == 2 and "routing problems" in r.stderr


def test_shipped_tsp20_exports_with_parity(tmp_path):
    """The trained net's float32 logits carry ~3e-5 of rounding (logits clipped to +-10):
    onnxruntime must be no further from the float64 forward than twice torch's own error,
    with identical greedy actions."""
    pytest.importorskip("onnxruntime")
    from aerena.agents.solvers.onnx import export_graph_policy

    net, meta = load_checkpoint(MODELS_DIR / "tsp20.pt")
    doc = export_graph_policy(net, tmp_path / "tsp20.onnx", parity_obs=256, meta=meta)
    total = doc["parity"][-1]
    assert total["action_agreement"] == 1.0
    assert total["ort_error"] <= total["tolerance"] <= 2e-4
    assert (tmp_path / "tsp20.onnx").is_file()
