"""Conformance of the agent-facing envs: PettingZoo parallel API and seeding, spaces,
agent life cycle, determinism, pickling, snapshot / restore, invalid actions, Gymnasium's
`check_env` on the single-side env, rendering."""

from __future__ import annotations

import importlib.util
import pickle
import subprocess
import sys
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test, parallel_seed_test

import aerena
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense import parallel as par
from aerena.envs.airdefense.parallel import AirDefenseParallelEnv

# (scenario, episode length used here): short episodes keep the suite fast while still
# covering the end of an episode (truncation)
SCENARIOS = [("tiny", 200), ("strike_small", 120), ("saturation", 60)]
IDS = [s for s, _ in SCENARIOS]


def make(name: str, max_steps: int | None = None, **kw) -> AirDefenseParallelEnv:
    if max_steps is not None:
        kw["episode__max_steps"] = max_steps
    return AirDefenseParallelEnv(name, **kw)


def masked_random(env: AirDefenseParallelEnv, obs: dict, rng: np.random.Generator) -> dict:
    """A uniformly random legal action for every live agent."""
    out = {}
    for a in env.agents:
        legal = np.flatnonzero(obs[a]["action_mask"])
        out[a] = int(rng.choice(legal))
    return out


def rollout(env: AirDefenseParallelEnv, steps: int, seed: int, act_seed: int = 0) -> list:
    """Record (obs, rewards, terms, truncs, infos, state) for `steps` steps of random play."""
    rng = np.random.default_rng(act_seed)
    obs, infos = env.reset(seed=seed)
    out = [(obs, infos, env.state())]
    for _ in range(steps):
        if not env.agents:
            break
        res = env.step(masked_random(env, obs, rng))
        obs = res[0]
        out.append((*res, env.state()))
    return out


def assert_same(x, y, where: str = "") -> None:
    """Exact (bit-for-bit) equality of nested dicts / tuples / arrays / scalars."""
    if isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys(), where
        for k in x:
            assert_same(x[k], y[k], f"{where}.{k}")
    elif isinstance(x, list | tuple):
        assert len(x) == len(y), where
        for i, (a, b) in enumerate(zip(x, y, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(x, np.ndarray):
        assert x.dtype == y.dtype and x.shape == y.shape, where
        assert np.array_equal(x, y), where
    else:
        assert type(x) is type(y) and x == y, f"{where}: {x!r} != {y!r}"


# --------------------------------------------------------------------------------------
# PettingZoo's own tests
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "max_steps"), SCENARIOS, ids=IDS)
def test_parallel_api(name: str, max_steps: int) -> None:
    env = make(name, max_steps, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parallel_api_test(env, num_cycles=max_steps + 5)


@pytest.mark.parametrize(("name", "max_steps"), SCENARIOS, ids=IDS)
def test_parallel_seed(name: str, max_steps: int) -> None:
    parallel_seed_test(lambda: make(name, max_steps), num_cycles=max_steps)


@pytest.mark.slow
def test_swarm_1000_few_cycles() -> None:
    env = make("swarm_1000", 8, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parallel_api_test(env, num_cycles=10)
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=1)
    for _ in range(8):
        if not env.agents:
            break
        obs, *_ = env.step(masked_random(env, obs, rng))
        for a, o in obs.items():
            assert env.observation_space(a).contains(o), a


# --------------------------------------------------------------------------------------
# Spaces and the agent life cycle under random play
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "max_steps"), SCENARIOS, ids=IDS)
def test_random_play_spaces_and_life_cycle(name: str, max_steps: int) -> None:
    env = make(name, max_steps)
    w = env.world
    rng = np.random.default_rng(1)
    obs, infos = env.reset(seed=5)
    # reset: every possible agent (TorchRL needs them); those not alive yet are all zero
    assert set(obs) == set(infos) == set(env.possible_agents)
    for a in set(env.possible_agents) - set(env.agents):
        assert not any(v.any() for v in obs[a].values())
    obs = {a: obs[a] for a in env.agents}
    gone: set[str] = set()
    seen: set[str] = set(env.agents)
    sides = par.agent_sides(w)
    steps = 0
    while env.agents:
        for a, o in obs.items():
            assert env.observation_space(a).contains(o), (a, steps)
        assert env.state_space.contains(env.state())
        before = list(env.agents)
        obs, rew, term, trunc, info = env.step(masked_random(env, obs, rng))
        steps += 1
        for a in obs:
            assert env.observation_space(a).contains(obs[a]), (a, steps)
            assert not info[a]["invalid_action"]  # masks respected -> nothing replaced
            assert a not in gone, f"{a} came back after leaving"
        new = set(obs) - set(before)
        for a in new:
            assert a.startswith("uav_") and a not in seen  # only launches appear
            assert rew[a] == 0.0
        seen |= new
        for a in before:
            n = env.possible_agents.index(a)
            assert rew[a] == float(w.state.reward[0, sides[n]])
        assert set(obs) == set(rew) == set(term) == set(trunc) == set(info)
        assert set(obs) == set(before) | new
        for a in obs:
            if term[a] or trunc[a]:
                gone.add(a)
                assert a not in env.agents
        # `agents` is exactly the set of units alive in the world
        alive = {env.possible_agents[n] for n in np.flatnonzero(w.state.agent_alive[0])}
        assert set(env.agents) == (set() if w.done[0] else alive)
    assert steps <= max_steps
    assert "outcome/attacker_won" in next(iter(info.values()))


