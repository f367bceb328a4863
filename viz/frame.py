"""One frame of the map as screen arrays: where each unit is drawn, what is alive, active,
tracked or known, and what the fog-of-war view greys out. Computed once per frame by
:func:`map_frame` and shared by the map's layers (overlays, units)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pygame

from aerena.envs.airdefense import layout as Lo
from aerena.viz.camera import Transform
from aerena.viz.options import ViewOptions
from aerena.viz.scene import Scene

__all__ = ["MapFrame", "map_frame"]


class MapFrame(NamedTuple):
    f: int  # frame index (clamped)
    t: Transform
    rect: pygame.Rect  # the map's rect on the target
    gx: np.ndarray  # [G] screen x of the ground units
    gy: np.ndarray
    g_alive: np.ndarray  # [G] bool
    pos: np.ndarray  # [A, 3] air positions, metres
    ax: np.ndarray  # [A] screen x of the air units
    ay: np.ndarray
    status: np.ndarray  # [A] air status
    active: np.ndarray  # [A] bool: flying
    tracked: np.ndarray  # [A] bool: held by a defender radar
    air_ghost: np.ndarray  # [A] bool: greyed by the fog view ("defender": not tracked)
    gnd_ghost: np.ndarray  # [G] bool: greyed by the fog view ("attacker": not known)
    inside_a: np.ndarray  # [A] bool: within the map rect (30 px margin)


def map_frame(scene: Scene, opt: ViewOptions, t: Transform, rect: pygame.Rect, f: int) -> MapFrame:
    sc, fr = scene, scene.fr
    gx, gy = t.to_screen(sc.gnd_pos[:, 0], sc.gnd_pos[:, 1])
    hp = fr["gnd_hp"][f]
    known = fr["known"][f]
    pos = fr["air_pos"][f]
    ax, ay = t.to_screen(pos[:, 0], pos[:, 1])
    status = fr["air_status"][f]
    tracked = fr["tracked"][f]
    air_ghost = (~tracked) if opt.fog == "defender" else np.zeros(sc.A, np.bool_)
    gnd_ghost = (~known) if opt.fog == "attacker" else np.zeros(sc.G, np.bool_)
    margin = 30
    inside_a = (ax > rect.left - margin) & (ax < rect.right + margin)
    inside_a &= (ay > rect.top - margin) & (ay < rect.bottom + margin)
    return MapFrame(
        f=f,
        t=t,
        rect=rect,
        gx=gx,
        gy=gy,
        g_alive=hp > 0.0,
        pos=pos,
        ax=ax,
        ay=ay,
        status=status,
        active=status == Lo.ACTIVE,
        tracked=tracked,
        air_ghost=air_ghost,
        gnd_ghost=gnd_ghost,
        inside_a=inside_a,
    )
