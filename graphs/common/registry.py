"""Small name -> object registries (generators, baselines, problems) with "did you mean"."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import numpy as np

from aerena.errors import UserError

T = TypeVar("T")


class UnknownNameError(UserError, KeyError):
    """A name that is not in a registry; the message lists the close matches."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InstanceTooLargeError(UserError, ValueError):
    """An exact solver asked to solve an instance above its size limit."""


class InvalidSolutionError(UserError, ValueError):
    """A solution that breaks a constraint of its problem; the message says which."""


class Registry(Generic[T]):
    """An ordered name -> object mapping filled with :meth:`register`.

    ``get`` raises :class:`UnknownNameError` naming the closest registered names.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, obj: T | None = None, *, aliases: tuple[str, ...] = ()) -> Any:
        """Register `obj` under `name`; without `obj`, return a decorator."""

        def add(o: T) -> T:
            for key in (name, *aliases):
                if key in self._items or key in self._aliases:
                    raise ValueError(f"{self.kind} {key!r} is already registered")
            self._items[name] = o
            for alias in aliases:
                self._aliases[alias] = name
            return o

        if obj is None:
            return add
        return add(obj)

    def canonical(self, name: str) -> str:
        if name in self._items:
            return name
        if name in self._aliases:
            return self._aliases[name]
        known = [*self._items, *self._aliases]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownNameError(
            f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self._items)})"
        )

    def get(self, name: str) -> T:
        return self._items[self.canonical(name)]

    def names(self) -> tuple[str, ...]:
        return tuple(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._items)})"


def as_rng(seed: Any = None) -> Any:
    """A `numpy.random.Generator` from a seed, a generator (returned as is) or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


Solver = Callable[..., Any]
