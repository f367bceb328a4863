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

The kernel :func:`defend` runs these as phases per world (:func:`gather_tracks`,
:func:`score_threats`, :func:`look`, :func:`engage`, :func:`emission_control`). Its inputs
are a few records (NamedTuples of arrays and numbers, which Numba takes as they are), as
for the scripted attacker's kernels: :class:`Doctrine` (the tunable numbers), :class:`Sight`
(what the defender's agents observe), :class:`Ground` (its units), :class:`Interceptors`
(its interceptors) and, as scratch of one world, :class:`Tracks`.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from aerena.agents.scripted.base import Player
from aerena.agents.scripted.wta_fire import RANGE_PENALTY, wta_engage
from aerena.envs.airdefense import layout as Lo
from aerena.jit import njit

__all__ = [
    "FIRE_CONTROLS",
    "PARAMS",
    "Doctrine",
    "Ground",
    "Interceptors",
    "ScriptedDefender",
    "Sight",
    "Tracks",
    "defend",
]


class Doctrine(NamedTuple):
    """The scripted defender's tunable numbers (defaults: :data:`PARAMS`)."""

    threat_radius: float = 600.0  # m: a track threatens units its path passes this close to
    threat_cone: float = 0.3  # ... plus this share of the distance along its path
    t0: float = 30.0  # s: score = value / (time to unit + t0)
    defence_weight: float = 0.5  # weight of defence units' value against assets'
    conserve_ratio: float = 1.0  # conserve stock when stock < ratio * tracks
    hold_time: float = 90.0  # s: under conservation, engage only tracks due within this time
    silent_range: float = 2500.0  # m: a radar considers going silent inside this range
    strike_range: float = 1200.0  # m: a track this close and closing is about to strike
    silent_time: float = 20.0  # s: a silent radar emits again after this long
    salvo_time: float = 0.0  # s: a track due at a unit within this time may get a 2nd interceptor


#: Default value of every tunable parameter of the scripted defender, by name.
PARAMS: dict[str, float] = dict(Doctrine._field_defaults)


class Sight(NamedTuple):
    """What the defender's agents observe this step (views of the world state)."""

    ent: np.ndarray  # [B, N, K, F] float64 observation features of each slot
    mask: np.ndarray  # [B, N, K] bool, slot filled
    ref: np.ndarray  # [B, N, K] int, the entity a slot shows
    ref_kind: np.ndarray  # [B, N, K] int, its kind (Lo.REF_*)
    act_mask: np.ndarray  # [B, N, 1 + K] bool, legal actions (launchers: 1 + k fires at slot k)
    alive: np.ndarray  # [B, N] bool, agent alive
    first: int  # agent column of launcher 0 (the number of UAVs)
    range_scale: float  # m per unit of the position features


class Ground(NamedTuple):
    """The defender's ground units (views of the world state) and roster."""

    pos: np.ndarray  # [B, G, 3] float64
    hp: np.ndarray  # [B, G] float64
    par: np.ndarray  # [B, G, P] float64, per-unit parameters (layout GP_*)
    kind: np.ndarray  # [G] int64
    launcher_g: np.ndarray  # [L] int64, ground index of launcher l
    radar_g: np.ndarray  # [R] int64, ground index of radar r
    stock: np.ndarray  # [B, L] interceptors left
    conn: np.ndarray  # [B, R, L] bool, radar r feeds launcher l
    radar_emit: np.ndarray  # [B, R] bool


class Interceptors(NamedTuple):
    """The defender's interceptors (views of the world state)."""

    status: np.ndarray  # [B, I] Lo.INT_*
    target: np.ndarray  # [B, I] air entity
    used: np.ndarray  # [B] slots in use


class Tracks(NamedTuple):
    """Scratch of one world, by air entity: the defender's tracks and its bookkeeping."""

    seen: np.ndarray  # [A] bool, some agent observes it
    x: np.ndarray  # [A] m
    y: np.ndarray  # [A] m
    vx: np.ndarray  # [A] m/s
    vy: np.ndarray  # [A] m/s
    score: np.ndarray  # [A] threat score
    tti: np.ndarray  # [A] s to the unit it threatens (_NO_THREAT: none)
    busy: np.ndarray  # [A] int64, own interceptors flying at it
    fired: np.ndarray  # [A] bool, engaged this step


_NO_THREAT = 1e9

#: Engagement choice of :class:`ScriptedDefender`.
FIRE_CONTROLS = ("greedy", "wta")


@njit(inline="always")
def gather_tracks(b, sight, ground, trk):
    """Tracks of world `b` from every live launcher's and radar's observation (the first
    agent that sees an entity gives its position and velocity)."""
    U = sight.first
    Lc = ground.launcher_g.shape[0]
    R = ground.radar_g.shape[0]
    K = sight.ent.shape[2]
    trk.seen[:] = False
    for n in range(U, U + Lc + R):
        if not sight.alive[b, n]:
            continue
        if n < U + Lc:
            g = ground.launcher_g[n - U]
        else:
            g = ground.radar_g[n - U - Lc]
        for k in range(K):
            if not sight.mask[b, n, k] or sight.ref_kind[b, n, k] != Lo.REF_AIR:
                continue
            a = sight.ref[b, n, k]
            if trk.seen[a]:
                continue
            f = sight.ent[b, n, k]
            trk.seen[a] = True
            trk.x[a] = ground.pos[b, g, 0] + f[0] * sight.range_scale
            trk.y[a] = ground.pos[b, g, 1] + f[1] * sight.range_scale
            trk.vx[a] = f[4] * 100.0
            trk.vy[a] = f[5] * 100.0


@njit(inline="always")
def score_threats(b, ground, doc, trk):
    """Threat score and time to reach the most valuable unit on its path of every track."""
    A = trk.seen.shape[0]
    G = ground.hp.shape[1]
    for a in range(A):
        if not trk.seen[a]:
            continue
        vx = trk.vx[a]
        vy = trk.vy[a]
        sp = math.sqrt(vx * vx + vy * vy)
        best = 0.0
        best_t = _NO_THREAT
        for g in range(G):
            if ground.hp[b, g] <= 0.0:
                continue
            val = ground.par[b, g, Lo.GP_VALUE]
            if ground.kind[g] != Lo.ASSET:
                val *= doc.defence_weight
            if val <= 0.0:
                continue
            dx = ground.pos[b, g, 0] - trk.x[a]
            dy = ground.pos[b, g, 1] - trk.y[a]
            d = math.sqrt(dx * dx + dy * dy)
            if sp > 1.0:
                along = (dx * vx + dy * vy) / sp
                cross = abs(dx * vy - dy * vx) / sp
            else:
                along = 0.0
                cross = d
            if d < doc.threat_radius:
                tt = 0.0
            elif along > 0.0 and cross < doc.threat_radius + doc.threat_cone * along:
                tt = along / sp
            else:
                # not heading there: a weak, distance-based threat
                s_far = 0.1 * val / (d / 50.0 + doc.t0)
                if s_far > best:
                    best = s_far
                continue
            sc = val / (tt + doc.t0)
            if sc > best:
                best = sc
            if tt < best_t:
                best_t = tt
        trk.score[a] = best
        trk.tti[a] = best_t


@njit(inline="always")
def look(b, ground, flying, doc, trk):
    """Count own interceptors in flight at each track (look before shooting again); whether
    to conserve stock (fewer interceptors left than `conserve_ratio` times the free tracks)."""
    trk.busy[:] = 0
    for i in range(flying.used[b]):
        if flying.status[b, i] == Lo.INT_FLYING:
            trk.busy[flying.target[b, i]] += 1
    total = 0
    for l in range(ground.launcher_g.shape[0]):
        if ground.hp[b, ground.launcher_g[l]] > 0.0:
            total += ground.stock[b, l]
    free_tracks = 0
    for a in range(trk.seen.shape[0]):
        if trk.seen[a] and trk.busy[a] == 0:
            free_tracks += 1
    return total < doc.conserve_ratio * free_tracks


@njit(inline="always")
def engage(b, sight, doc, conserve, trk, used, out):
    """Launcher actions of world `b`: greedy over (launcher, slot) pairs, best score first
    (nearer launcher on ties); one shot per launcher and one new interceptor per track."""
    U = sight.first
    Lc = used.shape[0]
    K = sight.ent.shape[2]
    trk.fired[:] = False
    used[:] = False
    for l in range(Lc):
        out[b, l] = Lo.LAUNCHER_HOLD
    while True:
        bl = -1
        bk = -1
        bs = -1.0
        bd = 0.0
        for l in range(Lc):
            n = U + l
            if used[l] or not sight.alive[b, n]:
                continue
            for k in range(K):
                if not sight.mask[b, n, k] or not sight.act_mask[b, n, 1 + k]:
                    continue
                a = sight.ref[b, n, k]
                if trk.fired[a]:
                    continue
                s = trk.score[a]
                if trk.busy[a] > 0:
                    # look before shooting again, unless it will arrive before a look
                    if trk.busy[a] > 1 or trk.tti[a] > doc.salvo_time:
                        continue
                    s *= 0.5
                if conserve and trk.tti[a] > doc.hold_time:
                    continue
                d = sight.ent[b, n, k, 3]
                if s > bs or (s == bs and d < bd):
                    bs = s
                    bd = d
                    bl = l
                    bk = k
        if bl < 0:
            break
        out[b, bl] = 1 + bk
        used[bl] = True
        trk.fired[sight.ref[b, U + bl, bk]] = True


@njit(inline="always")
def _danger(b, r, sight, ground, doc, trk):
    """Distance of the nearest closing track inside `silent_range` of emitting radar `r`
    that none of its launchers can engage (0: none), and whether one is about to strike."""
    U = sight.first
    Lc = ground.launcher_g.shape[0]
    K = sight.ent.shape[2]
    n = U + Lc + r
    danger = 0.0
    about = False
    for k in range(K):
        if not sight.mask[b, n, k] or sight.ref_kind[b, n, k] != Lo.REF_AIR:
            continue
        f = sight.ent[b, n, k]
        d = f[3] * sight.range_scale
        if d > doc.silent_range:
            continue
        closing = -(f[0] * f[4] + f[1] * f[5]) > 0.0
        if not closing:
            continue
        a = sight.ref[b, n, k]
        if trk.busy[a] > 0 or trk.fired[a]:
            continue
        engageable = False
        for l in range(Lc):
            if not ground.conn[b, r, l] or not sight.alive[b, U + l]:
                continue
            for q in range(K):
                if sight.mask[b, U + l, q] and sight.ref[b, U + l, q] == a:
                    if sight.act_mask[b, U + l, 1 + q]:
                        engageable = True
        if engageable:
            continue
        if danger == 0.0 or d < danger:
            danger = d
        if d < doc.strike_range:
            about = True
    return danger, about


@njit(inline="always")
def _others_feed(b, r, ground):
    """Whether another emitting, live radar feeds one of radar `r`'s launchers."""
    for r2 in range(ground.radar_g.shape[0]):
        if r2 == r or not ground.radar_emit[b, r2] or ground.hp[b, ground.radar_g[r2]] <= 0.0:
            continue
        for l in range(ground.launcher_g.shape[0]):
            if ground.conn[b, r, l] and ground.conn[b, r2, l]:
                return True
    return False


@njit(inline="always")
def emission_control(b, sight, ground, doc, t_now, trk, silent_since, out):
    """Radar actions of world `b` (0: emit, 1: silent): go silent before an unengageable
    closing track unless that silences the last radar feeding the launchers while threats
    approach the assets (and the track is not about to strike); emit again after
    `silent_time`."""
    U = sight.first
    Lc = ground.launcher_g.shape[0]
    for r in range(ground.radar_g.shape[0]):
        n = U + Lc + r
        col = Lc + r
        out[b, col] = 0 if ground.radar_emit[b, r] else 1  # keep the current state
        if not sight.alive[b, n]:
            out[b, col] = 0
            continue
        if not ground.radar_emit[b, r]:
            if t_now[b] - silent_since[b, r] >= doc.silent_time:
                out[b, col] = 0
            continue
        danger, about = _danger(b, r, sight, ground, doc, trk)
        if danger == 0.0:
            continue
        others = _others_feed(b, r, ground)
        threats_to_assets = False
        for a in range(trk.seen.shape[0]):
            if trk.seen[a] and trk.tti[a] < _NO_THREAT:
                threats_to_assets = True
        if others or about or not threats_to_assets:
            out[b, col] = 1
            silent_since[b, r] = t_now[b]


@njit
def defend(doc, sight, ground, flying, t_now, silent_since, out, score_out, tti_out):
    """Defender actions `out` [B, L + R] (launchers, then radars) for every world; the
    threat score (-1: not seen) and time to a unit of every air entity in `score_out`,
    `tti_out` [B, A]. `silent_since` [B, R] (s) is the radars' memory across steps."""
    B = sight.ent.shape[0]
    A = score_out.shape[1]
    trk = Tracks(
        np.zeros(A, np.bool_),
        np.zeros(A),
        np.zeros(A),
        np.zeros(A),
        np.zeros(A),
        np.zeros(A),
        np.zeros(A),
        np.zeros(A, np.int64),
        np.zeros(A, np.bool_),
    )
    used = np.zeros(ground.launcher_g.shape[0], np.bool_)
    for b in range(B):
        gather_tracks(b, sight, ground, trk)
        score_threats(b, ground, doc, trk)
        for a in range(A):
            score_out[b, a] = trk.score[a] if trk.seen[a] else -1.0
            tti_out[b, a] = trk.tti[a] if trk.seen[a] else _NO_THREAT
        conserve = look(b, ground, flying, doc, trk)
        engage(b, sight, doc, conserve, trk, used, out)
        emission_control(b, sight, ground, doc, t_now, trk, silent_since, out)


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
        self.doctrine = Doctrine(**{k: float(params.get(k, v)) for k, v in PARAMS.items()})
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
        sight = Sight(
            s.obs_ent,
            s.obs_mask,
            s.obs_ref,
            s.obs_ref_kind,
            s.act_mask,
            s.agent_alive,
            self.U,
            float(w.static.range_scale),
        )
        ground = Ground(
            s.gnd_pos,
            s.gnd_hp,
            s.gnd_par,
            self.gnd_kind,
            self.launcher_g,
            self.radar_g,
            s.stock,
            s.conn,
            s.radar_emit,
        )
        flying = Interceptors(s.int_status, s.int_target, s.int_used)
        defend(
            self.doctrine,
            sight,
            ground,
            flying,
            s.t,
            self.silent_since,
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
                self.doctrine.conserve_ratio,
                self.doctrine.hold_time,
                self.doctrine.salvo_time,
                RANGE_PENALTY,
                self._out,
            )
        return self._out.copy()