def test_uav_joins_when_launched() -> None:
    env = make("tiny", 30)
    w = env.world
    obs, _ = env.reset(seed=0)
    C = w.sizes["C"]
    launch = {f"uav_{j}": float(w.state.air_par[0, C + j, Lo.AP_LAUNCH_TIME]) for j in range(3)}
    assert sorted(launch.values()) != [0.0, 0.0, 0.0]  # tiny launches over a few seconds
    first_seen = {a: 0.0 for a in env.agents if a.startswith("uav_")}
    for _ in range(10):
        t_before = float(w.state.t[0])
        obs, *_ = env.step({a: 0 for a in env.agents})
        for a in obs:
            if a.startswith("uav_") and a not in first_seen:
                first_seen[a] = float(w.state.t[0])
                assert t_before < launch[a] + 1e-9 <= float(w.state.t[0]) + 1e-9
        for a in launch:
            launched = launch[a] <= float(w.state.t[0]) + 1e-9
            assert (a in env.agents) == launched
    assert set(first_seen) == set(launch)


def test_steps_without_live_agents_are_skipped() -> None:
    # no defence; one strike UAV at t = 5 s that runs dry after 10 s; a decoy at t = 40 s
    env = make(
        "tiny",
        defender={},
        types__uav__strike__endurance=10.0,
        attacker__carriers__carrier__launches=[
            {"type": "strike", "count": 1, "at": 5.0},
            {"type": "decoy", "count": 1, "at": 40.0},
        ],
    )
    assert env.possible_agents == ["uav_0", "uav_1"]
    obs, _ = env.reset(seed=0)
    assert env.agents == ["uav_0"] and env.skipped_steps == 5  # nobody alive before t = 5
    while env.agents == ["uav_0"]:
        obs, rew, term, trunc, info = env.step({"uav_0": Lo.UAV_NOOP})
    assert term["uav_0"] and "uav_0" not in env.agents  # crashed, out of fuel
    assert env.agents == ["uav_1"] and rew["uav_1"] == 0.0 and not term["uav_1"]
    assert float(env.world.state.t[0]) == 40.0 and env.skipped_steps > 5
    assert set(obs) == {"uav_0", "uav_1"}


