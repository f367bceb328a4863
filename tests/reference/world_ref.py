"""Reference versions of the air-defence world kernels: slow, plain NumPy / pure Python.

Each function restates one documented rule of `aerena.envs.airdefense.kernels` in the most
obvious way (loops, dense sampling, brute force, Python integers), without sharing any code
with the kernels except the layout constants and the terrain reference. The tests in
`tests/test_kernels.py` compare the Numba kernels with these on random inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aerena.envs.airdefense import layout as Lo

try:
    from tests.reference.terrain_ref import height_ref, line_of_sight_ref
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    from reference.terrain_ref import height_ref, line_of_sight_ref

TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------------------
# randomness: splitmix64 with Python integers
# --------------------------------------------------------------------------------------
_MASK64 = (1 << 64) - 1


def splitmix64_ref(state: int, n: int) -> tuple[list[float], int]:
    """n draws in [0, 1) from a splitmix64 generator in `state`; returns (draws, new state).

    z = state + golden; state = z; z ^= z >> 30; z *= m1; z ^= z >> 27; z *= m2; z ^= z >> 31;
    u = (z >> 11) / 2^53.
    """
    out = []
    s = int(state) & _MASK64
    for _ in range(n):
        s = (s + 0x9E3779B97F4A7C15) & _MASK64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        z = z ^ (z >> 31)
        out.append((z >> 11) / 2.0**53)
    return out, s


# --------------------------------------------------------------------------------------
# kinematics
# --------------------------------------------------------------------------------------
def decode_uav_action(a: int) -> tuple[int, int, int, int]:
    """a = jam * 27 + (turn + 1) * 9 + (climb + 1) * 3 + speed -> (jam, turn, climb, speed)."""
    for jam in (0, 1):
        for turn in (-1, 0, 1):
            for climb in (-1, 0, 1):
                for speed in (0, 1, 2):
                    if jam * 27 + (turn + 1) * 9 + (climb + 1) * 3 + speed == a:
                        return jam, turn, climb, speed
    raise ValueError(f"not a UAV action: {a}")


def wrap_ref(h: float) -> float:
    """An angle in [-pi, pi) equal to h modulo 2 pi (by repeated shifts)."""
    while h >= math.pi:
        h -= TWO_PI
    while h < -math.pi:
        h += TWO_PI
    return h


def angle_diff(a: float, b: float) -> float:
    """|a - b| modulo 2 pi, in [0, pi]."""
    d = abs(a - b) % TWO_PI
    return min(d, TWO_PI - d)


@dataclass
class UavOut:
    x: float
    y: float
    z: float
    heading: float
    speed: float
    fuel: float
    status: int
    jam: bool
    invalid: bool


def uav_step_ref(
    pos: np.ndarray,
    heading: float,
    fuel: float,
    jam: bool,
    action: int,
    legal: np.ndarray,
    par: np.ndarray,
    dt: float,
    width: float,
    height: float,
    heights: np.ndarray,
    cell: float,
) -> UavOut:
    """One step of an ACTIVE UAV under the documented dynamics (action, then flight).

    A masked action becomes the no-op (straight, hold, cruise, jammer off). Heading turns by
    turn * turn_rate * dt, wrapped; speed is min / cruise / max; z moves by climb * climb_rate
    * dt and is clamped to [ground + alt_min, ground + alt_max] at the new (x, y); fuel burns
    dt * (v / cruise)^2. Leaving the map clamps (x, y) and loses the UAV (LEFT_MAP); else
    fuel <= 0 crashes it with fuel 0.
    """
    invalid = not (0 <= action < Lo.UAV_ACTIONS and bool(legal[action]))
    if invalid:
        action = Lo.UAV_NOOP
    j, turn, climb, spd = decode_uav_action(int(action))
    h = wrap_ref(heading + turn * par[Lo.AP_TURN_RATE] * dt)
    v = (par[Lo.AP_SPEED_MIN], par[Lo.AP_SPEED_CRUISE], par[Lo.AP_SPEED_MAX])[spd]
    z = pos[2] + climb * par[Lo.AP_CLIMB_RATE] * dt
    x = pos[0] + v * math.cos(h) * dt
    y = pos[1] + v * math.sin(h) * dt
    ground = float(height_ref(heights, cell, [x], [y])[0])
    z = min(max(z, ground + par[Lo.AP_ALT_MIN]), ground + par[Lo.AP_ALT_MAX])
    fuel = fuel - dt * (v / par[Lo.AP_SPEED_CRUISE]) ** 2
    status = Lo.ACTIVE
    jam_on = j == 1
    if not (0.0 <= x <= width and 0.0 <= y <= height):
        x = min(max(x, 0.0), width)
        y = min(max(y, 0.0), height)
        status = Lo.LEFT_MAP
        jam_on = False
    elif fuel <= 0.0:
        fuel = 0.0
        status = Lo.CRASHED
        jam_on = False
    return UavOut(x, y, z, h, v, fuel, status, jam_on, invalid)


def carrier_step_ref(
    pos: np.ndarray,
    par: np.ndarray,
    dt: float,
    width: float,
    height: float,
    heights: np.ndarray,
    cell: float,
) -> tuple[float, float, float]:
    """A carrier moves at its constant velocity, clamped to the map, at launch_alt AGL."""
    x = min(max(pos[0] + par[Lo.AP_VX] * dt, 0.0), width)
    y = min(max(pos[1] + par[Lo.AP_VY] * dt, 0.0), height)
    z = float(height_ref(heights, cell, [x], [y])[0]) + par[Lo.AP_LAUNCH_ALT]
    return x, y, z


# --------------------------------------------------------------------------------------
# sensing
# --------------------------------------------------------------------------------------
def signal_ref(rcs: float, rcs_ref: float, r0: float, dist: float) -> float:
    """Radar-equation signal S = (rcs / rcs_ref) (r0 / R)^4 (R at least 1 m)."""
    R = max(dist, 1.0)
    return rcs / rcs_ref * (r0 / R) ** 4


def detection_probability_ref(
    rcs: float, rcs_ref: float, r0: float, slope: float, dist: float, jam: float
) -> float:
    """Pd = 1 / (1 + exp(-slope * 10 log10(S / (1 + J))))."""
    snr = signal_ref(rcs, rcs_ref, r0, dist) / (1.0 + jam)
    x = -slope * 10.0 * math.log10(snr)
    if x > 700.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(x))


def jamming_ref(
    air_pos: np.ndarray,
    air_heading: np.ndarray,
    air_status: np.ndarray,
    air_jam: np.ndarray,
    air_par: np.ndarray,
    n_carriers: int,
    heights: np.ndarray,
    cell: float,
    radar: tuple[float, float, float],
) -> float:
    """Sum of power / d^2 (d at least 1 m) over jamming, active UAVs aiming at the radar.

    Aiming: the cosine of the angle between the jammer's heading and the horizontal
    direction from the jammer to the radar is at least the jammer's cone cosine (a radar
    straight below is always inside); the terrain must not block the line between them.
    """
    J = 0.0
    for a in range(n_carriers, air_pos.shape[0]):
        if not air_jam[a] or air_status[a] != Lo.ACTIVE:
            continue
        to = np.asarray(radar, dtype=np.float64) - air_pos[a]
        hd = float(np.hypot(to[0], to[1]))
        if hd > 0.0:
            aim = np.array([math.cos(air_heading[a]), math.sin(air_heading[a])])
            if float(np.dot(aim, to[:2])) / hd < air_par[a, Lo.AP_JAM_COS]:
                continue
        if not line_of_sight_ref(heights, cell, air_pos[a], radar):
            continue
        J += air_par[a, Lo.AP_JAM_POWER] / max(float(np.dot(to, to)), 1.0)
    return J


def radar_detect_set_ref(
    air_pos: np.ndarray,
    air_status: np.ndarray,
    air_par: np.ndarray,
    radar: tuple[float, float, float],
    rcs_ref: float,
    r0: float,
    slope: float,
    jam: float,
    heights: np.ndarray,
    cell: float,
    pd_min: float,
) -> tuple[set[int], set[int]]:
    """Brute force over all air entities: (sure, possible) detections of one scan.

    `sure`: active, detectable, in line of sight, Pd >= 1 - 1e-12; `possible`: the same with
    Pd >= pd_min (the kernels may skip anything below it).
    """
    sure, possible = set(), set()
    for a in range(air_pos.shape[0]):
        if air_status[a] != Lo.ACTIVE or air_par[a, Lo.AP_DETECTABLE] < 0.5:
            continue
        d = float(np.linalg.norm(air_pos[a] - np.asarray(radar)))
        pd = detection_probability_ref(air_par[a, Lo.AP_RCS], rcs_ref, r0, slope, d, jam)
        if pd < pd_min or not line_of_sight_ref(heights, cell, radar, air_pos[a]):
            continue
        possible.add(a)
        if pd >= 1.0 - 1e-12:
            sure.add(a)
    return sure, possible


# --------------------------------------------------------------------------------------
# engagement
# --------------------------------------------------------------------------------------
def closest_approach2_dense(a0, a1, b0, b1, n: int = 4001) -> tuple[float, float]:
    """min over tau in [0, 1] of |a(tau) - b(tau)|^2 by sampling n points; also the error
    bound of the sampling (|relative velocity|^2 (h / 2)^2 with h the sample spacing)."""
    tau = np.linspace(0.0, 1.0, n)[:, None]
    a0, a1, b0, b1 = (np.asarray(v, dtype=np.float64) for v in (a0, a1, b0, b1))
    pa = a0 + tau * (a1 - a0)
    pb = b0 + tau * (b1 - b0)
    d2 = np.sum((pa - pb) ** 2, axis=1)
    v = (a1 - a0) - (b1 - b0)
    return float(d2.min()), float(np.dot(v, v)) * (0.5 / (n - 1)) ** 2


def segment_point_dist2_dense(p0, p1, q, n: int = 4001) -> tuple[float, float, float]:
    """(min squared distance, its tau, sampling error bound) by sampling the segment."""
    tau = np.linspace(0.0, 1.0, n)
    p0, p1, q = (np.asarray(v, dtype=np.float64) for v in (p0, p1, q))
    pts = p0[None, :] + tau[:, None] * (p1 - p0)[None, :]
    d2 = np.sum((pts - q[None, :]) ** 2, axis=1)
    k = int(np.argmin(d2))
    L2 = float(np.dot(p1 - p0, p1 - p0))
    return float(d2[k]), float(tau[k]), L2 * (0.5 / (n - 1)) ** 2


def launcher_can_engage_ref(
    launcher_alive: bool,
    stock: int,
    reload_left: float,
    target_status: int,
    target_detectable: float,
    launcher_pos: np.ndarray,
    target_pos: np.ndarray,
    lpar: np.ndarray,
    heights: np.ndarray,
    cell: float,
) -> bool:
    """The engagement envelope: a live, loaded, ready launcher; an active detectable target
    with slant range in [range_min, range_max] and height above ground in [alt_min, alt_max]."""
    if not launcher_alive or stock < 1 or reload_left > 0.0:
        return False
    if target_status != Lo.ACTIVE or target_detectable < 0.5:
        return False
    d = float(np.linalg.norm(np.asarray(target_pos) - np.asarray(launcher_pos)))
    if not lpar[Lo.GP_RANGE_MIN] <= d <= lpar[Lo.GP_RANGE_MAX]:
        return False
    agl = target_pos[2] - float(height_ref(heights, cell, [target_pos[0]], [target_pos[1]])[0])
    return bool(lpar[Lo.GP_ALT_MIN] <= agl <= lpar[Lo.GP_ALT_MAX])


def _closest2_exact(p0, p1, q0, q1) -> float:
    """Exact minimum of |p(tau) - q(tau)|^2 over tau in [0, 1] (a quadratic in tau)."""
    r = p0 - q0
    v = (p1 - p0) - (q1 - q0)
    vv = float(np.dot(v, v))
    tau = 0.0 if vv == 0.0 else float(np.clip(-np.dot(r, v) / vv, 0.0, 1.0))
    e = r + tau * v
    return float(np.dot(e, e))


def interceptor_chase_ref(
    p: np.ndarray,
    target_path: list[tuple[np.ndarray, np.ndarray]],
    speed: float,
    time_left: float,
    lethal: float,
    dt: float,
    substeps: int,
) -> tuple[list[np.ndarray], int, int]:
    """Pure pursuit of a target over whole steps, each split into `substeps` sub-steps.

    target_path[k] = (start, end) of the target's straight move in step k. In each sub-step
    the interceptor flies speed * h straight at the target's position at the end of the
    sub-step (or onto it, if that is closer); the engagement ends at the first sub-step where
    the two linear sub-step motions come within `lethal` (returns 'hit'), or when the time of
    flight runs out ('timeout'). Returns (interceptor position after each step, the step
    index where it ended or -1, 1 for hit / 0 for timeout / -1 still flying).
    """
    h = dt / substeps
    p = np.asarray(p, dtype=np.float64).copy()
    path = []
    for k, (start, end) in enumerate(target_path):
        start = np.asarray(start, dtype=np.float64)
        end = np.asarray(end, dtype=np.float64)
        for sub in range(substeps):
            q0 = start + (end - start) * (sub / substeps)
            q1 = start + (end - start) * ((sub + 1) / substeps)
            to = q1 - p
            d = float(np.linalg.norm(to))
            p_new = q1.copy() if d <= speed * h else p + to / d * (speed * h)
            close = _closest2_exact(p, p_new, q0, q1) <= lethal * lethal
            p = p_new
            time_left -= h
            if close:
                path.append(p.copy())
                return path, k, 1
            if time_left <= 1e-9:
                path.append(p.copy())
                return path, k, 0
        path.append(p.copy())
    return path, -1, -1


# --------------------------------------------------------------------------------------
# observation helpers
# --------------------------------------------------------------------------------------
def top_k_ref(keys: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k smallest keys, ties by index."""
    return np.argsort(keys, kind="stable")[:k]


