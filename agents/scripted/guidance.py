"""Kernels of the scripted attacker: target assignment and flight commands.

:class:`~aerena.agents.scripted.attacker.ScriptedAttacker` (the doctrine is described
there) calls two kernels per step, over all B worlds at once:

* :func:`assign_targets` - a target slot for every UAV (plan, then strike, main target,
  decoys, recon and jammers);
* :func:`guide` - the discrete action of every UAV, in phases: nobody left to support
  (fly home), the route towards the target (planned or straight), the role's command
  (strike, decoy, recon, jammer), and the action that best follows it (:func:`uav_action`).

Their inputs are a few records (NamedTuples of arrays and numbers, which Numba takes as
they are) instead of long argument lists: :class:`Doctrine` (the tunable numbers),
:class:`Own` (the attacker's UAVs), :class:`Known` (what it knows of the ground this step),
:class:`Plan` (its planning buffers and per-UAV plan) and :class:`Arena` (map and clock).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from aerena.agents.scripted.planning import follow
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.terrain import height_at
from aerena.jit import njit

__all__ = ["Arena", "Doctrine", "Known", "Own", "PARAMS", "Plan", "assign_targets", "guide"]


class Doctrine(NamedTuple):
    """The scripted attacker's tunable numbers (defaults: :data:`PARAMS`)."""

    hops: float = 2.0  # plan-grid hops ahead of the UAV's node to aim at
    terminal_range: float = 2500.0  # m: strike UAVs turn straight at their target
    decoy_orbit: float = 1800.0  # m: radius of the decoys' orbit around their target
    recon_orbit: float = 5000.0  # m: radius of the recon orbit around the main target
    agl_decoy: float = 300.0  # m above ground in transit
    agl_recon: float = 400.0
    agl_recon_covered: float = 200.0  # recon inside known coverage
    agl_jammer: float = 400.0
    jam_range: float = 30000.0  # m: jammers engage known radars within this range
    standoff: float = 8000.0  # m: jammers close in no faster than this on the radar they jam
    weave_time: float = 20.0  # s: period of a jammer's weave across the radar bearing
    jam_lead: float = 3000.0  # m: jammers keep this much farther from the radar than strikes
    margin: float = 800.0  # m: aim points stay this far inside the map
    risk_fast: float = 0.05  # node exposure above which strike UAVs fly fast
    home_orbit: float = 3000.0  # m: with no strike UAV left, the others circle their carrier
    budget: float = 0.9  # fly straight once the route needs more than this share of time/fuel


#: Default value of every tunable parameter of the scripted attacker, by name.
PARAMS: dict[str, float] = dict(Doctrine._field_defaults)


class Own(NamedTuple):
    """The attacker's own air entities (views of the world state) and roster."""

    pos: np.ndarray  # [B, A, 3] float64
    heading: np.ndarray  # [B, A] float64
    status: np.ndarray  # [B, A]
    fuel: np.ndarray  # [B, A] float64
    par: np.ndarray  # [B, A, P] float64, per-entity parameters (layout AP_*)
    roles: np.ndarray  # [U] int64, role of UAV j (entity first + j)
    carrier: np.ndarray  # [A] int64, the carrier of every air entity
    first: int  # air index of UAV 0 (the number of carriers)


class Known(NamedTuple):
    """What the attacker knows of the ground this step (zeros where it knows nothing)."""

    tgt_ok: np.ndarray  # [B, T] bool, target slot alive and known
    tgt_value: np.ndarray  # [B, T] float64, its value (radars weighted)
    tgt_xyz: np.ndarray  # [B, T, 3] float64
    threat: np.ndarray  # [B, R] bool, known alive radars
    radar_xy: np.ndarray  # [B, R, 2] float64
    obstacle: np.ndarray  # [B, G] bool, known alive defence units
    obstacle_xy: np.ndarray  # [B, G, 2] float64


