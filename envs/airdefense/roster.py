"""From a validated scenario to flat unit tables, and per-episode draws of its random values.

`build_roster(scenario, terrain)` expands batteries, counts and launch schedules into one
row per unit, in a fixed order:

* air table: carriers first (`C` rows), then UAVs (`U` rows), in launch-schedule order;
* ground table: assets, radars, launchers, point defences, command posts.

Every number that the scenario fixes goes into a *template* row; every randomised number
(`uniform` / `choice`, regions) becomes a `Draw` that `draw_episode` fills in per episode
from the episode's generator, in a fixed order, so one seed gives one world.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from aerena.envs.airdefense import layout as L
from aerena.envs.airdefense.terrain import TerrainGrid, height_at
from aerena.scenarios import schema as S

_UAV_ROLE = {name: i for i, name in enumerate(L.UAV_ROLES)}


@dataclass
class _Draw:
    """A randomised value: table ('air' | 'gnd'), rows, column, and the scenario's law."""

    table: str
    rows: np.ndarray
    column: int
    law: S.Uniform | S.Choice
    transform: Callable[[np.ndarray], np.ndarray] | None = None


@dataclass
class _PosDraw:
    """A position drawn inside a region, shared by `rows` with fixed offsets."""

    table: str
    rows: np.ndarray
    offsets: np.ndarray  # [len(rows), 2] metres from the drawn point
    region: S.CircleRegion | S.Box


@dataclass
class Roster:
    """Static unit tables of one scenario (shapes fixed for the whole run)."""

    air_names: list[str]
    air_role: np.ndarray  # [A] int8, layout.STRIKE..CARRIER
    air_carrier: np.ndarray  # [A] int32, launching carrier (-1 for carriers)
    ground_names: list[str]
    gnd_kind: np.ndarray  # [G] int8, layout.ASSET..COMMAND_POST
    gnd_sub: np.ndarray  # [G] int32, index within its kind
    radar_g: np.ndarray  # [R] int32, ground row of each radar
    launcher_g: np.ndarray  # [L] int32
    pd_g: np.ndarray  # [P] int32
    cp_g: np.ndarray  # [Q] int32
    link_rc: np.ndarray  # [R, Q] bool, radar reports to command post
    link_ql: np.ndarray  # [Q, L] bool, command post commands launcher
    link_rl: np.ndarray  # [R, L] bool, organic radar-launcher link
    known0: np.ndarray  # [G] bool, known to the attacker at the start
    stock0: np.ndarray  # [L] int32
    air_template: np.ndarray  # [A, AP_N] float64
    gnd_template: np.ndarray  # [G, GP_N] float64
    air_xy_template: np.ndarray  # [A, 2] carrier positions (UAV rows copy their carrier)
    gnd_xy_template: np.ndarray  # [G, 2]
    draws: list[_Draw] = field(default_factory=list)
    pos_draws: list[_PosDraw] = field(default_factory=list)

    @property
    def n_carriers(self) -> int:
        return int(np.sum(self.air_role == L.CARRIER))

    @property
    def n_uavs(self) -> int:
        return len(self.air_names) - self.n_carriers


# --------------------------------------------------------------------------------------
# Building the roster
# --------------------------------------------------------------------------------------
class _Tables:
    """Row builder: fixed numbers go to the template, random ones to the draw list."""

    def __init__(self) -> None:
        self.air: list[np.ndarray] = []
        self.gnd: list[np.ndarray] = []
        self.draws: list[_Draw] = []

    def set(self, table: str, row: int, column: int, value: S.Rand | int, transform=None) -> None:
        rows = self.air if table == "air" else self.gnd
        if isinstance(value, S.Uniform | S.Choice):
            self.draws.append(_Draw(table, np.array([row]), column, value, transform))
            rows[row][column] = np.nan
        else:
            v = np.array([float(value)])
            rows[row][column] = float(transform(v)[0]) if transform else float(value)


def _deg2rad(v: np.ndarray) -> np.ndarray:
    return np.deg2rad(v)


def _cos_deg(v: np.ndarray) -> np.ndarray:
    return np.cos(np.deg2rad(v))


def _value(obj: object, name: str, overrides: dict) -> S.Rand | int:
    return overrides.get(name, getattr(obj, name))


