"""Numba options in one place.

Every kernel in aerena is decorated with :func:`njit` from here, so caching, fastmath and
the like are set once. `cache=True` lets Ray workers and new processes load compiled
kernels from disk instead of recompiling. `fastmath` stays off: results must reproduce bit
for bit. Kernels are plain Python and also run with `NUMBA_DISABLE_JIT=1` (debugging,
coverage).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])

JIT_OPTIONS: dict[str, Any] = {
    "cache": True,
    "fastmath": False,
    "nogil": True,
    "error_model": "numpy",
}


def njit(fn: F | None = None, **overrides: Any) -> Any:
    """`numba.njit` with aerena's options; use bare (`@njit`) or with overrides."""
    options = {**JIT_OPTIONS, **overrides}
    if fn is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(fn)
