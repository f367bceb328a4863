"""The map's units layer: ground units by kind and state, air units by role, altitude band
and heading (wrecks where they fell), the defender's track brackets, labels, the selection
ring; and picking the unit under the mouse."""

from __future__ import annotations

import math

import numpy as np
import pygame

from aerena.envs.airdefense import layout as Lo
from aerena.viz.camera import Transform
from aerena.viz.frame import MapFrame
from aerena.viz.palette import ALT_COLOURS, ALT_EDGES, HILITE, N_HEADING, TRACK
from aerena.viz.scene import Scene
from aerena.viz.sprites import Sprites
from aerena.viz.surfaces import Fonts

__all__ = ["Units", "pick_unit"]


class Units:
    """Draws the units of one scene from its cached sprites."""

    def __init__(self, scene: Scene, sprites: Sprites, fonts: Fonts) -> None:
        self.scene = scene
        self.sprites = sprites
        self.fonts = fonts

    def draw_ground(self, target: pygame.Surface, m: MapFrame) -> None:
        sc = self.scene
        emit = sc.fr["radar_emit"][m.f]
        gx_l, gy_l = m.gx.tolist(), m.gy.tolist()
        blits: list[tuple[pygame.Surface, tuple[float, float]]] = []
        for g in range(sc.G):
            kind = int(sc.gnd_kind[g])
            state = 0
            if not m.g_alive[g]:
                state = 1
            elif kind == Lo.RADAR and emit[int(sc.radar_of_g[g])]:
                state = 2
            spr = self.sprites.get(("gnd", kind, state, bool(m.gnd_ghost[g])))
            hw, hh = spr.get_width() / 2.0, spr.get_height() / 2.0
            blits.append((spr, (gx_l[g] - hw, gy_l[g] - hh)))
        target.fblits(blits)

    def draw_air(
        self, target: pygame.Surface, m: MapFrame, fog: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Wrecks, then flying units (and their track brackets in the defender's view).

        Returns the air units drawn and every air unit's height above ground (m)."""
        sc, fr, f = self.scene, self.scene.fr, m.f
        pos, status, inside_a = m.pos, m.status, m.inside_a
        terrain = sc.terrain_at(pos[:, 0], pos[:, 1])
        agl = pos[:, 2] - terrain
        band = np.clip(np.searchsorted(ALT_EDGES, agl, side="right") - 1, 0, len(ALT_COLOURS) - 1)
        hbin = np.round(fr["air_heading"][f] * (N_HEADING / (2.0 * math.pi))).astype(np.int64)
        hbin %= N_HEADING
        draw = np.flatnonzero(m.active & inside_a)
        wrecks = np.flatnonzero(
            ((status == Lo.KILLED) | (status == Lo.CRASHED) | (status == Lo.EXPENDED)) & inside_a
        )
        blits = []
        is_carrier = sc.air_role == Lo.CARRIER
        role = sc.air_role
        ax_l, ay_l = m.ax.tolist(), m.ay.tolist()
        for a in wrecks.tolist():
            spr = self.sprites.get(("wreck", int(status[a]), bool(is_carrier[a])))
            hw = spr.get_width() / 2.0
            blits.append((spr, (ax_l[a] - hw, ay_l[a] - hw)))
        for a in draw.tolist():
            key = ("air", int(role[a]), int(band[a]), int(hbin[a]), bool(m.air_ghost[a]))
            spr = self.sprites.get(key)
            hw = spr.get_width() / 2.0
            blits.append((spr, (ax_l[a] - hw, ay_l[a] - hw)))
        target.fblits(blits)
        if fog == "defender":  # track brackets
            for a in np.flatnonzero(m.active & inside_a & m.tracked).tolist():
                pygame.draw.rect(target, TRACK, (ax_l[a] - 11, ay_l[a] - 11, 22, 22), 1)
        return draw, agl

    def draw_labels(
        self, target: pygame.Surface, m: MapFrame, drawn: np.ndarray, agl: np.ndarray
    ) -> None:
        """Names of the ground units in view and of the air units drawn (with their height
        above ground); carriers only when more than 25 air units are in view."""
        sc, rect, gx, gy = self.scene, m.rect, m.gx, m.gy
        ax, ay = m.ax.tolist(), m.ay.tolist()
        drawn_air = drawn[~m.air_ghost[drawn]]
        in_view = (gx > rect.left) & (gx < rect.right) & (gy > rect.top) & (gy < rect.bottom)
        ground = np.flatnonzero(in_view & ~m.gnd_ghost)
        if len(ground) <= 40:
            for g in ground.tolist():
                txt = self.fonts.text(sc.ground_names[g], (200, 215, 235), self.fonts.small)
                target.blit(txt, (gx[g] + 10, gy[g] - 4))
        air = [a for a in drawn_air.tolist() if rect.collidepoint(ax[a], ay[a])]
        carriers = [a for a in air if sc.air_role[a] == Lo.CARRIER]
        if len(air) > 25:  # too many to read: carriers only (zoom in for the rest)
            air = carriers
        for a in air:
            alt = int(round(float(agl[a]) / 10.0) * 10)
            txt = self.fonts.text(f"{sc.air_names[a]} {alt}m", (255, 215, 200), self.fonts.small)
            target.blit(txt, (ax[a] + 10, ay[a] + 3))

    def draw_selection(
        self, target: pygame.Surface, m: MapFrame, sel: tuple[str, int] | None
    ) -> None:
        sc = self.scene
        if sel is None:
            return
        kind, i = sel
        if kind == "air" and 0 <= i < sc.A and m.status[i] != Lo.WAITING:
            pygame.draw.circle(target, HILITE, (m.ax[i], m.ay[i]), 15, 2)
        elif kind == "gnd" and 0 <= i < sc.G:
            pygame.draw.circle(target, HILITE, (m.gx[i], m.gy[i]), 15, 2)


def pick_unit(
    scene: Scene, t: Transform, f: int, mx: float, my: float, radius: float = 14.0
) -> tuple[str, int] | None:
    """The unit drawn nearest to (mx, my) within `radius` px: ("air", a) or ("gnd", g)."""
    sc = scene
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
