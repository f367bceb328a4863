"""Observation: every agent's observation and action mask, written from the world state (the
last step of :mod:`.kernels`; `observe_all` after a reset).
"""

from __future__ import annotations

import math

import numpy as np

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.kernels_common import grid_phase
from aerena.envs.airdefense.obs_parts import (
    air_velocities,
    clear_agent,
    interceptors_in_flight,
    launcher_can_engage,
    nearest_friends,
    top_k,
    track_age,
    uav_terrain_view,
    write_air_entity,
    write_ground_entity,
)
from aerena.envs.airdefense.sensing import connectivity_phase
from aerena.envs.airdefense.terrain import height_at
from aerena.jit import njit


# --------------------------------------------------------------------------------------
# observation
# --------------------------------------------------------------------------------------
@njit
def observe_uavs(st, s, active):
    """UAV agents: known ground objects and nearest friends.

    An agent with `st.observe[b, n]` False gets only its alive flag and action mask (its
    observation arrays keep what they held): nobody reads it, and the mask is all the step
    needs. The same holds for radars; launchers are always observed.
    """
    A = s.air_status.shape[1]
    G = s.gnd_hp.shape[1]
    C = st.n_carriers
    U = A - C
    K = st.k
    # scratch for every world of the call (allocating per world costs more than the work)
    cand = np.empty(max(A, G) + 1, np.int64)
    vel = np.empty((A, 2))
    ground_pick = np.empty(K, np.int64)
    air_pick = np.empty(K, np.int64)
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        t_frac = s.step[b] / st.max_steps
        tot0 = s.totals[b, 0]
        keys = s.scratch_d[b]
        idx = s.scratch_i[b]
        have_vel = False  # the velocities are computed once a UAV is observed

        # ---- UAV agents ----
        for j in range(U):
            a = C + j
            n = j
            alive = s.air_status[b, a] == Lo.ACTIVE
            s.agent_alive[b, n] = alive
            if not st.observe[b, n]:
                uav_action_mask(s.act_mask[b, n], alive, st.air_role[a] == Lo.JAMMER)
                continue
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
            if not have_vel:
                air_velocities(s.air_speed, s.air_heading, b, vel)
                have_vel = True
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
            uav_action_mask(s.act_mask[b, n], True, st.air_role[a] == Lo.JAMMER)


@njit
def uav_action_mask(am, alive, jammer):
    """A UAV's action mask: every manoeuvre while flying, the jammer half for jammers only."""
    am[:] = False
    if not alive:
        return
    for q in range(27):
        am[q] = True
    if jammer:
        for q in range(27, 54):
            am[q] = True


@njit
def observe_launchers(st, s, active):
    """Launcher agents: tracks fed to them, nearest first, engageable masked."""
    A = s.air_status.shape[1]
    G = s.gnd_hp.shape[1]
    C = st.n_carriers
    U = A - C
    Lc = st.launcher_g.shape[0]
    R = st.radar_g.shape[0]
    K = st.k
    cand = np.empty(max(A, G) + 1, np.int64)
    vel = np.empty((A, 2))
    busy = np.empty(A)
    radars = np.empty(max(R, 1), np.int64)
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        t_frac = s.step[b] / st.max_steps
        tot0 = s.totals[b, 0]
        keys = s.scratch_d[b]
        idx = s.scratch_i[b]
        air_velocities(s.air_speed, s.air_heading, b, vel)
        interceptors_in_flight(s.int_status, s.int_target, b, busy)

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
    A = s.air_status.shape[1]
    G = s.gnd_hp.shape[1]
    C = st.n_carriers
    U = A - C
    Lc = st.launcher_g.shape[0]
    R = st.radar_g.shape[0]
    K = st.k
    cand = np.empty(max(A, G) + 1, np.int64)
    vel = np.empty((A, 2))
    busy = np.empty(A)
    for b in range(active.shape[0]):
        if not active[b]:
            continue
        t_frac = s.step[b] / st.max_steps
        tot0 = s.totals[b, 0]
        keys = s.scratch_d[b]
        idx = s.scratch_i[b]
        air_velocities(s.air_speed, s.air_heading, b, vel)
        interceptors_in_flight(s.int_status, s.int_target, b, busy)

        # ---- radar agents ----
        for r in range(R):
            n = U + Lc + r
            g = st.radar_g[r]
            alive = s.gnd_hp[b, g] > 0.0
            s.agent_alive[b, n] = alive
            if not st.observe[b, n]:
                s.act_mask[b, n, :] = False
                s.act_mask[b, n, 0] = alive
                s.act_mask[b, n, 1] = alive
                continue
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
def observe_all(st, s, active):
    """Observations of the active worlds from their current state (after a reset)."""
    grid_phase(st, s, active)
    connectivity_phase(st, s, active)
    observe_uavs(st, s, active)
    observe_launchers(st, s, active)
    observe_radars(st, s, active)
