"""WTA fire control of the scripted defender (agents/scripted/wta_fire.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from aerena.agents.scripted import side_columns
from aerena.agents.scripted.attacker import ScriptedAttacker
from aerena.agents.scripted.compare import compare_fire_control
from aerena.agents.scripted.defender import ScriptedDefender
from aerena.agents.scripted.wta_fire import solve_one_to_one
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.world import World


@pytest.mark.parametrize("seed", range(20))
def test_one_to_one_assignment(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n = (int(x) for x in rng.integers(1, 6, size=2))
    p = rng.uniform(0.0, 1.0, size=(m, n)) * (rng.random((m, n)) < 0.7)
    v = rng.uniform(1.0, 10.0, size=n)
    a = solve_one_to_one(p, v)
    assert a.shape == (m,)
    fired = a[a >= 0]
    assert len(set(fired.tolist())) == len(fired)  # no target gets two weapons
    for i in range(m):
        if a[i] >= 0:
            assert p[i, a[i]] > 0.0
    # as many weapons fire as a maximum matching on p > 0 allows, or it is close: at least
    # every weapon with a free positive-p target fires
    taken = set(fired.tolist())
    for i in range(m):
        if a[i] < 0:
            assert all(p[i, j] == 0.0 or j in taken for j in range(n))
    # expected value destroyed within 25% of the best one-to-one assignment (brute force)
    best = 0.0
    for perm in itertools.permutations(range(max(m, n)), m):
        val = sum(v[j] * p[i, j] for i, j in enumerate(perm) if j < n)
        best = max(best, val)
    got = sum(v[a[i]] * p[i, a[i]] for i in range(m) if a[i] >= 0)
    assert got >= 0.75 * best - 1e-9


def test_default_is_greedy_and_bad_name() -> None:
    world = World("tiny", 1)
    assert ScriptedDefender(world).fire_control == "greedy"
    with pytest.raises(ValueError, match="fire_control"):
        ScriptedDefender(world, fire_control="wat")


@pytest.mark.parametrize("scenario", ["strike_small", "saturation"])
def test_wta_actions_are_legal_and_shoot_look_shoot(scenario: str) -> None:
    B = 2
    world = World(scenario, B)
    world.reset(list(range(7, 7 + B)))
    att = ScriptedAttacker(world, seed=0)
    dfd = ScriptedDefender(world, seed=1, fire_control="wta")
    att.reset()
    dfd.reset()
    ca, cd = side_columns(world, "attacker"), side_columns(world, "defender")
    U = int(world.sizes["U"])
    Lc = len(dfd.launcher_g)
    actions = np.zeros((B, world.sizes["N"]), dtype=np.int64)
    engagements = 0
    while True:
        if world.done.all():
            break
        s = world.state
        live = ~world.done
        actions[:, ca] = att.act()
        out = dfd.act()
        actions[:, cd] = out
        busy = np.zeros((B, int(world.sizes["A"])), np.int64)
        for b in np.flatnonzero(live):
            for i in range(int(s.int_used[b])):
                if s.int_status[b, i] == Lo.INT_FLYING:
                    busy[b, s.int_target[b, i]] += 1
            refs = []
            for l in range(Lc):
                k = int(out[b, l]) - 1
                if k < 0:
                    continue
                assert s.act_mask[b, U + l, 1 + k]
                a = int(s.obs_ref[b, U + l, k])
                # look before shooting again, unless due now (salvo_time 0, as greedy)
                assert busy[b, a] == 0 or (busy[b, a] == 1 and dfd._tti[b, a] <= 0.0)
                refs.append(a)
            assert len(refs) == len(set(refs))  # one new interceptor per track per step
            engagements += len(refs)
        world.step(actions, worlds=live)
        assert not world.state.invalid[:, cd].any()
    assert engagements > 0


def test_compare_runs() -> None:
    res = compare_fire_control("tiny", seeds=2, max_steps=60)
    assert set(res) == {"greedy", "wta"}
    for r in res.values():
        assert r["invalid_defender_actions"] == 0
        assert 0.0 <= r["asset_fraction_destroyed"] <= 1.0
