"""Episode replays of the air-defence world: the `aerena-replay` file format, version 1.

A :class:`Recorder` follows one world `b` of a :class:`~aerena.envs.airdefense.world.World`
and copies, once per step, what a viewer or an analysis needs: every air entity, ground
object and interceptor, the stocks, the step's events, both sides' knowledge (fog of war)
and the rewards. :meth:`Recorder.save` writes one episode to one file, atomically;
:func:`load_replay` reads it back into a :class:`Replay`, validating it first::

    world.reset([seed], worlds=[b])
    rec = Recorder(world, b, "replays")      # frame 0: the state right after reset
    while not world.done[b]:
        world.step(actions)
        rec.capture()                        # frame t: the state after step t
    path = rec.save(episode=0)               # replays/tiny_seed7_ep0.aerena-replay.npz
    replay = load_replay(path)

File
----
A NumPy ``.npz`` archive (``savez_compressed``: a zip of ``.npy`` arrays, readable from any
language with a zip and an npy reader, no pickle). Key ``meta`` holds a JSON string (a 0-d
unicode array); every other key is an array. Arrays with a time axis have ``T = steps + 1``
frames first: frame 0 is the state after reset, frame t the state after step t. Events are
stored flat, ``events[event_index[t]:event_index[t + 1]]`` being those of frame t. The
README section "Replay format" lists every key with its shape and dtype; `FRAME_KEYS`,
`STATIC_KEYS` below are the machine-readable version, and `load_replay` checks them.

Versions
--------
``meta["format"] == "aerena-replay"`` and ``meta["format_version"] == FORMAT_VERSION``.
New keys may be added without a version change (readers ignore keys they do not know);
changing the meaning, shape or dtype of an existing key, or removing one, bumps the
version. A reader accepts every version up to its own and refuses newer files with a
one-line :class:`~aerena.errors.UserError` asking to upgrade aerena.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

import aerena.files as files
from aerena.envs.airdefense import layout as Lo
from aerena.errors import UserError
from aerena.version import __version__

FORMAT_NAME = "aerena-replay"
FORMAT_VERSION = 1
SUFFIX = ".aerena-replay.npz"
MAX_REPLAY_BYTES = 4 * 2**30  # all arrays of one replay, once read
MAX_REPLAY_ENTRIES = 256

TALLY_COLUMNS = (
    "asset_value_destroyed",
    "defence_value_destroyed",
    "kills",
    "leakers",
    "interceptors_used",
)
REWARD_COLUMNS = ("attacker", "defender")
INT_STATUS_NAMES = ("free", "flying", "done")

# key -> (dtype, shape after the time axis); letters are sizes from meta["sizes"],
# "A8" = ceil(A / 8) (bits packed with np.packbits, big-endian bit order)
FRAME_KEYS: dict[str, tuple[str, tuple[str | int, ...]]] = {
    "t": ("float64", ()),
    "step": ("int32", ()),
    "air_pos": ("float32", ("A", 3)),
    "air_heading": ("float32", ("A",)),
    "air_speed": ("float32", ("A",)),
    "air_status": ("int8", ("A",)),
    "air_jam": ("bool", ("A",)),
    "gnd_hp": ("float32", ("G",)),
    "radar_emit": ("bool", ("R",)),
    "radar_conn": ("bool", ("R", "L")),
    "int_pos": ("float32", ("I", 3)),
    "int_status": ("int8", ("I",)),
    "int_target": ("int32", ("I",)),
    "int_launcher": ("int32", ("I",)),
    "stock": ("int32", ("L",)),
    "reload_left": ("float32", ("L",)),
    "known": ("bool", ("G",)),
    "tracked": ("bool", ("A",)),
    "radar_tracks": ("uint8", ("R", "A8")),
    "reward": ("float64", (2,)),
    "tally": ("float64", (len(TALLY_COLUMNS),)),
    "events_dropped": ("int32", ()),
}
# key -> (dtype, full shape); "T1" = frames + 1, "E" = number of events, "*" = any
STATIC_KEYS: dict[str, tuple[str, tuple[str | int, ...]]] = {
    "event_index": ("int64", ("T1",)),
    "events": ("float64", ("E", Lo.EVENT_WIDTH)),
    "terrain": ("float32", ("*", "*")),
    "air_role": ("int8", ("A",)),
    "air_carrier": ("int32", ("A",)),
    "air_launch_time": ("float32", ("A",)),
    "gnd_pos": ("float32", ("G", 3)),
    "gnd_kind": ("int8", ("G",)),
    "gnd_sub": ("int32", ("G",)),
    "gnd_hp_max": ("float32", ("G",)),
    "gnd_value": ("float32", ("G",)),
    "radar_g": ("int32", ("R",)),
    "launcher_g": ("int32", ("L",)),
    "pd_g": ("int32", ("P",)),
    "cp_g": ("int32", ("Q",)),
    "link_rc": ("bool", ("R", "Q")),
    "link_ql": ("bool", ("Q", "L")),
    "link_rl": ("bool", ("R", "L")),
    "radar_range": ("float32", ("R",)),
    "radar_track_memory": ("float32", ("R",)),
    "launcher_range": ("float32", ("L", 2)),
    "pd_radius": ("float32", ("P",)),
    "stock0": ("int32", ("L",)),
}
META_KEYS = (
    "format",
    "format_version",
    "aerena_version",
    "scenario",
    "scenario_text",
    "seed",
    "map_size",
    "terrain_cell",
    "dt",
    "frames",
    "steps",
    "sizes",
    "air_names",
    "ground_names",
    "agent_names",
    "outcome",
)
_SIZE_KEYS = ("A", "C", "U", "G", "R", "L", "I", "P", "Q", "N")


# --------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------
class Recorder:
    """Records the episode of world `b` of `world`, one frame per step, for one file.

    Construct it (or call :meth:`start`) right after `world.reset` of world b; call
    :meth:`capture` after every `world.step` (a call when world b did not advance is
    ignored, so a batched loop may call it after every step); :meth:`save` writes the file.
    `info` adds JSON-serialisable entries to the metadata (e.g. the players).
    """

    def __init__(
        self,
        world: Any,
        b: int = 0,
        directory: str | os.PathLike[str] | None = None,
        *,
        info: dict[str, Any] | None = None,
    ) -> None:
        if not 0 <= int(b) < world.num_worlds:
            raise ValueError(f"world index {b} outside [0, {world.num_worlds})")
        self.world = world
        self.b = int(b)
        self.directory = Path(directory) if directory is not None else None
        self.info = dict(info or {})
        sz = world.sizes
        self._A8 = (sz["A"] + 7) // 8
        self._shapes = {
            key: tuple(self._dim(d) for d in dims) for key, (_, dims) in FRAME_KEYS.items()
        }
        self._cap = 0
        self._buf: dict[str, np.ndarray] = {}
        self.start()

    def _dim(self, d: str | int) -> int:
        if isinstance(d, int):
            return d
        if d == "A8":
            return self._A8
        return int(self.world.sizes[d]) if d in self.world.sizes else len(self._group(d))

    def _group(self, d: str) -> np.ndarray:
        return self.world.static.pd_g if d == "P" else self.world.static.cp_g

    # ---------------------------------------------------------------- episode control
    def start(self) -> None:
        """Begin a new episode from the current state of world b (frame 0)."""
        self.n = 0
        self._events: list[np.ndarray] = []
        self._event_index = [0]
        self.seed = int(self.world.seeds[self.b])
        self._static = self._static_arrays()
        self._reserve(min(int(self.world.static.max_steps) + 1, 256))  # grows by doubling
        self._write_frame()

    def capture(self) -> bool:
        """Append the state after the latest step of world b; False if it did not advance."""
        step = int(self.world.state.step[self.b])
        last = int(self._buf["step"][self.n - 1])
        if step == last:
            return False
        if step != last + 1:
            raise RuntimeError(
                f"world {self.b} went from step {last} to {step}: call capture() after every "
                "step, and start() after a reset"
            )
        if self.n == self._cap:
            self._reserve(2 * self._cap)
        self._write_frame()
        return True

    @property
    def frames(self) -> int:
        return self.n

    def last_frame(self) -> dict[str, np.ndarray]:
        """The newest frame: every `FRAME_KEYS` array (views) and its `events` [n, 6]."""
        out = {k: v[self.n - 1] for k, v in self._buf.items()}
        out["events"] = self._last_events
        return out

    # ---------------------------------------------------------------- per-frame copy
    def _reserve(self, cap: int) -> None:
        if cap <= self._cap and self._buf:
            return
        new = {k: np.zeros((cap, *self._shapes[k]), dtype=dt) for k, (dt, _) in FRAME_KEYS.items()}
        for k, arr in self._buf.items():
            new[k][: self.n] = arr[: self.n]
        self._buf, self._cap = new, cap

    def _write_frame(self) -> None:
        s, st, b, i, buf = self.world.state, self.world.static, self.b, self.n, self._buf
        buf["t"][i] = s.t[b]
        buf["step"][i] = s.step[b]
        buf["air_pos"][i] = s.air_pos[b]
        buf["air_heading"][i] = s.air_heading[b]
        buf["air_speed"][i] = s.air_speed[b]
        buf["air_status"][i] = s.air_status[b]
        buf["air_jam"][i] = s.air_jam[b]
        buf["gnd_hp"][i] = s.gnd_hp[b]
        buf["radar_emit"][i] = s.radar_emit[b]
        buf["radar_conn"][i] = s.conn[b]
        buf["int_pos"][i] = s.int_pos[b]
        buf["int_status"][i] = s.int_status[b]
        buf["int_target"][i] = s.int_target[b]
        buf["int_launcher"][i] = s.int_launcher[b]
        buf["stock"][i] = s.stock[b]
        buf["reload_left"][i] = s.reload_left[b]
        buf["known"][i] = s.known[b]
        # the defender's picture: radar r holds a track on a (as the observation sees it)
        memory = np.maximum(s.gnd_par[b, st.radar_g, Lo.GP_TRACK_MEMORY], 1e-9)
        tracks = (s.t[b] - s.det_time[b]) / memory[:, None] <= 1.0
        tracks &= (s.air_status[b] == Lo.ACTIVE)[None, :]
        tracks &= (s.gnd_hp[b, st.radar_g] > 0.0)[:, None]
        buf["tracked"][i] = tracks.any(axis=0)
        buf["radar_tracks"][i] = np.packbits(tracks, axis=-1)
        buf["reward"][i] = s.reward[b]
        buf["tally"][i] = (
            s.asset_destroyed[b],
            s.defence_destroyed[b],
            s.kills[b],
            s.leakers[b],
            s.interceptors_used[b],
        )
        n_ev = int(s.n_events[b])
        kept = min(n_ev, s.events.shape[1])
        buf["events_dropped"][i] = n_ev - kept
        self._last_events = s.events[b, :kept].copy()
        if kept:
            self._events.append(self._last_events)
        self._event_index.append(self._event_index[-1] + kept)
        self.n = i + 1

    def _static_arrays(self) -> dict[str, np.ndarray]:
        w, s, st, b = self.world, self.world.state, self.world.static, self.b
        gp = s.gnd_par[b]
        f4 = np.float32
        return {
            "terrain": np.asarray(w.terrain.heights, dtype=f4),
            "air_role": np.asarray(st.air_role, np.int8),
            "air_carrier": np.asarray(st.air_carrier, np.int32),
            "air_launch_time": s.air_par[b, :, Lo.AP_LAUNCH_TIME].astype(f4),
            "gnd_pos": s.gnd_pos[b].astype(f4),
            "gnd_kind": np.asarray(st.gnd_kind, np.int8),
            "gnd_sub": np.asarray(st.gnd_sub, np.int32),
            "gnd_hp_max": gp[:, Lo.GP_HP_MAX].astype(f4),
            "gnd_value": gp[:, Lo.GP_VALUE].astype(f4),
            "radar_g": np.asarray(st.radar_g, np.int32),
            "launcher_g": np.asarray(st.launcher_g, np.int32),
            "pd_g": np.asarray(st.pd_g, np.int32),
            "cp_g": np.asarray(st.cp_g, np.int32),
            "link_rc": np.asarray(st.link_rc, np.bool_),
            "link_ql": np.asarray(st.link_ql, np.bool_),
            "link_rl": np.asarray(st.link_rl, np.bool_),
            "radar_range": gp[st.radar_g, Lo.GP_RANGE].astype(f4),
            "radar_track_memory": gp[st.radar_g, Lo.GP_TRACK_MEMORY].astype(f4),
            "launcher_range": gp[st.launcher_g][:, [Lo.GP_RANGE_MIN, Lo.GP_RANGE_MAX]].astype(f4),
            "pd_radius": gp[st.pd_g, Lo.GP_PD_RADIUS].astype(f4),
            "stock0": np.asarray(st.stock0, np.int32),
        }

    # ---------------------------------------------------------------- output
    def views(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(static, frames) arrays of the episode so far, the frames as views of the buffers
        (no per-frame copy, so a live viewer pays O(1) per drawn frame; valid until the next
        :meth:`capture` or :meth:`start`). `frames` holds `FRAME_KEYS`, `events` and
        `event_index`; :meth:`arrays` is their copy in one dict."""
        frames = {k: v[: self.n] for k, v in self._buf.items()}
        if self._events:
            events = np.concatenate(self._events) if len(self._events) > 1 else self._events[0]
        else:
            events = np.zeros((0, Lo.EVENT_WIDTH), np.float64)
        frames["events"] = events.astype(np.float64, copy=False)
        frames["event_index"] = np.asarray(self._event_index, dtype=np.int64)
        return dict(self._static), frames

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the file (frames trimmed to the episode so far), without meta."""
        static, frames = self.views()
        return {k: v.copy() for k, v in (frames | static).items()}

    def meta(self) -> dict[str, Any]:
        """The JSON metadata of the file (outcome as of now: final once the world is done)."""
        w, st, b = self.world, self.world.static, self.b
        ro = w.roster
        sizes = {k: int(w.sizes[k]) for k in w.sizes}
        sizes["P"] = len(st.pd_g)
        sizes["Q"] = len(st.cp_g)
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "aerena_version": __version__,
            "scenario": w.scenario.name,
            "scenario_text": w.scenario_text,
            "seed": self.seed,
            **self.info,
            "map_size": [float(st.width), float(st.height)],
            "terrain_cell": float(st.cell),
            "dt": float(st.dt),
            "max_steps": int(st.max_steps),
            "frames": self.n,
            "steps": self.n - 1,
            "terminated": bool(w.state.terminated[b]),
            "truncated": bool(w.state.truncated[b]),
            "outcome": w.outcome(b),
            "sizes": {k: sizes[k] for k in _SIZE_KEYS},
            "air_names": list(ro.air_names),
            "ground_names": list(ro.ground_names),
            "agent_names": list(w.agent_names),
            "event_cap": int(st.event_cap),
            "event_names": list(Lo.EVENT_NAMES),
            "role_names": list(Lo.ROLE_NAMES),
            "status_names": list(Lo.STATUS_NAMES),
            "kind_names": list(Lo.KIND_NAMES),
            "int_status_names": list(INT_STATUS_NAMES),
            "tally_columns": list(TALLY_COLUMNS),
            "reward_columns": list(REWARD_COLUMNS),
        }

    def filename(self, episode: int = 0) -> str:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.world.scenario.name) or "scenario"
        return f"{name}_seed{self.seed}_ep{int(episode)}{SUFFIX}"

    def save(self, path: str | os.PathLike[str] | None = None, *, episode: int = 0) -> Path:
        """Write the episode to `path` (default: DIRECTORY/<scenario>_seed<S>_ep<k>...)."""
        if path is None:
            if self.directory is None:
                raise ValueError("Recorder.save needs a path, or a directory at construction")
            path = self.directory / self.filename(episode)
        meta = self.meta()
        meta["episode"] = int(episode)
        return write_replay(path, self.arrays(), meta)


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------
def _write_npz(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    np.savez_compressed(f, **arrays)


def write_replay(
    path: str | os.PathLike[str], arrays: dict[str, np.ndarray], meta: dict[str, Any]
) -> Path:
    """Write arrays + meta to `path` atomically: a temp file beside it, fsync, rename.

    On any failure the temp file is removed and nothing appears at `path`.
    """
    payload = dict(arrays)
    payload["meta"] = np.array(json.dumps(meta, allow_nan=True))
    return files.atomic_write(path, lambda f: _write_npz(f, payload))


def remove_stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary replay files a killed writer (a process no longer running)
    left in `folder`; return what was removed."""
    return files.remove_stale_temp_files(folder, f"*{SUFFIX}")


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------
@dataclass
class Replay:
    """A loaded replay: `meta` (the JSON dict) and `arrays` (every array by key).

    Arrays are also attributes (`replay.air_pos`). `T` frames: frame 0 after reset, frame t
    after step t.
    """

    path: Path
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(repr=False)

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays", {})
        if name in arrays:
            return arrays[name]
        raise AttributeError(name)

    @property
    def frames(self) -> int:
        return int(self.meta["frames"])

    @property
    def sizes(self) -> dict[str, int]:
        return dict(self.meta["sizes"])

    @property
    def outcome(self) -> dict[str, Any]:
        return dict(self.meta["outcome"])

    def events_at(self, frame: int) -> np.ndarray:
        """The events of one frame, [n, 6] float64: time, kind, a, b, x, y."""
        i = self.arrays["event_index"]
        return self.arrays["events"][i[frame] : i[frame + 1]]

    def event_frames(self) -> np.ndarray:
        """The frame of every row of `events`, [E] int64."""
        counts = np.diff(self.arrays["event_index"])
        return np.repeat(np.arange(len(counts), dtype=np.int64), counts)

    def radar_tracks_bool(self) -> np.ndarray:
        """Unpacked `radar_tracks`: [T, R, A] bool, radar r holds a track on air entity a."""
        A = int(self.meta["sizes"]["A"])
        return np.unpackbits(self.arrays["radar_tracks"], axis=-1, count=A).astype(np.bool_)


