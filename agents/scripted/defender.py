"""Scripted defender: threat-ranked, shoot-look-shoot engagements and radar emission control.

Knowledge (fog of war): the defender reads its launcher and radar agents' observations
(`obs_ent`, `obs_mask`, `obs_ref`, `act_mask`: tracks are "air, unknown type", with the
position, velocity and jamming flag the observation shows), its own units (positions,
hit points, values, stocks, radar emission, links `conn`), its own interceptors in flight
(`int_status`, `int_target`) and the clock. It never reads the true roles,
parameters or positions of air entities.

Per world and step:

* **Tracks.** Every air entity in some launcher's or radar's observation is a track (the
  observation's `obs_ref` names it, so two agents seeing one UAV agree). Position and
  velocity come from the observation features of the first agent that sees it.
* **Threat.** For each own unit with a value (assets, and with `defence_weight` the defence
  units), a track threatens it when it is within `threat_radius` of it or flies towards it
  with a miss distance under `threat_radius + threat_cone * along-track distance`; the time
  to reach it is the along-track distance over the speed. Tracks circling a unit (decoys
  do) are no threat to it by this measure.
  A track's score is the largest `value / (time + t0)` over the units it threatens (far,
  non-closing tracks get a small score from their distance alone).
* **Engagement.** Candidates are (launcher, track) pairs that the launcher's action mask
  allows. A track with one of our interceptors in flight is not engaged again until that
  interceptor is done (shoot-look-shoot; with `salvo_time` > 0, off by default, a track due
  within that time may get a second one, at half its score). When the interceptors left
  are few for the tracks seen (`stock < conserve_ratio * tracks`), only tracks due at a
  unit within `hold_time` seconds are engaged. Candidates are taken best score first
  (nearer launcher on ties); a launcher fires once per step and a track gets one new
  interceptor per step over all batteries.
* **Emission control.** A radar goes silent when a track closes on it to within
  `silent_range` while none of its launchers can engage that track, but not when that
  would silence every radar feeding its launchers while threats approach the assets -
  unless the track is about to reach it (`strike_range`). It emits again after
  `silent_time` seconds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from aerena.agents.scripted.base import Player
from aerena.agents.scripted.wta_fire import RANGE_PENALTY, wta_engage
from aerena.envs.airdefense import layout as Lo
from aerena.jit import njit

PARAMS: dict[str, float] = {
    "threat_radius": 600.0,  # m: a track threatens units its path passes this close to
    "threat_cone": 0.3,  # ... plus this share of the distance along its path
    "t0": 30.0,  # s: score = value / (time to unit + t0)
    "defence_weight": 0.5,  # weight of defence units' value against assets'
    "conserve_ratio": 1.0,  # conserve stock when stock < ratio * tracks
    "hold_time": 90.0,  # s: under conservation, engage only tracks due within this time
    "silent_range": 2500.0,  # m: a radar considers going silent inside this range
    "strike_range": 1200.0,  # m: a track this close and closing is about to strike
    "silent_time": 20.0,  # s: a silent radar emits again after this long
    "salvo_time": 0.0,  # s: a track due at a unit within this time may get a 2nd interceptor
}
_P = {k: i for i, k in enumerate(PARAMS)}
P_THREAT_R = _P["threat_radius"]
P_CONE = _P["threat_cone"]
P_T0 = _P["t0"]
P_DEF_W = _P["defence_weight"]
P_CONSERVE = _P["conserve_ratio"]
P_HOLD_T = _P["hold_time"]
P_SIL_R = _P["silent_range"]
P_STRIKE_R = _P["strike_range"]
P_SIL_T = _P["silent_time"]
P_SALVO_T = _P["salvo_time"]

_NO_THREAT = 1e9

#: Engagement choice of :class:`ScriptedDefender`.
FIRE_CONTROLS = ("greedy", "wta")


@njit
def defend(
    obs_ent,
    obs_mask,
    obs_ref,
    obs_ref_kind,
    act_mask,
    agent_alive,
    gnd_pos,
    gnd_hp,
    gnd_par,
    gnd_kind,
    launcher_g,
    radar_g,
    stock,
    conn,
    radar_emit,
    int_status,
    int_target,
    int_used,
    t_now,
    U,
    range_scale,
    A,
    silent_since,
    prm,
    out,
    score_out,
    tti_out,
):
    """Defender actions `out` [B, L + R] (launchers, then radars) for every world; the
    threat score (-1: not seen) and time to a unit of every air entity in `score_out`,
    `tti_out` [B, A]."""
    B = obs_ent.shape[0]
    Lc = launcher_g.shape[0]
    R = radar_g.shape[0]
    K = obs_ent.shape[2]
    G = gnd_hp.shape[1]
    seen = np.zeros(A, np.bool_)
    tx = np.zeros(A)
    ty = np.zeros(A)
    vx = np.zeros(A)
    vy = np.zeros(A)
    score = np.zeros(A)
    tti = np.zeros(A)
    busy = np.zeros(A, np.int64)
    fired = np.zeros(A, np.bool_)
    used = np.zeros(Lc, np.bool_)
    for b in range(B):
        seen[:] = False
        busy[:] = 0
        fired[:] = False
        used[:] = False
        # ---- tracks from every launcher and radar observation ----
        n_tracks = 0
        for n in range(U, U + Lc + R):
            if not agent_alive[b, n]:
                continue
            if n < U + Lc:
                g = launcher_g[n - U]
            else:
                g = radar_g[n - U - Lc]
            for k in range(K):
                if not obs_mask[b, n, k] or obs_ref_kind[b, n, k] != Lo.REF_AIR:
                    continue
                a = obs_ref[b, n, k]
                if seen[a]:
                    continue
                f = obs_ent[b, n, k]
                seen[a] = True
                n_tracks += 1
                tx[a] = gnd_pos[b, g, 0] + f[0] * range_scale
                ty[a] = gnd_pos[b, g, 1] + f[1] * range_scale
                vx[a] = f[4] * 100.0
                vy[a] = f[5] * 100.0
        # ---- threat: time to reach the most valuable unit on its path ----
        for a in range(A):
            if not seen[a]:
                continue
            sp = math.sqrt(vx[a] * vx[a] + vy[a] * vy[a])
            best = 0.0
            best_t = _NO_THREAT
            for g in range(G):
                if gnd_hp[b, g] <= 0.0:
                    continue
                val = gnd_par[b, g, Lo.GP_VALUE]
                if gnd_kind[g] != Lo.ASSET:
                    val *= prm[P_DEF_W]
                if val <= 0.0:
                    continue
                dx = gnd_pos[b, g, 0] - tx[a]
                dy = gnd_pos[b, g, 1] - ty[a]
                d = math.sqrt(dx * dx + dy * dy)
                if sp > 1.0:
                    along = (dx * vx[a] + dy * vy[a]) / sp
                    cross = abs(dx * vy[a] - dy * vx[a]) / sp
                else:
                    along = 0.0
                    cross = d
                if d < prm[P_THREAT_R]:
                    tt = 0.0
                elif along > 0.0 and cross < prm[P_THREAT_R] + prm[P_CONE] * along:
                    tt = along / sp
                else:
                    # not heading there: a weak, distance-based threat
                    s_far = 0.1 * val / (d / 50.0 + prm[P_T0])
                    if s_far > best:
                        best = s_far
                    continue
                sc = val / (tt + prm[P_T0])
                if sc > best:
                    best = sc
                if tt < best_t:
                    best_t = tt
            score[a] = best
            tti[a] = best_t
        for a in range(A):
            score_out[b, a] = score[a] if seen[a] else -1.0
            tti_out[b, a] = tti[a] if seen[a] else _NO_THREAT
        # ---- interceptors in flight: look before shooting again ----
        for i in range(int_used[b]):
            if int_status[b, i] == Lo.INT_FLYING:
                busy[int_target[b, i]] += 1
        total = 0
        for l in range(Lc):
            if gnd_hp[b, launcher_g[l]] > 0.0:
                total += stock[b, l]
        free_tracks = 0
        for a in range(A):
            if seen[a] and busy[a] == 0:
                free_tracks += 1
        conserve = total < prm[P_CONSERVE] * free_tracks
        # ---- engagements: greedy over (launcher, slot) pairs by score ----
        for l in range(Lc):
            out[b, l] = Lo.LAUNCHER_HOLD
        while True:
            bl = -1
            bk = -1
            bs = -1.0
            bd = 0.0
            for l in range(Lc):
                n = U + l
                if used[l] or not agent_alive[b, n]:
                    continue
                for k in range(K):
                    if not obs_mask[b, n, k] or not act_mask[b, n, 1 + k]:
                        continue
                    a = obs_ref[b, n, k]
                    if fired[a]:
                        continue
                    s = score[a]
                    if busy[a] > 0:
                        # look before shooting again, unless it will arrive before a look
                        if busy[a] > 1 or tti[a] > prm[P_SALVO_T]:
                            continue
                        s *= 0.5
                    if conserve and tti[a] > prm[P_HOLD_T]:
                        continue
                    d = obs_ent[b, n, k, 3]
                    if s > bs or (s == bs and d < bd):
                        bs = s
                        bd = d
                        bl = l
                        bk = k
            if bl < 0:
                break
            out[b, bl] = 1 + bk
            used[bl] = True
            fired[obs_ref[b, U + bl, bk]] = True
        # ---- radar emission control ----
        for r in range(R):
            n = U + Lc + r
            col = Lc + r
            out[b, col] = 0 if radar_emit[b, r] else 1  # keep the current state
            if not agent_alive[b, n]:
                out[b, col] = 0
                continue
            if not radar_emit[b, r]:
                if t_now[b] - silent_since[b, r] >= prm[P_SIL_T]:
                    out[b, col] = 0
                continue
            # the nearest closing track that no launcher of this radar can engage
            danger = 0.0  # distance of the worst such track (0 = none)
            about = False
            for k in range(K):
                if not obs_mask[b, n, k] or obs_ref_kind[b, n, k] != Lo.REF_AIR:
                    continue
                f = obs_ent[b, n, k]
                d = f[3] * range_scale
                if d > prm[P_SIL_R]:
                    continue
                closing = -(f[0] * f[4] + f[1] * f[5]) > 0.0
                if not closing:
                    continue
                a = obs_ref[b, n, k]
                if busy[a] > 0 or fired[a]:
                    continue
                engageable = False
                for l in range(Lc):
                    if not conn[b, r, l] or not agent_alive[b, U + l]:
                        continue
                    for q in range(K):
                        if obs_mask[b, U + l, q] and obs_ref[b, U + l, q] == a:
                            if act_mask[b, U + l, 1 + q]:
                                engageable = True
                if engageable:
                    continue
                if danger == 0.0 or d < danger:
                    danger = d
                if d < prm[P_STRIKE_R]:
                    about = True
            if danger == 0.0:
                continue
            # would this silence every radar feeding this radar's launchers?
            others = False
            for r2 in range(R):
                if r2 == r or not radar_emit[b, r2] or gnd_hp[b, radar_g[r2]] <= 0.0:
                    continue
                for l in range(Lc):
                    if conn[b, r, l] and conn[b, r2, l]:
                        others = True
            threats_to_assets = False
            for a in range(A):
                if seen[a] and tti[a] < _NO_THREAT:
                    threats_to_assets = True
            if others or about or not threats_to_assets:
                out[b, col] = 1
                silent_since[b, r] = t_now[b]


class ScriptedDefender(Player):
    """Scripted defender for every world of a `World` (see the module docstring)."""

    def __init__(
        self,
        world: Any,
        seed: int | None = None,
        fire_control: str = "greedy",
        **params: float,
    ) -> None:
        """`fire_control`: ``"greedy"`` (best score first, the default) or ``"wta"``
        (weapon-target assignment each step, :mod:`aerena.agents.scripted.wta_fire`)."""
        super().__init__(world, "defender", seed=seed)
        if fire_control not in FIRE_CONTROLS:
            raise ValueError(
                f"unknown fire_control {fire_control!r}: expected one of {', '.join(FIRE_CONTROLS)}"
            )
        self.fire_control = fire_control
        unknown = set(params) - set(PARAMS)
        if unknown:
            raise ValueError(f"unknown defender parameters: {sorted(unknown)}")
        self.params = np.array([params.get(k, v) for k, v in PARAMS.items()], dtype=np.float64)
        ro = world.roster
        B = world.num_worlds
        self.U = int(world.sizes["U"])
        self.A = int(world.sizes["A"])
        self.launcher_g = np.asarray(ro.launcher_g, dtype=np.int64)
        self.radar_g = np.asarray(ro.radar_g, dtype=np.int64)
        self.gnd_kind = np.asarray(ro.gnd_kind, dtype=np.int64)
        self.silent_since = np.full((B, len(self.radar_g)), -np.inf)
        self._out = np.zeros((B, len(self.columns)), dtype=np.int64)
        self._score = np.zeros((B, self.A))
        self._tti = np.zeros((B, self.A))

    def reset(self, worlds: np.ndarray | None = None) -> None:
        w = slice(None) if worlds is None else np.asarray(worlds)
        self.silent_since[w] = -np.inf

    def act(self) -> np.ndarray:
        w, s = self.world, self.world.state
        defend(
            s.obs_ent,
            s.obs_mask,
            s.obs_ref,
            s.obs_ref_kind,
            s.act_mask,
            s.agent_alive,
            s.gnd_pos,
            s.gnd_hp,
            s.gnd_par,
            self.gnd_kind,
            self.launcher_g,
            self.radar_g,
            s.stock,
            s.conn,
            s.radar_emit,
            s.int_status,
            s.int_target,
            s.int_used,
            s.t,
            self.U,
            float(w.static.range_scale),
            self.A,
            self.silent_since,
            self.params,
            self._out,
            self._score,
            self._tti,
        )
        if self.fire_control == "wta":
            wta_engage(
                s.obs_ent,
                s.obs_mask,
                s.obs_ref,
                s.act_mask,
                s.agent_alive,
                s.gnd_hp,
                s.gnd_par,
                self.launcher_g,
                s.stock,
                s.int_status,
                s.int_target,
                s.int_used,
                self.U,
                float(w.static.range_scale),
                self._score,
                self._tti,
                float(self.params[P_CONSERVE]),
                float(self.params[P_HOLD_T]),
                float(self.params[P_SALVO_T]),
                RANGE_PENALTY,
                self._out,
            )
        return self._out.copy()
