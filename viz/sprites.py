"""Unit symbols as pre-drawn sprites: the attacker's air units by role x altitude band x
heading bin, the defender's ground units by kind x state, wrecks and interceptors; drawn
supersampled (anti-aliased by smoothscale) once and cached by :class:`Sprites`."""

from __future__ import annotations

import math

import pygame

from aerena.envs.airdefense import layout as Lo
from aerena.viz.palette import (
    ALT_COLOURS,
    ASSET,
    ATTACKER,
    COVERAGE,
    DEAD,
    DEFENDER,
    DIM,
    GHOST_ALPHA,
    INTERCEPTOR,
    KILL,
    N_HEADING,
)
from aerena.viz.surfaces import display_format

__all__ = ["Sprites"]


class Sprites:
    """Cache of unit sprites by key: ("air", role, band, heading bin, ghost),
    ("gnd", kind, state, ghost), ("wreck", status, carrier) or ("int",)."""

    def __init__(self) -> None:
        self._cache: dict[tuple, pygame.Surface] = {}

    def get(self, key: tuple) -> pygame.Surface:
        spr = self._cache.get(key)
        if spr is None:
            kind = key[0]
            if kind == "air":
                spr = _air_sprite(key[1], key[2], key[3], key[4])
            elif kind == "gnd":
                spr = _ground_sprite(key[1], key[2], key[3])
            elif kind == "wreck":
                spr = _wreck_sprite(key[1], key[2])
            else:
                spr = _interceptor_sprite()
            spr = display_format(spr, True)
            self._cache[key] = spr
        return spr


_SS = 3  # supersampling of sprite drawing (anti-aliasing by smoothscale)

_AIR_SHAPES = {
    Lo.STRIKE: [(1.0, 0.0), (-0.8, 0.68), (-0.35, 0.0), (-0.8, -0.68)],
    Lo.DECOY: [(1.0, 0.0), (-0.7, 0.62), (-0.7, -0.62)],
    Lo.JAMMER: [(1.0, 0.0), (0.0, 0.6), (-0.85, 0.0), (0.0, -0.6)],
    Lo.CARRIER: [(1.0, 0.0), (-0.55, 0.85), (-0.25, 0.0), (-0.55, -0.85)],
}


def _rot(
    points: list[tuple[float, float]], h: float, r: float, c: float
) -> list[tuple[float, float]]:
    """Rotate unit shape points (nose on +x) by heading h (math angle), to screen pixels."""
    ch, sh = math.cos(h), math.sin(h)
    return [(c + r * (x * ch - y * sh), c - r * (x * sh + y * ch)) for x, y in points]


def _air_sprite(role: int, alt_band: int, hbin: int, ghost: bool) -> pygame.Surface:
    size = 30 if role == Lo.CARRIER else 18
    big = size * _SS
    surf = pygame.Surface((big, big), pygame.SRCALPHA)
    c = big / 2.0
    r = big * 0.46
    h = hbin * 2.0 * math.pi / N_HEADING
    fill = ALT_COLOURS[alt_band]
    edge = ATTACKER
    w = max(int(_SS * 1.4), 2)
    if role == Lo.RECON:
        pygame.draw.line(surf, edge, (c, c), _rot([(1.0, 0.0)], h, r, c)[0], w + 1)
        pygame.draw.circle(surf, fill, (c, c), r * 0.58)
        pygame.draw.circle(surf, edge, (c, c), r * 0.58, w)
    elif role == Lo.DECOY:
        pts = _rot(_AIR_SHAPES[Lo.DECOY], h, r, c)
        pygame.draw.polygon(surf, edge, pts, w * 2)
        inner = _rot(_AIR_SHAPES[Lo.DECOY], h, r * 0.55, c)
        pygame.draw.polygon(surf, fill, inner)
    else:
        shape = _AIR_SHAPES.get(role, _AIR_SHAPES[Lo.STRIKE])
        pts = _rot(shape, h, r, c)
        pygame.draw.polygon(surf, fill, pts)
        pygame.draw.polygon(surf, edge, pts, w)
        if role == Lo.JAMMER:  # a bar across the body
            bar = _rot([(-0.1, 0.85), (-0.1, -0.85)], h, r, c)
            pygame.draw.line(surf, edge, bar[0], bar[1], w)
        if role == Lo.CARRIER:
            stripe = _rot([(0.7, 0.0), (-0.2, 0.0)], h, r, c)
            pygame.draw.line(surf, (250, 250, 250), stripe[0], stripe[1], w)
    out = pygame.transform.smoothscale(surf, (size, size))
    if ghost:
        out.fill((255, 255, 255, GHOST_ALPHA), special_flags=pygame.BLEND_RGBA_MULT)
    return out


