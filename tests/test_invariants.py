"""Invariants of the air-defence world under long random play.

Random legal actions (drawn from the action masks, UAVs biased to fly straight so that raids
reach the defence and every part of the step is exercised) on the shipped `tiny` and
`strike_small` scenarios, B = 4 worlds, several seeds, until every episode ends. After each
step the whole state is checked: finiteness, map bounds, altitude limits, stocks, hit
points, no resurrection, observation bounds, mask consistency, events against state changes
and, at the end, the rewards against the final tallies.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.world import World

try:
    from tests.reference import world_ref as ref
    from tests.reference.terrain_ref import height_ref
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    from reference import world_ref as ref
    from reference.terrain_ref import height_ref

LOST = (Lo.KILLED, Lo.EXPENDED, Lo.CRASHED, Lo.LEFT_MAP)
STRAIGHT = np.array([(1 * 9) + climb * 3 + spd for climb in range(3) for spd in range(3)])


def random_legal_actions(w: World, rng: np.random.Generator, straight: float = 0.7) -> np.ndarray:
    """One legal action per agent (0 for agents without any); UAVs mostly fly straight."""
    mask = w.state.act_mask
    keys = rng.random(mask.shape)
    keys[~mask] = -1.0
    act = keys.argmax(axis=2)
    act[~mask.any(axis=2)] = 0
    U = w.sizes["U"]
    pick = rng.random(act[:, :U].shape) < straight
    act[:, :U] = np.where(pick, rng.choice(STRAIGHT, size=act[:, :U].shape), act[:, :U])
    return act.astype(np.int64)


def _ground(w: World, xy: np.ndarray) -> np.ndarray:
    return height_ref(w.static.heights, w.static.cell, xy[..., 0].ravel(), xy[..., 1].ravel())


class Checker:
    """Checks one World after every step, against its own previous state."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.prev = w.snapshot()
        B = w.num_worlds
        self.ret = np.zeros((B, 2))
        self.steps = np.zeros(B, np.int64)
        self.counts = {"launch": 0, "fire": 0, "kill": 0, "hit": 0, "lost": 0, "in_flight_seen": 0}
        self.check_state(np.ones(B, dtype=bool))

    # ---------------------------------------------------------------- whole-state checks
    def check_state(self, stepped: np.ndarray) -> None:
        w, s, st = self.w, self.w.state, self.w.static
        C, U = w.sizes["C"], w.sizes["U"]
        for name, arr in zip(s._fields, s, strict=True):
            if arr.dtype.kind != "f":
                continue
            if name == "det_time":  # -inf: never detected
                assert not np.isnan(arr).any() and not np.isposinf(arr).any(), name
            else:
                assert np.isfinite(arr).all(), f"non-finite values in {name}"
        act = s.air_status == Lo.ACTIVE
        x, y = s.air_pos[..., 0], s.air_pos[..., 1]
        assert np.all((x[act] >= 0) & (x[act] <= st.width)), "active entity outside the map (x)"
        assert np.all((y[act] >= 0) & (y[act] <= st.height)), "active entity outside the map (y)"
        ground = _ground(w, s.air_pos[:, C:, :2]).reshape(s.air_pos[:, C:, 0].shape)
        agl = s.air_pos[:, C:, 2] - ground
        lo = s.air_par[:, C:, Lo.AP_ALT_MIN]
        hi = s.air_par[:, C:, Lo.AP_ALT_MAX]
        ua = act[:, C:]
        assert np.all(agl[ua] >= lo[ua] - 1e-6), "UAV below its floor"
        assert np.all(agl[ua] <= hi[ua] + 1e-6), "UAV above its ceiling"
        assert (s.stock >= 0).all(), "negative stock"
        np.testing.assert_array_equal(
            s.interceptors_used, (w.roster.stock0[None, :] - s.stock).sum(axis=1)
        )
        assert (s.int_used == s.interceptors_used).all()
        assert (s.gnd_hp >= 0).all(), "negative hit points"
        assert (s.gnd_hp <= s.gnd_par[..., Lo.GP_HP_MAX]).all()
        # tallies against the statuses
        uav = s.air_status[:, C:]
        role = st.air_role[C:]
        for r in range(4):
            lost = np.isin(uav, (Lo.KILLED, Lo.CRASHED, Lo.LEFT_MAP)) & (role == r)[None, :]
            np.testing.assert_array_equal(s.uav_lost[:, r], lost.sum(axis=1), f"uav_lost[{r}]")
        np.testing.assert_array_equal(s.kills, (s.air_status == Lo.KILLED).sum(axis=1))
        np.testing.assert_array_equal(s.leakers, (uav == Lo.EXPENDED).sum(axis=1))
        # observations and masks
        for name in ("obs_self", "obs_ent"):
            arr = getattr(s, name)
            assert np.isfinite(arr).all() and (np.abs(arr) <= 1e6).all(), name
        np.testing.assert_array_equal(s.obs_mask, s.obs_ref >= 0)
        np.testing.assert_array_equal(s.obs_ref_kind != Lo.REF_NONE, s.obs_ref >= 0)
        assert not s.obs_ent[~s.obs_mask].any(), "padding slots must be zero"
        alive = s.agent_alive
        assert not s.act_mask[~alive].any(), "dead agent with a legal action"
        assert s.act_mask[alive].any(axis=1).all(), "live agent without a legal action"
        assert not s.obs_self[~alive].any(), "dead agent with an observation"
        width = np.arange(s.act_mask.shape[2])[None, :] >= w.action_sizes[:, None]
        assert not s.act_mask[:, width].any(), "mask beyond the action space"
        np.testing.assert_array_equal(alive[:, :U], uav == Lo.ACTIVE)
        gnd_alive = s.gnd_hp > 0
        np.testing.assert_array_equal(alive[:, U:], gnd_alive[:, np.r_[st.launcher_g, st.radar_g]])
        # references point at live things of the right table; a defender's track shows
        # whether one of its interceptors is flying at it, and nothing else does
        for b in range(w.num_worlds):
            flying = s.int_target[b, s.int_status[b] == Lo.INT_FLYING]
            for n in range(w.sizes["N"]):
                m = s.obs_mask[b, n]
                refs, kinds = s.obs_ref[b, n, m], s.obs_ref_kind[b, n, m]
                air = refs[kinds == Lo.REF_AIR]
                assert (s.air_status[b, air] == Lo.ACTIVE).all()
                assert (s.gnd_hp[b, refs[kinds == Lo.REF_GROUND]] > 0).all()
                seen = s.obs_ent[b, n, m, Lo.EF_INTERCEPTED]
                if n < U:  # UAVs: not an attacker's knowledge
                    assert not seen.any(), "a UAV sees interceptors in flight"
                else:
                    want = np.where(kinds == Lo.REF_AIR, np.isin(refs, flying), False)
                    np.testing.assert_array_equal(seen, want.astype(np.float32))
                    self.counts["in_flight_seen"] += int(want.sum())
        # termination flags
        assert not (s.terminated & s.truncated).any()
        assets = st.gnd_kind == Lo.ASSET
        no_assets = ~(s.gnd_hp[:, assets] > 0).any(axis=1)
        no_uavs = ~((uav == Lo.ACTIVE) | (uav == Lo.WAITING)).any(axis=1)
        np.testing.assert_array_equal(s.terminated, no_assets | no_uavs)
        np.testing.assert_array_equal(s.truncated, ~s.terminated & (s.step >= st.max_steps))
        assert (s.step <= st.max_steps).all()

    # ---------------------------------------------------------------- step-to-step checks
    def after_step(self, stepped: np.ndarray) -> None:
        w, s, p = self.w, self.w.state, self.prev
        self.steps += stepped
        np.testing.assert_array_equal(s.step, self.steps)
        np.testing.assert_allclose(s.t, self.steps * w.static.dt, rtol=1e-12)
        self.ret[stepped] += s.reward[stepped]
        # untouched worlds stay untouched
        for name, now, before in zip(s._fields, s, p, strict=True):
            assert np.array_equal(now[~stepped], before[~stepped]), f"{name} of an idle world"
        # no resurrection, hit points only go down, zero stays zero
        was_lost = np.isin(p.air_status, LOST)
        assert np.array_equal(s.air_status[was_lost], p.air_status[was_lost]), (
            "a lost unit came back"
        )
        was_active = p.air_status == Lo.ACTIVE
        assert not (s.air_status[was_active] == Lo.WAITING).any()
        assert (s.gnd_hp <= p.gnd_hp).all(), "hit points increased"
        assert (s.gnd_hp[p.gnd_hp == 0] == 0).all()
        assert (s.stock <= p.stock).all()
        # events against state changes
        C = w.sizes["C"]
        for b in np.flatnonzero(stepped):
            n = int(s.n_events[b])
            assert n <= s.events.shape[1], "events dropped"
            ev = s.events[b, :n]
            kind, a = ev[:, 1].astype(int), ev[:, 2].astype(int)
            # actions are logged at the start of the step, everything else at its end
            assert ((ev[:, 0] == s.t[b]) | (ev[:, 0] == p.t[b])).all()
            launched = set(a[kind == Lo.EV_LAUNCH].tolist())
            became = np.flatnonzero(
                (p.air_status[b] == Lo.WAITING) & (s.air_status[b] != Lo.WAITING)
            )
            crashed = set(a[kind == Lo.EV_CRASH].tolist())
            for u in became:
                assert u >= C
                if u in launched:  # launched, and active unless lost in the same step
                    assert s.air_status[b, u] == Lo.ACTIVE or s.air_status[b, u] in LOST
                else:
                    assert s.air_status[b, u] == Lo.CRASHED and u in crashed, "launch without event"
            for u in launched:
                assert p.air_status[b, u] == Lo.WAITING, "launch event for a unit not waiting"
            fired = int((kind == Lo.EV_FIRE).sum())
            assert fired == s.interceptors_used[b] - p.interceptors_used[b]
            newly_killed = set(
                np.flatnonzero((s.air_status[b] == Lo.KILLED) & (p.air_status[b] != Lo.KILLED))
            )
            kill_events = set(a[(kind == Lo.EV_INTERCEPT_KILL) | (kind == Lo.EV_PD_KILL)].tolist())
            assert newly_killed == kill_events
            left = set(np.flatnonzero((s.air_status[b] == Lo.LEFT_MAP) & ~was_lost[b]))
            assert left == set(a[kind == Lo.EV_LEFT_MAP].tolist())
            self.counts["launch"] += len(launched)
            self.counts["fire"] += fired
            self.counts["kill"] += len(kill_events)
            self.counts["hit"] += int((kind == Lo.EV_HIT).sum())
            self.counts["lost"] += len(left) + len(crashed)
        self.check_state(stepped)
        self.prev = w.snapshot()


