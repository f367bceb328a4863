"""``aerena scenario watch FILE``: the layout picture, redrawn whenever the scenario changes.

    aerena scenario watch my_raid.yaml                      # a window
    aerena scenario watch my_raid.yaml --export pictures/   # headless: a PNG per change

A :class:`Watcher` polls the file, every file it `extends` and its terrain height map (by
content, so an edit within the same second counts). On a change it reloads the scenario and
draws its layout with the renderer of ``aerena scenario show --out``
(:func:`~aerena.viz.layout.render_layout`). A scenario that no longer validates gives the
error view instead: the located message (``file:line:col: field ...``) beside the last good
picture, which stays until the file is fixed.

With ``--export DIR`` every change writes ``DIR/<stem>_<k>.png`` (k counts the versions
seen, from 1), atomically, and prints one line: the file, or the first error line.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pygame

from aerena.errors import UserError
from aerena.scenarios.loader import (
    load_scenario_with_source,
    resolve_terrain_path,
    source_files,
)
from aerena.viz.layout import render_layout
from aerena.viz.palette import BG, DIM, KILL, PANEL_BG, TEXT

__all__ = ["Watcher", "error_panes", "located", "save_png", "watch"]

ERROR_SHARE = 0.42  # of the width, for the message in the error view


class Watcher:
    """The current picture of one scenario file; :meth:`poll` reloads it on a change."""

    def __init__(
        self,
        source: str | os.PathLike[str],
        *,
        seed: int = 0,
        size: tuple[int, int] = (1280, 800),
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.source = source
        self.files = source_files(source)
        if not self.files:
            raise UserError(f"scenario file not found: {os.fspath(source)}")
        self.seed, self.size = int(seed), (int(size[0]), int(size[1]))
        self.overrides = dict(overrides or {})
        self.version = 0  # versions seen (reloads)
        self.last_good: pygame.Surface | None = None
        self.error: str | None = None
        self._stamp: tuple[tuple[str, str], ...] | None = None
        self._terrain: Path | None = None

    def watched(self) -> list[Path]:
        """The files whose change triggers a reload."""
        return [*self.files, *([self._terrain] if self._terrain else [])]

    def _fingerprint(self) -> tuple[tuple[str, str], ...]:
        out = []
        for path in self.watched():
            try:
                digest = hashlib.sha1(path.read_bytes()).hexdigest()
            except OSError:
                digest = "missing"
            out.append((str(path), digest))
        return tuple(out)

    def poll(self) -> bool:
        """Reload if any watched file changed since the last poll (the first poll loads)."""
        stamp = self._fingerprint()
        if stamp == self._stamp:
            return False
        self.reload()
        self._stamp = self._fingerprint()  # the extends chain may have changed
        return True

    def reload(self) -> None:
        self.version += 1
        found = source_files(self.source)
        self.files = found or self.files
        try:
            loaded = load_scenario_with_source(self.source, **self.overrides)
            self.last_good = render_layout(loaded.scenario, seed=self.seed, size=self.size)
        except UserError as exc:
            self.error = str(exc).strip()
            return
        self.error = None
        self._terrain = resolve_terrain_path(loaded.scenario, loaded.path)

    def view(self) -> pygame.Surface:
        """The picture, or the error view (message beside the last good picture)."""
        if self.error is None and self.last_good is not None:
            return self.last_good
        surface = pygame.Surface(self.size)
        surface.fill(BG)
        picture, message = error_panes(self.size)
        if self.last_good is not None:
            scaled = pygame.transform.smoothscale(self.last_good, picture.size)
            surface.blit(scaled, picture.topleft)
        else:
            _text_block(surface, picture, ["(no valid version yet)"], DIM)
        pygame.draw.rect(surface, PANEL_BG, message)
        pygame.draw.rect(surface, KILL, message, 2)
        lines = ["SCENARIO ERROR  (last good picture on the left)", ""]
        lines += (self.error or "").splitlines()
        _text_block(surface, message.inflate(-20, -20), lines, TEXT, title=KILL)
        return surface


def error_panes(size: tuple[int, int]) -> tuple[pygame.Rect, pygame.Rect]:
    """(last good picture, message) rectangles of the error view at `size`."""
    w, h = int(size[0]), int(size[1])
    split = int(w * (1.0 - ERROR_SHARE))
    pic_h = int(h * split / max(w, 1))  # the picture keeps its aspect ratio
    picture = pygame.Rect(0, (h - pic_h) // 2, split, pic_h)
    return picture, pygame.Rect(split, 0, w - split, h)


def _text_block(
    surface: pygame.Surface,
    rect: pygame.Rect,
    lines: list[str],
    colour: tuple[int, int, int],
    title: tuple[int, int, int] | None = None,
) -> None:
    if not pygame.font.get_init():
        pygame.font.init()
    font = pygame.font.Font(None, 19)
    y = rect.y
    for k, line in enumerate(lines):
        for part in _wrap(line, font, rect.w):
            if y + font.get_linesize() > rect.bottom:
                return
            c = title if (k == 0 and title is not None) else colour
            surface.blit(font.render(part, True, c), (rect.x, y))
            y += font.get_linesize()


def _wrap(line: str, font: pygame.font.Font, width: int) -> list[str]:
    out, cur = [], ""
    for word in line.split(" "):
        trial = f"{cur} {word}" if cur else word
        if cur and font.size(trial)[0] > width:
            out.append(cur)
            cur = "    " + word
        else:
            cur = trial
    return [*out, cur]


def located(error: str) -> str:
    """The first located line (``file:line:col: ...``) of a loader message, with a count."""
    lines = [ln for ln in error.splitlines() if ln.strip()]
    if len(lines) < 2:
        return lines[0] if lines else error
    more = len(lines) - 2
    return lines[1] + (f" (and {more} more)" if more else "")


def save_png(surface: pygame.Surface, path: str | os.PathLike[str]) -> Path:
    """Write `surface` to `path` as a PNG atomically (a temp file beside it, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    os.close(fd)
    try:
        pygame.image.save(surface, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def watch(
    watcher: Watcher,
    *,
    export: str | os.PathLike[str] | None = None,
    interval: float = 0.5,
    quit_after: float | None = None,
    log: Any = print,
) -> list[Path]:
    """Poll until quit (window closed, Ctrl-C or `quit_after` seconds); return the PNGs."""
    window = None
    if export is None:
        try:
            pygame.display.init()
            window = pygame.display.set_mode(watcher.size)
        except pygame.error as exc:
            raise UserError(f"cannot open a window ({exc}); use --export DIR") from None
        driver = pygame.display.get_driver()
        if driver in ("offscreen", "dummy") and quit_after is None:
            pygame.display.quit()
            raise UserError(
                f"no display to show a window on (SDL video driver {driver!r}); "
                "use --export DIR, or run under a display"
            )
        pygame.display.set_caption(f"aerena scenario watch - {watcher.files[0].name}")
    written: list[Path] = []
    stem = watcher.files[0].name.split(".")[0]
    start = time.monotonic()
    next_poll = start
    shown: pygame.Surface | None = None
    try:
        while quit_after is None or time.monotonic() - start < quit_after or shown is None:
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + interval
                if watcher.poll():
                    shown = watcher.view()
                    first = located(watcher.error) if watcher.error else None
                    if export is not None:
                        out = save_png(shown, Path(export) / f"{stem}_{watcher.version:04d}.png")
                        written.append(out)
                        log(f"{out}: error view: {first}" if first else f"{out}")
                    else:
                        log(f"error: {first}" if first else f"redrawn (version {watcher.version})")
            if window is not None:
                if _quit_asked():
                    break
                if shown is not None:
                    window.blit(shown, (0, 0))
                    pygame.display.flip()
            time.sleep(min(interval, 0.05))
    except KeyboardInterrupt:
        pass
    finally:
        if window is not None:
            pygame.display.quit()
    return written


def _quit_asked() -> bool:
    return any(
        ev.type == pygame.QUIT
        or (ev.type == pygame.KEYDOWN and ev.key in (pygame.K_q, pygame.K_ESCAPE))
        for ev in pygame.event.get()
    )
