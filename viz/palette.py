"""The renderer's colours and symbol constants: sides, overlays, the altitude ramp, events.

Plain tuples (no pygame), shared by every layer of :mod:`.render`, the viewer and the
scenario watcher.
"""

from __future__ import annotations

from aerena.envs.airdefense import layout as Lo

BG = (18, 20, 24)
PANEL_BG = (26, 28, 34)
PANEL_LINE = (60, 64, 74)
TEXT = (225, 228, 232)
DIM = (150, 155, 165)
FAINT = (105, 110, 120)
ATTACKER = (255, 96, 72)
DEFENDER = (80, 150, 255)
ASSET = (240, 196, 64)
DEAD = (96, 96, 100)
KILL = (255, 60, 50)
HILITE = (255, 240, 90)
COVERAGE = (70, 200, 255)
COVERAGE_SILENT = (150, 150, 210)
JAM = (205, 120, 255)
LINK = (120, 190, 255)
LINK_BROKEN = (110, 110, 116)
FED = (90, 230, 120)
ENGAGE = (255, 175, 60)
INTERCEPTOR = (245, 245, 245)
TRACK = (110, 200, 255)
TRACK_LINE = (70, 110, 150)

ALT_EDGES = (0.0, 75.0, 150.0, 300.0, 600.0, 1000.0, 1500.0)
"""Altitude bands (m above ground) of the air units' fill colour: [edge_k, edge_k+1)."""
ALT_COLOURS = (
    (70, 16, 60),
    (128, 24, 74),
    (186, 40, 70),
    (226, 86, 52),
    (246, 146, 48),
    (250, 206, 80),
    (255, 250, 200),
)
ROLE_TRAIL = {
    Lo.STRIKE: (255, 140, 110),
    Lo.DECOY: (226, 206, 160),
    Lo.JAMMER: (205, 150, 255),
    Lo.RECON: (140, 232, 200),
    Lo.CARRIER: (240, 240, 240),
}
EVENT_COLOURS = {
    Lo.EV_LAUNCH: DIM,
    Lo.EV_DETECT: (140, 180, 230),
    Lo.EV_JAM_ON: JAM,
    Lo.EV_JAM_OFF: (160, 120, 190),
    Lo.EV_FIRE: ENGAGE,
    Lo.EV_INTERCEPT_KILL: KILL,
    Lo.EV_INTERCEPT_MISS: (200, 160, 120),
    Lo.EV_HIT: (255, 150, 60),
    Lo.EV_GROUND_KILL: (255, 120, 40),
    Lo.EV_PD_KILL: KILL,
    Lo.EV_CRASH: DIM,
    Lo.EV_LEFT_MAP: DIM,
    Lo.EV_EMIT_ON: COVERAGE,
    Lo.EV_EMIT_OFF: (120, 140, 170),
    Lo.EV_SPOTTED: (255, 210, 120),
}
# events flashed on the map: kind -> (colour, start radius px, growth px per frame)
FLASH = {
    Lo.EV_INTERCEPT_KILL: (KILL, 5, 3),
    Lo.EV_PD_KILL: (KILL, 5, 3),
    Lo.EV_HIT: ((255, 150, 60), 6, 4),
    Lo.EV_GROUND_KILL: ((255, 120, 40), 8, 5),
    Lo.EV_INTERCEPT_MISS: ((200, 160, 120), 4, 2),
    Lo.EV_LAUNCH: (DIM, 3, 2),
    Lo.EV_SPOTTED: ((255, 210, 120), 6, 3),
}
FLASH_FRAMES = 8
N_HEADING = 32
GHOST_ALPHA = 70
