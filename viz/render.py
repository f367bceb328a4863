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
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from aerena.envs.airdefense import layout as Lo  # noqa: E402
from aerena.viz.scene import Scene  # noqa: E402

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

# --------------------------------------------------------------------------------------
# Style
# --------------------------------------------------------------------------------------
BG = (18, 20, 24)
PANEL_BG = (26, 28, 34)
PANEL_LINE = (60, 64, 74)
TEXT = (225, 228, 232)
DIM = (150, 155, 165)
FAINT = (105, 110, 120)
ATTACKER = (255, 96, 72)
DEFENDER = (80, 150, 255)
ASSET = (240, 196, 64)
DEAD = (96, 96, 100)
KILL = (255, 60, 50)
HILITE = (255, 240, 90)
COVERAGE = (70, 200, 255)
COVERAGE_SILENT = (150, 150, 210)
JAM = (205, 120, 255)
LINK = (120, 190, 255)
LINK_BROKEN = (110, 110, 116)
FED = (90, 230, 120)
ENGAGE = (255, 175, 60)
INTERCEPTOR = (245, 245, 245)
TRACK = (110, 200, 255)
TRACK_LINE = (70, 110, 150)

ALT_EDGES = (0.0, 75.0, 150.0, 300.0, 600.0, 1000.0, 1500.0)
"""Altitude bands (m above ground) of the air units' fill colour: [edge_k, edge_k+1)."""
ALT_COLOURS = (
    (70, 16, 60),
    (128, 24, 74),
    (186, 40, 70),
    (226, 86, 52),
    (246, 146, 48),
    (250, 206, 80),
    (255, 250, 200),
)
ROLE_TRAIL = {
    Lo.STRIKE: (255, 140, 110),
    Lo.DECOY: (226, 206, 160),
    Lo.JAMMER: (205, 150, 255),
    Lo.RECON: (140, 232, 200),
    Lo.CARRIER: (240, 240, 240),
}
EVENT_COLOURS = {
    Lo.EV_LAUNCH: DIM,
    Lo.EV_DETECT: (140, 180, 230),
    Lo.EV_JAM_ON: JAM,
    Lo.EV_JAM_OFF: (160, 120, 190),
    Lo.EV_FIRE: ENGAGE,
    Lo.EV_INTERCEPT_KILL: KILL,
    Lo.EV_INTERCEPT_MISS: (200, 160, 120),
    Lo.EV_HIT: (255, 150, 60),
    Lo.EV_GROUND_KILL: (255, 120, 40),
    Lo.EV_PD_KILL: KILL,
    Lo.EV_CRASH: DIM,
    Lo.EV_LEFT_MAP: DIM,
    Lo.EV_EMIT_ON: COVERAGE,
    Lo.EV_EMIT_OFF: (120, 140, 170),
    Lo.EV_SPOTTED: (255, 210, 120),
}
# events flashed on the map: kind -> (colour, start radius px, growth px per frame)
FLASH = {
    Lo.EV_INTERCEPT_KILL: (KILL, 5, 3),
    Lo.EV_PD_KILL: (KILL, 5, 3),
    Lo.EV_HIT: ((255, 150, 60), 6, 4),
    Lo.EV_GROUND_KILL: ((255, 120, 40), 8, 5),
    Lo.EV_INTERCEPT_MISS: ((200, 160, 120), 4, 2),
    Lo.EV_LAUNCH: (DIM, 3, 2),
    Lo.EV_SPOTTED: ((255, 210, 120), 6, 3),
}
FLASH_FRAMES = 8
N_HEADING = 32
GHOST_ALPHA = 70

OVERLAYS = (
    "trails",
    "coverage",
    "jamming",
    "links",
    "engagements",
    "interceptors",
    "events",
    "labels",
)
FOG_MODES = ("truth", "attacker", "defender")
FOG_TITLES = {
    "truth": "ground truth",
    "attacker": "attacker's view: ground units it knew",
    "defender": "defender's view: air units its radars tracked",
}


@dataclass
class ViewOptions:
    """What to draw: overlay flags, the fog-of-war view and the coverage height."""

    trails: bool = True
    coverage: bool = True
    jamming: bool = True
    links: bool = True
    engagements: bool = True
    interceptors: bool = True
    events: bool = True
    labels: bool = True
    fog: str = "truth"  # "truth" | "attacker" | "defender"
    coverage_agl: float = 100.0  # m above ground of the coverage overlay's target
    log_detections: bool = True  # list radar detections in the event log
    trail_seconds: float = 90.0
    selected: tuple[str, int] | None = None  # ("air", a) or ("gnd", g)

    def copy(self, **changes: Any) -> ViewOptions:
        return replace(self, **changes)


COVERAGE_HEIGHTS = (30.0, 100.0, 300.0, 1000.0, 3000.0)


@dataclass
class Camera:
    """The map view: centre (m) and zoom (1 = whole map fits the map rect)."""

    cx: float | None = None
    cy: float | None = None
    zoom: float = 1.0
    min_zoom: float = 0.5
    max_zoom: float = 64.0

    def fit(self, scene: Scene) -> None:
        self.cx, self.cy, self.zoom = scene.width / 2.0, scene.height / 2.0, 1.0

    def transform(self, rect: pygame.Rect, scene: Scene) -> Transform:
        if self.cx is None or self.cy is None:
            self.fit(scene)
        assert self.cx is not None and self.cy is not None
        base = 0.98 * min(rect.w / scene.width, rect.h / scene.height)
        s = max(base * self.zoom, 1e-9)
        return Transform(s, rect.centerx - self.cx * s, rect.centery + self.cy * s)

    def zoom_at(self, rect: pygame.Rect, scene: Scene, factor: float, mx: float, my: float) -> None:
        """Zoom by `factor`, keeping the map point under (mx, my) in place."""
        t = self.transform(rect, scene)
        wx, wy = t.to_world(mx, my)
        self.zoom = float(np.clip(self.zoom * factor, self.min_zoom, self.max_zoom))
        s = self.transform(rect, scene).s
        self.cx = wx - (mx - rect.centerx) / s
        self.cy = wy + (my - rect.centery) / s

    def pan(self, rect: pygame.Rect, scene: Scene, dx: float, dy: float) -> None:
        """Move the map by (dx, dy) pixels."""
        s = self.transform(rect, scene).s
        assert self.cx is not None and self.cy is not None
        self.cx -= dx / s
        self.cy += dy / s

    def key(self) -> tuple[float, float, float]:
        return (round(float(self.cx or 0.0), 3), round(float(self.cy or 0.0), 3), self.zoom)


@dataclass(frozen=True)
class Transform:
    """Screen = (ox + x * s, oy - y * s): s pixels per metre, north up."""

    s: float
    ox: float
    oy: float

    def to_screen(self, x: Any, y: Any) -> tuple[Any, Any]:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        return self.ox + x * self.s, self.oy - y * self.s

    def to_world(self, sx: float, sy: float) -> tuple[float, float]:
        return (sx - self.ox) / self.s, (self.oy - sy) / self.s


@dataclass
class _Layer:
    """A picture over a world box (x0, y0, x1, y1) in metres; north at the top."""

    surface: pygame.Surface
    box: tuple[float, float, float, float]
    scaled: dict[tuple[int, int], pygame.Surface] = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------
def pane_layout(
    size: tuple[int, int], panes: int = 1, timeline: bool = True
) -> tuple[list[tuple[pygame.Rect, pygame.Rect]], pygame.Rect | None]:
    """Rects of each pane's (map, panel) and of the shared timeline for a window `size`.

    A pane at least 900 px wide gets its panel on the right; a narrower one below the map.
    """
    W, H = int(size[0]), int(size[1])
    tl_h = 44 if timeline and H >= 200 else 0
    body_h = H - tl_h
    out = []
    col = W // max(panes, 1)
    for k in range(panes):
        x0 = k * col
        w = col if k < panes - 1 else W - x0
        if w >= 900:
            pw = int(np.clip(w * 0.27, 260, 380))
            out.append(
                (pygame.Rect(x0, 0, w - pw, body_h), pygame.Rect(x0 + w - pw, 0, pw, body_h))
            )
        else:
            ph = int(np.clip(body_h * 0.4, 0, 320)) if body_h >= 300 else 0
            out.append((pygame.Rect(x0, 0, w, body_h - ph), pygame.Rect(x0, body_h - ph, w, ph)))
    timeline_rect = pygame.Rect(0, body_h, W, tl_h) if tl_h else None
    return out, timeline_rect


