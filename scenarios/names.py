"""Expanded names: what ``count`` makes of assets and batteries, and every named thing.

``count: n`` on an asset gives ``name_0 .. name_{n-1}``; on a battery it gives copies
``name_0 ..`` (just ``name`` when n = 1), and each copy ``c`` holds ``c_cp``, ``c_radar``
(``c_radar_<j>`` with several), ``c_launcher_<j>`` and ``c_pd_<j>`` -- the names the world's
roster uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from aerena.scenarios import schema
from aerena.scenarios.schema import Scenario

__all__ = ["DEFENCE_KINDS", "PLACED", "battery_units", "named_entities", "unit_names"]

PLACED = {  # defender field -> unit kind
    "radars": "radar",
    "launchers": "launcher",
    "point_defences": "point_defence",
    "command_posts": "command_post",
}
DEFENCE_KINDS = frozenset(PLACED.values())


def battery_units(battery: schema.BatterySpec) -> list[tuple[str, str, str]]:
    """``(copy name, unit name, kind)`` of every unit of a battery after ``count`` expansion.

    Copy ``c`` (``name``, or ``name_<k>`` when count > 1) holds ``c_cp``, ``c_radar`` (or
    ``c_radar_<j>`` with several radars), ``c_launcher_<j>`` and ``c_pd_<j>``, in that order
    (the order the world's roster uses).
    """
    out: list[tuple[str, str, str]] = []
    for k in range(battery.count):
        c = battery.name if battery.count == 1 else f"{battery.name}_{k}"
        out.append((c, f"{c}_cp", "command_post"))
        if battery.radars == 1:
            out.append((c, f"{c}_radar", "radar"))
        else:
            out += [(c, f"{c}_radar_{j}", "radar") for j in range(battery.radars)]
        out += [(c, f"{c}_launcher_{j}", "launcher") for j in range(battery.launchers)]
        out += [(c, f"{c}_pd_{j}", "point_defence") for j in range(battery.point_defences)]
    return out


def unit_names(scenario: Scenario) -> dict[str, str]:
    """Every expanded name in the scenario -> its kind (radar, launcher, point_defence,
    command_post, asset, carrier). Later duplicates overwrite earlier ones."""
    return {name: kind for name, kind, _ in named_entities(scenario)}


def named_entities(sc: Scenario) -> Iterator[tuple[str, str, tuple]]:
    """``(name, kind, path of the spec)`` of everything named, after count expansion."""
    for field_name, kind in PLACED.items():
        for i, unit in enumerate(getattr(sc.defender, field_name)):
            yield unit.name, kind, ("defender", field_name, i)
    for i, battery in enumerate(sc.defender.batteries):
        for _, name, kind in battery_units(battery):
            yield name, kind, ("defender", "batteries", i)
    for i, asset in enumerate(sc.assets):
        names = (
            [asset.name] if asset.count == 1 else [f"{asset.name}_{c}" for c in range(asset.count)]
        )
        for name in names:
            yield name, "asset", ("assets", i)
    for i, carrier in enumerate(sc.attacker.carriers):
        yield carrier.name, "carrier", ("attacker", "carriers", i)
