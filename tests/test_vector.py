"""The batched vector env: shapes, same-step auto-reset and episode counters, seeding and
determinism, rewards of dead agents, copy / view observations."""

from __future__ import annotations

import numpy as np
import pytest

import aerena
from aerena import episode_seed
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.vector import OBS_KEYS, AirDefenseVectorEnv


def random_actions(obs: dict, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random legal action per agent (0 where nothing is legal)."""
    am = obs["action_mask"].astype(bool)
    keys = rng.random(am.shape)
    keys[~am] = -1.0
    act = keys.argmax(axis=-1)
    act[~am.any(axis=-1)] = 0
    return act.astype(np.int64)


def test_shapes_and_spaces() -> None:
    venv = aerena.vector_env("tiny", 3, seed=0)
    assert isinstance(venv, AirDefenseVectorEnv)
    B, N = 3, venv.num_agents
    K, A = venv.world.static.k, venv.world.action_width
    assert venv.agent_names == venv.world.agent_names and N == len(venv.agent_names)
    obs, info = venv.reset()
    assert set(obs) == set(OBS_KEYS)
    assert obs["self"].shape == (B, N, Lo.S_DIM) and obs["self"].dtype == np.float32
    assert obs["entities"].shape == (B, N, K, Lo.F_DIM) and obs["entities"].dtype == np.float32
    assert obs["entity_mask"].shape == (B, N, K) and obs["entity_mask"].dtype == np.int8
    assert obs["action_mask"].shape == (B, N, A) and obs["action_mask"].dtype == np.int8
    assert obs["agent_alive"].shape == (B, N) and obs["agent_alive"].dtype == np.int8
    assert venv.observation_space.contains(obs)
    rng = np.random.default_rng(0)
    for _ in range(30):
        obs, rew, term, trunc, info = venv.step(random_actions(obs, rng))
        assert rew.shape == (B, N) and rew.dtype == np.float64
        assert term.shape == trunc.shape == (B,) and term.dtype == np.bool_
        assert info["invalid_action"].shape == (B, N) and not info["invalid_action"].any()
        for b in range(B):
            assert venv.single_observation_space.contains({k: v[b] for k, v in obs.items()})
    assert venv.action_space.shape == (B, N)
    assert venv.action_space.contains(random_actions(obs, rng))


def test_same_step_autoreset_and_counters() -> None:
    T = 15
    venv = AirDefenseVectorEnv("tiny", 2, seed=7, episode__max_steps=T)
    obs, info = venv.reset()
    assert list(info["episode_index"]) == [0, 0]
    rng = np.random.default_rng(1)
    finished = 0
    for _ in range(3 * T):
        obs, rew, term, trunc, info = venv.step(random_actions(obs, rng))
        done = term | trunc
        if done.any():
            idx = info["final_index"]
            assert np.array_equal(idx, np.flatnonzero(done))
            assert np.array_equal(info["_final_obs"], done)
            for k in OBS_KEYS:
                assert info["final_obs"][k].shape[0] == len(idx)
            assert len(info["final_info"]) == len(idx)
            assert all("winner" in o for o in info["final_info"])
            # reset in the same call: these worlds start a new episode now
            assert np.all(venv.world.state.step[idx] == 0)
            assert np.all(obs["self"][idx][..., 2] == 0.0)  # time fraction 0
            assert not venv.world.done[idx].any()
            finished += len(idx)
        else:
            assert "final_obs" not in info
    assert finished >= 2 * 3  # every world reached max_steps (or ended earlier) 3 times
    assert venv.episodes_done.sum() == finished
    assert np.array_equal(venv.episode_index, venv.episodes_done)
    for b in range(2):
        e = int(venv.episode_index[b])
        assert venv.world.seeds[b] == episode_seed(7, b + e * 2)


def test_seeding_and_determinism() -> None:
    def run(seed: int) -> list:
        venv = AirDefenseVectorEnv("tiny", 3, seed=seed, episode__max_steps=40)
        obs, _ = venv.reset()
        rng = np.random.default_rng(3)
        out = [obs]
        for _ in range(90):
            res = venv.step(random_actions(obs, rng))
            obs = res[0]
            out.append(res[:4])
        return out

    a, b = run(5), run(5)
    for x, y in zip(a, b, strict=True):
        if isinstance(x, dict):
            for k in OBS_KEYS:
                assert np.array_equal(x[k], y[k])
        else:
            for u, v in zip(x, y, strict=True):
                if isinstance(u, dict):
                    assert all(np.array_equal(u[k], v[k]) for k in OBS_KEYS)
                else:
                    assert np.array_equal(u, v)
    c = run(6)  # another seed: another trajectory (tiny's start is fixed, its rolls are not)
    pairs = zip(a[1:], c[1:], strict=True)
    assert any(not np.array_equal(x[0]["self"], y[0]["self"]) for x, y in pairs)
    # worlds of one batch play different episodes
    venv = AirDefenseVectorEnv("strike_small", 2, seed=0)
    venv.reset()
    assert venv.world.seeds[0] != venv.world.seeds[1]
    assert not np.array_equal(venv.world.state.gnd_pos[0], venv.world.state.gnd_pos[1]) or (
        not np.array_equal(venv.world.state.air_par[0], venv.world.state.air_par[1])
    )


def test_reset_without_seed_moves_to_next_episode() -> None:
    venv = AirDefenseVectorEnv("tiny", 2, seed=1)
    venv.reset()
    assert list(venv.episode_index) == [0, 0]
    venv.reset()
    assert list(venv.episode_index) == [1, 1]
    assert venv.world.seeds[1] == episode_seed(1, 1 + 1 * 2)
    venv.reset(seed=1)
    assert list(venv.episode_index) == [0, 0]
    assert venv.world.seeds[0] == episode_seed(1, 0)


def test_rewards_of_dead_agents_are_zero() -> None:
    venv = AirDefenseVectorEnv("tiny", 4, seed=2, episode__max_steps=120)
    obs, _ = venv.reset()
    rng = np.random.default_rng(0)
    saw_dead = saw_reward = False
    for _ in range(240):
        alive_before = obs["agent_alive"].astype(bool)
        obs, rew, term, trunc, info = venv.step(random_actions(obs, rng))
        assert np.all(rew[~alive_before] == 0.0)
        saw_dead |= bool((~alive_before).any())
        saw_reward |= bool((rew != 0.0).any())
        # alive agents of one side share one reward
        for b in range(4):
            for side in (0, 1):
                cols = (venv.agent_side == side) & alive_before[b]
                if cols.any():
                    assert np.all(rew[b, cols] == rew[b, cols][0])
    assert saw_dead and saw_reward


def test_copy_false_returns_views() -> None:
    venv = AirDefenseVectorEnv("tiny", 2, seed=0, copy=False)
    obs, _ = venv.reset()
    s = venv.world.state
    assert np.shares_memory(obs["self"], s.obs_self)
    assert np.shares_memory(obs["action_mask"], s.act_mask)
    assert np.array_equal(obs["entity_mask"], s.obs_mask.astype(np.int8))
    venv2 = AirDefenseVectorEnv("tiny", 2, seed=0)
    obs2, _ = venv2.reset()
    assert not np.shares_memory(obs2["self"], venv2.world.state.obs_self)


def test_bad_actions_raise() -> None:
    venv = AirDefenseVectorEnv("tiny", 2, seed=0)
    venv.reset()
    act = np.zeros((2, venv.num_agents), dtype=np.int64)
    act[1, 0] = 54
    with pytest.raises(ValueError, match="uav_0"):
        venv.step(act)
    with pytest.raises(ValueError, match="shape"):
        venv.step(np.zeros((3, venv.num_agents), dtype=np.int64))
    with pytest.raises(RuntimeError, match="reset"):
        AirDefenseVectorEnv("tiny", 1).step(act[:1])