def build_roster(scenario: S.Scenario) -> Roster:
    """Expand a validated scenario into flat unit tables (no randomness here)."""
    tab = _Tables()
    pos_draws: list[_PosDraw] = []
    W, H = scenario.map.size
    centre = (W / 2.0, H / 2.0)

    # ---- air: carriers, then UAVs in schedule order ----
    air_names: list[str] = []
    air_role: list[int] = []
    air_carrier: list[int] = []
    air_xy: list[tuple[float, float]] = []
    carriers = scenario.attacker.carriers
    for ci, c in enumerate(carriers):
        row = len(air_names)
        air_names.append(c.name)
        air_role.append(L.CARRIER)
        air_carrier.append(-1)
        tab.air.append(np.zeros(L.AP_N))
        xy = _place(c.position, "air", row, pos_draws)
        air_xy.append(xy)
        speed = math.hypot(*c.velocity)
        for col, v in (
            (L.AP_SPEED_MIN, speed),
            (L.AP_SPEED_CRUISE, speed),
            (L.AP_SPEED_MAX, speed),
            (L.AP_ALT_MIN, 0.0),
            (L.AP_ALT_MAX, 1e9),
            (L.AP_ENDURANCE, 1e12),
            (L.AP_RCS, c.rcs),
            (L.AP_COST, c.value),
            (L.AP_LAUNCH_ALT, c.altitude),
            (L.AP_VX, c.velocity[0]),
            (L.AP_VY, c.velocity[1]),
            (L.AP_VALUE, c.value),
            (L.AP_DETECTABLE, 1.0 if c.targetable else 0.0),
            (L.AP_LAUNCH_HEADING, math.atan2(c.velocity[1], c.velocity[0]) if speed else 0.0),
        ):
            tab.set("air", row, col, v)
        del ci
    for ci, c in enumerate(carriers):
        for launch in c.launches:
            utype = scenario.types.uav[launch.type]
            for k in range(launch.count):
                row = len(air_names)
                air_names.append(f"uav_{row - len(carriers)}")
                air_role.append(_UAV_ROLE[utype.role])
                air_carrier.append(ci)
                air_xy.append((0.0, 0.0))
                tab.air.append(np.zeros(L.AP_N))
                _uav_row(tab, row, utype, launch, k, centre)
    A = len(air_names)

    # ---- ground: assets, radars, launchers, point defences, command posts ----
    names: list[str] = []
    kinds: list[int] = []
    gxy: list[tuple[float, float]] = []
    unit_index: dict[str, int] = {}

    def add_ground(name: str, kind: int, xy: tuple[float, float]) -> int:
        row = len(names)
        names.append(name)
        kinds.append(kind)
        gxy.append(xy)
        tab.gnd.append(np.zeros(L.GP_N))
        unit_index[name] = row
        return row

    for a in scenario.assets:
        for k in range(a.count):
            name = a.name if a.count == 1 else f"{a.name}_{k}"
            row = add_ground(name, L.ASSET, (0.0, 0.0))
            gxy[row] = _place(a.position, "gnd", row, pos_draws)
            tab.set("gnd", row, L.GP_VALUE, a.value)
            tab.set("gnd", row, L.GP_HP_MAX, a.hp)

    lib = scenario.types
    d = scenario.defender
    links: list[tuple[str, str]] = list(d.links)
    pending: list[tuple[int, S.Placed | None, object, dict]] = []

    def add_placed(p: S.Placed, kind: int, library: dict) -> None:
        row = add_ground(p.name, kind, (0.0, 0.0))
        gxy[row] = _place(p.position, "gnd", row, pos_draws)
        pending.append((row, p, library[p.type], dict(p.overrides)))

    for p in d.radars:
        add_placed(p, L.RADAR, lib.radar)
    for p in d.launchers:
        add_placed(p, L.LAUNCHER, lib.launcher)
    for p in d.point_defences:
        add_placed(p, L.POINT_DEFENCE, lib.point_defence)
    for p in d.command_posts:
        add_placed(p, L.COMMAND_POST, lib.command_post)

    for bat in d.batteries:
        for k in range(bat.count):
            base = bat.name if bat.count == 1 else f"{bat.name}_{k}"
            members: list[tuple[str, int, object, tuple[float, float]]] = []
            n_ring = bat.radars + bat.launchers + bat.point_defences
            cp_name = f"{base}_cp"
            members.append((cp_name, L.COMMAND_POST, lib.command_post[bat.command_post], (0, 0)))
            j = 0
            radar_names, launcher_names = [], []
            for i in range(bat.radars):
                nm = f"{base}_radar" if bat.radars == 1 else f"{base}_radar_{i}"
                radar_names.append(nm)
                members.append((nm, L.RADAR, lib.radar[bat.radar], _ring(j, n_ring, bat.spread)))
                j += 1
            for i in range(bat.launchers):
                nm = f"{base}_launcher_{i}"
                launcher_names.append(nm)
                off = _ring(j, n_ring, bat.spread)
                members.append((nm, L.LAUNCHER, lib.launcher[bat.launcher], off))
                j += 1
            for i in range(bat.point_defences):
                assert bat.point_defence is not None
                nm = f"{base}_pd_{i}"
                off = _ring(j, n_ring, bat.spread * 0.5)
                members.append((nm, L.POINT_DEFENCE, lib.point_defence[bat.point_defence], off))
                j += 1
            rows = []
            for nm, kind, typ, _ in members:
                rows.append(add_ground(nm, kind, (0.0, 0.0)))
                pending.append((rows[-1], None, typ, {}))
            offsets = np.array([m[3] for m in members], dtype=np.float64)
            xy = _place(bat.position, "gnd", rows, pos_draws, offsets)
            for r, off in zip(rows, offsets, strict=True):
                gxy[r] = (xy[0] + off[0], xy[1] + off[1])
            links += [(rn, cp_name) for rn in radar_names]
            links += [(cp_name, ln) for ln in launcher_names]

    G = len(names)
    kinds_arr = np.array(kinds, dtype=np.int8)
    sub = np.zeros(G, dtype=np.int32)
    counters = [0] * 5
    for g in range(G):
        sub[g] = counters[kinds_arr[g]]
        counters[kinds_arr[g]] += 1
    for row, _p, typ, ov in pending:
        _ground_row(tab, row, int(kinds_arr[row]), typ, ov)

    radar_g = np.flatnonzero(kinds_arr == L.RADAR).astype(np.int32)
    launcher_g = np.flatnonzero(kinds_arr == L.LAUNCHER).astype(np.int32)
    pd_g = np.flatnonzero(kinds_arr == L.POINT_DEFENCE).astype(np.int32)
    cp_g = np.flatnonzero(kinds_arr == L.COMMAND_POST).astype(np.int32)
    R, Lc, Q = len(radar_g), len(launcher_g), len(cp_g)
    link_rc = np.zeros((R, Q), dtype=np.bool_)
    link_ql = np.zeros((Q, Lc), dtype=np.bool_)
    link_rl = np.zeros((R, Lc), dtype=np.bool_)
    for a_name, b_name in links:
        ga, gb = unit_index[a_name], unit_index[b_name]
        ka, kb = kinds_arr[ga], kinds_arr[gb]
        if ka > kb:  # order the pair as radar < launcher < pd < command post
            ga, gb, ka, kb = gb, ga, kb, ka
        if ka == L.RADAR and kb == L.COMMAND_POST:
            link_rc[sub[ga], sub[gb]] = True
        elif ka == L.LAUNCHER and kb == L.COMMAND_POST:
            link_ql[sub[gb], sub[ga]] = True
        elif ka == L.RADAR and kb == L.LAUNCHER:
            link_rl[sub[ga], sub[gb]] = True
        else:  # the loader rejects these with a located message; keep the core honest too
            raise ValueError(
                f"link [{a_name}, {b_name}] joins a {L.KIND_NAMES[ka]} and a {L.KIND_NAMES[kb]}"
            )

    known = np.zeros(G, dtype=np.bool_)
    known[kinds_arr == L.ASSET] = True
    kd = scenario.attacker.known_defences
    if kd == "all":
        known[:] = True
    elif isinstance(kd, list):
        for nm in kd:
            if nm in unit_index:
                known[unit_index[nm]] = True
            else:  # a battery name marks all its members
                for n2, g in unit_index.items():
                    if n2.startswith(nm + "_"):
                        known[g] = True

    gnd_template = np.array(tab.gnd, dtype=np.float64).reshape(G, L.GP_N)
    stock0 = gnd_template[launcher_g, L.GP_STOCK0].astype(np.int32)
    return Roster(
        air_names=air_names,
        air_role=np.array(air_role, dtype=np.int8),
        air_carrier=np.array(air_carrier, dtype=np.int32),
        ground_names=names,
        gnd_kind=kinds_arr,
        gnd_sub=sub,
        radar_g=radar_g,
        launcher_g=launcher_g,
        pd_g=pd_g,
        cp_g=cp_g,
        link_rc=link_rc,
        link_ql=link_ql,
        link_rl=link_rl,
        known0=known,
        stock0=stock0,
        air_template=np.array(tab.air, dtype=np.float64).reshape(A, L.AP_N),
        gnd_template=gnd_template,
        air_xy_template=np.array(air_xy, dtype=np.float64).reshape(A, 2),
        gnd_xy_template=np.array(gxy, dtype=np.float64).reshape(G, 2),
        draws=tab.draws,
        pos_draws=pos_draws,
    )


