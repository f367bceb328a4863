"""Draw one frame of an episode onto a pygame Surface: map, units, overlays, HUD, event log.

The one renderer behind the replay viewer (:mod:`.viewer`), the video export
(:mod:`.export`), the scenario layout picture (:mod:`.layout`) and the envs'
`render_mode="rgb_array"` / `"human"` (:mod:`.live`). It draws a :class:`~.scene.Scene`
(a replay, or a live world recorded as it runs), so a live run and its replay look the same.

    renderer = Renderer(Scene.from_replay(load_replay(path)))
    surface = renderer.render(frame=120, size=(1280, 800))     # a new Surface
    rgb = surface_to_array(surface)                           # [H, W, 3] uint8

What is drawn
-------------
* The map, north up: terrain as a hillshade over a height tint (cached Surface), a scale
  bar, a north arrow and the altitude colour ramp.
* Units by side and type: the attacker's air units (red outline) as role shapes pointing
  along their heading - strike: arrowhead, decoy: hollow triangle, jammer: kite, recon:
  circle with a nose, carrier: large delta - filled with the altitude (above ground) colour
  ramp; the defender's ground units (blue) - radar: disc with a dish (ring while emitting),
  launcher: triangle, point defence: hexagon, command post: pentagon, asset: amber square.
  Destroyed: ground units greyed with a red cross; air units leave a cross (killed red,
  crashed grey) or a burst (strike delivered, orange).
* Overlays (:data:`OVERLAYS`, each a flag of :class:`ViewOptions`): trails, radar coverage
  with terrain masking at a chosen height above ground (the world's `visibility_map`
  kernel, cached per radar and height) with radar / launcher / point-defence range rings,
  jamming cones, command links (radar - command post - launcher graph; a green ring marks a
  launcher fed with tracks), engagement lines (launcher -> target), interceptors in flight
  (with the line to their target), event flashes and labels. `fog` shows what one side knew:
  `"attacker"` greys the ground units it did not know (`known`), `"defender"` greys the air
  units no radar held (`tracked`), brackets the tracked ones and draws a line from each
  radar to the tracks it holds (`radar_tracks`).
* The side panel: time, step, alive counts by type, asset value left, interceptors left,
  score (cumulative team rewards), tallies, the selected unit's details and the event log
  up to the playhead (events of the current frame highlighted).
* The timeline (optional): the episode with kill / hit / launch ticks and the playhead.

Caching: the terrain, the coverage layers and their scaled composite for the current camera
are Surfaces kept between frames; unit symbols are pre-drawn sprites (role x altitude band x
heading bin) blitted in one `fblits` call. Per frame only units, lines and text are drawn.

Layers (a module each; :class:`Renderer` only composes them, in drawing order):
:mod:`.background` (terrain, coverage, their composite) -> :mod:`.overlays` (rings, links,
jamming, trails, engagements; feeds; flashes) -> :mod:`.units` (ground, air, labels,
selection, picking) -> :mod:`.furniture` (scale bar, north arrow, legend, title), and
:mod:`.panel` (HUD, details, event log) and :mod:`.timeline` beside the map. Geometry is in
:mod:`.camera` and :mod:`.frame`, colours in :mod:`.palette`, the flags in :mod:`.options`,
sprites in :mod:`.sprites`, pygame helpers in :mod:`.surfaces`.
"""

from __future__ import annotations

import numpy as np
import pygame

from aerena.viz.background import MapBackground
from aerena.viz.camera import Camera, pane_layout
from aerena.viz.frame import map_frame
from aerena.viz.furniture import Furniture
from aerena.viz.options import FOG_MODES, OVERLAYS, ViewOptions
from aerena.viz.overlays import Overlays
from aerena.viz.palette import ALT_EDGES, BG
from aerena.viz.panel import Line, Panel
from aerena.viz.scene import Scene
from aerena.viz.sprites import Sprites
from aerena.viz.surfaces import Fonts, surface_to_array
from aerena.viz.timeline import draw_timeline
from aerena.viz.units import Units, pick_unit

