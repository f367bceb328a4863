"""Dotted overrides: ``episode.max_steps=400`` into nested data, checked against a schema.

The one implementation behind scenario overrides (``load_scenario(..., **overrides)``,
``--set`` of the scenario commands) and experiment overrides (``aerena train --set``, see
:mod:`aerena.training.config`). A key is a dotted path; each segment is a field of a model,
a key of a mapping or an item of a list (by index, or by the ``name`` of the item:
``attacker.carriers.west.altitude``). Unknown paths raise
:class:`~aerena.errors.ScenarioError` with a "did you mean".
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from aerena.errors import ScenarioError, UserError
from aerena.scenarios.annotations import step_annotation, union_members, union_models
from aerena.scenarios.located import did_you_mean, dotted_path, plain, show_value
from aerena.scenarios.parse import parse_yaml
from aerena.scenarios.schema import Scenario

__all__ = ["add_set_option", "apply_overrides", "parse_set_options", "set_dotted"]


def set_dotted(
    data: dict,
    key: str,
    value: Any,
    model: type[BaseModel] = Scenario,
    *,
    label: str | None = None,
    top: str = "the scenario",
    open_mappings: bool = False,
) -> tuple[Any, ...]:
    """Set dotted ``key`` in ``data`` in place, checked against ``model``; the data path set.

    Missing sections are created. With ``open_mappings``, below a mapping field the rest of
    the path is one key (``overrides.episode.max_steps`` sets the key ``episode.max_steps``
    of ``overrides``); without it, each segment below a mapping is a key of that mapping.
    Problems raise ScenarioError ``LABEL: WHERE has no field ...``, where ``label``
    defaults to ``override 'KEY'`` and ``top`` names the root (``the scenario``).
    """
    prefix = label if label is not None else f"override {key!r}"
    segs = key.split(".")
    if any(not s for s in segs):
        raise ScenarioError(f"{prefix}: empty segment in the dotted path")
    ann: Any = model
    node: Any = data
    path: list[Any] = []
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        where = dotted_path(path) if path else top
        ann, index = _override_step(ann, node, seg, last, f"{prefix}: {where}")
        path.append(index)
        if last:
            node[index] = plain(copy.deepcopy(value))
            break
        if open_mappings and _is_mapping(ann):
            child = node.get(index)
            if not isinstance(child, dict):
                child = node[index] = {}
            name = ".".join(segs[i + 1 :])
            child[name] = plain(copy.deepcopy(value))
            return (*path, name)
        if isinstance(node, dict) and node.get(index) is None and union_models(ann):
            node[index] = {}
        child = node[index] if isinstance(node, list) else node.get(index)
        if child is None and _is_scalar(ann):
            raise ScenarioError(f"{prefix}: {dotted_path(path)} has no fields")
        if not isinstance(child, (dict, list)):
            raise ScenarioError(
                f"{prefix}: {dotted_path(path)} is {show_value(child)}, it has no field "
                f"{segs[i + 1]!r}; set {dotted_path(path)} as a whole instead"
            )
        node = child
    return tuple(path)


def apply_overrides(data: Mapping[str, Any], dotted: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of scenario ``data`` with each dotted key (``episode.max_steps``) set.

    The path is checked against the schema: unknown fields raise ScenarioError with a
    suggestion. List items are addressed by index or by their ``name``.
    """
    out = copy.deepcopy(dict(data))
    for key, value in dotted.items():
        set_dotted(out, key, value)
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
            out[key.strip()], _ = parse_yaml(raw, "--set")
        except ScenarioError as exc:
            problem = str(exc).splitlines()[-1].split("invalid YAML: ")[-1]
            raise UserError(
                f"--set {key.strip()}: the value is not valid YAML ({problem})"
            ) from None
    return out


def _is_mapping(ann: Any) -> bool:
    """A mapping annotation (``dict[K, V]``) that is not also a model."""
    members = union_members(ann)
    return not union_models(ann) and any(m is dict or get_origin(m) is dict for m in members)


def _is_scalar(ann: Any) -> bool:
    """An annotation without parts: no model, list, tuple or mapping among its members."""
    return all(
        m is not Any and not union_models(m) and (get_origin(m) or m) not in (list, tuple, dict)
        for m in union_members(ann)
    )


def _override_step(ann: Any, node: Any, seg: str, last: bool, where: str) -> tuple[Any, Any]:
    """The annotation and the data index of segment ``seg`` below ``node`` (typed ``ann``)."""
    models = union_models(ann)
    if isinstance(node, list):
        index = _list_index(node, seg, where)
        seq = next((m for m in union_members(ann) if get_origin(m) in (list, tuple)), Any)
        return step_annotation(seq, index), index
    if models:
        for model in models:
            if seg in model.model_fields:
                return model.model_fields[seg].annotation, seg
        fields = sorted({f for m in models for f in m.model_fields})
        raise ScenarioError(f"{where} has no field {seg!r}{did_you_mean(seg, fields, True)}")
    mapping = next((m for m in union_members(ann) if get_origin(m) is dict), None)
    if mapping is not None and seg not in node and not last:
        names = [str(k) for k in node]
        raise ScenarioError(f"{where} has no entry {seg!r}{did_you_mean(seg, names, True)}")
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
    raise ScenarioError(f"{where} has no item named {seg!r}{did_you_mean(seg, names, True)}")
