"""The Numba world kernels against the slow references in tests/reference/world_ref.py.

Every test draws its cases from a seeded NumPy generator, puts them into a real `World`
(the shipped `tiny`, `strike_small` and `saturation` scenarios) or passes them straight to a
kernel, and compares with the reference. Branch counters make sure the random cases really
reach the branches they are meant to test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from aerena import rng as aerena_rng
from aerena.envs.airdefense import (
    engagement,
    kernels,
    kernels_common,
    obs_parts,
    observation,
    sensing,
)
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.world import World

try:
    from tests.reference import world_ref as ref
    from tests.reference.terrain_ref import height_ref
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    from reference import world_ref as ref
    from reference.terrain_ref import height_ref


def _world(name: str, B: int = 1, seed: int = 0) -> World:
    w = World(name, B)
    w.reset(list(range(seed, seed + B)))
    return w


def _ground(w: World, x: float, y: float) -> float:
    return float(height_ref(w.static.heights, w.static.cell, [x], [y])[0])


def _all(w: World) -> np.ndarray:
    return np.ones(w.num_worlds, dtype=np.bool_)


def _only(w: World, b: int) -> np.ndarray:
    mask = np.zeros(w.num_worlds, dtype=np.bool_)
    mask[b] = True
    return mask


# The kernels' calling conventions, in one place.
def _build_grid(w: World, b: int) -> None:
    s, st = w.state, w.static
    kernels_common.build_grid(
        st.grid_n, st.grid_cell, s.air_status, s.air_pos, s.grid_start, s.grid_items, b
    )


def _nearest_friends(w: World, b: int, me: int, k: int, keys, idx, cand, out) -> int:
    s, st = w.state, w.static
    return obs_parts.nearest_friends(
        st.grid_n, st.grid_cell, s.grid_start, s.grid_items, s.air_status, s.air_pos,
        b, me, k, keys, idx, cand, out,
    )  # fmt: skip


def _can_engage(w: World, b: int, l: int, a: int) -> bool:
    s, st = w.state, w.static
    return obs_parts.launcher_can_engage(
        st.heights, st.cell, st.launcher_g, s.gnd_par, s.gnd_hp, s.gnd_pos, s.stock,
        s.reload_left, s.air_status, s.air_par, s.air_pos, b, l, a,
    )  # fmt: skip


def _interceptor_phase(w: World, b: int) -> None:
    engagement.interceptor_phase(w.static, w.state, _only(w, b))


def _radar_phase(w: World, b: int) -> None:
    sensing.radar_phase(w.static, w.state, _only(w, b))


def _reward_phase(w: World, b: int, before: np.ndarray) -> None:
    all_before = np.zeros((w.num_worlds, 4))
    all_before[b] = before
    kernels.reward_phase(w.static, w.state, all_before, _only(w, b))


# --------------------------------------------------------------------------------------
# kinematics
# --------------------------------------------------------------------------------------
def _randomise_air(w: World, rng: np.random.Generator) -> None:
    """Every UAV active in a random state; carriers at random places and velocities."""
    s, st = w.state, w.static
    C, A = w.sizes["C"], w.sizes["A"]
    W, H = st.width, st.height
    for b in range(w.num_worlds):
        for a in range(A):
            par = s.air_par[b, a]
            edge = rng.random() < 0.25
            if edge:  # within a step of an edge: some leave the map
                x = rng.choice([rng.uniform(0, 80), rng.uniform(W - 80, W)])
                y = rng.uniform(0, H)
                if rng.random() < 0.5:
                    x, y = (
                        rng.uniform(0, W),
                        rng.choice([rng.uniform(0, 80), rng.uniform(H - 80, H)]),
                    )
            else:
                x, y = rng.uniform(0, W), rng.uniform(0, H)
            g = _ground(w, x, y)
            if a < C:
                par[Lo.AP_VX], par[Lo.AP_VY] = rng.uniform(-60, 60, size=2)
                s.air_pos[b, a] = (x, y, g + par[Lo.AP_LAUNCH_ALT])
                continue
            z = g + rng.uniform(par[Lo.AP_ALT_MIN] - 300, par[Lo.AP_ALT_MAX] + 300)
            if rng.random() < 0.2:  # near the floor or the ceiling: the clamp matters
                lim = par[Lo.AP_ALT_MIN] if rng.random() < 0.5 else par[Lo.AP_ALT_MAX]
                z = g + lim + rng.uniform(-8, 8)
            s.air_pos[b, a] = (x, y, z)
            s.air_status[b, a] = Lo.ACTIVE
            s.air_heading[b, a] = rng.uniform(-math.pi, math.pi)
            s.air_speed[b, a] = rng.uniform(0, 100)
            s.air_fuel[b, a] = rng.uniform(0, 3) if rng.random() < 0.2 else rng.uniform(5, 3000)
            s.air_jam[b, a] = st.air_role[a] == Lo.JAMMER and rng.random() < 0.5
    s.int_status[:] = Lo.INT_FREE
    s.int_used[:] = 0
    observation.observe_all(st, s, _all(w))


@pytest.mark.parametrize("name", ["tiny", "strike_small"])
def test_uav_kinematics_match_reference(name: str) -> None:
    w = _world(name, B=4)
    s, st = w.state, w.static
    C, U = w.sizes["C"], w.sizes["U"]
    rng = np.random.default_rng(1234)
    seen = {"cases": 0, "left": 0, "crash": 0, "invalid": 0, "clamp": 0, "jam": 0, "carrier": 0}
    for _ in range(25):
        _randomise_air(w, rng)
        before = {k: getattr(s, k).copy() for k in ("air_pos", "air_heading", "air_fuel")}
        jam0 = s.air_jam.copy()
        legal = s.act_mask.copy()
        actions = np.zeros((w.num_worlds, w.sizes["N"]), np.int64)
        actions[:, :U] = rng.integers(0, Lo.UAV_ACTIONS, size=(w.num_worlds, U))
        w.step(actions)
        for b in range(w.num_worlds):
            kinds = s.events[b, : s.n_events[b], 1].astype(int)
            who = s.events[b, : s.n_events[b], 2].astype(int)
            for a in range(C):
                x, y, z = ref.carrier_step_ref(
                    before["air_pos"][b, a], s.air_par[b, a], st.dt, st.width, st.height,
                    st.heights, st.cell,
                )  # fmt: skip
                np.testing.assert_allclose(s.air_pos[b, a], (x, y, z), rtol=1e-12, atol=1e-9)
                seen["carrier"] += 1
            for j in range(U):
                a = C + j
                if s.air_status[b, a] == Lo.EXPENDED:  # a strike UAV hit a ground object
                    continue
                out = ref.uav_step_ref(
                    before["air_pos"][b, a], before["air_heading"][b, a],
                    before["air_fuel"][b, a], jam0[b, a], int(actions[b, j]), legal[b, j],
                    s.air_par[b, a], st.dt, st.width, st.height, st.heights, st.cell,
                )  # fmt: skip
                msg = f"{name} world {b} uav {j} action {actions[b, j]}"
                assert s.invalid[b, j] == out.invalid, msg
                assert s.air_status[b, a] == out.status, msg
                np.testing.assert_allclose(
                    s.air_pos[b, a], (out.x, out.y, out.z), rtol=1e-12, atol=1e-7, err_msg=msg
                )
                assert ref.angle_diff(s.air_heading[b, a], out.heading) < 1e-12, msg
                assert -math.pi <= s.air_heading[b, a] <= math.pi, msg
                assert s.air_speed[b, a] == out.speed, msg
                assert s.air_fuel[b, a] == pytest.approx(out.fuel, rel=1e-12, abs=1e-12), msg
                assert s.air_jam[b, a] == out.jam, msg
                if out.status == Lo.ACTIVE and out.jam != jam0[b, a]:
                    ev = Lo.EV_JAM_ON if out.jam else Lo.EV_JAM_OFF
                    assert np.any((kinds == ev) & (who == a)), msg
                    seen["jam"] += 1
                seen["cases"] += 1
                seen["left"] += out.status == Lo.LEFT_MAP
                seen["crash"] += out.status == Lo.CRASHED
                seen["invalid"] += out.invalid
                act = Lo.UAV_NOOP if out.invalid else int(actions[b, j])
                climb = ref.decode_uav_action(act)[2]
                rate = s.air_par[b, a, Lo.AP_CLIMB_RATE]
                z_free = before["air_pos"][b, a, 2] + climb * rate * st.dt
                seen["clamp"] += abs(out.z - z_free) > 1e-9
    assert seen["cases"] >= 250, seen
    for key in ("left", "crash", "clamp", "carrier"):
        assert seen[key] > 0, seen
    if name == "tiny":  # no jammer: every jam action is masked and replaced by the no-op
        assert seen["invalid"] > 0, seen
    else:
        assert seen["jam"] > 0, seen


def test_action_decoding_covers_the_space() -> None:
    """The reference decoding is a bijection onto jam x turn x climb x speed, and the no-op."""
    seen = {ref.decode_uav_action(a) for a in range(Lo.UAV_ACTIONS)}
    assert len(seen) == Lo.UAV_ACTIONS
    assert ref.decode_uav_action(Lo.UAV_NOOP) == (0, 0, 0, 1)


def test_heading_turns_accumulate() -> None:
    """Holding a turn for a full circle brings the heading back (wrapped, no drift)."""
    w = _world("tiny", B=1)
    s, st = w.state, w.static
    C, U = w.sizes["C"], w.sizes["U"]
    a = C
    s.air_status[0, C:] = Lo.ACTIVE
    s.air_pos[0, a] = (5000.0, 5000.0, 500.0)
    s.air_fuel[0, a] = 1e9
    s.air_heading[0, a] = 0.3
    observation.observe_all(st, s, _all(w))
    rate = s.air_par[0, a, Lo.AP_TURN_RATE]
    act = np.full((1, w.sizes["N"]), 0, np.int64)
    act[0, :U] = Lo.UAV_NOOP
    act[0, 0] = 2 * 9 + 1 * 3 + 0  # turn left (+1), hold altitude, slow
    h = 0.3
    for _ in range(60):
        w.step(act)
        h = ref.wrap_ref(h + rate * st.dt)
        assert ref.angle_diff(s.air_heading[0, a], h) < 1e-9
        assert -math.pi <= s.air_heading[0, a] <= math.pi


# --------------------------------------------------------------------------------------
# detection
# --------------------------------------------------------------------------------------
def test_detection_probability_matches_formula() -> None:
    rng = np.random.default_rng(7)
    for _ in range(500):
        rcs = 10 ** rng.uniform(-2, 2)
        rcs_ref = 10 ** rng.uniform(-1, 1)
        r0 = 10 ** rng.uniform(3, 5)
        slope = rng.uniform(0.1, 3.0)
        dist = 10 ** rng.uniform(0, 5.5)
        jam = 0.0 if rng.random() < 0.3 else 10 ** rng.uniform(-3, 4)
        got = sensing.detection_probability(rcs, rcs_ref, r0, slope, dist, jam)
        want = ref.detection_probability_ref(rcs, rcs_ref, r0, slope, dist, jam)
        assert 0.0 <= got <= 1.0
        assert got == pytest.approx(want, rel=1e-10, abs=1e-300)


def test_pd_is_one_half_at_reference_range() -> None:
    rng = np.random.default_rng(8)
    for _ in range(200):
        rcs_ref = 10 ** rng.uniform(-1, 1)
        r0 = 10 ** rng.uniform(3, 5)
        slope = rng.uniform(0.1, 3.0)
        assert sensing.detection_probability(rcs_ref, rcs_ref, r0, slope, r0, 0.0) == pytest.approx(
            0.5
        )
        # another cross-section: Pd = 1/2 where S = 1, R = r0 (rcs / rcs_ref)^(1/4)
        rcs = 10 ** rng.uniform(-2, 2)
        R = r0 * (rcs / rcs_ref) ** 0.25
        assert sensing.detection_probability(rcs, rcs_ref, r0, slope, R, 0.0) == pytest.approx(0.5)


def test_pd_decreases_with_range_and_with_jamming() -> None:
    rng = np.random.default_rng(9)
    for _ in range(200):
        rcs, rcs_ref = 10 ** rng.uniform(-2, 2), 10 ** rng.uniform(-1, 1)
        r0, slope = 10 ** rng.uniform(3, 5), rng.uniform(0.1, 2.0)
        jam = 10 ** rng.uniform(-2, 3)
        dists = np.sort(10 ** rng.uniform(1, 5.5, size=40))
        pd = np.array(
            [sensing.detection_probability(rcs, rcs_ref, r0, slope, d, 0.0) for d in dists]
        )
        pj = np.array(
            [sensing.detection_probability(rcs, rcs_ref, r0, slope, d, jam) for d in dists]
        )
        assert np.all(np.diff(pd) <= 0.0)
        assert np.all(np.diff(pj) <= 0.0)
        assert np.all(pj <= pd)
        inside = (pd > 1e-9) & (pd < 1 - 1e-9)  # away from saturation: strictly
        assert np.all(pj[inside] < pd[inside])
        assert np.all(np.diff(pd)[inside[1:] & inside[:-1]] < 0.0)


def _signal_from_pd(pd: float, slope: float) -> float:
    """Invert Pd = 1 / (1 + exp(-slope * 10 log10 S)) for S (no jamming)."""
    return 10 ** (math.log(pd / (1.0 - pd)) / (10.0 * slope))


def test_self_screening_jammer_burn_through() -> None:
    """With J = P / R^2 from the jammer itself, Pd grows as it closes in, and the signal
    overtakes the noise (S = J) at R = sqrt(rcs / rcs_ref * r0^4 / P)."""
    w = _world("strike_small", B=1)
    s, st = w.state, w.static
    a = int(np.flatnonzero(w.roster.air_role == Lo.JAMMER)[0])
    r = 0
    g = int(st.radar_g[r])
    gp = s.gnd_par[0, g]
    rx, ry = s.gnd_pos[0, g, 0], s.gnd_pos[0, g, 1]
    rz = float(st.heights.max()) + 500.0  # the antenna (as the kernels see it) above the hills
    par = s.air_par[0, a]
    rcs, P = par[Lo.AP_RCS], par[Lo.AP_JAM_POWER]
    r0, rcs_ref = gp[Lo.GP_RANGE], gp[Lo.GP_RCS_REF]
    s.air_status[0, :] = Lo.WAITING
    s.air_status[0, a] = Lo.ACTIVE
    s.air_jam[0, a] = True
    s.air_heading[0, a] = 0.0  # flying east, straight at the radar: inside its cone

    def J_at(R: float) -> float:
        s.air_pos[0, a] = (rx - R, ry, rz)  # same height: the line of sight is level
        return sensing.jamming_at(st, s, 0, rx, ry, rz)

    Rs = np.geomspace(500.0, 40000.0, 60)
    Js = np.array([J_at(R) for R in Rs])
    np.testing.assert_allclose(Js, P / Rs**2, rtol=1e-12)
    pd = np.array(
        [
            sensing.detection_probability(rcs, rcs_ref, r0, 1.0, R, J)
            for R, J in zip(Rs, Js, strict=True)
        ]
    )
    assert np.all(np.diff(pd) < 0.0)  # closer is easier, jammer or not
    # where S = J, found numerically from the kernels (slope 0.05 keeps Pd off saturation)
    slope = 0.05

    def excess(R: float) -> float:
        S = _signal_from_pd(sensing.detection_probability(rcs, rcs_ref, r0, slope, R, 0.0), slope)
        return math.log(S / J_at(R))

    lo, hi = 100.0, 100000.0
    assert excess(lo) > 0 > excess(hi)
    for _ in range(80):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
    R_bt = math.sqrt(rcs / rcs_ref * r0**4 / P)
    assert lo == pytest.approx(R_bt, rel=1e-6)
    if (rcs, rcs_ref, r0, P) == (1.0, 1.0, 25000.0, 2.8e10):  # the claim in base.yaml
        assert 3600 < R_bt < 3800


# --------------------------------------------------------------------------------------
# jamming
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tiny", "strike_small"])
def test_jamming_matches_reference(name: str) -> None:
    w = _world(name, B=2)
    s, st = w.state, w.static
    C, A = w.sizes["C"], w.sizes["A"]
    rng = np.random.default_rng(99)
    seen = {"nonzero": 0, "cone_out": 0, "blocked": 0, "above": 0}
    for case in range(200):
        b = case % 2
        rx, ry = rng.uniform(0, st.width), rng.uniform(0, st.height)
        rz = _ground(w, rx, ry) + rng.uniform(5, 40)
        for a in range(A):
            ang = rng.uniform(0, 2 * math.pi)
            dist = rng.uniform(0, 8000) if rng.random() < 0.9 else 0.0
            x = min(max(rx + dist * math.cos(ang), 0.0), st.width)
            y = min(max(ry + dist * math.sin(ang), 0.0), st.height)
            s.air_pos[b, a] = (x, y, _ground(w, x, y) + rng.uniform(0, 500))
            if dist == 0.0:
                s.air_pos[b, a, :2] = (rx, ry)
                s.air_pos[b, a, 2] = rz + rng.uniform(10, 500)
            s.air_status[b, a] = Lo.ACTIVE if rng.random() < 0.85 else Lo.KILLED
            s.air_jam[b, a] = rng.random() < 0.8
            s.air_par[b, a, Lo.AP_JAM_POWER] = 10 ** rng.uniform(6, 11)
            s.air_par[b, a, Lo.AP_JAM_COS] = rng.uniform(-0.5, 1.0)
            # aim roughly at the radar half the time, anywhere otherwise
            to = math.atan2(ry - y, rx - x)
            s.air_heading[b, a] = (
                to + rng.normal(0, 0.6) if rng.random() < 0.5 else rng.uniform(-math.pi, math.pi)
            )
        got = sensing.jamming_at(st, s, b, rx, ry, rz)
        want = ref.jamming_ref(
            s.air_pos[b], s.air_heading[b], s.air_status[b], s.air_jam[b], s.air_par[b], C,
            st.heights, st.cell, (rx, ry, rz),
        )  # fmt: skip
        assert got == pytest.approx(want, rel=1e-12, abs=0.0), f"case {case}"
        seen["nonzero"] += want > 0
        for a in range(C, A):  # which rule excluded which jammer (for the counters)
            if not (s.air_jam[b, a] and s.air_status[b, a] == Lo.ACTIVE):
                continue
            to = np.array([rx, ry, rz]) - s.air_pos[b, a]
            hd = math.hypot(to[0], to[1])
            if hd == 0.0:
                seen["above"] += 1
                continue
            c = (to[0] * math.cos(s.air_heading[b, a]) + to[1] * math.sin(s.air_heading[b, a])) / hd
            if c < s.air_par[b, a, Lo.AP_JAM_COS]:
                seen["cone_out"] += 1
            elif not ref.line_of_sight_ref(st.heights, st.cell, s.air_pos[b, a], (rx, ry, rz)):
                seen["blocked"] += 1
    assert seen["nonzero"] > 50 and seen["cone_out"] > 20, seen
    assert seen["above"] > 0, seen
    if name == "strike_small":  # hills: some jammers are masked by the terrain
        assert seen["blocked"] > 0, seen


# --------------------------------------------------------------------------------------
# engagement geometry
# --------------------------------------------------------------------------------------
def _rand_point(rng: np.random.Generator, scale: float = 1000.0) -> np.ndarray:
    return rng.uniform(-scale, scale, size=3)


def test_closest_approach2_matches_dense_sampling() -> None:
    rng = np.random.default_rng(11)
    for case in range(300):
        a0, a1, b0, b1 = (_rand_point(rng) for _ in range(4))
        if case % 10 == 0:  # same displacement: the distance never changes
            b1 = b0 + (a1 - a0)
        if case % 10 == 1:  # both at rest
            a1, b1 = a0.copy(), b0.copy()
        if case % 10 == 2:  # they meet exactly half-way
            m = _rand_point(rng)
            a1 = a0 + 2 * (m - a0)
            b1 = b0 + 2 * (m - b0)
        got = kernels_common.closest_approach2(a0, a1, b0, b1)
        dense, err = ref.closest_approach2_dense(a0, a1, b0, b1)
        assert got <= dense + 1e-9 * (1 + dense)
        assert got >= dense - err - 1e-9 * (1 + dense)
        if case % 10 == 2:
            assert got == pytest.approx(0.0, abs=1e-12 * (1 + float(np.dot(a0, a0))))
        # never more than the end points' distances
        assert got <= min(np.sum((a0 - b0) ** 2), np.sum((a1 - b1) ** 2)) * (1 + 1e-12)


def test_segment_point_dist2_matches_dense_sampling() -> None:
    rng = np.random.default_rng(12)
    for case in range(300):
        p0, p1, q = (_rand_point(rng) for _ in range(3))
        if case % 10 == 0:
            p1 = p0.copy()
        d2, tau = kernels_common.segment_point_dist2(p0, p1, q)
        dense, tau_d, err = ref.segment_point_dist2_dense(p0, p1, q)
        assert 0.0 <= tau <= 1.0
        assert d2 <= dense + 1e-9 * (1 + dense)
        assert d2 >= dense - err - 1e-9 * (1 + dense)
        # the reported parameter is where that distance is attained
        pt = p0 + tau * (p1 - p0)
        assert d2 == pytest.approx(float(np.sum((pt - q) ** 2)), rel=1e-9, abs=1e-9)
        if case % 10 != 0:
            assert abs(tau - tau_d) <= 1.0 / 4000 + 1e-9


def test_launcher_can_engage_matches_envelope() -> None:
    w = _world("strike_small", B=1)
    s, st = w.state, w.static
    C, A = w.sizes["C"], w.sizes["A"]
    rng = np.random.default_rng(13)
    seen = {"yes": 0, "no": 0, "too_close": 0, "too_far": 0, "too_high": 0}
    for case in range(400):
        l = case % len(st.launcher_g)
        g = int(st.launcher_g[l])
        gp = s.gnd_par[0, g]
        a = int(rng.integers(0, A))
        s.gnd_hp[0, g] = 0.0 if rng.random() < 0.1 else gp[Lo.GP_HP_MAX]
        s.stock[0, l] = 0 if rng.random() < 0.1 else rng.integers(1, 5)
        s.reload_left[0, l] = rng.uniform(0.1, 5) if rng.random() < 0.1 else 0.0
        s.air_status[0, a] = Lo.ACTIVE if rng.random() < 0.85 else rng.choice([0, 2, 3, 4, 5])
        rmax = gp[Lo.GP_RANGE_MAX]
        d = (
            rng.uniform(0, 1.2 * rmax)
            if rng.random() < 0.7
            else rng.uniform(0, 2 * gp[Lo.GP_RANGE_MIN])
        )
        ang = rng.uniform(0, 2 * math.pi)
        x = min(max(s.gnd_pos[0, g, 0] + d * math.cos(ang), 0.0), st.width)
        y = min(max(s.gnd_pos[0, g, 1] + d * math.sin(ang), 0.0), st.height)
        agl = rng.uniform(-20, 1.3 * gp[Lo.GP_ALT_MAX])
        s.air_pos[0, a] = (x, y, _ground(w, x, y) + agl)
        got = _can_engage(w, 0, l, a)
        want = ref.launcher_can_engage_ref(
            s.gnd_hp[0, g] > 0, int(s.stock[0, l]), s.reload_left[0, l], int(s.air_status[0, a]),
            s.air_par[0, a, Lo.AP_DETECTABLE], s.gnd_pos[0, g], s.air_pos[0, a], gp,
            st.heights, st.cell,
        )  # fmt: skip
        assert got == want, (
            f"case {case}: launcher {l} target {a} ({'carrier' if a < C else 'uav'})"
        )
        seen["yes" if want else "no"] += 1
        rng3 = float(np.linalg.norm(s.air_pos[0, a] - s.gnd_pos[0, g]))
        seen["too_close"] += rng3 < gp[Lo.GP_RANGE_MIN]
        seen["too_far"] += rng3 > rmax
        seen["too_high"] += agl > gp[Lo.GP_ALT_MAX]
    assert all(v > 10 for v in seen.values()), seen


# --------------------------------------------------------------------------------------
# interceptor flight
# --------------------------------------------------------------------------------------
def test_interceptor_pursuit_matches_reference() -> None:
    w = _world("tiny", B=1)
    s, st = w.state, w.static
    C = w.sizes["C"]
    a = C  # the target: the first UAV
    l = 0
    g = int(st.launcher_g[l])
    rng = np.random.default_rng(21)
    seen = {"kill": 0, "miss_pk0": 0, "timeout": 0}
    for case in range(150):
        s.air_status[0, :] = Lo.WAITING
        s.air_status[0, a] = Lo.ACTIVE
        s.air_par[0, a, Lo.AP_COST] = 1.0
        start = np.array([rng.uniform(0, 10000), rng.uniform(0, 10000), rng.uniform(50, 1500)])
        speed_t = rng.uniform(20, 80)
        hd, climb = rng.uniform(-math.pi, math.pi), rng.uniform(-5, 5)
        vel = np.array([speed_t * math.cos(hd), speed_t * math.sin(hd), climb])
        gp = s.gnd_par[0, g]
        gp[Lo.GP_INT_SPEED] = rng.uniform(150, 700)
        gp[Lo.GP_LETHAL] = rng.uniform(5, 60)
        pk = float(rng.integers(0, 2))
        gp[Lo.GP_PK] = pk
        t_flight = rng.uniform(3, 40)
        p_start = start + rng.uniform(-12000, 12000, size=3) * (1, 1, 0.05)
        s.int_status[0, :] = Lo.INT_FREE
        s.int_used[0] = 1
        s.int_status[0, 0] = Lo.INT_FLYING
        s.int_target[0, 0] = a
        s.int_launcher[0, 0] = l
        s.int_time_left[0, 0] = t_flight
        s.int_pos[0, 0] = p_start
        s.kills[0] = 0
        s.air_pos[0, a] = start
        path = [(start + k * st.dt * vel, start + (k + 1) * st.dt * vel) for k in range(45)]
        want_path, end_step, result = ref.interceptor_chase_ref(
            p_start, path, gp[Lo.GP_INT_SPEED], t_flight, gp[Lo.GP_LETHAL], st.dt, st.substeps
        )
        for k, (q0, q1) in enumerate(path):
            s.air_prev[0, a] = q0
            s.air_pos[0, a] = q1
            s.n_events[0] = 0
            _interceptor_phase(w, 0)
            np.testing.assert_allclose(s.int_pos[0, 0], want_path[k], rtol=1e-9, atol=1e-6)
            kinds = s.events[0, : s.n_events[0], 1].astype(int)
            if k < end_step or end_step < 0:
                assert s.int_status[0, 0] == Lo.INT_FLYING, f"case {case} step {k}"
                assert s.n_events[0] == 0
                continue
            assert s.int_status[0, 0] == Lo.INT_DONE, f"case {case} step {k}"
            if result == 1 and pk == 1.0:
                assert s.air_status[0, a] == Lo.KILLED and s.kills[0] == 1
                assert list(kinds) == [Lo.EV_INTERCEPT_KILL], f"case {case}"
                seen["kill"] += 1
            else:
                assert s.air_status[0, a] == Lo.ACTIVE and s.kills[0] == 0
                assert list(kinds) == [Lo.EV_INTERCEPT_MISS], f"case {case}"
                seen["miss_pk0" if result == 1 else "timeout"] += 1
            break
    assert all(v > 10 for v in seen.values()), seen


def test_interceptor_self_destructs_when_target_is_gone() -> None:
    w = _world("tiny", B=1)
    s = w.state
    a = w.sizes["C"]
    s.air_status[0, a] = Lo.KILLED
    s.int_used[0] = 1
    s.int_status[0, 0] = Lo.INT_FLYING
    s.int_target[0, 0] = a
    s.int_launcher[0, 0] = 0
    s.int_time_left[0, 0] = 30.0
    s.int_pos[0, 0] = (100.0, 100.0, 100.0)
    s.n_events[0] = 0
    _interceptor_phase(w, 0)
    assert s.int_status[0, 0] == Lo.INT_DONE
    assert s.events[0, 0, 1] == Lo.EV_INTERCEPT_MISS and s.n_events[0] == 1
    np.testing.assert_array_equal(s.int_pos[0, 0], (100.0, 100.0, 100.0))


# --------------------------------------------------------------------------------------
# top-k, spatial grid, nearest friends, radar scan
# --------------------------------------------------------------------------------------
def test_top_k_matches_stable_argsort() -> None:
    rng = np.random.default_rng(31)
    for case in range(400):
        n = int(rng.integers(0, 60))
        k = int(rng.integers(1, 20))
        if case % 2:
            keys = rng.integers(0, 6, size=n + 5).astype(np.float64)  # many ties
        else:
            keys = rng.uniform(-1, 1, size=n + 5)
        keys[n:] = -1e9  # beyond n: must be ignored
        out = np.full(k, -7, np.int32)
        m = obs_parts.top_k(keys, n, k, out)
        want = ref.top_k_ref(keys[:n], k)
        assert m == len(want), f"case {case}"
        np.testing.assert_array_equal(out[:m], want, err_msg=f"case {case}: n={n} k={k}")


def _scatter_air(w: World, rng: np.random.Generator, b: int = 0) -> None:
    """Random air positions: uniform, in tight clusters, on cell borders and map edges."""
    s, st = w.state, w.static
    A = w.sizes["A"]
    W, H = st.width, st.height
    centres = rng.uniform(0, 1, size=(3, 2)) * (W, H)
    for a in range(A):
        u = rng.random()
        if u < 0.4:
            x, y = rng.uniform(0, W), rng.uniform(0, H)
        elif u < 0.75:
            c = centres[rng.integers(0, 3)]
            x, y = c + rng.normal(0, 0.02 * W, size=2)
        elif u < 0.9:  # exactly on a grid line
            x = st.grid_cell * rng.integers(0, st.grid_n + 1)
            y = rng.uniform(0, H)
        else:  # on the map edge
            x, y = rng.choice([0.0, W]), rng.uniform(0, H)
        x, y = min(max(x, 0.0), W), min(max(y, 0.0), H)
        if rng.random() < 0.1 and a > 0:  # duplicate position: distance ties
            x, y = s.air_pos[b, a - 1, 0], s.air_pos[b, a - 1, 1]
        s.air_pos[b, a] = (x, y, _ground(w, x, y) + rng.uniform(50, 1500))
        s.air_status[b, a] = Lo.ACTIVE if rng.random() < 0.8 else rng.choice([0, 2, 5])


def _cell_ref(st, x: float, y: float) -> int:
    n = st.grid_n
    i = min(max(math.floor(x / st.grid_cell), 0), n - 1)
    j = min(max(math.floor(y / st.grid_cell), 0), n - 1)
    return j * n + i


def test_build_grid_is_a_counting_sort() -> None:
    w = _world("saturation", B=1)
    s, st = w.state, w.static
    rng = np.random.default_rng(41)
    for _ in range(30):
        _scatter_air(w, rng)
        _build_grid(w, 0)
        start, items = s.grid_start[0], s.grid_items[0]
        active = np.flatnonzero(s.air_status[0] == Lo.ACTIVE)
        assert start[0] == 0 and start[-1] == len(active)
        assert np.all(np.diff(start) >= 0)
        for c in range(st.grid_n * st.grid_n):
            got = items[start[c] : start[c + 1]].tolist()
            want = [a for a in active if _cell_ref(st, *s.air_pos[0, a, :2]) == c]
            assert got == want, f"cell {c}: increasing air indices"


def test_nearest_friends_matches_brute_force() -> None:
    w = _world("saturation", B=1)
    s = w.state
    A, G = w.sizes["A"], w.sizes["G"]
    M = max(A, G) + 1
    rng = np.random.default_rng(42)
    cases = 0
    for trial in range(12):
        _scatter_air(w, rng)
        if trial % 4 == 3:  # only a handful active: the ring search must reach far
            s.air_status[0, rng.random(A) < 0.9] = Lo.KILLED
        _build_grid(w, 0)
        for me in np.flatnonzero(s.air_status[0] == Lo.ACTIVE):
            k = int(rng.choice([1, 3, 8, 16]))
            keys, idx = np.zeros(M), np.zeros(M, np.int32)
            cand, out = np.zeros(M, np.int64), np.full(k, -1, np.int64)
            n = _nearest_friends(w, 0, int(me), k, keys, idx, cand, out)
            want_idx, want_d2 = ref.nearest_friends_ref(s.air_pos[0], s.air_status[0], me, k)
            assert n == len(want_idx)
            got = out[:n]
            assert len(set(got.tolist())) == n and me not in got
            assert np.all(s.air_status[0, got] == Lo.ACTIVE)
            d2 = np.sum((s.air_pos[0, got, :2] - s.air_pos[0, me, :2]) ** 2, axis=1)
            assert np.all(np.diff(d2) >= 0), "nearest first"
            np.testing.assert_allclose(d2, want_d2, rtol=1e-12, atol=1e-6)
            cases += 1
    assert cases > 300


def test_radar_scan_matches_brute_force() -> None:
    """A steep Pd makes a scan (almost) deterministic: the grid search must find exactly
    the detections an all-pairs loop finds."""
    w = _world("saturation", B=1)
    s, st = w.state, w.static
    A = w.sizes["A"]
    rng = np.random.default_rng(43)
    total = 0
    for trial in range(20):
        _scatter_air(w, rng)
        s.air_jam[0] = False
        s.air_par[0, :, Lo.AP_DETECTABLE] = (rng.random(A) < 0.9).astype(float)
        s.air_par[0, :, Lo.AP_RCS] = 10 ** rng.uniform(-1.5, 1, size=A)
        s.t[0] = 100.0 + trial
        t = s.t[0]
        for r, g in enumerate(st.radar_g):
            gp = s.gnd_par[0, g]
            gp[Lo.GP_RANGE] = rng.uniform(5000, 40000)
            gp[Lo.GP_PD_SLOPE] = 200.0
            gp[Lo.GP_TRACK_MEMORY] = 5.0
            s.gnd_hp[0, g] = 0.0 if trial % 5 == 4 and r == 0 else gp[Lo.GP_HP_MAX]
        s.radar_emit[0] = True
        s.radar_next_scan[0] = t
        s.det_time[0] = -np.inf
        s.n_events[0] = 0
        _build_grid(w, 0)
        _radar_phase(w, 0)
        new_tracks = {
            (int(e[3]), int(e[2])) for e in s.events[0, : s.n_events[0]] if e[1] == Lo.EV_DETECT
        }
        for r, g in enumerate(st.radar_g):
            gp = s.gnd_par[0, g]
            got = set(np.flatnonzero(s.det_time[0, r] == t).tolist())
            if s.gnd_hp[0, g] <= 0:
                assert not got
                continue
            radar = (s.gnd_pos[0, g, 0], s.gnd_pos[0, g, 1], s.gnd_pos[0, g, 2] + gp[Lo.GP_MAST])
            sure, possible = ref.radar_detect_set_ref(
                s.air_pos[0], s.air_status[0], s.air_par[0], radar, gp[Lo.GP_RCS_REF],
                gp[Lo.GP_RANGE], gp[Lo.GP_PD_SLOPE], 0.0, st.heights, st.cell, 1e-6,
            )  # fmt: skip
            assert sure <= got, f"trial {trial} radar {r}: missed {sorted(sure - got)}"
            assert got <= possible, f"trial {trial} radar {r}: extra {sorted(got - possible)}"
            assert {a for (rr, a) in new_tracks if rr == r} == got
            assert s.radar_next_scan[0, r] == t + gp[Lo.GP_SCAN_PERIOD]
            total += len(sure)
    assert total > 100


# --------------------------------------------------------------------------------------
# randomness
# --------------------------------------------------------------------------------------
def test_uniform01_is_splitmix64() -> None:
    rng = np.random.default_rng(51)
    for _ in range(20):
        seeds = rng.integers(0, 2**63, size=3, dtype=np.uint64) * np.uint64(2) + np.uint64(
            rng.integers(0, 2)
        )
        state = seeds.copy()
        b = int(rng.integers(0, 3))
        got = [aerena_rng.uniform01(state, b) for _ in range(50)]
        want, new_state = ref.splitmix64_ref(int(seeds[b]), 50)
        assert got == want
        assert int(state[b]) == new_state
        others = [i for i in range(3) if i != b]
        np.testing.assert_array_equal(state[others], seeds[others])  # other worlds untouched


def test_uniform01_range_mean_and_determinism() -> None:
    state = np.array([np.uint64(2**64 - 3), np.uint64(12345)], dtype=np.uint64)  # wraps
    snap = state.copy()
    u = np.array([aerena_rng.uniform01(state, 0) for _ in range(20000)])
    assert np.all((u >= 0.0) & (u < 1.0))
    assert abs(u.mean() - 0.5) < 5 * 0.2887 / math.sqrt(len(u))
    assert abs(u.var() - 1 / 12) < 0.01
    state2 = snap.copy()
    u2 = np.array([aerena_rng.uniform01(state2, 0) for _ in range(20000)])
    np.testing.assert_array_equal(u, u2)
    assert state2[0] == state[0] and state[1] == snap[1]


# --------------------------------------------------------------------------------------
# accounting details found while writing the references
# --------------------------------------------------------------------------------------
def test_reward_interceptor_term_uses_interceptor_cost() -> None:
    """One interceptor fired should be worth its cost's share of totals[3] (the total cost
    of the stock), so that firing the whole stock adds up to the weight, not more."""
    w = _world("tiny", B=1)
    s, st = w.state, w.static
    g = int(st.launcher_g[0])
    cost = s.gnd_par[0, g, Lo.GP_INT_COST]
    before = np.array(
        [
            s.asset_destroyed[0],
            s.defence_destroyed[0],
            s.uav_lost_cost[0],
            s.interceptor_cost_spent[0],
        ],
        dtype=np.float64,
    )
    s.interceptors_used[0] += 1
    s.interceptor_cost_spent[0] += cost  # what `fire` books for one interceptor
    _reward_phase(w, 0, before)
    want = st.w_att[3] * cost / s.totals[0, 3]
    assert s.reward[0, 0] == pytest.approx(want), (
        f"one interceptor of cost {cost} out of a stock costing {s.totals[0, 3]}: attacker "
        f"reward {s.reward[0, 0]}, expected {want}"
    )


def test_launch_with_lost_carrier_counts_the_loss() -> None:
    """A UAV whose carrier is gone at its launch time crashes (layout.CRASHED: 'carrier lost
    before launch'); state.uav_lost counts 'killed or crashed', so it must be counted."""
    w = _world("tiny", B=1)
    s, st = w.state, w.static
    C, U = w.sizes["C"], w.sizes["U"]
    waiting = np.flatnonzero(s.air_status[0] == Lo.WAITING)
    assert len(waiting) > 0
    s.air_status[0, :C] = Lo.KILLED
    act = np.zeros((1, w.sizes["N"]), np.int64)
    act[0, :U] = Lo.UAV_NOOP
    for _ in range(10):
        w.step(act)
    assert np.all(s.air_status[0, waiting] == Lo.CRASHED)
    roles = st.air_role[waiting]
    lost = np.bincount(roles, minlength=4)
    np.testing.assert_array_equal(s.uav_lost[0], lost)
    assert s.uav_lost_cost[0] == pytest.approx(s.air_par[0, waiting, Lo.AP_COST].sum())