def test_spaces_are_cached_and_bounded() -> None:
    env = make("strike_small")
    for a in env.possible_agents:
        assert env.observation_space(a) is env.observation_space(a)
        assert env.action_space(a) is env.action_space(a)
        sp = env.observation_space(a)
        for key in ("self", "entities"):
            assert np.all(np.isfinite(sp[key].low)) and np.all(np.isfinite(sp[key].high))
            assert sp[key].dtype == np.float32
        assert sp["entity_mask"].dtype == np.int8 and sp["action_mask"].dtype == np.int8
    k = env.world.static.k
    assert env.action_space("uav_0") == gymnasium.spaces.Discrete(54)
    assert env.action_space("launcher_0") == gymnasium.spaces.Discrete(1 + k)
    assert env.action_space("radar_0") == gymnasium.spaces.Discrete(2)
    assert env.observation_space("launcher_0")["entities"].shape == (k, Lo.F_DIM)
    assert env.observation_space("radar_0")["self"].shape == (Lo.S_DIM,)
    assert np.all(np.isfinite(env.state_space.low)) and np.all(np.isfinite(env.state_space.high))
    assert env.state_space.shape == (env.world.state_dim,)


def test_bounds_follow_randomised_scenario_values() -> None:
    from aerena.envs.airdefense.spaces import compute_bounds

    base = compute_bounds(make("tiny").world)
    env = make(
        "tiny",
        types__uav__strike__speed_max={"uniform": [60.0, 90.0]},
        types__uav__strike__altitude_max={"choice": [1500.0, 2500.0]},
    )
    b = compute_bounds(env.world)
    assert b.ent_high[4] >= 0.9 > base.ent_high[4]  # vx / 100 m/s
    assert b.self_high[6] >= 2.5 > base.self_high[6]  # height above ground / 1000 m
    assert b.self_high[9] >= 1.0  # speed / own max speed
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    for _ in range(60):
        if not env.agents:
            break
        obs, *_ = env.step(masked_random(env, obs, rng))
        for a, o in obs.items():
            assert env.observation_space(a).contains(o), a


# --------------------------------------------------------------------------------------
# Determinism, pickling, snapshot / restore
# --------------------------------------------------------------------------------------
def test_same_seed_identical_rollouts() -> None:
    a = rollout(make("strike_small", 150), 150, seed=3)
    b = rollout(make("strike_small", 150), 150, seed=3)
    assert len(a) > 10
    assert_same(a, b)
    c = rollout(make("strike_small", 150), 5, seed=4)
    assert not np.array_equal(a[0][2], c[0][2])  # another seed, another world


def test_reset_without_seed_continues_seeded_sequence() -> None:
    e1, e2 = make("tiny"), make("tiny")
    e1.reset(seed=9)
    e2.reset(seed=9)
    s1 = [e1.reset()[0] for _ in range(2)]
    s2 = [e2.reset()[0] for _ in range(2)]
    assert_same(s1, s2)
    assert e1.episode_seed == e2.episode_seed
    e3 = make("tiny", seed=9)  # the constructor seed seeds the first unseeded reset
    e3.reset()
    e4 = make("tiny")
    e4.reset(seed=9)
    assert e3.episode_seed == e4.episode_seed


def test_pickle_round_trip() -> None:
    env = make("tiny", 100)
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=2)
    for _ in range(15):
        obs, *_ = env.step(masked_random(env, obs, rng))
    clone = pickle.loads(pickle.dumps(env))
    assert clone.agents == env.agents
    for _ in range(40):
        if not env.agents:
            break
        acts = masked_random(env, obs, rng)
        r1 = env.step(acts)
        r2 = clone.step(acts)
        assert_same(r1, r2)
        obs = r1[0]
    snap = pickle.loads(pickle.dumps(env.snapshot()))
    assert isinstance(snap, par.ParallelSnapshot)


