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

Where each phase lives: :mod:`.dynamics` (1-3, clock, termination), :mod:`.engagement`
(launcher fire, 4-6), :mod:`.sensing` (7), :mod:`.observation` (built from :mod:`.obs_parts`);
:mod:`.kernels_common` holds the shared helpers (randomness, events, geometry, spatial grid).
This module holds the step itself (`step_world`, `step_block`: the list of phases), rewards and
the action check, and the entries `World` calls with the packed state (`step_packed`,
`launch_packed`, `observe_packed`: the arrays of :func:`.state.unpack`, then the kernel's
own arguments), so a call unboxes 17 arrays, not ~70 (:mod:`.arena`).

Everything random comes from the per-world splitmix64 state `s.rng`, so a world's future is
a function of its state and the actions: snapshot/restore is bit-exact.
"""

from __future__ import annotations

import numpy as np

from aerena.envs.airdefense.dynamics import (
    action_phase,
    clock_phase,
    flight_phase,
    launch_phase,
    termination_phase,
)
from aerena.envs.airdefense.engagement import interceptor_phase, point_defence_phase, strike_phase
from aerena.envs.airdefense.kernels_common import grid_phase
from aerena.envs.airdefense.observation import (
    observe_all,
    observe_launchers,
    observe_radars,
    observe_uavs,
)
from aerena.envs.airdefense.sensing import attacker_sensing_phase, connectivity_phase, radar_phase
from aerena.envs.airdefense.state import unpack
from aerena.jit import njit


# --------------------------------------------------------------------------------------
# 8. rewards
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


# --------------------------------------------------------------------------------------
# the step
# --------------------------------------------------------------------------------------
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
# entries over the packed state (World's calls; arguments: see state.unpack)
# --------------------------------------------------------------------------------------
@njit
def step_packed(sc, hts, hmax, g8, g4, g1, gb, glay, f8, f4, i4, i1, b1, u8, lay, actions, active):
    st, s = unpack(sc, hts, hmax, g8, g4, g1, gb, glay, f8, f4, i4, i1, b1, u8, lay)
    step_world(st, s, actions, active)


@njit
def launch_packed(sc, hts, hmax, g8, g4, g1, gb, glay, f8, f4, i4, i1, b1, u8, lay, active):
    st, s = unpack(sc, hts, hmax, g8, g4, g1, gb, glay, f8, f4, i4, i1, b1, u8, lay)
    launch_phase(st, s, active)


@njit
def observe_packed(sc, hts, hmax, g8, g4, g1, gb, glay, f8, f4, i4, i1, b1, u8, lay, active):
    st, s = unpack(sc, hts, hmax, g8, g4, g1, gb, glay, f8, f4, i4, i1, b1, u8, lay)
    observe_all(st, s, active)


# --------------------------------------------------------------------------------------
# action checks
# --------------------------------------------------------------------------------------
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
