"""Target plan: learning UAVs pick their targets once, at launch, and the scripted attacker
flies them there -- in SideEnv (spaces, one decision, whole-raid rewards, the same
episode as the scripted attacker given the same targets), in LearnedPlayer, in the
experiment's validation and at export."""

from __future__ import annotations

import numpy as np
import pytest

from aerena.agents.scripted import make_player, side_columns
from aerena.agents.scripted.attacker import ScriptedAttacker
from aerena.envs.airdefense.world import World
from aerena.training.config import ExperimentError, experiment_for_scenario
from aerena.training.side_env import SideEnv
from tests.scripts import load_script

SCENARIO = "strike_small"  # 8 UAVs of four roles, 3 assets and a radar: T = 4 targets


def _plan_episode(choice, seed: int = 5):
    """One SideEnv episode where every UAV picks `choice(agent)` at launch. Returns the
    env, per agent the (step, mask, reward, terminated) of each time it was seen, and the
    world's attacker reward of every step."""
    env = SideEnv({"scenario": SCENARIO, "learn": "attacker", "seed": seed, "target_plan": True})
    obs, _ = env.reset(seed=seed)
    seen: dict[str, list] = {a: [(0, o["action_mask"].copy(), None, None)] for a, o in obs.items()}
    t = 0
    while True:
        acts = {a: choice(a) for a, o in obs.items() if o["action_mask"].any()}
        obs, rew, term, trunc, _ = env.step(acts)
        t += 1
        for a in obs:
            seen.setdefault(a, []).append((t, obs[a]["action_mask"].copy(), rew[a], term[a]))
        if term["__all__"] or trunc["__all__"]:
            return env, seen
        obs = {a: o for a, o in obs.items() if o["action_mask"].any()}


def _scripted_episode(env: SideEnv, fixed: int | None) -> dict:
    """The same world episode played by the scripted attacker alone (targets fixed to
    slot `fixed` for every UAV, or the doctrine's) against the same scripted defender."""
    world = World(SCENARIO, 1)
    world.reset([int(env.world.seeds[0])])
    att = ScriptedAttacker(world)
    dfn = make_player("defender", "scripted", world, seed=env._opp_seed)
    att.reset()
    dfn.reset()
    if fixed is not None:
        att.fixed[:] = fixed
    act = np.zeros((1, world.sizes["N"]), np.int64)
    ca, cd = side_columns(world, "attacker"), side_columns(world, "defender")
    while not world.done[0]:
        act[:, ca] = att.act()
        act[:, cd] = dfn.act()
        world.step(act)
    return world.outcome(0)


def test_plan_spaces_and_one_decision_per_uav():
    env, seen = _plan_episode(lambda a: 2)
    n = 1 + len(env.pilot.target_names)
    assert env.pilot.target_names == ["power_plant", "command_centre", "fuel_depot", "radar"]
    for a in env.possible_agents:
        assert env.action_spaces[a].n == n
        assert env.observation_spaces[a]["action_mask"].shape == (n,)
    assert set(seen) == set(env.possible_agents)  # every UAV launched here
    for a, visits in seen.items():
        assert len(visits) == 2, a  # its launch step, then the episode's end
        assert visits[0][1].tolist() == [1] * n  # every choice legal at launch
        assert visits[0][0] < 70  # launches happen in the first minute


def test_every_uav_is_scored_by_the_whole_raid():
    """A UAV lost early is reported at the episode's end with the team's return since
    its launch (here: all of it -- no reward comes before the last launch)."""
    env, seen = _plan_episode(lambda a: 0)
    ret = env.last_episode["return_attacker"]
    lost_early = 0
    for a, visits in seen.items():
        _, mask, reward, terminated = visits[-1]
        assert reward == pytest.approx(ret, abs=1e-9), a
        if terminated and not mask.any():
            lost_early += 1
    assert lost_early >= 1  # the deferral was exercised
    assert ret != 0.0


