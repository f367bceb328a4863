"""Where the map sits on the screen: the camera (centre, zoom), its world -> screen
transform (north up) and the rects of a window's panes (map, panel) and timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from aerena.viz.scene import Scene

__all__ = ["Camera", "Transform", "pane_layout"]


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
