"""The pieces the observation kernels of :mod:`.observation` are built from: top-k selection,
entity row writers, engageability and track age, a UAV's terrain view, nearest friends.
"""

from __future__ import annotations

import math

import numpy as np

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.sensing import detection_reach
from aerena.envs.airdefense.terrain import height_at, line_of_sight_fast
from aerena.jit import njit


# --------------------------------------------------------------------------------------
# observation parts
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
