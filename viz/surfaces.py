"""Small pygame helpers shared by the renderer's layers: cached text, Surface conversion
and scaling, grid images as Surfaces, dashed lines, Surface -> array."""

from __future__ import annotations

import math

import numpy as np
import pygame

from aerena.viz.palette import TEXT

__all__ = [
    "Fonts",
    "dashed_line",
    "display_ready",
    "display_format",
    "grid_surface",
    "smoothscale",
    "surface_to_array",
]


class Fonts:
    """The renderer's three fonts and a cache of rendered text Surfaces."""

    def __init__(self) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.font = pygame.font.Font(None, 19)
        self.small = pygame.font.Font(None, 16)
        self.big = pygame.font.Font(None, 24)
        self._cache: dict[tuple[str, int, tuple[int, int, int]], pygame.Surface] = {}

    def text(
        self, s: str, colour: tuple[int, int, int] = TEXT, font: pygame.font.Font | None = None
    ) -> pygame.Surface:
        font = font or self.font
        key = (s, id(font), colour)
        surf = self._cache.get(key)
        if surf is None:
            if len(self._cache) > 4000:
                self._cache.clear()
            surf = font.render(s, True, colour)
            self._cache[key] = surf
        return surf


def surface_to_array(surface: pygame.Surface) -> np.ndarray:
    """[H, W, 3] uint8 copy of a Surface's RGB pixels."""
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2))


def display_ready() -> bool:
    return bool(pygame.display.get_init() and pygame.display.get_surface() is not None)


def display_format(surface: pygame.Surface, alpha: bool) -> pygame.Surface:
    """Convert to the display's format when a window exists (faster blits)."""
    if not display_ready():
        return surface
    return surface.convert_alpha() if alpha else surface.convert()


def grid_surface(rgba_or_rgb: np.ndarray) -> pygame.Surface:
    """A Surface from a grid image [ny, nx, C] whose row i is y = i * cell (flipped north-up)."""
    a = np.ascontiguousarray(rgba_or_rgb[::-1])
    ny, nx, c = a.shape
    fmt = "RGBA" if c == 4 else "RGB"
    return pygame.image.frombuffer(a.tobytes(), (nx, ny), fmt).copy()


def smoothscale(surface: pygame.Surface, size: tuple[int, int]) -> pygame.Surface:
    size = (max(int(size[0]), 1), max(int(size[1]), 1))
    if surface.get_bitsize() in (24, 32):
        return pygame.transform.smoothscale(surface, size)
    return pygame.transform.scale(surface, size)


def dashed_line(
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
