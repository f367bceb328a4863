"""Observation, action and state spaces of the air-defence world, and array -> dict helpers.

Bounds are computed from the scenario (map size, range scale, terrain relief, unit speed and
altitude limits, values, K), never guessed: every observation the kernels write lies inside
them. Features whose range is structural (one-hots, fractions, cos / sin) keep their exact
range; bounds derived from scenario numbers get a small safety margin.

Per-agent observation (PettingZoo / RLlib faces)::

    Dict({
        "self":        Box(S,)     float32   layout.SELF_FEATURES
        "entities":    Box(K, F)   float32   layout.ENTITY_FEATURES, nearest first, padded
        "entity_mask": Box(0, 1, (K,), int8)  1 where the entity slot is filled
        "action_mask": Box(0, 1, (A,), int8)  1 where the action is allowed (A = action size)
    })

Actions: UAV `Discrete(54)`, launcher `Discrete(1 + K)`, radar `Discrete(2)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from aerena.envs.airdefense import layout as Lo

_MARGIN = 1e-3  # relative safety margin on bounds computed from scenario numbers


# --------------------------------------------------------------------------------------
# Ranges of the scenario's (possibly randomised) unit parameters
# --------------------------------------------------------------------------------------
def column_range(roster: Any, table: str, column: int, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-row [lo, hi] of a parameter column over every episode the scenario can draw.

    Fixed numbers come from the roster's template; randomised ones (`uniform` / `choice`)
    from their law's extremes (after the draw's monotonic transform, if any).
    """
    rows = np.asarray(rows, dtype=np.int64)
    tmpl = roster.air_template if table == "air" else roster.gnd_template
    vals = tmpl[rows, column].astype(np.float64)
    lo = vals.copy()
    hi = vals.copy()
    where = {int(r): i for i, r in enumerate(rows)}
    for d in roster.draws:
        if d.table != table or d.column != column:
            continue
        if d.transform is not None and getattr(d.transform, "needs_rng", False):
            continue  # launch times: not used by any bound
        law = d.law
        ends = np.asarray(law.uniform if hasattr(law, "uniform") else law.choice, np.float64)
        if d.transform is not None:
            ends = np.asarray(d.transform(ends), np.float64)
        for r in d.rows:
            i = where.get(int(r))
            if i is not None:
                lo[i] = float(np.nanmin(ends))
                hi[i] = float(np.nanmax(ends))
    lo = np.nan_to_num(lo, nan=0.0)
    hi = np.nan_to_num(hi, nan=0.0)
    return lo, hi


def _amax(*xs: Any) -> float:
    vals = [float(np.max(np.abs(x))) for x in xs if np.size(x)]
    return max(vals) if vals else 0.0


def _pad(lo: float, hi: float) -> tuple[float, float]:
    span = max(abs(lo), abs(hi), 1.0)
    return lo - _MARGIN * span, hi + _MARGIN * span


@dataclass(frozen=True)
class Bounds:
    """Per-feature bounds of the observation and global-state vectors of one scenario."""

    self_low: np.ndarray  # [S] float32
    self_high: np.ndarray
    ent_low: np.ndarray  # [F] float32
    ent_high: np.ndarray
    state_low: np.ndarray  # [D] float32
    state_high: np.ndarray


