"""Load scenario YAML into validated :class:`~aerena.scenarios.schema.Scenario` models.

Public API::

    load_scenario(name_or_path, /, **overrides) -> Scenario
    load_scenario_with_source(name_or_path, /, **overrides) -> LoadedScenario
    list_scenarios() -> list[str]                  # shipped, non-abstract scenario names
    shipped_path(name) -> Path                     # the shipped YAML file of a name
    apply_overrides(data, dotted) -> dict          # {"episode.max_steps": 400, ...}
    parse_set_options(["key=value", ...]) -> dict  # CLI `--set`, values parsed as YAML
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
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from aerena.errors import ScenarioError, UserError
from aerena.scenarios import schema
from aerena.scenarios.schema import Scenario

__all__ = [
    "SHIPPED_DIR",
    "LoadedScenario",
    "Mark",
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
    "unit_names",
]

SHIPPED_DIR = Path(__file__).resolve().parent
"""The folder of the shipped scenario files (package data of ``aerena.scenarios``)."""

MAX_YAML_BYTES = 2**20
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 100_000
MAX_UAVS = 20_000  # per world, after `count` expansion (swarm_1000 has 1000)
MAX_GROUND_UNITS = 20_000  # assets + defence units per world

_ABSTRACT_RE = re.compile(r"^abstract:\s*(true|True|TRUE|yes)\s*(#.*)?$", re.MULTILINE)


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------
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
    data, loc, path, display = _read_source(name_or_path)
    dotted = {k if "." in k else k.replace("__", "."): v for k, v in overrides.items()}
    for key, value in dotted.items():
        set_path = _set_dotted(data, key, value)
        loc.replace(set_path, Mark(f"override {key}"))
    _absolutise_terrain(data, loc)
    scenario = _validate(data, loc, display)
    return LoadedScenario(scenario, _dump(data), path)


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios (abstract type libraries excluded), sorted."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml") if not _is_abstract(p))


def shipped_path(name: str) -> Path:
    """The shipped YAML file of ``name``; a ScenarioError with a suggestion if unknown."""
    path = SHIPPED_DIR / f"{name}.yaml"
    if path.is_file():
        return path
    names = list_scenarios()
    raise ScenarioError(
        f"unknown scenario {name!r}{_did_you_mean(name, names)} "
        f"(shipped: {', '.join(names)}; or give the path of a .yaml file)"
    )


def apply_overrides(data: Mapping[str, Any], dotted: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of scenario ``data`` with each dotted key (``episode.max_steps``) set.

    The path is checked against the schema: unknown fields raise ScenarioError with a
    suggestion. List items are addressed by index or by their ``name``.
    """
    out = copy.deepcopy(dict(data))
    for key, value in dotted.items():
        _set_dotted(out, key, value)
    return out


def add_set_option(
    parser: Any, example: str = "episode.max_steps=400", what: str = "a field"
) -> None:
    """The repeatable ``--set KEY=VALUE`` option (into ``overrides``) of every command that
    takes dotted overrides; :func:`parse_set_options` reads what it collects."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override {what} by dotted path, e.g. {example} (repeatable)",
    )


def parse_set_options(items: Sequence[str]) -> dict[str, Any]:
    """``["episode.max_steps=400", ...]`` -> ``{"episode.max_steps": 400}`` (YAML values)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set {item!r}: expected KEY=VALUE, e.g. episode.max_steps=400")
        try:
            out[key.strip()], _ = _parse_yaml(raw, "--set")
        except ScenarioError as exc:
            problem = str(exc).splitlines()[-1].split("invalid YAML: ")[-1]
            raise UserError(
                f"--set {key.strip()}: the value is not valid YAML ({problem})"
            ) from None
    return out


def source_files(name_or_path: Any) -> list[Path]:
    """The scenario file and every file it `extends`, child first (for watching them).

    Best effort: the chain stops at a file that cannot be read or parsed, or an `extends`
    that does not resolve; the height map of a file terrain is not included (see
    :func:`resolve_terrain_path`)."""
    if isinstance(name_or_path, str) and _is_shipped_name(name_or_path):
        path = SHIPPED_DIR / f"{name_or_path}.yaml"
    else:
        path = Path(os.fspath(name_or_path)).expanduser()
    files: list[Path] = []
    root = path.resolve().parent  # the top-level file's folder, as the loader resolves it
    while path.is_file() and path.resolve() not in files:
        files.append(path.resolve())
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            ref = data.get("extends") if isinstance(data, dict) else None
            if ref is None:
                break
            path, _ = _resolve_extends(ref, path.resolve(), str(path), Mark(str(path)), root)
        except (OSError, yaml.YAMLError, ScenarioError):
            break
    return files


