"""Conformance of the seven graph envs: check_env, seeded determinism, masks, padding, and
the reward identity (the episode return equals the objective of the solution built)."""

from __future__ import annotations

import pickle
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from aerena import graphs
from aerena.graphs.common import benchmarks

graphs.register_envs()

PROBLEM_OF = {
    "aerena/TSP-v0": "tsp",
    "aerena/CVRP-v0": "cvrp",
    "aerena/MVC-v0": "mvc",
    "aerena/MaxCut-v0": "maxcut",
    "aerena/MaxCover-v0": "maxcover",
    "aerena/WTA-v0": "wta",
    "aerena/IM-v0": "im",
}
SMALL = {
    "aerena/TSP-v0": {"num_nodes": 12},
    "aerena/CVRP-v0": {"num_nodes": 12},
    "aerena/MVC-v0": {"num_nodes": 12, "generator": "ba", "generator_kwargs": {"m": 2}},
    "aerena/MaxCut-v0": {"num_nodes": 12, "generator_kwargs": {"weights": "signed"}},
    "aerena/MaxCover-v0": {"num_sets": 12, "generator_kwargs": {"costs": "uniform"}},
    "aerena/WTA-v0": {"num_weapons": 6, "num_targets": 5},
    "aerena/IM-v0": {"num_nodes": 12, "generator_kwargs": {"budget": 3, "m": 2}},
}
VARIANTS = [
    ("aerena/TSP-v0", {"obs_distances": True, "generator": "clustered"}),
    ("aerena/CVRP-v0", {"generator": "clustered"}),
    ("aerena/MVC-v0", {"generator": "ws", "generator_kwargs": {"node_weights": "uniform"}}),
    ("aerena/MaxCut-v0", {"generator": "ba"}),
    ("aerena/MaxCover-v0", {"generator": "er"}),
    ("aerena/WTA-v0", {}),
    (
        "aerena/IM-v0",
        {
            "generator": "constant",
            "rr_sets": 50,
            "generator_kwargs": {"graph": "er", "p": 0.3, "prob": 0.2},
        },
    ),
]


def test_ids_match_registry():
    assert set(graphs.ENV_IDS) == set(PROBLEM_OF)
    assert all(i in gymnasium.registry for i in graphs.ENV_IDS)


@pytest.mark.parametrize(("env_id", "kwargs"), [*SMALL.items(), *VARIANTS])
def test_check_env(env_id, kwargs):
    env = gymnasium.make(env_id, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert not [w for w in caught if "gymnasium" in str(w.filename)], [
        str(w.message) for w in caught
    ]
    env.close()


def _rollout(env, seed, policy_seed, options=None):
    rng = np.random.default_rng(policy_seed)
    obs, info = env.reset(seed=seed, options=options)
    np.testing.assert_array_equal(obs["action_mask"], info["action_mask"])
    total, steps, trace = 0.0, 0, []
    done = False
    while not done:
        assert obs in env.observation_space
        valid = np.flatnonzero(info["action_mask"])
        assert valid.size > 0
        a = int(rng.choice(valid))
        obs, r, done, trunc, info = env.step(a)
        assert not trunc and not info["invalid_action"]
        np.testing.assert_array_equal(obs["action_mask"], info["action_mask"])
        total += r
        steps += 1
        trace.append((a, r))
        assert steps < 10_000
    return total, info, trace


@pytest.mark.parametrize("env_id", list(SMALL))
def test_return_equals_objective(env_id):
    problem = graphs.problem(PROBLEM_OF[env_id])
    env = gymnasium.make(env_id, **SMALL[env_id]).unwrapped
    for seed in range(5):
        total, info, _ = _rollout(env, seed, seed)
        inst = env.instance
        sol = info["solution"]
        obj = problem.objective(inst, sol)  # also checks validity
        assert info["objective"] == pytest.approx(obj)
        if PROBLEM_OF[env_id] in ("tsp", "cvrp", "mvc"):
            assert total == pytest.approx(-obj)
        elif PROBLEM_OF[env_id] == "wta":
            assert total == pytest.approx(float(inst.values.sum()) - obj)
        else:
            assert total == pytest.approx(obj)


@pytest.mark.parametrize("env_id", list(SMALL))
def test_same_seed_same_episode(env_id):
    a = gymnasium.make(env_id, **SMALL[env_id]).unwrapped
    b = gymnasium.make(env_id, **SMALL[env_id]).unwrapped
    ta = _rollout(a, 11, 3)[2]
    tb = _rollout(b, 11, 3)[2]
    assert ta == tb
    assert pickle.loads(pickle.dumps(a)).instance is not None


@pytest.mark.parametrize("env_id", list(SMALL))
def test_masked_actions_repair_or_raise(env_id):
    env = gymnasium.make(env_id, **SMALL[env_id]).unwrapped
    obs, info = env.reset(seed=0)
    masked = np.flatnonzero(info["action_mask"] == 0)
    bad = int(masked[0]) if masked.size else env.action_space.n  # out of range if none
    _, _, _, _, info2 = env.step(bad)
    assert info2["invalid_action"]
    strict = gymnasium.make(env_id, invalid_action="raise", **SMALL[env_id]).unwrapped
    strict.reset(seed=0)
    with pytest.raises(ValueError, match="masked"):
        strict.step(bad)


def test_tsp_env_replays_a_baseline_on_a_padded_benchmark():
    inst = benchmarks.load("burma14")
    env = gymnasium.make("aerena/TSP-v0", max_nodes=20).unwrapped
    obs, info = env.reset(options={"instance": inst})
    assert obs["node_mask"].sum() == 14 and info["action_mask"][14:].sum() == 0
    tour = graphs.solve("tsp", inst, "exact")
    total = sum(env.step(int(v))[1] for v in tour[1:])
    assert total == -benchmarks.OPTIMA["burma14"]
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step(0)


def test_cvrp_env_replays_the_optimal_solution():
    inst = benchmarks.load("A-n32-k5")
    giant, _ = graphs.problem("cvrp").load_solution(benchmarks.DATA_DIR / "cvrp" / "A-n32-k5.sol")
    env = gymnasium.make("aerena/CVRP-v0", num_nodes=31).unwrapped
    env.reset(options={"instance": inst})
    total, done, info = 0.0, False, {}
    for v in giant[1:]:
        if done:
            break
        _, r, done, _, info = env.step(int(v))
        assert not info["invalid_action"]
        total += r
    assert done and total == -784 and info["objective"] == 784


def test_options_instance_too_large_is_an_error():
    env = gymnasium.make("aerena/TSP-v0", num_nodes=10).unwrapped
    big = graphs.problem("tsp").generate("uniform", seed=0, num_nodes=11)
    with pytest.raises(ValueError, match="max_nodes"):
        env.reset(options={"instance": big})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"instnace": big})


def test_render_ansi():
    env = gymnasium.make("aerena/MVC-v0", render_mode="ansi", num_nodes=8)
    env.reset(seed=0)
    assert "mvc" in env.render()


def test_stop_actions():
    env = gymnasium.make("aerena/MaxCut-v0", num_nodes=10).unwrapped
    env.reset(seed=0)
    _, r, done, _, info = env.step(env.N)
    assert done and r == 0.0 and info["objective"] == 0.0
    env = gymnasium.make("aerena/MaxCover-v0", num_sets=10).unwrapped
    env.reset(seed=0)
    _, r, done, _, info = env.step(env.S)
    assert done and info["objective"] == 0.0
