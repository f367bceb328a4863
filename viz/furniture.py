"""The map's furniture: scale bar, north arrow, altitude colour legend and the view title
(fog-of-war view, coverage height)."""

from __future__ import annotations

import math

import pygame

from aerena.viz.camera import Transform
from aerena.viz.options import FOG_TITLES, ViewOptions
from aerena.viz.palette import ALT_COLOURS, ALT_EDGES, DIM, HILITE, TEXT
from aerena.viz.scene import Scene
from aerena.viz.surfaces import Fonts, display_format

__all__ = ["Furniture"]


class Furniture:
    """The furniture of one scene's map; keeps the altitude legend between frames."""

    def __init__(self, scene: Scene, fonts: Fonts) -> None:
        self.scene = scene
        self.fonts = fonts
        self._legend: pygame.Surface | None = None

    def draw(
        self, target: pygame.Surface, rect: pygame.Rect, t: Transform, opt: ViewOptions
    ) -> None:
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
        target.blit(self.fonts.text(label, TEXT, self.fonts.small), (x0, y0 - 16))
        # north arrow
        cx, cy = rect.right - 24, rect.top + 30
        pygame.draw.polygon(
            target, TEXT, [(cx, cy - 16), (cx + 7, cy + 6), (cx, cy + 1), (cx - 7, cy + 6)]
        )
        pygame.draw.polygon(
            target, (0, 0, 0), [(cx, cy - 16), (cx + 7, cy + 6), (cx, cy + 1), (cx - 7, cy + 6)], 1
        )
        n = self.fonts.text("N", TEXT, self.fonts.font)
        target.blit(n, (cx - n.get_width() / 2, cy + 8))
        # altitude legend
        legend = self._altitude_legend()
        target.blit(
            legend, (rect.right - legend.get_width() - 8, rect.bottom - legend.get_height() - 8)
        )
        # view title and coverage height
        parts = [FOG_TITLES.get(opt.fog, opt.fog)]
        if opt.coverage and self.scene.R:
            parts.append(f"coverage at {opt.coverage_agl:g} m above ground")
        title = self.fonts.text(
            "  |  ".join(parts), HILITE if opt.fog != "truth" else TEXT, self.fonts.small
        )
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
            surf.blit(self.fonts.text("altitude AGL (m)", TEXT, self.fonts.small), (4, 3))
            for k, col in enumerate(reversed(ALT_COLOURS)):
                band = len(ALT_COLOURS) - 1 - k
                y = 17 + k * lh
                pygame.draw.rect(surf, col, (6, y, sw, lh - 2))
                hi = labels[band + 1] if band + 1 < len(labels) else ""
                txt = f"{labels[band]}-{hi}" if hi else f">= {labels[band]}"
                surf.blit(self.fonts.text(txt, DIM, self.fonts.small), (6 + sw + 6, y))
            self._legend = display_format(surf, False)
        return self._legend