def load_replay(path: str | os.PathLike[str]) -> Replay:
    """Read and validate a replay file; any problem is a one-line `UserError`."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise UserError(f"{path}: no such replay file")
    arrays: dict[str, np.ndarray] = {}
    try:
        _check_sizes(path)
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise ValueError("not an npz archive")
            for key in z.files:
                arrays[key] = z[key]
    except UserError:
        raise
    except (
        OSError,
        ValueError,
        EOFError,
        KeyError,
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,
    ) as exc:
        raise UserError(
            f"{name}: not a readable aerena replay (corrupt or truncated file: {_short(exc)})"
        ) from None
    except Exception as exc:  # defensive: anything else a damaged archive may raise
        raise UserError(
            f"{name}: not a readable aerena replay ({type(exc).__name__}: {_short(exc)})"
        ) from None
    if "meta" not in arrays:
        raise UserError(f"{name}: not an aerena replay (no 'meta' entry)")
    try:
        meta = json.loads(str(arrays.pop("meta")[()]))
    except (ValueError, IndexError, TypeError) as exc:
        raise UserError(f"{name}: unreadable replay metadata ({_short(exc)})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise UserError(f"{name}: not an aerena replay (format {found!r}, want {FORMAT_NAME!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UserError(f"{name}: invalid replay format version {version!r}")
    if version > FORMAT_VERSION:
        raise UserError(
            f"{name}: format version {version} is newer than this aerena "
            f"(reads {FORMAT_VERSION}); upgrade aerena"
        )
    _validate(name, meta, arrays)
    return Replay(path=path, meta=meta, arrays=arrays)


def _check_sizes(path: Path) -> None:
    """Refuse an archive whose entries would exceed ``MAX_REPLAY_BYTES`` once read, from the
    zip directory and each array's npy header -- before any array is read."""
    total = 0
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        if len(infos) > MAX_REPLAY_ENTRIES:
            raise UserError(f"{path.name}: {len(infos)} entries (a replay has at most "
                            f"{MAX_REPLAY_ENTRIES}); not an aerena replay")  # fmt: skip
        for info in infos:
            with z.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            need = max(int(np.prod(shape, dtype=np.float64)) * dtype.itemsize, info.file_size)
            total += need
            if total > MAX_REPLAY_BYTES:
                raise UserError(
                    f"{path.name}: the replay's arrays would take more than "
                    f"{MAX_REPLAY_BYTES / 2**30:.0f} GiB in memory (entry {info.filename!r} "
                    f"alone {need / 2**30:,.1f} GiB); refused before reading"
                )