def _ring(j: int, n: int, radius: float) -> tuple[float, float]:
    ang = 2.0 * math.pi * j / max(n, 1)
    return (radius * math.cos(ang), radius * math.sin(ang))


def _place(
    pos: S.Position,
    table: str,
    rows: int | list[int],
    pos_draws: list[_PosDraw],
    offsets: np.ndarray | None = None,
) -> tuple[float, float]:
    """A fixed point returns it; a region registers a per-episode draw and returns (0, 0)."""
    if isinstance(pos, tuple):
        return (float(pos[0]), float(pos[1]))
    r = np.atleast_1d(np.asarray(rows, dtype=np.int64))
    off = np.zeros((len(r), 2)) if offsets is None else offsets
    pos_draws.append(_PosDraw(table, r, off, pos))
    return (0.0, 0.0)


def _uav_row(tab: _Tables, row: int, t: S.UavType, launch: S.Launch, k: int, centre) -> None:
    for col, name, tr in (
        (L.AP_SPEED_MIN, "speed_min", None),
        (L.AP_SPEED_CRUISE, "speed_cruise", None),
        (L.AP_SPEED_MAX, "speed_max", None),
        (L.AP_TURN_RATE, "turn_rate", _deg2rad),
        (L.AP_CLIMB_RATE, "climb_rate", None),
        (L.AP_ALT_MIN, "altitude_min", None),
        (L.AP_ALT_MAX, "altitude_max", None),
        (L.AP_ENDURANCE, "endurance", None),
        (L.AP_RCS, "rcs", None),
        (L.AP_COST, "cost", None),
        (L.AP_WARHEAD_DAMAGE, "warhead_damage", None),
        (L.AP_WARHEAD_RADIUS, "warhead_radius", None),
        (L.AP_JAM_POWER, "jammer_power", None),
        (L.AP_JAM_COS, "jammer_cone", _cos_deg),
        (L.AP_SENSOR_RANGE, "sensor_range", None),
        (L.AP_ESM_RANGE, "esm_range", None),
    ):
        tab.set("air", row, col, getattr(t, name), tr)
    tab.set("air", row, L.AP_DETECTABLE, 1.0)
    # launch time = at + k * interval: a draw of either makes the row's time a draw
    if isinstance(launch.at, float) and isinstance(launch.interval, float):
        tab.set("air", row, L.AP_LAUNCH_TIME, launch.at + k * launch.interval)
    else:
        at, iv = launch.at, launch.interval
        tab.draws.append(
            _Draw(
                "air",
                np.array([row]),
                L.AP_LAUNCH_TIME,
                S.Uniform(uniform=(0.0, 0.0)),
                _launch_time(at, iv, k),
            )
        )
    if launch.heading is None:
        tab.set("air", row, L.AP_LAUNCH_HEADING, np.nan)  # towards the map centre, at reset
    else:
        tab.set("air", row, L.AP_LAUNCH_HEADING, launch.heading, _deg2rad)
    alt = launch.altitude if launch.altitude is not None else t.altitude_min
    tab.set("air", row, L.AP_LAUNCH_ALT, alt)