def test_snapshot_restore_is_exact() -> None:
    env = make("strike_small", 300)
    rng = np.random.default_rng(4)
    obs, _ = env.reset(seed=11)
    for _ in range(60):  # k steps
        obs, *_ = env.step(masked_random(env, obs, rng))
    snap = env.snapshot()
    obs0, agents0 = obs, list(env.agents)
    actions, record = [], []
    for _ in range(80):  # m steps
        if not env.agents:
            break
        acts = masked_random(env, obs, rng)
        actions.append(acts)
        res = env.step(acts)
        record.append((*res, env.state()))
        obs = res[0]
    env.restore(snap)
    assert env.agents == agents0
    replay = []
    for acts in actions:
        res = env.step(acts)
        replay.append((*res, env.state()))
    assert_same(record, replay)
    env.restore(snap)  # a snapshot can be restored again
    assert env.agents == agents0
    assert set(obs0) >= set(agents0)
    # restore also brings back the seed sequence of the following episodes
    env.restore(snap)
    next_a = env.reset()[0]
    env.restore(snap)
    next_b = env.reset()[0]
    assert_same(next_a, next_b)


# --------------------------------------------------------------------------------------
# Actions: masked, out of space, unknown, missing
# --------------------------------------------------------------------------------------
def test_masked_action_is_a_counted_noop() -> None:
    e1, e2 = make("tiny"), make("tiny")
    o1, _ = e1.reset(seed=0)
    e2.reset(seed=0)
    jam_on = 27 + Lo.UAV_NOOP  # jammer on: masked for the strike UAV uav_0
    assert o1["uav_0"]["action_mask"][jam_on] == 0
    base = {a: 0 for a in e1.agents}
    r1 = e1.step({**base, "uav_0": jam_on})
    r2 = e2.step({**base, "uav_0": Lo.UAV_NOOP})
    assert r1[4]["uav_0"]["invalid_action"] is True
    assert r1[4]["uav_0"]["invalid_actions"] == 1
    assert r2[4]["uav_0"]["invalid_action"] is False
    assert_same(r1[0], r2[0])  # carried out as the no-op
    r1 = e1.step({a: 0 for a in e1.agents})
    assert r1[4]["uav_0"]["invalid_action"] is False
    assert r1[4]["uav_0"]["invalid_actions"] == 1  # the episode count stays


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"uav_0": 54}, "uav_0"),
        ({"uav_0": -1}, "uav_0"),
        ({"radar_0": 2}, "radar_0"),
        ({"uav_0": 1.0}, "uav_0"),
        ({"uav_0": "13"}, "uav_0"),
        ({"uav_0": np.array([1, 2])}, "uav_0"),
        ({"not_an_agent": 0}, "not_an_agent"),
    ],
)
def test_bad_actions_raise_naming_the_agent(bad: dict, match: str) -> None:
    env = make("tiny")
    env.reset(seed=0)
    acts = {a: 0 for a in env.agents}
    with pytest.raises(ValueError, match=match):
        env.step({**acts, **bad})


def test_missing_live_agent_raises_dead_agent_ignored() -> None:
    env = make("tiny")
    env.reset(seed=0)
    acts = {a: 0 for a in env.agents}
    del acts["launcher_0"]
    with pytest.raises(ValueError, match="launcher_0"):
        env.step(acts)
    # uav_1 is not launched yet: its action is ignored, as are numpy integers
    env.step({**{a: np.int64(0) for a in env.agents}, "uav_1": 53})


def test_step_before_reset_raises() -> None:
    with pytest.raises(RuntimeError, match="reset"):
        make("tiny").step({})


# --------------------------------------------------------------------------------------
# Rewards
# --------------------------------------------------------------------------------------
def test_zero_sum_rewards() -> None:
    env = make("tiny", 200, rewards__zero_sum=True)
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=1)
    nonzero = 0
    while env.agents:
        obs, rew, *_ = env.step(masked_random(env, obs, rng))
        r = env.world.state.reward[0]
        assert r[0] == -r[1]
        nonzero += int(r[0] != 0.0)
    assert nonzero > 0


