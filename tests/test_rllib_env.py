"""The RLlib face: RLlib's own multi-agent env check and the new API stack's rules."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ray.rllib")

from ray.rllib.env.env_context import EnvContext  # noqa: E402
from ray.rllib.env.multi_agent_env import MultiAgentEnv  # noqa: E402
from ray.rllib.utils.pre_checks.env import check_multiagent_environments  # noqa: E402

from aerena.envs.airdefense.rllib_env import AirDefenseMultiAgentEnv  # noqa: E402


def test_rllib_check_passes() -> None:
    env = AirDefenseMultiAgentEnv({"scenario": "tiny", "seed": 0})
    assert isinstance(env, MultiAgentEnv)
    check_multiagent_environments(env)
    assert set(env.observation_spaces) == set(env.possible_agents)
    assert set(env.action_spaces) == set(env.possible_agents)
    for a in env.possible_agents:
        assert env.get_observation_space(a) is env.observation_spaces[a]
        assert env.get_action_space(a) is env.action_spaces[a]


@pytest.mark.parametrize(("name", "max_steps"), [("tiny", 200), ("strike_small", 80)])
def test_random_rollout_follows_new_stack_rules(name: str, max_steps: int) -> None:
    env = AirDefenseMultiAgentEnv({"scenario": name, "seed": 1, "episode.max_steps": max_steps})
    rng = np.random.default_rng(0)
    for episode in range(2):
        obs, infos = env.reset(seed=episode)
        assert set(obs) == set(env.agents) and obs
        done: set[str] = set()
        acting = set(obs)
        steps = 0
        while True:
            actions = {}
            for a in acting:
                assert env.observation_spaces[a].contains(obs[a])
                actions[a] = int(rng.choice(np.flatnonzero(obs[a]["action_mask"])))
            obs, rew, term, trunc, info = env.step(actions)
            steps += 1
            assert "__all__" in term and "__all__" in trunc
            keys = set(obs)
            assert keys.isdisjoint(done), "a done agent received data"
            assert set(rew) <= keys | acting and set(info) <= keys
            assert acting <= keys  # every agent that acted gets its next or last obs
            assert set(rew) >= acting
            for a in keys:
                assert env.observation_spaces[a].contains(obs[a])
                assert isinstance(rew[a], float)
            finished = {a for a in keys if term.get(a) or trunc.get(a)}
            for a in keys:
                if trunc.get(a):
                    assert a in obs  # last observation for truncated agents
            done |= finished
            if term["__all__"] or trunc["__all__"]:
                assert finished == keys  # everyone left in the final step
                assert env.agents == []
                break
            acting = keys - finished
            assert acting == set(env.agents)  # obs only for the agents that act next
        assert steps <= max_steps


def test_env_context_seeds_differ_per_worker() -> None:
    cfg = {"scenario": "strike_small", "seed": 3}
    e0 = AirDefenseMultiAgentEnv(EnvContext(cfg, worker_index=1, vector_index=0))
    e1 = AirDefenseMultiAgentEnv(EnvContext(cfg, worker_index=2, vector_index=0))
    e0b = AirDefenseMultiAgentEnv(EnvContext(cfg, worker_index=1, vector_index=0))
    for e in (e0, e1, e0b):
        e.reset()
    assert e0.par_env.episode_seed == e0b.par_env.episode_seed
    assert e0.par_env.episode_seed != e1.par_env.episode_seed
    plain = AirDefenseMultiAgentEnv({"scenario": "tiny"})
    assert plain.world.scenario.name == "tiny"
