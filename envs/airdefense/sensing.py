"""Sensing: jamming, detection probability and reach, radar scans, the attacker's passive
detection and recon sightings, UAV connectivity (step 7 of :mod:`.kernels`).
"""

from __future__ import annotations

import math

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.kernels_common import emit, grid_range
from aerena.envs.airdefense.terrain import line_of_sight_fast
from aerena.jit import njit
from aerena.rng import uniform01


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
                # cells i0..i1 of row j are contiguous in the grid: one range, the same order
                row = j * st.grid_n
                for q in range(start[row + i0], start[row + i1 + 1]):
                    a = items[q]
                    if s.air_status[b, a] != Lo.ACTIVE or s.air_par[b, a, Lo.AP_DETECTABLE] < 0.5:
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