class Plan(NamedTuple):
    """The attacker's planning buffers (on the plan grid) and per-UAV plan, kept across steps."""

    pcell: float  # m between plan-grid nodes
    cost: np.ndarray  # [B, ny, nx] node cost multipliers
    risk_sum: np.ndarray  # [B, ny, nx] summed exposure to known radars
    field: np.ndarray  # [B, T, ny, nx] cost-to-go to each target
    plen: np.ndarray  # [B, T, ny, nx] length of that cheapest way
    target: np.ndarray  # [B, U] int64 target slot (-1: none)
    fixed: np.ndarray  # [B, U] int64 a target plan's slot (-1: the doctrine picks)
    extend: np.ndarray  # [B, U] bool, strike extending out of its turning circle
    direct: np.ndarray  # [B, U] bool, flying straight (route over budget)


class Arena(NamedTuple):
    """The map and the clock."""

    heights: np.ndarray  # [ny, nx] terrain heights
    tcell: float  # m, terrain cell
    width: float
    height: float
    dt: float  # s per step
    t_now: np.ndarray  # [B] s
    t_end: float  # s, the episode's end


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------
@njit
def _wrap(a):
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@njit
def _live(st):
    return st == Lo.WAITING or st == Lo.ACTIVE


@njit
def _orbit(x, y, cx, cy, radius):
    """Heading that circles (cx, cy) anticlockwise at `radius`, converging on the circle."""
    d = math.sqrt((x - cx) ** 2 + (y - cy) ** 2)
    bearing = math.atan2(cy - y, cx - x)
    corr = (d - radius) / max(radius, 1.0) * 1.5
    corr = min(max(corr, -1.0), 1.0)
    return bearing - 0.5 * math.pi + corr


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


# --------------------------------------------------------------------------------------
# targets
# --------------------------------------------------------------------------------------
@njit
def _keep_or_drop(own, known, plan, replan, term_range, b, n_strike):
    """Phase 1 of the assignment: fixed targets stay, gone or replanned ones are dropped;
    counts the strikes on every target in `n_strike`."""
    U = plan.target.shape[1]
    for j in range(U):
        a = own.first + j
        t = plan.target[b, j]
        if not _live(own.status[b, a]):
            plan.target[b, j] = -1
            continue
        f = plan.fixed[b, j]
        if f >= 0 and known.tgt_ok[b, f]:
            plan.target[b, j] = f
            if own.roles[j] == Lo.STRIKE:
                n_strike[f] += 1
            continue
        if t >= 0 and not known.tgt_ok[b, t]:
            plan.target[b, j] = -1
            continue
        if own.roles[j] == Lo.STRIKE and t >= 0 and replan[b]:
            dx = own.pos[b, a, 0] - known.tgt_xyz[b, t, 0]
            dy = own.pos[b, a, 1] - known.tgt_xyz[b, t, 1]
            if dx * dx + dy * dy > term_range * term_range:
                plan.target[b, j] = -1
                continue
        if own.roles[j] == Lo.DECOY and replan[b]:
            plan.target[b, j] = -1
            continue
        if t >= 0 and own.roles[j] == Lo.STRIKE:
            n_strike[t] += 1


@njit
def _assign_strikes(own, known, plan, p_hit, b, prev, n_strike):
    """Phase 2: strike UAVs without a target take the best marginal value
    `value * (1 - p_hit) ** n` (their previous target wins ties)."""
    U = plan.target.shape[1]
    T = known.tgt_ok.shape[1]
    for j in range(U):
        if own.roles[j] != Lo.STRIKE or plan.target[b, j] >= 0:
            continue
        if not _live(own.status[b, own.first + j]):
            continue
        best = -1
        best_v = -1.0
        for t in range(T):
            if not known.tgt_ok[b, t]:
                continue
            v = known.tgt_value[b, t] * (1.0 - p_hit) ** n_strike[t]
            if t == prev[j]:
                v *= 1.0 + 1e-6
            if v > best_v:
                best_v = v
                best = t
        if best >= 0:
            plan.target[b, j] = best
            n_strike[best] += 1


@njit
def _main_target(known, b, n_strike):
    """The target with the most strikes (then the highest value); -1 when none is left."""
    main = -1
    for t in range(known.tgt_ok.shape[1]):
        if not known.tgt_ok[b, t]:
            continue
        if main < 0 or n_strike[t] > n_strike[main]:
            main = t
        elif n_strike[t] == n_strike[main] and known.tgt_value[b, t] > known.tgt_value[b, main]:
            main = t
    return main


