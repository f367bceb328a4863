"""Safe, bounded YAML with located values and errors.

``parse_yaml(text, file)`` gives plain data and a :class:`~aerena.scenarios.located.Loc`
tree (every mapping value marked at its key, every list item at its start); a key written
twice in one mapping, a syntax error, YAML nested deeper than ``MAX_YAML_DEPTH`` or
expanding (aliases included) to more than ``MAX_YAML_NODES`` values is a located
:class:`~aerena.errors.ScenarioError`. ``parse_yaml_file`` also bounds the file: a
``.yaml`` / ``.yml`` of at most ``MAX_YAML_BYTES`` of UTF-8. Messages name the file and the
problem, never the file's content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from aerena.errors import ScenarioError
from aerena.scenarios.annotations import is_number
from aerena.scenarios.located import Loc, Mark, summary

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "MarkedSafeLoader",
    "kind_of",
    "parse_yaml",
    "parse_yaml_file",
    "read_yaml_text",
]

MAX_YAML_BYTES = 2**20
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 100_000


class MarkedSafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe YAML loader that builds plain Python data plus a :class:`Loc` tree.

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

    def load_marked(self) -> tuple[Any, Loc]:
        node = self.get_single_node()
        root = Mark(self.file, 1, 1)
        if node is None:
            return None, Loc(root)
        return self._build(node, root)

    def _build(self, node: yaml.Node, mark: Mark) -> tuple[Any, Loc]:
        self._built += 1
        if self._built > MAX_YAML_NODES:
            raise ScenarioError(
                f"{self.mark_of(node)}: the YAML expands to more than {MAX_YAML_NODES:,} "
                "values (aliases of aliases?); refused before expanding it"
            )
        if isinstance(node, yaml.ScalarNode):
            return self.construct_object(node, deep=True), Loc(mark)
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

    def _build_sequence(self, node: yaml.SequenceNode, mark: Mark) -> tuple[list, Loc]:
        data: list[Any] = []
        loc = Loc(mark)
        for i, item in enumerate(node.value):
            value, loc.children[i] = self._build(item, self.mark_of(item))
            data.append(value)
        return data, loc

    def _build_mapping(self, node: yaml.MappingNode, mark: Mark) -> tuple[dict, Loc]:
        explicit = {id(k) for k, _ in node.value}
        self.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        data: dict[Any, Any] = {}
        loc = Loc(mark)
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


def parse_yaml(text: str, file: str) -> tuple[Any, Loc]:
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
        raise ScenarioError(summary(loader.errors, file))
    return data, loc


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


def parse_yaml_file(path: Path, display: str) -> tuple[Any, Loc]:
    """Read (bounded, see :func:`read_yaml_text`) and parse one ``.yaml`` / ``.yml`` file
    with locations (any other file is refused unread, so its keys are never shown)."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ScenarioError(f"{display}: not a .yaml / .yml file")
    return parse_yaml(read_yaml_text(path, display), display)


def kind_of(value: Any) -> str:
    """What a YAML document is, in words, without its content."""
    kinds = {type(None): "an empty file", list: "a list", str: "a string", bool: "a boolean"}
    return kinds.get(type(value), "a number" if is_number(value) else type(value).__name__)
