"""`World`: B air-defence worlds of one scenario, stepped together by the Numba kernels.

This is the engine behind every face of the env (PettingZoo, Gymnasium, vector, RLlib):
it owns the static parameters and the preallocated state, resets worlds from seeds, steps
them with an action array [B, N] and hands back the arrays. It never builds dicts.

Agents, in order (N = U + L + R): `uav_0..uav_{U-1}`, `launcher_0..`, `radar_0..`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aerena.envs.airdefense import kernels
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.arena import Arenas
from aerena.envs.airdefense.roster import Roster, build_roster, draw_episode
from aerena.envs.airdefense.state import (
    Static,
    WorldState,
    action_width,
    allocate,
    copy_into,
    copy_packed,
    pack_state,
    pack_static,
)
from aerena.envs.airdefense.terrain import TerrainGrid, height_at, los_bounds, make_terrain
from aerena.scenarios import loader
from aerena.scenarios import schema as S


def _load(scenario: Any, overrides: dict[str, Any]) -> tuple[S.Scenario, str, Path | None]:
    if isinstance(scenario, S.Scenario) and not overrides:
        return scenario, json.dumps(scenario.model_dump(mode="json")), None
    return loader.load_scenario_with_source(scenario, **overrides)


class World:
    """B worlds of one scenario. Arrays live in `self.state` (see `state.WorldState`)."""

    def __init__(self, scenario: Any, num_worlds: int = 1, **overrides: Any) -> None:
        if int(num_worlds) < 1:
            raise ValueError(f"num_worlds must be >= 1, got {num_worlds}")
        self.scenario, self.scenario_text, path = _load(scenario, overrides)
        sc = self.scenario
        base_dir = path.parent if path is not None else None
        self.terrain: TerrainGrid = make_terrain(sc.map.terrain, sc.map.size, base_dir)
        self.roster: Roster = build_roster(sc)
        ro = self.roster
        W, H = sc.map.size
        A = len(ro.air_names)
        C = ro.n_carriers
        U = A - C
        G = len(ro.ground_names)
        R, Lc = len(ro.radar_g), len(ro.launcher_g)
        I = max(int(ro.stock0.sum()), 1)
        N = U + Lc + R
        # spatial grid over air entities: about 2 km cells (UAVs bunch around carriers and
        # targets, so cells sized by the map would fill up), at most 256 x 256 cells
        grid_n = int(min(256, max(1, math.ceil(max(W, H) / 2000.0))))
        event_cap = 4 * A + 4 * G + 2 * Lc + 64
        w = sc.rewards
        self.static = Static(
            dt=float(sc.episode.dt),
            substeps=int(sc.episode.substeps),
            max_steps=int(sc.episode.max_steps),
            width=float(W),
            height=float(H),
            k=int(sc.observation.k),
            range_scale=float(sc.observation.range_scale),
            victory_fraction=float(sc.victory.asset_fraction),
            zero_sum=bool(w.zero_sum),
            heights=self.terrain.heights,
            height_max=los_bounds(self.terrain.heights),
            cell=float(self.terrain.cell),
            air_role=ro.air_role,
            air_carrier=ro.air_carrier,
            n_carriers=C,
            gnd_kind=ro.gnd_kind,
            gnd_sub=ro.gnd_sub,
            radar_g=ro.radar_g,
            launcher_g=ro.launcher_g,
            pd_g=ro.pd_g,
            cp_g=ro.cp_g,
            link_rc=ro.link_rc,
            link_ql=ro.link_ql,
            link_rl=ro.link_rl,
            stock0=ro.stock0,
            w_att=_weights(w.attacker),
            w_def=_weights(w.defender),
            grid_n=grid_n,
            grid_cell=float(max(W, H) / grid_n),
            event_cap=event_cap,
            observe=np.ones((int(num_worlds), N), dtype=np.bool_),
        )
        self.num_worlds = int(num_worlds)
        self.sizes = {"A": A, "C": C, "U": U, "G": G, "R": R, "L": Lc, "I": I, "N": N}
        self._set_state(
            *allocate(self.num_worlds, A, G, R, Lc, I, N, self.static.k, grid_n, event_cap)
        )
        self.agent_names: list[str] = (
            [f"uav_{j}" for j in range(U)]
            + [f"launcher_{l}" for l in range(Lc)]
            + [f"radar_{r}" for r in range(R)]
        )
        self.agent_role = np.array(
            [Lo.AGENT_UAV] * U + [Lo.AGENT_LAUNCHER] * Lc + [Lo.AGENT_RADAR] * R, dtype=np.int8
        )
        self.action_sizes = np.array(
            [Lo.UAV_ACTIONS] * U + [1 + self.static.k] * Lc + [Lo.RADAR_ACTIONS] * R,
            dtype=np.int64,
        )
        self.action_width = action_width(self.static.k)
        self.seeds = np.zeros(self.num_worlds, dtype=np.int64)
        self._air_xy = np.zeros((A, 2))

    # ------------------------------------------------------------------ packed arrays
    # `static` and `state` are packed (state.py): their arrays are views of a few buffers,
    # which the kernel entries take (`self._args`). Assigning either packs a copy.
    @property
    def static(self) -> Static:
        return self._static

    @static.setter
    def static(self, st: Static) -> None:
        self._static, self._static_args = pack_static(st)
        if hasattr(self, "_state_arenas"):
            self._args = (*self._static_args, *self._state_arenas)

    @property
    def state(self) -> WorldState:
        return self._state

    @state.setter
    def state(self, s: WorldState) -> None:
        self._set_state(*pack_state(s))

    @property
    def kernel_args(self) -> tuple[np.ndarray, ...]:
        """The arrays the packed kernel entries take first (`kernels.step_packed` ...)."""
        return self._args

    def _set_state(self, s: WorldState, arenas: Arenas) -> None:
        self._state, self._state_arenas = s, arenas
        self._args = (*self._static_args, *arenas)

    def __getstate__(self) -> dict[str, Any]:
        # pickle (and deepcopy) would copy each view apart from its buffer: keep the
        # NamedTuples only, packed again on load
        d = dict(self.__dict__)
        for key in ("_args", "_static_args", "_state_arenas"):
            del d[key]
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        static, state = d.pop("_static"), d.pop("_state")
        self.__dict__.update(d)
        self.static = static
        self.state = state

    # ------------------------------------------------------------------ reset / step
    def reset(self, seeds: Sequence[int] | np.ndarray, worlds: Sequence[int] | None = None) -> None:
        """Start new episodes in `worlds` (all by default) from the given seeds."""
        idx = range(self.num_worlds) if worlds is None else worlds
        seeds = list(seeds)
        if len(seeds) != len(idx):
            raise ValueError(
                f"reset needs one seed per world: {len(idx)} worlds, {len(seeds)} seeds"
            )
        mask = np.zeros(self.num_worlds, dtype=np.bool_)
        for b, seed in zip(idx, seeds, strict=True):
            self._reset_world(int(b), int(seed))
            mask[b] = True
        kernels.observe_packed(*self._args, mask)

    def _reset_world(self, b: int, seed: int) -> None:
        s, ro, st = self.state, self.roster, self.static
        self.seeds[b] = seed
        rng = np.random.default_rng(seed)
        draw_episode(
            ro,
            self.terrain,
            st.width,
            st.height,
            rng,
            s.air_par[b],
            self._air_xy,
            s.gnd_par[b],
            s.gnd_pos[b],
        )
        s.rng[b] = np.uint64(rng.integers(0, 2**63 - 1))
        s.t[b] = 0.0
        s.step[b] = 0
        s.terminated[b] = False
        s.truncated[b] = False
        C = ro.n_carriers
        for c in range(C):
            x, y = self._air_xy[c]
            s.air_pos[b, c] = (
                x,
                y,
                height_at(st.heights, st.cell, x, y) + s.air_par[b, c, Lo.AP_LAUNCH_ALT],
            )
            s.air_heading[b, c] = s.air_par[b, c, Lo.AP_LAUNCH_HEADING]
            s.air_speed[b, c] = s.air_par[b, c, Lo.AP_SPEED_CRUISE]
        s.air_pos[b, C:] = s.air_pos[b, ro.air_carrier[C:]]
        s.air_prev[b] = s.air_pos[b]
        s.air_status[b, :C] = Lo.ACTIVE
        s.air_status[b, C:] = Lo.WAITING
        s.air_heading[b, C:] = 0.0
        s.air_speed[b, C:] = 0.0
        s.air_fuel[b] = 0.0
        s.air_jam[b] = False
        s.gnd_hp[b] = s.gnd_par[b, :, Lo.GP_HP_MAX]
        s.known[b] = ro.known0
        s.radar_emit[b] = True
        periods = s.gnd_par[b, ro.radar_g, Lo.GP_SCAN_PERIOD]
        s.radar_next_scan[b] = rng.uniform(0.0, 1.0, size=len(ro.radar_g)) * periods
        s.det_time[b] = -np.inf
        s.conn[b] = False
        s.stock[b] = ro.stock0
        s.reload_left[b] = 0.0
        s.int_status[b] = Lo.INT_FREE
        s.int_pos[b] = 0.0
        s.int_target[b] = -1
        s.int_launcher[b] = -1
        s.int_time_left[b] = 0.0
        s.int_used[b] = 0
        assets = ro.gnd_kind == Lo.ASSET
        s.totals[b, 0] = s.gnd_par[b, assets, Lo.GP_VALUE].sum()
        s.totals[b, 1] = s.gnd_par[b, ~assets, Lo.GP_VALUE].sum()
        s.totals[b, 2] = s.air_par[b, C:, Lo.AP_COST].sum()
        lg = ro.launcher_g
        s.totals[b, 3] = float((ro.stock0 * s.gnd_par[b, lg, Lo.GP_INT_COST]).sum())
        for arr in (
            s.asset_destroyed,
            s.defence_destroyed,
            s.uav_lost_cost,
            s.interceptor_cost_spent,
        ):
            arr[b] = 0.0
        for arr in (s.uav_lost, s.interceptors_used, s.kills, s.leakers, s.invalid_count):
            arr[b] = 0
        s.reward[b] = 0.0
        s.invalid[b] = False
        s.n_events[b] = 0
        one = np.zeros(self.num_worlds, dtype=np.bool_)
        one[b] = True
        kernels.launch_packed(*self._args, one)

    def step(
        self, actions: np.ndarray, worlds: np.ndarray | None = None, *, checked: bool = False
    ) -> None:
        """Advance the worlds (those not done, or those with `worlds[b]`) by one step.

        Events logged while actions are applied (fire, jam and emission switches) carry the
        step's start time; everything else carries its end time.

        `actions` is an int64 array [B, N]; values outside an agent's action space raise
        ValueError; values the mask forbids are replaced by the agent's no-op. Adapters that
        have validated every action themselves pass `checked=True` (an int64 [B, N] array) to
        skip the second check.
        """
        active = ~self.done if worlds is None else np.asarray(worlds, dtype=np.bool_)
        if checked:
            kernels.step_packed(*self._args, actions, active)
            return
        act = np.asarray(actions)
        if act.shape != (self.num_worlds, self.sizes["N"]):
            raise ValueError(
                f"actions must have shape {(self.num_worlds, self.sizes['N'])}, got {act.shape}"
            )
        if not np.issubdtype(act.dtype, np.integer):
            raise ValueError(f"actions must be integers, got dtype {act.dtype}")
        act = act.astype(np.int64, copy=False)
        b, n = kernels.first_bad_action(act, self.action_sizes, active)
        if b >= 0:
            raise ValueError(
                f"action {int(act[b, n])} for agent {self.agent_names[n]!r} is "
                f"outside its space Discrete({int(self.action_sizes[n])})"
            )
        kernels.step_packed(*self._args, act, active)

    # ------------------------------------------------------------------ snapshots
    def snapshot(self) -> WorldState:
        """A deep copy of the whole state (picklable); restore() puts it back exactly."""
        return copy_packed(self._state_arenas)[0]

    def restore(self, snap: WorldState) -> None:
        copy_into(self.state, snap)

    # ------------------------------------------------------------------ helpers
    @property
    def observe(self) -> np.ndarray:
        """[B, N] bool, writable in place: which agents' observations the world writes (see
        `state.Static.observe`; an unobserved agent's observation is left as it was)."""
        return self.static.observe

    @property
    def done(self) -> np.ndarray:
        return self.state.terminated | self.state.truncated

    def global_state(self) -> np.ndarray:
        """Centralised-critic state [B, D] float32: every air and ground entity, true values."""
        s, st, ro = self.state, self.static, self.roster
        B, A = s.air_status.shape
        air = np.zeros((B, A, 9), np.float32)
        air[..., 0] = s.air_pos[..., 0] / st.width
        air[..., 1] = s.air_pos[..., 1] / st.height
        air[..., 2] = s.air_pos[..., 2] / 1000.0
        air[..., 3] = s.air_status == Lo.ACTIVE
        air[..., 4] = np.cos(s.air_heading)
        air[..., 5] = np.sin(s.air_heading)
        air[..., 6] = s.air_jam
        air[..., 7] = ro.air_role[None, :] / 4.0
        air[..., 8] = s.air_speed / 100.0
        G = s.gnd_hp.shape[1]
        gnd = np.zeros((B, G, 6), np.float32)
        gnd[..., 0] = s.gnd_pos[..., 0] / st.width
        gnd[..., 1] = s.gnd_pos[..., 1] / st.height
        gnd[..., 2] = s.gnd_hp / np.maximum(s.gnd_par[..., Lo.GP_HP_MAX], 1e-12)
        gnd[..., 3] = ro.gnd_kind[None, :] / 4.0
        gnd[..., 4] = s.known
        em = np.zeros((B, G), np.float32)
        em[:, ro.radar_g] = s.radar_emit
        gnd[..., 5] = em
        extra = np.concatenate(
            [
                (s.stock / np.maximum(ro.stock0, 1)).astype(np.float32),
                (s.step / st.max_steps).astype(np.float32)[:, None],
            ],
            axis=1,
        )
        return np.concatenate([air.reshape(B, -1), gnd.reshape(B, -1), extra], axis=1)

    @property
    def state_dim(self) -> int:
        return 9 * self.sizes["A"] + 6 * self.sizes["G"] + self.sizes["L"] + 1

    def outcome(self, b: int = 0) -> dict[str, Any]:
        """The episode tallies of world b (valid at any time; final once it is done)."""
        s = self.state
        total = float(s.totals[b, 0])
        destroyed = float(s.asset_destroyed[b])
        frac = destroyed / total if total > 0 else 0.0
        winner = "attacker" if frac >= self.static.victory_fraction - 1e-12 else "defender"
        lost = {name: int(s.uav_lost[b, i]) for i, name in enumerate(Lo.UAV_ROLES)}
        return {
            "winner": winner,
            "steps": int(s.step[b]),
            "asset_value_total": total,
            "asset_value_destroyed": destroyed,
            "asset_value_saved": total - destroyed,
            "asset_fraction_destroyed": frac,
            "defence_value_destroyed": float(s.defence_destroyed[b]),
            "uavs_lost": lost,
            "uavs_lost_total": int(sum(lost.values())),
            "interceptors_used": int(s.interceptors_used[b]),
            "kills": int(s.kills[b]),
            "leakers": int(s.leakers[b]),
            "invalid_actions": int(s.invalid_count[b].sum()),
        }


def _weights(w: S.SideRewards) -> np.ndarray:
    return np.array([w.asset_value, w.defence_value, w.uav_cost, w.interceptor_cost], np.float64)
