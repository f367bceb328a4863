"""Weapons and damage: launcher fire, interceptors, strikes, point defence (steps 2, 4-6 of
:mod:`.kernels`).
"""

from __future__ import annotations

import math

import numpy as np

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.kernels_common import (
    closest_approach2,
    emit,
    grid_range,
    lose_uav,
    segment_point_dist2,
)
from aerena.envs.airdefense.terrain import height_at, line_of_sight_fast
from aerena.jit import njit
from aerena.rng import uniform01


# --------------------------------------------------------------------------------------
# 2. launcher fire (an action)
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


# --------------------------------------------------------------------------------------
# 4. interceptors
# --------------------------------------------------------------------------------------
@njit
def interceptor_phase(st, s, active):
    p0 = np.empty(3)
    p1 = np.empty(3)
    q0 = np.empty(3)
    q1 = np.empty(3)
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        n_sub = st.substeps
        h = st.dt / n_sub
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
    point = np.empty(3)
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        A = s.air_status.shape[1]
        G = s.gnd_hp.shape[1]
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
                # cells i0..i1 of row j are contiguous in the grid: one range, the same order
                row = j * st.grid_n
                for q in range(start[row + i0], start[row + i1 + 1]):
                    a = items[q]
                    if s.air_status[b, a] != Lo.ACTIVE or s.air_par[b, a, Lo.AP_DETECTABLE] < 0.5:
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
