"""The air-defence world's step: Numba kernels over B worlds, struct-of-arrays, in place.

`step_world(st, s, actions, active)` advances every world with `active[b]` by one step of `dt`
(`World.step` passes the worlds that are not done):

1. launches from carriers whose time has come;
2. actions: UAV manoeuvre and jammer, radar emission, launcher fire (masked actions are
   replaced by the agent's no-op and flagged in `s.invalid`);
3. flight of carriers and UAVs (turn, climb and speed limits, terrain floor, fuel, map edge);
4. interceptors in `substeps` sub-steps: pure pursuit, kill roll at closest approach;
5. strike UAVs detonate on the first defence object their path passes within warhead radius;
6. point defence: a kill hazard per second on targets inside its radius and line of sight;
7. sensing: radar scans (radar equation, jamming, line of sight), passive detection of
   emitting radars and recon sightings for the attacker;
8. rewards, termination, then `observe` writes every agent's observation and action mask.

Everything random comes from the per-world splitmix64 state `s.rng`, so a world's future is
a function of its state and the actions: snapshot/restore is bit-exact.
"""

from __future__ import annotations

import math

import numpy as np

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.terrain import height_at, line_of_sight_fast
from aerena.jit import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


# --------------------------------------------------------------------------------------
# randomness
# --------------------------------------------------------------------------------------
@njit
def uniform01(rng, b):
    """splitmix64 step of world b's generator; a float in [0, 1)."""
    z = rng[b] + _GOLDEN
    rng[b] = z
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return float(z >> _S11) * (1.0 / 9007199254740992.0)


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------
@njit
def emit(events, n_events, t, b, kind, a, o, x, y):
    """Append an event to world b's list for this step (dropped beyond capacity)."""
    n = n_events[b]
    if n < events.shape[1]:
        e = events[b, n]
        e[0] = t[b]
        e[1] = kind
        e[2] = a
        e[3] = o
        e[4] = x
        e[5] = y
    n_events[b] = n + 1


@njit
def wrap_angle(a):
    """An angle in [-pi, pi)."""
    w = (a + math.pi) % (2.0 * math.pi) - math.pi
    return w - 2.0 * math.pi if w >= math.pi else w


@njit
def segment_point_dist2(p0, p1, q):
    """Squared distance from point q to segment p0-p1 (3-vectors), and the parameter."""
    d0 = p1[0] - p0[0]
    d1 = p1[1] - p0[1]
    d2 = p1[2] - p0[2]
    L2 = d0 * d0 + d1 * d1 + d2 * d2
    tau = 0.0
    if L2 > 0.0:
        tau = ((q[0] - p0[0]) * d0 + (q[1] - p0[1]) * d1 + (q[2] - p0[2]) * d2) / L2
        tau = min(1.0, max(0.0, tau))
    e0 = p0[0] + tau * d0 - q[0]
    e1 = p0[1] + tau * d1 - q[1]
    e2 = p0[2] + tau * d2 - q[2]
    return e0 * e0 + e1 * e1 + e2 * e2, tau


@njit
def closest_approach2(a0, a1, b0, b1):
    """Minimum squared distance between two points moving linearly over [0, 1]."""
    r0 = a0[0] - b0[0]
    r1 = a0[1] - b0[1]
    r2 = a0[2] - b0[2]
    v0 = (a1[0] - a0[0]) - (b1[0] - b0[0])
    v1 = (a1[1] - a0[1]) - (b1[1] - b0[1])
    v2 = (a1[2] - a0[2]) - (b1[2] - b0[2])
    vv = v0 * v0 + v1 * v1 + v2 * v2
    tau = 0.0
    if vv > 0.0:
        tau = min(1.0, max(0.0, -(r0 * v0 + r1 * v1 + r2 * v2) / vv))
    e0 = r0 + tau * v0
    e1 = r1 + tau * v1
    e2 = r2 + tau * v2
    return e0 * e0 + e1 * e1 + e2 * e2


# --------------------------------------------------------------------------------------
# spatial grid over active air entities (per world)
# --------------------------------------------------------------------------------------
@njit
def grid_cell_of(grid_n, grid_cell, x, y):
    i = min(max(int(x / grid_cell), 0), grid_n - 1)
    j = min(max(int(y / grid_cell), 0), grid_n - 1)
    return j * grid_n + i


@njit
def build_grid(grid_n, grid_cell, air_status, air_pos, start, items, b):
    """Counting sort of world b's active air entities into grid cells: O(A + cells).

    Cell c holds items[start[b, c]:start[b, c + 1]] (air indices, increasing).
    """
    st_b = start[b]
    it_b = items[b]
    st_b[:] = 0
    A = air_status.shape[1]
    for a in range(A):
        if air_status[b, a] == Lo.ACTIVE:
            st_b[grid_cell_of(grid_n, grid_cell, air_pos[b, a, 0], air_pos[b, a, 1]) + 1] += 1
    for c in range(1, st_b.shape[0]):
        st_b[c] += st_b[c - 1]
    ncell = st_b.shape[0] - 1
    total = st_b[ncell]
    # fill from the back: start[c + 1] walks down from the end of cell c to its beginning,
    # and each cell ends up in increasing air index order
    for a in range(A - 1, -1, -1):
        if air_status[b, a] == Lo.ACTIVE:
            c = grid_cell_of(grid_n, grid_cell, air_pos[b, a, 0], air_pos[b, a, 1])
            st_b[c + 1] -= 1
            it_b[st_b[c + 1]] = a
    for c in range(ncell):
        st_b[c] = st_b[c + 1]
    st_b[ncell] = total


@njit
def grid_range(grid_n, grid_cell, x, y, r):
    """Cell index bounds (i0, i1, j0, j1) covering the disc of radius r around (x, y)."""
    i0 = min(max(int((x - r) / grid_cell), 0), grid_n - 1)
    i1 = min(max(int((x + r) / grid_cell), 0), grid_n - 1)
    j0 = min(max(int((y - r) / grid_cell), 0), grid_n - 1)
    j1 = min(max(int((y + r) / grid_cell), 0), grid_n - 1)
    return i0, i1, j0, j1


# --------------------------------------------------------------------------------------
# 1. launches
# --------------------------------------------------------------------------------------
@njit
def launch_phase(st, s, active):
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        A = s.air_status.shape[1]
        t = s.t[b]
        for a in range(st.n_carriers, A):
            if s.air_status[b, a] != Lo.WAITING:
                continue
            par = s.air_par[b, a]
            if par[Lo.AP_LAUNCH_TIME] > t + 1e-9:
                continue
            c = st.air_carrier[a]
            if s.air_status[b, c] != Lo.ACTIVE:
                lose_uav(st, s, b, a, Lo.CRASHED, Lo.EV_CRASH, c)
                continue
            x = s.air_pos[b, c, 0]
            y = s.air_pos[b, c, 1]
            h = height_at(st.heights, st.cell, x, y)
            agl = min(max(par[Lo.AP_LAUNCH_ALT], par[Lo.AP_ALT_MIN]), par[Lo.AP_ALT_MAX])
            s.air_pos[b, a, 0] = x
            s.air_pos[b, a, 1] = y
            s.air_pos[b, a, 2] = h + agl
            s.air_prev[b, a, :] = s.air_pos[b, a, :]
            s.air_heading[b, a] = par[Lo.AP_LAUNCH_HEADING]
            s.air_speed[b, a] = par[Lo.AP_SPEED_CRUISE]
            s.air_fuel[b, a] = par[Lo.AP_ENDURANCE]
            s.air_status[b, a] = Lo.ACTIVE
            emit(s.events, s.n_events, s.t, b, Lo.EV_LAUNCH, a, c, x, y)