@njit
def _assign_support(own, known, plan, b, main, n_strike, n_decoy):
    """Phase 3: recon and jammers take the main target; a decoy without a target takes the
    struck target with the fewest decoys per strike."""
    U = plan.target.shape[1]
    T = known.tgt_ok.shape[1]
    for j in range(U):
        if own.roles[j] == Lo.DECOY and _live(own.status[b, own.first + j]):
            if plan.target[b, j] >= 0:
                n_decoy[plan.target[b, j]] += 1
    for j in range(U):
        if not _live(own.status[b, own.first + j]):
            continue
        if plan.fixed[b, j] >= 0 and known.tgt_ok[b, plan.fixed[b, j]]:
            continue
        r = own.roles[j]
        if r == Lo.RECON or r == Lo.JAMMER:
            plan.target[b, j] = main
        elif r == Lo.DECOY and plan.target[b, j] < 0:
            best = main
            best_v = -1.0
            for t in range(T):
                if known.tgt_ok[b, t] and n_strike[t] > 0:
                    v = n_strike[t] / (1.0 + n_decoy[t])
                    if v > best_v:
                        best_v = v
                        best = t
            plan.target[b, j] = best
            if best >= 0:
                n_decoy[best] += 1


@njit
def assign_targets(own, known, plan, replan, p_hit, term_range):
    """Give every strike, decoy, recon and jammer UAV a target slot (`plan.target`, in place).

    A UAV with a fixed target (`plan.fixed[b, j] >= 0`, a target plan) keeps it while it is
    alive. The others follow the doctrine: strike UAVs whose target is gone, or (when
    `replan[b]`) that are not yet in their terminal phase, are (re)assigned greedily by
    marginal value; decoys follow the strike targets; recon and jammers take the main
    target (most strikes).
    """
    B, U = plan.target.shape
    T = known.tgt_ok.shape[1]
    n_strike = np.zeros(T, np.int64)
    n_decoy = np.zeros(T, np.int64)
    prev = np.empty(U, np.int64)
    for b in range(B):
        n_strike[:] = 0
        n_decoy[:] = 0
        prev[:] = plan.target[b]
        _keep_or_drop(own, known, plan, replan, term_range, b, n_strike)
        _assign_strikes(own, known, plan, p_hit, b, prev, n_strike)
        main = _main_target(known, b, n_strike)
        _assign_support(own, known, plan, b, main, n_strike, n_decoy)


# --------------------------------------------------------------------------------------
# flight
# --------------------------------------------------------------------------------------
@njit
def _fly_home(own, arena, doc, b, a):
    """Nothing left to support: the action that flies home and circles the carrier."""
    x = own.pos[b, a, 0]
    y = own.pos[b, a, 1]
    z = own.pos[b, a, 2]
    par = own.par[b, a]
    hx = own.pos[b, own.carrier[a], 0]
    hy = own.pos[b, own.carrier[a], 1]
    desired = _orbit(x, y, hx, hy, doc.home_orbit)
    if (hx - x) ** 2 + (hy - y) ** 2 > (2.0 * doc.home_orbit) ** 2:
        desired = math.atan2(hy - y, hx - x)
    turn_step = par[Lo.AP_TURN_RATE] * arena.dt
    climb_step = par[Lo.AP_CLIMB_RATE] * arena.dt
    return uav_action(
        own.heading[b, a], desired, turn_step, z, z, False, climb_step, 1, np.nan, 2.0
    )