def surface_to_array(surface: pygame.Surface) -> np.ndarray:
    """[H, W, 3] uint8 copy of a Surface's RGB pixels."""
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2))


def _display_ready() -> bool:
    return bool(pygame.display.get_init() and pygame.display.get_surface() is not None)


def _fast(surface: pygame.Surface, alpha: bool) -> pygame.Surface:
    """Convert to the display's format when a window exists (faster blits)."""
    if not _display_ready():
        return surface
    return surface.convert_alpha() if alpha else surface.convert()


# --------------------------------------------------------------------------------------
# Terrain and coverage pictures
# --------------------------------------------------------------------------------------
def terrain_rgb(heights: np.ndarray, cell: float) -> np.ndarray:
    """[ny, nx, 3] uint8: hillshade (light from the north-west) over a height tint."""
    h = np.asarray(heights, np.float64)
    lo, hi = float(h.min()), float(h.max())
    rel = (h - lo) / (hi - lo) if hi > lo else np.zeros_like(h)
    if h.shape[0] >= 2 and h.shape[1] >= 2:
        gy, gx = np.gradient(h, cell)
    else:
        gy = gx = np.zeros_like(h)
    mag = np.hypot(gx, gy)
    p95 = float(np.percentile(mag, 95)) if mag.size else 0.0
    z = float(np.clip(0.9 / p95, 1.0, 40.0)) if p95 > 0 else 1.0
    nx_, ny_, nz_ = -gx * z, -gy * z, np.ones_like(h)
    norm = np.sqrt(nx_ * nx_ + ny_ * ny_ + nz_ * nz_)
    light = np.array([-1.0, 1.0, 1.3])
    light /= np.linalg.norm(light)
    shade = np.clip((nx_ * light[0] + ny_ * light[1] + nz_ * light[2]) / norm, 0.0, 1.0)
    flat = light[2]
    shade = shade / flat  # 1.0 on flat ground
    stops = np.array([0.0, 0.35, 0.7, 1.0])
    cols = np.array(
        [[92, 112, 84], [128, 134, 98], [158, 148, 118], [196, 190, 178]], dtype=np.float64
    )
    tint = np.stack([np.interp(rel, stops, cols[:, c]) for c in range(3)], axis=-1)
    rgb = tint * (0.45 + 0.55 * shade)[..., None]
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _grid_surface(rgba_or_rgb: np.ndarray) -> pygame.Surface:
    """A Surface from a grid image [ny, nx, C] whose row i is y = i * cell (flipped north-up)."""
    a = np.ascontiguousarray(rgba_or_rgb[::-1])
    ny, nx, c = a.shape
    fmt = "RGBA" if c == 4 else "RGB"
    return pygame.image.frombuffer(a.tobytes(), (nx, ny), fmt).copy()


def _smoothscale(surface: pygame.Surface, size: tuple[int, int]) -> pygame.Surface:
    size = (max(int(size[0]), 1), max(int(size[1]), 1))
    if surface.get_bitsize() in (24, 32):
        return pygame.transform.smoothscale(surface, size)
    return pygame.transform.scale(surface, size)


# --------------------------------------------------------------------------------------
# Sprites
# --------------------------------------------------------------------------------------
_SS = 3  # supersampling of sprite drawing (anti-aliasing by smoothscale)

_AIR_SHAPES = {
    Lo.STRIKE: [(1.0, 0.0), (-0.8, 0.68), (-0.35, 0.0), (-0.8, -0.68)],
    Lo.DECOY: [(1.0, 0.0), (-0.7, 0.62), (-0.7, -0.62)],
    Lo.JAMMER: [(1.0, 0.0), (0.0, 0.6), (-0.85, 0.0), (0.0, -0.6)],
    Lo.CARRIER: [(1.0, 0.0), (-0.55, 0.85), (-0.25, 0.0), (-0.55, -0.85)],
}


def _rot(
    points: list[tuple[float, float]], h: float, r: float, c: float
) -> list[tuple[float, float]]:
    """Rotate unit shape points (nose on +x) by heading h (math angle), to screen pixels."""
    ch, sh = math.cos(h), math.sin(h)
    return [(c + r * (x * ch - y * sh), c - r * (x * sh + y * ch)) for x, y in points]


def _air_sprite(role: int, alt_band: int, hbin: int, ghost: bool) -> pygame.Surface:
    size = 30 if role == Lo.CARRIER else 18
    big = size * _SS
    surf = pygame.Surface((big, big), pygame.SRCALPHA)
    c = big / 2.0
    r = big * 0.46
    h = hbin * 2.0 * math.pi / N_HEADING
    fill = ALT_COLOURS[alt_band]
    edge = ATTACKER
    w = max(int(_SS * 1.4), 2)
    if role == Lo.RECON:
        pygame.draw.line(surf, edge, (c, c), _rot([(1.0, 0.0)], h, r, c)[0], w + 1)
        pygame.draw.circle(surf, fill, (c, c), r * 0.58)
        pygame.draw.circle(surf, edge, (c, c), r * 0.58, w)
    elif role == Lo.DECOY:
        pts = _rot(_AIR_SHAPES[Lo.DECOY], h, r, c)
        pygame.draw.polygon(surf, edge, pts, w * 2)
        inner = _rot(_AIR_SHAPES[Lo.DECOY], h, r * 0.55, c)
        pygame.draw.polygon(surf, fill, inner)
    else:
        shape = _AIR_SHAPES.get(role, _AIR_SHAPES[Lo.STRIKE])
        pts = _rot(shape, h, r, c)
        pygame.draw.polygon(surf, fill, pts)
        pygame.draw.polygon(surf, edge, pts, w)
        if role == Lo.JAMMER:  # a bar across the body
            bar = _rot([(-0.1, 0.85), (-0.1, -0.85)], h, r, c)
            pygame.draw.line(surf, edge, bar[0], bar[1], w)
        if role == Lo.CARRIER:
            stripe = _rot([(0.7, 0.0), (-0.2, 0.0)], h, r, c)
            pygame.draw.line(surf, (250, 250, 250), stripe[0], stripe[1], w)
    out = pygame.transform.smoothscale(surf, (size, size))
    if ghost:
        out.fill((255, 255, 255, GHOST_ALPHA), special_flags=pygame.BLEND_RGBA_MULT)
    return out


