"""Load scenario YAML into validated :class:`~aerena.scenarios.schema.Scenario` models.

Public API::

    load_scenario(name_or_path, /, **overrides) -> Scenario
    load_scenario_with_source(name_or_path, /, **overrides) -> LoadedScenario
    list_scenarios() -> list[str]                  # shipped, non-abstract scenario names
    shipped_path(name) -> Path                     # the shipped YAML file of a name
    apply_overrides(data, dotted) -> dict          # {"episode.max_steps": 400, ...}
    parse_set_options(["key=value", ...]) -> dict  # CLI `--set`, values parsed as YAML
    add_set_option(parser)                         # the repeatable `--set KEY=VALUE` option
    set_dotted(data, key, value, model=Scenario)   # (overrides) one dotted key, in place
    source_files(name_or_path) -> list[Path]       # the file and the files it extends
    read_yaml_text(path, display) -> str           # bounded, UTF-8
    parse_yaml_file(path, display) -> (data, locations)  # bounded read + marked parse
    resolve_terrain_path(scenario, source_path=None) -> Path | None
    battery_units(battery) -> list[(copy, name, kind)]
    unit_names(scenario) -> dict[str, str]         # every expanded name -> its kind
    json_schema() -> dict

Conventions
-----------
*Names and paths.* ``name_or_path`` is a shipped name (``strike_small``: no suffix, no
slash; the file ``<name>.yaml`` next to this module, which works for editable and normal
installs alike), a path to a YAML file (``str`` or ``Path``), a plain mapping, or an
already-built ``Scenario`` (returned as is when there are no overrides).

*Abstract files.* A file with a top-level ``abstract: true`` is a type library meant for
``extends:`` (``base.yaml``). The loader strips the key; ``list_scenarios`` skips such files
and loading one directly is an error.

*Inheritance.* ``extends: other.yaml`` (a path relative to the file that writes it, or a
shipped name such as ``base`` or ``tiny``) merges the parent first: mappings merge deeply
(the child wins), lists and scalars are replaced wholesale. Chains are allowed; cycles and
missing targets are errors located at the ``extends`` key. A parent is a ``.yaml`` /
``.yml`` file inside the folder tree of the top-level scenario file (symbolic links
resolved) or in the shipped library; anything else is refused, so a scenario cannot make
aerena read (and show in an error) an arbitrary file.

*Bounds.* A scenario or experiment file is at most ``MAX_YAML_BYTES`` of UTF-8 text; its
YAML nests at most ``MAX_YAML_DEPTH`` collections deep and, aliases expanded, holds at most
``MAX_YAML_NODES`` values (a "billion laughs" file is refused before it is expanded).
Errors name the file and the problem, never the file's content. A scenario expands to
at most ``MAX_UAVS`` UAVs and ``MAX_GROUND_UNITS`` ground units (checked on the counts,
before anything is expanded).

*Overrides.* Dotted keys (``episode.max_steps``); list items are addressed by index or by
the ``name`` of the item (``attacker.carriers.west.altitude``). Keyword arguments use
``__`` for the dot (``episode__max_steps=100``) or may contain dots themselves. Unknown paths
raise :class:`~aerena.errors.ScenarioError` with a "did you mean".

*Terrain files.* The loader rewrites a relative ``map.terrain.file`` to an absolute path,
resolved against the directory of the YAML file that wrote it (the working directory for an
override or a mapping), so the returned model is self-contained. For models built in other
ways, :func:`resolve_terrain_path` resolves against a given source file.

*Source text.* :func:`load_scenario_with_source` returns a :class:`LoadedScenario` named tuple
``(scenario, text, path)``: ``text`` is the merged YAML (after ``extends`` and overrides, the
exact data that was validated) for replay metadata; ``path`` is the top-level file or None.

*Errors.* Everything wrong with a file is collected into one ``ScenarioError``: one problem
is one ``FILE:LINE:COL: field.path: message`` line; several read ``N errors in FILE``
followed by one such line per problem, each pointing into the file where the offending
key is written.

*Expanded names.* ``count: n`` on an asset gives ``name_0 .. name_{n-1}``; on a battery it
gives copies ``name_0 ..`` (just ``name`` when n = 1), and each copy ``c`` holds ``c_cp``,
``c_radar`` (``c_radar_<j>`` with several), ``c_launcher_<j>`` and ``c_pd_<j>`` (see
:func:`battery_units`; the world's roster names units the same way).
All names (units, expanded names, carriers, assets) must be unique. ``links`` join two
defence units (radar-command_post, command_post-launcher or radar-launcher, either order);
``known_defences`` lists defence unit names or battery (copy) names.

*Modules.* This module is the front door; each concern lives in its own module:
:mod:`~aerena.scenarios.parse` (safe, bounded YAML with marks),
:mod:`~aerena.scenarios.sources` (shipped names, files, ``extends``, terrain paths),
:mod:`~aerena.scenarios.overrides` (dotted overrides, ``--set``),
:mod:`~aerena.scenarios.located` and :mod:`~aerena.scenarios.messages` (located messages),
:mod:`~aerena.scenarios.checks` (semantic checks), :mod:`~aerena.scenarios.names`
(expanded names).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

from aerena.errors import ScenarioError
from aerena.scenarios import schema
from aerena.scenarios.checks import MAX_GROUND_UNITS, MAX_UAVS, semantic_problems
from aerena.scenarios.located import Loc, Mark, summary
from aerena.scenarios.messages import pydantic_messages
from aerena.scenarios.names import battery_units, unit_names
from aerena.scenarios.overrides import (
    add_set_option,
    apply_overrides,
    parse_set_options,
    set_dotted,
)
from aerena.scenarios.parse import (
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    parse_yaml_file,
    read_yaml_text,
)
from aerena.scenarios.schema import Scenario
from aerena.scenarios.sources import (
    SHIPPED_DIR,
    absolutise_terrain,
    list_scenarios,
    read_source,
    resolve_terrain_path,
    shipped_path,
    source_files,
)

__all__ = [
    "MAX_GROUND_UNITS",
    "MAX_UAVS",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "SHIPPED_DIR",
    "LoadedScenario",
    "Mark",
    "add_set_option",
    "apply_overrides",
    "battery_units",
    "json_schema",
    "list_scenarios",
    "load_scenario",
    "load_scenario_with_source",
    "parse_set_options",
    "parse_yaml_file",
    "read_yaml_text",
    "resolve_terrain_path",
    "shipped_path",
    "source_files",
    "unit_names",
]


class LoadedScenario(NamedTuple):
    """A validated scenario with the merged YAML text it came from and its file."""

    scenario: Scenario
    text: str
    path: Path | None


def load_scenario(name_or_path: Any, /, **overrides: Any) -> Scenario:
    """Load and validate a scenario by shipped name, path, mapping or ``Scenario``."""
    if isinstance(name_or_path, Scenario) and not overrides:
        return name_or_path
    return load_scenario_with_source(name_or_path, **overrides).scenario


def load_scenario_with_source(name_or_path: Any, /, **overrides: Any) -> LoadedScenario:
    """Like :func:`load_scenario`, also returning the merged YAML text and the source file."""
    data, loc, path, display = read_source(name_or_path)
    dotted = {k if "." in k else k.replace("__", "."): v for k, v in overrides.items()}
    for key, value in dotted.items():
        set_path = set_dotted(data, key, value)
        loc.replace(set_path, Mark(f"override {key}"))
    absolutise_terrain(data, loc)
    scenario = _validate(data, loc, display)
    return LoadedScenario(scenario, _dump(data), path)


def json_schema() -> dict[str, Any]:
    """The JSON schema of a scenario file (for editors), with the loader's own keys."""
    out = Scenario.model_json_schema()
    out = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:aerena:scenario:v{schema.SCHEMA_VERSION}",
        **out,
        "title": "aerena scenario",
        "description": "A scenario of the aerena air-defence world (fictional game units, "
        "SI units). Validated by `aerena scenario validate FILE`.",
    }
    props = out.setdefault("properties", {})
    props["extends"] = {
        "type": "string",
        "description": "parent file (relative to this one) or shipped name, merged first",
    }
    props["abstract"] = {
        "type": "boolean",
        "description": "a type library for `extends`, not a scenario by itself",
    }
    return out


def _validate(data: dict, loc: Loc, display: str) -> Scenario:
    """Schema validation, then semantic checks; one ScenarioError listing every problem."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = pydantic_messages(exc, Scenario, (), data, loc)
        raise ScenarioError(summary(errors, display)) from None
    errors = semantic_problems(scenario, loc, display)
    if errors:
        raise ScenarioError(summary(errors, display))
    return scenario


class _Dumper(yaml.SafeDumper):
    """Block style, except for lists of scalars (positions, ranges): ``[x, y]``."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    def flat(items: list) -> bool:
        return all(not isinstance(x, (dict, list)) for x in items)

    flow = flat(data) or all(isinstance(x, list) and flat(x) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def _dump(data: dict) -> str:
    """The merged data as YAML, top-level keys in the schema's order."""
    order = {name: i for i, name in enumerate(Scenario.model_fields)}
    ordered = dict(sorted(data.items(), key=lambda kv: order.get(kv[0], len(order))))
    return yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