@pytest.mark.parametrize("choice", [0, 3])
def test_plan_flies_the_scripted_attacker_with_those_targets(choice):
    """Choice 0 is the doctrine: the episode is the scripted attacker's own; choice 1 + t
    is the scripted attacker with every UAV's target fixed to t."""
    env, _ = _plan_episode(lambda a: choice)
    assert env.last_episode["asset_value_destroyed"] is not None
    alone = _scripted_episode(env, None if choice == 0 else choice - 1)
    got = {k: v for k, v in env.last_episode.items() if not k.startswith("return_")}
    assert got == alone


def test_fixed_target_is_kept_while_it_lives_then_the_doctrine_takes_over():
    B = 4
    world = World(SCENARIO, B)
    world.reset(np.arange(B) + 100)
    att = ScriptedAttacker(world)
    dfn = make_player("defender", "scripted", world, seed=0)
    att.reset()
    dfn.reset()
    att.fixed[:] = 1  # command_centre for everyone
    act = np.zeros((B, world.sizes["N"]), np.int64)
    ca, cd = side_columns(world, "attacker"), side_columns(world, "defender")
    cc = int(att.tgt_g[1])
    checked = 0
    for _ in range(300):
        act[:, ca] = att.act()
        act[:, cd] = dfn.act()
        s = world.state
        live = (s.air_status[:, att.C :] == 1) & (s.gnd_hp[:, cc] > 0)[:, None]
        assert (att.target[live] == 1).all()
        checked += int(live.sum())
        world.step(act)
    assert checked > 0


def test_learned_player_plans_targets_and_the_pilot_flies():
    import torch
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from aerena.agents.rl_module import EntityGNNModule, LearnedPlayer

    torch.manual_seed(0)
    env = SideEnv({"scenario": SCENARIO, "learn": "attacker", "seed": 0, "target_plan": True})
    prior = [0.01, 0.01, 0.01, 0.96, 0.01]  # greedy: choice 3 = fuel_depot (slot 2)
    module = RLModuleSpec(
        module_class=EntityGNNModule,
        observation_space=env.observation_spaces["uav_0"],
        action_space=env.action_spaces["uav_0"],
        model_config={"role": "uav", "action_prior": {"uav": prior}},
    ).build()
    B = 2
    world = World(SCENARIO, B)
    world.reset([11, 12])
    player = LearnedPlayer(world, "attacker", {"uav": module}, seed=1, target_plan=True)
    dfn = make_player("defender", "scripted", world, seed=0)
    player.reset()
    dfn.reset()
    ref = World(SCENARIO, B)  # the scripted attacker with every target fixed to slot 2
    ref.reset([11, 12])
    att = ScriptedAttacker(ref)
    rdfn = make_player("defender", "scripted", ref, seed=0)
    att.reset()
    rdfn.reset()
    att.fixed[:] = 2
    ca, cd = side_columns(world, "attacker"), side_columns(world, "defender")
    act = np.zeros((B, world.sizes["N"]), np.int64)
    ract = act.copy()
    for _ in range(200):
        act[:, ca] = player.act()
        act[:, cd] = dfn.act()
        ract[:, ca] = att.act()
        ract[:, cd] = rdfn.act()
        np.testing.assert_array_equal(act, ract)
        world.step(act)
        ref.step(ract)
    launched = world.state.air_status[:, world.sizes["C"] :] != 0
    assert (player.pilot.fixed[launched] == 2).all() and launched.any()
    player.reset(np.array([1]))  # a reset world plans again
    assert not player.play._planned[1].any() and player.play._planned[0].any()
    assert (player.pilot.fixed[1] == -1).all()
    with pytest.raises(ValueError, match="uav module has 5 actions.*target_plan"):
        LearnedPlayer(world, "attacker", {"uav": module})