def play(
    name: str, seed: int, B: int = 4, max_steps: int | None = None, straight: float = 0.7
) -> Checker:
    """Random play until every world is done (or max_steps), checking every step."""
    w = World(name, B)
    w.reset([seed * 101 + b for b in range(B)])
    ck = Checker(w)
    rng = np.random.default_rng(seed)
    limit = max_steps or w.static.max_steps
    for _ in range(limit):
        stepped = ~w.done
        if not stepped.any():
            break
        w.step(random_legal_actions(w, rng, straight), worlds=stepped)
        ck.after_step(stepped)
    return ck


@pytest.mark.parametrize(
    ("name", "seed"),
    [("tiny", 0), ("tiny", 1), ("tiny", 2), ("strike_small", 0), ("strike_small", 1)],
)
def test_random_play_invariants(name: str, seed: int) -> None:
    ck = play(name, seed)
    assert ck.w.done.all(), "episodes must end within max_steps"
    c = ck.counts
    assert c["launch"] > 0 and c["fire"] > 0 and c["in_flight_seen"] > 0, c


def test_random_play_exercises_the_whole_step() -> None:
    """UAVs flying straight at the depot: launches, interceptor fire, kills, warhead hits and
    losses to fuel or the map edge all happen, and every check above holds meanwhile."""
    total: dict[str, int] = {}
    for seed in range(3):
        for k, v in play("tiny", seed, straight=1.0).counts.items():
            total[k] = total.get(k, 0) + v
    assert all(v > 0 for v in total.values()), total


