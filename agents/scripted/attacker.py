"""Scripted attacker: terrain-aware routes around known radars, roles that work together.

Knowledge (fog of war): the attacker reads only its own UAVs (position, heading, speed,
fuel, status, parameters, roles) and the ground objects it knows (`state.known`): their
positions, whether they are alive (`gnd_hp > 0`), and for known radars their type numbers
(range, reference cross-section, mast). It never reads defender-only arrays (tracks,
links, stocks, interceptors) nor anything about unknown ground objects.

Behaviour, per world:

* **Routes.** Every known, alive radar contributes a cached exposure map on the plan grid
  (see `planning.risk_map`: terrain line of sight at the strike UAVs' lowest altitude
  times a range falloff). Node costs are `1 + w * exposure`; one Dijkstra cost-to-go field
  per target (asset or known radar) serves every UAV flying there. Fields are rebuilt when
  the set of known, alive radars changes (a radar is learnt or destroyed).
* **Targets.** Strike UAVs are spread over the alive assets, highest value first, by the
  marginal value `value * (1 - p)^n` of one more strike on a target already given `n`;
  known radars join the list (at `radar_weight * value`), so spare strikes go after them.
  Assignments are revised when a target dies or the known radars change.
* **Strike.** Follows the field of its target low (`altitude_min`), fast inside known
  coverage, steering around known defence units that are not its target (the warhead
  would go off on them), then turns straight at the target for the terminal dive
  (re-attacks after a miss by extending out of its turning circle first).
* **Decoy.** Flies the route of a strike target, fast and higher (to be seen and draw
  interceptors), then orbits the target.
* **Jammer.** Escorts the strike group; within `jam_range` of a known radar it flies at it
  with the jammer on (on only while the radar is inside its cone), staying `jam_lead`
  behind the leading strike UAV and slowing down, weaving across the bearing, when early.
* **Recon.** Flies high ahead on the main strike route and circles the main target at
  `recon_orbit` metres to uncover the defence.
* **Budget.** A UAV whose planned route is longer than `budget` times what its fuel and
  the time left allow flies straight at its target from then on; fast flight is chosen
  only when the fuel covers the rest of the way at that speed. When no strike UAV is
  left, the others fly home and circle their carrier.

Target plans: `fixed[b, j] = t` gives UAV j of world b the target slot t (`target_names`:
the assets in scenario order, then the radars) for as long as that target is alive and
known; the doctrine above picks for the UAVs without one, and for a UAV whose fixed
target is gone. :class:`~aerena.training.side_env.SideEnv` with `target_plan` flies a
learning attacker's UAVs this way: their policy picks the targets, this player the flight.

Commands are turned into the discrete UAV action (turn, climb, speed, jammer): the turn
that brings the heading closest to the desired one, climb/hold/descend towards the desired
height above ground, speed 0/1/2. The jammer bit is set for jammers only, so every action
is legal under `act_mask` (UAV agents that are not flying get the no-op).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.agents.scripted.base import Player
from aerena.agents.scripted.guidance import (
    PARAMS,
    Arena,
    Doctrine,
    Known,
    Own,
    Plan,
    assign_targets,
    guide,
)
from aerena.agents.scripted.planning import (
    PlanGrid,
    dijkstra_field,
    make_plan_grid,
    node_costs,
    risk_map,
)
from aerena.envs.airdefense import layout as Lo

__all__ = ["PARAMS", "RISK_CACHE_SIZE", "ScriptedAttacker"]

#: exposure maps a player keeps (a few hundred KB at most on the usual plan grids)
RISK_CACHE_SIZE = 256


# --------------------------------------------------------------------------------------
# the player
# --------------------------------------------------------------------------------------
class ScriptedAttacker(Player):
    """Scripted attacker for every world of a `World` (see the module docstring)."""

    def __init__(
        self,
        world: Any,
        seed: int | None = None,
        *,
        risk_weight: float = 6.0,
        radar_weight: float = 0.5,
        p_hit: float = 0.5,
        plan_cell: float | None = None,
        **params: float,
    ) -> None:
        super().__init__(world, "attacker", seed=seed)
        unknown = set(params) - set(PARAMS)
        if unknown:
            raise ValueError(f"unknown attacker parameters: {sorted(unknown)}")
        self.params = Doctrine(**{k: float(v) for k, v in params.items()})
        self.risk_weight = float(risk_weight)
        self.radar_weight = float(radar_weight)
        self.p_hit = float(p_hit)
        ro = world.roster
        st = world.static
        B = world.num_worlds
        self.C = int(world.sizes["C"])
        self.U = int(world.sizes["U"])
        self.roles = np.ascontiguousarray(ro.air_role[self.C :], dtype=np.int64)
        self.carrier = np.asarray(ro.air_carrier, dtype=np.int64)
        span = max(st.width, st.height)
        if plan_cell is None:
            plan_cell = min(max(span / 40.0, 500.0), 2000.0)
        self.grid: PlanGrid = make_plan_grid(world.terrain, plan_cell)
        g = self.grid
        self.asset_g = np.flatnonzero(ro.gnd_kind == Lo.ASSET).astype(np.int64)
        self.radar_g = np.asarray(ro.radar_g, dtype=np.int64)
        self.tgt_g = np.concatenate([self.asset_g, self.radar_g])
        self.n_assets = len(self.asset_g)
        self.target_names = [ro.ground_names[int(g)] for g in self.tgt_g]
        self._defence = np.asarray(ro.gnd_kind != Lo.ASSET)
        R, T = len(self.radar_g), len(self.tgt_g)
        self.risk = np.zeros((B, R, g.ny, g.nx))
        self.risk_ok = np.zeros((B, R), dtype=np.bool_)
        # exposure maps by (radar x, y, antenna z, r50, plan height): the terrain is the
        # world's, so worlds and episodes with the same radar placement share one map
        self._risk_cache: dict[tuple[float, ...], np.ndarray] = {}
        self.threat = np.zeros((B, R), dtype=np.bool_)
        self.risk_sum = np.zeros((B, g.ny, g.nx))
        self.cost = np.ones((B, g.ny, g.nx))
        self.field = np.zeros((B, T, g.ny, g.nx))
        self.plen = np.zeros((B, T, g.ny, g.nx))
        self.field_ok = np.zeros((B, T), dtype=np.bool_)
        self.target = np.full((B, self.U), -1, dtype=np.int64)
        # [B, U] a target plan's fixed target slot per UAV (-1: the doctrine picks)
        self.fixed = np.full((B, self.U), -1, dtype=np.int64)
        self.extend = np.zeros((B, self.U), dtype=np.bool_)
        self.direct = np.zeros((B, self.U), dtype=np.bool_)
        self._replan = np.ones(B, dtype=np.bool_)
        self._out = np.zeros((B, self.U), dtype=np.int64)

    # ------------------------------------------------------------------ episode
    def reset(self, worlds: np.ndarray | None = None) -> None:
        w = slice(None) if worlds is None else np.asarray(worlds)
        self.risk_ok[w] = False
        self.threat[w] = False
        self.risk_sum[w] = 0.0
        self.field_ok[w] = False
        self.target[w] = -1
        self.fixed[w] = -1
        self.extend[w] = False
        self.direct[w] = False
        self._replan[w] = True
        for b in np.arange(self.world.num_worlds)[w]:
            self._update_costs(int(b))

    # ------------------------------------------------------------------ knowledge
    def _known_radars(self) -> np.ndarray:
        """[B, R] radars the attacker knows and believes alive."""
        s = self.world.state
        rg = self.radar_g
        return s.known[:, rg] & (s.gnd_hp[:, rg] > 0.0)

    def _radar_r50(self, b: int, g: int) -> float:
        """Range at which a known radar sees the strike UAVs with Pd 0.5 (no jamming)."""
        s = self.world.state
        strikes = self.C + np.flatnonzero(self.roles == Lo.STRIKE)
        rows = strikes if len(strikes) else np.arange(self.C, self.C + self.U)
        rcs = float(np.mean(s.air_par[b, rows, Lo.AP_RCS])) if len(rows) else 1.0
        par = s.gnd_par[b, g]
        return float(par[Lo.GP_RANGE] * (rcs / max(par[Lo.GP_RCS_REF], 1e-12)) ** 0.25)

    def _plan_agl(self, b: int) -> float:
        s = self.world.state
        strikes = self.C + np.flatnonzero(self.roles == Lo.STRIKE)
        if len(strikes) == 0:
            return 50.0
        return float(np.min(s.air_par[b, strikes, Lo.AP_ALT_MIN]))

    def _update_costs(self, b: int) -> None:
        s, g, ter = self.world.state, self.grid, self.world.terrain
        for r in np.flatnonzero(self.threat[b] & ~self.risk_ok[b]):
            gr = int(self.radar_g[r])
            pos = s.gnd_pos[b, gr]
            key = (
                float(pos[0]),
                float(pos[1]),
                float(pos[2] + s.gnd_par[b, gr, Lo.GP_MAST]),
                self._radar_r50(b, gr),
                self._plan_agl(b),
            )
            cached = self._risk_cache.get(key)
            if cached is None:
                risk_map(ter.heights, ter.cell, g.cell, *key, 3, self.risk[b, r])
                if len(self._risk_cache) >= RISK_CACHE_SIZE:
                    self._risk_cache.clear()
                self._risk_cache[key] = self.risk[b, r].copy()
            else:
                self.risk[b, r] = cached
            self.risk_ok[b, r] = True
        node_costs(self.risk[b], self.threat[b], 1.0, 0.0, self.risk_sum[b])
        self.risk_sum[b] -= 1.0
        node_costs(self.risk[b], self.threat[b], self.risk_weight, 2.0, self.cost[b])
        self.field_ok[b] = False

    def _ensure_fields(self) -> None:
        s, g = self.world.state, self.grid
        B = self.world.num_worlds
        active = s.air_status[:, self.C :] == Lo.ACTIVE
        for b in range(B):
            used = np.unique(self.target[b][active[b] & (self.target[b] >= 0)])
            for t in used:
                if self.field_ok[b, t]:
                    continue
                x, y = s.gnd_pos[b, self.tgt_g[t], :2]
                i, j = g.node_of(float(x), float(y))
                dijkstra_field(self.cost[b], g.cell, i, j, self.field[b, t], self.plen[b, t])
                self.field_ok[b, t] = True

    # ------------------------------------------------------------------ acting
    def act(self) -> np.ndarray:
        w, s = self.world, self.world.state
        st = w.static
        threat = self._known_radars()
        changed = np.flatnonzero(np.any(threat != self.threat, axis=1))
        for b in changed:
            self.threat[b] = threat[b]
            self._update_costs(int(b))
            self._replan[b] = True
        # targets the attacker can aim at: alive assets, known alive radars
        tg = self.tgt_g
        ok = (s.gnd_hp[:, tg] > 0.0) & s.known[:, tg]
        value = np.where(ok, s.gnd_par[:, tg, Lo.GP_VALUE], 0.0)
        value[:, self.n_assets :] *= self.radar_weight
        obstacle = s.known & (s.gnd_hp > 0.0) & self._defence[None, :]
        known = Known(
            tgt_ok=ok,
            tgt_value=value,
            tgt_xyz=np.where(ok[..., None], s.gnd_pos[:, tg, :], 0.0),
            threat=threat,
            radar_xy=np.where(threat[..., None], s.gnd_pos[:, self.radar_g, :2], 0.0),
            obstacle=obstacle,
            obstacle_xy=np.where(obstacle[..., None], s.gnd_pos[:, :, :2], 0.0),
        )
        own = Own(
            s.air_pos, s.air_heading, s.air_status, s.air_fuel, s.air_par,
            self.roles, self.carrier, self.C,
        )  # fmt: skip
        # built each step, as a caller may give `fixed` (a target plan) a new array
        plan = Plan(
            float(self.grid.cell), self.cost, self.risk_sum, self.field, self.plen,
            self.target, self.fixed, self.extend, self.direct,
        )  # fmt: skip
        assign_targets(own, known, plan, self._replan, self.p_hit, self.params.terminal_range)
        self._replan[:] = False
        self._ensure_fields()
        arena = Arena(
            st.heights, st.cell, st.width, st.height, st.dt, s.t, float(st.max_steps * st.dt)
        )
        guide(own, known, plan, arena, self.params, self._out)
        return self._out.copy()
