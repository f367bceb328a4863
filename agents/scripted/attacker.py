"""Scripted attacker: terrain-aware routes around known radars, roles that work together.

Knowledge (fog of war): the attacker reads only its own UAVs (position, heading, speed,
fuel, status, parameters, roles) and the ground objects it knows (`state.known`): their
positions, whether they are alive (`gnd_hp > 0`), and for known radars their type numbers
(range, reference cross-section, mast). It never reads defender-only arrays (tracks,
links, stocks, interceptors) nor anything about unknown ground objects.

Behaviour, per world:

* **Routes.** Every known, alive radar contributes a cached exposure map on the plan grid
  (see `planning.risk_map`: terrain line of sight at the strike UAVs' lowest altitude
  times a range falloff). Node costs are `1 + w * exposure`; one Dijkstra cost-to-go field
  per target (asset or known radar) serves every UAV flying there. Fields are rebuilt when
  the set of known, alive radars changes (a radar is learnt or destroyed).
* **Targets.** Strike UAVs are spread over the alive assets, highest value first, by the
  marginal value `value * (1 - p)^n` of one more strike on a target already given `n`;
  known radars join the list (at `radar_weight * value`), so spare strikes go after them.
  Assignments are revised when a target dies or the known radars change.
* **Strike.** Follows the field of its target low (`altitude_min`), fast inside known
  coverage, steering around known defence units that are not its target (the warhead
  would go off on them), then turns straight at the target for the terminal dive
  (re-attacks after a miss by extending out of its turning circle first).
* **Decoy.** Flies the route of a strike target, fast and higher (to be seen and draw
  interceptors), then orbits the target.
* **Jammer.** Escorts the strike group; within `jam_range` of a known radar it flies at it
  with the jammer on (on only while the radar is inside its cone), staying `jam_lead`
  behind the leading strike UAV and slowing down, weaving across the bearing, when early.
* **Recon.** Flies high ahead on the main strike route and circles the main target at
  `recon_orbit` metres to uncover the defence.
* **Budget.** A UAV whose planned route is longer than `budget` times what its fuel and
  the time left allow flies straight at its target from then on; fast flight is chosen
  only when the fuel covers the rest of the way at that speed. When no strike UAV is
  left, the others fly home and circle their carrier.

Target plans: `fixed[b, j] = t` gives UAV j of world b the target slot t (`target_names`:
the assets in scenario order, then the radars) for as long as that target is alive and
known; the doctrine above picks for the UAVs without one, and for a UAV whose fixed
target is gone. :class:`~aerena.training.side_env.SideEnv` with `target_plan` flies a
learning attacker's UAVs this way: their policy picks the targets, this player the flight.

Commands are turned into the discrete UAV action (turn, climb, speed, jammer): the turn
that brings the heading closest to the desired one, climb/hold/descend towards the desired
height above ground, speed 0/1/2. The jammer bit is set for jammers only, so every action
is legal under `act_mask` (UAV agents that are not flying get the no-op).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from aerena.agents.scripted.base import Player
from aerena.agents.scripted.planning import (
    PlanGrid,
    dijkstra_field,
    follow,
    make_plan_grid,
    node_costs,
    risk_map,
)
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.terrain import height_at
from aerena.jit import njit

# --------------------------------------------------------------------------------------
# tunable parameters (one float vector for the kernels)
# --------------------------------------------------------------------------------------
PARAMS: dict[str, float] = {
    "hops": 2.0,  # plan-grid hops ahead of the UAV's node to aim at
    "terminal_range": 2500.0,  # m: strike UAVs turn straight at their target
    "decoy_orbit": 1800.0,  # m: radius of the decoys' orbit around their target
    "recon_orbit": 5000.0,  # m: radius of the recon orbit around the main target
    "agl_decoy": 300.0,  # m above ground in transit
    "agl_recon": 400.0,
    "agl_recon_covered": 200.0,  # recon inside known coverage
    "agl_jammer": 400.0,
    "jam_range": 30000.0,  # m: jammers engage known radars within this range
    "standoff": 8000.0,  # m: jammers close in no faster than this on the radar they jam
    "weave_time": 20.0,  # s: period of a jammer's weave across the radar bearing
    "jam_lead": 3000.0,  # m: jammers keep this much farther from the radar than the strikes
    "margin": 800.0,  # m: aim points stay this far inside the map
    "risk_fast": 0.05,  # node exposure above which strike UAVs fly fast
    "home_orbit": 3000.0,  # m: with no strike UAV left, the others circle their carrier
    "budget": 0.9,  # fly straight once the route needs more than this share of time/fuel
}
_P = {k: i for i, k in enumerate(PARAMS)}
P_HOPS = _P["hops"]
P_TERM = _P["terminal_range"]
P_DORB = _P["decoy_orbit"]
P_RORB = _P["recon_orbit"]
P_AGL_D = _P["agl_decoy"]
P_AGL_R = _P["agl_recon"]
P_AGL_RC = _P["agl_recon_covered"]
P_AGL_J = _P["agl_jammer"]
P_JAM_RANGE = _P["jam_range"]
P_STANDOFF = _P["standoff"]
P_WEAVE_T = _P["weave_time"]
P_JAM_LEAD = _P["jam_lead"]
P_MARGIN = _P["margin"]
P_RISK_FAST = _P["risk_fast"]
P_HOME_ORBIT = _P["home_orbit"]
P_BUDGET = _P["budget"]


# --------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------
@njit
def _wrap(a):
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@njit
def uav_action(
    heading, desired, turn_step, z, z_goal, always_down, climb_step, speed, jam_bearing, jam_cos
):
    """The discrete UAV action that best follows a desired heading / altitude / speed mode.

    The jammer goes on when `jam_bearing` (NaN: never) lies within the cone of half-angle
    acos(`jam_cos`) around the heading the chosen turn gives.
    """
    err = _wrap(desired - heading)
    best = 0
    best_e = abs(err)
    for t in (-1, 1):
        e = abs(_wrap(err - t * turn_step))
        if e < best_e - 1e-12:
            best = t
            best_e = e
    if always_down:
        climb = -1
    else:
        dz = z_goal - z
        climb = 0
        if dz > 0.5 * climb_step:
            climb = 1
        elif dz < -0.5 * climb_step:
            climb = -1
    jam = 0
    if jam_bearing == jam_bearing:  # not NaN
        if math.cos(_wrap(jam_bearing - heading - best * turn_step)) >= jam_cos:
            jam = 1
    return jam * 27 + (best + 1) * 9 + (climb + 1) * 3 + speed


@njit
def assign_targets(
    status, roles, C, tgt_ok, tgt_value, tgt_xy, air_pos, target, replan, p_hit, term_range, fixed
):
    """Give every strike, decoy, recon and jammer UAV a target slot (in place, [B, U]).

    A UAV with a fixed target (`fixed[b, j] >= 0`, a target plan) keeps it while it is
    alive. The others follow the doctrine: strike UAVs whose target is gone, or (when
    `replan[b]`) that are not yet in their terminal phase, are (re)assigned greedily by
    marginal value; decoys follow the strike targets; recon and jammers take the main
    target (most strikes).
    """
    B, U = target.shape
    T = tgt_ok.shape[1]
    n_strike = np.zeros(T, np.int64)
    n_decoy = np.zeros(T, np.int64)
    prev = np.empty(U, np.int64)
    for b in range(B):
        n_strike[:] = 0
        n_decoy[:] = 0
        for j in range(U):
            a = C + j
            prev[j] = target[b, j]
            st = status[b, a]
            live = st == Lo.WAITING or st == Lo.ACTIVE
            t = target[b, j]
            if not live:
                target[b, j] = -1
                continue
            f = fixed[b, j]
            if f >= 0 and tgt_ok[b, f]:
                target[b, j] = f
                if roles[j] == Lo.STRIKE:
                    n_strike[f] += 1
                continue
            if t >= 0 and not tgt_ok[b, t]:
                target[b, j] = -1
                continue
            if roles[j] == Lo.STRIKE and t >= 0 and replan[b]:
                dx = air_pos[b, a, 0] - tgt_xy[b, t, 0]
                dy = air_pos[b, a, 1] - tgt_xy[b, t, 1]
                if dx * dx + dy * dy > term_range * term_range:
                    target[b, j] = -1
                    continue
            if roles[j] == Lo.DECOY and replan[b]:
                target[b, j] = -1
                continue
            if t >= 0 and roles[j] == Lo.STRIKE:
                n_strike[t] += 1
        # strikes
        for j in range(U):
            a = C + j
            if roles[j] != Lo.STRIKE or target[b, j] >= 0:
                continue
            st = status[b, a]
            if st != Lo.WAITING and st != Lo.ACTIVE:
                continue
            best = -1
            best_v = -1.0
            for t in range(T):
                if not tgt_ok[b, t]:
                    continue
                v = tgt_value[b, t] * (1.0 - p_hit) ** n_strike[t]
                if t == prev[j]:
                    v *= 1.0 + 1e-6
                if v > best_v:
                    best_v = v
                    best = t
            if best >= 0:
                target[b, j] = best
                n_strike[best] += 1
        # the main target: most strikes, then value
        main = -1
        for t in range(T):
            if not tgt_ok[b, t]:
                continue
            if main < 0 or n_strike[t] > n_strike[main]:
                main = t
            elif n_strike[t] == n_strike[main] and tgt_value[b, t] > tgt_value[b, main]:
                main = t
        for j in range(U):
            a = C + j
            st = status[b, a]
            if st != Lo.WAITING and st != Lo.ACTIVE:
                continue
            if roles[j] == Lo.DECOY and target[b, j] >= 0:
                n_decoy[target[b, j]] += 1
        for j in range(U):
            a = C + j
            st = status[b, a]
            if st != Lo.WAITING and st != Lo.ACTIVE:
                continue
            if fixed[b, j] >= 0 and tgt_ok[b, fixed[b, j]]:
                continue
            r = roles[j]
            if r == Lo.RECON or r == Lo.JAMMER:
                target[b, j] = main
            elif r == Lo.DECOY and target[b, j] < 0:
                best = main
                best_v = -1.0
                for t in range(T):
                    if tgt_ok[b, t] and n_strike[t] > 0:
                        v = n_strike[t] / (1.0 + n_decoy[t])
                        if v > best_v:
                            best_v = v
                            best = t
                target[b, j] = best
                if best >= 0:
                    n_decoy[best] += 1


@njit
def guide(
    air_pos,
    air_heading,
    air_status,
    air_fuel,
    air_par,
    t_now,
    heights,
    tcell,
    C,
    roles,
    carrier,
    dt,
    width,
    height,
    t_end,
    pcell,
    cost,
    risk_sum,
    field,
    plen,
    tgt_xyz,
    threat,
    radar_xy,
    obstacle,
    obstacle_xy,
    target,
    extend,
    direct,
    prm,
    out,
):
    """Desired flight for every UAV of every world, turned into actions `out` [B, U]."""
    B, U = out.shape
    ny = cost.shape[1]
    nx = cost.shape[2]
    R = threat.shape[1]
    hops = int(prm[P_HOPS])
    margin = prm[P_MARGIN]
    for b in range(B):
        strikes_left = False
        for j in range(U):
            st = air_status[b, C + j]
            if roles[j] == Lo.STRIKE and (st == Lo.ACTIVE or st == Lo.WAITING):
                strikes_left = True
        for j in range(U):
            a = C + j
            out[b, j] = Lo.UAV_NOOP
            if air_status[b, a] != Lo.ACTIVE:
                continue
            par = air_par[b, a]
            role = roles[j]
            x = air_pos[b, a, 0]
            y = air_pos[b, a, 1]
            z = air_pos[b, a, 2]
            h = air_heading[b, a]
            ground = height_at(heights, tcell, x, y)
            vc = par[Lo.AP_SPEED_CRUISE]
            vmax = par[Lo.AP_SPEED_MAX]
            turn_step = par[Lo.AP_TURN_RATE] * dt
            climb_step = par[Lo.AP_CLIMB_RATE] * dt
            alt_min = par[Lo.AP_ALT_MIN]
            ci = min(max(int(round(y / pcell)), 0), ny - 1)
            cj = min(max(int(round(x / pcell)), 0), nx - 1)
            exposure = risk_sum[b, ci, cj]
            t = target[b, j]
            if not strikes_left:
                # nothing left to support: go home and circle the carrier
                hx = air_pos[b, carrier[a], 0]
                hy = air_pos[b, carrier[a], 1]
                desired = _orbit(x, y, hx, hy, prm[P_HOME_ORBIT])
                if (hx - x) ** 2 + (hy - y) ** 2 > (2.0 * prm[P_HOME_ORBIT]) ** 2:
                    desired = math.atan2(hy - y, hx - x)
                out[b, j] = uav_action(
                    h, desired, turn_step, z, z, False, climb_step, 1, np.nan, 2.0
                )
                continue
            # default: keep flying straight, low, at cruise
            desired = h
            agl = alt_min
            down = True
            speed = 1
            jam_bearing = np.nan
            jam_cos = 2.0
            tx = x
            ty = y
            dtar = 0.0
            t_left = max(t_end - t_now[b], 0.0)
            fuel = air_fuel[b, a]
            route_len = 0.0
            if t >= 0:
                tx = tgt_xyz[b, t, 0]
                ty = tgt_xyz[b, t, 1]
                dtar = math.sqrt((tx - x) ** 2 + (ty - y) ** 2)
                if not direct[b, j]:
                    # the planned route, unless time or fuel cannot take it (then: straight)
                    route_len = plen[b, t, ci, cj] + math.sqrt(
                        (cj * pcell - x) ** 2 + (ci * pcell - y) ** 2
                    )
                    reach = max(
                        min(t_left * vc, fuel * vc), min(t_left * vmax, fuel * vc * vc / vmax)
                    )
                    if route_len > prm[P_BUDGET] * reach:
                        direct[b, j] = True
                if direct[b, j]:
                    route_len = dtar
                    wx = tx
                    wy = ty
                else:
                    # aim at the node `hops` ahead on the cheapest way to the target
                    ni, nj = follow(cost[b], field[b, t], pcell, ci, cj, hops)
                    wx = nj * pcell
                    wy = ni * pcell
                    if (ni == ci and nj == cj) or dtar < 1.5 * pcell:
                        wx = tx
                        wy = ty
                wx = min(max(wx, margin), width - margin)
                wy = min(max(wy, margin), height - margin)
                desired = math.atan2(wy - y, wx - x)
            # fast only when fuel allows it over the rest of the way; needed when late
            fuel_fast_ok = fuel * vc * vc / vmax > 1.1 * route_len + 30.0 * vc
            late = route_len > 0.95 * t_left * vc
            if role == Lo.STRIKE:
                if t >= 0:
                    rt = vc / max(par[Lo.AP_TURN_RATE], 1e-6)
                    if extend[b, j]:
                        if dtar > 3.0 * rt:
                            extend[b, j] = False
                        else:
                            desired = h
                    if not extend[b, j] and dtar < prm[P_TERM]:
                        desired = math.atan2(ty - y, tx - x)
                        err = abs(_wrap(desired - h))
                        if err > 0.3 and dtar < 2.4 * rt * math.sin(min(err, 0.5 * math.pi)):
                            extend[b, j] = True
                            desired = h
                    if dtar >= prm[P_TERM] and (exposure > prm[P_RISK_FAST] or late):
                        speed = 2 if fuel_fast_ok else 1
                    desired = _avoid(
                        x,
                        y,
                        desired,
                        tx,
                        ty,
                        obstacle[b],
                        obstacle_xy[b],
                        par[Lo.AP_WARHEAD_RADIUS],
                    )
            elif role == Lo.DECOY:
                down = exposure > 1.0  # decoys stay visible
                agl = prm[P_AGL_D]
                speed = 2 if fuel_fast_ok else 1
                if t >= 0 and dtar < 1.3 * prm[P_DORB]:
                    desired = _orbit(x, y, tx, ty, prm[P_DORB])
                    speed = 1
            elif role == Lo.RECON:
                covered = exposure > prm[P_RISK_FAST]
                agl = prm[P_AGL_RC] if covered else prm[P_AGL_R]
                down = False
                speed = 2 if ((covered or late) and fuel_fast_ok) else 1
                if t >= 0 and dtar < 1.4 * prm[P_RORB]:
                    desired = _orbit(x, y, tx, ty, prm[P_RORB])
                    speed = 1
            elif role == Lo.JAMMER:
                agl = prm[P_AGL_J]
                down = False
                # nearest known radar
                best = -1
                best_d = prm[P_JAM_RANGE]
                for r in range(R):
                    if threat[b, r]:
                        d = math.sqrt((radar_xy[b, r, 0] - x) ** 2 + (radar_xy[b, r, 1] - y) ** 2)
                        if d < best_d:
                            best_d = d
                            best = r
                if best >= 0:
                    rx = radar_xy[b, best, 0]
                    ry = radar_xy[b, best, 1]
                    # the leading strike UAV's distance to that radar
                    lead = 1e18
                    for k in range(U):
                        ak = C + k
                        if roles[k] == Lo.STRIKE and air_status[b, ak] == Lo.ACTIVE:
                            dk = math.sqrt(
                                (radar_xy[b, best, 0] - air_pos[b, ak, 0]) ** 2
                                + (radar_xy[b, best, 1] - air_pos[b, ak, 1]) ** 2
                            )
                            lead = min(lead, dk)
                    goal = max(prm[P_STANDOFF], lead + prm[P_JAM_LEAD])
                    if lead > 1e17:
                        goal = prm[P_STANDOFF]
                    bearing = math.atan2(ry - y, rx - x)
                    # keep the radar inside the cone: weave across the bearing when early
                    half = math.acos(min(max(par[Lo.AP_JAM_COS], -1.0), 1.0))
                    side = 1.0 if int(t_now[b] / prm[P_WEAVE_T]) % 2 == 0 else -1.0
                    desired = bearing
                    if best_d > goal + 2000.0:
                        speed = 2 if fuel_fast_ok else 1
                    elif best_d > goal:
                        speed = 1
                    else:
                        speed = 0
                        desired = bearing + side * 0.8 * half
                    jam_bearing = bearing
                    jam_cos = par[Lo.AP_JAM_COS]
            out[b, j] = uav_action(
                h,
                desired,
                turn_step,
                z,
                ground + agl,
                down,
                climb_step,
                speed,
                jam_bearing,
                jam_cos,
            )


@njit
def _avoid(x, y, desired, tx, ty, obstacle, obstacle_xy, radius):
    """Bend a strike UAV's heading around known defence units that are not its target.

    The warhead goes off on the first object its path passes within `radius` of, so a
    strike UAV steers off any other known unit less than `3 radius` off its course ahead.
    """
    c = math.cos(desired)
    s = math.sin(desired)
    clear = 3.0 * radius
    for g in range(obstacle.shape[0]):
        if not obstacle[g]:
            continue
        ox = obstacle_xy[g, 0]
        oy = obstacle_xy[g, 1]
        if (ox - tx) ** 2 + (oy - ty) ** 2 < clear * clear:
            continue  # next to the target: nothing to gain
        ahead = (ox - x) * c + (oy - y) * s
        side = -(ox - x) * s + (oy - y) * c
        if 0.0 < ahead < 12.0 * radius and abs(side) < clear:
            # steer to pass `clear` beside it, on the side it already lies off
            off = clear if side <= 0.0 else -clear
            return math.atan2(oy + off * c - y, ox - off * s - x)
    return desired


@njit
def _orbit(x, y, cx, cy, radius):
    """Heading that circles (cx, cy) anticlockwise at `radius`, converging on the circle."""
    d = math.sqrt((x - cx) ** 2 + (y - cy) ** 2)
    bearing = math.atan2(cy - y, cx - x)
    corr = (d - radius) / max(radius, 1.0) * 1.5
    corr = min(max(corr, -1.0), 1.0)
    return bearing - 0.5 * math.pi + corr


# --------------------------------------------------------------------------------------
# the player
# --------------------------------------------------------------------------------------
class ScriptedAttacker(Player):
    """Scripted attacker for every world of a `World` (see the module docstring)."""

    def __init__(
        self,
        world: Any,
        seed: int | None = None,
        *,
        risk_weight: float = 6.0,
        radar_weight: float = 0.5,
        p_hit: float = 0.5,
        plan_cell: float | None = None,
        **params: float,
    ) -> None:
        super().__init__(world, "attacker", seed=seed)
        unknown = set(params) - set(PARAMS)
        if unknown:
            raise ValueError(f"unknown attacker parameters: {sorted(unknown)}")
        self.params = np.array([params.get(k, v) for k, v in PARAMS.items()], dtype=np.float64)
        self.risk_weight = float(risk_weight)
        self.radar_weight = float(radar_weight)
        self.p_hit = float(p_hit)
        ro = world.roster
        st = world.static
        B = world.num_worlds
        self.C = int(world.sizes["C"])
        self.U = int(world.sizes["U"])
        self.roles = np.ascontiguousarray(ro.air_role[self.C :], dtype=np.int64)
        self.carrier = np.asarray(ro.air_carrier, dtype=np.int64)
        span = max(st.width, st.height)
        if plan_cell is None:
            plan_cell = min(max(span / 40.0, 500.0), 2000.0)
        self.grid: PlanGrid = make_plan_grid(world.terrain, plan_cell)
        g = self.grid
        self.asset_g = np.flatnonzero(ro.gnd_kind == Lo.ASSET).astype(np.int64)
        self.radar_g = np.asarray(ro.radar_g, dtype=np.int64)
        self.tgt_g = np.concatenate([self.asset_g, self.radar_g])
        self.n_assets = len(self.asset_g)
        self.target_names = [ro.ground_names[int(g)] for g in self.tgt_g]
        self._defence = np.asarray(ro.gnd_kind != Lo.ASSET)
        R, T = len(self.radar_g), len(self.tgt_g)
        self.risk = np.zeros((B, R, g.ny, g.nx))
        self.risk_ok = np.zeros((B, R), dtype=np.bool_)
        self.threat = np.zeros((B, R), dtype=np.bool_)
        self.risk_sum = np.zeros((B, g.ny, g.nx))
        self.cost = np.ones((B, g.ny, g.nx))
        self.field = np.zeros((B, T, g.ny, g.nx))
        self.plen = np.zeros((B, T, g.ny, g.nx))
        self.field_ok = np.zeros((B, T), dtype=np.bool_)
        self.target = np.full((B, self.U), -1, dtype=np.int64)
        # [B, U] a target plan's fixed target slot per UAV (-1: the doctrine picks)
        self.fixed = np.full((B, self.U), -1, dtype=np.int64)
        self.extend = np.zeros((B, self.U), dtype=np.bool_)
        self.direct = np.zeros((B, self.U), dtype=np.bool_)
        self._replan = np.ones(B, dtype=np.bool_)
        self._out = np.zeros((B, self.U), dtype=np.int64)

    # ------------------------------------------------------------------ episode
    def reset(self, worlds: np.ndarray | None = None) -> None:
        w = slice(None) if worlds is None else np.asarray(worlds)
        self.risk_ok[w] = False
        self.threat[w] = False
        self.risk_sum[w] = 0.0
        self.field_ok[w] = False
        self.target[w] = -1
        self.fixed[w] = -1
        self.extend[w] = False
        self.direct[w] = False
        self._replan[w] = True
        for b in np.arange(self.world.num_worlds)[w]:
            self._update_costs(int(b))

    # ------------------------------------------------------------------ knowledge
    def _known_radars(self) -> np.ndarray:
        """[B, R] radars the attacker knows and believes alive."""
        s = self.world.state
        rg = self.radar_g
        return s.known[:, rg] & (s.gnd_hp[:, rg] > 0.0)

    def _radar_r50(self, b: int, g: int) -> float:
        """Range at which a known radar sees the strike UAVs with Pd 0.5 (no jamming)."""
        s = self.world.state
        strikes = self.C + np.flatnonzero(self.roles == Lo.STRIKE)
        rows = strikes if len(strikes) else np.arange(self.C, self.C + self.U)
        rcs = float(np.mean(s.air_par[b, rows, Lo.AP_RCS])) if len(rows) else 1.0
        par = s.gnd_par[b, g]
        return float(par[Lo.GP_RANGE] * (rcs / max(par[Lo.GP_RCS_REF], 1e-12)) ** 0.25)

    def _plan_agl(self, b: int) -> float:
        s = self.world.state
        strikes = self.C + np.flatnonzero(self.roles == Lo.STRIKE)
        if len(strikes) == 0:
            return 50.0
        return float(np.min(s.air_par[b, strikes, Lo.AP_ALT_MIN]))

    def _update_costs(self, b: int) -> None:
        s, g, ter = self.world.state, self.grid, self.world.terrain
        for r in np.flatnonzero(self.threat[b] & ~self.risk_ok[b]):
            gr = int(self.radar_g[r])
            pos = s.gnd_pos[b, gr]
            rz = float(pos[2] + s.gnd_par[b, gr, Lo.GP_MAST])
            risk_map(
                ter.heights,
                ter.cell,
                g.cell,
                float(pos[0]),
                float(pos[1]),
                rz,
                self._radar_r50(b, gr),
                self._plan_agl(b),
                3,
                self.risk[b, r],
            )
            self.risk_ok[b, r] = True
        node_costs(self.risk[b], self.threat[b], 1.0, 0.0, self.risk_sum[b])
        self.risk_sum[b] -= 1.0
        node_costs(self.risk[b], self.threat[b], self.risk_weight, 2.0, self.cost[b])
        self.field_ok[b] = False

    def _ensure_fields(self) -> None:
        s, g = self.world.state, self.grid
        B = self.world.num_worlds
        active = s.air_status[:, self.C :] == Lo.ACTIVE
        for b in range(B):
            used = np.unique(self.target[b][active[b] & (self.target[b] >= 0)])
            for t in used:
                if self.field_ok[b, t]:
                    continue
                x, y = s.gnd_pos[b, self.tgt_g[t], :2]
                i, j = g.node_of(float(x), float(y))
                dijkstra_field(self.cost[b], g.cell, i, j, self.field[b, t], self.plen[b, t])
                self.field_ok[b, t] = True

    # ------------------------------------------------------------------ acting
    def act(self) -> np.ndarray:
        w, s = self.world, self.world.state
        st = w.static
        threat = self._known_radars()
        changed = np.flatnonzero(np.any(threat != self.threat, axis=1))
        for b in changed:
            self.threat[b] = threat[b]
            self._update_costs(int(b))
            self._replan[b] = True
        # targets the attacker can aim at: alive assets, known alive radars
        tg = self.tgt_g
        ok = (s.gnd_hp[:, tg] > 0.0) & s.known[:, tg]
        value = np.where(ok, s.gnd_par[:, tg, Lo.GP_VALUE], 0.0)
        value[:, self.n_assets :] *= self.radar_weight
        tgt_xyz = np.where(ok[..., None], s.gnd_pos[:, tg, :], 0.0)
        assign_targets(
            s.air_status,
            self.roles,
            self.C,
            ok,
            value,
            tgt_xyz,
            s.air_pos,
            self.target,
            self._replan,
            self.p_hit,
            float(self.params[P_TERM]),
            self.fixed,
        )
        self._replan[:] = False
        self._ensure_fields()
        radar_xy = np.where(threat[..., None], s.gnd_pos[:, self.radar_g, :2], 0.0)
        obstacle = s.known & (s.gnd_hp > 0.0) & self._defence[None, :]
        obstacle_xy = np.where(obstacle[..., None], s.gnd_pos[:, :, :2], 0.0)
        guide(
            s.air_pos,
            s.air_heading,
            s.air_status,
            s.air_fuel,
            s.air_par,
            s.t,
            st.heights,
            st.cell,
            self.C,
            self.roles,
            self.carrier,
            st.dt,
            st.width,
            st.height,
            float(st.max_steps * st.dt),
            self.grid.cell,
            self.cost,
            self.risk_sum,
            self.field,
            self.plen,
            tgt_xyz,
            threat,
            radar_xy,
            obstacle,
            obstacle_xy,
            self.target,
            self.extend,
            self.direct,
            self.params,
            self._out,
        )
        return self._out.copy()
