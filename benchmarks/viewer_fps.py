"""Replay viewer frame rate, next to a peer measured in the same run.

    .venv/bin/python benchmarks/viewer_fps.py                 # ~1 min after the replays exist
    .venv/bin/python benchmarks/viewer_fps.py --quick         # a few seconds, rough numbers
    .venv/bin/python benchmarks/viewer_fps.py --scenarios strike_small,saturation --seconds 5

What is timed: the viewer's whole frame -- map with every overlay on (trails, terrain-masked
coverage, jamming cones, links, engagement lines, interceptors, event flashes, labels),
side panel (HUD + event log), timeline -- drawn into a 1280x800 window of the SDL dummy
video driver and flipped, the playhead advancing one recorded step per frame (so trails,
units and text change every frame, as when playing). Rows:

* `peer: terrain blit` -- the baseline: a plain pygame blit of the cached, pre-scaled terrain
  background to the window plus the flip, i.e. the least any pygame viewer of this map
  does per frame;
* one row per scenario replay (`strike_small`, `saturation`, `swarm_1000`), with the mean
  number of entities drawn per frame (active air units + ground units + interceptors in
  flight); `swarm_1000 @200` is the window of the swarm episode where about 200 entities
  are on the map, `swarm_1000` its busiest part (~1000 UAVs);
* `swarm_1000 pan+zoom`: the camera moves every frame (the cached background and coverage
  composite is rebuilt each frame), the interactive worst case.

Method: one thread, the process pinned to one core (the least busy of its affinity set,
Linux); `gc.freeze()` after loading, as `aerena replay` does (the collector then skips the
long-lived modules and replay arrays); a warm-up (coverage computed, sprites drawn) before
timing; each row runs for
`--seconds` per repeat and the median of `--repeats` repeats is reported with its spread
(max - min) / median. Replays are recorded first with `aerena rollout` (scripted players,
seed 0) into `--replays` (default: a folder in the temp dir, reused by later runs). The JSON
record (default `benchmarks/results/viewer_fps.json`) holds every row and the machine's
load. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402

DEFAULT_SCENARIOS = ("strike_small", "saturation", "swarm_1000")
SIZE = (1280, 800)


# --------------------------------------------------------------------------------------
# Replays
# --------------------------------------------------------------------------------------
def replay_path(directory: Path, scenario: str) -> Path:
    return directory / f"{scenario}_seed0_ep0.aerena-replay.npz"


def ensure_replays(directory: Path, scenarios: list[str], max_steps: int | None) -> None:
    from aerena.envs.airdefense.rollout import run_rollouts

    for name in scenarios:
        if replay_path(directory, name).is_file():
            continue
        print(f"recording {name} into {directory} ...", flush=True)
        overrides = {"episode.max_steps": max_steps} if max_steps else None
        run_rollouts(name, episodes=1, seed=0, record=directory, overrides=overrides)


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------
def entities(scene: Any, f: int) -> int:
    from aerena.envs.airdefense import layout as Lo

    fr = scene.fr
    return int(
        np.sum(fr["air_status"][f] == Lo.ACTIVE)
        + np.sum(fr["gnd_hp"][f] > 0)
        + np.sum(fr["int_status"][f] == Lo.INT_FLYING)
    )


def time_frames(draw: Any, frames: np.ndarray, seconds: float) -> tuple[float, int]:
    """Frames per second of draw(f) over `frames` (cycled) for `seconds`."""
    import pygame

    n = 0
    t0 = time.perf_counter()
    while True:
        draw(int(frames[n % len(frames)]))
        pygame.display.flip()
        n += 1
        el = time.perf_counter() - t0
        if el >= seconds and n >= 3:
            return n / el, n


def measure(
    name: str,
    draw: Any,
    frames: np.ndarray,
    seconds: float,
    repeats: int,
    n_entities: float,
    warm: int = 3,
) -> dict[str, Any]:
    for k in range(warm):
        draw(int(frames[k % len(frames)]))
    rates = [time_frames(draw, frames, seconds)[0] for _ in range(repeats)]
    med = float(np.median(rates))
    spread = float((max(rates) - min(rates)) / med) if med > 0 else 0.0
    return {
        "row": name,
        "fps": med,
        "ms_per_frame": 1000.0 / med if med > 0 else float("inf"),
        "spread": spread,
        "repeats": rates,
        "entities": n_entities,
    }


def window(scene: Any, target: int | None, length: int) -> np.ndarray:
    """`length` frames: from where about `target` entities are drawn, or the busiest."""
    counts = np.array([entities(scene, f) for f in range(scene.frames)])
    if target is None:
        start = int(np.argmax(np.convolve(counts, np.ones(length), mode="valid")))
    else:  # the frames within 10 % of the target, else the window nearest it
        near = np.flatnonzero(np.abs(counts - target) <= 0.1 * target)
        if len(near) >= 3:
            return near[:length]
        means = np.convolve(counts, np.ones(length) / length, mode="valid")
        start = int(np.argmin(np.abs(means - target)))
    start = min(start, max(scene.frames - length, 0))
    return np.arange(start, min(start + length, scene.frames))


def run(args: argparse.Namespace) -> dict[str, Any]:
    import gc

    import pygame

    from aerena.envs.airdefense.recording import load_replay
    from aerena.viz.background import blit_layer
    from aerena.viz.render import Renderer, ViewOptions
    from aerena.viz.scene import Scene
    from aerena.viz.viewer import Viewer

    directory = Path(args.replays)
    scenarios = [s for s in args.scenarios.split(",") if s]
    ensure_replays(directory, scenarios, args.max_steps)
    pygame.display.init()
    rows: list[dict[str, Any]] = []
    peer_done = False
    for name in scenarios:
        scene = Scene.from_replay(load_replay(replay_path(directory, name)))
        viewer = Viewer([scene], SIZE, window=True, options=ViewOptions())
        gc.collect()
        gc.freeze()  # as `aerena replay` does: long-lived objects leave the collector's scans
        r: Renderer = viewer.renderers[0]
        map_rect = viewer.panes[0][0]
        cases: list[tuple[str, np.ndarray]] = []
        if name == "swarm_1000" or scene.A >= 500:
            cases.append((f"{name} @200", window(scene, 200, args.window)))
            cases.append((name, window(scene, None, args.window)))
        else:
            cases.append((name, window(scene, None, args.window)))
        if not peer_done:
            # the peer: the cached terrain background, pre-scaled, blitted + flipped
            layer = r.background.terrain_layer()
            cam = viewer.cameras[0]
            t = cam.transform(map_rect, scene)
            bg = pygame.Surface(SIZE).convert()
            bg.fill((18, 20, 24))
            blit_layer(bg, layer, t, pygame.Rect(0, 0, *SIZE))
            surf = viewer.surface

            def blit_bg(f: int, surf: Any = surf, bg: Any = bg) -> None:
                surf.blit(bg, (0, 0))

            rows.append(
                measure("peer: terrain blit", blit_bg, np.arange(10), args.seconds, args.repeats, 0)
            )
            peer_done = True
        for label, frames in cases:
            n_ent = float(np.mean([entities(scene, int(f)) for f in frames]))

            def draw(f: int, viewer: Any = viewer) -> None:
                viewer.seek(f)
                viewer.draw()

            rows.append(measure(label, draw, frames, args.seconds, args.repeats, n_ent))
        if name == "swarm_1000" or scene.A >= 500:
            frames = window(scene, None, args.window)
            cam = viewer.cameras[0]
            state = {"k": 0}

            def pan_zoom(
                f: int,
                viewer: Any = viewer,
                cam: Any = cam,
                state: Any = state,
                w: float = scene.width,
            ) -> None:
                k = state["k"] = state["k"] + 1
                cam.zoom = 1.5 + 0.5 * np.sin(k * 0.05)
                cam.cx = w * (0.5 + 0.1 * np.cos(k * 0.03))
                viewer.seek(f)
                viewer.draw()

            n_ent = float(np.mean([entities(scene, int(f)) for f in frames]))
            rows.append(
                measure(f"{name} pan+zoom", pan_zoom, frames, args.seconds, args.repeats, n_ent)
            )
            cam.fit(scene)
        viewer.close()
        pygame.display.init()
    return {"rows": rows}


def _pin() -> tuple[set[int] | None, int | None]:
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    try:
        before = os.sched_getaffinity(0)
        busy = _busy_cores(sorted(before))
        core = min(busy, key=busy.get) if busy else sorted(before)[0]
        os.sched_setaffinity(0, {core})
        return before, core
    except OSError:
        return None, None


def _busy_cores(cores: list[int]) -> dict[int, float]:
    def read() -> dict[int, tuple[int, int]]:
        out = {}
        try:
            with open("/proc/stat") as f:
                for line in f:
                    name, *vals = line.split()
                    if name.startswith("cpu") and name[3:].isdigit():
                        v = [int(x) for x in vals]
                        out[int(name[3:])] = (sum(v) - v[3] - v[4], sum(v))
        except OSError:
            pass
        return out

    a = read()
    time.sleep(0.25)
    b = read()
    return {c: (b[c][0] - a[c][0]) / max(b[c][1] - a[c][1], 1) for c in cores if c in a and c in b}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS))
    p.add_argument("--seconds", type=float, default=None, help="wall budget per repeat (3)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--window", type=int, default=120, help="frames cycled per row (120)")
    p.add_argument("--quick", action="store_true", help="0.3 s per repeat; rough numbers")
    p.add_argument("--replays", default=str(Path(tempfile.gettempdir()) / "aerena-viewer-bench"))
    p.add_argument("--max-steps", type=int, default=None, help="shorter episodes when recording")
    p.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "results" / "viewer_fps.json")
    )
    p.add_argument("--no-pin", action="store_true")
    args = p.parse_args(argv)
    if args.seconds is None:
        args.seconds = 0.3 if args.quick else 3.0
    previous, core = (None, None) if args.no_pin else _pin()
    try:
        result = run(args)
    finally:
        if previous is not None:
            try:
                os.sched_setaffinity(0, previous)
            except OSError:
                pass
    import pygame

    peer = next((r["fps"] for r in result["rows"] if r["row"].startswith("peer")), None)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"\nviewer frame rate, {SIZE[0]}x{SIZE[1]}, all overlays on, SDL "
        f"{'.'.join(map(str, pygame.get_sdl_version()))} (driver dummy), pygame-ce "
        f"{pygame.version.ver}, core {core}, load {load[0]:.2f}"
        if load
        else ""
    )
    print(f"{'row':<24}{'entities':>9}{'fps':>9}{'ms/frame':>10}{'spread':>8}{'vs peer':>9}")
    for r in result["rows"]:
        rel = f"{r['fps'] / peer:.3f}" if peer else "-"
        print(
            f"{r['row']:<24}{r['entities']:>9.0f}{r['fps']:>9.1f}{r['ms_per_frame']:>10.2f}"
            f"{100 * r['spread']:>7.0f}%{rel:>9}"
        )
    record = {
        "benchmark": "viewer_fps",
        "size": list(SIZE),
        "seconds": args.seconds,
        "repeats": args.repeats,
        "window": args.window,
        "core": core,
        "loadavg": list(load) if load else None,
        "python": sys.version.split()[0],
        "pygame": pygame.version.ver,
        "sdl": ".".join(map(str, pygame.get_sdl_version())),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "rows": result["rows"],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2))
    os.replace(tmp, out)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
