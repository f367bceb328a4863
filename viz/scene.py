"""What the renderer draws from: one episode as arrays, from a replay file or a live world.

A :class:`Scene` wraps the arrays of the `aerena-replay` format (see
:mod:`aerena.envs.airdefense.recording`): static tables (terrain, unit kinds, links, ranges)
and per-frame arrays with a time axis (positions, status, stocks, knowledge, events).

* :meth:`Scene.from_replay` - a loaded :class:`~aerena.envs.airdefense.recording.Replay`.
* :class:`LiveScene` - a running :class:`~aerena.envs.airdefense.world.World`: it keeps a
  :class:`~aerena.envs.airdefense.recording.Recorder` on world `b` and reads its buffers,
  so a live env and the replay of the same episode hand the renderer the very same arrays
  (and frames look the same, pixel for pixel).

Nothing here imports pygame. The few parameters a viewer needs that version 1 of the file
does not store (radar mast heights for terrain masking, jammer cone widths) come from the
optional keys `radar_mast` [R] and `air_jam_cos` [A] when a file has them, else from the
scenario: the world is rebuilt from `meta["scenario_text"]` and reset with `meta["seed"]`,
which draws the same per-episode parameters; failing that, from the library defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.recording import FRAME_KEYS, Recorder
from aerena.envs.airdefense.world import World

# keys with a time axis in the scene's frame dict (events grow with the episode too)
DYNAMIC_EXTRA = ("events", "event_index")

DEFAULT_MAST = 20.0  # m, the schema default
DEFAULT_JAM_CONE = 30.0  # degrees, half-angle, base.yaml's jammer

EVENT_LABELS = {
    Lo.EV_LAUNCH: "launch",
    Lo.EV_DETECT: "detect",
    Lo.EV_JAM_ON: "jam on",
    Lo.EV_JAM_OFF: "jam off",
    Lo.EV_FIRE: "fire",
    Lo.EV_INTERCEPT_KILL: "kill",
    Lo.EV_INTERCEPT_MISS: "miss",
    Lo.EV_HIT: "hit",
    Lo.EV_GROUND_KILL: "destroyed",
    Lo.EV_PD_KILL: "pd kill",
    Lo.EV_CRASH: "crash",
    Lo.EV_LEFT_MAP: "left map",
    Lo.EV_EMIT_ON: "emit on",
    Lo.EV_EMIT_OFF: "emit off",
    Lo.EV_SPOTTED: "spotted",
}


@dataclass(frozen=True)
class Extras:
    """Per-episode parameters the drawing needs beyond the file's v1 keys."""

    radar_mast: np.ndarray  # [R] float64, m above ground
    jam_cos: np.ndarray  # [A] float64, cos of the jammer cone half-angle
    carrier_vel: np.ndarray  # [A, 2] float64, m/s (carriers; zeros otherwise)
    source: str  # "replay", "scenario" or "defaults"