# the renderer's public face: these names are also importable from here
__all__ = [
    "ALT_EDGES",
    "FOG_MODES",
    "OVERLAYS",
    "Camera",
    "Renderer",
    "ViewOptions",
    "draw_timeline",
    "pane_layout",
    "surface_to_array",
]


class Renderer:
    """Draws frames of one :class:`Scene` with its layers; they keep their cached Surfaces
    between frames. `options` is read at every draw (change its fields to change the view)."""

    def __init__(self, scene: Scene, options: ViewOptions | None = None) -> None:
        self.scene = scene
        self.options = options or ViewOptions()
        self.fonts = Fonts()
        self.font, self.small, self.big = self.fonts.font, self.fonts.small, self.fonts.big
        self.text = self.fonts.text
        sprites = Sprites()
        self.background = MapBackground(scene)
        self.overlays = Overlays(scene, sprites)
        self.units = Units(scene, sprites, self.fonts)
        self.furniture = Furniture(scene, self.fonts)
        self.panel = Panel(scene, self.fonts)

    def render(
        self,
        frame: int,
        size: tuple[int, int] = (1280, 800),
        *,
        camera: Camera | None = None,
        timeline: bool = False,
        surface: pygame.Surface | None = None,
    ) -> pygame.Surface:
        """Draw `frame` (clamped to the frames there are) in the standard one-pane layout."""
        if surface is None or surface.get_size() != tuple(size):
            surface = pygame.Surface(size)
        panes, tl = pane_layout(size, 1, timeline)
        map_rect, panel_rect = panes[0]
        cam = camera or Camera()
        surface.fill(BG)
        self.draw_map(surface, map_rect, frame, cam)
        self.draw_panel(surface, panel_rect, frame)
        if tl is not None:
            draw_timeline(surface, tl, [self.scene], frame, self.scene.total_frames, self.fonts)
        return surface

    def draw_map(
        self, target: pygame.Surface, rect: pygame.Rect, frame: int, camera: Camera
    ) -> None:
        """Draw the map view of `frame` into `rect` of `target`, layer by layer."""
        if rect.w < 8 or rect.h < 8:
            return
        sc, opt = self.scene, self.options
        f = sc.clamp(frame)
        t = camera.transform(rect, sc)
        target.blit(self.background.surface(rect, t, camera, f, opt), rect.topleft)
        clip = target.get_clip()
        target.set_clip(rect)
        try:
            m = map_frame(sc, opt, t, rect, f)
            self.overlays.draw_under(target, m, opt)
            self.overlays.draw_feeds(target, m, opt)
            self.units.draw_ground(target, m)
            drawn, agl = self.units.draw_air(target, m, opt.fog)
            if opt.events:
                self.overlays.draw_flashes(target, m)
            if opt.labels:
                self.units.draw_labels(target, m, drawn, agl)
            self.units.draw_selection(target, m, opt.selected)
            self.furniture.draw(target, rect, t, opt)
        finally:
            target.set_clip(clip)

    def draw_panel(self, target: pygame.Surface, rect: pygame.Rect, frame: int) -> None:
        """HUD, selected unit and event log of `frame` into `rect`."""
        self.panel.draw(target, rect, frame, self.options)

    def pick(
        self,
        rect: pygame.Rect,
        camera: Camera,
        frame: int,
        mx: float,
        my: float,
        radius: float = 14.0,
    ) -> tuple[str, int] | None:
        """The unit drawn nearest to (mx, my) within `radius` px: ("air", a) or ("gnd", g)."""
        t = camera.transform(rect, self.scene)
        return pick_unit(self.scene, t, self.scene.clamp(frame), mx, my, radius)

    def hud_lines(self, frame: int) -> list[tuple[str | tuple[str, ...], tuple[int, int, int]]]:
        """The HUD of `frame` (see :meth:`.panel.Panel.hud_lines`)."""
        return self.panel.hud_lines(frame)

    def detail_lines(self, frame: int) -> list[Line]:
        """Details of the selected unit at `frame` (empty when none is selected)."""
        return self.panel.detail_lines(frame, self.options.selected)

    def visibility(self, r: int, agl: float) -> np.ndarray:
        """[ny, nx] bool: where radar r sees a target `agl` m above ground (cached)."""
        return self.background.visibility(r, agl)
