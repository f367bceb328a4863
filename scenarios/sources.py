"""Where scenario data comes from: shipped names, files, ``extends`` chains, terrain paths.

:func:`read_source` reads any accepted source (a shipped name, a path, a mapping, a
``Scenario``) into data and locations. A file's ``extends:`` parent (a path relative to the
writing file, or a shipped name) is merged first, :func:`merge_marked`: mappings merge
deeply (the child wins), lists and scalars are replaced. A parent must be a ``.yaml`` /
``.yml`` inside the top-level file's folder tree or the shipped library; cycles and missing
targets are errors located at the ``extends`` key. Files with ``abstract: true`` are type
libraries for ``extends`` (not listed, not loadable by themselves). See the module
docstring of :mod:`aerena.scenarios.loader` for the conventions.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from aerena.errors import ScenarioError
from aerena.scenarios.located import Loc, Mark, did_you_mean, show_value, summary
from aerena.scenarios.parse import kind_of, parse_yaml_file
from aerena.scenarios.schema import Scenario

__all__ = [
    "SHIPPED_DIR",
    "absolutise_terrain",
    "is_abstract",
    "is_shipped_name",
    "list_scenarios",
    "load_file",
    "merge_marked",
    "read_source",
    "resolve_extends",
    "resolve_terrain_path",
    "shipped_path",
    "source_files",
]

SHIPPED_DIR = Path(__file__).resolve().parent
"""The folder of the shipped scenario files (package data of ``aerena.scenarios``)."""

_ABSTRACT_RE = re.compile(r"^abstract:\s*(true|True|TRUE|yes)\s*(#.*)?$", re.MULTILINE)


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios (abstract type libraries excluded), sorted."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml") if not is_abstract(p))


def shipped_path(name: str) -> Path:
    """The shipped YAML file of ``name``; a ScenarioError with a suggestion if unknown."""
    path = SHIPPED_DIR / f"{name}.yaml"
    if path.is_file():
        return path
    names = list_scenarios()
    raise ScenarioError(
        f"unknown scenario {name!r}{did_you_mean(name, names)} "
        f"(shipped: {', '.join(names)}; or give the path of a .yaml file)"
    )


def source_files(name_or_path: Any) -> list[Path]:
    """The scenario file and every file it `extends`, child first (for watching them).

    Best effort: the chain stops at a file that cannot be read or parsed, or an `extends`
    that does not resolve; the height map of a file terrain is not included (see
    :func:`resolve_terrain_path`)."""
    if isinstance(name_or_path, str) and is_shipped_name(name_or_path):
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
            path, _ = resolve_extends(ref, path.resolve(), str(path), Mark(str(path)), root)
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


def read_source(source: Any) -> tuple[dict, Loc, Path | None, str]:
    """Data, locations, file path and display name of any accepted scenario source."""
    if isinstance(source, Scenario):
        return source.model_dump(mode="json"), Loc(Mark("<Scenario>")), None, "<Scenario>"
    if isinstance(source, Mapping):
        data = copy.deepcopy(dict(source))
        data.pop("abstract", None)
        return data, Loc(Mark("<mapping>")), None, "<mapping>"
    if isinstance(source, str) and is_shipped_name(source):
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
    data, loc = load_file(path.resolve(), display, ())
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


def is_shipped_name(text: str) -> bool:
    """A shipped scenario name: no slash and no suffix (``strike_small``)."""
    return "/" not in text and os.sep not in text and not Path(text).suffix


def is_abstract(path: Path) -> bool:
    """Whether a YAML file is a type library (a top-level ``abstract: true``)."""
    return bool(_ABSTRACT_RE.search(path.read_text(encoding="utf-8")))


def load_file(path: Path, display: str, chain: tuple[Path, ...]) -> tuple[dict, Loc]:
    """Parse one file and, through ``extends``, its ancestors; return the merged data."""
    data, loc = parse_yaml_file(path, display)
    if not isinstance(data, dict):
        found = kind_of(data)
        raise ScenarioError(
            f"{display}:1:1: a scenario file must be a mapping of keys, found {found}"
        )
    chain = (*chain, path)
    if "extends" not in data:
        return data, loc
    ref = data.pop("extends")
    ext_mark = loc.children.pop("extends").mark
    parent, parent_display = resolve_extends(ref, path, display, ext_mark, chain[0].parent)
    if parent in chain:
        names = " -> ".join(p.name for p in (*chain, parent))
        raise ScenarioError(summary([(ext_mark, f"extends: cycle {names}")], display))
    pdata, ploc = load_file(parent, parent_display, chain)
    pdata.pop("abstract", None)
    ploc.children.pop("abstract", None)
    return merge_marked(pdata, ploc, data, loc)


def resolve_extends(
    ref: Any, child: Path, child_display: str, mark: Mark, root: Path
) -> tuple[Path, str]:
    """The parent file of ``extends: ref``: relative to the child, else a shipped name.

    The parent must be a ``.yaml`` / ``.yml`` file under `root` (the folder of the
    top-level scenario) or in the shipped library (see the module docstring)."""
    if not isinstance(ref, str) or not ref.strip():
        msg = f"extends: expected a file name or a shipped scenario name, found {show_value(ref)}"
        raise ScenarioError(summary([(mark, msg)], child_display))
    candidate = Path(ref).expanduser()
    if not candidate.is_absolute():
        candidate = child.parent / candidate
    if candidate.is_file():
        resolved = candidate.resolve()
        if resolved.suffix.lower() not in (".yaml", ".yml"):
            msg = f"extends: {ref!r} is not a .yaml file; refused"
            raise ScenarioError(summary([(mark, msg)], child_display))
        if not (resolved.is_relative_to(root) or resolved.is_relative_to(SHIPPED_DIR)):
            msg = (
                f"extends: {ref!r} is outside the scenario's folder ({root}) and the "
                "shipped library; refused"
            )
            raise ScenarioError(summary([(mark, msg)], child_display))
        display = os.path.normpath(os.path.join(os.path.dirname(child_display), ref))
        return resolved, display
    shipped = SHIPPED_DIR / f"{Path(ref).stem}.yaml"
    if "/" not in ref and shipped.is_file():
        return shipped, str(shipped)
    msg = f"extends: {ref!r} not found (looked for {candidate} and a shipped scenario)"
    raise ScenarioError(summary([(mark, msg)], child_display))


def merge_marked(parent: Any, ploc: Loc, child: Any, cloc: Loc) -> tuple[Any, Loc]:
    """Deep-merge ``child`` over ``parent``: mappings merge, everything else is replaced."""
    if not (isinstance(parent, dict) and isinstance(child, dict)):
        return child, cloc
    data = dict(parent)
    loc = Loc(cloc.mark, dict(ploc.children))
    for key, value in child.items():
        if key in parent:
            data[key], loc.children[key] = merge_marked(
                parent[key], ploc.children[key], value, cloc.children[key]
            )
        else:
            data[key], loc.children[key] = value, cloc.children[key]
    return data, loc


def absolutise_terrain(data: dict, loc: Loc) -> None:
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
