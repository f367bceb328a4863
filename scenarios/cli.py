"""``aerena scenario ...``: validate, list and inspect scenario files.

Subcommands::

    aerena scenario validate FILE... [--set KEY=VALUE]   # "ok  FILE" or located errors; exit 1
    aerena scenario schema                               # the JSON schema of a scenario file
    aerena scenario list                                 # shipped scenarios, one line each
    aerena scenario show NAME [--set KEY=VALUE]          # a text summary of one scenario
    aerena scenario show NAME --out layout.png [--seed S] [--size WxH]   # + a layout picture

FILE and NAME accept a shipped name (``strike_small``) or a path to a YAML file. ``--set``
applies dotted overrides (``--set episode.max_steps=400``); values are parsed as YAML.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter, defaultdict
from typing import Any

from aerena import cliargs
from aerena.errors import UserError
from aerena.scenarios import schema
from aerena.scenarios.loader import (
    add_set_option,
    battery_units,
    json_schema,
    list_scenarios,
    load_scenario,
    load_scenario_with_source,
    parse_set_options,
)
from aerena.viz.cli import parse_size, require_pygame


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``aerena scenario`` and its subcommands on the top-level subparsers."""
    parser = sub.add_parser(
        "scenario",
        help="validate, list and inspect scenarios",
        description="Validate, list and inspect scenario YAML files.",
    )
    cmds = parser.add_subparsers(dest="scenario_command", metavar="SUBCOMMAND")
    cmds.required = True

    validate = cmds.add_parser(
        "validate",
        help="check scenario files; print 'ok' or located errors",
        description="Validate scenario files (paths or shipped names). Prints 'ok  FILE' for "
        "each valid one and FILE:LINE:COL messages for the others; exits 1 if any failed.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="YAML file or shipped name")
    add_set_option(validate)
    validate.set_defaults(func=_cmd_validate)

    schema_cmd = cmds.add_parser(
        "schema",
        help="print the JSON schema of a scenario file",
        description="Print the JSON schema of scenario files (for editors) on stdout.",
    )
    schema_cmd.set_defaults(func=_cmd_schema)

    list_cmd = cmds.add_parser(
        "list",
        help="list the shipped scenarios",
        description="List the shipped scenarios with their size and a one-line description.",
    )
    list_cmd.set_defaults(func=_cmd_list)

    show = cmds.add_parser(
        "show",
        help="summarise one scenario",
        description="Print a text summary of a scenario: map, episode, attackers and their "
        "launch schedule, defence units and key ranges, the link graph and the assets.",
    )
    show.add_argument("name", metavar="NAME", help="shipped name or YAML file")
    add_set_option(show)
    show.add_argument(
        "--out",
        metavar="PNG",
        help="also draw the initial layout (terrain, assets, batteries with coverage, carriers "
        "and launch points, links) to this PNG file (needs pygame-ce: aerena[viz])",
    )
    show.add_argument(
        "--seed",
        type=cliargs.seed,
        default=0,
        help="episode seed of the layout picture (default 0)",
    )
    show.add_argument(
        "--size", default="1280x800", metavar="WxH", help="layout picture size (default 1280x800)"
    )
    show.set_defaults(func=_cmd_show)

    watch = cmds.add_parser(
        "watch",
        help="a window on a scenario's layout, redrawn when the file changes",
        description="Show the layout picture of a scenario file (as scenario show --out) and "
        "redraw it whenever the file, a file it extends or its terrain file changes. A "
        "validation error appears with its file:line:col message beside the last good "
        "picture. With --export DIR, write a PNG on every change instead (headless).",
    )
    watch.add_argument("file", metavar="FILE", help="YAML file (or shipped name)")
    add_set_option(watch)
    watch.add_argument("--export", metavar="DIR", help="headless: write DIR/<name>_<k>.png")
    watch.add_argument("--seed", type=int, default=0, help="episode seed of the layout")
    watch.add_argument("--size", default="1280x800", metavar="WxH", help="picture size")
    watch.add_argument(
        "--interval", type=float, default=0.5, metavar="S", help="seconds between checks"
    )
    watch.add_argument(
        "--quit-after", type=float, default=None, metavar="SECONDS", help="stop after SECONDS"
    )
    watch.set_defaults(func=_cmd_watch)


# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------
def _cmd_validate(args: argparse.Namespace) -> int:
    overrides = parse_set_options(args.overrides)
    failed = 0
    for file in args.files:
        try:
            load_scenario(file, **overrides)
        except UserError as exc:
            print(exc)
            failed += 1
        else:
            print(f"ok  {file}")
    return 1 if failed else 0


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    rows = [("NAME", "UAVS", "DEFENCE", "DESCRIPTION")]
    for name in list_scenarios():
        try:
            sc = load_scenario(name)
        except UserError as exc:
            rows.append((name, "-", "-", f"(invalid: {str(exc).splitlines()[0]})"))
            continue
        description = sc.description.strip().splitlines()[0] if sc.description.strip() else ""
        rows.append((name, str(_uav_total(sc)), str(_defence_total(sc)), description))
    width = max(len(r[0]) for r in rows)
    for name, uavs, defence, description in rows:
        print(f"{name:<{width}}  {uavs:>5}  {defence:>7}  {description}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    overrides = parse_set_options(args.overrides)
    loaded = load_scenario_with_source(args.name, **overrides)
    print(summarise(loaded.scenario, source=str(loaded.path) if loaded.path else None))
    if getattr(args, "out", None):
        size = parse_size(args.size)
        require_pygame()
        from aerena.viz.layout import save_layout  # lazy: imports pygame

        path = save_layout(loaded.scenario, args.out, seed=args.seed, size=size)
        print(f"\nlayout: {path}")
    return 0


def _cmd_watch(args: argparse.Namespace) -> int:
    size = parse_size(args.size)
    if not args.interval > 0:
        raise UserError(f"--interval must be > 0 seconds, got {args.interval}")
    overrides = parse_set_options(args.overrides)
    if args.export:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: never a window
    require_pygame()
    from aerena.viz.watch import Watcher, watch  # lazy: imports pygame

    watcher = Watcher(args.file, seed=args.seed, size=size, overrides=overrides)
    watch(watcher, export=args.export, interval=args.interval, quit_after=args.quit_after)
    return 0


# --------------------------------------------------------------------------------------
# The summary
# --------------------------------------------------------------------------------------
def summarise(sc: schema.Scenario, source: str | None = None) -> str:
    """A human-readable, multi-line summary of a validated scenario."""
    lines = [f"{sc.name}: {sc.description}".rstrip(": ")]
    if source:
        lines.append(f"  file: {source}")
    lines += _map_lines(sc)
    lines += _attacker_lines(sc)
    lines += _defender_lines(sc)
    lines += _link_lines(sc)
    lines += _asset_lines(sc)
    return "\n".join(lines)


def _map_lines(sc: schema.Scenario) -> list[str]:
    w, h = sc.map.size
    t = sc.map.terrain
    if t.kind == "fractal":
        terrain = f"fractal (relief {t.relief:g} m, cell {t.cell:g} m, seed {t.seed})"
    elif t.kind == "file":
        terrain = f"file {t.file} (relief {t.relief:g} m, cell {t.cell:g} m)"
    else:
        terrain = "flat"
    ep, ob = sc.episode, sc.observation
    return [
        "",
        f"map:      {w / 1000:g} x {h / 1000:g} km, terrain {terrain}",
        f"episode:  {ep.max_steps} steps of {ep.dt:g} s ({ep.max_steps * ep.dt / 60:.1f} min), "
        f"{ep.substeps} substeps",
        f"observe:  k = {ob.k} entities, range_scale {ob.range_scale / 1000:g} km",
        f"victory:  attacker wins on {sc.victory.asset_fraction:.0%} of the asset value",
    ]


def _attacker_lines(sc: schema.Scenario) -> list[str]:
    counts: Counter[str] = Counter()
    for carrier in sc.attacker.carriers:
        for launch in carrier.launches:
            counts[launch.type] += launch.count
    by_type = ", ".join(f"{n} {t}" for t, n in counts.items()) or "none"
    known = sc.attacker.known_defences
    known_text = known if isinstance(known, str) else ", ".join(known)
    lines = [
        "",
        f"attacker: {sum(counts.values())} UAVs ({by_type}) "
        f"from {len(sc.attacker.carriers)} carrier(s); known defences: {known_text}",
    ]
    for carrier in sc.attacker.carriers:
        extra = ", targetable" if carrier.targetable else ""
        moving = carrier.velocity != (0.0, 0.0)
        velocity = f", velocity [{carrier.velocity[0]:g}, {carrier.velocity[1]:g}] m/s"
        lines.append(
            f"  carrier {carrier.name} at {_pos(carrier.position)}, altitude "
            f"{_num(carrier.altitude)} m{velocity if moving else ''}{extra}"
        )
        for launch in carrier.launches:
            every = f" every {_num(launch.interval)} s" if launch.count > 1 else ""
            lines.append(f"    {launch.count} x {launch.type} from t = {_num(launch.at)} s{every}")
    for name, t in sc.types.uav.items():
        if name in counts:
            lines.append(
                f"  uav {name} ({t.role}): speed {_num(t.speed_min)}/{_num(t.speed_cruise)}/"
                f"{_num(t.speed_max)} m/s, altitude {_num(t.altitude_min)}-"
                f"{_num(t.altitude_max)} m, rcs {_num(t.rcs)} m^2, endurance "
                f"{_num(t.endurance)} s{_role_detail(t)}"
            )
    return lines


def _role_detail(t: schema.UavType) -> str:
    if t.role == "strike":
        return f", warhead {_num(t.warhead_damage)} hp within {_num(t.warhead_radius)} m"
    if t.role == "jammer":
        return f", jammer power {_num(t.jammer_power)}, cone {_num(t.jammer_cone)} deg"
    if t.role == "recon":
        return f", sensor {_km(t.sensor_range)}"
    return ""


def _defender_lines(sc: schema.Scenario) -> list[str]:
    d = sc.defender
    lines = ["", f"defender: {_defence_total(sc)} units"]
    for field_name in ("radars", "launchers", "point_defences", "command_posts"):
        for unit in getattr(d, field_name):
            kind = field_name[:-1]
            params = _effective(sc, kind, unit)
            detail = _unit_detail(kind, params) if params is not None else ""
            lines.append(
                f"  {kind:<13} {unit.name:<16} {unit.type:<8} at {_pos(unit.position)}{detail}"
            )
    for b in d.batteries:
        copies = f" x{b.count}" if b.count > 1 else ""
        parts = [f"{b.radars} radar {b.radar}", f"{b.launchers} launcher {b.launcher}"]
        parts.append(f"command post {b.command_post}")
        if b.point_defences and b.point_defence:
            parts.append(f"{b.point_defences} point defence {b.point_defence}")
        lines.append(
            f"  battery {b.name}{copies} at {_pos(b.position)} within {b.spread / 1000:g} km: "
            + ", ".join(parts)
        )
        for kind, type_name in (
            ("radar", b.radar),
            ("launcher", b.launcher),
            ("point_defence", b.point_defence),
        ):
            params = getattr(sc.types, kind).get(type_name) if type_name else None
            if params is not None:
                lines.append(f"    {kind} {type_name}: {_unit_detail(kind, params)[2:]}")
    return lines


def _effective(sc: schema.Scenario, kind: str, unit: schema.Placed) -> Any:
    """The unit's type parameters with its per-unit overrides applied."""
    base = getattr(sc.types, kind).get(unit.type)
    if base is None or not unit.overrides:
        return base
    return type(base).model_validate({**base.model_dump(), **unit.overrides})


def _unit_detail(kind: str, p: Any) -> str:
    if kind == "radar":
        return f", range {_km(p.range)} on {_num(p.rcs_ref)} m^2, scan {_num(p.scan_period)} s"
    if kind == "launcher":
        return (
            f", range {_km_span(p.range_min, p.range_max)}, stock {p.stock}, reload "
            f"{_num(p.reload_time)} s, pk {_num(p.pk)}"
        )
    if kind == "point_defence":
        return f", radius {_km(p.radius)}, kill rate {_num(p.kill_rate)}/s"
    return ""


def _link_lines(sc: schema.Scenario) -> list[str]:
    lines = ["", "links:"]
    kinds = {u.name: kind for kind, units in _placed(sc) for u in units}
    radars_of: defaultdict[str, list[str]] = defaultdict(list)
    launchers_of: defaultdict[str, list[str]] = defaultdict(list)
    direct: list[tuple[str, str]] = []
    for a, b in sc.defender.links:
        pair = {kinds.get(a): a, kinds.get(b): b}
        if "command_post" in pair and "radar" in pair:
            radars_of[pair["command_post"]].append(pair["radar"])
        elif "command_post" in pair and "launcher" in pair:
            launchers_of[pair["command_post"]].append(pair["launcher"])
        elif "radar" in pair and "launcher" in pair:
            direct.append((pair["radar"], pair["launcher"]))
    for cp in dict.fromkeys([*radars_of, *launchers_of]):
        radars = ", ".join(radars_of[cp]) or "(no radar)"
        launchers = ", ".join(launchers_of[cp]) or "(no launcher)"
        lines.append(f"  {radars} -> {cp} -> {launchers}")
    lines += [f"  {r} -> {lnc} (direct)" for r, lnc in direct]
    for b in sc.defender.batteries:
        units = battery_units(b)
        copy_name = units[0][0] if b.count == 1 else f"{b.name}_<i>"
        lines.append(f"  battery {copy_name}: radar -> {copy_name}_cp -> launchers (internal)")
    if len(lines) == 2:
        lines.append("  (none)")
    return lines


def _asset_lines(sc: schema.Scenario) -> list[str]:
    total = sum(a.count for a in sc.assets)
    lines = ["", f"assets:   {total}"]
    for a in sc.assets:
        copies = f" x{a.count}" if a.count > 1 else ""
        lines.append(
            f"  {a.name}{copies} at {_pos(a.position)}, value {_num(a.value)}, hp {_num(a.hp)}"
        )
    return lines


# --------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------
def _placed(sc: schema.Scenario) -> list[tuple[str, list[schema.Placed]]]:
    d = sc.defender
    return [
        ("radar", d.radars),
        ("launcher", d.launchers),
        ("point_defence", d.point_defences),
        ("command_post", d.command_posts),
    ]


def _uav_total(sc: schema.Scenario) -> int:
    return sum(launch.count for c in sc.attacker.carriers for launch in c.launches)


def _defence_total(sc: schema.Scenario) -> int:
    placed = sum(len(units) for _, units in _placed(sc))
    return placed + sum(len(battery_units(b)) for b in sc.defender.batteries)


def _num(value: Any) -> str:
    """A randomisable number: ``50``, ``U(0, 60)`` or ``{1, 2, 3}``."""
    if isinstance(value, schema.Uniform):
        lo, hi = value.uniform
        return f"U({lo:g}, {hi:g})"
    if isinstance(value, schema.Choice):
        return "{" + ", ".join(f"{v:g}" for v in value.choice) + "}"
    if value is None:
        return "-"
    return f"{value:g}"


def _km(value: Any) -> str:
    if isinstance(value, schema.Uniform):
        lo, hi = value.uniform
        return f"U({lo / 1000:g}, {hi / 1000:g}) km"
    if isinstance(value, schema.Choice):
        return "{" + ", ".join(f"{v / 1000:g}" for v in value.choice) + "} km"
    return f"{value / 1000:g} km"


def _km_span(lo: Any, hi: Any) -> str:
    if isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
        return f"{lo / 1000:g}-{hi / 1000:g} km"
    return f"{_km(lo)} to {_km(hi)}"


def _pos(position: Any) -> str:
    if isinstance(position, schema.CircleRegion):
        (x, y), r = position.circle.center, position.circle.radius
        return f"region circle [{x:g}, {y:g}] r {r:g}"
    if isinstance(position, schema.Box):
        (x0, y0), (x1, y1) = position.box
        return f"region box [[{x0:g}, {y0:g}], [{x1:g}, {y1:g}]]"
    x, y = position
    return f"[{x:g}, {y:g}]"
