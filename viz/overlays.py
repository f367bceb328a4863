"""The map's overlays around the units: range rings, command links, jamming cones,
trails, engagement lines and interceptors (drawn under the units), the launchers fed with
tracks and the radars' track lines, and the event flashes (over the units)."""

from __future__ import annotations

import math

import numpy as np
import pygame

from aerena.envs.airdefense import layout as Lo
from aerena.viz.camera import Transform
from aerena.viz.frame import MapFrame
from aerena.viz.options import ViewOptions
from aerena.viz.palette import (
    COVERAGE,
    COVERAGE_SILENT,
    ENGAGE,
    FED,
    FLASH,
    FLASH_FRAMES,
    INTERCEPTOR,
    JAM,
    LINK,
    LINK_BROKEN,
    ROLE_TRAIL,
    TEXT,
    TRACK_LINE,
)
from aerena.viz.scene import Scene
from aerena.viz.sprites import Sprites
from aerena.viz.surfaces import dashed_line, display_format

__all__ = ["Overlays"]


class Overlays:
    """The overlays of one scene; keeps the translucent effects Surface between frames."""

    def __init__(self, scene: Scene, sprites: Sprites) -> None:
        self.scene = scene
        self.sprites = sprites
        self._fx: pygame.Surface | None = None

    def draw_under(self, target: pygame.Surface, m: MapFrame, opt: ViewOptions) -> None:
        """Range rings, links, jamming cones, trails, engagements: under the units."""
        fr, f = self.scene.fr, m.f
        if opt.coverage:
            self._draw_rings(target, m)
        if opt.links:
            self._draw_links(target, m.gx, m.gy, m.g_alive, m.gnd_ghost)
        fx_used = False  # translucent effects: jamming cones
        if opt.jamming:
            jam = fr["air_jam"][f] & m.active & ~m.air_ghost
            if jam.any():
                fx = self._fx_surface(m.rect)
                fx_used = True
                self._draw_jamming(
                    fx, m.rect, m.t, np.flatnonzero(jam), m.ax, m.ay, fr["air_heading"][f]
                )
        if fx_used and self._fx is not None:
            target.blit(self._fx, m.rect.topleft)
        if opt.trails:
            which = m.active & m.inside_a & ~m.air_ghost
            self._draw_trails(target, m.t, f, which, opt.trail_seconds)
        if opt.engagements or opt.interceptors:
            self._draw_engagements(target, m.t, f, m.ax, m.ay, m.gx, m.gy, opt)

    def draw_feeds(self, target: pygame.Surface, m: MapFrame, opt: ViewOptions) -> None:
        """A green ring on each launcher fed with tracks (with the links overlay) and, in the
        defender's view, a thin line from each radar to the tracks it holds."""
        sc, fr, f = self.scene, self.scene.fr, m.f
        gx, gy, g_alive = m.gx, m.gy, m.g_alive
        gx_l, gy_l = gx.tolist(), gy.tolist()
        if opt.links:
            conn = fr["radar_conn"][f]
            for lidx in range(sc.L):
                g = int(sc.launcher_g[lidx])
                if g_alive[g] and conn[:, lidx].any():
                    pygame.draw.circle(target, FED, (gx[g], gy[g]), 12, 2)
        if opt.fog == "defender":
            held = sc.radar_tracks(f)
            ax_l0, ay_l0 = m.ax.tolist(), m.ay.tolist()
            for r in range(sc.R):
                g = int(sc.radar_g[r])
                if not g_alive[g]:
                    continue
                for a in np.flatnonzero(held[r] & m.active).tolist():
                    pygame.draw.line(target, TRACK_LINE, (gx_l[g], gy_l[g]), (ax_l0[a], ay_l0[a]))

    def _draw_rings(self, target: pygame.Surface, m: MapFrame) -> None:
        """Radar, launcher and point-defence range rings (with the coverage overlay)."""
        sc, f, s = self.scene, m.f, m.t.s
        gx, gy, g_alive, gnd_ghost = m.gx, m.gy, m.g_alive, m.gnd_ghost
        emit = sc.fr["radar_emit"][f]
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

    def _fx_surface(self, rect: pygame.Rect) -> pygame.Surface:
        if self._fx is None or self._fx.get_size() != rect.size:
            self._fx = display_format(pygame.Surface(rect.size, pygame.SRCALPHA), True)
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

    def _draw_trails(
        self, target: pygame.Surface, t: Transform, f: int, which: np.ndarray, seconds: float
    ) -> None:
        sc = self.scene
        if not which.any() or f == 0:
            return
        n_back = max(int(seconds / max(sc.dt, 1e-9)), 1)
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
        opt: ViewOptions,
    ) -> None:
        sc, fr = self.scene, self.scene.fr
        flying = np.flatnonzero(fr["int_status"][f] == Lo.INT_FLYING)
        if len(flying) == 0:
            return
        ipos = fr["int_pos"][f]
        ix, iy = t.to_screen(ipos[:, 0], ipos[:, 1])
        tgt = fr["int_target"][f]
        lau = fr["int_launcher"][f]
        blits = []
        ix_l, iy_l = ix.tolist(), iy.tolist()
        spr = self.sprites.get(("int",))
        hw = spr.get_width() / 2.0
        for i in flying.tolist():
            a, lidx = int(tgt[i]), int(lau[i])
            if opt.engagements and 0 <= lidx < sc.L and 0 <= a < sc.A:
                g = int(sc.launcher_g[lidx])
                dashed_line(target, ENGAGE, (gx[g], gy[g]), (ax[a], ay[a]))
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

    def draw_flashes(self, target: pygame.Surface, m: MapFrame) -> None:
        """Rings growing from the events of the last few frames (kills, hits, launches)."""
        sc, t, f = self.scene, m.t, m.f
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