def compute_bounds(world: Any) -> Bounds:
    """Bounds that every observation and global state of `world`'s scenario satisfies."""
    st, ro, sz = world.static, world.roster, world.sizes
    A, C, G, L = sz["A"], sz["C"], sz["G"], sz["L"]
    K = st.k
    W, H, rs = st.width, st.height, st.range_scale
    heights = world.terrain.heights
    hmin, hmax = float(np.min(heights)), float(np.max(heights))
    carriers = np.arange(C)
    uavs = np.arange(C, A)

    alt_min_lo, _ = column_range(ro, "air", Lo.AP_ALT_MIN, uavs)
    _, alt_max_hi = column_range(ro, "air", Lo.AP_ALT_MAX, uavs)
    c_alt_lo, c_alt_hi = column_range(ro, "air", Lo.AP_LAUNCH_ALT, carriers)
    agl_lo = min([0.0, *alt_min_lo, *c_alt_lo])
    agl_hi = max([0.0, *alt_max_hi, *c_alt_hi])
    z_lo, z_hi = hmin + agl_lo, hmax + agl_hi  # every air or ground z lies in here
    dz = (z_hi - z_lo) / 1000.0

    smin_lo, smin_hi = column_range(ro, "air", Lo.AP_SPEED_MIN, uavs)
    smax_lo, smax_hi = column_range(ro, "air", Lo.AP_SPEED_MAX, uavs)
    ccr_lo, ccr_hi = column_range(ro, "air", Lo.AP_SPEED_CRUISE, carriers)
    cvx = column_range(ro, "air", Lo.AP_VX, carriers)
    cvy = column_range(ro, "air", Lo.AP_VY, carriers)
    vmax = _amax(smin_lo, smin_hi, smax_lo, smax_hi, ccr_lo, ccr_hi, *cvx, *cvy)
    # UAV speed / own speed_max: speed is one of the unit's min / cruise / max speeds
    den = np.maximum(smax_lo, 1e-9)
    ratio_hi = max(1.0, float(np.max(np.maximum(np.abs(smin_lo), smax_hi) / den, initial=1.0)))
    ratio_lo = min(0.0, float(np.min(smin_lo / den, initial=0.0)))

    # entity value / total asset value (the kernel divides by max(total, 1e-9))
    assets = np.flatnonzero(ro.gnd_kind == Lo.ASSET)
    a_lo, _ = column_range(ro, "gnd", Lo.GP_VALUE, assets)
    g_lo, g_hi = column_range(ro, "gnd", Lo.GP_VALUE, np.arange(G))
    c_lo, c_hi = column_range(ro, "air", Lo.AP_VALUE, carriers)
    total_lo = max(float(np.sum(a_lo)), 1e-9)
    value_max = _amax(g_lo, g_hi, c_lo, c_hi) / total_lo
    value_min = min([0.0, *g_lo, *c_lo]) / total_lo

    tracks = max(1.0, A / K)  # tracks / K can exceed 1: more tracks than slots

    S, F = Lo.S_DIM, Lo.F_DIM
    s_lo = np.zeros(S)
    s_hi = np.ones(S)
    s_lo[6], s_hi[6] = _pad(min(0.0, agl_lo / 1000.0), max(1.0, agl_hi / 1000.0))
    s_lo[7] = -1.0
    s_lo[8], s_hi[8] = -1.0, tracks
    s_lo[9], s_hi[9] = _pad(ratio_lo, ratio_hi)
    s_hi[10] = max(10.0, tracks)
    prof = slice(Lo.SF_PROFILE, Lo.SF_PROFILE + len(Lo.PROFILE_S))
    s_lo[prof], s_hi[prof] = _pad((hmin - z_hi) / 1000.0, (hmax - z_lo) / 1000.0)
    _, s_hi[Lo.SF_ASSET_DIST] = _pad(0.0, math.hypot(W, H) / rs)
    s_lo[Lo.SF_ASSET_CLOSING], s_hi[Lo.SF_ASSET_CLOSING] = _pad(-ratio_hi, ratio_hi)

    e_lo = np.zeros(F)
    e_hi = np.ones(F)
    e_lo[0], e_hi[0] = _pad(-W / rs, W / rs)
    e_lo[1], e_hi[1] = _pad(-H / rs, H / rs)
    e_lo[2], e_hi[2] = _pad(-dz, dz)
    e_lo[3], e_hi[3] = _pad(0.0, math.hypot(W, H) / rs)
    e_lo[3] = 0.0
    e_lo[4], e_hi[4] = _pad(-vmax / 100.0, vmax / 100.0)
    e_lo[5], e_hi[5] = e_lo[4], e_hi[4]
    e_lo[Lo.EF_VALUE], e_hi[Lo.EF_VALUE] = _pad(value_min, value_max)

    # global state (World.global_state): 9 per air entity, 6 per ground object, L + 1
    air_lo = np.array([0, 0, z_lo / 1000.0, 0, -1, -1, 0, 0, -vmax / 100.0])
    air_hi = np.array([1, 1, z_hi / 1000.0, 1, 1, 1, 1, 1, vmax / 100.0])
    air_lo[2], air_hi[2] = _pad(min(air_lo[2], 0.0), air_hi[2])
    air_lo[8], air_hi[8] = _pad(air_lo[8], air_hi[8])
    gnd_lo, gnd_hi = np.zeros(6), np.ones(6)
    st_lo = np.concatenate([np.tile(air_lo, A), np.tile(gnd_lo, G), np.zeros(L + 1)])
    st_hi = np.concatenate([np.tile(air_hi, A), np.tile(gnd_hi, G), np.ones(L + 1)])

    f4 = np.float32
    return Bounds(
        s_lo.astype(f4),
        s_hi.astype(f4),
        e_lo.astype(f4),
        e_hi.astype(f4),
        st_lo.astype(f4),
        st_hi.astype(f4),
    )


