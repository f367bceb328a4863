"""The PettingZoo face's step, built from Python lists: the same dicts as the plain
reference (`spaces.agent_obs` on fresh copies), observations a caller keeps stay valid, and
infos keep one key set."""

from __future__ import annotations

import numpy as np

import aerena
from aerena.envs.airdefense import spaces as Sp


def _reference(env) -> dict[str, dict[str, np.ndarray]]:
    arrays = Sp.copy_world_obs(env.world, 0)
    return {
        name: Sp.agent_obs(arrays, n, int(env.world.action_sizes[n]))
        for n, name in enumerate(env.possible_agents)
    }


def test_step_matches_fresh_reference_and_keeps_old_observations() -> None:
    env = aerena.parallel_env("strike_small", seed=3)
    obs, infos = env.reset()
    keys = set(next(iter(infos.values())))
    rng = np.random.default_rng(0)
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    steps = 0
    while steps < 200:
        if not env.agents:
            obs, infos = env.reset()
        act = {}
        for a in env.agents:
            legal = np.flatnonzero(obs[a]["action_mask"])
            act[a] = int(rng.choice(legal)) if steps % 2 else np.int64(rng.choice(legal))
        obs, rew, term, trunc, infos = env.step(act)
        steps += 1
        ref = _reference(env)
        assert set(obs) == set(rew) == set(term) == set(trunc) == set(infos)
        for name, o in obs.items():
            assert list(o) == ["self", "entities", "entity_mask", "action_mask"]
            for k, v in o.items():
                assert v.dtype == ref[name][k].dtype and np.array_equal(v, ref[name][k]), k
            assert o in env.observation_space(name)
            assert set(infos[name]) == keys
            assert type(rew[name]) is float and type(term[name]) is bool
            assert type(trunc[name]) is bool
            assert type(infos[name]["invalid_action"]) is bool
            assert type(infos[name]["invalid_actions"]) is int
        # a caller may keep observations: a copy taken now equals the view later
        for o in obs.values():
            kept.append((o["self"], o["self"].copy()))
        # infos are separate dicts per agent
        if len(infos) > 1:
            a, b = list(infos)[:2]
            assert infos[a] is not infos[b]
    for view, copy in kept:
        assert np.array_equal(view, copy)


def test_bad_actions_still_rejected() -> None:
    import pytest

    env = aerena.parallel_env("strike_small", seed=0)
    env.reset()
    a = env.agents[0]
    n = env.possible_agents.index(a)
    size = int(env.world.action_sizes[n])
    for bad in (size, -1, True, 1.0, "0"):
        acts = {x: 0 for x in env.agents}
        acts[a] = bad
        with pytest.raises(ValueError):
            env.step(acts)