def _validate(name: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise UserError(f"{name}: replay metadata lacks {', '.join(missing)}")
    try:
        sizes = {k: int(meta["sizes"][k]) for k in _SIZE_KEYS}
        T = int(meta["frames"])
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{name}: replay metadata has bad 'sizes' or 'frames'") from None
    if T < 1:
        raise UserError(f"{name}: replay has {T} frames (need at least 1)")
    dims: dict[str, int] = {**sizes, "A8": (sizes["A"] + 7) // 8, "T1": T + 1}
    if "events" in arrays:
        dims["E"] = int(arrays["events"].shape[0]) if arrays["events"].ndim == 2 else -1
    specs = {k: (dt, ("T", *shape)) for k, (dt, shape) in FRAME_KEYS.items()}
    specs.update(STATIC_KEYS)
    dims["T"] = T
    for key, (dtype, shape) in specs.items():
        if key not in arrays:
            raise UserError(f"{name}: replay lacks the array {key!r}")
        arr = arrays[key]
        want = tuple(d if isinstance(d, int) else dims.get(d, -1) for d in shape)
        ok = arr.ndim == len(want) and all(
            w in (-1, n) for w, n in zip(want, arr.shape, strict=True)
        )
        if not ok or (shape and "*" not in shape and -1 in want):
            raise UserError(
                f"{name}: replay array {key!r} has shape {arr.shape}, expected "
                f"{_shape_text(shape, dims)}"
            )
        if arr.dtype != np.dtype(dtype):
            raise UserError(f"{name}: replay array {key!r} has dtype {arr.dtype}, want {dtype}")
    for key in (*FRAME_KEYS, *STATIC_KEYS):
        arr = arrays[key]
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            frame = int(np.argwhere(~np.isfinite(arr))[0][0])
            where = f"frame {frame}" if key in FRAME_KEYS else "its static data"
            raise UserError(f"{name}: replay array {key!r} holds NaN or inf ({where})")
    G = sizes["G"]
    ranges = {  # index arrays the viewer looks things up with: key -> [lo, hi)
        "air_role": (0, len(Lo.ROLE_NAMES)),
        "gnd_kind": (0, len(Lo.KIND_NAMES)),
        "radar_g": (0, G),
        "launcher_g": (0, G),
        "pd_g": (0, G),
        "cp_g": (0, G),
    }
    for key, (lo, hi) in ranges.items():
        arr = arrays[key]
        if arr.size and (arr.min() < lo or arr.max() >= hi):
            raise UserError(f"{name}: replay array {key!r} has entries outside [{lo}, {hi})")
    index = arrays["event_index"]
    if index[0] != 0 or index[-1] != len(arrays["events"]) or np.any(np.diff(index) < 0):
        raise UserError(f"{name}: replay event_index does not match its {len(index)} frames")


def _shape_text(shape: tuple[str | int, ...], dims: dict[str, int]) -> str:
    parts = [str(d) if isinstance(d, int) or d == "*" else f"{d}={dims.get(d, '?')}" for d in shape]
    return "[" + ", ".join(parts) + "]"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "FRAME_KEYS",
    "STATIC_KEYS",
    "SUFFIX",
    "Recorder",
    "Replay",
    "load_replay",
    "remove_stale_temp_files",
    "write_replay",
]
