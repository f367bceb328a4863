"""Reading pydantic annotations: union members, models, the annotation one level down.

Shared by the dotted overrides (:mod:`aerena.scenarios.overrides`) and the error messages
(:mod:`aerena.scenarios.messages`), which both walk a model's annotations along a data path.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["is_model", "is_number", "step_annotation", "union_members", "union_models"]


def is_model(ann: Any) -> bool:
    """Whether ``ann`` is a pydantic model class."""
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def is_number(value: Any) -> bool:
    """An int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def union_members(ann: Any) -> list[Any]:
    """The alternatives of a union annotation (None dropped), or ``[ann]``."""
    if get_origin(ann) in (Union, UnionType):
        return [a for a in get_args(ann) if a is not type(None)]
    return [ann]


def union_models(ann: Any) -> list[type[BaseModel]]:
    """The model classes among the alternatives of ``ann``."""
    return [m for m in union_members(ann) if is_model(m)]


def step_annotation(ann: Any, seg: Any) -> Any:
    """The annotation one level below ``ann`` at field, key or index ``seg``."""
    if is_model(ann):
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
