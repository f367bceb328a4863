"""Pydantic validation errors as located reader's messages.

:func:`pydantic_messages` turns each error of a ``ValidationError`` into ``(mark,
"field.path: expected ..., found ...")``, the mark pointing where the value was written;
the errors of the alternatives of a union collapse to the one the value was evidently meant
for, or to one ``expected A, B or C`` line. Used for scenarios and experiments alike.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from aerena.scenarios import schema
from aerena.scenarios.annotations import is_model, step_annotation, union_members
from aerena.scenarios.located import (
    Loc,
    Mark,
    did_you_mean,
    dotted_path,
    join_or,
    lookup,
    show_value,
)

__all__ = ["pydantic_messages"]

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


def pydantic_messages(
    exc: ValidationError, model: type[BaseModel], prefix: tuple, data: Any, loc: Loc
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
        members = union_members(ann)
        if len(members) > 1:  # pydantic labels the member of a union in the location
            if union is None:
                union = (tuple(path), str(seg), members)
            ann = _match_member(members, str(seg))
            continue
        if seg == "[key]":
            continue
        owner = members[0]
        ann = step_annotation(owner, seg)
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
    path: tuple, members: list, branches: dict, data: Any, prefix: tuple, loc: Loc
) -> tuple[Mark, str]:
    value = lookup(data, path[len(prefix) :])
    shapes = join_or([_describe(m) for m in members])
    msg = f"{dotted_path(path)}: expected {shapes}, found {show_value(value)}"
    extras = {
        e["loc"][-1]
        for errs in branches.values()
        for _, _, e in errs
        if e["type"] == "extra_forbidden"
    }
    extras &= set(value) if isinstance(value, dict) else set()
    fields = sorted({f for m in members if is_model(m) for f in m.model_fields})
    for key in sorted(map(str, extras)):
        msg += f"; unknown key {key!r}{did_you_mean(key, fields)}"
    return loc.find(path), msg


def _message(err: dict, path: tuple, owner: Any, loc: Loc) -> tuple[Mark, str]:
    """``field.path: expected ..., found ...`` for one pydantic error."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    where = dotted_path(path)
    if kind == "missing":
        if path and isinstance(path[-1], int):
            return loc.find(path), f"{where}: missing item (too few items)"
        return loc.find(path), f"{where}: required field missing"
    if kind == "extra_forbidden":
        fields = list(owner.model_fields) if is_model(owner) else []
        return loc.find(path), f"{where}: unknown field{did_you_mean(str(path[-1]), fields, True)}"
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
    ), f"{where}: expected {_expected(kind, ctx, err)}, found {show_value(err.get('input'))}"


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


def _match_member(members: list, label: str) -> Any:
    """The union member that pydantic's location ``label`` refers to."""
    for m in members:
        if is_model(m) and re.search(rf"\b{m.__name__}\b", label):
            return m
    head = label.split("[", 1)[0].lower()
    for m in members:
        origin = get_origin(m) or m
        name = getattr(origin, "__name__", None) or getattr(origin, "_name", "")
        if not is_model(m) and str(name).lower() == head:
            return m
    return Any


def _describe(ann: Any) -> str:
    """A short reader's description of the values an annotation accepts."""
    if ann in _SHAPES:
        return _SHAPES[ann]
    if is_model(ann):
        return f"a {ann.__name__} mapping"
    simple = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}
    if ann in simple:
        return simple[ann]
    origin, args = get_origin(ann), get_args(ann)
    if origin is Literal:
        return join_or([repr(a) for a in args])
    if origin is tuple:
        return "[x, y]" if args == (float, float) else f"a list of {len(args)} items"
    if origin is list:
        return "a list of names" if args == (str,) else "a list"
    if origin is dict:
        return "a mapping of keys"
    return str(ann)