# --------------------------------------------------------------------------------------
# 2. actions
# --------------------------------------------------------------------------------------
@njit
def fire(st, s, b, l, target):
    g = st.launcher_g[l]
    slot = s.int_used[b]
    if slot >= s.int_status.shape[1]:
        return
    s.int_used[b] = slot + 1
    par = s.gnd_par[b, g]
    s.int_status[b, slot] = Lo.INT_FLYING
    s.int_target[b, slot] = target
    s.int_launcher[b, slot] = l
    s.int_time_left[b, slot] = par[Lo.GP_INT_TIME]
    s.int_pos[b, slot, 0] = s.gnd_pos[b, g, 0]
    s.int_pos[b, slot, 1] = s.gnd_pos[b, g, 1]
    s.int_pos[b, slot, 2] = s.gnd_pos[b, g, 2] + 5.0
    s.stock[b, l] -= 1
    s.reload_left[b, l] = par[Lo.GP_RELOAD]
    s.interceptors_used[b] += 1
    s.interceptor_cost_spent[b] += par[Lo.GP_INT_COST]
    emit(
        s.events, s.n_events, s.t, b, Lo.EV_FIRE, target, l, s.gnd_pos[b, g, 0], s.gnd_pos[b, g, 1]
    )


@njit
def action_phase(st, s, all_actions, active):
    """Decode and apply actions [N]; masked ones become the agent's no-op."""
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        actions = all_actions[b]
        A = s.air_status.shape[1]
        C = st.n_carriers
        U = A - C
        Lc = st.launcher_g.shape[0]
        for n in range(actions.shape[0]):
            s.invalid[b, n] = False
        # UAVs: manoeuvre commands are stored in heading/speed targets and applied in flight
        for j in range(U):
            a = C + j
            if s.air_status[b, a] != Lo.ACTIVE:
                continue
            act = actions[j]
            if act < 0 or act >= Lo.UAV_ACTIONS or not s.act_mask[b, j, act]:
                s.invalid[b, j] = True
                s.invalid_count[b, j] += 1
                act = Lo.UAV_NOOP
            jam = act // 27
            rem = act % 27
            turn = rem // 9 - 1
            climb = (rem // 3) % 3 - 1
            spd = rem % 3
            par = s.air_par[b, a]
            s.air_heading[b, a] = wrap_angle(
                s.air_heading[b, a] + turn * par[Lo.AP_TURN_RATE] * st.dt
            )
            if spd == 0:
                s.air_speed[b, a] = par[Lo.AP_SPEED_MIN]
            elif spd == 1:
                s.air_speed[b, a] = par[Lo.AP_SPEED_CRUISE]
            else:
                s.air_speed[b, a] = par[Lo.AP_SPEED_MAX]
            s.air_pos[b, a, 2] += climb * par[Lo.AP_CLIMB_RATE] * st.dt
            on = jam == 1
            if on != s.air_jam[b, a]:
                s.air_jam[b, a] = on
                emit(
                    s.events,
                    s.n_events,
                    s.t,
                    b,
                    Lo.EV_JAM_ON if on else Lo.EV_JAM_OFF,
                    a,
                    -1,
                    s.air_pos[b, a, 0],
                    s.air_pos[b, a, 1],
                )
        # launchers
        for l in range(Lc):
            n = U + l
            g = st.launcher_g[l]
            if s.gnd_hp[b, g] <= 0.0:
                continue
            act = actions[n]
            if act < 0 or act > st.k or not s.act_mask[b, n, act]:
                s.invalid[b, n] = True
                s.invalid_count[b, n] += 1
                act = Lo.LAUNCHER_HOLD
            if act > 0:
                fire(st, s, b, l, s.obs_ref[b, n, act - 1])
        # radars
        R = st.radar_g.shape[0]
        for r in range(R):
            n = U + Lc + r
            g = st.radar_g[r]
            if s.gnd_hp[b, g] <= 0.0:
                continue
            act = actions[n]
            if act < 0 or act >= Lo.RADAR_ACTIONS or not s.act_mask[b, n, act]:
                s.invalid[b, n] = True
                s.invalid_count[b, n] += 1
                continue  # no-op: keep the current emission state
            on = act == 0
            if on != s.radar_emit[b, r]:
                s.radar_emit[b, r] = on
                if on:
                    s.radar_next_scan[b, r] = s.t[b]
                emit(
                    s.events,
                    s.n_events,
                    s.t,
                    b,
                    Lo.EV_EMIT_ON if on else Lo.EV_EMIT_OFF,
                    -1,
                    r,
                    s.gnd_pos[b, g, 0],
                    s.gnd_pos[b, g, 1],
                )


# --------------------------------------------------------------------------------------
# 3. flight
# --------------------------------------------------------------------------------------
@njit
def lose_uav(st, s, b, a, status, event, other):
    s.air_status[b, a] = status
    s.air_jam[b, a] = False
    role = st.air_role[a]
    if role < Lo.CARRIER and status != Lo.EXPENDED:
        s.uav_lost[b, role] += 1
        s.uav_lost_cost[b] += s.air_par[b, a, Lo.AP_COST]
    emit(s.events, s.n_events, s.t, b, event, a, other, s.air_pos[b, a, 0], s.air_pos[b, a, 1])


@njit
def flight_phase(st, s, active):
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        A = s.air_status.shape[1]
        dt = st.dt
        for a in range(A):
            s.air_prev[b, a, 0] = s.air_pos[b, a, 0]
            s.air_prev[b, a, 1] = s.air_pos[b, a, 1]
            s.air_prev[b, a, 2] = s.air_pos[b, a, 2]
            if s.air_status[b, a] != Lo.ACTIVE:
                continue
            par = s.air_par[b, a]
            if st.air_role[a] == Lo.CARRIER:
                x = min(max(s.air_pos[b, a, 0] + par[Lo.AP_VX] * dt, 0.0), st.width)
                y = min(max(s.air_pos[b, a, 1] + par[Lo.AP_VY] * dt, 0.0), st.height)
                s.air_pos[b, a, 0] = x
                s.air_pos[b, a, 1] = y
                s.air_pos[b, a, 2] = height_at(st.heights, st.cell, x, y) + par[Lo.AP_LAUNCH_ALT]
                continue
            v = s.air_speed[b, a]
            h = s.air_heading[b, a]
            x = s.air_pos[b, a, 0] + v * math.cos(h) * dt
            y = s.air_pos[b, a, 1] + v * math.sin(h) * dt
            s.air_pos[b, a, 0] = x
            s.air_pos[b, a, 1] = y
            ground = height_at(st.heights, st.cell, x, y)
            z = min(
                max(s.air_pos[b, a, 2], ground + par[Lo.AP_ALT_MIN]), ground + par[Lo.AP_ALT_MAX]
            )
            s.air_pos[b, a, 2] = z
            ratio = v / par[Lo.AP_SPEED_CRUISE]
            s.air_fuel[b, a] -= dt * ratio * ratio
            if x < 0.0 or x > st.width or y < 0.0 or y > st.height:
                s.air_pos[b, a, 0] = min(max(x, 0.0), st.width)
                s.air_pos[b, a, 1] = min(max(y, 0.0), st.height)
                lose_uav(st, s, b, a, Lo.LEFT_MAP, Lo.EV_LEFT_MAP, -1)
            elif s.air_fuel[b, a] <= 0.0:
                s.air_fuel[b, a] = 0.0
                lose_uav(st, s, b, a, Lo.CRASHED, Lo.EV_CRASH, -1)


# --------------------------------------------------------------------------------------
# 4. interceptors
# --------------------------------------------------------------------------------------
@njit
def interceptor_phase(st, s, active):
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        n_sub = st.substeps
        h = st.dt / n_sub
        p0 = np.empty(3)
        p1 = np.empty(3)
        q0 = np.empty(3)
        q1 = np.empty(3)
        for i in range(s.int_used[b]):
            if s.int_status[b, i] != Lo.INT_FLYING:
                continue
            a = s.int_target[b, i]
            l = s.int_launcher[b, i]
            g = st.launcher_g[l]
            par = s.gnd_par[b, g]
            speed = par[Lo.GP_INT_SPEED]
            lethal2 = par[Lo.GP_LETHAL] ** 2
            for sub in range(n_sub):
                if s.air_status[b, a] != Lo.ACTIVE:  # target gone: self-destruct
                    s.int_status[b, i] = Lo.INT_DONE
                    emit(
                        s.events,
                        s.n_events,
                        s.t,
                        b,
                        Lo.EV_INTERCEPT_MISS,
                        a,
                        l,
                        s.int_pos[b, i, 0],
                        s.int_pos[b, i, 1],
                    )
                    break
                f0 = sub / n_sub
                f1 = (sub + 1) / n_sub
                for c in range(3):
                    q0[c] = s.air_prev[b, a, c] + (s.air_pos[b, a, c] - s.air_prev[b, a, c]) * f0
                    q1[c] = s.air_prev[b, a, c] + (s.air_pos[b, a, c] - s.air_prev[b, a, c]) * f1
                    p0[c] = s.int_pos[b, i, c]
                dx = q1[0] - p0[0]
                dy = q1[1] - p0[1]
                dz = q1[2] - p0[2]
                d = math.sqrt(dx * dx + dy * dy + dz * dz)
                step = speed * h
                if d <= step or d == 0.0:
                    p1[0], p1[1], p1[2] = q1[0], q1[1], q1[2]
                else:
                    p1[0] = p0[0] + dx / d * step
                    p1[1] = p0[1] + dy / d * step
                    p1[2] = p0[2] + dz / d * step
                for c in range(3):
                    s.int_pos[b, i, c] = p1[c]
                s.int_time_left[b, i] -= h
                if closest_approach2(p0, p1, q0, q1) <= lethal2:
                    s.int_status[b, i] = Lo.INT_DONE
                    if uniform01(s.rng, b) < par[Lo.GP_PK]:
                        s.kills[b] += 1
                        emit(s.events, s.n_events, s.t, b, Lo.EV_INTERCEPT_KILL, a, l, q1[0], q1[1])
                        lose_uav(st, s, b, a, Lo.KILLED, Lo.EV_INTERCEPT_KILL, l)
                        s.n_events[b] -= 1  # lose_uav logged the same event again
                    else:
                        emit(s.events, s.n_events, s.t, b, Lo.EV_INTERCEPT_MISS, a, l, q1[0], q1[1])
                    break
                if s.int_time_left[b, i] <= 1e-9:
                    s.int_status[b, i] = Lo.INT_DONE
                    emit(s.events, s.n_events, s.t, b, Lo.EV_INTERCEPT_MISS, a, l, p1[0], p1[1])
                    break


# --------------------------------------------------------------------------------------
# 5. strikes
# --------------------------------------------------------------------------------------
@njit
def damage_ground(st, s, b, g, dmg, a):
    hp = s.gnd_hp[b, g]
    if hp <= 0.0:
        return
    par = s.gnd_par[b, g]
    lost = min(dmg, hp)
    s.gnd_hp[b, g] = hp - lost
    value = par[Lo.GP_VALUE] * lost / max(par[Lo.GP_HP_MAX], 1e-12)
    if st.gnd_kind[g] == Lo.ASSET:
        s.asset_destroyed[b] += value
    else:
        s.defence_destroyed[b] += value
    emit(s.events, s.n_events, s.t, b, Lo.EV_HIT, a, g, s.gnd_pos[b, g, 0], s.gnd_pos[b, g, 1])
    if s.gnd_hp[b, g] <= 1e-12:
        s.gnd_hp[b, g] = 0.0
        emit(
            s.events,
            s.n_events,
            s.t,
            b,
            Lo.EV_GROUND_KILL,
            a,
            g,
            s.gnd_pos[b, g, 0],
            s.gnd_pos[b, g, 1],
        )
        kind = st.gnd_kind[g]
        if kind == Lo.RADAR:
            s.radar_emit[b, st.gnd_sub[g]] = False


@njit
def strike_phase(st, s, active):
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        A = s.air_status.shape[1]
        G = s.gnd_hp.shape[1]
        point = np.empty(3)
        for a in range(st.n_carriers, A):
            if s.air_status[b, a] != Lo.ACTIVE or st.air_role[a] != Lo.STRIKE:
                continue
            par = s.air_par[b, a]
            rad = par[Lo.AP_WARHEAD_RADIUS]
            if rad <= 0.0:
                continue
            best = -1
            best_tau = 2.0
            for g in range(G):
                if s.gnd_hp[b, g] <= 0.0:
                    continue
                d2, tau = segment_point_dist2(s.air_prev[b, a], s.air_pos[b, a], s.gnd_pos[b, g])
                if d2 <= rad * rad and tau < best_tau:
                    best = g
                    best_tau = tau
            if best < 0:
                continue
            for c in range(3):
                point[c] = s.air_prev[b, a, c] + best_tau * (
                    s.air_pos[b, a, c] - s.air_prev[b, a, c]
                )
                s.air_pos[b, a, c] = point[c]
            dmg = par[Lo.AP_WARHEAD_DAMAGE]
            for g in range(G):
                dx = s.gnd_pos[b, g, 0] - point[0]
                dy = s.gnd_pos[b, g, 1] - point[1]
                dz = s.gnd_pos[b, g, 2] - point[2]
                if dx * dx + dy * dy + dz * dz <= rad * rad:
                    damage_ground(st, s, b, g, dmg, a)
            s.leakers[b] += 1
            lose_uav(st, s, b, a, Lo.EXPENDED, Lo.EV_HIT, best)
            s.n_events[b] -= 1  # the hit was already logged per object


# --------------------------------------------------------------------------------------
# 6. point defence
# --------------------------------------------------------------------------------------
@njit
def point_defence_phase(st, s, active):
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        items = s.grid_items[b]
        start = s.grid_start[b]
        for p in range(st.pd_g.shape[0]):
            g = st.pd_g[p]
            if s.gnd_hp[b, g] <= 0.0:
                continue
            par = s.gnd_par[b, g]
            rad = par[Lo.GP_PD_RADIUS]
            pk = 1.0 - math.exp(-par[Lo.GP_PD_RATE] * st.dt)
            gx = s.gnd_pos[b, g, 0]
            gy = s.gnd_pos[b, g, 1]
            gz = s.gnd_pos[b, g, 2] + 5.0
            i0, i1, j0, j1 = grid_range(st.grid_n, st.grid_cell, gx, gy, rad)
            for j in range(j0, j1 + 1):
                for i in range(i0, i1 + 1):
                    c = j * st.grid_n + i
                    for q in range(start[c], start[c + 1]):
                        a = items[q]
                        if (
                            s.air_status[b, a] != Lo.ACTIVE
                            or s.air_par[b, a, Lo.AP_DETECTABLE] < 0.5
                        ):
                            continue
                        dx = s.air_pos[b, a, 0] - gx
                        dy = s.air_pos[b, a, 1] - gy
                        dz = s.air_pos[b, a, 2] - gz
                        if dx * dx + dy * dy + dz * dz > rad * rad:
                            continue
                        agl = s.air_pos[b, a, 2] - height_at(
                            st.heights, st.cell, s.air_pos[b, a, 0], s.air_pos[b, a, 1]
                        )
                        if agl > par[Lo.GP_PD_ALT_MAX]:
                            continue
                        if not line_of_sight_fast(
                            st.heights,
                            st.height_max,
                            st.cell,
                            gx,
                            gy,
                            gz,
                            s.air_pos[b, a, 0],
                            s.air_pos[b, a, 1],
                            s.air_pos[b, a, 2],
                        ):
                            continue
                        if uniform01(s.rng, b) < pk:
                            s.kills[b] += 1
                            lose_uav(st, s, b, a, Lo.KILLED, Lo.EV_PD_KILL, p)


# --------------------------------------------------------------------------------------
# 7. sensing
# --------------------------------------------------------------------------------------
@njit
def jamming_at(st, s, b, x, y, z):
    """Jamming noise J at a radar antenna: sum of power / R^2 over jammers aiming at it."""
    A = s.air_status.shape[1]
    J = 0.0
    for a in range(st.n_carriers, A):
        if not s.air_jam[b, a] or s.air_status[b, a] != Lo.ACTIVE:
            continue
        par = s.air_par[b, a]
        dx = x - s.air_pos[b, a, 0]
        dy = y - s.air_pos[b, a, 1]
        dz = z - s.air_pos[b, a, 2]
        d2 = dx * dx + dy * dy + dz * dz
        if d2 <= 1.0:
            d2 = 1.0
        hd = math.sqrt(dx * dx + dy * dy)
        if hd > 0.0:
            h = s.air_heading[b, a]
            if (dx * math.cos(h) + dy * math.sin(h)) / hd < par[Lo.AP_JAM_COS]:
                continue
        if not line_of_sight_fast(
            st.heights,
            st.height_max,
            st.cell,
            s.air_pos[b, a, 0],
            s.air_pos[b, a, 1],
            s.air_pos[b, a, 2],
            x,
            y,
            z,
        ):
            continue
        J += par[Lo.AP_JAM_POWER] / d2
    return J


@njit
def detection_probability(rcs, rcs_ref, r0, slope, dist, jam):
    """Pd from the radar equation: S = (rcs / rcs_ref) (r0 / R)^4, SNR = S / (1 + J)."""
    if dist < 1.0:
        dist = 1.0
    q = r0 / dist
    S = rcs / rcs_ref * q * q * q * q
    snr_db = 10.0 * math.log10(S / (1.0 + jam) + 1e-300)
    return 1.0 / (1.0 + math.exp(-slope * snr_db))


@njit
def detection_reach(gpar, rcs):
    """Range beyond which a radar (parameter row `gpar`) detects cross-section `rcs` with
    Pd < 1e-6. Pd < 1e-6 <=> slope * SNR_dB < -ln(1e6 - 1) = -13.8; without jamming this
    holds beyond range * (rcs / rcs_ref)^(1/4) * 10^(13.8 / (40 slope))."""
    reach = gpar[Lo.GP_RANGE] * (max(rcs, 1e-12) / gpar[Lo.GP_RCS_REF]) ** 0.25
    return reach * 10.0 ** (13.82 / (40.0 * max(gpar[Lo.GP_PD_SLOPE], 0.1)))


@njit
def radar_phase(st, s, active):
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        items = s.grid_items[b]
        start = s.grid_start[b]
        A = s.air_status.shape[1]
        t = s.t[b]
        rcs_max = 0.0
        for a in range(A):
            if s.air_status[b, a] == Lo.ACTIVE:
                rcs_max = max(rcs_max, s.air_par[b, a, Lo.AP_RCS])
        for r in range(st.radar_g.shape[0]):
            g = st.radar_g[r]
            if s.gnd_hp[b, g] <= 0.0 or not s.radar_emit[b, r]:
                continue
            if t + 1e-9 < s.radar_next_scan[b, r]:
                continue
            par = s.gnd_par[b, g]
            s.radar_next_scan[b, r] = t + par[Lo.GP_SCAN_PERIOD]
            gx = s.gnd_pos[b, g, 0]
            gy = s.gnd_pos[b, g, 1]
            gz = s.gnd_pos[b, g, 2] + par[Lo.GP_MAST]
            jam = jamming_at(st, s, b, gx, gy, gz)
            # beyond this range Pd < 1e-6 even for the largest cross-section present
            reach = detection_reach(par, rcs_max)
            i0, i1, j0, j1 = grid_range(st.grid_n, st.grid_cell, gx, gy, reach)
            memory = par[Lo.GP_TRACK_MEMORY]
            for j in range(j0, j1 + 1):
                for i in range(i0, i1 + 1):
                    c = j * st.grid_n + i
                    for q in range(start[c], start[c + 1]):
                        a = items[q]
                        if (
                            s.air_status[b, a] != Lo.ACTIVE
                            or s.air_par[b, a, Lo.AP_DETECTABLE] < 0.5
                        ):
                            continue
                        ax = s.air_pos[b, a, 0]
                        ay = s.air_pos[b, a, 1]
                        az = s.air_pos[b, a, 2]
                        dx = ax - gx
                        dy = ay - gy
                        dz = az - gz
                        dist = math.sqrt(dx * dx + dy * dy + dz * dz)
                        if dist > reach:
                            continue
                        pd = detection_probability(
                            s.air_par[b, a, Lo.AP_RCS],
                            par[Lo.GP_RCS_REF],
                            par[Lo.GP_RANGE],
                            par[Lo.GP_PD_SLOPE],
                            dist,
                            jam,
                        )
                        if pd < 1e-6:
                            continue
                        # the draw comes first: line of sight (the costly part) is only
                        # traced for the detections the draw would grant
                        if uniform01(s.rng, b) >= pd:
                            continue
                        if line_of_sight_fast(
                            st.heights, st.height_max, st.cell, gx, gy, gz, ax, ay, az
                        ):
                            if t - s.det_time[b, r, a] > memory:
                                emit(s.events, s.n_events, s.t, b, Lo.EV_DETECT, a, r, ax, ay)
                            s.det_time[b, r, a] = t


@njit
def attacker_sensing_phase(st, s, active):
    """Passive detection of emitting radars, and recon sightings of ground units."""
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        A = s.air_status.shape[1]
        G = s.gnd_hp.shape[1]
        for r in range(st.radar_g.shape[0]):
            g = st.radar_g[r]
            if s.known[b, g] or s.gnd_hp[b, g] <= 0.0 or not s.radar_emit[b, r]:
                continue
            gx = s.gnd_pos[b, g, 0]
            gy = s.gnd_pos[b, g, 1]
            gz = s.gnd_pos[b, g, 2] + s.gnd_par[b, g, Lo.GP_MAST]
            for a in range(st.n_carriers, A):
                if s.air_status[b, a] != Lo.ACTIVE:
                    continue
                rng_esm = s.air_par[b, a, Lo.AP_ESM_RANGE]
                dx = s.air_pos[b, a, 0] - gx
                dy = s.air_pos[b, a, 1] - gy
                dz = s.air_pos[b, a, 2] - gz
                if dx * dx + dy * dy + dz * dz > rng_esm * rng_esm:
                    continue
                if line_of_sight_fast(
                    st.heights,
                    st.height_max,
                    st.cell,
                    gx,
                    gy,
                    gz,
                    s.air_pos[b, a, 0],
                    s.air_pos[b, a, 1],
                    s.air_pos[b, a, 2],
                ):
                    s.known[b, g] = True
                    emit(s.events, s.n_events, s.t, b, Lo.EV_SPOTTED, a, g, gx, gy)
                    break
        for a in range(st.n_carriers, A):
            if s.air_status[b, a] != Lo.ACTIVE or st.air_role[a] != Lo.RECON:
                continue
            sr = s.air_par[b, a, Lo.AP_SENSOR_RANGE]
            ax = s.air_pos[b, a, 0]
            ay = s.air_pos[b, a, 1]
            az = s.air_pos[b, a, 2]
            for g in range(G):
                if s.known[b, g] or s.gnd_hp[b, g] <= 0.0:
                    continue
                dx = s.gnd_pos[b, g, 0] - ax
                dy = s.gnd_pos[b, g, 1] - ay
                if dx * dx + dy * dy > sr * sr:
                    continue
                if line_of_sight_fast(
                    st.heights,
                    st.height_max,
                    st.cell,
                    ax,
                    ay,
                    az,
                    s.gnd_pos[b, g, 0],
                    s.gnd_pos[b, g, 1],
                    s.gnd_pos[b, g, 2] + 5.0,
                ):
                    s.known[b, g] = True
                    emit(
                        s.events,
                        s.n_events,
                        s.t,
                        b,
                        Lo.EV_SPOTTED,
                        a,
                        g,
                        s.gnd_pos[b, g, 0],
                        s.gnd_pos[b, g, 1],
                    )


@njit
def connectivity_phase(st, s, active):
    """conn[r, l]: radar r's tracks reach launcher l through an organic link or a live post."""
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        R = st.radar_g.shape[0]
        Lc = st.launcher_g.shape[0]
        Q = st.cp_g.shape[0]
        for r in range(R):
            alive_r = s.gnd_hp[b, st.radar_g[r]] > 0.0
            for l in range(Lc):
                ok = False
                if alive_r:
                    if st.link_rl[r, l]:
                        ok = True
                    else:
                        for q in range(Q):
                            if (
                                st.link_rc[r, q]
                                and st.link_ql[q, l]
                                and s.gnd_hp[b, st.cp_g[q]] > 0.0
                            ):
                                ok = True
                                break
                s.conn[b, r, l] = ok


# --------------------------------------------------------------------------------------
# 8. rewards and termination
# --------------------------------------------------------------------------------------
@njit
def reward_phase(st, s, all_before, active):
    """Side rewards from this step's changes in the episode tallies `before` [B, 4].

    Asset and defence value destroyed are both measured in units of the total asset value
    (so their weights compare); UAV cost lost in units of the total UAV cost; interceptor
    cost spent in units of the total interceptor cost in stock at the start.
    """
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        before = all_before[b]
        tot = s.totals[b]
        d_asset = (s.asset_destroyed[b] - before[0]) / max(tot[0], 1e-9)
        d_def = (s.defence_destroyed[b] - before[1]) / max(tot[0], 1e-9)
        d_uav = (s.uav_lost_cost[b] - before[2]) / max(tot[2], 1e-9)
        d_int = (s.interceptor_cost_spent[b] - before[3]) / max(tot[3], 1e-9)
        wa = st.w_att
        wd = st.w_def
        ra = wa[0] * d_asset + wa[1] * d_def - wa[2] * d_uav + wa[3] * d_int
        if st.zero_sum:
            rd = -ra
        else:
            rd = -wd[0] * d_asset - wd[1] * d_def + wd[2] * d_uav - wd[3] * d_int
        s.reward[b, 0] = ra
        s.reward[b, 1] = rd


@njit
def termination_phase(st, s, active):
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        G = s.gnd_hp.shape[1]
        assets_left = False
        for g in range(G):
            if st.gnd_kind[g] == Lo.ASSET and s.gnd_hp[b, g] > 0.0:
                assets_left = True
                break
        attackers_left = False
        for a in range(st.n_carriers, s.air_status.shape[1]):
            stt = s.air_status[b, a]
            if stt == Lo.ACTIVE or stt == Lo.WAITING:
                attackers_left = True
                break
        s.terminated[b] = (not assets_left) or (not attackers_left)
        s.truncated[b] = (not s.terminated[b]) and s.step[b] >= st.max_steps


# --------------------------------------------------------------------------------------
# the step
# --------------------------------------------------------------------------------------
@njit
def grid_phase(st, s, active):
    for b in range(active.shape[0]):
        if active[b]:
            build_grid(
                st.grid_n, st.grid_cell, s.air_status, s.air_pos, s.grid_start, s.grid_items, b
            )


@njit
def begin_phase(st, s, all_before, active):
    """Start a step: clear the event list, note the tallies the rewards are computed from."""
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        s.n_events[b] = 0
        all_before[b, 0] = s.asset_destroyed[b]
        all_before[b, 1] = s.defence_destroyed[b]
        all_before[b, 2] = s.uav_lost_cost[b]
        all_before[b, 3] = s.interceptor_cost_spent[b]


@njit
def clock_phase(st, s, active):
    """Tick: time, step counter, launcher reloads."""
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        s.t[b] += st.dt
        s.step[b] += 1
        for l in range(st.launcher_g.shape[0]):
            s.reload_left[b, l] = max(0.0, s.reload_left[b, l] - st.dt)


@njit
def step_world(st, s, actions, active):
    """Step every world b with active[b] (actions [B, N] int64), then observe it.

    Phases run one after the other over a block of worlds (worlds are independent), so a
    phase is one call per block, not per world; blocks of 64 worlds keep a block's state in
    cache between phases.
    """
    B = active.shape[0]
    before = np.zeros((B, 4))
    block = np.zeros(B, dtype=np.bool_)
    for b0 in range(0, B, 64):
        b1 = min(B, b0 + 64)
        if b0 > 0:
            block[b0 - 64 : b0] = False
        block[b0:b1] = active[b0:b1]
        step_block(st, s, actions, before, block)


@njit
def step_block(st, s, actions, before, active):
    begin_phase(st, s, before, active)
    # actions refer to the observation the agents saw, so they are applied first
    action_phase(st, s, actions, active)
    clock_phase(st, s, active)
    flight_phase(st, s, active)
    launch_phase(st, s, active)
    interceptor_phase(st, s, active)
    strike_phase(st, s, active)
    grid_phase(st, s, active)
    point_defence_phase(st, s, active)
    grid_phase(st, s, active)
    radar_phase(st, s, active)
    attacker_sensing_phase(st, s, active)
    connectivity_phase(st, s, active)
    reward_phase(st, s, before, active)
    termination_phase(st, s, active)
    observe_uavs(st, s, active)
    observe_launchers(st, s, active)
    observe_radars(st, s, active)


# --------------------------------------------------------------------------------------
# observation
# --------------------------------------------------------------------------------------
@njit
def top_k(keys, n, k, out_idx):
    """Indices of the k smallest keys[:n] in increasing order (ties by index); returns count.

    A bounded insertion sort: O(n k) worst case, O(n) when k is small, no allocation.
    """
    m = 0
    for i in range(n):
        v = keys[i]
        if m == k and v >= keys[out_idx[m - 1]]:
            continue
        pos = m if m < k else k - 1
        while pos > 0 and keys[out_idx[pos - 1]] > v:
            if pos < k:
                out_idx[pos] = out_idx[pos - 1]
            pos -= 1
        out_idx[pos] = i
        if m < k:
            m += 1
    return m


@njit
def write_relative(obs, pos, ox, oy, oz, range_scale):
    """Clear an entity row and write its position relative to the observer (features 0-3)."""
    for f in range(obs.shape[0]):
        obs[f] = 0.0
    dx = pos[0] - ox
    dy = pos[1] - oy
    obs[0] = dx / range_scale
    obs[1] = dy / range_scale
    obs[2] = (pos[2] - oz) / 1000.0
    obs[3] = math.sqrt(dx * dx + dy * dy) / range_scale


@njit
def air_velocities(air_speed, air_heading, b, vel):
    """vel[a] = (vx, vy) of world b's air entities (UAV speed along heading), in place."""
    for a in range(vel.shape[0]):
        v = air_speed[b, a]
        h = air_heading[b, a]
        vel[a, 0] = v * math.cos(h)
        vel[a, 1] = v * math.sin(h)


@njit
def interceptors_in_flight(int_status, int_target, b, busy):
    """busy[a] = 1.0 if one of world b's interceptors is flying at air entity a, in place."""
    busy[:] = 0.0
    for i in range(int_status.shape[1]):
        if int_status[b, i] == Lo.INT_FLYING:
            busy[int_target[b, i]] = 1.0


@njit
def write_air_entity(
    air_pos,
    vel,
    air_par,
    air_jam,
    air_role,
    range_scale,
    b,
    obs,
    a,
    ox,
    oy,
    oz,
    friendly,
    reveal_type,
    age,
    engageable,
    tot0,
):
    """Entity features of air entity a seen from (ox, oy, oz); see layout.ENTITY_FEATURES.

    `vel` [A, 2] holds this world's velocities (see `air_velocities`), computed once per world.
    """
    write_relative(obs, air_pos[b, a], ox, oy, oz, range_scale)
    role = air_role[a]
    if role == Lo.CARRIER:
        obs[4] = air_par[b, a, Lo.AP_VX] / 100.0
        obs[5] = air_par[b, a, Lo.AP_VY] / 100.0
    else:
        obs[4] = vel[a, 0] / 100.0
        obs[5] = vel[a, 1] / 100.0
    obs[6] = 1.0 if friendly else 0.0
    if reveal_type or role == Lo.CARRIER:
        obs[Lo.EF_TYPE + 1 + role] = 1.0
    else:
        obs[Lo.EF_TYPE] = 1.0
    obs[Lo.EF_HP] = 1.0
    obs[Lo.EF_AGE] = age
    obs[Lo.EF_JAM] = 1.0 if air_jam[b, a] else 0.0
    obs[Lo.EF_ENGAGEABLE] = 1.0 if engageable else 0.0
    if role == Lo.CARRIER:
        obs[Lo.EF_VALUE] = air_par[b, a, Lo.AP_VALUE] / max(tot0, 1e-9)


@njit
def write_ground_entity(
    gnd_pos,
    gnd_hp,
    gnd_par,
    radar_emit,
    gnd_kind,
    gnd_sub,
    range_scale,
    b,
    obs,
    g,
    ox,
    oy,
    oz,
    friendly,
    tot0,
):
    """Entity features of ground object g seen from (ox, oy, oz)."""
    write_relative(obs, gnd_pos[b, g], ox, oy, oz, range_scale)
    obs[6] = 1.0 if friendly else 0.0
    kind = gnd_kind[g]
    obs[Lo.EF_TYPE_GROUND + kind] = 1.0
    obs[Lo.EF_HP] = gnd_hp[b, g] / max(gnd_par[b, g, Lo.GP_HP_MAX], 1e-12)
    if kind == Lo.RADAR and radar_emit[b, gnd_sub[g]]:
        obs[Lo.EF_EMIT] = 1.0
    obs[Lo.EF_VALUE] = gnd_par[b, g, Lo.GP_VALUE] / max(tot0, 1e-9)


@njit
def launcher_can_engage(
    heights,
    cell,
    launcher_g,
    gnd_par,
    gnd_hp,
    gnd_pos,
    stock,
    reload_left,
    air_status,
    air_par,
    air_pos,
    b,
    l,
    a,
):
    """Launcher l can fire at air entity a now: alive, stock, reloaded, inside its envelope."""
    g = launcher_g[l]
    if gnd_hp[b, g] <= 0.0 or stock[b, l] <= 0 or reload_left[b, l] > 0.0:
        return False
    if air_status[b, a] != Lo.ACTIVE or air_par[b, a, Lo.AP_DETECTABLE] < 0.5:
        return False
    dx = air_pos[b, a, 0] - gnd_pos[b, g, 0]
    dy = air_pos[b, a, 1] - gnd_pos[b, g, 1]
    dz = air_pos[b, a, 2] - gnd_pos[b, g, 2]
    d = math.sqrt(dx * dx + dy * dy + dz * dz)
    par = gnd_par[b, g]
    if d < par[Lo.GP_RANGE_MIN] or d > par[Lo.GP_RANGE_MAX]:
        return False
    agl = air_pos[b, a, 2] - height_at(heights, cell, air_pos[b, a, 0], air_pos[b, a, 1])
    return par[Lo.GP_ALT_MIN] <= agl <= par[Lo.GP_ALT_MAX]


@njit
def track_age(det_time, gnd_par, radar_g, t, b, r, a):
    """Age of radar r's track on a as a fraction of its memory (> 1: no track)."""
    mem = gnd_par[b, radar_g[r], Lo.GP_TRACK_MEMORY]
    return (t[b] - det_time[b, r, a]) / max(mem, 1e-9)


@njit
def clear_agent(obs_self, obs_ent, obs_mask, obs_ref, obs_ref_kind, act_mask, b, n, rows):
    """Reset agent n's observation; entity rows are zeroed from `rows` on (the writers
    overwrite the rows before it in full)."""
    obs_self[b, n, :] = 0.0
    obs_ent[b, n, rows:, :] = 0.0
    obs_mask[b, n, :] = False
    obs_ref[b, n, :] = -1
    obs_ref_kind[b, n, :] = Lo.REF_NONE
    act_mask[b, n, :] = False


@njit
def point_ahead(st, par, ax, ay, az, heading, speed, seconds):
    """Where UAV a is `seconds` ahead on a straight line at its speed, holding altitude
    inside its height band above ground (the flight model's clamp); x, y kept in the map."""
    x = min(max(ax + speed * math.cos(heading) * seconds, 0.0), st.width)
    y = min(max(ay + speed * math.sin(heading) * seconds, 0.0), st.height)
    ground = height_at(st.heights, st.cell, x, y)
    z = min(max(az, ground + par[Lo.AP_ALT_MIN]), ground + par[Lo.AP_ALT_MAX])
    return x, y, z, ground


@njit
def in_view(st, gx, gy, gz, x, y, z, reach2):
    """(x, y, z) lies within sqrt(reach2) of (gx, gy, gz) and the terrain does not mask it."""
    dx = x - gx
    dy = y - gy
    dz = z - gz
    if dx * dx + dy * dy + dz * dz > reach2:
        return False
    return line_of_sight_fast(st.heights, st.height_max, st.cell, gx, gy, gz, x, y, z)


@njit
def uav_terrain_view(st, s, b, a, me):
    """Self features SF_PROFILE.. of UAV a (see layout.SELF_FEATURES): the terrain profile
    ahead, whether the nearest known live radar can see it (inside its detection reach on
    the UAV's cross-section, and terrain line of sight from the mast: the radars' own tests)
    now and at the look-ahead points, the nearest known live asset. Only what the
    attacker knows (`known`) is used."""
    par = s.air_par[b, a]
    ax = s.air_pos[b, a, 0]
    ay = s.air_pos[b, a, 1]
    az = s.air_pos[b, a, 2]
    h = s.air_heading[b, a]
    v = s.air_speed[b, a]
    for q in range(len(Lo.PROFILE_S)):
        x, y, z, ground = point_ahead(st, par, ax, ay, az, h, v, Lo.PROFILE_S[q])
        me[Lo.SF_PROFILE + q] = (ground - az) / 1000.0
    best_r = -1
    best_r_d2 = np.inf
    best_a = -1
    best_a_d2 = np.inf
    for g in range(st.gnd_kind.shape[0]):
        if not s.known[b, g] or s.gnd_hp[b, g] <= 0.0:
            continue
        kind = st.gnd_kind[g]
        if kind != Lo.RADAR and kind != Lo.ASSET:
            continue
        dx = s.gnd_pos[b, g, 0] - ax
        dy = s.gnd_pos[b, g, 1] - ay
        d2 = dx * dx + dy * dy
        if kind == Lo.RADAR and d2 < best_r_d2:
            best_r, best_r_d2 = g, d2
        elif kind == Lo.ASSET and d2 < best_a_d2:
            best_a, best_a_d2 = g, d2
    if best_r >= 0:
        gx = s.gnd_pos[b, best_r, 0]
        gy = s.gnd_pos[b, best_r, 1]
        gz = s.gnd_pos[b, best_r, 2] + s.gnd_par[b, best_r, Lo.GP_MAST]
        me[Lo.SF_RADAR_KNOWN] = 1.0
        # only inside the radar's reach on my cross-section is the (costly) terrain traced
        reach2 = detection_reach(s.gnd_par[b, best_r], par[Lo.AP_RCS]) ** 2
        if in_view(st, gx, gy, gz, ax, ay, az, reach2):
            me[Lo.SF_LOS] = 1.0
        for q in range(len(Lo.LOOKAHEAD_S)):
            x, y, z, ground = point_ahead(st, par, ax, ay, az, h, v, Lo.LOOKAHEAD_S[q])
            if in_view(st, gx, gy, gz, x, y, z, reach2):
                me[Lo.SF_LOS + 1 + q] = 1.0
    if best_a >= 0:
        dx = s.gnd_pos[b, best_a, 0] - ax
        dy = s.gnd_pos[b, best_a, 1] - ay
        d = math.sqrt(best_a_d2)
        me[Lo.SF_ASSET_KNOWN] = 1.0
        me[Lo.SF_ASSET_DIST] = d / st.range_scale
        if d > 0.0:
            closing = v * (math.cos(h) * dx + math.sin(h) * dy) / d
            me[Lo.SF_ASSET_CLOSING] = closing / par[Lo.AP_SPEED_MAX]


@njit
def observe_uavs(st, s, active):
    """UAV agents: known ground objects and nearest friends."""
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        A = s.air_status.shape[1]
        G = s.gnd_hp.shape[1]
        C = st.n_carriers
        U = A - C
        K = st.k
        t_frac = s.step[b] / st.max_steps
        tot0 = s.totals[b, 0]
        keys = s.scratch_d[b]
        idx = s.scratch_i[b]
        cand = np.empty(max(A, G) + 1, np.int64)
        vel = np.empty((A, 2))
        air_velocities(s.air_speed, s.air_heading, b, vel)
        ground_pick = np.empty(K, np.int64)
        air_pick = np.empty(K, np.int64)

        # ---- UAV agents ----
        for j in range(U):
            a = C + j
            n = j
            alive = s.air_status[b, a] == Lo.ACTIVE
            s.agent_alive[b, n] = alive
            clear_agent(
                s.obs_self,
                s.obs_ent,
                s.obs_mask,
                s.obs_ref,
                s.obs_ref_kind,
                s.act_mask,
                b,
                n,
                K if alive else 0,
            )
            if not alive:
                continue
            par = s.air_par[b, a]
            ax = s.air_pos[b, a, 0]
            ay = s.air_pos[b, a, 1]
            az = s.air_pos[b, a, 2]
            me = s.obs_self[b, n]
            me[0] = ax / st.width
            me[1] = ay / st.height
            me[2] = t_frac
            me[3] = 1.0
            me[6] = (az - height_at(st.heights, st.cell, ax, ay)) / 1000.0
            me[7] = math.cos(s.air_heading[b, a])
            me[8] = math.sin(s.air_heading[b, a])
            me[9] = s.air_speed[b, a] / par[Lo.AP_SPEED_MAX]
            me[10] = s.air_fuel[b, a] / max(par[Lo.AP_ENDURANCE], 1e-9)
            me[11 + st.air_role[a]] = 1.0
            me[15] = 1.0 if s.air_jam[b, a] else 0.0
            uav_terrain_view(st, s, b, a, me)
            # known ground objects, nearest first
            m = 0
            for g in range(G):
                if s.known[b, g] and s.gnd_hp[b, g] > 0.0:
                    dx = s.gnd_pos[b, g, 0] - ax
                    dy = s.gnd_pos[b, g, 1] - ay
                    keys[m] = dx * dx + dy * dy
                    cand[m] = g
                    m += 1
            ng = top_k(keys, m, K, idx)
            for q in range(ng):
                ground_pick[q] = cand[idx[q]]
            # friendly air, nearest first, through the grid (ring search)
            nf = nearest_friends(
                st.grid_n,
                st.grid_cell,
                s.grid_start,
                s.grid_items,
                s.air_status,
                s.air_pos,
                b,
                a,
                K,
                keys,
                idx,
                cand,
                air_pick,
            )
            take_g = min(ng, max(K // 2, K - nf))
            take_f = min(nf, K - take_g)
            slot = 0
            for q in range(take_g):
                g = ground_pick[q]
                write_ground_entity(
                    s.gnd_pos,
                    s.gnd_hp,
                    s.gnd_par,
                    s.radar_emit,
                    st.gnd_kind,
                    st.gnd_sub,
                    st.range_scale,
                    b,
                    s.obs_ent[b, n, slot],
                    g,
                    ax,
                    ay,
                    az,
                    False,
                    tot0,
                )
                s.obs_mask[b, n, slot] = True
                s.obs_ref[b, n, slot] = g
                s.obs_ref_kind[b, n, slot] = Lo.REF_GROUND
                slot += 1
            for q in range(take_f):
                o = air_pick[q]
                write_air_entity(
                    s.air_pos,
                    vel,
                    s.air_par,
                    s.air_jam,
                    st.air_role,
                    st.range_scale,
                    b,
                    s.obs_ent[b, n, slot],
                    o,
                    ax,
                    ay,
                    az,
                    True,
                    True,
                    0.0,
                    False,
                    tot0,
                )
                s.obs_mask[b, n, slot] = True
                s.obs_ref[b, n, slot] = o
                s.obs_ref_kind[b, n, slot] = Lo.REF_AIR
                slot += 1
            s.obs_ent[b, n, slot:, :] = 0.0
            am = s.act_mask[b, n]
            for q in range(27):
                am[q] = True
            if st.air_role[a] == Lo.JAMMER:
                for q in range(27, 54):
                    am[q] = True


@njit
def observe_launchers(st, s, active):
    """Launcher agents: tracks fed to them, nearest first, engageable masked."""
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        A = s.air_status.shape[1]
        G = s.gnd_hp.shape[1]
        C = st.n_carriers
        U = A - C
        Lc = st.launcher_g.shape[0]
        R = st.radar_g.shape[0]
        K = st.k
        t_frac = s.step[b] / st.max_steps
        tot0 = s.totals[b, 0]
        keys = s.scratch_d[b]
        idx = s.scratch_i[b]
        cand = np.empty(max(A, G) + 1, np.int64)
        vel = np.empty((A, 2))
        air_velocities(s.air_speed, s.air_heading, b, vel)
        busy = np.empty(A)
        interceptors_in_flight(s.int_status, s.int_target, b, busy)
        radars = np.empty(max(R, 1), np.int64)

        # ---- launcher agents ----
        for l in range(Lc):
            n = U + l
            g = st.launcher_g[l]
            alive = s.gnd_hp[b, g] > 0.0
            s.agent_alive[b, n] = alive
            clear_agent(
                s.obs_self,
                s.obs_ent,
                s.obs_mask,
                s.obs_ref,
                s.obs_ref_kind,
                s.act_mask,
                b,
                n,
                K if alive else 0,
            )
            if not alive:
                continue
            gx = s.gnd_pos[b, g, 0]
            gy = s.gnd_pos[b, g, 1]
            gz = s.gnd_pos[b, g, 2]
            m = 0
            linked = False
            nr = 0
            for r in range(R):
                if s.conn[b, r, l]:
                    radars[nr] = r
                    nr += 1
                    if s.radar_emit[b, r]:
                        linked = True
            for a in range(A):
                if s.air_status[b, a] != Lo.ACTIVE:
                    continue
                best_age = 2.0
                for q in range(nr):
                    best_age = min(
                        best_age, track_age(s.det_time, s.gnd_par, st.radar_g, s.t, b, radars[q], a)
                    )
                if best_age <= 1.0:
                    dx = s.air_pos[b, a, 0] - gx
                    dy = s.air_pos[b, a, 1] - gy
                    keys[m] = dx * dx + dy * dy
                    cand[m] = a
                    m += 1
            nt = top_k(keys, m, K, idx)
            s.obs_ent[b, n, nt:, :] = 0.0
            am = s.act_mask[b, n]
            am[0] = True
            for q in range(nt):
                a = cand[idx[q]]
                best_age = 2.0
                for p in range(nr):
                    best_age = min(
                        best_age, track_age(s.det_time, s.gnd_par, st.radar_g, s.t, b, radars[p], a)
                    )
                ok = launcher_can_engage(
                    st.heights,
                    st.cell,
                    st.launcher_g,
                    s.gnd_par,
                    s.gnd_hp,
                    s.gnd_pos,
                    s.stock,
                    s.reload_left,
                    s.air_status,
                    s.air_par,
                    s.air_pos,
                    b,
                    l,
                    a,
                )
                write_air_entity(
                    s.air_pos,
                    vel,
                    s.air_par,
                    s.air_jam,
                    st.air_role,
                    st.range_scale,
                    b,
                    s.obs_ent[b, n, q],
                    a,
                    gx,
                    gy,
                    gz,
                    False,
                    False,
                    best_age,
                    ok,
                    tot0,
                )
                s.obs_ent[b, n, q, Lo.EF_INTERCEPTED] = busy[a]
                s.obs_mask[b, n, q] = True
                s.obs_ref[b, n, q] = a
                s.obs_ref_kind[b, n, q] = Lo.REF_AIR
                am[1 + q] = ok
            par = s.gnd_par[b, g]
            me = s.obs_self[b, n]
            me[0] = gx / st.width
            me[1] = gy / st.height
            me[2] = t_frac
            me[4] = 1.0
            me[6] = s.stock[b, l] / max(st.stock0[l], 1)
            me[7] = s.reload_left[b, l] / max(par[Lo.GP_RELOAD], 1e-9)
            me[8] = 1.0 if linked else 0.0
            me[9] = s.gnd_hp[b, g] / max(par[Lo.GP_HP_MAX], 1e-12)
            me[10] = m / K


@njit
def observe_radars(st, s, active):
    """Radar agents: their own tracks, nearest first."""
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        A = s.air_status.shape[1]
        G = s.gnd_hp.shape[1]
        C = st.n_carriers
        U = A - C
        Lc = st.launcher_g.shape[0]
        R = st.radar_g.shape[0]
        K = st.k
        t_frac = s.step[b] / st.max_steps
        tot0 = s.totals[b, 0]
        keys = s.scratch_d[b]
        idx = s.scratch_i[b]
        cand = np.empty(max(A, G) + 1, np.int64)
        vel = np.empty((A, 2))
        air_velocities(s.air_speed, s.air_heading, b, vel)
        busy = np.empty(A)
        interceptors_in_flight(s.int_status, s.int_target, b, busy)

        # ---- radar agents ----
        for r in range(R):
            n = U + Lc + r
            g = st.radar_g[r]
            alive = s.gnd_hp[b, g] > 0.0
            s.agent_alive[b, n] = alive
            clear_agent(
                s.obs_self,
                s.obs_ent,
                s.obs_mask,
                s.obs_ref,
                s.obs_ref_kind,
                s.act_mask,
                b,
                n,
                K if alive else 0,
            )
            if not alive:
                continue
            gx = s.gnd_pos[b, g, 0]
            gy = s.gnd_pos[b, g, 1]
            gz = s.gnd_pos[b, g, 2]
            m = 0
            for a in range(A):
                if (
                    s.air_status[b, a] == Lo.ACTIVE
                    and track_age(s.det_time, s.gnd_par, st.radar_g, s.t, b, r, a) <= 1.0
                ):
                    dx = s.air_pos[b, a, 0] - gx
                    dy = s.air_pos[b, a, 1] - gy
                    keys[m] = dx * dx + dy * dy
                    cand[m] = a
                    m += 1
            nt = top_k(keys, m, K, idx)
            s.obs_ent[b, n, nt:, :] = 0.0
            nearest = 1e9
            for q in range(nt):
                a = cand[idx[q]]
                if q == 0:
                    nearest = math.sqrt(keys[idx[0]])
                write_air_entity(
                    s.air_pos,
                    vel,
                    s.air_par,
                    s.air_jam,
                    st.air_role,
                    st.range_scale,
                    b,
                    s.obs_ent[b, n, q],
                    a,
                    gx,
                    gy,
                    gz,
                    False,
                    False,
                    track_age(s.det_time, s.gnd_par, st.radar_g, s.t, b, r, a),
                    False,
                    tot0,
                )
                s.obs_ent[b, n, q, Lo.EF_INTERCEPTED] = busy[a]
                s.obs_mask[b, n, q] = True
                s.obs_ref[b, n, q] = a
                s.obs_ref_kind[b, n, q] = Lo.REF_AIR
            par = s.gnd_par[b, g]
            linked = False
            for l in range(Lc):
                if s.conn[b, r, l] and s.gnd_hp[b, st.launcher_g[l]] > 0.0:
                    linked = True
            me = s.obs_self[b, n]
            me[0] = gx / st.width
            me[1] = gy / st.height
            me[2] = t_frac
            me[5] = 1.0
            me[6] = 1.0 if s.radar_emit[b, r] else 0.0
            me[7] = s.gnd_hp[b, g] / max(par[Lo.GP_HP_MAX], 1e-12)
            me[8] = m / K
            me[9] = 1.0 if linked else 0.0
            me[10] = min(nearest / st.range_scale, 10.0) if nt > 0 else 10.0
            s.act_mask[b, n, 0] = True
            s.act_mask[b, n, 1] = True


@njit
def nearest_friends(
    grid_n, grid_cell, grid_start, grid_items, air_status, air_pos, b, me, K, keys, idx, cand, out
):
    """Up to K nearest active friendly air entities of `me`.

    With few active entities it scans them all; otherwise it searches the grid ring by ring
    (the perimeter cells of each ring) and stops once the K-th nearest is closer than any
    unvisited cell. No function call in the inner loops: calls cost more than the work.
    """
    n = grid_n
    x = air_pos[b, me, 0]
    y = air_pos[b, me, 1]
    start = grid_start[b]
    items = grid_items[b]
    total = start[n * n]
    m = 0
    if total <= 64:
        for q in range(total):
            a = items[q]
            if a != me:
                dx = air_pos[b, a, 0] - x
                dy = air_pos[b, a, 1] - y
                keys[m] = dx * dx + dy * dy
                cand[m] = a
                m += 1
    else:
        ci = min(max(int(x / grid_cell), 0), n - 1)
        cj = min(max(int(y / grid_cell), 0), n - 1)
        ring = 0
        while ring < n:
            # the cells of this ring: rows j = cj -/+ ring in full, then the side columns
            n_cells = 1 if ring == 0 else 8 * ring
            for k in range(n_cells):
                if ring == 0:
                    i = ci
                    j = cj
                elif k < 2 * ring + 1:
                    i = ci - ring + k
                    j = cj - ring
                elif k < 4 * ring + 2:
                    i = ci - ring + (k - 2 * ring - 1)
                    j = cj + ring
                elif k < 6 * ring + 1:
                    i = ci - ring
                    j = cj - ring + 1 + (k - 4 * ring - 2)
                else:
                    i = ci + ring
                    j = cj - ring + 1 + (k - 6 * ring - 1)
                if i < 0 or i >= n or j < 0 or j >= n:
                    continue
                c = j * n + i
                for q in range(start[c], start[c + 1]):
                    a = items[q]
                    if a != me:
                        dx = air_pos[b, a, 0] - x
                        dy = air_pos[b, a, 1] - y
                        keys[m] = dx * dx + dy * dy
                        cand[m] = a
                        m += 1
            if m >= K:
                # every cell beyond this ring is at least ring * cell away
                found = top_k(keys, m, K, idx)
                far = keys[idx[found - 1]]
                lim = ring * grid_cell
                if far <= lim * lim:
                    break
            ring += 1
    found = top_k(keys, m, K, idx)
    for q in range(found):
        out[q] = cand[idx[q]]
    return found


@njit
def observe_all(st, s, active):
    """Observations of the active worlds from their current state (after a reset)."""
    grid_phase(st, s, active)
    connectivity_phase(st, s, active)
    observe_uavs(st, s, active)
    observe_launchers(st, s, active)
    observe_radars(st, s, active)


@njit
def first_bad_action(actions, sizes, active):
    """(b, n) of the first action outside its space in an active world, or (-1, -1)."""
    for b in range(actions.shape[0]):
        if not active[b]:
            continue
        for n in range(actions.shape[1]):
            if actions[b, n] < 0 or actions[b, n] >= sizes[n]:
                return b, n
    return -1, -1
