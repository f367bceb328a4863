"""Behaviour cloning from the scripted players (`init.imitate`, aerena.training.imitation)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aerena.agents.scripted import make_player
from aerena.envs.airdefense.rollout import play_episodes
from aerena.envs.airdefense.world import World
from aerena.training.config import ExperimentError, experiment_for_scenario
from aerena.training.imitation import collect_demonstrations, fit_modules

GAMMA = 0.9


def _demos(
    side, roles, episodes=4, worlds=2, gamma=GAMMA, seed=100, players=(1, 2), with_state=False
):
    world = World("tiny", num_worlds=worlds)
    other = "defender" if side == "attacker" else "attacker"
    teacher = make_player(side, "scripted", world, seed=players[0])
    opponent = make_player(other, "scripted", world, seed=players[1])
    return collect_demonstrations(
        world, side, roles, teacher, opponent, episodes, seed, gamma, with_state=with_state
    )


@pytest.mark.parametrize("side,roles", [("defender", ["launcher", "radar"]), ("attacker", ["uav"])])
def test_rows_are_legal_decisions_in_the_modules_spaces(side, roles):
    from aerena.training.side_env import SideEnv

    data = _demos(side, roles)
    env = SideEnv({"scenario": "tiny", "learn": side, "seed": 0})
    spaces = {}
    for agent in env.possible_agents:
        spaces.setdefault(agent.rsplit("_", 1)[0], env.observation_spaces[agent])
    assert set(data) <= set(roles) and data
    for role, d in data.items():
        M = len(d["action"])
        assert M > 0
        for k in ("self", "entities", "entity_mask", "action_mask", "return", "episode", "step"):
            assert len(d[k]) == M, k
        obs = {k: d[k] for k in ("self", "entities", "entity_mask", "action_mask")}
        for k, x in obs.items():
            assert x.shape[1:] == spaces[role][k].shape, (role, k)
            assert spaces[role][k].contains(x[0].astype(spaces[role][k].dtype)), (role, k)
        # decision rows only: at least two legal actions, and the teacher's is one of them
        assert (d["action_mask"].sum(axis=1) >= 2).all()
        assert d["action_mask"][np.arange(M), d["action"]].all()
        assert set(np.unique(d["episode"])) <= set(range(4))
        assert "state" not in d  # only collected for a centralised critic


def test_returns_are_the_agents_discounted_reward_streams():
    """Reference: `play_episodes` team returns. With gamma = 1 the radar's row at step 0
    (the radar acts from the first step) holds the defender's whole return of the episode,
    whenever the radar lived through the episode."""
    data = _demos("defender", ["radar"], episodes=3, worlds=1, gamma=1.0)["radar"]
    world = World("tiny", num_worlds=1)
    players = {
        "attacker": make_player("attacker", "scripted", world, seed=2),
        "defender": make_player("defender", "scripted", world, seed=1),
    }
    rows = play_episodes(world, players, 3, 100)
    checked = 0
    for e, row in enumerate(rows):
        mine = data["episode"] == e
        steps = data["step"][mine]
        first = np.flatnonzero(mine)[np.argmin(steps)]
        if data["step"][first] != 0 or len(steps) != row["steps"]:
            continue  # the radar was lost (or silent-forced) during this episode
        assert data["return"][first] == pytest.approx(row["return_defender"], abs=1e-5)
        checked += 1
        # the rows are in step order within an episode: G_t - G_{t+1} = r_t for gamma 1,
        # so the returns of consecutive rows telescope to the first
        order = np.flatnonzero(mine)[np.argsort(steps)]
        assert np.all(np.diff(data["step"][order]) == 1)
    assert checked >= 1


def test_discounting_matches_a_direct_sum():
    """G_t = r_t + gamma G_{t+1} along a radar's consecutive rows: the rewards recovered from
    gamma = 1 returns, discounted by hand, give the gamma = 0.9 returns."""
    full = _demos("defender", ["radar"], episodes=2, worlds=1, gamma=1.0)["radar"]
    disc = _demos("defender", ["radar"], episodes=2, worlds=1, gamma=GAMMA)["radar"]
    np.testing.assert_array_equal(full["step"], disc["step"])
    for e in (0, 1):
        idx = np.flatnonzero(full["episode"] == e)
        idx = idx[np.argsort(full["step"][idx])]
        G = full["return"][idx].astype(np.float64)
        r = G - np.append(G[1:], 0.0)  # per-step rewards (the radar lives to the end)
        ref = np.zeros_like(r)
        acc = 0.0
        for i in range(len(r) - 1, -1, -1):
            acc = r[i] + GAMMA * acc
            ref[i] = acc
        np.testing.assert_allclose(disc["return"][idx], ref, atol=1e-4)


def test_fit_reaches_the_teacher_better_than_its_majority_action():
    import torch
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from aerena.agents.rl_module import EntityGNNModule
    from aerena.training.side_env import SideEnv

    torch.manual_seed(0)
    data = _demos("attacker", ["uav"], episodes=20, worlds=10)
    env = SideEnv({"scenario": "tiny", "learn": "attacker", "seed": 0})
    a = env.possible_agents[0]
    module = RLModuleSpec(
        module_class=EntityGNNModule,
        observation_space=env.observation_spaces[a],
        action_space=env.action_spaces[a],
        model_config={"role": "uav"},
    ).build()
    before = fit_modules({"uav": module}, data, epochs=1, lr=1e-12)["uav"]
    after = fit_modules({"uav": module}, data, epochs=12, lr=2e-3, minibatch=256)["uav"]
    # the scripted attacker's commonest action (fly on) is about half its decisions
    assert after["held_out_accuracy"] > after["most_common_action_share"] + 0.2
    assert after["held_out_nll"] < before["held_out_nll"]


@pytest.mark.parametrize(
    "sets,match",
    [
        ({"learn": "both", "init.imitate": "scripted"}, "one learning side"),
        ({"learn": "attacker", "init.imitate": "scripted", "init.roles": ["radar"]}, "init.roles"),
        ({"learn": "attacker", "init.imitate": "scripted-wta"}, "defender teacher"),
        ({"init.imitate": "oracle"}, "init.imitate"),
        ({"init.episodes": 0}, "init.episodes"),
    ],
)
def test_bad_init_is_a_clear_error(sets, match):
    with pytest.raises(ExperimentError, match=match):
        experiment_for_scenario("tiny", sets)


def test_train_warm_starts_the_algorithm(tmp_path, ray_local):
    """`aerena train` with `init.imitate`: imitation.json is written, RLlib trains from the
    fitted weights, and a frozen role (`init.freeze`) keeps them: after a PPO iteration the
    checkpoint's launcher scores the held-out demonstrations exactly as the fit did."""
    import torch

    from aerena.training.evaluate import load_modules
    from aerena.training.imitation import _forward
    from aerena.training.train import train

    loaded = experiment_for_scenario(
        "tiny",
        {
            "name": "bc",
            "learn": "defender",
            "init.imitate": "scripted",
            "init.roles": ["launcher"],
            "init.freeze": ["launcher"],
            "init.episodes": 24,
            "init.epochs": 6,
            "init.lr": 2e-3,
            "model.action_prior": {"radar": [0.1, 0.9]},
            "critic": "global",
            "algorithm.train_batch_size": 200,
            "algorithm.minibatch_size": 100,
            "algorithm.num_epochs": 1,
            "stop.iterations": 1,
        },
    )
    res = train(loaded, runs_dir=tmp_path, live=False)
    report = json.loads((res.run_dir / "imitation.json").read_text())
    assert set(report["roles"]) == {"launcher"}
    fit = report["roles"]["launcher"]
    modules = load_modules(res.checkpoint)
    # the same demonstrations: seeds of `imitate` (episodes from init.seed, players seeded
    # from the experiment seed 0)
    data = _demos(
        "defender",
        ["launcher"],
        episodes=24,
        worlds=24,
        seed=1_000_000,
        players=(101, 102),
        with_state=True,
    )["launcher"]
    held = data["episode"] % 10 == 9
    keys = ("self", "entities", "entity_mask", "action_mask", "state")
    obs = {k: torch.from_numpy(data[k][held]) for k in keys}
    with torch.no_grad():
        logits, _ = _forward(modules["launcher"], obs)
    acc = float((logits.argmax(-1).numpy() == data["action"][held]).mean())
    assert acc == pytest.approx(fit["held_out_accuracy"], abs=1e-9)
    assert len(data["action"]) == fit["rows"]