def nearest_friends_ref(
    air_pos: np.ndarray, air_status: np.ndarray, me: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(indices, squared horizontal distances) of the k nearest other active air entities."""
    d2 = np.full(air_pos.shape[0], np.inf)
    for a in range(air_pos.shape[0]):
        if a != me and air_status[a] == Lo.ACTIVE:
            dx = air_pos[a, 0] - air_pos[me, 0]
            dy = air_pos[a, 1] - air_pos[me, 1]
            d2[a] = dx * dx + dy * dy
    order = np.argsort(d2, kind="stable")
    order = order[np.isfinite(d2[order])][:k]
    return order, d2[order]


# --------------------------------------------------------------------------------------
# rewards
# --------------------------------------------------------------------------------------
def attacker_return_ref(
    asset_destroyed: float,
    defence_destroyed: float,
    uav_lost_cost: float,
    interceptor_cost_spent: float,
    totals: np.ndarray,
    w: np.ndarray,
) -> float:
    """Episode return of the attacker from the final tallies: each tally as a share of its
    total (defence value is measured in units of the total asset value, as in the kernels)."""
    return (
        w[0] * asset_destroyed / max(totals[0], 1e-9)
        + w[1] * defence_destroyed / max(totals[0], 1e-9)
        - w[2] * uav_lost_cost / max(totals[2], 1e-9)
        + w[3] * interceptor_cost_spent / max(totals[3], 1e-9)
    )


def defender_return_ref(
    asset_destroyed: float,
    defence_destroyed: float,
    uav_lost_cost: float,
    interceptor_cost_spent: float,
    totals: np.ndarray,
    w: np.ndarray,
) -> float:
    """Episode return of the defender (not zero-sum): the mirror image with its own weights."""
    return (
        -w[0] * asset_destroyed / max(totals[0], 1e-9)
        - w[1] * defence_destroyed / max(totals[0], 1e-9)
        + w[2] * uav_lost_cost / max(totals[2], 1e-9)
        - w[3] * interceptor_cost_spent / max(totals[3], 1e-9)
    )
