"""aerena.viz: replays you can watch -- the renderer, the pygame viewer and the video export.

* :mod:`.scene` - an episode as arrays for drawing: a replay file, or a live world
  (:class:`~.scene.LiveScene` records it as it runs). No pygame.
* :mod:`.render` - :class:`~.render.Renderer` draws one frame onto a pygame Surface (map,
  units, overlays, HUD, event log, timeline); used by everything below. It composes the
  layers :mod:`.background`, :mod:`.overlays`, :mod:`.units`, :mod:`.furniture`,
  :mod:`.panel` and :mod:`.timeline`, over :mod:`.camera` / :mod:`.frame` (geometry),
  :mod:`.palette`, :mod:`.options`, :mod:`.sprites` and :mod:`.surfaces` (pygame helpers).
* :mod:`.viewer` - the interactive window (`aerena replay FILE [FILE2]`; `h` lists the keys).
* :mod:`.export` - offscreen export to .mp4 / .gif / PNG frames (`aerena replay --export`).
* :mod:`.layout` - a scenario's initial layout picture (`aerena scenario show NAME --out`).
* :mod:`.live` - the envs' `render_mode="rgb_array"` / `"human"`.
* :mod:`.cli` - the `aerena replay` command (imports pygame only when it runs).

Needs the `viz` extra (pygame-ce; imageio and imageio-ffmpeg for videos). Importing this
package imports nothing heavy. Dependencies go one way, viz -> envs: the envs' picture
render modes reach :class:`~.live.LiveView` only through one lazy import (pygame is optional).
"""

import os

# pygame prints a banner on import unless told not to; every viz module imports it after this
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