# --------------------------------------------------------------------------------------
# Single-side Gymnasium env
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["attacker", "defender"])
def test_single_env_check_env(side: str) -> None:
    env = gymnasium.make("aerena/AirDefense-v2", scenario="tiny", side=side, opponent="random")
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    n = len(env.unwrapped.cols)
    assert obs["self"].shape == (n, Lo.S_DIM)
    assert obs["action_mask"].shape == (n, env.unwrapped.world.action_width)
    done, steps = False, 0
    while not done:
        obs, reward, term, trunc, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
        assert isinstance(reward, float)
        done = term or trunc
        steps += 1
    assert "outcome/attacker_won" in info and steps <= 200


_SCRIPTED = all(
    importlib.util.find_spec(f"aerena.agents.scripted.{m}") is not None
    for m in ("attacker", "defender")
)


@pytest.mark.skipif(not _SCRIPTED, reason="scripted players not written yet")
@pytest.mark.parametrize("side", ["attacker", "defender"])
def test_single_env_scripted_opponent(side: str) -> None:
    env = gymnasium.make("aerena/AirDefense-v2", scenario="tiny", side=side, opponent="scripted")
    check_env(env.unwrapped, skip_render_check=True)


def test_single_env_bad_arguments() -> None:
    with pytest.raises(ValueError, match="side"):
        gymnasium.make("aerena/AirDefense-v2", scenario="tiny", side="neutral")
    with pytest.raises(ValueError, match="opponent"):
        gymnasium.make("aerena/AirDefense-v2", scenario="tiny", opponent="human")


# --------------------------------------------------------------------------------------
# Rendering, env card, imports
# --------------------------------------------------------------------------------------
def test_render_ansi_and_bad_mode() -> None:
    env = make("tiny", render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert isinstance(text, str) and "tiny" in text and "assets" in text
    env.step({a: 0 for a in env.agents})
    assert isinstance(env.render(), str)
    with pytest.raises(ValueError, match="ansi"):
        make("tiny", render_mode="video")
    with pytest.raises(ValueError, match="ansi"):
        gymnasium.make("aerena/AirDefense-v2", scenario="tiny", render_mode="rgb")
    single = gymnasium.make(
        "aerena/AirDefense-v2", scenario="tiny", opponent="random", render_mode="ansi"
    )
    single.reset(seed=0)
    assert isinstance(single.render(), str)


def test_env_card_lists_every_feature() -> None:
    card = par.__doc__
    for name in (*Lo.SELF_FEATURES, *Lo.ENTITY_FEATURES):
        assert name in card, name
    assert par.ENV_NAME in card
    assert AirDefenseParallelEnv.metadata["name"] == "aerena_airdefense_v2"


def test_env_card_documents_the_terrain_view() -> None:
    card = par.__doc__
    assert f"`self`: `Box({Lo.S_DIM},)`" in card
    for i, name in enumerate(Lo.SELF_FEATURES):
        assert f"{i}. {name}" in card, name  # each feature at its index
    for t in (*Lo.PROFILE_S, *Lo.LOOKAHEAD_S):
        assert f"{t:g} s ahead" in card


def test_v1_id_is_refused_pointing_to_v2() -> None:
    with pytest.raises(gymnasium.error.DeprecatedEnv, match="aerena/AirDefense-v2"):
        gymnasium.make("aerena/AirDefense-v1", scenario="tiny")


def test_public_api_and_no_ray_import() -> None:
    env = aerena.parallel_env("tiny", seed=0)
    assert isinstance(env, AirDefenseParallelEnv)
    code = (
        "import sys, aerena, aerena.envs.airdefense.parallel, aerena.envs.airdefense.single, "
        "aerena.envs.airdefense.vector; assert 'ray' not in sys.modules, 'ray imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