def _launch_time(at: S.Rand, interval: S.Rand, k: int) -> Callable:
    """A transform that ignores its input and draws `at + k * interval` (both may be random)."""

    def draw(_v: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        assert rng is not None
        return np.array([_draw_one(at, rng) + k * _draw_one(interval, rng)])

    draw.needs_rng = True  # type: ignore[attr-defined]
    return draw


def _ground_row(tab: _Tables, row: int, kind: int, typ: object, ov: dict) -> None:
    tab.set("gnd", row, L.GP_VALUE, _value(typ, "value", ov))
    tab.set("gnd", row, L.GP_HP_MAX, _value(typ, "hp", ov))
    cols: tuple = ()
    if kind == L.RADAR:
        cols = (
            (L.GP_RANGE, "range"),
            (L.GP_RCS_REF, "rcs_ref"),
            (L.GP_SCAN_PERIOD, "scan_period"),
            (L.GP_PD_SLOPE, "pd_slope"),
            (L.GP_TRACK_MEMORY, "track_memory"),
            (L.GP_MAST, "mast"),
        )
    elif kind == L.LAUNCHER:
        cols = (
            (L.GP_RELOAD, "reload_time"),
            (L.GP_RANGE_MIN, "range_min"),
            (L.GP_RANGE_MAX, "range_max"),
            (L.GP_ALT_MIN, "altitude_min"),
            (L.GP_ALT_MAX, "altitude_max"),
            (L.GP_INT_SPEED, "interceptor_speed"),
            (L.GP_INT_TIME, "interceptor_time"),
            (L.GP_PK, "pk"),
            (L.GP_LETHAL, "lethal_radius"),
            (L.GP_INT_COST, "interceptor_cost"),
        )
        stock = ov.get("stock", typ.stock)  # type: ignore[attr-defined]
        if isinstance(stock, S.Uniform | S.Choice):
            raise ValueError("launcher stock cannot be randomised (it sizes the interceptor pool)")
        tab.set("gnd", row, L.GP_STOCK0, int(stock))
    elif kind == L.POINT_DEFENCE:
        cols = (
            (L.GP_PD_RADIUS, "radius"),
            (L.GP_PD_RATE, "kill_rate"),
            (L.GP_PD_ALT_MAX, "altitude_max"),
        )
    for col, name in cols:
        tab.set("gnd", row, col, _value(typ, name, ov))


# --------------------------------------------------------------------------------------
# Per-episode draws
# --------------------------------------------------------------------------------------
def _draw_one(v: S.Rand, rng: np.random.Generator) -> float:
    if isinstance(v, S.Uniform):
        return float(rng.uniform(v.uniform[0], v.uniform[1]))
    if isinstance(v, S.Choice):
        return float(v.choice[int(rng.integers(len(v.choice)))])
    return float(v)


def _draw_law(law: S.Uniform | S.Choice, n: int, rng: np.random.Generator) -> np.ndarray:
    if isinstance(law, S.Uniform):
        return rng.uniform(law.uniform[0], law.uniform[1], size=n)
    return np.asarray(law.choice, dtype=np.float64)[rng.integers(len(law.choice), size=n)]


def _draw_point(region: S.CircleRegion | S.Box, rng: np.random.Generator) -> np.ndarray:
    if isinstance(region, S.CircleRegion):
        c = region.circle
        r = c.radius * math.sqrt(rng.uniform())
        a = rng.uniform(0.0, 2.0 * math.pi)
        return np.array([c.center[0] + r * math.cos(a), c.center[1] + r * math.sin(a)])
    (x0, y0), (x1, y1) = region.box
    return np.array([rng.uniform(min(x0, x1), max(x0, x1)), rng.uniform(min(y0, y1), max(y0, y1))])


def draw_episode(
    roster: Roster,
    terrain: TerrainGrid,
    width: float,
    height: float,
    rng: np.random.Generator,
    air_par: np.ndarray,  # [A, AP_N] out
    air_xy: np.ndarray,  # [A, 2] out: carrier start positions (UAV rows: unused)
    gnd_par: np.ndarray,  # [G, GP_N] out
    gnd_pos: np.ndarray,  # [G, 3] out
) -> None:
    """Fill one world's tables for a new episode from `rng` (fixed draw order)."""
    air_par[:] = roster.air_template
    gnd_par[:] = roster.gnd_template
    air_xy[:] = roster.air_xy_template
    gxy = roster.gnd_xy_template.copy()
    for d in roster.draws:
        table = air_par if d.table == "air" else gnd_par
        if d.transform is not None and getattr(d.transform, "needs_rng", False):
            table[d.rows, d.column] = d.transform(None, rng)
            continue
        v = _draw_law(d.law, len(d.rows), rng)
        table[d.rows, d.column] = d.transform(v) if d.transform is not None else v
    for p in roster.pos_draws:
        xy = _draw_point(p.region, rng)
        target = air_xy if p.table == "air" else gxy
        target[p.rows] = xy[None, :] + p.offsets
    # keep everything inside the map
    np.clip(gxy[:, 0], 0.0, width, out=gxy[:, 0])
    np.clip(gxy[:, 1], 0.0, height, out=gxy[:, 1])
    np.clip(air_xy[:, 0], 0.0, width, out=air_xy[:, 0])
    np.clip(air_xy[:, 1], 0.0, height, out=air_xy[:, 1])
    gnd_pos[:, :2] = gxy
    for g in range(gnd_pos.shape[0]):
        gnd_pos[g, 2] = height_at(terrain.heights, terrain.cell, gxy[g, 0], gxy[g, 1])
    # UAVs without a heading head for the map centre from their carrier
    C = roster.n_carriers
    for a in range(C, air_par.shape[0]):
        if np.isnan(air_par[a, L.AP_LAUNCH_HEADING]):
            cx, cy = air_xy[roster.air_carrier[a]]
            air_par[a, L.AP_LAUNCH_HEADING] = math.atan2(height / 2 - cy, width / 2 - cx)