@njit
def _route(known, plan, arena, doc, b, j, x, y, ci, cj, vc, vmax, fuel, t_left):
    """Heading towards UAV j's target along its planned route, or straight at it once the
    route is over budget (then `plan.direct[b, j]` is set for good). Returns (heading,
    target x, target y, distance to it, length of the way left)."""
    t = plan.target[b, j]
    tx = known.tgt_xyz[b, t, 0]
    ty = known.tgt_xyz[b, t, 1]
    pcell = plan.pcell
    dtar = math.sqrt((tx - x) ** 2 + (ty - y) ** 2)
    route_len = 0.0
    if not plan.direct[b, j]:
        # the planned route, unless time or fuel cannot take it (then: straight)
        route_len = plan.plen[b, t, ci, cj] + math.sqrt(
            (cj * pcell - x) ** 2 + (ci * pcell - y) ** 2
        )
        reach = max(min(t_left * vc, fuel * vc), min(t_left * vmax, fuel * vc * vc / vmax))
        if route_len > doc.budget * reach:
            plan.direct[b, j] = True
    if plan.direct[b, j]:
        route_len = dtar
        wx = tx
        wy = ty
    else:
        # aim at the node `hops` ahead on the cheapest way to the target
        ni, nj = follow(plan.cost[b], plan.field[b, t], pcell, ci, cj, int(doc.hops))
        wx = nj * pcell
        wy = ni * pcell
        if (ni == ci and nj == cj) or dtar < 1.5 * pcell:
            wx = tx
            wy = ty
    wx = min(max(wx, doc.margin), arena.width - doc.margin)
    wy = min(max(wy, doc.margin), arena.height - doc.margin)
    return math.atan2(wy - y, wx - x), tx, ty, dtar, route_len


@njit
def _strike(known, plan, doc, b, j, par, x, y, h, desired, tx, ty, dtar, fast):
    """A strike UAV's heading and speed: the route, then the terminal turn at the target
    (extending out of the turning circle first when too close to make it), around known
    defence units that are not its target; fast when `fast` and not yet terminal."""
    speed = 1
    vc = par[Lo.AP_SPEED_CRUISE]
    rt = vc / max(par[Lo.AP_TURN_RATE], 1e-6)
    if plan.extend[b, j]:
        if dtar > 3.0 * rt:
            plan.extend[b, j] = False
        else:
            desired = h
    if not plan.extend[b, j] and dtar < doc.terminal_range:
        desired = math.atan2(ty - y, tx - x)
        err = abs(_wrap(desired - h))
        if err > 0.3 and dtar < 2.4 * rt * math.sin(min(err, 0.5 * math.pi)):
            plan.extend[b, j] = True
            desired = h
    if dtar >= doc.terminal_range and fast:
        speed = 2
    desired = _avoid(
        x, y, desired, tx, ty, known.obstacle[b], known.obstacle_xy[b], par[Lo.AP_WARHEAD_RADIUS]
    )
    return desired, speed


@njit
def _jammer(own, known, arena, doc, b, par, x, y, desired, fuel_fast_ok):
    """A jammer's heading, speed and jamming bearing (NaN: none): at the nearest known
    radar within `jam_range`, `jam_lead` behind the leading strike UAV, weaving across the
    bearing and slowing down when early."""
    speed = 1
    jam_bearing = np.nan
    best = -1
    best_d = doc.jam_range
    for r in range(known.threat.shape[1]):
        if known.threat[b, r]:
            d = math.sqrt((known.radar_xy[b, r, 0] - x) ** 2 + (known.radar_xy[b, r, 1] - y) ** 2)
            if d < best_d:
                best_d = d
                best = r
    if best < 0:
        return desired, speed, jam_bearing
    rx = known.radar_xy[b, best, 0]
    ry = known.radar_xy[b, best, 1]
    # the leading strike UAV's distance to that radar
    lead = 1e18
    for k in range(own.roles.shape[0]):
        ak = own.first + k
        if own.roles[k] == Lo.STRIKE and own.status[b, ak] == Lo.ACTIVE:
            dk = math.sqrt((rx - own.pos[b, ak, 0]) ** 2 + (ry - own.pos[b, ak, 1]) ** 2)
            lead = min(lead, dk)
    goal = max(doc.standoff, lead + doc.jam_lead)
    if lead > 1e17:
        goal = doc.standoff
    bearing = math.atan2(ry - y, rx - x)
    # keep the radar inside the cone: weave across the bearing when early
    half = math.acos(min(max(par[Lo.AP_JAM_COS], -1.0), 1.0))
    side = 1.0 if int(arena.t_now[b] / doc.weave_time) % 2 == 0 else -1.0
    desired = bearing
    if best_d > goal + 2000.0:
        speed = 2 if fuel_fast_ok else 1
    elif best_d > goal:
        speed = 1
    else:
        speed = 0
        desired = bearing + side * 0.8 * half
    return desired, speed, bearing


