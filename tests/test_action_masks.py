"""`action_masks()` on every Gymnasium env, in sb3-contrib's shape, against a slow reference."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

from aerena import graphs
from aerena.envs.airdefense.forms import multidiscrete_mask
from aerena.envs.airdefense.spaces import noop_actions

graphs.register_envs()

SMALL = {
    "aerena/TSP-v0": {"num_nodes": 9},
    "aerena/CVRP-v0": {"num_nodes": 9},
    "aerena/MVC-v0": {"num_nodes": 9},
    "aerena/MaxCut-v0": {"num_nodes": 9},
    "aerena/MaxCover-v0": {"num_sets": 9},
    "aerena/WTA-v0": {"num_weapons": 5, "num_targets": 4},
    "aerena/IM-v0": {"num_nodes": 12},
}


def test_every_graph_env_is_covered() -> None:
    assert set(SMALL) == set(graphs.ENV_IDS)


@pytest.mark.parametrize("env_id", sorted(SMALL))
def test_graph_env_action_masks(env_id: str) -> None:
    env = gymnasium.make(env_id, **SMALL[env_id]).unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.action_masks()
    rng = np.random.default_rng(0)
    for ep in range(3):
        obs, info = env.reset(seed=ep)
        done = False
        while not done:
            m = env.action_masks()
            assert m.dtype == np.bool_ and m.shape == (env.action_space.n,)
            np.testing.assert_array_equal(m, obs["action_mask"].astype(bool))
            np.testing.assert_array_equal(m, info["action_mask"].astype(bool))
            a = int(rng.choice(np.flatnonzero(m)))
            obs, _, done, _, info = env.step(a)
            assert not info["invalid_action"]


def reference_mask(env) -> np.ndarray:
    """Slow reference: per agent, its first n actions of the padded mask; dead -> no-op."""
    w = env.world
    noop = noop_actions(w)
    out = []
    for j, n in enumerate(env.cols):
        size = int(env.action_space.nvec[j])
        row = w.state.act_mask[0, n, :size].astype(bool)
        if not row.any():
            row = np.zeros(size, dtype=bool)
            row[noop[n]] = True
        out.append(row)
    return np.concatenate(out)


@pytest.mark.parametrize("side", ["attacker", "defender"])
def test_single_env_action_masks(side: str) -> None:
    env = gymnasium.make(
        "aerena/AirDefense-v2", scenario="tiny", side=side, opponent="scripted"
    ).unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.action_masks()
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(1)
    nvec = env.action_space.nvec
    starts = np.concatenate([[0], np.cumsum(nvec)[:-1]])
    saw_dead = False
    for _ in range(150):
        m = env.action_masks()
        assert m.dtype == np.bool_ and m.shape == (int(nvec.sum()),)
        np.testing.assert_array_equal(m, reference_mask(env))
        # agree with the observation's padded mask for live agents
        for j in np.flatnonzero(obs["agent_alive"]):
            seg = m[starts[j] : starts[j] + nvec[j]]
            np.testing.assert_array_equal(seg, obs["action_mask"][j, : nvec[j]].astype(bool))
        saw_dead |= not obs["agent_alive"].all()
        # sample one allowed action per dimension: never an invalid action
        a = np.array(
            [rng.choice(np.flatnonzero(m[s : s + n])) for s, n in zip(starts, nvec, strict=True)]
        )
        obs, _, term, trunc, info = env.step(a)
        assert info["invalid_actions"] == 0
        if term or trunc:
            obs, _ = env.reset()
    if side == "attacker":
        assert saw_dead  # UAVs wait on their carrier: the no-op-only rows were exercised


def test_multidiscrete_mask_random_reference() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 6))
        sizes = rng.integers(1, 7, n)
        mask = rng.random((n, 7)) < 0.4
        noop = np.array([rng.integers(0, s) for s in sizes])
        got = multidiscrete_mask(mask, sizes, noop)
        want = []
        for i in range(n):
            row = mask[i, : sizes[i]].copy()
            if not mask[i].any():
                row[noop[i]] = True
            want.append(row)
        np.testing.assert_array_equal(got, np.concatenate(want))
