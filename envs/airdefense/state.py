"""World state (a NamedTuple of preallocated arrays, batch first) and static parameters.

`Static` holds what does not change during a run (terrain, unit kinds, links, weights);
`WorldState` holds everything that does, so `snapshot()` is a copy of its arrays and
`restore()` copies them back. Shapes: B worlds, A air entities (C carriers then U UAVs),
G ground objects, R radars, L launchers, P point defences, Q command posts, I interceptor
slots (one per interceptor in stock), N agents (U UAVs, then L launchers, then R radars),
K observed entities per agent.

Both are packed (:mod:`.arena`): every array field is a view of one contiguous buffer per
dtype, allocated once, so a kernel entry unboxes a handful of arrays instead of ~70 (about
1 us a call instead of 11) and rebuilds the two NamedTuples inside ``@njit`` with
:func:`unpack` (the kernels behind it are unchanged). Python code reads and writes the fields
as before. A snapshot is a copy whose fields are views of its own buffers; pickled, it comes
back as plain arrays, and `copy_into` (restore) copies them into the packed state field by
field, bit for bit either way.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from aerena.envs.airdefense import arena as Ar
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.arena import Arenas, view1, view2, view3, view4
from aerena.errors import UserError
from aerena.jit import njit

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
) -> tuple[WorldState, Arenas]:
    """Zeroed state for B worlds of the given sizes (refused beyond ``MAX_STATE_BYTES``),
    packed: its fields are views of the returned arenas."""
    f8, i4, b1, i1 = np.float64, np.int32, np.bool_, np.int8
    M = max(A, G) + 1
    need = B * state_bytes_per_world(A, G, R, L, I, N, k, grid_n, event_cap)
    if need > MAX_STATE_BYTES:
        raise UserError(
            f"{B:,} worlds of {A:,} air and {G:,} ground entities with {N:,} agents seeing "
            f"{k} entities need about {need / 2**30:,.1f} GiB of state (at most "
            f"{MAX_STATE_BYTES / 2**30:.0f} GiB); use fewer worlds, units or observation.k"
        )
    specs = dict(
        t=((B,), f8),
        step=((B,), i4),
        terminated=((B,), b1),
        truncated=((B,), b1),
        rng=((B,), np.uint64),
        air_pos=((B, A, 3), f8),
        air_prev=((B, A, 3), f8),
        air_heading=((B, A), f8),
        air_speed=((B, A), f8),
        air_fuel=((B, A), f8),
        air_status=((B, A), i1),
        air_jam=((B, A), b1),
        air_par=((B, A, Lo.AP_N), f8),
        gnd_pos=((B, G, 3), f8),
        gnd_hp=((B, G), f8),
        gnd_par=((B, G, Lo.GP_N), f8),
        known=((B, G), b1),
        radar_emit=((B, R), b1),
        radar_next_scan=((B, R), f8),
        det_time=((B, R, A), f8),
        conn=((B, R, L), b1),
        stock=((B, L), i4),
        reload_left=((B, L), f8),
        int_pos=((B, I, 3), f8),
        int_status=((B, I), i1),
        int_target=((B, I), i4),
        int_launcher=((B, I), i4),
        int_time_left=((B, I), f8),
        int_used=((B,), i4),
        totals=((B, 4), f8),
        asset_destroyed=((B,), f8),
        defence_destroyed=((B,), f8),
        uav_lost=((B, 4), i4),
        uav_lost_cost=((B,), f8),
        interceptors_used=((B,), i4),
        interceptor_cost_spent=((B,), f8),
        kills=((B,), i4),
        leakers=((B,), i4),
        reward=((B, 2), f8),
        invalid=((B, N), b1),
        invalid_count=((B, N), i4),
        events=((B, event_cap, Lo.EVENT_WIDTH), f8),
        n_events=((B,), i4),
        obs_self=((B, N, Lo.S_DIM), np.float32),
        obs_ent=((B, N, k, Lo.F_DIM), np.float32),
        obs_mask=((B, N, k), b1),
        obs_ref=((B, N, k), i4),
        obs_ref_kind=((B, N, k), i1),
        act_mask=((B, N, action_width(k)), b1),
        agent_alive=((B, N), b1),
        grid_start=((B, grid_n * grid_n + 1), i4),
        grid_items=((B, A), i4),
        scratch_d=((B, M), f8),
        scratch_i=((B, M), i4),
    )
    views, arenas = Ar.allocate([specs[f] for f in WorldState._fields])
    s = WorldState(*views)
    s.det_time[...] = -np.inf
    s.obs_ref[...] = -1
    return s, arenas


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


def pack_state(s: WorldState) -> tuple[WorldState, Arenas]:
    """A packed copy of `s` (any state, packed or not: an unpickled snapshot is not)."""
    views, arenas = Ar.pack(list(s))
    return WorldState(*views), arenas


def copy_packed(arenas: Arenas) -> tuple[WorldState, Arenas]:
    """An independent copy of the packed state over `arenas`: one copy per buffer."""
    views, copied = Ar.copy_arenas(arenas)
    return WorldState(*views), copied


def copy_into(dst: WorldState, src: WorldState) -> None:
    for d, s in zip(dst, src, strict=True):
        d[...] = s


# --------------------------------------------------------------------------------------
# the static parameters, packed
# --------------------------------------------------------------------------------------
# Static's fields that are neither arrays nor the terrain: stored as float64 (exact for
# these flags and counts), converted back by `unpack`
STATIC_SCALARS = (
    "dt", "substeps", "max_steps", "width", "height", "k", "range_scale", "victory_fraction",
    "zero_sum", "cell", "n_carriers", "grid_n", "grid_cell", "event_cap",
)  # fmt: skip
STATIC_TERRAIN = ("heights", "height_max")  # passed as they are (read-only, maybe large)
STATIC_ARRAYS = tuple(f for f in Static._fields if f not in STATIC_SCALARS + STATIC_TERRAIN)


def pack_static(st: Static) -> tuple[Static, tuple[np.ndarray, ...]]:
    """A copy of `st` whose arrays (but the terrain's) are views of one buffer per dtype,
    and the arrays `unpack` takes for it: scalars, heights, height_max, then the f8, i4, i1
    and b1 buffers and their layout."""
    views, arenas = Ar.pack([np.asarray(getattr(st, f)) for f in STATIC_ARRAYS])
    packed = st._replace(**dict(zip(STATIC_ARRAYS, views, strict=True)))
    scalars = np.array([float(getattr(st, f)) for f in STATIC_SCALARS], np.float64)
    return packed, (
        scalars, st.heights, st.height_max, arenas.f8, arenas.i4, arenas.i1, arenas.b1,
        arenas.layout,
    )  # fmt: skip


@njit
def unpack(sc, heights, height_max, g8, g4, g1, gb, glay, f8, f4, i4, i1, b1, u8, lay):
    """(Static, WorldState) from `pack_static`'s arrays and the state's `Arenas` (in
    field order); the views are the Python side's arrays, not copies."""
    st = Static(
        sc[0],  # dt
        int(sc[1]),  # substeps
        int(sc[2]),  # max_steps
        sc[3],  # width
        sc[4],  # height
        int(sc[5]),  # k
        sc[6],  # range_scale
        sc[7],  # victory_fraction
        sc[8] != 0.0,  # zero_sum
        heights,
        height_max,
        sc[9],  # cell
        view1(g1, glay[0]),  # air_role
        view1(g4, glay[1]),  # air_carrier
        int(sc[10]),  # n_carriers
        view1(g1, glay[2]),  # gnd_kind
        view1(g4, glay[3]),  # gnd_sub
        view1(g4, glay[4]),  # radar_g
        view1(g4, glay[5]),  # launcher_g
        view1(g4, glay[6]),  # pd_g
        view1(g4, glay[7]),  # cp_g
        view2(gb, glay[8]),  # link_rc
        view2(gb, glay[9]),  # link_ql
        view2(gb, glay[10]),  # link_rl
        view1(g4, glay[11]),  # stock0
        view1(g8, glay[12]),  # w_att
        view1(g8, glay[13]),  # w_def
        int(sc[11]),  # grid_n
        sc[12],  # grid_cell
        int(sc[13]),  # event_cap
        view2(gb, glay[14]),  # observe
    )
    s = WorldState(
        view1(f8, lay[0]),  # t
        view1(i4, lay[1]),  # step
        view1(b1, lay[2]),  # terminated
        view1(b1, lay[3]),  # truncated
        view1(u8, lay[4]),  # rng
        view3(f8, lay[5]),  # air_pos
        view3(f8, lay[6]),  # air_prev
        view2(f8, lay[7]),  # air_heading
        view2(f8, lay[8]),  # air_speed
        view2(f8, lay[9]),  # air_fuel
        view2(i1, lay[10]),  # air_status
        view2(b1, lay[11]),  # air_jam
        view3(f8, lay[12]),  # air_par
        view3(f8, lay[13]),  # gnd_pos
        view2(f8, lay[14]),  # gnd_hp
        view3(f8, lay[15]),  # gnd_par
        view2(b1, lay[16]),  # known
        view2(b1, lay[17]),  # radar_emit
        view2(f8, lay[18]),  # radar_next_scan
        view3(f8, lay[19]),  # det_time
        view3(b1, lay[20]),  # conn
        view2(i4, lay[21]),  # stock
        view2(f8, lay[22]),  # reload_left
        view3(f8, lay[23]),  # int_pos
        view2(i1, lay[24]),  # int_status
        view2(i4, lay[25]),  # int_target
        view2(i4, lay[26]),  # int_launcher
        view2(f8, lay[27]),  # int_time_left
        view1(i4, lay[28]),  # int_used
        view2(f8, lay[29]),  # totals
        view1(f8, lay[30]),  # asset_destroyed
        view1(f8, lay[31]),  # defence_destroyed
        view2(i4, lay[32]),  # uav_lost
        view1(f8, lay[33]),  # uav_lost_cost
        view1(i4, lay[34]),  # interceptors_used
        view1(f8, lay[35]),  # interceptor_cost_spent
        view1(i4, lay[36]),  # kills
        view1(i4, lay[37]),  # leakers
        view2(f8, lay[38]),  # reward
        view2(b1, lay[39]),  # invalid
        view2(i4, lay[40]),  # invalid_count
        view3(f8, lay[41]),  # events
        view1(i4, lay[42]),  # n_events
        view3(f4, lay[43]),  # obs_self
        view4(f4, lay[44]),  # obs_ent
        view3(b1, lay[45]),  # obs_mask
        view3(i4, lay[46]),  # obs_ref
        view3(i1, lay[47]),  # obs_ref_kind
        view3(b1, lay[48]),  # act_mask
        view2(b1, lay[49]),  # agent_alive
        view2(i4, lay[50]),  # grid_start
        view2(i4, lay[51]),  # grid_items
        view2(f8, lay[52]),  # scratch_d
        view2(i4, lay[53]),  # scratch_i
    )
    return st, s
