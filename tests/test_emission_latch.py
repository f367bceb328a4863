"""Emission latch: a learning radar that chose to emit may only emit from then on, in
SideEnv's action masks and in LearnedPlayer's play; the experiment key is validated."""

from __future__ import annotations

import numpy as np
import pytest

from aerena.training.config import ExperimentError, experiment_for_scenario
from aerena.training.side_env import SideEnv


def _episode(latch: bool, emit_at: int, seed: int = 3, k: int = 1):
    """One `tiny` episode, defender learning; the launcher fires at random, the radar
    picks "silent" at every decision except the one at world step `emit_at`, where it
    picks "emit" (and, once latched, whatever the mask leaves). Returns per decision
    (step, radar mask) and the world's emission flag after every step the radar lives."""
    env = SideEnv({"scenario": "tiny", "learn": "defender", "seed": seed,
                   "emission_latch": latch, "action_repeat": {"radar": k}})  # fmt: skip
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(0)
    masks, emit, t = [], [], 0
    while True:
        acts = {}
        for a, o in obs.items():
            if a.startswith("radar"):
                legal = np.flatnonzero(o["action_mask"])
                if len(legal) == 0:  # the radar is lost
                    continue
                masks.append((t, o["action_mask"].copy()))
                acts[a] = 0 if t == emit_at else int(legal[-1])
            elif o["action_mask"].any():
                acts[a] = int(rng.choice(np.flatnonzero(o["action_mask"])))
        obs, _, term, trunc, _ = env.step(acts)
        t += 1
        radar = env.world.agent_names.index("radar_0")
        if env.world.state.agent_alive[0, radar]:  # a lost radar does not emit
            emit.append(bool(env.world.state.radar_emit[0, 0]))
        if term["__all__"] or trunc["__all__"]:
            return masks, np.array(emit), env


@pytest.mark.parametrize("k", [1, 5])
def test_latched_radar_only_emits_after_it_chose_to(k):
    emit_at = 5 * k
    masks, emit, env = _episode(True, emit_at, k=k)
    before = [m for t, m in masks if t <= emit_at]
    after = [m for t, m in masks if t > emit_at]
    assert before and after
    assert all(m.tolist() == [1, 1] for m in before)  # both choices until it emits
    assert all(m.tolist() == [1, 0] for m in after)  # then "emit" only
    assert not emit[emit_at - 1] and emit[emit_at:].all()  # silent, then on to the end
    # without the latch the same play goes silent again after the one emission
    masks, emit, _ = _episode(False, emit_at, k=k)
    assert all(m.tolist() == [1, 1] for _, m in masks)
    assert emit[emit_at] and not emit[emit_at + k :].any()
    # a reset clears the latch
    obs, _ = env.reset(seed=4)
    assert obs["radar_0"]["action_mask"].tolist() == [1, 1]


def _radar_modules(prior=None):
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from aerena.agents.rl_module import EntityGNNModule

    env = SideEnv({"scenario": "tiny", "learn": "defender", "seed": 0})
    modules = {}
    for agent in env.possible_agents:
        role = agent.rsplit("_", 1)[0]
        cfg = {"action_prior": {"radar": prior}} if role == "radar" and prior else {}
        modules[role] = RLModuleSpec(
            module_class=EntityGNNModule,
            observation_space=env.observation_spaces[agent],
            action_space=env.action_spaces[agent],
            model_config={"role": role, **cfg},
        ).build()
    return modules


def test_learned_player_keeps_a_latched_radar_on():
    import torch

    from aerena.agents.rl_module import LearnedPlayer
    from aerena.envs.airdefense.world import World

    torch.manual_seed(0)
    modules = _radar_modules([0.2, 0.8])  # mostly silent: switches on at a random step
    B, steps = 6, 60
    runs = {}
    for latch in (False, True):
        world = World("tiny", num_worlds=B)
        world.reset(np.arange(B))
        player = LearnedPlayer(world, "defender", modules, seed=1, sample=True,
                               emission_latch=latch)  # fmt: skip
        player.reset()
        col = list(player.columns).index(int(np.flatnonzero(world.agent_role == 2)[0]))
        acts = []
        for _ in range(steps):
            a = player.act()
            acts.append(a[:, col].copy())
            world.step(np.pad(a, ((0, 0), (world.sizes["N"] - a.shape[1], 0)),
                              constant_values=13))  # fmt: skip
        runs[latch] = np.array(acts)  # [steps, B]
    free, latched = runs[False], runs[True]
    for b in range(B):
        on = np.flatnonzero(latched[:, b] == 0)
        assert len(on) > 0, b  # 60 draws at 20%: every world switches on
        assert (latched[on[0] :, b] == 0).all(), b  # and stays on
    assert ((free[1:] == 1) & (free[:-1] == 0)).any()  # unlatched: it goes silent again
    player.reset(np.array([0]))  # a reset world may choose again
    assert not player.play._latched[0].any() and player.play._latched[1:].any()


