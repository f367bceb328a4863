"""The registration point of the envs' picture renderer (`render_mode="rgb_array"` / `"human"`).

The envs draw pictures with the replay viewer (`aerena.viz.live.LiveView`), but never import
it: dependencies go one way, viz -> envs. The viewer is plugged in here instead, as a factory
`factory(world, size, fps) -> view` (the view has `sync()`, `restart()`, `rgb_array()`,
`show()`, `close()` and a settable `size` and `fps`). `aerena/__init__.py` registers the
default, which imports the viewer (and pygame) only when the first picture is asked for;
:func:`set_live_view_factory` swaps it (a headless stub in a test, another renderer).
Imports nothing, so `import aerena` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LiveViewFactory = Callable[[Any, tuple[int, int], float], Any]

_factory: LiveViewFactory | None = None


def set_live_view_factory(factory: LiveViewFactory | None) -> LiveViewFactory | None:
    """Register the picture renderer of the envs (None: none); returns the previous one."""
    global _factory
    previous, _factory = _factory, factory
    return previous


def live_view_factory() -> LiveViewFactory | None:
    """The registered picture renderer, or None."""
    return _factory
