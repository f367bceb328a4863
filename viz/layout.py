"""A picture of a scenario's initial layout: `aerena scenario show NAME --out layout.png`.

The scenario's world is built and reset with a seed (random placements and parameters are
drawn as in an episode with that seed), and frame 0 is drawn by the replay renderer:
terrain, assets, radars with their terrain-masked coverage, launchers and point defences
with their range rings, command links, carriers. On top: each carrier's launch points (its
position at every launch time; a moving carrier's track as a dashed line) labelled with the
UAVs it launches, and the side panel lists the launch schedule instead of an event log.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pygame

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.world import World
from aerena.errors import UserError
from aerena.viz.camera import Camera, pane_layout
from aerena.viz.options import ViewOptions
from aerena.viz.palette import ATTACKER, BG, DIM, TEXT
from aerena.viz.render import Renderer
from aerena.viz.scene import LiveScene
from aerena.viz.surfaces import dashed_line

__all__ = ["render_layout", "save_layout"]


def render_layout(
    scenario: Any,
    *,
    seed: int = 0,
    size: tuple[int, int] = (1280, 800),
    overrides: dict[str, Any] | None = None,
    coverage_agl: float = 100.0,
) -> pygame.Surface:
    """The layout picture of `scenario` (name, path, mapping or Scenario) as a Surface."""
    world = World(scenario, 1, **(overrides or {}))
    world.reset([int(seed)])
    scene = LiveScene(world, 0)
    options = ViewOptions(trails=False, events=False, coverage_agl=float(coverage_agl))
    renderer = Renderer(scene, options)
    renderer.panel.log_title = "LAUNCH SCHEDULE"
    renderer.panel.log_lines = _schedule_lines(scene)
    surface = pygame.Surface(size)
    surface.fill(BG)
    panes, _ = pane_layout(size, 1, timeline=False)
    map_rect, panel_rect = panes[0]
    camera = Camera()
    renderer.draw_map(surface, map_rect, 0, camera)
    _draw_launch_points(surface, map_rect, camera, renderer, scene)
    renderer.draw_panel(surface, panel_rect, 0)
    return surface


PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tga")  # what pygame.image.save writes


def save_layout(
    scenario: Any,
    out: str | os.PathLike[str],
    *,
    seed: int = 0,
    size: tuple[int, int] = (1280, 800),
    overrides: dict[str, Any] | None = None,
    coverage_agl: float = 100.0,
) -> Path:
    """Write the layout picture of `scenario` to `out` (PNG) and return the path."""
    path = Path(out)
    if path.is_dir():
        raise UserError(f"{path}: is a folder; give the PNG file to write")
    if path.suffix.lower() not in PICTURE_SUFFIXES:
        raise UserError(
            f"{path}: unknown picture type {path.suffix or '(none)'!r}; "
            f"use {', '.join(PICTURE_SUFFIXES)}"
        )
    surface = render_layout(
        scenario, seed=seed, size=size, overrides=overrides, coverage_agl=coverage_agl
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        pygame.image.save(surface, str(path))
    except pygame.error as exc:
        raise UserError(f"{path}: cannot write the picture ({exc})") from None
    return path


def _launches(scene: LiveScene) -> dict[int, list[tuple[float, int]]]:
    """carrier -> [(launch time, uav index)] sorted by time."""
    carrier = np.asarray(scene.st["air_carrier"])
    times = np.asarray(scene.st["air_launch_time"], np.float64)
    out: dict[int, list[tuple[float, int]]] = {}
    for a in np.flatnonzero(carrier >= 0).tolist():
        out.setdefault(int(carrier[a]), []).append((float(times[a]), a))
    for v in out.values():
        v.sort()
    return out


def _schedule_lines(scene: LiveScene) -> list[tuple[str, tuple[int, int, int]]]:
    lines: list[tuple[str, tuple[int, int, int]]] = []
    for c, items in sorted(_launches(scene).items()):
        roles = Counter(Lo.ROLE_NAMES[int(scene.air_role[a])] for _, a in items)
        t0, t1 = items[0][0], items[-1][0]
        what = ", ".join(f"{n} {r}" for r, n in roles.items())
        lines.append((f"{scene.air_names[c]}: {what}", ATTACKER))
        lines.append((f"    launches from t {t0:.0f} s to {t1:.0f} s", DIM))
    if not lines:
        lines.append(("(no launches)", DIM))
    return lines


def _draw_launch_points(
    surface: pygame.Surface,
    rect: pygame.Rect,
    camera: Camera,
    renderer: Renderer,
    scene: LiveScene,
) -> None:
    t = camera.transform(rect, scene)
    pos0 = scene.fr["air_pos"][0]
    vel = scene.extras.carrier_vel
    clip = surface.get_clip()
    surface.set_clip(rect)
    try:
        for c, items in _launches(scene).items():
            x0, y0 = float(pos0[c, 0]), float(pos0[c, 1])
            vx, vy = float(vel[c, 0]), float(vel[c, 1])
            times = np.array([tl for tl, _ in items])
            px, py = t.to_screen(x0 + vx * times, y0 + vy * times)
            cx, cy = t.to_screen(x0, y0)
            if len(times) and (abs(vx) + abs(vy)) > 0:
                dashed_line(
                    surface, ATTACKER, (float(cx), float(cy)), (float(px[-1]), float(py[-1]))
                )
            for k, _ in enumerate(items):
                pygame.draw.circle(surface, ATTACKER, (float(px[k]), float(py[k])), 3, 1)
            roles = Counter(Lo.ROLE_NAMES[int(scene.air_role[a])] for _, a in items)
            label = ", ".join(f"{n} {r}" for r, n in roles.items())
            txt = renderer.text(label, TEXT, renderer.small)
            bg = pygame.Rect(0, 0, txt.get_width() + 6, txt.get_height() + 4)
            bg.topleft = (int(cx) + 12, int(cy) + 14)
            pygame.draw.rect(surface, (0, 0, 0), bg)
            surface.blit(txt, (bg.x + 3, bg.y + 2))
    finally:
        surface.set_clip(clip)
