"""Decision intervals (`action_repeat`): SideEnv's dicts, held actions, summed rewards,
and LearnedPlayer's matching play."""

from __future__ import annotations

import numpy as np
import pytest

from aerena.training.config import ExperimentError, experiment_for_scenario
from aerena.training.side_env import SideEnv


def _play(k: int, radar_action, seed: int = 3):
    """One `tiny` episode, defender learning; the launcher fires at random, the radar's
    action is `radar_action(step)` at its decisions. Returns (steps at which the radar was
    observed, its total reward, the emission flag per world step, the episode's defender
    return)."""
    env = SideEnv({"scenario": "tiny", "learn": "defender", "seed": seed,
                   "action_repeat": {"radar": k}})  # fmt: skip
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(0)
    seen, total, emit = [0], 0.0, []
    t = 0
    while True:
        acts = {}
        for a, o in obs.items():
            if a.startswith("radar"):
                acts[a] = radar_action(t)
            else:
                acts[a] = int(rng.choice(np.flatnonzero(o["action_mask"])))
        obs, rew, term, trunc, _ = env.step(acts)
        t += 1
        emit.append(bool(env.world.state.radar_emit[0, 0]))
        total += rew.get("radar_0", 0.0)
        if "radar_0" in obs:
            seen.append(t)
        if term["__all__"] or trunc["__all__"]:
            return seen, total, np.array(emit), env.last_episode["return_defender"], t


def test_radar_decides_every_k_steps_and_holds():
    # emit at decisions on even 10-step blocks, silent at odd ones
    seen, _, emit, _, T = _play(10, lambda t: 0 if (t // 10) % 2 == 0 else 1)
    decisions = [s for s in seen if s < T]
    assert decisions == list(range(0, T, 10))[: len(decisions)]
    assert len(decisions) >= 3
    for s in decisions[:-1]:
        block = emit[s : s + 10]  # the state after each step of the interval
        assert (block == block[0]).all(), s


def test_held_rewards_reach_the_next_observation():
    """Same play with and without intervals (a radar that never changes its action):
    the radar's rewards sum to the same total, and the episode is the same."""
    a = _play(1, lambda t: 0)
    b = _play(7, lambda t: 0)
    assert a[4] == b[4]  # episode length
    assert b[1] == pytest.approx(a[1], abs=1e-9)
    assert b[3] == pytest.approx(a[3], abs=1e-9)
    np.testing.assert_array_equal(a[2], b[2])
    assert len(b[0]) < len(a[0])


def test_learned_player_holds_between_decisions():
    import torch
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from aerena.agents.rl_module import EntityGNNModule, LearnedPlayer
    from aerena.envs.airdefense.world import World

    env = SideEnv({"scenario": "tiny", "learn": "defender", "seed": 0})
    modules = {}
    for agent in env.possible_agents:
        role = agent.rsplit("_", 1)[0]
        modules[role] = RLModuleSpec(
            module_class=EntityGNNModule,
            observation_space=env.observation_spaces[agent],
            action_space=env.action_spaces[agent],
            model_config={"role": role},
        ).build()
    torch.manual_seed(0)
    world = World("tiny", num_worlds=3)
    world.reset([0, 1, 2])
    k = 4
    player = LearnedPlayer(world, "defender", modules, seed=1, sample=True,
                           action_repeat={"radar": k})  # fmt: skip
    player.reset()
    radar_col = list(player.columns).index(int(np.flatnonzero(world.agent_role == 2)[0]))
    acts = []
    for _ in range(6 * k):
        a = player.act()
        acts.append(a[:, radar_col].copy())
        world.step(np.pad(a, ((0, 0), (world.sizes["N"] - a.shape[1], 0)), constant_values=13))
    acts = np.array(acts)  # [steps, B]
    for lo in range(0, len(acts), k):
        assert (acts[lo : lo + k] == acts[lo]).all()
    assert len(np.unique(acts)) == 2  # a sampled 50/50 radar changes its mind somewhere


@pytest.mark.parametrize(
    "value,match",
    [({"launcher": 5}, "action_repeat"), ({"radar": 0}, "action_repeat")],
)
def test_bad_action_repeat_is_a_clear_error(value, match):
    with pytest.raises(ExperimentError, match=match):
        experiment_for_scenario("tiny", {"action_repeat": value})