@pytest.mark.parametrize(("name", "seed"), [("tiny", 1), ("strike_small", 2)])
def test_reward_accounting_matches_final_tallies(name: str, seed: int) -> None:
    """The per-step rewards add up to the closed form of the final tallies (the episode
    return does not depend on when things happened)."""
    ck = play(name, seed, straight=1.0)
    w, s, st = ck.w, ck.w.state, ck.w.static
    lg = st.launcher_g
    assert s.uav_lost_cost.any() and s.interceptors_used.any()
    if name == "tiny":  # this seed's raid destroys part of the defence
        assert s.defence_destroyed.any()
    for b in range(w.num_worlds):
        spent = float(((w.roster.stock0 - s.stock[b]) * s.gnd_par[b, lg, Lo.GP_INT_COST]).sum())
        tallies = (s.asset_destroyed[b], s.defence_destroyed[b], s.uav_lost_cost[b], spent)
        ra = ref.attacker_return_ref(*tallies, s.totals[b], st.w_att)
        rd = -ra if st.zero_sum else ref.defender_return_ref(*tallies, s.totals[b], st.w_def)
        assert ck.ret[b, 0] == pytest.approx(ra, abs=1e-9), f"world {b}: {w.outcome(b)}"
        assert ck.ret[b, 1] == pytest.approx(rd, abs=1e-9), f"world {b}: {w.outcome(b)}"