def test_emission_latch_needs_a_learning_radar():
    exp = experiment_for_scenario("tiny", {"emission_latch": True})
    assert exp.config.emission_latch
    with pytest.raises(ExperimentError, match="emission_latch"):
        experiment_for_scenario("tiny", {"emission_latch": True, "learn": "attacker"})
    with pytest.raises(ExperimentError, match="emission_latch"):
        experiment_for_scenario("tiny", {"emission_latch": "sometimes"})


# ---------------------------------------------------------------------------- emission plan
def _plan_episode(delay: int, step_s: float = 7.0, n: int = 6, seed: int = 3, plan=True):
    """One `tiny` episode with an emission plan: the radar picks `delay` on its first
    observation (`plan=False`: no plan, the radar plays the same schedule step by step).
    Returns (radar observations as (step, mask, reward)), the emission flag after every
    step the radar lives, and the env."""
    cfg = {"emission_plan": (step_s, n)} if plan else {}
    env = SideEnv({"scenario": "tiny", "learn": "defender", "seed": seed, **cfg})
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(0)
    seen, emit, t, rew = [], [], 0, {}
    while True:
        acts = {}
        for a, o in obs.items():
            if a.startswith("radar"):
                seen.append((t, o["action_mask"].copy(), rew.get(a)))
                if o["action_mask"].any():
                    acts[a] = delay if plan else int(t < delay * step_s)
            elif o["action_mask"].any():
                acts[a] = int(rng.choice(np.flatnonzero(o["action_mask"])))
        obs, rew, term, trunc, _ = env.step(acts)
        t += 1
        radar = env.world.agent_names.index("radar_0")
        if env.world.state.agent_alive[0, radar]:
            emit.append(bool(env.world.state.radar_emit[0, 0]))
        if term["__all__"] or trunc["__all__"]:
            if "radar_0" in obs:
                seen.append((t, obs["radar_0"]["action_mask"].copy(), rew.get("radar_0")))
            return seen, np.array(emit), env


@pytest.mark.parametrize("delay", [0, 3])
def test_plan_radar_decides_once_and_goes_active_after_its_delay(delay):
    step_s, n = 7.0, 6
    seen, emit, env = _plan_episode(delay, step_s, n)
    assert env.action_spaces["radar_0"].n == n
    assert env.observation_spaces["radar_0"]["action_mask"].shape == (n,)
    first, last = seen[0], seen[-1]
    assert first[0] == 0 and first[1].tolist() == [1] * n  # every delay legal at the start
    assert len(seen) == 2 and last[0] > 1  # then only when it leaves or the episode ends
    on = int(delay * step_s)  # world steps are 1 s in `tiny`
    assert not emit[:on].any() and emit[on:].all()
    # its one reward is what the same schedule played step by step earns in total
    steps, emit_b, env_b = _plan_episode(delay, step_s, n, plan=False)
    np.testing.assert_array_equal(emit, emit_b)
    assert env.last_episode == env_b.last_episode
    assert last[2] == pytest.approx(sum(r for _, _, r in steps if r is not None), abs=1e-9)