def _ground_sprite(kind: int, state: int, ghost: bool) -> pygame.Surface:
    """state: 0 normal, 1 destroyed, 2 emitting radar."""
    size = 20 if kind != Lo.ASSET else 16
    big = size * _SS
    surf = pygame.Surface((big, big), pygame.SRCALPHA)
    c = big / 2.0
    r = big * 0.42
    dead = state == 1
    fill = DEAD if dead else (ASSET if kind == Lo.ASSET else DEFENDER)
    edge = (30, 30, 30) if kind == Lo.ASSET else (235, 240, 250)
    w = max(int(_SS * 1.3), 2)
    if kind == Lo.ASSET:
        rect = pygame.Rect(0, 0, r * 1.7, r * 1.7)
        rect.center = (int(c), int(c))
        pygame.draw.rect(surf, fill, rect)
        pygame.draw.rect(surf, edge, rect, w)
    elif kind == Lo.RADAR:
        pygame.draw.circle(surf, fill, (c, c), r * 0.72)
        pygame.draw.circle(surf, edge, (c, c), r * 0.72, w)
        dish = pygame.Rect(0, 0, r * 1.0, r * 0.9)
        dish.center = (int(c), int(c - r * 0.05))
        pygame.draw.arc(surf, edge, dish, math.pi * 0.15, math.pi * 0.85, w)
        pygame.draw.line(surf, edge, (c, c - r * 0.2), (c, c + r * 0.35), w)
        if state == 2:
            pygame.draw.circle(surf, COVERAGE, (c, c), r * 1.12, w)
    elif kind == Lo.LAUNCHER:
        pts = [(c, c - r), (c + r * 0.95, c + r * 0.75), (c - r * 0.95, c + r * 0.75)]
        pygame.draw.polygon(surf, fill, pts)
        pygame.draw.polygon(surf, edge, pts, w)
    elif kind == Lo.POINT_DEFENCE:
        pts = [
            (c + r * math.cos(k * math.pi / 3), c + r * math.sin(k * math.pi / 3)) for k in range(6)
        ]
        pygame.draw.polygon(surf, fill, pts)
        pygame.draw.polygon(surf, edge, pts, w)
        pygame.draw.line(surf, edge, (c - r * 0.5, c), (c + r * 0.5, c), w)
    else:  # command post: a pentagon ("house")
        pts = [
            (c, c - r),
            (c + r * 0.9, c - r * 0.25),
            (c + r * 0.75, c + r * 0.85),
            (c - r * 0.75, c + r * 0.85),
            (c - r * 0.9, c - r * 0.25),
        ]
        pygame.draw.polygon(surf, fill, pts)
        pygame.draw.polygon(surf, edge, pts, w)
    if dead:
        d = r * 0.95
        pygame.draw.line(surf, KILL, (c - d, c - d), (c + d, c + d), w + 1)
        pygame.draw.line(surf, KILL, (c - d, c + d), (c + d, c - d), w + 1)
    out = pygame.transform.smoothscale(surf, (size, size))
    if ghost:
        out.fill((255, 255, 255, GHOST_ALPHA), special_flags=pygame.BLEND_RGBA_MULT)
    return out


def _wreck_sprite(status: int, carrier: bool) -> pygame.Surface:
    size = 16 if carrier else 11
    big = size * _SS
    surf = pygame.Surface((big, big), pygame.SRCALPHA)
    c = big / 2.0
    r = big * 0.4
    w = max(int(_SS * 1.2), 2)
    if status == Lo.EXPENDED:
        for k in range(8):
            a = k * math.pi / 4
            rr = r if k % 2 == 0 else r * 0.55
            pygame.draw.line(
                surf, (255, 150, 50), (c, c), (c + rr * math.cos(a), c + rr * math.sin(a)), w
            )
    else:
        col = KILL if status == Lo.KILLED else DIM
        pygame.draw.line(surf, col, (c - r, c - r), (c + r, c + r), w)
        pygame.draw.line(surf, col, (c - r, c + r), (c + r, c - r), w)
    return pygame.transform.smoothscale(surf, (size, size))


def _interceptor_sprite() -> pygame.Surface:
    size = 9
    big = size * _SS
    surf = pygame.Surface((big, big), pygame.SRCALPHA)
    c = big / 2.0
    r = big * 0.45
    pts = [(c, c - r), (c + r, c), (c, c + r), (c - r, c)]
    pygame.draw.polygon(surf, INTERCEPTOR, pts)
    pygame.draw.polygon(surf, (20, 20, 20), pts, _SS)
    return pygame.transform.smoothscale(surf, (size, size))
