"""Reward shaping (`shaping:`, aerena.training.shaping): the kernels against a NumPy
reference on random states, the potential's telescoping sum, the team returns and
outcomes left unshaped, and the experiment's validation. The B = 1 equality with SideEnv
(both env paths shape alike) is in tests/test_batched.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.world import World
from aerena.training.config import ExperimentError, experiment_for_scenario
from aerena.training.sampler import BatchedSampler
from aerena.training.shaping import Shaping, progress_potential, tracks_held


def ref_potential(w: World, b: int, a: int) -> float:
    s, st = w.state, w.static
    if s.air_status[b, a] == Lo.EXPENDED:
        return 1.0
    if s.air_status[b, a] != Lo.ACTIVE:
        return 0.0
    live = (st.gnd_kind == Lo.ASSET) & (s.gnd_hp[b] > 0)
    if not live.any():
        return 0.0
    d = np.hypot(*(s.gnd_pos[b, live, :2] - s.air_pos[b, a, :2]).T).min()
    W, H = w.scenario.map.size
    return max(0.0, 1.0 - d / math.hypot(W, H))


def ref_tracks(w: World, b: int, a: int) -> float:
    s, st = w.state, w.static
    n = 0
    for r, g in enumerate(st.radar_g):
        mem = s.gnd_par[b, g, Lo.GP_TRACK_MEMORY]
        if s.gnd_hp[b, g] > 0 and (s.t[b] - s.det_time[b, r, a]) / max(mem, 1e-9) <= 1.0:
            n += 1
    return float(n)


@pytest.mark.parametrize("scenario", ["tiny", "strike_small"])
def test_kernels_match_numpy_on_random_play(scenario: str) -> None:
    B = 4
    w = World(scenario, B)
    w.reset(list(range(100, 100 + B)))
    U, C = w.sizes["U"], w.static.n_carriers
    cols = np.arange(len(w.agent_names))  # every agent: non-UAV columns must read 0
    air = np.where(cols < U, C + cols, -1)
    W, H = w.scenario.map.size
    phi, tracks = np.zeros((B, len(cols))), np.zeros((B, len(cols)))
    rng = np.random.default_rng(0)
    seen = {"active": 0, "tracked": 0, "expended_or_lost": 0}
    for t in range(600):
        acts = np.zeros((B, len(cols)), np.int64)
        for b in range(B):
            for n in range(len(cols)):
                legal = np.flatnonzero(w.state.act_mask[b, n, : w.action_sizes[n]])
                acts[b, n] = rng.choice(legal) if len(legal) else 0
        w.step(acts)
        if t % 7:
            continue
        progress_potential(w.static, w.state, air, math.hypot(W, H), phi)
        tracks_held(w.static, w.state, air, tracks)
        for b in range(B):
            for n in range(len(cols)):
                if n >= U:
                    assert phi[b, n] == 0.0 and tracks[b, n] == 0.0
                    continue
                a = C + n
                assert phi[b, n] == pytest.approx(ref_potential(w, b, a), abs=1e-12)
                assert tracks[b, n] == ref_tracks(w, b, a)
                seen["active"] += int(w.state.air_status[b, a] == Lo.ACTIVE)
                seen["tracked"] += int(tracks[b, n] > 0)
                seen["expended_or_lost"] += int(w.state.air_status[b, a] >= Lo.KILLED)
    assert all(v > 0 for v in seen.values()), seen  # the random states covered each case


def _rule(role: str, obs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """A deterministic legal action per row (the lowest legal index but one when possible)."""
    m = obs["action_mask"].astype(bool)
    n = len(m)
    a = np.array([np.flatnonzero(r)[min(1, r.sum() - 1)] for r in m], np.int64)
    return a, np.zeros(n, np.float32), np.zeros((n, m.shape[1]), np.float32)


def _episode_rewards(cfg: dict[str, Any], episodes: int) -> tuple[dict, list[dict]]:
    """Per (episode, agent) summed rewards of world 0, and the finished outcomes."""
    smp = BatchedSampler({**cfg, "skip_forced": False}, 1)
    sums: dict[tuple[int, str], float] = {}
    order: dict[str, int] = {}  # episode ids are random: key by order of appearance
    while len(smp.finished) < episodes:
        for ch in smp.collect(150, _rule):
            e = order.setdefault(ch.episode_id, len(order))
            for sg in ch.segments:
                key = (e, sg.agent)
                sums[key] = sums.get(key, 0.0) + float(np.sum(sg.rewards))
    return sums, smp.finished[:episodes]


def test_progress_telescopes_and_outcomes_stay_unshaped() -> None:
    """The same episodes (the policy reads observations, not rewards) with and without
    the progress term: outcomes and team returns equal; each UAV's shaped minus unshaped
    return telescopes to -w x phi at its first step (<= 0), except for a UAV that
    delivered its warhead (phi ends at 1): no more UAVs gain than strikes leaked."""
    base = {"scenario": "tiny", "seed": 11, "learn": "attacker"}
    w = 2.0
    plain, out0 = _episode_rewards(base, 3)
    shaped, out1 = _episode_rewards({**base, "shaping": {"progress": w}}, 3)
    for a, b in zip(out0, out1, strict=True):
        for key in ("asset_value_destroyed", "return_attacker", "return_defender", "kills"):
            assert a[key] == pytest.approx(b[key], abs=1e-12), key
    keys = [k for k in plain if k[0] < 3]
    assert keys and all(k in shaped for k in keys)
    diffs = np.array([shaped[k] - plain[k] for k in keys])
    assert np.all(np.abs(diffs) <= w + 1e-9)
    assert np.any(np.abs(diffs) > 1e-3)  # the term did something
    assert (diffs > 1e-9).sum() <= sum(int(o["leakers"]) for o in out1)


def test_shaping_terms_change_uav_rewards_only_where_they_apply() -> None:
    """Exposure alone: every step a UAV is tracked costs w per radar, so the shaped
    return is never above the plain one and is below it for a tracked UAV."""
    base = {"scenario": "tiny", "seed": 5, "learn": "attacker"}
    plain, _ = _episode_rewards(base, 2)
    shaped, _ = _episode_rewards({**base, "shaping": {"exposure": 0.01}}, 2)
    diffs = np.array([shaped[k] - plain[k] for k in plain if k[0] < 2])
    assert np.all(diffs <= 1e-12)
    assert np.any(diffs < -1e-6)


def test_unknown_terms_are_refused() -> None:
    w = World("tiny", 1)
    with pytest.raises(ValueError, match="unknown term 'speed'"):
        Shaping(w, np.arange(2), {"speed": 1.0})


@pytest.mark.parametrize(
    "data, message",
    [
        ({"learn": "defender", "shaping": {"progress": 1.0}}, "shape UAV rewards"),
        ({"learn": "attacker", "shaping": {"progres": 1.0}}, "progres"),
        ({"learn": "attacker", "shaping": {"exposure": -1.0}}, "exposure"),
        ({"learn": "attacker", "target_plan": True, "shaping": {"progress": 1.0}}, "pilot"),
    ],
)
def test_experiment_validates_shaping(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ExperimentError, match=message):
        experiment_for_scenario("tiny", overrides=data)