# --------------------------------------------------------------------------------------
# Spaces
# --------------------------------------------------------------------------------------
def _mask_box(shape: tuple[int, ...]) -> spaces.Box:
    return spaces.Box(0, 1, shape, np.int8)


def agent_observation_space(bounds: Bounds, k: int, n_actions: int) -> spaces.Dict:
    """One agent's observation space (see the module docstring)."""
    return spaces.Dict(
        {
            "self": spaces.Box(bounds.self_low, bounds.self_high, dtype=np.float32),
            "entities": spaces.Box(
                np.tile(bounds.ent_low, (k, 1)), np.tile(bounds.ent_high, (k, 1)), dtype=np.float32
            ),
            "entity_mask": _mask_box((k,)),
            "action_mask": _mask_box((int(n_actions),)),
        }
    )


def agent_action_space(n_actions: int) -> spaces.Discrete:
    return spaces.Discrete(int(n_actions))


def stacked_observation_space(bounds: Bounds, k: int, n: int, amax: int) -> spaces.Dict:
    """n agents stacked (the single-agent commander and one world of the vector env)."""
    return spaces.Dict(
        {
            "self": spaces.Box(
                np.tile(bounds.self_low, (n, 1)),
                np.tile(bounds.self_high, (n, 1)),
                dtype=np.float32,
            ),
            "entities": spaces.Box(
                np.tile(bounds.ent_low, (n, k, 1)),
                np.tile(bounds.ent_high, (n, k, 1)),
                dtype=np.float32,
            ),
            "entity_mask": _mask_box((n, k)),
            "action_mask": _mask_box((n, amax)),
            "agent_alive": _mask_box((n,)),
        }
    )


def state_space(bounds: Bounds) -> spaces.Box:
    return spaces.Box(bounds.state_low, bounds.state_high, dtype=np.float32)


# --------------------------------------------------------------------------------------
# World arrays -> observations
# --------------------------------------------------------------------------------------
def as_int8(a: np.ndarray) -> np.ndarray:
    """A zero-copy int8 view (0 / 1) of a bool array."""
    return a.view(np.int8)


def copy_world_obs(world: Any, b: int) -> tuple[np.ndarray, ...]:
    """Fresh copies of world b's observation arrays: self [N,S], entities [N,K,F],
    entity_mask int8 [N,K], action_mask int8 [N,AMAX], agent_alive int8 [N]."""
    s = world.state
    return (
        s.obs_self[b].copy(),
        s.obs_ent[b].copy(),
        s.obs_mask[b].astype(np.int8),
        s.act_mask[b].astype(np.int8),
        s.agent_alive[b].astype(np.int8),
    )


def agent_obs(arrays: tuple[np.ndarray, ...], n: int, n_actions: int) -> dict[str, np.ndarray]:
    """Agent n's observation dict: views into `arrays` (from `copy_world_obs`)."""
    obs_self, obs_ent, mask, am = arrays[0], arrays[1], arrays[2], arrays[3]
    return {
        "self": obs_self[n],
        "entities": obs_ent[n],
        "entity_mask": mask[n],
        "action_mask": am[n, :n_actions],
    }


def stacked_obs(world: Any, b: int, cols: np.ndarray) -> dict[str, np.ndarray]:
    """The agents `cols` of world b, stacked (fresh arrays)."""
    s = world.state
    return {
        "self": s.obs_self[b, cols],
        "entities": s.obs_ent[b, cols],
        "entity_mask": s.obs_mask[b, cols].astype(np.int8),
        "action_mask": s.act_mask[b, cols].astype(np.int8),
        "agent_alive": s.agent_alive[b, cols].astype(np.int8),
    }


def noop_actions(world: Any) -> np.ndarray:
    """Every agent's no-op [N] int64: UAV straight and level at cruise, launcher hold,
    radar 0 (emit; only used for agents that are not alive, whose actions are ignored)."""
    out = np.zeros(world.sizes["N"], dtype=np.int64)
    out[world.agent_role == Lo.AGENT_UAV] = Lo.UAV_NOOP
    out[world.agent_role == Lo.AGENT_LAUNCHER] = Lo.LAUNCHER_HOLD
    return out