def _ground_sprite(kind: int, state: int, ghost: bool) -> pygame.Surface:
    """state: 0 normal, 1 destroyed, 2 emitting radar."""
    size = 20 if kind != Lo.ASSET else 16
    big = size * _SS
    surf = pygame.Surface((big, big), pygame.SRCALPHA)
    c = big / 2.0
    r = big * 0.42
    dead = state == 1
    fill = DEAD if dead else (ASSET if kind == Lo.ASSET else DEFENDER)
    edge = (30, 30, 30) if kind == Lo.ASSET else (235, 240, 250)
    w = max(int(_SS * 1.3), 2)
    if kind == Lo.ASSET:
        rect = pygame.Rect(0, 0, r * 1.7, r * 1.7)
        rect.center = (int(c), int(c))
        pygame.draw.rect(surf, fill, rect)
        pygame.draw.rect(surf, edge, rect, w)
    elif kind == Lo.RADAR:
        pygame.draw.circle(surf, fill, (c, c), r * 0.72)
        pygame.draw.circle(surf, edge, (c, c), r * 0.72, w)
        dish = pygame.Rect(0, 0, r * 1.0, r * 0.9)
        dish.center = (int(c), int(c - r * 0.05))
        pygame.draw.arc(surf, edge, dish, math.pi * 0.15, math.pi * 0.85, w)
        pygame.draw.line(surf, edge, (c, c - r * 0.2), (c, c + r * 0.35), w)
        if state == 2:
            pygame.draw.circle(surf, COVERAGE, (c, c), r * 1.12, w)
    elif kind == Lo.LAUNCHER:
        pts = [(c, c - r), (c + r * 0.95, c + r * 0.75), (c - r * 0.95, c + r * 0.75)]
        pygame.draw.polygon(surf, fill, pts)
        pygame.draw.polygon(surf, edge, pts, w)
    elif kind == Lo.POINT_DEFENCE:
        pts = [
            (c + r * math.cos(k * math.pi / 3), c + r * math.sin(k * math.pi / 3)) for k in range(6)
        ]
        pygame.draw.polygon(surf, fill, pts)
        pygame.draw.polygon(surf, edge, pts, w)
        pygame.draw.line(surf, edge, (c - r * 0.5, c), (c + r * 0.5, c), w)
    else:  # command post: a pentagon ("house")
        pts = [
            (c, c - r),
            (c + r * 0.9, c - r * 0.25),
            (c + r * 0.75, c + r * 0.85),
            (c - r * 0.75, c + r * 0.85),
            (c - r * 0.9, c - r * 0.25),
        ]
        pygame.draw.polygon(surf, fill, pts)
        pygame.draw.polygon(surf, edge, pts, w)
    if dead:
        d = r * 0.95
        pygame.draw.line(surf, KILL, (c - d, c - d), (c + d, c + d), w + 1)
        pygame.draw.line(surf, KILL, (c - d, c + d), (c + d, c - d), w + 1)
    out = pygame.transform.smoothscale(surf, (size, size))
    if ghost:
        out.fill((255, 255, 255, GHOST_ALPHA), special_flags=pygame.BLEND_RGBA_MULT)
    return out


def _wreck_sprite(status: int, carrier: bool) -> pygame.Surface:
    size = 16 if carrier else 11
    big = size * _SS
    surf = pygame.Surface((big, big), pygame.SRCALPHA)
    c = big / 2.0
    r = big * 0.4
    w = max(int(_SS * 1.2), 2)
    if status == Lo.EXPENDED:
        for k in range(8):
            a = k * math.pi / 4
            rr = r if k % 2 == 0 else r * 0.55
            pygame.draw.line(
                surf, (255, 150, 50), (c, c), (c + rr * math.cos(a), c + rr * math.sin(a)), w
            )
    else:
        col = KILL if status == Lo.KILLED else DIM
        pygame.draw.line(surf, col, (c - r, c - r), (c + r, c + r), w)
        pygame.draw.line(surf, col, (c - r, c + r), (c + r, c - r), w)
    return pygame.transform.smoothscale(surf, (size, size))


def _interceptor_sprite() -> pygame.Surface:
    size = 9
    big = size * _SS
    surf = pygame.Surface((big, big), pygame.SRCALPHA)
    c = big / 2.0
    r = big * 0.45
    pts = [(c, c - r), (c + r, c), (c, c + r), (c - r, c)]
    pygame.draw.polygon(surf, INTERCEPTOR, pts)
    pygame.draw.polygon(surf, (20, 20, 20), pts, _SS)
    return pygame.transform.smoothscale(surf, (size, size))