def test_action_prior_sets_the_initial_policy():
    import torch
    from ray.rllib.core.columns import Columns
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from aerena.agents.rl_module import EntityGNNModule
    from aerena.training.side_env import SideEnv

    env = SideEnv({"scenario": "tiny", "learn": "defender", "seed": 0})
    obs, _ = env.reset(seed=0)
    radar = next(a for a in env.possible_agents if a.startswith("radar"))
    module = RLModuleSpec(
        module_class=EntityGNNModule,
        observation_space=env.observation_spaces[radar],
        action_space=env.action_spaces[radar],
        model_config={"role": "radar", "action_prior": {"radar": [0.05, 0.95]}},
    ).build()
    batch = {k: torch.as_tensor(v)[None] for k, v in obs[radar].items()}
    with torch.no_grad():
        logits = module.forward_inference({Columns.OBS: batch})[Columns.ACTION_DIST_INPUTS]
    probs = torch.softmax(logits, -1)[0].numpy()
    np.testing.assert_allclose(probs, [0.05, 0.95], atol=0.02)


@pytest.mark.parametrize(
    "prior,match",
    [
        ({"radar": [0.5, 0.3, 0.2]}, "3 probabilities for 2 actions"),
        ({"radar": [0.0, 1.0]}, "must be > 0"),
        ({"radar": [0.6, 0.6]}, "sum to 1"),
        ({"launcher": [0.5, 0.5]}, "action_prior"),
    ],
)
def test_bad_action_prior_is_a_clear_error(prior, match):
    with pytest.raises(ExperimentError, match=match):
        experiment_for_scenario("tiny", {"model.action_prior": prior})


def test_freezing_every_role_is_an_error():
    with pytest.raises(ExperimentError, match="nothing to train"):
        experiment_for_scenario("tiny", {"init.freeze": ["launcher", "radar"]})
    with pytest.raises(ExperimentError, match="init.freeze"):
        experiment_for_scenario("tiny", {"init.freeze": ["uav"]})