@pytest.mark.parametrize(
    "extra,match",
    [
        ({"learn": "defender"}, "target_plan: needs learning UAVs"),
        ({"action_repeat": {"uav": 5}}, "no action_repeat.uav"),
        ({"init": {"imitate": "scripted"}}, "no target choice to imitate"),
        ({"model": {"action_prior": {"uav": [1 / 54] * 54}}}, "drop it"),
        ({"target_plan": "yes please"}, "target_plan"),
    ],
)
def test_bad_target_plan_is_a_clear_error(extra, match):
    cfg = {"learn": "attacker", "target_plan": True, **extra}
    with pytest.raises(ExperimentError, match=match):
        experiment_for_scenario("tiny", cfg)


def test_play_options_carry_the_target_plan():
    exp = experiment_for_scenario("tiny", {"learn": "attacker", "target_plan": True}).config
    assert exp.play_options()["target_plan"] is True
    from aerena.training.train import env_config

    assert env_config(exp)["target_plan"] is True


def test_export_checks_a_plan_uav_against_its_play_options():
    """A plan UAV picks one of 1 + T targets: export refuses it without the run's play
    options and accepts it with them (aerena.deploy plays the plan through SidePlay)."""
    import gymnasium as gym

    from aerena.agents.onnx_export import check_choices
    from aerena.agents.play import SidePlay
    from aerena.envs.airdefense.world import World
    from aerena.errors import UserError

    n = next(g.n_choices for g in SidePlay(World("tiny", 1), "attacker", target_plan=True).groups)

    class Stub:
        action_space = gym.spaces.Discrete(n)

    with pytest.raises(UserError, match="play options give 54 choices"):
        check_choices({"uav": Stub()}, ["uav"], "tiny", None, None)
    check_choices({"uav": Stub()}, ["uav"], "tiny", None, {"target_plan": True})


@pytest.mark.slow
def test_target_plan_run_is_played_as_trained_everywhere(tmp_path, ray_local):
    """A PPO run with a target plan on `tiny`: its module has 1 + T actions, `evaluate`
    plays it with the plan, and a checkpoint opponent flies it against a learning
    defender."""
    from quick_runs import QUICK_RUN

    from aerena.training.evaluate import evaluate, load_modules
    from aerena.training.train import latest_checkpoint, train

    overrides = {
        **QUICK_RUN,
        "name": "targets",
        "learn": "attacker",
        "target_plan": True,
        "algorithm.train_batch_size": 256,
        "stop.iterations": 1,
        "checkpoint.every": 1,
    }
    run = train(experiment_for_scenario("tiny", overrides), runs_dir=tmp_path, live=False).run_dir
    modules = load_modules(latest_checkpoint(run))
    assert modules["uav"].action_space.n == 1 + 2  # tiny: the depot and the radar

    report = evaluate(run, episodes=2, worlds=2)
    assert report["play"]["target_plan"] is True

    env = SideEnv({"scenario": "tiny", "learn": "defender", "opponent": "checkpoint",
                   "opponent_checkpoint": str(run), "seed": 0})  # fmt: skip
    assert env.player.pilot is not None
    obs, _ = env.reset(seed=0)
    for _ in range(300):
        obs, _, term, trunc, _ = env.step({a: 0 for a in obs if obs[a]["action_mask"].any()})
        if term["__all__"] or trunc["__all__"]:
            break
    assert term["__all__"] or trunc["__all__"]


def test_target_allocation_benchmark_runs(capsys):
    """benchmarks/target_allocations.py: one allocation per multiset of assets per
    carrier's strike UAVs, and a table with the doctrine's row."""
    bench = load_script("benchmarks/target_allocations.py", cache=False)
    strikes, names, allocs = bench.allocations(World(SCENARIO, 1))
    assert strikes == [1, 2, 5, 6] and len(names) == 3
    assert len(allocs) == 36 and len(set(allocs)) == 36  # 6 multisets per carrier, squared
    assert bench.main(["--scenario", "tiny", "--episodes", "2"]) == 0
    out = capsys.readouterr().out
    assert "| doctrine (scripted attacker) |" in out and "| depot, depot |" in out
