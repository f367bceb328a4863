"""Reward shaping of an experiment (`shaping:`): per-agent terms added to the learning UAVs'
rewards during training, on both env paths (the batched sampler and SideEnv, B = 1).

The scenario's rewards stay the objective: evaluation, the league and the progress lines
score episodes by them alone. Shaping only gives the learner an earlier signal:

- `progress` (potential-based, Ng, Harada & Russell 1999): each step a UAV flies, it gets
  w x (phi' - phi) with phi = 1 - d / D, d the ground distance to the nearest live asset
  (the world's truth: shaping is training-only, the policy never reads it) and D the map
  diagonal. A UAV that is shot down, crashes or leaves the map drops to phi = 0, and so
  does every UAV still flying when the episode ends (its last state is terminal too).
  Summed over a flight the term telescopes to -w x phi_launch: it does not depend on the
  route, so it leaves the task's optimal policies unchanged (gamma near 1) while paying
  each step toward a target at once instead of minutes later, and taking it back when the
  flight ends without a strike. One exception, on purpose: a UAV that delivers its warhead
  ends at phi = 1 (it nets w x (1 - phi_launch)), so a strike is worth w on top of the
  scenario's reward, and loitering short of the target earns nothing.
- `exposure`: each step, -w for every defender radar that holds a track on the UAV (the
  picture the defence fires from: detected within the radar's track memory). With dt = 1 s
  it is w per second under track. Being a per-step cost, it also makes ending a flight
  early (leaving the map) look good to the learner: measured on strike_small with w =
  0.001, half the UAVs left the map within 230 s; weigh it against the scenario's
  `uav_cost`.

Terms are computed by two kernels over the world's arrays (batch first, written in place)
for the learning columns only; :class:`Shaping` keeps the previous potential per world.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.obs_parts import track_age
from aerena.jit import njit

TERMS = ("progress", "exposure")


@njit
def progress_potential(st, s, air, diag, out):
    """phi [B, n] of the UAV agents whose air index is `air` [n] (-1: not a UAV, phi 0)."""
    B, n = out.shape
    for b in range(B):
        for j in range(n):
            a = air[j]
            out[b, j] = 0.0
            if a < 0:
                continue
            status = s.air_status[b, a]
            if status == Lo.EXPENDED:
                out[b, j] = 1.0
                continue
            if status != Lo.ACTIVE:
                continue
            best = np.inf
            for g in range(st.gnd_kind.shape[0]):
                if st.gnd_kind[g] != Lo.ASSET or s.gnd_hp[b, g] <= 0.0:
                    continue
                dx = s.gnd_pos[b, g, 0] - s.air_pos[b, a, 0]
                dy = s.gnd_pos[b, g, 1] - s.air_pos[b, a, 1]
                best = min(best, dx * dx + dy * dy)
            if best < np.inf:
                out[b, j] = max(0.0, 1.0 - math.sqrt(best) / diag)


@njit
def tracks_held(st, s, air, out):
    """Number of defender radars [B, n] holding a track on each UAV agent (alive or not)."""
    B, n = out.shape
    for b in range(B):
        for j in range(n):
            a = air[j]
            out[b, j] = 0.0
            if a < 0:
                continue
            for r in range(st.radar_g.shape[0]):
                if s.gnd_hp[b, st.radar_g[r]] > 0.0:
                    if track_age(s.det_time, s.gnd_par, st.radar_g, s.t, b, r, a) <= 1.0:
                        out[b, j] += 1.0


class Shaping:
    """Shaping terms for the agent columns `cols` of a World: `reset(worlds)` after new
    episodes start, `step()` after each world step returns the terms [B, n] (0 for
    columns that are not UAVs; the caller adds them where the agent was alive before)."""

    def __init__(self, world: Any, cols: np.ndarray, terms: dict[str, float]) -> None:
        bad = [k for k in terms if k not in TERMS]
        if bad:
            raise ValueError(f"shaping: unknown term {bad[0]!r} (terms: {', '.join(TERMS)})")
        self.world = world
        self.terms = {k: float(v) for k, v in terms.items() if float(v)}
        U = world.sizes["U"]
        C = world.static.n_carriers
        cols = np.asarray(cols, dtype=np.int64)
        self.air = np.where(cols < U, C + cols, -1).astype(np.int64)
        W, H = (float(x) for x in world.scenario.map.size)
        self.diag = math.hypot(W, H)
        B, n = world.num_worlds, len(cols)
        self.phi = np.zeros((B, n))
        self._new = np.zeros((B, n))
        self._tracks = np.zeros((B, n))
        self.out = np.zeros((B, n))

    def reset(self, worlds: np.ndarray | None = None) -> None:
        if "progress" not in self.terms:
            return
        progress_potential(self.world.static, self.world.state, self.air, self.diag, self._new)
        if worlds is None:
            self.phi[:] = self._new
        else:
            self.phi[worlds] = self._new[worlds]

    def step(self) -> np.ndarray:
        st, s, out = self.world.static, self.world.state, self.out
        out[:] = 0.0
        w = self.terms.get("progress", 0.0)
        if w:
            progress_potential(st, s, self.air, self.diag, self._new)
            self._new[self.world.done] = 0.0  # the episode's end is terminal: phi = 0
            out += w * (self._new - self.phi)
            self.phi[:] = self._new
        w = self.terms.get("exposure", 0.0)
        if w:
            tracks_held(st, s, self.air, self._tracks)
            out -= w * self._tracks
        return out