@settings(max_examples=6, deadline=None, derandomize=True)
@given(seed=hs.integers(min_value=0, max_value=2**31 - 1), straight=hs.floats(0.0, 1.0))
def test_invariants_hold_for_any_seed(seed: int, straight: float) -> None:
    w = World("tiny", 2)
    w.reset([seed, seed + 1])
    ck = Checker(w)
    rng = np.random.default_rng(seed)
    for _ in range(w.static.max_steps):
        stepped = ~w.done
        if not stepped.any():
            break
        w.step(random_legal_actions(w, rng, straight), worlds=stepped)
        ck.after_step(stepped)
    assert w.done.all()


def _lost_and_waiting_world() -> tuple[World, Checker, np.random.Generator]:
    """A tiny world played until world 0 has a lost UAV (and is still running)."""
    w = World("tiny", 2)
    w.reset([5, 6])
    ck = Checker(w)
    rng = np.random.default_rng(5)
    C = w.sizes["C"]
    for _ in range(w.static.max_steps):
        stepped = ~w.done
        w.step(random_legal_actions(w, rng, 1.0), worlds=stepped)
        ck.after_step(stepped)
        if np.isin(w.state.air_status[0, C:], LOST).any() and not w.done[0]:
            return w, ck, rng
    raise AssertionError("no UAV was lost in world 0")


FAULTS = {
    "revived": lambda s, C: s.air_status.__setitem__(
        (0, C + int(np.flatnonzero(np.isin(s.air_status[0, C:], LOST))[0])), Lo.ACTIVE
    ),
    "nan": lambda s, C: s.air_speed.__setitem__((0, C), np.nan),
    "outside": lambda s, C: s.air_pos.__setitem__((0, 0, 0), -5.0),
    "hp_up": lambda s, C: s.gnd_hp.__setitem__((0, 0), s.gnd_hp[0, 0] + 0.25),
    "dead_mask": lambda s, C: s.act_mask.__setitem__(
        (0, int(np.flatnonzero(~s.agent_alive[0])[0]), 0), True
    ),
    "obs_bound": lambda s, C: s.obs_self.__setitem__((0, -1, 0), 2e6),
    "stock": lambda s, C: s.stock.__setitem__((0, 0), s.stock[0, 0] - 1),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_checker_catches_injected_faults(fault: str) -> None:
    """The checks are not vacuous: one corrupted value after a real step is caught."""
    w, ck, rng = _lost_and_waiting_world()
    stepped = ~w.done
    w.step(random_legal_actions(w, rng, 1.0), worlds=stepped)
    FAULTS[fault](w.state, w.sizes["C"])
    with pytest.raises(AssertionError):
        ck.after_step(stepped)
