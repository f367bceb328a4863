"""The side panel: title, HUD table (time, alive counts, asset value, interceptors, score,
tallies), the selected unit's details and the event log up to the playhead (or fixed lines,
e.g. the layout picture's launch schedule)."""

from __future__ import annotations

import math

import numpy as np
import pygame

from aerena.envs.airdefense import layout as Lo
from aerena.viz.options import ViewOptions
from aerena.viz.palette import (
    ASSET,
    ATTACKER,
    DEFENDER,
    DIM,
    EVENT_COLOURS,
    FAINT,
    HILITE,
    PANEL_BG,
    PANEL_LINE,
    TEXT,
)
from aerena.viz.scene import Scene
from aerena.viz.surfaces import Fonts

__all__ = ["Panel"]

Line = tuple[str, tuple[int, int, int]]


class Panel:
    """The panel of one scene; `log_title` / `log_lines` replace the event log when set."""

    def __init__(self, scene: Scene, fonts: Fonts) -> None:
        self.scene = scene
        self.fonts = fonts
        # the panel's lower part: the event log, or fixed lines when log_lines is set
        self.log_title = "EVENTS"
        self.log_lines: list[Line] | None = None

    def hud_lines(self, frame: int) -> list[tuple[str | tuple[str, ...], tuple[int, int, int]]]:
        """The HUD of `frame`: (line or table row, colour) pairs; a row is a tuple of cells
        drawn in columns (name, then numbers right-aligned)."""
        sc, fr = self.scene, self.scene.fr
        f = sc.clamp(frame)
        out: list[tuple[str | tuple[str, ...], tuple[int, int, int]]] = []
        t = float(fr["t"][f])
        step = int(fr["step"][f])
        limit = f" / {sc.max_steps}" if sc.max_steps else ""
        out.append((f"t {t:.1f} s    step {step}{limit}", TEXT))
        status = fr["air_status"][f]
        role = sc.air_role
        out.append((("ATTACKER", "active", "wait", "lost", "all"), ATTACKER))
        for r, name in enumerate(Lo.ROLE_NAMES):
            m = role == r
            tot = int(m.sum())
            if not tot:
                continue
            act = int(np.sum(m & (status == Lo.ACTIVE)))
            wait = int(np.sum(m & (status == Lo.WAITING)))
            lost = int(np.sum(m & (status >= Lo.KILLED) & (status != Lo.LEFT_MAP)))
            out.append(((f"  {name}", str(act), str(wait), str(lost), str(tot)), TEXT))
        out.append((("DEFENDER", "alive", "", "lost", "all"), DEFENDER))
        hp = fr["gnd_hp"][f]
        alive = hp > 0.0
        emit = fr["radar_emit"][f]
        for k, name in enumerate(("asset", "radar", "launcher", "point defence", "cmd post")):
            m = sc.gnd_kind == k
            tot = int(m.sum())
            if not tot:
                continue
            n_alive = int(np.sum(m & alive))
            if k == Lo.RADAR:
                name = f"radar ({int(np.sum(emit & alive[sc.radar_g]))} emitting)"
            out.append(((f"  {name}", str(n_alive), "", str(tot - n_alive), str(tot)), TEXT))
        tally = fr["tally"][f]
        left = sc.asset_total - float(tally[0])
        pct = 100.0 * left / sc.asset_total if sc.asset_total > 0 else 0.0
        out.append((f"asset value left {left:.2f} / {sc.asset_total:.2f} ({pct:.0f}%)", ASSET))
        stock = int(np.sum(fr["stock"][f]))
        flying = int(np.sum(fr["int_status"][f] == Lo.INT_FLYING))
        out.append((f"interceptors left {stock} / {sc.stock_total}, {flying} in flight", TEXT))
        score = np.sum(fr["reward"][: f + 1], axis=0)
        out.append((f"score   attacker {score[0]:+.3f}   defender {score[1]:+.3f}", TEXT))
        out.append(
            (
                f"kills {int(tally[2])}   leakers {int(tally[3])}   "
                f"interceptors used {int(tally[4])}",
                DIM,
            )
        )
        if f == sc.frames - 1 and sc.finished:
            winner = sc.outcome.get("winner", "?")
            how = "terminated" if sc.meta.get("terminated") else "truncated"
            out.append((f"END ({how}): winner {winner}", HILITE))
        return out

    def detail_lines(self, frame: int, sel: tuple[str, int] | None) -> list[Line]:
        """Details of the unit `sel` at `frame` (empty when none is selected)."""
        if sel is None:
            return []
        sc, fr = self.scene, self.scene.fr
        f = sc.clamp(frame)
        kind, i = sel
        out: list[tuple[str, tuple[int, int, int]]] = []
        if kind == "air" and 0 <= i < sc.A:
            x, y, z = (float(v) for v in fr["air_pos"][f, i])
            agl = z - float(sc.terrain_at(np.array([x]), np.array([y]))[0])
            role = Lo.ROLE_NAMES[int(sc.air_role[i])]
            status = Lo.STATUS_NAMES[int(fr["air_status"][f, i])]
            bearing = (90.0 - math.degrees(float(fr["air_heading"][f, i]))) % 360.0
            out.append((f"{sc.air_names[i]}  ({role}, attacker)", HILITE))
            out.append((f"  status {status}   at ({x / 1000:.2f}, {y / 1000:.2f}) km", TEXT))
            out.append((f"  altitude {z:.0f} m ({agl:.0f} m above ground)", TEXT))
            out.append(
                (
                    f"  heading {bearing:03.0f} deg   speed {float(fr['air_speed'][f, i]):.0f} m/s",
                    TEXT,
                )
            )
            flags = []
            if fr["air_jam"][f, i]:
                flags.append("jamming")
            flags.append("tracked by the defender" if fr["tracked"][f, i] else "not tracked")
            out.append(("  " + ", ".join(flags), TEXT))
            carrier = int(sc.st["air_carrier"][i])
            if carrier >= 0:
                launch = float(sc.st["air_launch_time"][i])
                out.append((f"  from {sc.air_names[carrier]} at t {launch:.0f} s", DIM))
        elif kind == "gnd" and 0 <= i < sc.G:
            k = int(sc.gnd_kind[i])
            hp, hp_max = float(fr["gnd_hp"][f, i]), float(sc.st["gnd_hp_max"][i])
            x, y, z = (float(v) for v in sc.gnd_pos[i])
            side = "attacker's target" if k == Lo.ASSET else "defender"
            out.append((f"{sc.ground_names[i]}  ({Lo.KIND_NAMES[k]}, {side})", HILITE))
            state = "destroyed" if hp <= 0 else f"hp {hp:.2f} / {hp_max:.2f}"
            out.append((f"  {state}   at ({x / 1000:.2f}, {y / 1000:.2f}) km, {z:.0f} m", TEXT))
            out.append(
                (
                    f"  value {float(sc.st['gnd_value'][i]):.2f}   known to attacker: "
                    f"{'yes' if fr['known'][f, i] else 'no'}",
                    TEXT,
                )
            )
            if k == Lo.RADAR:
                r = int(sc.radar_of_g[i])
                n_tracks = int(sc.radar_tracks(f)[r].sum())
                emitting = "emitting" if fr["radar_emit"][f, r] else "silent"
                rng = float(sc.st["radar_range"][r]) / 1000
                out.append((f"  {emitting}, {n_tracks} tracks, range {rng:.1f} km", TEXT))
            elif k == Lo.LAUNCHER:
                lidx = int(sc.launcher_of_g[i])
                lo, hi = (float(v) / 1000 for v in sc.st["launcher_range"][lidx])
                out.append(
                    (
                        f"  stock {int(fr['stock'][f, lidx])} / {int(sc.st['stock0'][lidx])}, "
                        f"reload {float(fr['reload_left'][f, lidx]):.1f} s",
                        TEXT,
                    )
                )
                fed = "fed by a radar" if fr["radar_conn"][f, :, lidx].any() else "no radar feed"
                out.append((f"  range {lo:.1f}-{hi:.1f} km, {fed}", TEXT))
        return out

    def draw(self, target: pygame.Surface, rect: pygame.Rect, frame: int, opt: ViewOptions) -> None:
        """HUD, selected unit and event log of `frame` into `rect`."""
        if rect.w < 40 or rect.h < 40:
            return
        pygame.draw.rect(target, PANEL_BG, rect)
        pygame.draw.line(target, PANEL_LINE, rect.topleft, rect.bottomleft, 1)
        clip = target.get_clip()
        target.set_clip(rect)
        try:
            sc = self.scene
            f = sc.clamp(frame)
            wide = rect.w > 1.6 * rect.h
            hud_rect = rect.copy()
            log_rect = rect.copy()
            if wide:
                hud_rect.w = rect.w // 2
                log_rect.x, log_rect.w = rect.x + rect.w // 2, rect.w - rect.w // 2
            x, y = hud_rect.x + 10, hud_rect.y + 8
            target.blit(self.fonts.text(sc.title, TEXT, self.fonts.big), (x, y))
            y += 22
            if sc.players:
                target.blit(self.fonts.text(sc.players, DIM, self.fonts.small), (x, y))
                y += 15
            hud = self.hud_lines(f)
            font = self.fonts.font
            if y + len(hud) * (font.get_linesize() + 1) > hud_rect.bottom:
                font = self.fonts.small  # a short panel (panes side by side)
            lh = font.get_linesize() + 1
            cols = _hud_columns(hud_rect.w - 20)
            for line, col in hud:
                if isinstance(line, str):
                    target.blit(self.fonts.text(line, col, font), (x, y))
                else:
                    target.blit(self.fonts.text(line[0], col, font), (x, y))
                    for cell, cx in zip(line[1:], cols, strict=False):
                        if cell:
                            txt = self.fonts.text(cell, col, font)
                            target.blit(txt, (x + cx - txt.get_width(), y))
                y += lh
            details = self.detail_lines(f, opt.selected)
            if details:
                y += 4
                pygame.draw.line(target, PANEL_LINE, (hud_rect.x + 6, y), (hud_rect.right - 6, y))
                y += 5
                for line, col in details:
                    target.blit(self.fonts.text(line, col, self.fonts.small), (x, y))
                    y += 14
            if wide:
                y = log_rect.y + 8
                x = log_rect.x + 10
            else:
                y += 6
            pygame.draw.line(target, PANEL_LINE, (log_rect.x + 6, y), (log_rect.right - 6, y))
            y += 4
            self._draw_log(
                target, pygame.Rect(log_rect.x, y, log_rect.w, log_rect.bottom - y), f, opt
            )
        finally:
            target.set_clip(clip)

    def _draw_log(
        self, target: pygame.Surface, rect: pygame.Rect, f: int, opt: ViewOptions
    ) -> None:
        sc = self.scene
        x = rect.x + 10
        target.blit(self.fonts.text(self.log_title, DIM, self.fonts.small), (x, rect.y))
        lh = self.fonts.small.get_linesize() + 1
        n_lines = max((rect.h - 18) // lh, 0)
        if n_lines <= 0:
            return
        if self.log_lines is not None:
            y = rect.y + 16
            for line, col in self.log_lines[:n_lines]:
                target.blit(self.fonts.text(line, col, self.fonts.small), (x, y))
                y += lh
            return
        end = sc.events_until(f)
        cur_lo, _ = sc.event_rows(f)
        events = sc.fr["events"]
        if opt.log_detections:
            rows = range(max(end - n_lines, 0), end)
        else:
            lo = max(end - 40 * n_lines, 0)  # enough rows to fill the log, mostly
            keep = np.flatnonzero(events[lo:end, 1] != Lo.EV_DETECT) + lo
            rows = keep[-n_lines:].tolist()
        y = rect.y + 16
        for row in rows:
            kind = int(events[row, 1])
            col = EVENT_COLOURS.get(kind, TEXT)
            if row < cur_lo:
                col = tuple(int(c * 0.62) for c in col)
            target.blit(self.fonts.text(sc.event_text(row), col, self.fonts.small), (x, y))
            y += lh
        if end == 0:
            target.blit(self.fonts.text("(none yet)", FAINT, self.fonts.small), (x, y))


def _hud_columns(width: int) -> list[int]:
    """Right edges (px from the text's left) of the HUD table's number columns."""
    w = max(width, 200)
    return [int(w * f) for f in (0.62, 0.76, 0.88, 1.0)]