class Scene:
    """One episode for drawing: `meta`, static arrays and per-frame arrays.

    Frame f is the state after step f (frame 0 after reset). Per-frame arrays are read as
    `scene.fr["air_pos"][f]`; static ones as `scene.st["gnd_pos"]`.
    """

    def __init__(
        self,
        meta: dict[str, Any],
        static: dict[str, np.ndarray],
        frames: dict[str, np.ndarray],
        *,
        path: Path | None = None,
    ) -> None:
        self.meta = meta
        self.st = static
        self.fr = frames
        self.path = path
        sz = meta["sizes"]
        self.A, self.C, self.U = int(sz["A"]), int(sz["C"]), int(sz["U"])
        self.G, self.R, self.L = int(sz["G"]), int(sz["R"]), int(sz["L"])
        self.I, self.P, self.Q = int(sz["I"]), int(sz["P"]), int(sz["Q"])
        self.width, self.height = (float(v) for v in meta["map_size"])
        self.cell = float(meta["terrain_cell"])
        self.dt = float(meta.get("dt", 1.0))
        self.max_steps = int(meta.get("max_steps", 0)) or None
        self.heights = np.ascontiguousarray(static["terrain"], dtype=np.float64)
        self.air_role = np.asarray(static["air_role"], dtype=np.int64)
        self.gnd_kind = np.asarray(static["gnd_kind"], dtype=np.int64)
        self.gnd_pos = np.asarray(static["gnd_pos"], dtype=np.float64)
        self.air_names: list[str] = list(
            meta.get("air_names") or [f"air_{a}" for a in range(self.A)]
        )
        self.ground_names: list[str] = list(
            meta.get("ground_names") or [f"ground_{g}" for g in range(self.G)]
        )
        self.radar_g = np.asarray(static["radar_g"], dtype=np.int64)
        self.launcher_g = np.asarray(static["launcher_g"], dtype=np.int64)
        self.pd_g = np.asarray(static["pd_g"], dtype=np.int64)
        self.cp_g = np.asarray(static["cp_g"], dtype=np.int64)
        self.assets = np.flatnonzero(self.gnd_kind == Lo.ASSET)
        self.asset_total = float(np.sum(np.asarray(static["gnd_value"])[self.assets]))
        self.stock_total = int(np.sum(static["stock0"]))
        # launcher index of each ground row (-1: not a launcher), radar index likewise
        self.launcher_of_g = np.full(self.G, -1, np.int64)
        self.launcher_of_g[self.launcher_g] = np.arange(self.L)
        self.radar_of_g = np.full(self.G, -1, np.int64)
        self.radar_of_g[self.radar_g] = np.arange(self.R)
        self._event_text: dict[int, str] = {}
        self._extras: Extras | None = None
        self._radar_tracks: tuple[int, np.ndarray] | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_replay(cls, replay: Any) -> Scene:
        """A scene over a loaded `Replay` (no copy of its arrays)."""
        arrays = replay.arrays
        frames = {k: arrays[k] for k in FRAME_KEYS}
        for k in DYNAMIC_EXTRA:
            frames[k] = arrays[k]
        static = {k: v for k, v in arrays.items() if k not in frames}
        return cls(dict(replay.meta), static, frames, path=getattr(replay, "path", None))

    # ------------------------------------------------------------------ properties
    @property
    def frames(self) -> int:
        """Frames available now (a live scene grows)."""
        return int(len(self.fr["t"]))

    @property
    def total_frames(self) -> int:
        """Frames of the whole episode where known (replays), else the frames so far."""
        return max(int(self.meta.get("frames", 0)), self.frames)

    @property
    def finished(self) -> bool:
        return bool(self.meta.get("terminated") or self.meta.get("truncated"))

    @property
    def outcome(self) -> dict[str, Any]:
        return dict(self.meta.get("outcome") or {})

    @property
    def title(self) -> str:
        m = self.meta
        ep = f" ep {m['episode']}" if "episode" in m else ""
        br = m.get("branch")
        if isinstance(br, dict):  # a future played by `aerena whatif` or the viewer's key b
            ep += f"  branch {br.get('index', '?')} at {br.get('at', '?')}"
        return f"{m.get('scenario', '?')}  seed {m.get('seed', '?')}{ep}"

    @property
    def players(self) -> str:
        att, dfd = self.meta.get("attacker"), self.meta.get("defender")
        if att is None and dfd is None:
            return ""
        return f"attacker {att or '?'} vs defender {dfd or '?'}"

    def clamp(self, frame: int) -> int:
        return min(max(int(frame), 0), self.frames - 1)

    # ------------------------------------------------------------------ per-frame helpers
    def event_rows(self, frame: int) -> tuple[int, int]:
        """Rows [lo, hi) of `events` recorded at `frame`."""
        idx = self.fr["event_index"]
        return int(idx[frame]), int(idx[frame + 1])

    def events_until(self, frame: int) -> int:
        """Number of event rows recorded up to and including `frame`."""
        return int(self.fr["event_index"][frame + 1])

    def radar_tracks(self, frame: int) -> np.ndarray:
        """[R, A] bool: radar r holds a track on air entity a at `frame`."""
        cached = self._radar_tracks
        if cached is not None and cached[0] == frame:
            return cached[1]
        packed = self.fr["radar_tracks"][frame]
        out = np.unpackbits(packed, axis=-1, count=self.A).astype(np.bool_)
        self._radar_tracks = (frame, out)
        return out

    def terrain_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear terrain height (m) at points, clamped to the grid (NumPy)."""
        h = self.heights
        ny, nx = h.shape
        fx = np.clip(np.asarray(x, np.float64) / self.cell, 0.0, nx - 1)
        fy = np.clip(np.asarray(y, np.float64) / self.cell, 0.0, ny - 1)
        j0 = np.minimum(np.floor(fx).astype(np.int64), max(nx - 2, 0))
        i0 = np.minimum(np.floor(fy).astype(np.int64), max(ny - 2, 0))
        j1 = np.minimum(j0 + 1, nx - 1)
        i1 = np.minimum(i0 + 1, ny - 1)
        tx, ty = fx - j0, fy - i0
        h0 = h[i0, j0] * (1.0 - tx) + h[i0, j1] * tx
        h1 = h[i1, j0] * (1.0 - tx) + h[i1, j1] * tx
        return h0 * (1.0 - ty) + h1 * ty

    def unit_label(self, kind: str, index: int) -> str:
        if kind == "air":
            return self.air_names[index] if 0 <= index < self.A else f"air {index}"
        return self.ground_names[index] if 0 <= index < self.G else f"ground {index}"

    def event_text(self, row: int) -> str:
        """One line for event `row`: 'hh:mm:ss  kind  subject -> object'."""
        text = self._event_text.get(row)
        if text is None:
            text = self._format_event(self.fr["events"][row])
            self._event_text[row] = text
        return text

    def _format_event(self, ev: np.ndarray) -> str:
        t, kind, a, b = float(ev[0]), int(ev[1]), int(ev[2]), int(ev[3])
        air = self.unit_label("air", a) if a >= 0 else "?"
        label = EVENT_LABELS.get(kind, f"event {kind}")

        def g_of(table: np.ndarray, i: int) -> str:
            return self.unit_label("gnd", int(table[i])) if 0 <= i < len(table) else f"#{i}"

        if kind == Lo.EV_LAUNCH:
            role = Lo.ROLE_NAMES[int(self.air_role[a])] if 0 <= a < self.A else "?"
            what = f"{air} ({role}) from {self.unit_label('air', b)}"
        elif kind == Lo.EV_DETECT:
            what = f"{air} by {g_of(self.radar_g, b)}"
        elif kind in (Lo.EV_FIRE, Lo.EV_INTERCEPT_MISS):
            what = f"{g_of(self.launcher_g, b)} -> {air}"
        elif kind == Lo.EV_INTERCEPT_KILL:
            what = f"{air} by {g_of(self.launcher_g, b)}"
        elif kind in (Lo.EV_HIT, Lo.EV_GROUND_KILL):
            what = f"{self.unit_label('gnd', b)} by {air}"
        elif kind == Lo.EV_PD_KILL:
            what = f"{air} by {g_of(self.pd_g, b)}"
        elif kind in (Lo.EV_EMIT_ON, Lo.EV_EMIT_OFF):
            what = g_of(self.radar_g, b)
        elif kind == Lo.EV_SPOTTED:
            what = self.unit_label("gnd", b)
        else:
            what = air
        return f"{_clock(t)}  {label:<9} {what}"

    # ------------------------------------------------------------------ extras
    @property
    def extras(self) -> Extras:
        if self._extras is None:
            self._extras = self._load_extras()
        return self._extras

    def _load_extras(self) -> Extras:
        st = self.st
        if "radar_mast" in st and "air_jam_cos" in st:
            vel = np.asarray(st.get("carrier_vel", np.zeros((self.A, 2))), np.float64)
            return Extras(
                np.asarray(st["radar_mast"], np.float64),
                np.asarray(st["air_jam_cos"], np.float64),
                vel,
                "replay",
            )
        try:
            return extras_from_world(self._rebuild_world(), 0, "scenario")
        except Exception:  # a scenario that no longer loads (moved terrain file, ...)
            jam = np.full(self.A, math.cos(math.radians(DEFAULT_JAM_CONE)))
            return Extras(np.full(self.R, DEFAULT_MAST), jam, np.zeros((self.A, 2)), "defaults")

    def _rebuild_world(self) -> World:
        data = yaml.safe_load(self.meta["scenario_text"])
        world = World(data, 1)
        world.reset([int(self.meta["seed"])])
        if world.sizes["A"] != self.A or world.sizes["G"] != self.G:
            raise ValueError("the rebuilt scenario does not match the replay")
        return world


def extras_from_world(world: Any, b: int, source: str) -> Extras:
    s, st = world.state, world.static
    return Extras(
        radar_mast=np.array(s.gnd_par[b, st.radar_g, Lo.GP_MAST], dtype=np.float64),
        jam_cos=np.array(s.air_par[b, :, Lo.AP_JAM_COS], dtype=np.float64),
        carrier_vel=np.array(s.air_par[b, :, Lo.AP_VX : Lo.AP_VY + 1], dtype=np.float64),
        source=source,
    )


def _clock(t: float) -> str:
    t = max(float(t), 0.0)
    h, rem = divmod(int(t), 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}"


# --------------------------------------------------------------------------------------
# Live scenes
# --------------------------------------------------------------------------------------
class LiveScene(Scene):
    """The episode of world `b` of a running `World`, recorded as it goes.

    Call :meth:`sync` after every `world.step` (and after a reset): it appends the new
    frame, or starts over when the world was reset or restored. The arrays are views of a
    :class:`~aerena.envs.airdefense.recording.Recorder`'s buffers, exactly what a replay
    of the episode holds.
    """

    def __init__(self, world: World, b: int = 0) -> None:
        self.world = world
        self.b = int(b)
        self.recorder = Recorder(world, self.b)
        self.recording = 0  # counts the recordings started (reset / restore)
        self._setup()

    def _setup(self) -> None:
        self.recording += 1
        meta, static, frames = self._read()
        meta["episode"] = self.recording - 1  # as a rollout numbers its replays
        Scene.__init__(self, meta, static, frames)
        self._extras = extras_from_world(self.world, self.b, "world")

    def _read(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, np.ndarray]]:
        rec = self.recorder
        meta = rec.meta()
        static, frames = rec.views()
        return meta, static, frames

    def _refresh(self) -> None:
        rec = self.recorder
        static, frames = rec.views()
        self.st = static
        self.fr = frames
        w, b = self.world, self.b
        done = bool(w.done[b])
        self.meta["frames"] = rec.frames
        self.meta["steps"] = rec.frames - 1
        self.meta["terminated"] = bool(w.state.terminated[b])
        self.meta["truncated"] = bool(w.state.truncated[b])
        if done:
            self.meta["outcome"] = w.outcome(b)
        self._radar_tracks = None

    def restart(self) -> None:
        """Start a new recording from the world's current state (after reset / restore)."""
        self.recorder.start()
        self._setup()

    def sync(self) -> None:
        """Record the world's latest step (or start over after a reset or a restore)."""
        step = int(self.world.state.step[self.b])
        last = int(self.fr["step"][-1]) if self.frames else -1
        if step == last:  # nothing new (a reset to the same step: call restart())
            return
        if step == last + 1:
            self.recorder.capture()
            self._refresh()
        else:
            self.restart()
