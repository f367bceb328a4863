"""The UAV terrain view (env v2, self features SF_PROFILE..) against a slow NumPy reference.

Random states: a real `strike_small` / `saturation` world played a few steps, then every
UAV is moved to a random position, heading, speed and altitude and the attacker's `known`
flags are redrawn at random (some radars known, some not, some destroyed), and the kernels'
observation is compared with the reference written plainly below from the env card.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense import observation
from aerena.envs.airdefense import spaces as Sp
from aerena.envs.airdefense.world import World

try:
    from tests.reference.terrain_ref import height_ref, line_of_sight_ref
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    from reference.terrain_ref import height_ref, line_of_sight_ref


def _ahead(w: World, par: np.ndarray, pos: np.ndarray, heading: float, speed: float, t: float):
    st = w.static
    x = min(max(pos[0] + speed * math.cos(heading) * t, 0.0), st.width)
    y = min(max(pos[1] + speed * math.sin(heading) * t, 0.0), st.height)
    ground = float(height_ref(st.heights, st.cell, [x], [y])[0])
    z = min(max(pos[2], ground + par[Lo.AP_ALT_MIN]), ground + par[Lo.AP_ALT_MAX])
    return (x, y, z), ground


def terrain_view_ref(w: World, b: int, a: int) -> np.ndarray:
    """Self features SF_PROFILE..S_DIM of UAV a in world b, from the env card."""
    st, s = w.static, w.state
    out = np.zeros(Lo.S_DIM - Lo.SF_PROFILE)
    pos = s.air_pos[b, a]
    par = s.air_par[b, a]
    h, v = float(s.air_heading[b, a]), float(s.air_speed[b, a])
    for q, t in enumerate(Lo.PROFILE_S):
        _, ground = _ahead(w, par, pos, h, v, t)
        out[q] = (ground - pos[2]) / 1000.0
    known = [g for g in range(len(st.gnd_kind)) if s.known[b, g] and s.gnd_hp[b, g] > 0.0]
    d2 = {g: float(np.sum((s.gnd_pos[b, g, :2] - pos[:2]) ** 2)) for g in known}
    radars = [g for g in known if st.gnd_kind[g] == Lo.RADAR]
    assets = [g for g in known if st.gnd_kind[g] == Lo.ASSET]
    o = Lo.SF_RADAR_KNOWN - Lo.SF_PROFILE
    if radars:
        g = min(radars, key=lambda g: (d2[g], g))
        mast = s.gnd_pos[b, g] + np.array([0.0, 0.0, s.gnd_par[b, g, Lo.GP_MAST]])
        gp = s.gnd_par[b, g]
        # Pd < 1e-6 beyond range * (rcs / rcs_ref)^(1/4) * 10^(13.82 / (40 slope))
        reach = gp[Lo.GP_RANGE] * (par[Lo.AP_RCS] / gp[Lo.GP_RCS_REF]) ** 0.25
        reach *= 10.0 ** (13.82 / (40.0 * max(gp[Lo.GP_PD_SLOPE], 0.1)))

        def sees(p) -> bool:
            near = np.linalg.norm(np.asarray(p) - mast) <= reach
            return bool(near and line_of_sight_ref(st.heights, st.cell, mast, p))

        out[o] = 1.0
        out[o + 1] = sees(pos)
        for q, t in enumerate(Lo.LOOKAHEAD_S):
            p, _ = _ahead(w, par, pos, h, v, t)
            out[o + 2 + q] = sees(p)
    o = Lo.SF_ASSET_KNOWN - Lo.SF_PROFILE
    if assets:
        g = min(assets, key=lambda g: (d2[g], g))
        d = math.sqrt(d2[g])
        rel = s.gnd_pos[b, g, :2] - pos[:2]
        out[o] = 1.0
        out[o + 1] = d / st.range_scale
        if d > 0.0:
            closing = v * (math.cos(h) * rel[0] + math.sin(h) * rel[1]) / d
            out[o + 2] = closing / par[Lo.AP_SPEED_MAX]
    return out


def _randomise(w: World, rng: np.random.Generator) -> None:
    st, s = w.static, w.state
    B, A = s.air_status.shape
    for b in range(B):
        for a in range(st.n_carriers, A):
            s.air_status[b, a] = Lo.ACTIVE if rng.random() < 0.8 else Lo.KILLED
            x, y = rng.uniform(0, st.width), rng.uniform(0, st.height)
            ground = float(height_ref(st.heights, st.cell, [x], [y])[0])
            par = s.air_par[b, a]
            z = ground + rng.uniform(par[Lo.AP_ALT_MIN], par[Lo.AP_ALT_MAX])
            s.air_pos[b, a] = (x, y, z)
            s.air_heading[b, a] = rng.uniform(-math.pi, math.pi)
            s.air_speed[b, a] = rng.uniform(par[Lo.AP_SPEED_MIN], par[Lo.AP_SPEED_MAX])
        s.known[b] = rng.random(s.known.shape[1]) < 0.6
        dead = rng.random(s.gnd_hp.shape[1]) < 0.15
        s.gnd_hp[b, dead] = 0.0


@pytest.mark.parametrize("name", ["strike_small", "saturation"])
def test_terrain_view_matches_reference_on_random_states(name: str) -> None:
    rng = np.random.default_rng(14)
    w = World(name, 2)
    w.reset([3, 4])
    bounds = Sp.compute_bounds(w)
    counts = np.zeros(4, np.int64)  # radar known, seen now, unseen now, closing < 0
    for _ in range(6):
        _randomise(w, rng)
        observation.observe_all(w.static, w.state, np.ones(2, np.bool_))
        s = w.state
        for b in range(2):
            for a in range(w.static.n_carriers, s.air_status.shape[1]):
                n = a - w.static.n_carriers
                got = s.obs_self[b, n]
                if s.air_status[b, a] != Lo.ACTIVE:
                    assert not np.any(got)
                    continue
                want = terrain_view_ref(w, b, a)
                np.testing.assert_allclose(got[Lo.SF_PROFILE :], want, rtol=1e-5, atol=1e-6)
                assert np.all(got >= bounds.self_low) and np.all(got <= bounds.self_high)
                if want[Lo.SF_RADAR_KNOWN - Lo.SF_PROFILE]:
                    counts[0] += 1
                    counts[1 + int(want[Lo.SF_LOS - Lo.SF_PROFILE] == 0)] += 1
                counts[3] += want[-1] < 0
        # launchers and radars get zeros in the UAV terrain view
        U = s.air_status.shape[1] - w.static.n_carriers
        assert not np.any(s.obs_self[:, U:, Lo.SF_PROFILE :])
    assert np.all(counts > 0), counts  # seen and unseen UAVs, receding UAVs all occur


def test_terrain_view_uses_only_known_radars() -> None:
    """Ground truth of unseen radars never leaks: with no radar known, 20-23 are all 0."""
    w = World("strike_small", 1)
    w.reset([0])
    s, st = w.state, w.static
    s.known[0, st.radar_g] = False
    observation.observe_all(st, s, np.ones(1, np.bool_))
    U = s.air_status.shape[1] - st.n_carriers
    cols = slice(Lo.SF_RADAR_KNOWN, Lo.SF_ASSET_KNOWN)
    assert not np.any(s.obs_self[0, :U, cols])
    s.known[0, st.radar_g[0]] = True
    observation.observe_all(st, s, np.ones(1, np.bool_))
    live = s.air_status[0, st.n_carriers :] == Lo.ACTIVE
    assert np.all(s.obs_self[0, :U, Lo.SF_RADAR_KNOWN][live] == 1.0)
