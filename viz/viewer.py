"""The interactive replay viewer: a pygame window on one or more recorded episodes.

    aerena replay FILE            # one episode
    aerena replay A B             # two episodes side by side, one playhead

Every key is listed by `h` in the window (and in :data:`KEYS`). Mouse: wheel zooms at the
cursor, dragging the map pans it, a click selects the unit under the cursor (details in
the panel; a click on empty ground clears it), a click or drag on the timeline seeks.

:class:`Viewer` is also the frame source of the video export (:mod:`.export`): with
`window=False` it draws into an offscreen Surface, so exported frames are the frames the
window shows. Tests drive it headless (`SDL_VIDEODRIVER=dummy`) by posting key and mouse
events and calling :meth:`Viewer.tick`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import pygame

from aerena.viz.branch import BranchJob
from aerena.viz.camera import Camera, pane_layout
from aerena.viz.options import COVERAGE_HEIGHTS, FOG_MODES, ViewOptions
from aerena.viz.palette import BG, HILITE, TEXT
from aerena.viz.render import Renderer
from aerena.viz.scene import Scene
from aerena.viz.timeline import draw_timeline, frame_at, timeline_geometry

__all__ = ["KEYS", "SPEEDS", "Viewer"]

KEYS: tuple[tuple[str, str], ...] = (
    ("space", "play / pause"),
    ("left / right", "one step back / forward"),
    ("shift + left / right", "ten steps back / forward"),
    ("home / end", "first / last frame"),
    ("+ / -", "faster / slower playback"),
    ("c", "radar coverage with terrain masking"),
    ("[ / ]", "coverage height above ground: lower / higher"),
    ("j", "jamming cones"),
    ("l", "command links (radar - command post - launcher)"),
    ("e", "engagement lines (launcher -> target)"),
    ("i", "interceptors in flight"),
    ("t", "trails"),
    ("x", "event flashes on the map"),
    ("n", "labels (names, altitude above ground)"),
    ("d", "radar detections in the event log"),
    ("v", "view: ground truth / attacker's / defender's (fog of war)"),
    ("b", "what if: play 3 futures from this frame, side by side (recorded players)"),
    ("0", "reset zoom and pan"),
    ("s", "screenshot (PNG in the screenshot folder)"),
    ("h", "this help"),
    ("q / esc", "quit"),
    ("mouse wheel", "zoom at the cursor"),
    ("drag the map", "pan"),
    ("click a unit", "select it: details in the panel"),
    ("click / drag the timeline", "seek"),
)

BRANCHES = 3  # futures played by key b (with the original: four panes)

SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)
"""Playback speeds, in recorded steps per second of wall time."""

_TOGGLES = {
    pygame.K_c: "coverage",
    pygame.K_j: "jamming",
    pygame.K_l: "links",
    pygame.K_e: "engagements",
    pygame.K_i: "interceptors",
    pygame.K_t: "trails",
    pygame.K_x: "events",
    pygame.K_n: "labels",
    pygame.K_d: "log_detections",
}


class Viewer:
    """A window (or an offscreen Surface) on `scenes`, drawn side by side, one playhead."""

    def __init__(
        self,
        scenes: Sequence[Scene],
        size: tuple[int, int] = (1280, 800),
        *,
        window: bool = True,
        options: ViewOptions | None = None,
        screenshot_dir: str | os.PathLike[str] = ".",
        speed: float = 20.0,
        start: int = 0,
        playing: bool = False,
        timeline: bool = True,
    ) -> None:
        if not scenes:
            raise ValueError("the viewer needs at least one scene")
        self.scenes = list(scenes)
        base = options or ViewOptions()
        self.renderers = [Renderer(sc, base.copy()) for sc in self.scenes]
        self.total = max(sc.total_frames for sc in self.scenes)
        self.frame = float(min(max(int(start), 0), self.total - 1))
        self.playing = bool(playing)
        self.speed_index = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - float(speed)))
        self.screenshot_dir = Path(screenshot_dir)
        self.show_help = False
        self.timeline = timeline
        self.running = True
        self.window = window
        self.size = (int(size[0]), int(size[1]))
        same_map = len({(sc.width, sc.height) for sc in self.scenes}) == 1
        shared = Camera()
        self.cameras = [shared if same_map else Camera() for _ in self.scenes]
        self._drag: tuple[int, tuple[int, int]] | None = None  # (pane, press position)
        self._dragging = False
        self._seeking = False
        self._dirty = True
        self.screenshots: list[Path] = []
        self.branch_job: BranchJob | None = None
        self.message = ""  # the latest branch outcome or error, in the status line
        if window:
            pygame.display.init()
            flags = pygame.RESIZABLE
            self.surface = pygame.display.set_mode(self.size, flags)
            names = " | ".join(sc.title for sc in self.scenes)
            pygame.display.set_caption(f"aerena replay - {names}")
        else:
            self.surface = pygame.Surface(self.size)
        self.clock = pygame.time.Clock()
        self._layout()

    # ------------------------------------------------------------------ geometry
    def _layout(self) -> None:
        self.panes, self.timeline_rect = pane_layout(
            self.surface.get_size(), len(self.scenes), self.timeline
        )

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    @property
    def current(self) -> int:
        """The playhead's frame."""
        return int(math.floor(self.frame + 1e-9))

    def seek(self, frame: float) -> None:
        self.frame = float(min(max(frame, 0.0), self.total - 1))
        self._dirty = True

    def _pane_at(self, pos: tuple[int, int]) -> int | None:
        for k, (map_rect, _) in enumerate(self.panes):
            if map_rect.collidepoint(pos):
                return k
        return None

    def _linked(self, k: int) -> list[int]:
        """Panes sharing pane k's camera."""
        return [j for j, cam in enumerate(self.cameras) if cam is self.cameras[k]]

    # ------------------------------------------------------------------ events
    def handle(self, ev: pygame.event.Event) -> None:
        """React to one pygame event."""
        self._dirty = True
        if ev.type == pygame.QUIT:
            self.running = False
        elif ev.type == pygame.KEYDOWN:
            self._key(ev)
        elif ev.type == pygame.VIDEORESIZE and self.window:
            self.size = (max(int(ev.w), 320), max(int(ev.h), 240))
            self.surface = pygame.display.set_mode(self.size, pygame.RESIZABLE)
            self._layout()
        elif ev.type == pygame.MOUSEWHEEL:
            pos = getattr(ev, "pos", None) or pygame.mouse.get_pos()
            k = self._pane_at(pos)
            if k is None:
                k = 0
                pos = self.panes[0][0].center
            factor = 1.25 ** float(ev.y)
            cam, rect = self.cameras[k], self.panes[k][0]
            cam.zoom_at(rect, self.scenes[k], factor, pos[0], pos[1])
        elif ev.type == pygame.MOUSEBUTTONDOWN and ev.button == 1:
            if self.timeline_rect is not None and self.timeline_rect.collidepoint(ev.pos):
                self._seeking = True
                self.seek(frame_at(self.timeline_rect, self.total, ev.pos[0]))
            else:
                k = self._pane_at(ev.pos)
                if k is not None:
                    self._drag = (k, ev.pos)
                    self._dragging = False
        elif ev.type == pygame.MOUSEMOTION:
            if self._seeking and self.timeline_rect is not None:
                self.seek(frame_at(self.timeline_rect, self.total, ev.pos[0]))
            elif self._drag is not None:
                k, start = self._drag
                if not self._dragging:
                    moved = abs(ev.pos[0] - start[0]) + abs(ev.pos[1] - start[1])
                    if moved < 4:
                        return
                    self._dragging = True
                    dx, dy = ev.pos[0] - start[0], ev.pos[1] - start[1]
                else:
                    dx, dy = ev.rel
                self.cameras[k].pan(self.panes[k][0], self.scenes[k], dx, dy)
        elif ev.type == pygame.MOUSEBUTTONUP and ev.button == 1:
            if self._seeking:
                self._seeking = False
            elif self._drag is not None:
                k, _ = self._drag
                if not self._dragging:
                    self.select_at(k, ev.pos)
                self._drag = None
                self._dragging = False

    def select_at(self, k: int, pos: tuple[int, int]) -> tuple[str, int] | None:
        """Select the unit under `pos` in pane k (None clears the selection)."""
        r = self.renderers[k]
        hit = r.pick(self.panes[k][0], self.cameras[k], self.current, pos[0], pos[1])
        r.options.selected = hit
        return hit

    def _key(self, ev: pygame.event.Event) -> None:
        key = ev.key
        mod = getattr(ev, "mod", 0)
        shift = bool(mod & pygame.KMOD_SHIFT)
        uni = getattr(ev, "unicode", "")
        if key in (pygame.K_q, pygame.K_ESCAPE):
            if self.show_help and key == pygame.K_ESCAPE:
                self.show_help = False
            else:
                self.running = False
        elif key == pygame.K_SPACE:
            if not self.playing and self.current >= self.total - 1:
                self.seek(0)
            self.playing = not self.playing
        elif key in (pygame.K_RIGHT, pygame.K_LEFT):
            n = 10 if shift else 1
            self.playing = False
            self.seek(self.current + (n if key == pygame.K_RIGHT else -n))
        elif key == pygame.K_HOME:
            self.seek(0)
        elif key == pygame.K_END:
            self.seek(self.total - 1)
        elif (
            key in (pygame.K_PLUS, pygame.K_KP_PLUS)
            or uni == "+"
            or (key == pygame.K_EQUALS and shift)
        ):
            self.speed_index = min(self.speed_index + 1, len(SPEEDS) - 1)
        elif key in (pygame.K_MINUS, pygame.K_KP_MINUS) or uni == "-":
            self.speed_index = max(self.speed_index - 1, 0)
        elif key == pygame.K_EQUALS:
            self.speed_index = min(self.speed_index + 1, len(SPEEDS) - 1)
        elif key in _TOGGLES:
            name = _TOGGLES[key]
            value = not getattr(self.renderers[0].options, name)
            for r in self.renderers:
                setattr(r.options, name, value)
        elif key in (pygame.K_LEFTBRACKET, pygame.K_RIGHTBRACKET):
            cur = self.renderers[0].options.coverage_agl
            k = min(range(len(COVERAGE_HEIGHTS)), key=lambda j: abs(COVERAGE_HEIGHTS[j] - cur))
            k += 1 if key == pygame.K_RIGHTBRACKET else -1
            k = min(max(k, 0), len(COVERAGE_HEIGHTS) - 1)
            for r in self.renderers:
                r.options.coverage_agl = COVERAGE_HEIGHTS[k]
                r.options.coverage = True
        elif key == pygame.K_v:
            cur = self.renderers[0].options.fog
            nxt = FOG_MODES[(FOG_MODES.index(cur) + 1) % len(FOG_MODES)]
            for r in self.renderers:
                r.options.fog = nxt
        elif key in (pygame.K_0, pygame.K_KP0):
            for sc, cam in zip(self.scenes, self.cameras, strict=True):
                cam.fit(sc)
        elif key == pygame.K_s:
            path = self.screenshot()
            print(f"screenshot: {path}", flush=True)
        elif key == pygame.K_h:
            self.show_help = not self.show_help
        elif key == pygame.K_b:
            self.branch()

    # ------------------------------------------------------------------ what if (key b)
    def branch(self, n: int = BRANCHES) -> BranchJob | None:
        """Play `n` futures of the first pane's episode from the current frame, in the
        background; they replace any earlier futures, beside the original, when done."""
        if self.branch_job is not None and not self.branch_job.done:
            return None
        self.playing = False
        self.branch_job = BranchJob(self.scenes[0], self.current, n)
        self.message = f"what if: playing {n} futures from step {self.current} ..."
        return self.branch_job

    def _branch_finished(self) -> None:
        job, self.branch_job = self.branch_job, None
        assert job is not None
        if job.error is not None:
            self.message = f"what if: {job.error}"
            return
        options = self.renderers[0].options
        self.scenes = [self.scenes[0], *job.scenes]
        self.renderers = [Renderer(sc, options.copy()) for sc in self.scenes]
        self.cameras = [self.cameras[0]] * len(self.scenes)
        self.total = max(sc.total_frames for sc in self.scenes)
        self._layout()
        self.message = f"what if: {len(job.scenes)} futures from step {job.at}"

    # ------------------------------------------------------------------ time
    def update(self, dt: float) -> None:
        """Advance the playhead by `dt` seconds of wall time when playing."""
        if not self.playing:
            return
        self.frame = min(self.frame + self.speed * float(dt), float(self.total - 1))
        self._dirty = True
        if self.frame >= self.total - 1:
            self.playing = False

    # ------------------------------------------------------------------ drawing
    def status_text(self) -> str:
        state = "playing" if self.playing else "paused"
        return f"{state}  {self.speed:g} steps/s   {self.current} / {self.total - 1}"

    def draw(self) -> pygame.Surface:
        """Draw the current frame into the window's (or offscreen) surface."""
        surf = self.surface
        surf.fill(BG)
        f = self.current
        for k, r in enumerate(self.renderers):
            map_rect, panel_rect = self.panes[k]
            r.draw_map(surf, map_rect, f, self.cameras[k])
            r.draw_panel(surf, panel_rect, f)
            if len(self.renderers) > 1 and f >= r.scene.frames:
                ended = r.text("episode over", HILITE, r.big)
                surf.blit(ended, (map_rect.centerx - ended.get_width() // 2, map_rect.y + 40))
        if self.timeline_rect is not None:
            scenes = [r.scene for r in self.renderers]
            fonts = self.renderers[0].fonts
            draw_timeline(
                surf, self.timeline_rect, scenes, f, self.total, fonts, self.status_text()
            )
        if self.message:  # what if (key b): running, done, or why it could not branch
            r = self.renderers[0]
            txt = r.text(self.message, HILITE)
            box = pygame.Rect(0, 0, min(txt.get_width() + 16, surf.get_width()), 26)
            box.midtop = (surf.get_width() // 2, 36)
            pygame.draw.rect(surf, BG, box)
            surf.blit(txt, (box.x + 8, box.y + 5))
        if self.show_help:
            self._draw_help(surf)
        self._dirty = False
        return surf

    def _draw_help(self, surf: pygame.Surface) -> None:
        r = self.renderers[0]
        lh = r.font.get_linesize() + 3
        w = min(620, surf.get_width() - 40)
        h = min(lh * (len(KEYS) + 2) + 16, surf.get_height() - 40)
        box = pygame.Surface((w, h), pygame.SRCALPHA)
        box.fill((10, 12, 16, 228))
        surf.blit(box, ((surf.get_width() - w) // 2, (surf.get_height() - h) // 2))
        x0 = (surf.get_width() - w) // 2 + 18
        y = (surf.get_height() - h) // 2 + 10
        surf.blit(r.text("keys and mouse  (h closes)", HILITE, r.big), (x0, y))
        y += lh + 6
        for keys, what in KEYS:
            surf.blit(r.text(keys, HILITE), (x0, y))
            surf.blit(r.text(what, TEXT), (x0 + 200, y))
            y += lh

    def screenshot(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Save the current window contents as a PNG (default: the screenshot folder)."""
        if self._dirty or self.show_help:
            self.draw()
        if path is None:
            self.screenshot_dir.mkdir(parents=True, exist_ok=True)
            sc = self.scenes[0]
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(sc.meta.get("scenario", "replay")))
            step = int(sc.fr["step"][sc.clamp(self.current)])
            base = self.screenshot_dir / f"{stem}_seed{sc.meta.get('seed', 0)}_step{step:05d}"
            out = Path(f"{base}.png")
            n = 1
            while out.exists():
                out = Path(f"{base}-{n}.png")
                n += 1
        else:
            out = Path(path)
            out.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.surface, str(out))
        self.screenshots.append(out)
        return out

    # ------------------------------------------------------------------ loop
    def tick(self, dt: float | None = None) -> bool:
        """Handle pending events, advance `dt` seconds (measured when None), draw, show.

        Returns False once the viewer was asked to quit.
        """
        for ev in pygame.event.get():
            self.handle(ev)
        if self.branch_job is not None and self.branch_job.done:
            self._branch_finished()
            self._dirty = True
        if dt is None:
            dt = self.clock.tick(60) / 1000.0
        self.update(dt)
        if not self.running:
            return False
        if self._dirty:
            self.draw()
            if self.window:
                pygame.display.flip()
        return self.running

    def run(self, quit_after: float | None = None) -> None:
        """The window's main loop, until quit (or `quit_after` seconds)."""
        elapsed = 0.0
        self.clock.tick()
        while True:
            dt = self.clock.tick(60) / 1000.0
            elapsed += dt
            if not self.tick(dt):
                break
            if quit_after is not None and elapsed >= quit_after:
                break
        self.close()

    def close(self) -> None:
        if self.window and pygame.display.get_init():
            pygame.display.quit()

    # for the export and the benchmark
    def frame_surface(self, frame: int) -> pygame.Surface:
        """Draw `frame` and return the surface (the help overlay is not drawn)."""
        help_on, self.show_help = self.show_help, False
        self.seek(frame)
        surf = self.draw()
        self.show_help = help_on
        return surf


def timeline_point(viewer: Viewer, frame: int) -> tuple[int, int]:
    """The window position of `frame` on the viewer's timeline (for scripted clicks)."""
    assert viewer.timeline_rect is not None
    bar = timeline_geometry(viewer.timeline_rect)
    u = frame / max(viewer.total - 1, 1)
    return int(round(bar.x + u * (bar.w - 1))), bar.centery
