"""The map's background layer: terrain as a hillshade over a height tint, the radar
coverage with terrain masking (the world's `visibility_map` kernel), and their composite
scaled for the current camera, all cached between frames."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pygame

from aerena.envs.airdefense.terrain import visibility_map
from aerena.viz.camera import Camera, Transform
from aerena.viz.options import ViewOptions
from aerena.viz.palette import BG, COVERAGE, COVERAGE_SILENT
from aerena.viz.scene import Scene
from aerena.viz.surfaces import display_format, grid_surface, smoothscale

__all__ = ["Layer", "MapBackground", "blit_layer", "terrain_rgb"]


@dataclass
class Layer:
    """A picture over a world box (x0, y0, x1, y1) in metres; north at the top."""

    surface: pygame.Surface
    box: tuple[float, float, float, float]
    scaled: dict[tuple[int, int], pygame.Surface] = field(default_factory=dict)


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


class MapBackground:
    """Terrain and coverage of one scene, and their composite for the current camera."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self._terrain: Layer | None = None
        self._vis: dict[tuple[int, float], np.ndarray] = {}
        self._coverage: OrderedDict[tuple, Layer | None] = OrderedDict()
        self._composite: OrderedDict[tuple, pygame.Surface] = OrderedDict()

    def terrain_layer(self) -> Layer:
        if self._terrain is None:
            sc = self.scene
            rgb = terrain_rgb(sc.heights, sc.cell)
            ny, nx = sc.heights.shape
            half = sc.cell / 2.0
            box = (-half, -half, (nx - 1) * sc.cell + half, (ny - 1) * sc.cell + half)
            self._terrain = Layer(display_format(grid_surface(rgb), False), box)
        return self._terrain

    def visibility(self, r: int, agl: float) -> np.ndarray:
        """[ny, nx] bool: grid points where a target `agl` m above ground is seen by radar r
        within its range (terrain masking by the world's `visibility_map` kernel)."""
        key = (int(r), float(agl))
        vis = self._vis.get(key)
        if vis is None:
            sc = self.scene
            g = int(sc.radar_g[r])
            x0, y0, zg = (float(v) for v in sc.gnd_pos[g])
            z0 = zg + float(sc.extras.radar_mast[r])
            rng = float(sc.st["radar_range"][r])
            vis = np.zeros(sc.heights.shape, dtype=np.bool_)
            visibility_map(sc.heights, sc.cell, x0, y0, z0, float(agl), rng, vis)
            self._vis[key] = vis
        return vis

    def coverage_layer(self, frame: int, opt: ViewOptions) -> tuple[tuple, Layer | None]:
        """The coverage picture of the radars alive at `frame` (emitting ones brighter)."""
        sc = self.scene
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
            layer = Layer(display_format(grid_surface(rgba), True), box)
        self._coverage[key] = layer
        while len(self._coverage) > 6:
            self._coverage.popitem(last=False)
        return key, layer

    def surface(
        self, rect: pygame.Rect, t: Transform, camera: Camera, frame: int, opt: ViewOptions
    ) -> pygame.Surface:
        """Terrain (+ coverage) scaled for the camera: one cached Surface of rect's size."""
        cov_key: tuple | None = None
        cov_layer = None
        if opt.coverage and self.scene.R > 0:
            cov_key, cov_layer = self.coverage_layer(frame, opt)
        key = (rect.size, camera.key(), cov_key)
        surf = self._composite.get(key)
        if surf is not None:
            self._composite.move_to_end(key)
            return surf
        surf = display_format(pygame.Surface(rect.size), False)
        surf.fill(BG)
        local = pygame.Rect(0, 0, rect.w, rect.h)
        blit_layer(surf, self.terrain_layer(), t, rect)
        if cov_layer is not None:
            blit_layer(surf, cov_layer, t, rect)
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


def blit_layer(target: pygame.Surface, layer: Layer, t: Transform, rect: pygame.Rect) -> None:
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
            scaled = smoothscale(layer.surface, key)
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
    target.blit(smoothscale(sub, size), (int(round(sx)), int(round(sy))))