def resolve_terrain_path(scenario: Scenario, source_path: str | Path | None = None) -> Path | None:
    """The terrain height-map file of ``scenario`` as an absolute path, or None.

    Loaded scenarios already hold an absolute path; a relative one is resolved against the
    directory of ``source_path`` (the scenario YAML file), or the working directory.
    """
    file = scenario.map.terrain.file
    if file is None:
        return None
    path = Path(file).expanduser()
    if path.is_absolute():
        return path
    base = Path(source_path).parent if source_path is not None else Path.cwd()
    return (base / path).resolve()


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
    return {name: kind for name, kind, _ in _named_entities(scenario)}


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


# --------------------------------------------------------------------------------------
# Locations: a tree of line/column marks parallel to the data
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mark:
    """Where a value was written: ``file:line:col`` (1-based), or a label when line is 0."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line else self.file


@dataclass
class _Loc:
    """The mark of one value (its key, or its item) and the locations of its children."""

    mark: Mark
    children: dict[Any, _Loc] = field(default_factory=dict)

    def find(self, path: Sequence[Any]) -> Mark:
        """The mark of the deepest existing node along ``path``."""
        node = self
        for seg in path:
            nxt = node.children.get(seg)
            if nxt is None:
                break
            node = nxt
        return node.mark

    def replace(self, path: Sequence[Any], mark: Mark) -> None:
        """Mark the subtree at ``path`` as written at ``mark`` (creating nodes on the way)."""
        node = self
        for seg in path[:-1]:
            node = node.children.setdefault(seg, _Loc(mark))
        if path:
            node.children[path[-1]] = _Loc(mark)


# --------------------------------------------------------------------------------------
# YAML with marks and duplicate-key detection
# --------------------------------------------------------------------------------------
class MarkedSafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe YAML loader that builds plain Python data plus a :class:`_Loc` tree.

    Every mapping value is marked at its key and every sequence item at its start; a key
    written twice in one mapping is recorded as an error naming both lines.
    """

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.file = file
        self.errors: list[tuple[Mark, str]] = []
        self._active: set[int] = set()
        self._built = 0  # values built so far (aliases count every time they are expanded)

    def mark_of(self, node: yaml.Node) -> Mark:
        return Mark(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def load_marked(self) -> tuple[Any, _Loc]:
        node = self.get_single_node()
        root = Mark(self.file, 1, 1)
        if node is None:
            return None, _Loc(root)
        return self._build(node, root)

    def _build(self, node: yaml.Node, mark: Mark) -> tuple[Any, _Loc]:
        self._built += 1
        if self._built > MAX_YAML_NODES:
            raise ScenarioError(
                f"{self.mark_of(node)}: the YAML expands to more than {MAX_YAML_NODES:,} "
                "values (aliases of aliases?); refused before expanding it"
            )
        if isinstance(node, yaml.ScalarNode):
            return self.construct_object(node, deep=True), _Loc(mark)
        if id(node) in self._active:
            raise ScenarioError(f"{self.mark_of(node)}: recursive YAML alias")
        if len(self._active) >= MAX_YAML_DEPTH:
            raise ScenarioError(
                f"{self.mark_of(node)}: YAML nested more than {MAX_YAML_DEPTH} levels deep"
            )
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return self._build_sequence(node, mark)
            return self._build_mapping(node, mark)
        finally:
            self._active.discard(id(node))

    def _build_sequence(self, node: yaml.SequenceNode, mark: Mark) -> tuple[list, _Loc]:
        data: list[Any] = []
        loc = _Loc(mark)
        for i, item in enumerate(node.value):
            value, loc.children[i] = self._build(item, self.mark_of(item))
            data.append(value)
        return data, loc

    def _build_mapping(self, node: yaml.MappingNode, mark: Mark) -> tuple[dict, _Loc]:
        explicit = {id(k) for k, _ in node.value}
        self.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        data: dict[Any, Any] = {}
        loc = _Loc(mark)
        first: dict[Any, Mark] = {}
        for key_node, value_node in node.value:
            key_mark = self.mark_of(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioError(f"{key_mark}: a key must be a plain name, found a collection")
            key = self.construct_object(key_node)
            if id(key_node) in explicit:
                if key in first:
                    self.errors.append(
                        (key_mark, f"duplicate key {key!r} (first at line {first[key].line})")
                    )
                else:
                    first[key] = key_mark
            data[key], loc.children[key] = self._build(value_node, key_mark)
        return data, loc


def _parse_yaml(text: str, file: str) -> tuple[Any, _Loc]:
    """Parse YAML text into plain data and its location tree; syntax errors are located."""
    loader = MarkedSafeLoader(text, file)
    try:
        data, loc = loader.load_marked()
    except RecursionError:  # the composer recurses before `_build` can count the depth
        raise ScenarioError(f"{file}: YAML nested more than {MAX_YAML_DEPTH} levels deep") from None
    except yaml.MarkedYAMLError as exc:
        m = exc.problem_mark or exc.context_mark
        where = f"{file}:{m.line + 1}:{m.column + 1}" if m else file
        problem = exc.problem or exc.context or "syntax error"
        if exc.context and exc.problem and exc.context_mark is not None:
            problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise ScenarioError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if loader.errors:
        raise ScenarioError(_summary(loader.errors, file))
    return data, loc


# --------------------------------------------------------------------------------------
# Sources, extends, merge
# --------------------------------------------------------------------------------------
def _read_source(source: Any) -> tuple[dict, _Loc, Path | None, str]:
    """Data, locations, file path and display name of any accepted scenario source."""
    if isinstance(source, Scenario):
        return source.model_dump(mode="json"), _Loc(Mark("<Scenario>")), None, "<Scenario>"
    if isinstance(source, Mapping):
        data = copy.deepcopy(dict(source))
        data.pop("abstract", None)
        return data, _Loc(Mark("<mapping>")), None, "<mapping>"
    if isinstance(source, str) and _is_shipped_name(source):
        path = shipped_path(source)
        display = str(path)
    elif isinstance(source, (str, os.PathLike)):
        display = os.fspath(source)
        path = Path(display).expanduser()
        if not path.is_file():
            raise ScenarioError(f"scenario file not found: {display}")
    else:
        raise ScenarioError(
            f"a scenario is a shipped name, a path, a mapping or a Scenario, "
            f"found {type(source).__name__}"
        )
    data, loc = _load_file(path.resolve(), display, ())
    abstract = data.pop("abstract", False)
    loc.children.pop("abstract", None)
    if abstract is True:
        raise ScenarioError(
            f"{display} is an abstract type library (abstract: true): "
            "write a scenario that `extends:` it instead"
        )
    if abstract is not False:
        raise ScenarioError(f"{display}: abstract: expected true or false, found {abstract!r}")
    return data, loc, path.resolve(), display


def _is_shipped_name(text: str) -> bool:
    return "/" not in text and os.sep not in text and not Path(text).suffix


def _is_abstract(path: Path) -> bool:
    return bool(_ABSTRACT_RE.search(path.read_text(encoding="utf-8")))


def read_yaml_text(path: Path, display: str) -> str:
    """The text of a YAML file: at most ``MAX_YAML_BYTES``, UTF-8; else a ScenarioError
    naming the file and the problem (never its content)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read {display}: {exc.strerror or exc}") from None
    if len(raw) > MAX_YAML_BYTES:
        raise ScenarioError(
            f"{display}: larger than {MAX_YAML_BYTES // 2**20} MiB; not a scenario or "
            "experiment file"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{display}: not UTF-8 text (invalid byte at offset {exc.start}); is it a binary file?"
        ) from None


def parse_yaml_file(path: Path, display: str) -> tuple[Any, _Loc]:
    """Read (bounded, see :func:`read_yaml_text`) and parse one ``.yaml`` / ``.yml`` file
    with locations (any other file is refused unread, so its keys are never shown)."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ScenarioError(f"{display}: not a .yaml / .yml file")
    return _parse_yaml(read_yaml_text(path, display), display)


def _kind_of(value: Any) -> str:
    """What a YAML document is, in words, without its content."""
    kinds = {type(None): "an empty file", list: "a list", str: "a string", bool: "a boolean"}
    return kinds.get(type(value), "a number" if _is_number(value) else type(value).__name__)


def _load_file(path: Path, display: str, chain: tuple[Path, ...]) -> tuple[dict, _Loc]:
    """Parse one file and, through ``extends``, its ancestors; return the merged data."""
    data, loc = parse_yaml_file(path, display)
    if not isinstance(data, dict):
        found = _kind_of(data)
        raise ScenarioError(
            f"{display}:1:1: a scenario file must be a mapping of keys, found {found}"
        )
    chain = (*chain, path)
    if "extends" not in data:
        return data, loc
    ref = data.pop("extends")
    ext_mark = loc.children.pop("extends").mark
    parent, parent_display = _resolve_extends(ref, path, display, ext_mark, chain[0].parent)
    if parent in chain:
        names = " -> ".join(p.name for p in (*chain, parent))
        raise ScenarioError(_summary([(ext_mark, f"extends: cycle {names}")], display))
    pdata, ploc = _load_file(parent, parent_display, chain)
    pdata.pop("abstract", None)
    ploc.children.pop("abstract", None)
    return _merge(pdata, ploc, data, loc)


def _resolve_extends(
    ref: Any, child: Path, child_display: str, mark: Mark, root: Path
) -> tuple[Path, str]:
    """The parent file of ``extends: ref``: relative to the child, else a shipped name.

    The parent must be a ``.yaml`` / ``.yml`` file under `root` (the folder of the
    top-level scenario) or in the shipped library (see the module docstring)."""
    if not isinstance(ref, str) or not ref.strip():
        msg = f"extends: expected a file name or a shipped scenario name, found {_show(ref)}"
        raise ScenarioError(_summary([(mark, msg)], child_display))
    candidate = Path(ref).expanduser()
    if not candidate.is_absolute():
        candidate = child.parent / candidate
    if candidate.is_file():
        resolved = candidate.resolve()
        if resolved.suffix.lower() not in (".yaml", ".yml"):
            msg = f"extends: {ref!r} is not a .yaml file; refused"
            raise ScenarioError(_summary([(mark, msg)], child_display))
        if not (resolved.is_relative_to(root) or resolved.is_relative_to(SHIPPED_DIR)):
            msg = (
                f"extends: {ref!r} is outside the scenario's folder ({root}) and the "
                "shipped library; refused"
            )
            raise ScenarioError(_summary([(mark, msg)], child_display))
        display = os.path.normpath(os.path.join(os.path.dirname(child_display), ref))
        return resolved, display
    shipped = SHIPPED_DIR / f"{Path(ref).stem}.yaml"
    if "/" not in ref and shipped.is_file():
        return shipped, str(shipped)
    msg = f"extends: {ref!r} not found (looked for {candidate} and a shipped scenario)"
    raise ScenarioError(_summary([(mark, msg)], child_display))


def _merge(parent: Any, ploc: _Loc, child: Any, cloc: _Loc) -> tuple[Any, _Loc]:
    """Deep-merge ``child`` over ``parent``: mappings merge, everything else is replaced."""
    if not (isinstance(parent, dict) and isinstance(child, dict)):
        return child, cloc
    data = dict(parent)
    loc = _Loc(cloc.mark, dict(ploc.children))
    for key, value in child.items():
        if key in parent:
            data[key], loc.children[key] = _merge(
                parent[key], ploc.children[key], value, cloc.children[key]
            )
        else:
            data[key], loc.children[key] = value, cloc.children[key]
    return data, loc


def _absolutise_terrain(data: dict, loc: _Loc) -> None:
    """Rewrite a relative ``map.terrain.file`` against the folder of the file that wrote it."""
    terrain = data.get("map", {}).get("terrain") if isinstance(data.get("map"), dict) else None
    if not isinstance(terrain, dict) or not isinstance(terrain.get("file"), str):
        return
    file = Path(terrain["file"]).expanduser()
    if file.is_absolute():
        return
    mark = loc.find(("map", "terrain", "file"))
    base = Path(mark.file).parent if mark.line else Path.cwd()
    terrain["file"] = str((base / file).resolve())


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


# --------------------------------------------------------------------------------------
# Dotted overrides
# --------------------------------------------------------------------------------------
def _set_dotted(data: dict, key: str, value: Any) -> tuple[Any, ...]:
    """Set ``key`` (dotted) in ``data`` in place, checked against the schema; its path."""
    segs = key.split(".")
    if any(not s for s in segs):
        raise ScenarioError(f"override {key!r}: empty segment in the dotted path")
    ann: Any = Scenario
    node: Any = data
    path: list[Any] = []
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        where = _dotted(path) if path else "the scenario"
        ann, index = _override_step(ann, node, seg, last, f"override {key!r}: {where}")
        path.append(index)
        if last:
            node[index] = _plain(value)
            break
        if isinstance(node, dict) and node.get(index) is None and _models(ann):
            node[index] = {}
        child = node[index] if isinstance(node, list) else node.get(index)
        if not isinstance(child, (dict, list)):
            raise ScenarioError(
                f"override {key!r}: {_dotted(path)} is {_show(child)}, it has no field "
                f"{segs[i + 1]!r}; set {_dotted(path)} as a whole instead"
            )
        node = child
    return tuple(path)


def _override_step(ann: Any, node: Any, seg: str, last: bool, where: str) -> tuple[Any, Any]:
    """The annotation and the data index of segment ``seg`` below ``node`` (typed ``ann``)."""
    models = _models(ann)
    if isinstance(node, list):
        index = _list_index(node, seg, where)
        seq = next((m for m in _members(ann) if get_origin(m) in (list, tuple)), Any)
        return _step(seq, index), index
    if models:
        for model in models:
            if seg in model.model_fields:
                return model.model_fields[seg].annotation, seg
        fields = sorted({f for m in models for f in m.model_fields})
        raise ScenarioError(f"{where} has no field {seg!r}{_did_you_mean(seg, fields, True)}")
    mapping = next((m for m in _members(ann) if get_origin(m) is dict), None)
    if mapping is not None and seg not in node and not last:
        names = [str(k) for k in node]
        raise ScenarioError(f"{where} has no entry {seg!r}{_did_you_mean(seg, names, True)}")
    return (get_args(mapping)[1] if mapping is not None else Any), seg


def _list_index(items: list, seg: str, where: str) -> int:
    """A list index from a number or from the ``name`` of an item."""
    if re.fullmatch(r"-?\d+", seg):
        i = int(seg)
        if -len(items) <= i < len(items):
            return i % len(items)
        raise ScenarioError(f"{where} has no item {i} (it has {len(items)})")
    names = [str(it.get("name")) for it in items if isinstance(it, dict) and "name" in it]
    if not names:
        raise ScenarioError(f"{where} is a list: address its items by index, not {seg!r}")
    if seg in names:
        return names.index(seg)
    raise ScenarioError(f"{where} has no item named {seg!r}{_did_you_mean(seg, names, True)}")


def _plain(value: Any) -> Any:
    """Plain YAML-able data: tuples to lists, models dumped, numpy scalars unwrapped."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


# --------------------------------------------------------------------------------------
# Validation and error messages
# --------------------------------------------------------------------------------------
_SHAPE_ERRORS = frozenset(
    {
        "model_type",
        "model_attributes_type",
        "dict_type",
        "float_type",
        "float_parsing",
        "int_type",
        "int_parsing",
        "int_from_float",
        "string_type",
        "bool_type",
        "bool_parsing",
        "list_type",
        "tuple_type",
        "literal_error",
        "none_required",
    }
)
_EXPECTED = {
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
}
_BOUNDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}
_SHAPES = {
    schema.Uniform: "{uniform: [lo, hi]}",
    schema.Choice: "{choice: [a, b, ...]}",
    schema.CircleRegion: "{circle: {center: [x, y], radius: r}}",
    schema.Box: "{box: [[x0, y0], [x1, y1]]}",
}


def _validate(data: dict, loc: _Loc, display: str) -> Scenario:
    """Schema validation, then semantic checks; one ScenarioError listing every problem."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = _pydantic_messages(exc, Scenario, (), data, loc)
        raise ScenarioError(_summary(errors, display)) from None
    errors = _size_problems(scenario, loc) or _Checker(scenario, loc, display).run()
    if errors:
        raise ScenarioError(_summary(errors, display))
    return scenario


def _size_problems(sc: Scenario, loc: _Loc) -> list[tuple[Mark, str]]:
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
    ground += [(len(getattr(sc.defender, f)), ("defender", f)) for f in _PLACED]
    out = []
    for what, items, limit in (
        ("UAVs", uavs, MAX_UAVS),
        ("ground units", ground, MAX_GROUND_UNITS),
    ):
        total = sum(n for n, _ in items)
        if total > limit:
            path = max(items)[1]
            msg = f"the scenario expands to {total:,} {what} (at most {limit:,})"
            out.append((loc.find(path), f"{_dotted(path)}: {msg}"))
    return out


def _summary(errors: list[tuple[Mark, str]], display: str) -> str:
    n = len(errors)
    ordered = sorted(errors, key=lambda e: (e[0].file != display, e[0].file, e[0].line, e[0].col))
    lines = [f"{mark}: {msg}" for mark, msg in ordered]
    if n == 1:  # one problem: one line, `FILE:LINE:COL: field.path: message`
        return lines[0]
    return f"{n} errors in {display}:\n" + "\n".join(lines)


def _pydantic_messages(
    exc: ValidationError, model: type[BaseModel], prefix: tuple, data: Any, loc: _Loc
) -> list[tuple[Mark, str]]:
    """One located message per pydantic error; union alternatives collapse to the best one."""
    out: list[tuple[Mark, str]] = []
    unions: dict[tuple, dict[str, list]] = {}
    union_ann: dict[tuple, Any] = {}
    for err in exc.errors():
        path, owner, union = _split_loc(model, err["loc"])
        if union is None:
            out.append(_message(err, prefix + path, owner, loc))
            continue
        at, label, members = union
        unions.setdefault(at, {}).setdefault(label, []).append((path, owner, err))
        union_ann[at] = members
    for at, branches in unions.items():
        chosen = _best_branch(at, branches)
        if chosen is not None:
            out += [_message(err, prefix + path, owner, loc) for path, owner, err in chosen]
        else:
            out.append(_union_message(prefix + at, union_ann[at], branches, data, prefix, loc))
    return out


def _split_loc(model: type[BaseModel], err_loc: tuple) -> tuple[tuple, Any, tuple | None]:
    """The data path of a pydantic ``loc`` (union member labels removed), the model owning
    the last segment, and ``(data path, label, members)`` of the first union crossed."""
    ann: Any = model
    path: list[Any] = []
    owner: Any = None
    union: tuple | None = None
    for seg in err_loc:
        members = _members(ann)
        if len(members) > 1:  # pydantic labels the member of a union in the location
            if union is None:
                union = (tuple(path), str(seg), members)
            ann = _match_member(members, str(seg))
            continue
        if seg == "[key]":
            continue
        owner = members[0]
        ann = _step(owner, seg)
        path.append(seg)
    return tuple(path), owner, union


def _best_branch(at: tuple, branches: dict[str, list]) -> list | None:
    """The errors of the union member the value was evidently meant for, or None."""
    candidates = {
        label: errs
        for label, errs in branches.items()
        if not all(p == at and e["type"] in _SHAPE_ERRORS for p, _, e in errs)
    }
    if not candidates:
        return None
    fewest = min(len(errs) for errs in candidates.values())
    best = [errs for errs in candidates.values() if len(errs) == fewest]
    return best[0] if len(best) == 1 else None


def _union_message(
    path: tuple, members: list, branches: dict, data: Any, prefix: tuple, loc: _Loc
) -> tuple[Mark, str]:
    value = _lookup(data, path[len(prefix) :])
    shapes = _join_or([_describe(m) for m in members])
    msg = f"{_dotted(path)}: expected {shapes}, found {_show(value)}"
    extras = {
        e["loc"][-1]
        for errs in branches.values()
        for _, _, e in errs
        if e["type"] == "extra_forbidden"
    }
    extras &= set(value) if isinstance(value, dict) else set()
    fields = sorted({f for m in members if _is_model(m) for f in m.model_fields})
    for key in sorted(map(str, extras)):
        msg += f"; unknown key {key!r}{_did_you_mean(key, fields)}"
    return loc.find(path), msg


def _message(err: dict, path: tuple, owner: Any, loc: _Loc) -> tuple[Mark, str]:
    """``field.path: expected ..., found ...`` for one pydantic error."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    where = _dotted(path)
    if kind == "missing":
        if path and isinstance(path[-1], int):
            return loc.find(path), f"{where}: missing item (too few items)"
        return loc.find(path), f"{where}: required field missing"
    if kind == "extra_forbidden":
        fields = list(owner.model_fields) if _is_model(owner) else []
        return loc.find(path), f"{where}: unknown field{_did_you_mean(str(path[-1]), fields, True)}"
    if kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error", err["msg"]))
        named = re.match(r"([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*): ", text)
        if not path and named:  # a whole-file check naming a key: point at that key
            return loc.find(tuple(named.group(1).split("."))), text
        return loc.find(path), f"{where}: {text}"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length", ctx.get("max_length"))
        word = "at least" if kind == "too_short" else "at most"
        found = f"{ctx.get('actual_length')} item{'s' if ctx.get('actual_length') != 1 else ''}"
        return loc.find(path), f"{where}: expected {word} {bound} item(s), found {found}"
    return loc.find(
        path
    ), f"{where}: expected {_expected(kind, ctx, err)}, found {_show(err.get('input'))}"


def _expected(kind: str, ctx: dict, err: dict) -> str:
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in _BOUNDS:
        key, op = _BOUNDS[kind]
        return f"a number {op} {ctx.get(key)}"
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return f"a name of letters, digits, '_' and '-' (pattern {ctx.get('pattern')})"
    msg = str(err.get("msg", kind))
    return re.sub(r"^Input should be ", "", msg)


# --------------------------------------------------------------------------------------
# Semantic checks (after the schema)
# --------------------------------------------------------------------------------------
_PLACED = {
    "radars": "radar",
    "launchers": "launcher",
    "point_defences": "point_defence",
    "command_posts": "command_post",
}
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
_DEFENCE_KINDS = frozenset(_PLACED.values())


def _named_entities(sc: Scenario) -> Iterator[tuple[str, str, tuple]]:
    """``(name, kind, path of the spec)`` of everything named, after count expansion."""
    for field_name, kind in _PLACED.items():
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


class _Checker:
    """Cross-field checks the schema cannot express; each problem located in the file."""

    def __init__(self, sc: Scenario, loc: _Loc, display: str) -> None:
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
        self.errors.append((self.loc.find(path), f"{_dotted(path)}: {msg}"))

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
        hint = _did_you_mean(name, list(library))
        if not hint:
            known = ", ".join(library) if library else "nothing"
            hint = f"; types.{kind} has {known}"
        self.err(path, f"unknown {kind} type {name!r}{hint}")

    def _type_refs(self) -> None:
        for field_name, kind in _PLACED.items():
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
        for name, _, path in _named_entities(self.sc):
            if name in seen:
                prev = seen[name]
                mark, here = self.loc.find(prev), self.loc.find((*path, "name"))
                also = f" at line {mark.line}" if mark.file == here.file else f" at {mark}"
                self.err((*path, "name"), f"duplicate name {name!r} (also {_dotted(prev)}{also})")
            else:
                seen[name] = path

    def _defence_names(self) -> dict[str, str]:
        return {n: k for n, k, _ in _named_entities(self.sc) if k in _DEFENCE_KINDS}

    def _links(self) -> None:
        units = self._defence_names()
        seen: set[frozenset[str]] = set()
        for i, link in enumerate(self.sc.defender.links):
            path = ("defender", "links", i)
            unknown = [j for j, name in enumerate(link) if name not in units]
            for j in unknown:
                name = link[j]
                self.err((*path, j), f"unknown unit {name!r}{_did_you_mean(name, list(units))}")
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
                hint = _did_you_mean(name, sorted(names))
                self.err(("attacker", "known_defences", i), f"unknown defence unit {name!r}{hint}")

    # --- geometry --------------------------------------------------------------------
    def _positions(self) -> None:
        w, h = self.sc.map.size
        items: list[tuple[tuple, Any]] = []
        for field_name in (*_PLACED, "batteries"):
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
        for field_name, kind in _PLACED.items():
            for i, unit in enumerate(getattr(self.sc.defender, field_name)):
                if unit.overrides:
                    self._unit_overrides(("defender", field_name, i), kind, unit)

    def _unit_overrides(self, path: tuple, kind: str, unit: schema.Placed) -> None:
        cls = _TYPE_CLASSES[kind]
        bad = [k for k in unit.overrides if k not in cls.model_fields]
        for key in bad:
            hint = _did_you_mean(key, list(cls.model_fields), True)
            self.err((*path, "overrides", key), f"unknown {kind} parameter {key!r}{hint}")
        base = getattr(self.sc.types, kind).get(unit.type)
        if bad or base is None:
            return
        merged = {**base.model_dump(), **unit.overrides}
        try:
            params = cls.model_validate(merged)
        except ValidationError as exc:
            self.errors += _pydantic_messages(exc, cls, (*path, "overrides"), merged, self.loc)
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
        if not (_is_number(lo) and _is_number(hi)):
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


# --------------------------------------------------------------------------------------
# Small helpers: annotations, paths, text
# --------------------------------------------------------------------------------------
def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _members(ann: Any) -> list[Any]:
    """The alternatives of a union annotation (None dropped), or ``[ann]``."""
    if get_origin(ann) in (Union, UnionType):
        return [a for a in get_args(ann) if a is not type(None)]
    return [ann]


def _models(ann: Any) -> list[type[BaseModel]]:
    return [m for m in _members(ann) if _is_model(m)]


def _step(ann: Any, seg: Any) -> Any:
    """The annotation one level below ``ann`` at field, key or index ``seg``."""
    if _is_model(ann):
        info = ann.model_fields.get(seg)
        return info.annotation if info is not None else Any
    origin, args = get_origin(ann), get_args(ann)
    if origin is tuple and args and isinstance(seg, int):
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[seg] if seg < len(args) else Any
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return Any


def _match_member(members: list, label: str) -> Any:
    """The union member that pydantic's location ``label`` refers to."""
    for m in members:
        if _is_model(m) and re.search(rf"\b{m.__name__}\b", label):
            return m
    head = label.split("[", 1)[0].lower()
    for m in members:
        origin = get_origin(m) or m
        name = getattr(origin, "__name__", None) or getattr(origin, "_name", "")
        if not _is_model(m) and str(name).lower() == head:
            return m
    return Any


def _describe(ann: Any) -> str:
    """A short reader's description of the values an annotation accepts."""
    if ann in _SHAPES:
        return _SHAPES[ann]
    if _is_model(ann):
        return f"a {ann.__name__} mapping"
    simple = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}
    if ann in simple:
        return simple[ann]
    origin, args = get_origin(ann), get_args(ann)
    if origin is Literal:
        return _join_or([repr(a) for a in args])
    if origin is tuple:
        return "[x, y]" if args == (float, float) else f"a list of {len(args)} items"
    if origin is list:
        return "a list of names" if args == (str,) else "a list"
    if origin is dict:
        return "a mapping of keys"
    return str(ann)


def _join_or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _dotted(path: Sequence[Any]) -> str:
    """``("defender", "radars", 0, "type")`` -> ``defender.radars[0].type``."""
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out += f".{seg}" if out else str(seg)
    return out or "(top level)"


def _lookup(data: Any, path: Sequence[Any]) -> Any:
    for seg in path:
        try:
            data = data[seg]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _show(value: Any) -> str:
    """A value as a reader would write it in YAML, shortened."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list, tuple)):
        try:
            text = yaml.safe_dump(_plain(value), default_flow_style=True, width=10**6).strip()
        except yaml.YAMLError:
            text = repr(value)
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _did_you_mean(word: str, choices: Sequence[str], list_all: bool = False) -> str:
    """``; did you mean 'x'?`` for a close match; else the choices when ``list_all``."""
    match = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    if match:
        return f"; did you mean {match[0]!r}?"
    if list_all and choices:
        shown = ", ".join(list(choices)[:20])
        return f"; expected one of: {shown}"
    return ""
