"""The timeline under the panes: the episode as a bar with kill / hit / launch ticks (one
row per pane, cached), the playhead and a status line; and the frame under a click."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pygame

from aerena.envs.airdefense import layout as Lo
from aerena.viz.palette import ENGAGE, HILITE, KILL, PANEL_BG, PANEL_LINE, TEXT
from aerena.viz.scene import Scene
from aerena.viz.surfaces import Fonts

__all__ = ["draw_timeline", "frame_at", "timeline_geometry"]

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
    scenes: Sequence[Scene],
    frame: int,
    total: int,
    fonts: Fonts,
    status: str = "",
) -> None:
    """The episode bar with event ticks (one row per pane), the playhead and `status`."""
    pygame.draw.rect(target, PANEL_BG, rect)
    pygame.draw.line(target, PANEL_LINE, rect.topleft, rect.topright, 1)
    bar = timeline_geometry(rect)
    total = max(int(total), 1)
    key = (bar.size, total, tuple((id(sc), sc.frames) for sc in scenes))
    surf = _timeline_cache.get(key)
    if surf is None:
        if len(_timeline_cache) > 16:
            _timeline_cache.clear()
        surf = pygame.Surface(bar.size)
        surf.fill((40, 43, 52))
        rows = max(len(scenes), 1)
        rh = bar.h / rows
        for k, sc in enumerate(scenes):
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
    if scenes:
        txt = fonts.text(status or f"frame {frame} / {total - 1}", TEXT, fonts.font)
        target.blit(txt, (bar.right + 12, rect.centery - txt.get_height() / 2))
