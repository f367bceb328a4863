"""Semantic checks of a validated scenario: what the schema cannot express.

:func:`semantic_problems` gives every problem as ``(mark, "field.path: message")``: sizes
after ``count`` expansion (at most ``MAX_UAVS`` UAVs and ``MAX_GROUND_UNITS`` ground units,
checked on the counts before anything is expanded), then type references, parameter
orders (``speed_min <= speed_cruise <= speed_max`` ...), unique names, links, known
defences, positions inside the map, per-unit parameter overrides and terrain files.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from aerena.scenarios import schema
from aerena.scenarios.annotations import is_number
from aerena.scenarios.located import Loc, Mark, did_you_mean, dotted_path
from aerena.scenarios.messages import pydantic_messages
from aerena.scenarios.names import DEFENCE_KINDS, PLACED, battery_units, named_entities
from aerena.scenarios.schema import Scenario
from aerena.scenarios.sources import resolve_terrain_path

__all__ = ["MAX_GROUND_UNITS", "MAX_UAVS", "semantic_problems"]

MAX_UAVS = 20_000  # per world, after `count` expansion (swarm_1000 has 1000)
MAX_GROUND_UNITS = 20_000  # assets + defence units per world

_TYPE_CLASSES: dict[str, type[BaseModel]] = {
    "uav": schema.UavType,
    "radar": schema.RadarType,
    "launcher": schema.LauncherType,
    "point_defence": schema.PointDefenceType,
    "command_post": schema.CommandPostType,
}
_ORDERS = {
    "uav": [
        ("speed_min", "speed_cruise", "<="),
        ("speed_cruise", "speed_max", "<="),
        ("altitude_min", "altitude_max", "<="),
    ],
    "launcher": [("range_min", "range_max", "<"), ("altitude_min", "altitude_max", "<=")],
}
_LINK_PAIRS = {
    frozenset({"radar", "command_post"}),
    frozenset({"command_post", "launcher"}),
    frozenset({"radar", "launcher"}),
}


def semantic_problems(sc: Scenario, loc: Loc, display: str) -> list[tuple[Mark, str]]:
    """Every located problem of ``sc`` (the size limits first: when one is exceeded, only
    they are reported); ``display`` is the top-level file."""
    return _size_problems(sc, loc) or _Checker(sc, loc, display).run()


def _size_problems(sc: Scenario, loc: Loc) -> list[tuple[Mark, str]]:
    """UAVs and ground units after count expansion, checked before anything is expanded:
    each total at most ``MAX_UAVS`` / ``MAX_GROUND_UNITS``, located at its largest count."""
    uavs = [
        (launch.count, ("attacker", "carriers", i, "launches", j, "count"))
        for i, carrier in enumerate(sc.attacker.carriers)
        for j, launch in enumerate(carrier.launches)
    ]
    per_battery = [
        b.count * (1 + b.radars + b.launchers + b.point_defences) for b in sc.defender.batteries
    ]
    ground = [(a.count, ("assets", i, "count")) for i, a in enumerate(sc.assets)]
    ground += [(n, ("defender", "batteries", i, "count")) for i, n in enumerate(per_battery)]
    ground += [(len(getattr(sc.defender, f)), ("defender", f)) for f in PLACED]
    out = []
    for what, items, limit in (
        ("UAVs", uavs, MAX_UAVS),
        ("ground units", ground, MAX_GROUND_UNITS),
    ):
        total = sum(n for n, _ in items)
        if total > limit:
            path = max(items)[1]
            msg = f"the scenario expands to {total:,} {what} (at most {limit:,})"
            out.append((loc.find(path), f"{dotted_path(path)}: {msg}"))
    return out


class _Checker:
    """Cross-field checks the schema cannot express; each problem located in the file."""

    def __init__(self, sc: Scenario, loc: Loc, display: str) -> None:
        self.sc, self.loc, self.display = sc, loc, display
        self.errors: list[tuple[Mark, str]] = []

    def run(self) -> list[tuple[Mark, str]]:
        self._library()
        self._type_refs()
        self._names()
        self._links()
        self._known_defences()
        self._positions()
        self._overrides()
        self._terrain()
        return self.errors

    def err(self, path: tuple, msg: str) -> None:
        self.errors.append((self.loc.find(path), f"{dotted_path(path)}: {msg}"))

    # --- the type library ------------------------------------------------------------
    def _library(self) -> None:
        for kind in _ORDERS:
            for name, params in getattr(self.sc.types, kind).items():
                for lo, hi, msg in _order_problems(kind, params):
                    # point at the value written in the top-level file, if one of them is
                    at = ("types", kind, name)
                    in_top = self.loc.find((*at, lo)).file == self.display
                    hi_in_top = self.loc.find((*at, hi)).file == self.display
                    self.err((*at, lo if in_top and not hi_in_top else hi), msg)

    def _type_ref(self, path: tuple, kind: str, name: str) -> None:
        library = getattr(self.sc.types, kind)
        if name in library:
            return
        hint = did_you_mean(name, list(library))
        if not hint:
            known = ", ".join(library) if library else "nothing"
            hint = f"; types.{kind} has {known}"
        self.err(path, f"unknown {kind} type {name!r}{hint}")

    def _type_refs(self) -> None:
        for field_name, kind in PLACED.items():
            for i, unit in enumerate(getattr(self.sc.defender, field_name)):
                self._type_ref(("defender", field_name, i, "type"), kind, unit.type)
        for i, b in enumerate(self.sc.defender.batteries):
            at = ("defender", "batteries", i)
            self._type_ref((*at, "radar"), "radar", b.radar)
            self._type_ref((*at, "launcher"), "launcher", b.launcher)
            self._type_ref((*at, "command_post"), "command_post", b.command_post)
            if b.point_defence is not None:
                self._type_ref((*at, "point_defence"), "point_defence", b.point_defence)
            elif b.point_defences > 0:
                self.err((*at, "point_defences"), "needs a `point_defence:` type")
        for i, carrier in enumerate(self.sc.attacker.carriers):
            for j, launch in enumerate(carrier.launches):
                path = ("attacker", "carriers", i, "launches", j, "type")
                self._type_ref(path, "uav", launch.type)

    # --- names, links, intelligence --------------------------------------------------
    def _names(self) -> None:
        seen: dict[str, tuple] = {}
        for name, _, path in named_entities(self.sc):
            if name in seen:
                prev = seen[name]
                mark, here = self.loc.find(prev), self.loc.find((*path, "name"))
                also = f" at line {mark.line}" if mark.file == here.file else f" at {mark}"
                self.err(
                    (*path, "name"), f"duplicate name {name!r} (also {dotted_path(prev)}{also})"
                )
            else:
                seen[name] = path

    def _defence_names(self) -> dict[str, str]:
        return {n: k for n, k, _ in named_entities(self.sc) if k in DEFENCE_KINDS}

    def _links(self) -> None:
        units = self._defence_names()
        seen: set[frozenset[str]] = set()
        for i, link in enumerate(self.sc.defender.links):
            path = ("defender", "links", i)
            unknown = [j for j, name in enumerate(link) if name not in units]
            for j in unknown:
                name = link[j]
                self.err((*path, j), f"unknown unit {name!r}{did_you_mean(name, list(units))}")
            if unknown:
                continue
            a, b = link
            if frozenset({units[a], units[b]}) not in _LINK_PAIRS:
                self.err(
                    path,
                    f"bad link {a!r} ({units[a]}) - {b!r} ({units[b]}): a link joins "
                    "radar-command_post, command_post-launcher or radar-launcher",
                )
            elif frozenset(link) in seen:
                self.err(path, f"duplicate link {a!r} - {b!r}")
            seen.add(frozenset(link))

    def _known_defences(self) -> None:
        known = self.sc.attacker.known_defences
        if not isinstance(known, list):
            return
        names = set(self._defence_names())
        for b in self.sc.defender.batteries:
            names |= {copy for copy, _, _ in battery_units(b)} | {b.name}
        for i, name in enumerate(known):
            if name not in names:
                hint = did_you_mean(name, sorted(names))
                self.err(("attacker", "known_defences", i), f"unknown defence unit {name!r}{hint}")

    # --- geometry --------------------------------------------------------------------
    def _positions(self) -> None:
        w, h = self.sc.map.size
        items: list[tuple[tuple, Any]] = []
        for field_name in (*PLACED, "batteries"):
            for i, unit in enumerate(getattr(self.sc.defender, field_name)):
                items.append((("defender", field_name, i, "position"), unit.position))
        items += [(("assets", i, "position"), a.position) for i, a in enumerate(self.sc.assets)]
        for i, c in enumerate(self.sc.attacker.carriers):
            items.append((("attacker", "carriers", i, "position"), c.position))
        for path, position in items:
            problem = _outside(position, w, h)
            if problem:
                self.err(path, f"{problem} is outside the map [0, {w:g}] x [0, {h:g}]")

    # --- per-unit overrides ----------------------------------------------------------
    def _overrides(self) -> None:
        for field_name, kind in PLACED.items():
            for i, unit in enumerate(getattr(self.sc.defender, field_name)):
                if unit.overrides:
                    self._unit_overrides(("defender", field_name, i), kind, unit)

    def _unit_overrides(self, path: tuple, kind: str, unit: schema.Placed) -> None:
        cls = _TYPE_CLASSES[kind]
        bad = [k for k in unit.overrides if k not in cls.model_fields]
        for key in bad:
            hint = did_you_mean(key, list(cls.model_fields), True)
            self.err((*path, "overrides", key), f"unknown {kind} parameter {key!r}{hint}")
        base = getattr(self.sc.types, kind).get(unit.type)
        if bad or base is None:
            return
        merged = {**base.model_dump(), **unit.overrides}
        try:
            params = cls.model_validate(merged)
        except ValidationError as exc:
            self.errors += pydantic_messages(exc, cls, (*path, "overrides"), merged, self.loc)
            return
        for lo, hi, msg in _order_problems(kind, params):
            culprit = hi if hi in unit.overrides else lo if lo in unit.overrides else None
            self.err((*path, "overrides", culprit) if culprit else path, f"{msg} (with overrides)")

    # --- files -----------------------------------------------------------------------
    def _terrain(self) -> None:
        path = resolve_terrain_path(self.sc)
        if path is not None and not path.is_file():
            self.err(("map", "terrain", "file"), f"terrain file not found: {path}")


def _order_problems(kind: str, params: BaseModel) -> list[tuple[str, str, str]]:
    """``(low field, high field, message)`` for each plain-number pair out of order."""
    out = []
    for lo_name, hi_name, op in _ORDERS.get(kind, []):
        lo, hi = getattr(params, lo_name), getattr(params, hi_name)
        if not (is_number(lo) and is_number(hi)):
            continue
        if (op == "<" and not lo < hi) or (op == "<=" and not lo <= hi):
            out.append((lo_name, hi_name, f"{lo_name} ({lo:g}) must be {op} {hi_name} ({hi:g})"))
    return out


def _outside(position: Any, w: float, h: float) -> str | None:
    """A description of ``position`` if any part of it lies outside [0, w] x [0, h]."""

    def inside(x: float, y: float) -> bool:
        return 0 <= x <= w and 0 <= y <= h

    if isinstance(position, schema.CircleRegion):
        (x, y), r = position.circle.center, position.circle.radius
        if inside(x - r, y - r) and inside(x + r, y + r):
            return None
        return f"circle region (centre [{x:g}, {y:g}], radius {r:g})"
    if isinstance(position, schema.Box):
        (x0, y0), (x1, y1) = position.box
        if inside(x0, y0) and inside(x1, y1):
            return None
        return f"box region [[{x0:g}, {y0:g}], [{x1:g}, {y1:g}]]"
    x, y = position
    return None if inside(x, y) else f"point [{x:g}, {y:g}]"
