"""Located values and messages: where a value was written and how a problem reads.

A :class:`Mark` is ``file:line:col``; a :class:`Loc` tree runs parallel to parsed data so a
check can point into the file that wrote a value. :func:`summary` joins located problems
into the one message of a :class:`~aerena.errors.UserError` (``FILE:LINE:COL: field.path:
message``, or ``N errors in FILE`` and one such line each). The scenario loader and the
experiment schema (``aerena.training.config``) both report through these.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel

__all__ = [
    "Loc",
    "Mark",
    "did_you_mean",
    "dotted_path",
    "join_or",
    "lookup",
    "plain",
    "show_value",
    "summary",
]


@dataclass(frozen=True)
class Mark:
    """Where a value was written: ``file:line:col`` (1-based), or a label when line is 0."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line else self.file


@dataclass
class Loc:
    """The mark of one value (its key, or its item) and the locations of its children."""

    mark: Mark
    children: dict[Any, Loc] = field(default_factory=dict)

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
            node = node.children.setdefault(seg, Loc(mark))
        if path:
            node.children[path[-1]] = Loc(mark)


def summary(errors: list[tuple[Mark, str]], display: str) -> str:
    """One message for located problems: one line, or ``N errors in FILE`` and a line each
    (the problems in ``display`` first, then by file, line, column)."""
    n = len(errors)
    ordered = sorted(errors, key=lambda e: (e[0].file != display, e[0].file, e[0].line, e[0].col))
    lines = [f"{mark}: {msg}" for mark, msg in ordered]
    if n == 1:  # one problem: one line, `FILE:LINE:COL: field.path: message`
        return lines[0]
    return f"{n} errors in {display}:\n" + "\n".join(lines)


def plain(value: Any) -> Any:
    """Plain YAML-able data: tuples to lists, models dumped, numpy scalars unwrapped."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def dotted_path(path: Sequence[Any]) -> str:
    """``("defender", "radars", 0, "type")`` -> ``defender.radars[0].type``."""
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out += f".{seg}" if out else str(seg)
    return out or "(top level)"


def lookup(data: Any, path: Sequence[Any]) -> Any:
    """The value at ``path`` in nested data, or None where the path does not exist."""
    for seg in path:
        try:
            data = data[seg]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def show_value(value: Any) -> str:
    """A value as a reader would write it in YAML, shortened."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list, tuple)):
        try:
            text = yaml.safe_dump(plain(value), default_flow_style=True, width=10**6).strip()
        except yaml.YAMLError:
            text = repr(value)
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def did_you_mean(word: str, choices: Sequence[str], list_all: bool = False) -> str:
    """``; did you mean 'x'?`` for a close match; else the choices when ``list_all``."""
    match = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    if match:
        return f"; did you mean {match[0]!r}?"
    if list_all and choices:
        shown = ", ".join(list(choices)[:20])
        return f"; expected one of: {shown}"
    return ""


def join_or(items: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
