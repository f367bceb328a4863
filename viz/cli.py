"""``aerena replay``: watch recorded episodes in a window, or export them to a video.

Usage::

    aerena replay FILE [FILE2]                       # a window; two files side by side
    aerena replay FILE --export out.mp4|out.gif|DIR/ [--fps 20] [--size 1280x800]
                       [--from STEP] [--to STEP] [--every N] [--no-progress]
    options for both: --view truth|attacker|defender  --overlays trails,coverage,...|none
                      --altitude M (coverage target height above ground)
    window only:      --speed STEPS_PER_S  --play  --start STEP  --screenshot-dir DIR
                      --quit-after SECONDS

pygame (and imageio for videos) are imported only when the command runs, so `aerena --help`
works without them. A bad, truncated or newer-version replay file is a one-line
``error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import os
import re
from typing import Any

from aerena.envs.airdefense.recording import load_replay
from aerena.errors import UserError
from aerena.viz.export import export_replays
from aerena.viz.options import FOG_MODES, OVERLAYS, ViewOptions
from aerena.viz.scene import Scene

MAX_FILES = 4


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``aerena replay`` on the top-level subparsers."""
    p = sub.add_parser(
        "replay",
        help="watch recorded episodes, or export them to a video",
        description="Open a pygame window on recorded episodes (aerena rollout --record DIR "
        "writes them); two files play side by side with one playhead. Press h in the window "
        "for the keys. With --export, render the same frames offscreen to an .mp4, a .gif or "
        "a folder of PNG frames instead.",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="replay file (*.aerena-replay.npz); up to 4"
    )
    p.add_argument(
        "--export",
        metavar="OUT",
        help="write OUT.mp4, OUT.gif or a folder DIR/ of PNG frames instead of a window",
    )
    p.add_argument(
        "--fps",
        type=float,
        default=20.0,
        help="video frames per second; one frame per recorded step (default 20)",
    )
    p.add_argument(
        "--size",
        default="1280x800",
        metavar="WxH",
        help="window or video size in pixels (default 1280x800)",
    )
    p.add_argument(
        "--from",
        dest="from_step",
        type=int,
        default=None,
        metavar="STEP",
        help="first step to export",
    )
    p.add_argument(
        "--to", dest="to_step", type=int, default=None, metavar="STEP", help="last step to export"
    )
    p.add_argument(
        "--every", type=int, default=1, metavar="N", help="export every N-th step (default 1)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar while exporting")
    p.add_argument(
        "--view",
        choices=FOG_MODES,
        default="truth",
        help="ground truth, or what the attacker / defender knew (fog of war); key v",
    )
    p.add_argument(
        "--overlays",
        default=None,
        metavar="LIST",
        help=f"overlays shown at start, comma-separated from {','.join(OVERLAYS)}; "
        "'all' (default) or 'none'",
    )
    p.add_argument(
        "--altitude",
        type=float,
        default=100.0,
        metavar="M",
        help="radar coverage overlay: target height above ground, metres (default 100)",
    )
    p.add_argument(
        "--speed", type=float, default=20.0, help="playback speed, steps per second (default 20)"
    )
    p.add_argument("--play", action="store_true", help="start playing at once")
    p.add_argument(
        "--start", type=int, default=0, metavar="STEP", help="open the window at this step"
    )
    p.add_argument(
        "--screenshot-dir",
        default=".",
        metavar="DIR",
        help="folder for the screenshots taken with s (default: current folder)",
    )
    p.add_argument(
        "--quit-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="close the window after SECONDS (demos, scripted checks)",
    )
    p.set_defaults(func=_cmd_replay)


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", str(text))
    if not m:
        raise UserError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1280x800")
    w, h = int(m.group(1)), int(m.group(2))
    if not (64 <= w <= 8192 and 64 <= h <= 8192):
        raise UserError(f"--size {w}x{h}: each side must be between 64 and 8192 pixels")
    return w, h


def parse_overlays(text: str | None) -> dict[str, bool]:
    if text is None or text.strip().lower() == "all":
        return {name: True for name in OVERLAYS}
    if text.strip().lower() == "none":
        return {name: False for name in OVERLAYS}
    chosen = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [t for t in chosen if t not in OVERLAYS]
    if bad:
        hints = []
        for t in bad:
            close = difflib.get_close_matches(t, OVERLAYS, n=1)
            hints.append(f"{t!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise UserError(
            f"--overlays: unknown overlay {', '.join(hints)}; choose from {', '.join(OVERLAYS)}"
        )
    return {name: name in chosen for name in OVERLAYS}


def require_pygame() -> Any:
    try:  # pygame is a heavy optional dependency (the viz extra): imported when a command runs
        import pygame
    except ImportError:
        raise UserError("the replay viewer needs pygame-ce: pip install 'aerena[viz]'") from None
    return pygame


def _cmd_replay(args: argparse.Namespace) -> int:
    if len(args.files) > MAX_FILES:
        raise UserError(f"at most {MAX_FILES} replay files side by side, got {len(args.files)}")
    size = parse_size(args.size)
    overlays = parse_overlays(args.overlays)
    if not args.altitude >= 0:
        raise UserError(f"--altitude must be >= 0 metres, got {args.altitude}")
    replays = [load_replay(path) for path in args.files]  # UserError on a bad file
    if args.export:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # offscreen: never a window
    require_pygame()
    scenes = [Scene.from_replay(r) for r in replays]
    # the modules and replays loaded so far live as long as the process: keep them out of
    # the garbage collector's scans (a full scan costs ~10 ms a frame on a 1000-UAV replay)
    gc.collect()
    gc.freeze()
    options = ViewOptions(fog=args.view, coverage_agl=float(args.altitude), **overlays)
    if args.export:
        result = export_replays(
            scenes,
            args.export,
            fps=args.fps,
            size=size,
            start=args.from_step,
            end=args.to_step,
            every=args.every,
            options=options,
            progress=not args.no_progress,
        )
        what = {"png": "PNG frames in", "mp4": "video", "gif": "GIF"}[result.kind]
        print(
            f"wrote {what} {result.path} ({result.frames} frames, "
            f"{result.size[0]}x{result.size[1]}, {args.fps:g} fps)"
        )
        return 0
    return _open_window(scenes, size, options, args)


def _open_window(scenes: list[Any], size: tuple[int, int], options: Any, args: Any) -> int:
    # pygame is a heavy optional dependency (the viz extra): the window's modules load here
    import pygame

    from aerena.viz.viewer import Viewer

    try:
        viewer = Viewer(
            scenes,
            size,
            window=True,
            options=options,
            screenshot_dir=args.screenshot_dir,
            speed=args.speed,
            start=args.start,
            playing=args.play,
        )
    except pygame.error as exc:
        raise UserError(
            f"cannot open a window ({exc}); use --export to render to a file, "
            "or run under a display (DISPLAY / xvfb-run)"
        ) from None
    driver = pygame.display.get_driver()
    if driver in ("offscreen", "dummy") and args.quit_after is None:
        viewer.close()
        raise UserError(
            f"no display to show a window on (SDL video driver {driver!r}); use --export to "
            "render to a file, or run under a display (DISPLAY / xvfb-run)"
        )
    viewer.run(quit_after=args.quit_after)
    return 0