@njit
def _fly(own, known, plan, arena, doc, b, j):
    """The action of UAV j of world b (active, some strike UAV still flying)."""
    a = own.first + j
    par = own.par[b, a]
    role = own.roles[j]
    x = own.pos[b, a, 0]
    y = own.pos[b, a, 1]
    z = own.pos[b, a, 2]
    h = own.heading[b, a]
    fuel = own.fuel[b, a]
    vc = par[Lo.AP_SPEED_CRUISE]
    vmax = par[Lo.AP_SPEED_MAX]
    ny = plan.cost.shape[1]
    nx = plan.cost.shape[2]
    ci = min(max(int(round(y / plan.pcell)), 0), ny - 1)
    cj = min(max(int(round(x / plan.pcell)), 0), nx - 1)
    exposure = plan.risk_sum[b, ci, cj]
    t_left = max(arena.t_end - arena.t_now[b], 0.0)
    t = plan.target[b, j]
    # ---- the way to the target (default: straight on, no target) ----
    desired = h
    tx = x
    ty = y
    dtar = 0.0
    route_len = 0.0
    if t >= 0:
        desired, tx, ty, dtar, route_len = _route(
            known, plan, arena, doc, b, j, x, y, ci, cj, vc, vmax, fuel, t_left
        )
    # fast only when fuel allows it over the rest of the way; needed when late
    fuel_fast_ok = fuel * vc * vc / vmax > 1.1 * route_len + 30.0 * vc
    late = route_len > 0.95 * t_left * vc
    # ---- the role's command (default: low, at cruise, jammer off) ----
    agl = par[Lo.AP_ALT_MIN]
    down = True
    speed = 1
    jam_bearing = np.nan
    jam_cos = 2.0
    if role == Lo.STRIKE:
        if t >= 0:
            fast = (exposure > doc.risk_fast or late) and fuel_fast_ok
            desired, speed = _strike(
                known, plan, doc, b, j, par, x, y, h, desired, tx, ty, dtar, fast
            )
    elif role == Lo.DECOY:
        down = exposure > 1.0  # decoys stay visible
        agl = doc.agl_decoy
        speed = 2 if fuel_fast_ok else 1
        if t >= 0 and dtar < 1.3 * doc.decoy_orbit:
            desired = _orbit(x, y, tx, ty, doc.decoy_orbit)
            speed = 1
    elif role == Lo.RECON:
        covered = exposure > doc.risk_fast
        agl = doc.agl_recon_covered if covered else doc.agl_recon
        down = False
        speed = 2 if ((covered or late) and fuel_fast_ok) else 1
        if t >= 0 and dtar < 1.4 * doc.recon_orbit:
            desired = _orbit(x, y, tx, ty, doc.recon_orbit)
            speed = 1
    elif role == Lo.JAMMER:
        agl = doc.agl_jammer
        down = False
        desired, speed, jam_bearing = _jammer(
            own, known, arena, doc, b, par, x, y, desired, fuel_fast_ok
        )
        if jam_bearing == jam_bearing:  # engaging a radar
            jam_cos = par[Lo.AP_JAM_COS]
    # ---- the action that follows it ----
    ground = height_at(arena.heights, arena.tcell, x, y)
    turn_step = par[Lo.AP_TURN_RATE] * arena.dt
    climb_step = par[Lo.AP_CLIMB_RATE] * arena.dt
    return uav_action(
        h, desired, turn_step, z, ground + agl, down, climb_step, speed, jam_bearing, jam_cos
    )


@njit
def guide(own, known, plan, arena, doc, out):
    """Desired flight for every UAV of every world, turned into actions `out` [B, U]."""
    B, U = out.shape
    for b in range(B):
        strikes_left = False
        for j in range(U):
            if own.roles[j] == Lo.STRIKE and _live(own.status[b, own.first + j]):
                strikes_left = True
        for j in range(U):
            a = own.first + j
            out[b, j] = Lo.UAV_NOOP
            if own.status[b, a] != Lo.ACTIVE:
                continue
            if strikes_left:
                out[b, j] = _fly(own, known, plan, arena, doc, b, j)
            else:
                out[b, j] = _fly_home(own, arena, doc, b, a)
