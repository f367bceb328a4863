"""World state (a NamedTuple of preallocated arrays, batch first) and static parameters.

`Static` holds what does not change during a run (terrain, unit kinds, links, weights);
`WorldState` holds everything that does, so `snapshot()` is a copy of its arrays and
`restore()` copies them back. Shapes: B worlds, A air entities (C carriers then U UAVs),
G ground objects, R radars, L launchers, P point defences, Q command posts, I interceptor
slots (one per interceptor in stock), N agents (U UAVs, then L launchers, then R radars),
K observed entities per agent.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from aerena.envs.airdefense import layout as Lo
from aerena.errors import UserError

MAX_STATE_BYTES = 8 * 2**30  # the largest world state `allocate` builds (all B worlds)


class Static(NamedTuple):
    dt: float
    substeps: int
    max_steps: int
    width: float
    height: float
    k: int
    range_scale: float
    victory_fraction: float
    zero_sum: bool
    heights: np.ndarray  # [ny, nx] float64, metres
    height_max: np.ndarray  # terrain.los_bounds(heights): the fast line-of-sight's bounds
    cell: float  # terrain cell, metres
    air_role: np.ndarray  # [A] int8
    air_carrier: np.ndarray  # [A] int32
    n_carriers: int
    gnd_kind: np.ndarray  # [G] int8
    gnd_sub: np.ndarray  # [G] int32
    radar_g: np.ndarray  # [R] int32
    launcher_g: np.ndarray  # [L] int32
    pd_g: np.ndarray  # [P] int32
    cp_g: np.ndarray  # [Q] int32
    link_rc: np.ndarray  # [R, Q] bool
    link_ql: np.ndarray  # [Q, L] bool
    link_rl: np.ndarray  # [R, L] bool
    stock0: np.ndarray  # [L] int32
    w_att: np.ndarray  # [4] asset, defence, uav, interceptor weights
    w_def: np.ndarray  # [4]
    grid_n: int  # spatial grid cells per side
    grid_cell: float  # spatial grid cell size, metres
    event_cap: int  # events kept per world per step
    # [B, N] bool, world b writes agent n's observation (all True by default). UAV and radar
    # agents honour it (alive flag and action mask are always written); launchers are always
    # observed (their fire actions refer to their observation's slots). Set False for agents
    # nobody reads (a scripted attacker plays from the world arrays): see World.observe
    observe: np.ndarray


class WorldState(NamedTuple):
    # --- clock, randomness, episode flags ---
    t: np.ndarray  # [B] float64, seconds
    step: np.ndarray  # [B] int32
    terminated: np.ndarray  # [B] bool
    truncated: np.ndarray  # [B] bool
    rng: np.ndarray  # [B] uint64, splitmix64 state
    # --- air entities ---
    air_pos: np.ndarray  # [B, A, 3] float64, metres (z above sea level)
    air_prev: np.ndarray  # [B, A, 3] float64, position at the start of the step
    air_heading: np.ndarray  # [B, A] float64, radians from +x
    air_speed: np.ndarray  # [B, A] float64, m/s
    air_fuel: np.ndarray  # [B, A] float64, seconds of cruise left
    air_status: np.ndarray  # [B, A] int8, layout.WAITING..LEFT_MAP
    air_jam: np.ndarray  # [B, A] bool, jammer emitting
    air_par: np.ndarray  # [B, A, AP_N] float64, per-episode unit parameters
    # --- ground objects ---
    gnd_pos: np.ndarray  # [B, G, 3] float64, metres (z = terrain height)
    gnd_hp: np.ndarray  # [B, G] float64
    gnd_par: np.ndarray  # [B, G, GP_N] float64
    known: np.ndarray  # [B, G] bool, known to the attacker
    radar_emit: np.ndarray  # [B, R] bool
    radar_next_scan: np.ndarray  # [B, R] float64, seconds
    det_time: np.ndarray  # [B, R, A] float64, last detection of air a by radar r
    conn: np.ndarray  # [B, R, L] bool, radar r feeds launcher l (through live links)
    stock: np.ndarray  # [B, L] int32
    reload_left: np.ndarray  # [B, L] float64, seconds
    # --- interceptors ---
    int_pos: np.ndarray  # [B, I, 3] float64
    int_status: np.ndarray  # [B, I] int8, layout.INT_FREE..INT_DONE
    int_target: np.ndarray  # [B, I] int32, air index
    int_launcher: np.ndarray  # [B, I] int32
    int_time_left: np.ndarray  # [B, I] float64
    int_used: np.ndarray  # [B] int32, slots used so far
    # --- episode accounting ---
    totals: np.ndarray  # [B, 4] asset value, defence value, uav cost, interceptor cost
    asset_destroyed: np.ndarray  # [B] float64, value
    defence_destroyed: np.ndarray  # [B] float64, value
    uav_lost: np.ndarray  # [B, 4] int32 by role (killed, crashed or left the map)
    uav_lost_cost: np.ndarray  # [B] float64
    interceptors_used: np.ndarray  # [B] int32
    interceptor_cost_spent: np.ndarray  # [B] float64, reward points
    kills: np.ndarray  # [B] int32, UAVs and carriers killed by the defence
    leakers: np.ndarray  # [B] int32, strike UAVs that delivered their warhead
    reward: np.ndarray  # [B, 2] float64, this step: attacker, defender
    invalid: np.ndarray  # [B, N] bool, this step's action was masked and replaced
    invalid_count: np.ndarray  # [B, N] int32, over the episode
    events: np.ndarray  # [B, E, 6] float64, this step's events (time, kind, a, b, x, y)
    n_events: np.ndarray  # [B] int32 (may exceed E: extra events are dropped)
    # --- observations (written by observe) ---
    obs_self: np.ndarray  # [B, N, S] float32
    obs_ent: np.ndarray  # [B, N, K, F] float32
    obs_mask: np.ndarray  # [B, N, K] bool
    obs_ref: np.ndarray  # [B, N, K] int32, row in the air or ground table
    obs_ref_kind: np.ndarray  # [B, N, K] int8, layout.REF_*
    act_mask: np.ndarray  # [B, N, AMAX] bool
    agent_alive: np.ndarray  # [B, N] bool
    # --- scratch (rebuilt every step; kept here so kernels never allocate) ---
    grid_start: np.ndarray  # [B, grid_n*grid_n + 1] int32
    grid_items: np.ndarray  # [B, A] int32
    scratch_d: np.ndarray  # [B, max(A, G) + 1] float64
    scratch_i: np.ndarray  # [B, max(A, G) + 1] int32


def action_width(k: int) -> int:
    return max(Lo.UAV_ACTIONS, 1 + k, Lo.RADAR_ACTIONS)


def allocate(
    B: int, A: int, G: int, R: int, L: int, I: int, N: int, k: int, grid_n: int, event_cap: int
) -> WorldState:
    """Zeroed state for B worlds of the given sizes (refused beyond ``MAX_STATE_BYTES``)."""
    f8, i4, b1, i1 = np.float64, np.int32, np.bool_, np.int8
    M = max(A, G) + 1
    need = B * state_bytes_per_world(A, G, R, L, I, N, k, grid_n, event_cap)
    if need > MAX_STATE_BYTES:
        raise UserError(
            f"{B:,} worlds of {A:,} air and {G:,} ground entities with {N:,} agents seeing "
            f"{k} entities need about {need / 2**30:,.1f} GiB of state (at most "
            f"{MAX_STATE_BYTES / 2**30:.0f} GiB); use fewer worlds, units or observation.k"
        )
    return WorldState(
        t=np.zeros(B, f8),
        step=np.zeros(B, i4),
        terminated=np.zeros(B, b1),
        truncated=np.zeros(B, b1),
        rng=np.zeros(B, np.uint64),
        air_pos=np.zeros((B, A, 3), f8),
        air_prev=np.zeros((B, A, 3), f8),
        air_heading=np.zeros((B, A), f8),
        air_speed=np.zeros((B, A), f8),
        air_fuel=np.zeros((B, A), f8),
        air_status=np.zeros((B, A), i1),
        air_jam=np.zeros((B, A), b1),
        air_par=np.zeros((B, A, Lo.AP_N), f8),
        gnd_pos=np.zeros((B, G, 3), f8),
        gnd_hp=np.zeros((B, G), f8),
        gnd_par=np.zeros((B, G, Lo.GP_N), f8),
        known=np.zeros((B, G), b1),
        radar_emit=np.zeros((B, R), b1),
        radar_next_scan=np.zeros((B, R), f8),
        det_time=np.full((B, R, A), -np.inf, f8),
        conn=np.zeros((B, R, L), b1),
        stock=np.zeros((B, L), i4),
        reload_left=np.zeros((B, L), f8),
        int_pos=np.zeros((B, I, 3), f8),
        int_status=np.zeros((B, I), i1),
        int_target=np.zeros((B, I), i4),
        int_launcher=np.zeros((B, I), i4),
        int_time_left=np.zeros((B, I), f8),
        int_used=np.zeros(B, i4),
        totals=np.zeros((B, 4), f8),
        asset_destroyed=np.zeros(B, f8),
        defence_destroyed=np.zeros(B, f8),
        uav_lost=np.zeros((B, 4), i4),
        uav_lost_cost=np.zeros(B, f8),
        interceptors_used=np.zeros(B, i4),
        interceptor_cost_spent=np.zeros(B, f8),
        kills=np.zeros(B, i4),
        leakers=np.zeros(B, i4),
        reward=np.zeros((B, 2), f8),
        invalid=np.zeros((B, N), b1),
        invalid_count=np.zeros((B, N), i4),
        events=np.zeros((B, event_cap, Lo.EVENT_WIDTH), f8),
        n_events=np.zeros(B, i4),
        obs_self=np.zeros((B, N, Lo.S_DIM), np.float32),
        obs_ent=np.zeros((B, N, k, Lo.F_DIM), np.float32),
        obs_mask=np.zeros((B, N, k), b1),
        obs_ref=np.full((B, N, k), -1, i4),
        obs_ref_kind=np.zeros((B, N, k), i1),
        act_mask=np.zeros((B, N, action_width(k)), b1),
        agent_alive=np.zeros((B, N), b1),
        grid_start=np.zeros((B, grid_n * grid_n + 1), i4),
        grid_items=np.zeros((B, A), i4),
        scratch_d=np.zeros((B, M), f8),
        scratch_i=np.zeros((B, M), i4),
    )


def state_bytes_per_world(
    A: int, G: int, R: int, L: int, I: int, N: int, k: int, grid_n: int, event_cap: int
) -> int:
    """Bytes of one world's state in :func:`allocate` (its arrays' sizes, summed)."""
    per_agent = k * (Lo.F_DIM * 4 + 4 + 1 + 1) + Lo.S_DIM * 4 + action_width(k) + 1 + 1 + 4
    per_air = 8 * (3 + 3 + 4 + Lo.AP_N) + 1 + 1 + 4
    per_ground = 8 * (3 + 1 + Lo.GP_N) + 1
    return (
        N * per_agent
        + A * per_air
        + G * per_ground
        + I * (8 * 4 + 1 + 4 + 4)
        + R * (L + 9)
        + L * 12
        + event_cap * Lo.EVENT_WIDTH * 8
        + (grid_n * grid_n + 1) * 4
        + (max(A, G) + 1) * 12
        + 256
    )


def copy_state(s: WorldState) -> WorldState:
    return WorldState(*(a.copy() for a in s))


def copy_into(dst: WorldState, src: WorldState) -> None:
    for d, s in zip(dst, src, strict=True):
        d[...] = s
