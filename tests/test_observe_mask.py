"""The world's `observe` mask: unobserved agents cost no observation work and change nothing
else (alive flags, action masks and the whole trajectory stay bit-exact)."""

from __future__ import annotations

import numpy as np

from aerena.agents.scripted import make_player
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.world import World

OBS = ("obs_self", "obs_ent", "obs_mask", "obs_ref", "obs_ref_kind")


def _legal(w: World, rng: np.random.Generator) -> np.ndarray:
    mask = w.state.act_mask
    keys = rng.random(mask.shape)
    keys[~mask] = -1.0
    act = keys.argmax(axis=2)
    act[~mask.any(axis=2)] = 0
    return act.astype(np.int64)


def _pair(scenario: str, seeds: list[int]) -> tuple[World, World]:
    full, part = World(scenario, len(seeds)), World(scenario, len(seeds))
    # world 0: UAVs and radars unobserved; world 1: every agent unobserved; world 2: all
    part.observe[0, full.agent_role != Lo.AGENT_LAUNCHER] = False
    part.observe[1, :] = False
    full.reset(seeds)
    part.reset(seeds)
    return full, part


def _check(full: World, part: World) -> None:
    for name, a, b in zip(full.state._fields, full.state, part.state, strict=True):
        if name in OBS:
            # observed agents (and world 2 entirely) see exactly what the full world sees
            obs = part.observe
            assert np.array_equal(a[obs], b[obs]), name
        elif not name.startswith("scratch_"):  # work space of the kernels
            assert np.array_equal(a, b), name


def test_default_is_everything() -> None:
    w = World("tiny", 3)
    assert w.observe.shape == (3, w.sizes["N"]) and w.observe.all()


def test_unobserved_agents_change_no_trajectory() -> None:
    full, part = _pair("strike_small", [3, 4, 5])
    rng = np.random.default_rng(0)
    for _ in range(120):
        act = _legal(full, rng)
        full.step(act)
        part.step(act)
        _check(full, part)
        if full.done.all():
            break


def test_scripted_attacker_needs_no_uav_observation() -> None:
    """A scripted attacker plays the same with the UAV observations switched off."""
    full, part = World("strike_small", 3), World("strike_small", 3)
    # the scripted defender reads its own observations: only the UAVs are switched off
    part.observe[:, full.agent_role == Lo.AGENT_UAV] = False
    full.reset([7, 8, 9])
    part.reset([7, 8, 9])
    pf = make_player("attacker", "scripted", full, seed=1)
    pp = make_player("attacker", "scripted", part, seed=1)
    pd = make_player("defender", "scripted", full, seed=2)
    qd = make_player("defender", "scripted", part, seed=2)
    for p in (pf, pp, pd, qd):
        p.reset(np.arange(3))
    for _ in range(150):
        a = np.zeros((3, full.sizes["N"]), np.int64)
        b = np.zeros_like(a)
        a[:, pf.columns] = pf.act()
        a[:, pd.columns] = pd.act()
        b[:, pp.columns] = pp.act()
        b[:, qd.columns] = qd.act()
        assert np.array_equal(a, b)
        full.step(a)
        part.step(b)
        _check(full, part)
        if full.done.all():
            break


def test_sampler_switches_off_what_its_opponent_does_not_read() -> None:
    from aerena.training.sampler import BatchedSampler

    uav = None
    for cfg, off in (
        ({"learn": "defender"}, True),
        ({"learn": "defender", "opponent": "random"}, True),
        ({"learn": "attacker"}, False),  # the scripted defender reads its observations
    ):
        smp = BatchedSampler({"scenario": "tiny", "seed": 1, **cfg}, 2)
        w = smp.world
        uav = w.agent_role == Lo.AGENT_UAV
        learner = np.zeros(len(uav), bool)
        learner[smp.cols] = True
        assert w.observe[:, learner].all()
        assert (not w.observe[:, ~learner].any()) if off else w.observe.all()
    assert uav is not None and uav.any()
