"""`parallel_env(fixed_agents=True)` and `wrappers.flatten_parallel`: PettingZoo conformance,
every agent present, inactive agents' form, the flat layout, scalar infos."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import aerena
from aerena import wrappers
from aerena.envs.airdefense import layout as Lo

SCEN, OVR = "tiny", {"episode.max_steps": 80}


def scalar_leaves(info: dict) -> bool:
    return all(isinstance(v, bool | int | float | np.generic) for v in info.values())


def masked_random(env, obs, rng, flat=False):
    acts = {}
    for a in env.agents:
        m = env.mask_of(obs[a]) if flat else obs[a]["action_mask"]
        acts[a] = int(rng.choice(np.flatnonzero(m)))
    return acts


def test_reset_gives_every_possible_agent_and_scalar_infos() -> None:
    env = aerena.parallel_env(SCEN, seed=0, **OVR)
    obs, infos = env.reset(seed=0)
    assert set(obs) == set(infos) == set(env.possible_agents)
    assert set(env.agents) < set(env.possible_agents)  # UAVs not launched yet
    rng = np.random.default_rng(0)
    while env.agents:
        acts = {a: int(rng.choice(np.flatnonzero(obs[a]["action_mask"]))) for a in env.agents}
        obs, _, _, _, infos = env.step(acts)
        assert all(scalar_leaves(i) for i in infos.values())
    last = next(iter(infos.values()))
    assert last["outcome/attacker_won"] in (0, 1)
    assert last["outcome/steps"] == env.world.outcome(0)["steps"]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("form", ["fixed", "flat", "flat_dict"])
def test_parallel_api(form: str) -> None:
    env = aerena.parallel_env(SCEN, seed=0, fixed_agents=True, **OVR)
    if form != "fixed":
        env = wrappers.flatten_parallel(env, dict_obs=form == "flat_dict")
    parallel_api_test(env, num_cycles=200)


def test_fixed_agents_every_agent_every_step() -> None:
    env = aerena.parallel_env(SCEN, fixed_agents=True, **OVR)
    obs, infos = env.reset(seed=1)
    names = env.possible_agents
    rng = np.random.default_rng(1)
    saw_inactive = saw_active_uav = False
    steps = 0
    while env.agents:
        assert env.agents == names
        assert set(obs) == set(infos) == set(names)
        for a in names:
            assert env.observation_space(a).contains(obs[a])
            m = obs[a]["action_mask"]
            if not infos[a]["active"]:
                saw_inactive = True
                assert not obs[a]["self"].any() and not obs[a]["entity_mask"].any()
                assert m.sum() == 1  # the no-op only
            elif a.startswith("uav"):
                saw_active_uav = True
        acts = {a: int(rng.choice(np.flatnonzero(obs[a]["action_mask"]))) for a in names}
        obs, rew, term, trunc, infos = env.step(acts)
        steps += 1
        assert set(rew) == set(term) == set(trunc) == set(names)
        for a in names:
            if not infos[a]["active"] and not env.world.done[0]:
                assert not term[a] and not trunc[a]
        assert all(scalar_leaves(i) for i in infos.values())
    assert saw_inactive and saw_active_uav
    assert all(term[a] or trunc[a] for a in names)
    assert steps == env.world.outcome(0)["steps"]


def test_fixed_agents_rewards_match_the_plain_env() -> None:
    """Same seed, same actions for live agents: the same trajectory and live rewards."""
    plain = aerena.parallel_env(SCEN, **OVR)
    fixed = aerena.parallel_env(SCEN, fixed_agents=True, **OVR)
    po, _ = plain.reset(seed=4)
    fo, _ = fixed.reset(seed=4)
    rng = np.random.default_rng(4)
    while plain.agents:
        acts = {a: int(rng.choice(np.flatnonzero(po[a]["action_mask"]))) for a in plain.agents}
        po, pr, *_ = plain.step(acts)
        fo, fr, *_ = fixed.step({**{a: 0 for a in fixed.agents}, **acts})
        for a, r in pr.items():
            assert fr[a] == r
            np.testing.assert_array_equal(fo[a]["self"], po[a]["self"])
    assert not fixed.agents
    assert plain.world.outcome(0) == fixed.world.outcome(0)


def test_flat_layout_and_mask_slice() -> None:
    base = aerena.parallel_env(SCEN, fixed_agents=True, **OVR)
    env = wrappers.flatten_parallel(base)
    obs, _ = env.reset(seed=2)
    w = env.unwrapped.world
    k, f = w.state.obs_ent.shape[2], w.state.obs_ent.shape[3]
    sp = env.observation_space(env.possible_agents[0])
    assert all(env.observation_space(a) is sp for a in env.possible_agents)
    assert len({id(env.action_space(a)) for a in env.possible_agents}) == 1
    S = Lo.S_DIM
    assert sp.shape == (S + k * f + k + env.amax,)
    dict_obs, _ = base.reset(seed=2)
    for n, a in enumerate(env.possible_agents):
        o = obs[a]
        assert sp.contains(o)
        np.testing.assert_array_equal(o[:S], dict_obs[a]["self"])
        np.testing.assert_array_equal(o[S : S + k * f], dict_obs[a]["entities"].ravel())
        np.testing.assert_array_equal(o[S + k * f : S + k * f + k], dict_obs[a]["entity_mask"])
        m = o[env.mask_slice]
        size = int(w.action_sizes[n])
        np.testing.assert_array_equal(m[:size], dict_obs[a]["action_mask"])
        assert not m[size:].any()


def test_flat_action_past_own_count_is_noop_flagged() -> None:
    env = wrappers.flatten_parallel(aerena.parallel_env(SCEN, fixed_agents=True, **OVR))
    env.reset(seed=0)
    radar = next(a for a in env.possible_agents if a.startswith("radar"))
    acts = dict.fromkeys(env.agents, 0)
    acts[radar] = env.amax - 1  # radars have 2 actions
    _, _, _, _, infos = env.step(acts)
    assert infos[radar]["invalid_action"]
    with pytest.raises(ValueError, match="outside"):
        env.step({**acts, radar: env.amax})


def test_flat_bad_actions_are_named() -> None:
    env = wrappers.flatten_parallel(aerena.parallel_env(SCEN, fixed_agents=True, **OVR))
    env.reset(seed=0)
    acts = dict.fromkeys(env.agents, 0)
    with pytest.raises(ValueError, match="launcher_0"):
        env.step({**acts, "launcher_0": 1.5})
    with pytest.raises(ValueError, match="unknown agent"):
        env.step({**acts, "nobody": 0})