def test_learned_player_plays_the_plan():
    import torch

    from aerena.agents.rl_module import LearnedPlayer
    from aerena.envs.airdefense.world import World

    torch.manual_seed(0)
    n, step_s = 5, 4.0
    modules = _radar_modules()
    env = SideEnv({"scenario": "tiny", "learn": "defender", "seed": 0,
                   "emission_plan": (step_s, n)})  # fmt: skip
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from aerena.agents.rl_module import EntityGNNModule

    modules["radar"] = RLModuleSpec(
        module_class=EntityGNNModule,
        observation_space=env.observation_spaces["radar_0"],
        action_space=env.action_spaces["radar_0"],
        model_config={"role": "radar", "action_prior": {"radar": [0.01, 0.01, 0.96, 0.01, 0.01]}},
    ).build()
    B = 3
    world = World("tiny", num_worlds=B)
    world.reset(np.arange(B))
    player = LearnedPlayer(world, "defender", modules, seed=1, emission_plan=(step_s, n))
    player.reset()
    col = list(player.columns).index(int(np.flatnonzero(world.agent_role == 2)[0]))
    acts = []
    for _ in range(20):
        a = player.act()
        acts.append(a[:, col].copy())
        world.step(np.pad(a, ((0, 0), (world.sizes["N"] - a.shape[1], 0)), constant_values=13))
    acts = np.array(acts)  # [steps, B]: greedy delay 2 -> silent for 8 s, then emit
    np.testing.assert_array_equal(acts[:8], 1)
    np.testing.assert_array_equal(acts[8:], 0)
    player.reset(np.array([1]))  # a reset world plans again
    assert np.isnan(player.play._switch_on[1, col]) and not np.isnan(player.play._switch_on[0, col])


@pytest.mark.parametrize(
    "extra,match",
    [
        ({"learn": "attacker"}, "emission_plan: needs a learning radar"),
        ({"emission_latch": True}, "drop emission_latch"),
        ({"action_repeat": {"radar": 5}}, "no action_repeat.radar"),
        ({"init": {"imitate": "scripted"}}, "no delay to imitate"),
        ({"model": {"action_prior": {"radar": [0.5, 0.5]}}}, "2 probabilities for 4"),
        ({"emission_plan": {"step_s": 0, "choices": 4}}, "step_s"),
        ({"emission_plan": {"step_s": 10, "choices": 1}}, "choices"),
    ],
)
def test_bad_emission_plan_is_a_clear_error(extra, match):
    cfg = {"emission_plan": {"step_s": 10, "choices": 4}, **extra}
    with pytest.raises(ExperimentError, match=match):
        experiment_for_scenario("tiny", cfg)


def test_radar_prior_without_a_plan_has_two_actions():
    with pytest.raises(ExperimentError, match="3 probabilities for 2 actions"):
        experiment_for_scenario("tiny", {"model": {"action_prior": {"radar": [0.2, 0.3, 0.5]}}})


@pytest.mark.slow
def test_plan_run_is_played_as_trained_everywhere(tmp_path, ray_local):
    """A PPO run with an emission plan: evaluate, a checkpoint opponent and a bare
    LearnedPlayer all see the 3-delay radar module and play (or refuse) it correctly."""
    from quick_runs import QUICK_RUN

    from aerena.agents.rl_module import LearnedPlayer
    from aerena.envs.airdefense.world import World
    from aerena.training.evaluate import evaluate, load_modules
    from aerena.training.train import latest_checkpoint, train

    overrides = {
        **QUICK_RUN,
        "name": "plan",
        "emission_plan": {"step_s": 5, "choices": 3},
        "algorithm.train_batch_size": 128,
        "stop.iterations": 1,
        "checkpoint.every": 1,
    }
    run = train(experiment_for_scenario("tiny", overrides), runs_dir=tmp_path, live=False).run_dir
    modules = load_modules(latest_checkpoint(run))
    assert modules["radar"].action_space.n == 3

    report = evaluate(run, episodes=2, worlds=2)
    assert report["play"]["emission_plan"] == (5.0, 3)

    env = SideEnv({"scenario": "tiny", "learn": "attacker", "opponent": "checkpoint",
                   "opponent_checkpoint": str(run), "seed": 0})  # fmt: skip
    assert env.player.play.plan == (5.0, 3)
    obs, _ = env.reset(seed=0)
    for _ in range(20):
        obs, _, term, trunc, _ = env.step({a: 13 for a in obs})
        if term["__all__"] or trunc["__all__"]:
            break

    with pytest.raises(ValueError, match="radar module has 3 actions.*emission_plan"):
        LearnedPlayer(World("tiny", 1), "defender", modules)