# --------------------------------------------------------------------------------------
# The renderer
# --------------------------------------------------------------------------------------
class Renderer:
    """Draws frames of one :class:`Scene`; keeps its cached Surfaces between frames."""

    def __init__(self, scene: Scene, options: ViewOptions | None = None) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.scene = scene
        self.options = options or ViewOptions()
        self.font = pygame.font.Font(None, 19)
        self.small = pygame.font.Font(None, 16)
        self.big = pygame.font.Font(None, 24)
        self._text: dict[tuple[str, int, tuple[int, int, int]], pygame.Surface] = {}
        self._terrain: _Layer | None = None
        self._vis: dict[tuple[int, float], np.ndarray] = {}
        self._coverage: OrderedDict[tuple, _Layer | None] = OrderedDict()
        self._composite: OrderedDict[tuple, pygame.Surface] = OrderedDict()
        self._sprites: dict[tuple, pygame.Surface] = {}
        self._fx: pygame.Surface | None = None
        self._legend: pygame.Surface | None = None
        # the panel's lower part: the event log, or fixed lines when log_lines is set
        self.log_title = "EVENTS"
        self.log_lines: list[tuple[str, tuple[int, int, int]]] | None = None

    # ------------------------------------------------------------------ top level
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
            draw_timeline(surface, tl, [self], frame, self.scene.total_frames)
        return surface

    # ------------------------------------------------------------------ text
    def text(
        self, s: str, colour: tuple[int, int, int] = TEXT, font: pygame.font.Font | None = None
    ) -> pygame.Surface:
        font = font or self.font
        key = (s, id(font), colour)
        surf = self._text.get(key)
        if surf is None:
            if len(self._text) > 4000:
                self._text.clear()
            surf = font.render(s, True, colour)
            self._text[key] = surf
        return surf

    # ------------------------------------------------------------------ cached layers
    def terrain_layer(self) -> _Layer:
        if self._terrain is None:
            sc = self.scene
            rgb = terrain_rgb(sc.heights, sc.cell)
            ny, nx = sc.heights.shape
            half = sc.cell / 2.0
            box = (-half, -half, (nx - 1) * sc.cell + half, (ny - 1) * sc.cell + half)
            self._terrain = _Layer(_fast(_grid_surface(rgb), False), box)
        return self._terrain

    def visibility(self, r: int, agl: float) -> np.ndarray:
        """[ny, nx] bool: grid points where a target `agl` m above ground is seen by radar r
        within its range (terrain masking by the world's `visibility_map` kernel)."""
        key = (int(r), float(agl))
        vis = self._vis.get(key)
        if vis is None:
            from aerena.envs.airdefense.terrain import visibility_map

            sc = self.scene
            g = int(sc.radar_g[r])
            x0, y0, zg = (float(v) for v in sc.gnd_pos[g])
            z0 = zg + float(sc.extras.radar_mast[r])
            rng = float(sc.st["radar_range"][r])
            vis = np.zeros(sc.heights.shape, dtype=np.bool_)
            visibility_map(sc.heights, sc.cell, x0, y0, z0, float(agl), rng, vis)
            self._vis[key] = vis
        return vis

    def coverage_layer(self, frame: int) -> tuple[tuple, _Layer | None]:
        """The coverage picture of the radars alive at `frame` (emitting ones brighter)."""
        sc, opt = self.scene, self.options
        hp = sc.fr["gnd_hp"][frame]
        emit = sc.fr["radar_emit"][frame]
        known = sc.fr["known"][frame] if opt.fog == "attacker" else None
        states = []
        for r in range(sc.R):
            g = int(sc.radar_g[r])
            alive = hp[g] > 0.0 and (known is None or bool(known[g]))
            states.append(0 if not alive else (2 if emit[r] else 1))
        key = (float(opt.coverage_agl), tuple(states))
        if key in self._coverage:
            self._coverage.move_to_end(key)
            return key, self._coverage[key]
        layer = None
        if any(states):
            ny, nx = sc.heights.shape
            n_emit = np.zeros((ny, nx), np.int32)
            n_quiet = np.zeros((ny, nx), np.int32)
            for r, state in enumerate(states):
                if state == 2:
                    n_emit += self.visibility(r, opt.coverage_agl)
                elif state == 1:
                    n_quiet += self.visibility(r, opt.coverage_agl)
            rgba = np.zeros((ny, nx, 4), np.uint8)
            emit_m = n_emit > 0
            quiet_m = (n_quiet > 0) & ~emit_m
            rgba[emit_m, :3] = COVERAGE
            rgba[quiet_m, :3] = COVERAGE_SILENT
            alpha = np.where(emit_m, 60 + 22 * np.minimum(n_emit - 1, 4), 0)
            alpha = np.where(quiet_m, 34, alpha)
            rgba[..., 3] = alpha.astype(np.uint8)
            half = sc.cell / 2.0
            box = (-half, -half, (nx - 1) * sc.cell + half, (ny - 1) * sc.cell + half)
            layer = _Layer(_fast(_grid_surface(rgba), True), box)
        self._coverage[key] = layer
        while len(self._coverage) > 6:
            self._coverage.popitem(last=False)
        return key, layer

    def _blit_layer(
        self, target: pygame.Surface, layer: _Layer, t: Transform, rect: pygame.Rect
    ) -> None:
        """Blit `layer` scaled by the transform, clipped to `rect` (target coordinates
        relative to rect's top-left)."""
        x0, y0, x1, y1 = layer.box
        left = t.ox + x0 * t.s - rect.x
        top = t.oy - y1 * t.s - rect.y
        w = (x1 - x0) * t.s
        h = (y1 - y0) * t.s
        lw, lh = layer.surface.get_size()
        if w <= 2400 and h <= 2400:
            key = (max(int(round(w)), 1), max(int(round(h)), 1))
            scaled = layer.scaled.get(key)
            if scaled is None:
                if len(layer.scaled) > 3:
                    layer.scaled.clear()
                scaled = _smoothscale(layer.surface, key)
                layer.scaled[key] = scaled
            target.blit(scaled, (int(round(left)), int(round(top))))
            return
        # zoomed far in: scale only the visible part of the layer
        vx0, vy0 = max(0.0, left), max(0.0, top)
        vx1, vy1 = min(float(rect.w), left + w), min(float(rect.h), top + h)
        if vx1 <= vx0 or vy1 <= vy0:
            return
        px_w, px_h = w / lw, h / lh  # screen pixels per layer pixel
        j0 = max(int(math.floor((vx0 - left) / px_w)) - 1, 0)
        i0 = max(int(math.floor((vy0 - top) / px_h)) - 1, 0)
        j1 = min(int(math.ceil((vx1 - left) / px_w)) + 1, lw)
        i1 = min(int(math.ceil((vy1 - top) / px_h)) + 1, lh)
        sub = layer.surface.subsurface((j0, i0, j1 - j0, i1 - i0))
        sx = left + j0 * px_w
        sy = top + i0 * px_h
        size = (int(round(left + j1 * px_w - sx)), int(round(top + i1 * px_h - sy)))
        target.blit(_smoothscale(sub, size), (int(round(sx)), int(round(sy))))

    def _static_map(
        self, rect: pygame.Rect, t: Transform, camera: Camera, frame: int
    ) -> pygame.Surface:
        """Terrain (+ coverage) scaled for the camera: one cached Surface of rect's size."""
        cov_key: tuple | None = None
        cov_layer = None
        if self.options.coverage and self.scene.R > 0:
            cov_key, cov_layer = self.coverage_layer(frame)
        key = (rect.size, camera.key(), cov_key)
        surf = self._composite.get(key)
        if surf is not None:
            self._composite.move_to_end(key)
            return surf
        surf = _fast(pygame.Surface(rect.size), False)
        surf.fill(BG)
        local = pygame.Rect(0, 0, rect.w, rect.h)
        self._blit_layer(surf, self.terrain_layer(), t, rect)
        if cov_layer is not None:
            self._blit_layer(surf, cov_layer, t, rect)
        # the map edge
        sc = self.scene
        x0, y0 = t.ox - rect.x, t.oy - rect.y
        edge = pygame.Rect(
            int(round(x0)),
            int(round(y0 - sc.height * t.s)),
            int(round(sc.width * t.s)),
            int(round(sc.height * t.s)),
        )
        pygame.draw.rect(surf, (200, 200, 200), edge.clip(local.inflate(2, 2)), 1)
        self._composite[key] = surf
        while len(self._composite) > 4:
            self._composite.popitem(last=False)
        return surf

    def sprite(self, key: tuple) -> pygame.Surface:
        spr = self._sprites.get(key)
        if spr is None:
            kind = key[0]
            if kind == "air":
                spr = _air_sprite(key[1], key[2], key[3], key[4])
            elif kind == "gnd":
                spr = _ground_sprite(key[1], key[2], key[3])
            elif kind == "wreck":
                spr = _wreck_sprite(key[1], key[2])
            else:
                spr = _interceptor_sprite()
            spr = _fast(spr, True)
            self._sprites[key] = spr
        return spr

    # ------------------------------------------------------------------ the map
    def draw_map(
        self, target: pygame.Surface, rect: pygame.Rect, frame: int, camera: Camera
    ) -> None:
        """Draw the map view of `frame` into `rect` of `target`."""
        if rect.w < 8 or rect.h < 8:
            return
        sc = self.scene
        f = sc.clamp(frame)
        t = camera.transform(rect, sc)
        target.blit(self._static_map(rect, t, camera, f), rect.topleft)
        clip = target.get_clip()
        target.set_clip(rect)
        try:
            self._draw_units_and_overlays(target, rect, t, f)
            self._draw_furniture(target, rect, t)
        finally:
            target.set_clip(clip)

    def _draw_units_and_overlays(
        self, target: pygame.Surface, rect: pygame.Rect, t: Transform, f: int
    ) -> None:
        sc, opt, fr = self.scene, self.options, self.scene.fr
        s = t.s
        gx, gy = t.to_screen(sc.gnd_pos[:, 0], sc.gnd_pos[:, 1])
        hp = fr["gnd_hp"][f]
        g_alive = hp > 0.0
        known = fr["known"][f]
        pos = fr["air_pos"][f]
        ax, ay = t.to_screen(pos[:, 0], pos[:, 1])
        status = fr["air_status"][f]
        active = status == Lo.ACTIVE
        tracked = fr["tracked"][f]
        fog = opt.fog
        # what counts as "seen" for drawing
        air_ghost = (~tracked) if fog == "defender" else np.zeros(sc.A, np.bool_)
        gnd_ghost = (~known) if fog == "attacker" else np.zeros(sc.G, np.bool_)
        margin = 30
        inside_a = (ax > rect.left - margin) & (ax < rect.right + margin)
        inside_a &= (ay > rect.top - margin) & (ay < rect.bottom + margin)

        # --- range rings (with the coverage overlay) ---------------------------------
        if opt.coverage:
            emit = fr["radar_emit"][f]
            for r in range(sc.R):
                g = int(sc.radar_g[r])
                if not g_alive[g] or gnd_ghost[g]:
                    continue
                rad = float(sc.st["radar_range"][r]) * s
                if rad < 4000:
                    col = COVERAGE if emit[r] else COVERAGE_SILENT
                    pygame.draw.circle(target, col, (gx[g], gy[g]), rad, 1)
            for lidx in range(sc.L):
                g = int(sc.launcher_g[lidx])
                if not g_alive[g] or gnd_ghost[g]:
                    continue
                rad = float(sc.st["launcher_range"][lidx, 1]) * s
                if rad < 4000:
                    pygame.draw.circle(target, (150, 170, 255), (gx[g], gy[g]), rad, 1)
            for p in range(sc.P):
                g = int(sc.pd_g[p])
                if not g_alive[g] or gnd_ghost[g]:
                    continue
                rad = float(sc.st["pd_radius"][p]) * s
                if 2 <= rad < 4000:
                    pygame.draw.circle(target, (255, 200, 120), (gx[g], gy[g]), rad, 1)

        # --- command links ----------------------------------------------------------
        if opt.links:
            self._draw_links(target, gx, gy, g_alive, gnd_ghost, f)

        # --- translucent effects: jamming cones --------------------------------------
        fx_used = False
        if opt.jamming:
            jam = fr["air_jam"][f] & active & ~air_ghost
            if jam.any():
                fx = self._fx_surface(rect)
                fx_used = True
                self._draw_jamming(fx, rect, t, np.flatnonzero(jam), ax, ay, fr["air_heading"][f])
        if fx_used and self._fx is not None:
            target.blit(self._fx, rect.topleft)

        # --- trails -----------------------------------------------------------------
        if opt.trails:
            self._draw_trails(target, t, f, active & inside_a & ~air_ghost)

        # --- engagements and interceptors --------------------------------------------
        if opt.engagements or opt.interceptors:
            self._draw_engagements(target, t, f, ax, ay, gx, gy)

        # --- ground units -----------------------------------------------------------
        blits: list[tuple[pygame.Surface, tuple[float, float]]] = []
        gx_l, gy_l = gx.tolist(), gy.tolist()
        emit = fr["radar_emit"][f]
        for g in range(sc.G):
            kind = int(sc.gnd_kind[g])
            state = 0
            if not g_alive[g]:
                state = 1
            elif kind == Lo.RADAR and emit[int(sc.radar_of_g[g])]:
                state = 2
            spr = self.sprite(("gnd", kind, state, bool(gnd_ghost[g])))
            hw, hh = spr.get_width() / 2.0, spr.get_height() / 2.0
            blits.append((spr, (gx_l[g] - hw, gy_l[g] - hh)))
        if opt.links:  # launchers fed with tracks: a green ring
            conn = fr["radar_conn"][f]
            for lidx in range(sc.L):
                g = int(sc.launcher_g[lidx])
                if g_alive[g] and conn[:, lidx].any():
                    pygame.draw.circle(target, FED, (gx[g], gy[g]), 12, 2)
        if fog == "defender":  # a thin line from each radar to the tracks it holds
            held = sc.radar_tracks(f)
            ax_l0, ay_l0 = ax.tolist(), ay.tolist()
            for r in range(sc.R):
                g = int(sc.radar_g[r])
                if not g_alive[g]:
                    continue
                for a in np.flatnonzero(held[r] & active).tolist():
                    pygame.draw.line(target, TRACK_LINE, (gx_l[g], gy_l[g]), (ax_l0[a], ay_l0[a]))
        target.fblits(blits)

        # --- air units --------------------------------------------------------------
        terrain = sc.terrain_at(pos[:, 0], pos[:, 1])
        agl = pos[:, 2] - terrain
        band = np.clip(np.searchsorted(ALT_EDGES, agl, side="right") - 1, 0, len(ALT_COLOURS) - 1)
        hbin = np.round(fr["air_heading"][f] * (N_HEADING / (2.0 * math.pi))).astype(np.int64)
        hbin %= N_HEADING
        draw = np.flatnonzero(active & inside_a)
        wrecks = np.flatnonzero(
            ((status == Lo.KILLED) | (status == Lo.CRASHED) | (status == Lo.EXPENDED)) & inside_a
        )
        blits = []
        is_carrier = sc.air_role == Lo.CARRIER
        role = sc.air_role
        ax_l, ay_l = ax.tolist(), ay.tolist()
        for a in wrecks.tolist():
            spr = self.sprite(("wreck", int(status[a]), bool(is_carrier[a])))
            hw = spr.get_width() / 2.0
            blits.append((spr, (ax_l[a] - hw, ay_l[a] - hw)))
        for a in draw.tolist():
            spr = self.sprite(("air", int(role[a]), int(band[a]), int(hbin[a]), bool(air_ghost[a])))
            hw = spr.get_width() / 2.0
            blits.append((spr, (ax_l[a] - hw, ay_l[a] - hw)))
        target.fblits(blits)
        if fog == "defender":  # track brackets
            for a in np.flatnonzero(active & inside_a & tracked).tolist():
                pygame.draw.rect(target, TRACK, (ax_l[a] - 11, ay_l[a] - 11, 22, 22), 1)

        # --- event flashes ---------------------------------------------------------
        if opt.events:
            self._draw_flashes(target, t, f)

        # --- labels ----------------------------------------------------------------
        if opt.labels:
            self._draw_labels(
                target, rect, gx, gy, ax_l, ay_l, draw[~air_ghost[draw]], agl, gnd_ghost
            )

        # --- selection ---------------------------------------------------------------
        sel = opt.selected
        if sel is not None:
            kind, i = sel
            if kind == "air" and 0 <= i < sc.A and status[i] != Lo.WAITING:
                pygame.draw.circle(target, HILITE, (ax[i], ay[i]), 15, 2)
            elif kind == "gnd" and 0 <= i < sc.G:
                pygame.draw.circle(target, HILITE, (gx[i], gy[i]), 15, 2)

    def _fx_surface(self, rect: pygame.Rect) -> pygame.Surface:
        if self._fx is None or self._fx.get_size() != rect.size:
            self._fx = _fast(pygame.Surface(rect.size, pygame.SRCALPHA), True)
        self._fx.fill((0, 0, 0, 0))
        return self._fx

    def _draw_jamming(
        self,
        fx: pygame.Surface,
        rect: pygame.Rect,
        t: Transform,
        jammers: np.ndarray,
        ax: np.ndarray,
        ay: np.ndarray,
        heading: np.ndarray,
    ) -> None:
        sc = self.scene
        reach = float(np.max(sc.st["radar_range"])) if sc.R else 20000.0
        length = reach * t.s
        cos_half = sc.extras.jam_cos
        for a in jammers.tolist():
            half = math.acos(float(np.clip(cos_half[a], -1.0, 1.0)))
            h = float(heading[a])
            cx, cy = float(ax[a] - rect.x), float(ay[a] - rect.y)
            pts = [(cx, cy)]
            for k in range(9):
                ang = h - half + 2.0 * half * k / 8
                pts.append((cx + length * math.cos(ang), cy - length * math.sin(ang)))
            pygame.draw.polygon(fx, (*JAM, 46), pts)
            pygame.draw.lines(fx, (*JAM, 150), True, pts, 1)

    def _draw_links(
        self,
        target: pygame.Surface,
        gx: np.ndarray,
        gy: np.ndarray,
        alive: np.ndarray,
        ghost: np.ndarray,
        f: int,
    ) -> None:
        sc, st = self.scene, self.scene.st

        def edge(g1: int, g2: int) -> None:
            if ghost[g1] or ghost[g2]:
                return
            ok = alive[g1] and alive[g2]
            pygame.draw.line(
                target,
                LINK if ok else LINK_BROKEN,
                (gx[g1], gy[g1]),
                (gx[g2], gy[g2]),
                2 if ok else 1,
            )

        for r, q in zip(*np.nonzero(st["link_rc"]), strict=True):
            edge(int(sc.radar_g[r]), int(sc.cp_g[q]))
        for q, lidx in zip(*np.nonzero(st["link_ql"]), strict=True):
            edge(int(sc.cp_g[q]), int(sc.launcher_g[lidx]))
        for r, lidx in zip(*np.nonzero(st["link_rl"]), strict=True):
            edge(int(sc.radar_g[r]), int(sc.launcher_g[lidx]))

    def _draw_trails(self, target: pygame.Surface, t: Transform, f: int, which: np.ndarray) -> None:
        sc = self.scene
        if not which.any() or f == 0:
            return
        n_back = max(int(self.options.trail_seconds / max(sc.dt, 1e-9)), 1)
        n_pts = 14 if which.sum() <= 300 else 7
        stride = max(n_back // n_pts, 1)
        idx = np.arange(f, max(f - n_back, 0) - 1, -stride)[::-1]
        if idx[0] != max(f - n_back, 0) and f - n_back >= 0:
            idx = np.concatenate([[max(f - n_back, 0)], idx])
        if len(idx) < 2:
            return
        sel = np.flatnonzero(which)
        P = sc.fr["air_pos"][idx][:, sel, :2]
        S = sc.fr["air_status"][idx][:, sel] == Lo.ACTIVE
        X, Y = t.to_screen(P[..., 0], P[..., 1])
        # [unit, point, xy]; numpy rows go to draw.lines as they are (no list garbage)
        pts = np.ascontiguousarray(np.stack([X, Y], axis=-1).transpose(1, 0, 2))
        counts = S.sum(axis=0).tolist()
        n = len(idx)
        roles = sc.air_role[sel].tolist()
        for k in range(len(sel)):
            c = counts[k]
            if c >= 2:
                pygame.draw.lines(target, ROLE_TRAIL.get(roles[k], TEXT), False, pts[k][n - c :])

    def _draw_engagements(
        self,
        target: pygame.Surface,
        t: Transform,
        f: int,
        ax: np.ndarray,
        ay: np.ndarray,
        gx: np.ndarray,
        gy: np.ndarray,
    ) -> None:
        sc, opt, fr = self.scene, self.options, self.scene.fr
        flying = np.flatnonzero(fr["int_status"][f] == Lo.INT_FLYING)
        if len(flying) == 0:
            return
        ipos = fr["int_pos"][f]
        ix, iy = t.to_screen(ipos[:, 0], ipos[:, 1])
        tgt = fr["int_target"][f]
        lau = fr["int_launcher"][f]
        blits = []
        ix_l, iy_l = ix.tolist(), iy.tolist()
        spr = self.sprite(("int",))
        hw = spr.get_width() / 2.0
        for i in flying.tolist():
            a, lidx = int(tgt[i]), int(lau[i])
            if opt.engagements and 0 <= lidx < sc.L and 0 <= a < sc.A:
                g = int(sc.launcher_g[lidx])
                _dashed(target, ENGAGE, (gx[g], gy[g]), (ax[a], ay[a]))
            if opt.interceptors:
                if 0 <= a < sc.A:
                    pygame.draw.line(target, (255, 220, 160), (ix[i], iy[i]), (ax[a], ay[a]), 1)
                if f >= 1:  # a short trail
                    f0 = max(f - 4, 0)
                    hist = fr["int_pos"][f0 : f + 1, i, :2]
                    live = fr["int_status"][f0 : f + 1, i] == Lo.INT_FLYING
                    hx, hy = t.to_screen(hist[live, 0], hist[live, 1])
                    if len(hx) >= 2:
                        pygame.draw.lines(
                            target, INTERCEPTOR, False, list(zip(hx, hy, strict=True))
                        )
                blits.append((spr, (ix_l[i] - hw, iy_l[i] - hw)))
        if blits:
            target.fblits(blits)

    def _draw_flashes(self, target: pygame.Surface, t: Transform, f: int) -> None:
        sc = self.scene
        idx = sc.fr["event_index"]
        f0 = max(f - FLASH_FRAMES + 1, 0)
        lo, hi = int(idx[f0]), int(idx[f + 1])
        if hi <= lo:
            return
        ev = sc.fr["events"][lo:hi]
        kinds = ev[:, 1].astype(np.int64)
        keep = np.isin(kinds, list(FLASH)) & (ev[:, 4] >= 0)
        if not keep.any():
            return
        rows = np.flatnonzero(keep) + lo
        ev_frame = np.searchsorted(idx, rows, side="right") - 1
        ex, ey = t.to_screen(sc.fr["events"][rows, 4], sc.fr["events"][rows, 5])
        for k, row in enumerate(rows.tolist()):
            kind = int(sc.fr["events"][row, 1])
            col, r0, grow = FLASH[kind]
            age = f - int(ev_frame[k])
            pygame.draw.circle(target, col, (ex[k], ey[k]), r0 + grow * age, 2 if age < 4 else 1)

    def _draw_labels(
        self,
        target: pygame.Surface,
        rect: pygame.Rect,
        gx: np.ndarray,
        gy: np.ndarray,
        ax: list[float],
        ay: list[float],
        drawn_air: np.ndarray,
        agl: np.ndarray,
        gnd_ghost: np.ndarray,
    ) -> None:
        sc = self.scene
        in_view = (gx > rect.left) & (gx < rect.right) & (gy > rect.top) & (gy < rect.bottom)
        ground = np.flatnonzero(in_view & ~gnd_ghost)
        if len(ground) <= 40:
            for g in ground.tolist():
                txt = self.text(sc.ground_names[g], (200, 215, 235), self.small)
                target.blit(txt, (gx[g] + 10, gy[g] - 4))
        air = [a for a in drawn_air.tolist() if rect.collidepoint(ax[a], ay[a])]
        carriers = [a for a in air if sc.air_role[a] == Lo.CARRIER]
        if len(air) > 25:  # too many to read: carriers only (zoom in for the rest)
            air = carriers
        for a in air:
            alt = int(round(float(agl[a]) / 10.0) * 10)
            txt = self.text(f"{sc.air_names[a]} {alt}m", (255, 215, 200), self.small)
            target.blit(txt, (ax[a] + 10, ay[a] + 3))

    def _draw_furniture(self, target: pygame.Surface, rect: pygame.Rect, t: Transform) -> None:
        """Scale bar, north arrow, altitude legend, view title."""
        if rect.w < 160 or rect.h < 120:
            return
        # scale bar: a round length near 110 px
        metres = 110.0 / t.s
        p = 10.0 ** math.floor(math.log10(metres))
        nice = max((m * p for m in (1, 2, 5, 10) if m * p <= metres), default=p)
        px = nice * t.s
        x0, y0 = rect.left + 14, rect.bottom - 18
        pygame.draw.rect(target, (0, 0, 0), (x0 - 4, y0 - 18, px + 8, 26))
        pygame.draw.line(target, TEXT, (x0, y0), (x0 + px, y0), 2)
        for k in range(3):
            xk = x0 + px * k / 2
            pygame.draw.line(target, TEXT, (xk, y0 - 5), (xk, y0), 1)
        label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
        target.blit(self.text(label, TEXT, self.small), (x0, y0 - 16))
        # north arrow
        cx, cy = rect.right - 24, rect.top + 30
        pygame.draw.polygon(
            target, TEXT, [(cx, cy - 16), (cx + 7, cy + 6), (cx, cy + 1), (cx - 7, cy + 6)]
        )
        pygame.draw.polygon(
            target, (0, 0, 0), [(cx, cy - 16), (cx + 7, cy + 6), (cx, cy + 1), (cx - 7, cy + 6)], 1
        )
        n = self.text("N", TEXT, self.font)
        target.blit(n, (cx - n.get_width() / 2, cy + 8))
        # altitude legend
        legend = self._altitude_legend()
        target.blit(
            legend, (rect.right - legend.get_width() - 8, rect.bottom - legend.get_height() - 8)
        )
        # view title and coverage height
        opt = self.options
        parts = [FOG_TITLES.get(opt.fog, opt.fog)]
        if opt.coverage and self.scene.R:
            parts.append(f"coverage at {opt.coverage_agl:g} m above ground")
        title = self.text("  |  ".join(parts), HILITE if opt.fog != "truth" else TEXT, self.small)
        bg = pygame.Rect(
            rect.left + 8, rect.top + 8, title.get_width() + 10, title.get_height() + 6
        )
        pygame.draw.rect(target, (0, 0, 0), bg)
        target.blit(title, (bg.x + 5, bg.y + 3))

    def _altitude_legend(self) -> pygame.Surface:
        if self._legend is None:
            labels = [f"{int(e)}" for e in ALT_EDGES]
            sw = 14
            lh = 13
            w = 118
            h = lh * len(ALT_COLOURS) + 20
            surf = pygame.Surface((w, h))
            surf.fill((0, 0, 0))
            surf.blit(self.text("altitude AGL (m)", TEXT, self.small), (4, 3))
            for k, col in enumerate(reversed(ALT_COLOURS)):
                band = len(ALT_COLOURS) - 1 - k
                y = 17 + k * lh
                pygame.draw.rect(surf, col, (6, y, sw, lh - 2))
                hi = labels[band + 1] if band + 1 < len(labels) else ""
                txt = f"{labels[band]}-{hi}" if hi else f">= {labels[band]}"
                surf.blit(self.text(txt, DIM, self.small), (6 + sw + 6, y))
            self._legend = _fast(surf, False)
        return self._legend

    # ------------------------------------------------------------------ picking
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
        sc = self.scene
        f = sc.clamp(frame)
        t = camera.transform(rect, sc)
        best: tuple[float, tuple[str, int] | None] = (radius * radius, None)
        pos = sc.fr["air_pos"][f]
        status = sc.fr["air_status"][f]
        ax, ay = t.to_screen(pos[:, 0], pos[:, 1])
        d2 = (ax - mx) ** 2 + (ay - my) ** 2
        d2 = np.where((status == Lo.WAITING) | (status == Lo.LEFT_MAP), np.inf, d2)
        if sc.A:
            a = int(np.argmin(d2))
            if d2[a] <= best[0]:
                best = (float(d2[a]), ("air", a))
        gx, gy = t.to_screen(sc.gnd_pos[:, 0], sc.gnd_pos[:, 1])
        d2g = (gx - mx) ** 2 + (gy - my) ** 2
        if sc.G:
            g = int(np.argmin(d2g))
            if d2g[g] < best[0]:
                best = (float(d2g[g]), ("gnd", g))
        return best[1]

    # ------------------------------------------------------------------ the panel
    def hud_lines(self, frame: int) -> list[tuple[str | tuple[str, ...], tuple[int, int, int]]]:
        """The HUD of `frame`: (line or table row, colour) pairs; a row is a tuple of cells
        drawn in columns (name, then numbers right-aligned)."""
        sc, fr = self.scene, self.scene.fr
        f = sc.clamp(frame)
        out: list[tuple[str | tuple[str, ...], tuple[int, int, int]]] = []
        t = float(fr["t"][f])
        step = int(fr["step"][f])
        limit = f" / {sc.max_steps}" if sc.max_steps else ""
        out.append((f"t {t:.1f} s    step {step}{limit}", TEXT))
        status = fr["air_status"][f]
        role = sc.air_role
        out.append((("ATTACKER", "active", "wait", "lost", "all"), ATTACKER))
        for r, name in enumerate(Lo.ROLE_NAMES):
            m = role == r
            tot = int(m.sum())
            if not tot:
                continue
            act = int(np.sum(m & (status == Lo.ACTIVE)))
            wait = int(np.sum(m & (status == Lo.WAITING)))
            lost = int(np.sum(m & (status >= Lo.KILLED) & (status != Lo.LEFT_MAP)))
            out.append(((f"  {name}", str(act), str(wait), str(lost), str(tot)), TEXT))
        out.append((("DEFENDER", "alive", "", "lost", "all"), DEFENDER))
        hp = fr["gnd_hp"][f]
        alive = hp > 0.0
        emit = fr["radar_emit"][f]
        for k, name in enumerate(("asset", "radar", "launcher", "point defence", "cmd post")):
            m = sc.gnd_kind == k
            tot = int(m.sum())
            if not tot:
                continue
            n_alive = int(np.sum(m & alive))
            if k == Lo.RADAR:
                name = f"radar ({int(np.sum(emit & alive[sc.radar_g]))} emitting)"
            out.append(((f"  {name}", str(n_alive), "", str(tot - n_alive), str(tot)), TEXT))
        tally = fr["tally"][f]
        left = sc.asset_total - float(tally[0])
        pct = 100.0 * left / sc.asset_total if sc.asset_total > 0 else 0.0
        out.append((f"asset value left {left:.2f} / {sc.asset_total:.2f} ({pct:.0f}%)", ASSET))
        stock = int(np.sum(fr["stock"][f]))
        flying = int(np.sum(fr["int_status"][f] == Lo.INT_FLYING))
        out.append((f"interceptors left {stock} / {sc.stock_total}, {flying} in flight", TEXT))
        score = np.sum(fr["reward"][: f + 1], axis=0)
        out.append((f"score   attacker {score[0]:+.3f}   defender {score[1]:+.3f}", TEXT))
        out.append(
            (
                f"kills {int(tally[2])}   leakers {int(tally[3])}   "
                f"interceptors used {int(tally[4])}",
                DIM,
            )
        )
        if f == sc.frames - 1 and sc.finished:
            winner = sc.outcome.get("winner", "?")
            how = "terminated" if sc.meta.get("terminated") else "truncated"
            out.append((f"END ({how}): winner {winner}", HILITE))
        return out

    def detail_lines(self, frame: int) -> list[tuple[str, tuple[int, int, int]]]:
        """Details of the selected unit at `frame` (empty when none is selected)."""
        sel = self.options.selected
        if sel is None:
            return []
        sc, fr = self.scene, self.scene.fr
        f = sc.clamp(frame)
        kind, i = sel
        out: list[tuple[str, tuple[int, int, int]]] = []
        if kind == "air" and 0 <= i < sc.A:
            x, y, z = (float(v) for v in fr["air_pos"][f, i])
            agl = z - float(sc.terrain_at(np.array([x]), np.array([y]))[0])
            role = Lo.ROLE_NAMES[int(sc.air_role[i])]
            status = Lo.STATUS_NAMES[int(fr["air_status"][f, i])]
            bearing = (90.0 - math.degrees(float(fr["air_heading"][f, i]))) % 360.0
            out.append((f"{sc.air_names[i]}  ({role}, attacker)", HILITE))
            out.append((f"  status {status}   at ({x / 1000:.2f}, {y / 1000:.2f}) km", TEXT))
            out.append((f"  altitude {z:.0f} m ({agl:.0f} m above ground)", TEXT))
            out.append(
                (
                    f"  heading {bearing:03.0f} deg   speed {float(fr['air_speed'][f, i]):.0f} m/s",
                    TEXT,
                )
            )
            flags = []
            if fr["air_jam"][f, i]:
                flags.append("jamming")
            flags.append("tracked by the defender" if fr["tracked"][f, i] else "not tracked")
            out.append(("  " + ", ".join(flags), TEXT))
            carrier = int(sc.st["air_carrier"][i])
            if carrier >= 0:
                launch = float(sc.st["air_launch_time"][i])
                out.append((f"  from {sc.air_names[carrier]} at t {launch:.0f} s", DIM))
        elif kind == "gnd" and 0 <= i < sc.G:
            k = int(sc.gnd_kind[i])
            hp, hp_max = float(fr["gnd_hp"][f, i]), float(sc.st["gnd_hp_max"][i])
            x, y, z = (float(v) for v in sc.gnd_pos[i])
            side = "attacker's target" if k == Lo.ASSET else "defender"
            out.append((f"{sc.ground_names[i]}  ({Lo.KIND_NAMES[k]}, {side})", HILITE))
            state = "destroyed" if hp <= 0 else f"hp {hp:.2f} / {hp_max:.2f}"
            out.append((f"  {state}   at ({x / 1000:.2f}, {y / 1000:.2f}) km, {z:.0f} m", TEXT))
            out.append(
                (
                    f"  value {float(sc.st['gnd_value'][i]):.2f}   known to attacker: "
                    f"{'yes' if fr['known'][f, i] else 'no'}",
                    TEXT,
                )
            )
            if k == Lo.RADAR:
                r = int(sc.radar_of_g[i])
                n_tracks = int(sc.radar_tracks(f)[r].sum())
                emitting = "emitting" if fr["radar_emit"][f, r] else "silent"
                rng = float(sc.st["radar_range"][r]) / 1000
                out.append((f"  {emitting}, {n_tracks} tracks, range {rng:.1f} km", TEXT))
            elif k == Lo.LAUNCHER:
                lidx = int(sc.launcher_of_g[i])
                lo, hi = (float(v) / 1000 for v in sc.st["launcher_range"][lidx])
                out.append(
                    (
                        f"  stock {int(fr['stock'][f, lidx])} / {int(sc.st['stock0'][lidx])}, "
                        f"reload {float(fr['reload_left'][f, lidx]):.1f} s",
                        TEXT,
                    )
                )
                fed = "fed by a radar" if fr["radar_conn"][f, :, lidx].any() else "no radar feed"
                out.append((f"  range {lo:.1f}-{hi:.1f} km, {fed}", TEXT))
        return out

    def draw_panel(self, target: pygame.Surface, rect: pygame.Rect, frame: int) -> None:
        """HUD, selected unit and event log of `frame` into `rect`."""
        if rect.w < 40 or rect.h < 40:
            return
        pygame.draw.rect(target, PANEL_BG, rect)
        pygame.draw.line(target, PANEL_LINE, rect.topleft, rect.bottomleft, 1)
        clip = target.get_clip()
        target.set_clip(rect)
        try:
            sc = self.scene
            f = sc.clamp(frame)
            wide = rect.w > 1.6 * rect.h
            hud_rect = rect.copy()
            log_rect = rect.copy()
            if wide:
                hud_rect.w = rect.w // 2
                log_rect.x, log_rect.w = rect.x + rect.w // 2, rect.w - rect.w // 2
            x, y = hud_rect.x + 10, hud_rect.y + 8
            target.blit(self.text(sc.title, TEXT, self.big), (x, y))
            y += 22
            if sc.players:
                target.blit(self.text(sc.players, DIM, self.small), (x, y))
                y += 15
            hud = self.hud_lines(f)
            font = self.font
            if y + len(hud) * (font.get_linesize() + 1) > hud_rect.bottom:
                font = self.small  # a short panel (panes side by side)
            lh = font.get_linesize() + 1
            cols = _hud_columns(hud_rect.w - 20)
            for line, col in hud:
                if isinstance(line, str):
                    target.blit(self.text(line, col, font), (x, y))
                else:
                    target.blit(self.text(line[0], col, font), (x, y))
                    for cell, cx in zip(line[1:], cols, strict=False):
                        if cell:
                            txt = self.text(cell, col, font)
                            target.blit(txt, (x + cx - txt.get_width(), y))
                y += lh
            details = self.detail_lines(f)
            if details:
                y += 4
                pygame.draw.line(target, PANEL_LINE, (hud_rect.x + 6, y), (hud_rect.right - 6, y))
                y += 5
                for line, col in details:
                    target.blit(self.text(line, col, self.small), (x, y))
                    y += 14
            if wide:
                y = log_rect.y + 8
                x = log_rect.x + 10
            else:
                y += 6
            pygame.draw.line(target, PANEL_LINE, (log_rect.x + 6, y), (log_rect.right - 6, y))
            y += 4
            self._draw_log(target, pygame.Rect(log_rect.x, y, log_rect.w, log_rect.bottom - y), f)
        finally:
            target.set_clip(clip)

    def _draw_log(self, target: pygame.Surface, rect: pygame.Rect, f: int) -> None:
        sc = self.scene
        x = rect.x + 10
        target.blit(self.text(self.log_title, DIM, self.small), (x, rect.y))
        lh = self.small.get_linesize() + 1
        n_lines = max((rect.h - 18) // lh, 0)
        if n_lines <= 0:
            return
        if self.log_lines is not None:
            y = rect.y + 16
            for line, col in self.log_lines[:n_lines]:
                target.blit(self.text(line, col, self.small), (x, y))
                y += lh
            return
        end = sc.events_until(f)
        cur_lo, _ = sc.event_rows(f)
        events = sc.fr["events"]
        if self.options.log_detections:
            rows = range(max(end - n_lines, 0), end)
        else:
            lo = max(end - 40 * n_lines, 0)  # enough rows to fill the log, mostly
            keep = np.flatnonzero(events[lo:end, 1] != Lo.EV_DETECT) + lo
            rows = keep[-n_lines:].tolist()
        y = rect.y + 16
        for row in rows:
            kind = int(events[row, 1])
            col = EVENT_COLOURS.get(kind, TEXT)
            if row < cur_lo:
                col = tuple(int(c * 0.62) for c in col)
            target.blit(self.text(sc.event_text(row), col, self.small), (x, y))
            y += lh
        if end == 0:
            target.blit(self.text("(none yet)", FAINT, self.small), (x, y))


def _hud_columns(width: int) -> list[int]:
    """Right edges (px from the text's left) of the HUD table's number columns."""
    w = max(width, 200)
    return [int(w * f) for f in (0.62, 0.76, 0.88, 1.0)]


def _dashed(
    target: pygame.Surface,
    colour: tuple[int, int, int],
    p0: tuple[float, float],
    p1: tuple[float, float],
    dash: float = 7.0,
) -> None:
    x0, y0 = float(p0[0]), float(p0[1])
    dx, dy = float(p1[0]) - x0, float(p1[1]) - y0
    d = math.hypot(dx, dy)
    if d < 1.0:
        return
    n = min(int(d / dash), 400)
    if n < 2:
        pygame.draw.line(target, colour, (x0, y0), p1, 1)
        return
    ux, uy = dx / n, dy / n
    for k in range(0, n, 2):
        pygame.draw.line(
            target, colour, (x0 + ux * k, y0 + uy * k), (x0 + ux * (k + 1), y0 + uy * (k + 1)), 1
        )


# --------------------------------------------------------------------------------------
# The timeline
# --------------------------------------------------------------------------------------
_TICKS = (
    (Lo.EV_LAUNCH, (120, 124, 134), 0.35),
    (Lo.EV_FIRE, ENGAGE, 0.5),
    (Lo.EV_INTERCEPT_KILL, KILL, 0.8),
    (Lo.EV_PD_KILL, KILL, 0.8),
    (Lo.EV_HIT, (255, 150, 60), 1.0),
    (Lo.EV_GROUND_KILL, (255, 120, 40), 1.0),
)
_timeline_cache: dict[tuple, pygame.Surface] = {}


def timeline_geometry(rect: pygame.Rect) -> pygame.Rect:
    """The bar of the timeline inside its rect (where clicks map to frames)."""
    return pygame.Rect(rect.x + 12, rect.y + 8, max(rect.w - 24 - 230, 20), rect.h - 16)


def frame_at(rect: pygame.Rect, total: int, mx: float) -> int:
    """The frame under x = mx on the timeline in `rect`."""
    bar = timeline_geometry(rect)
    u = (mx - bar.x) / max(bar.w, 1)
    return int(np.clip(round(u * (total - 1)), 0, max(total - 1, 0)))


def draw_timeline(
    target: pygame.Surface,
    rect: pygame.Rect,
    renderers: list[Renderer],
    frame: int,
    total: int,
    status: str = "",
) -> None:
    """The episode bar with event ticks (one row per pane), the playhead and `status`."""
    pygame.draw.rect(target, PANEL_BG, rect)
    pygame.draw.line(target, PANEL_LINE, rect.topleft, rect.topright, 1)
    bar = timeline_geometry(rect)
    total = max(int(total), 1)
    key = (bar.size, total, tuple((id(r.scene), r.scene.frames) for r in renderers))
    surf = _timeline_cache.get(key)
    if surf is None:
        if len(_timeline_cache) > 16:
            _timeline_cache.clear()
        surf = pygame.Surface(bar.size)
        surf.fill((40, 43, 52))
        rows = max(len(renderers), 1)
        rh = bar.h / rows
        for k, r in enumerate(renderers):
            sc = r.scene
            ev = sc.fr["events"]
            if len(ev) == 0:
                continue
            frames_of = np.searchsorted(sc.fr["event_index"], np.arange(len(ev)), side="right") - 1
            kinds = ev[:, 1].astype(np.int64)
            for kind, col, hfrac in _TICKS:
                fs = np.unique(frames_of[kinds == kind])
                xs = np.round(fs / max(total - 1, 1) * (bar.w - 1)).astype(np.int64)
                y1 = (k + 1) * rh
                y0 = y1 - rh * hfrac
                for xx in np.unique(xs).tolist():
                    pygame.draw.line(surf, col, (xx, y0), (xx, y1 - 1), 1)
            if rows > 1 and k:
                pygame.draw.line(surf, PANEL_LINE, (0, k * rh), (bar.w, k * rh), 1)
        _timeline_cache[key] = surf
    target.blit(surf, bar.topleft)
    u = int(frame) / max(total - 1, 1)
    px = bar.x + u * (bar.w - 1)
    pygame.draw.rect(target, (110, 110, 120), bar, 1)
    pygame.draw.line(target, HILITE, (px, bar.y - 3), (px, bar.bottom + 2), 2)
    if renderers:
        r0 = renderers[0]
        txt = r0.text(status or f"frame {frame} / {total - 1}", TEXT, r0.font)
        target.blit(txt, (bar.right + 12, rect.centery - txt.get_height() / 2))
