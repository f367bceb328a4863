"""Movement and time: launches, applying actions, flight, the clock, termination (steps 1-3 and
8 of :mod:`.kernels`).
"""

from __future__ import annotations

import math

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.engagement import fire
from aerena.envs.airdefense.kernels_common import emit, lose_uav, wrap_angle
from aerena.envs.airdefense.terrain import height_at
from aerena.jit import njit


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
# the clock
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# 8. termination
# --------------------------------------------------------------------------------------
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
