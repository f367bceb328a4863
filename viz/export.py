"""Export replays offscreen to a video (.mp4), an animated GIF or a folder of PNG frames.

    aerena replay FILE --export out.mp4 [--fps 20] [--size 1280x800] [--from 100 --to 400]
    aerena replay A B --export side_by_side.gif --size 960x540 --every 2
    aerena replay FILE --export frames/              # frames/frame_00000.png, ...

The frames are the viewer's (:class:`~.viewer.Viewer` drawing into an offscreen Surface, no
window; the CLI sets the SDL dummy video driver): one video frame per recorded step from
`--from` to `--to` (inclusive, every `--every`-th), played at `--fps`. Encoding goes through
imageio: `.mp4` is H.264 (yuv420p) by the ffmpeg binary of `imageio-ffmpeg`; `.gif` by
Pillow (each frame quantised to 256 colours; a GIF is written at the end, so its frames are
held in memory, about width x height bytes each). A folder target gets one PNG per frame.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from aerena.errors import UserError
from aerena.viz.scene import Scene

VIDEO_SUFFIXES = (".mp4", ".gif")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    kind: str  # "mp4" | "gif" | "png"
    frames: int
    size: tuple[int, int]


def export_kind(out: str | os.PathLike[str]) -> str:
    """'mp4', 'gif' or 'png' (a folder) for an export target; UserError otherwise."""
    text = os.fspath(out)
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir() or not path.suffix:
        return "png"
    suffix = path.suffix.lower()
    if suffix == ".mp4":
        return "mp4"
    if suffix == ".gif":
        return "gif"
    raise UserError(
        f"--export {text}: unknown output type {suffix!r}; use a .mp4 or .gif file, "
        "or a folder (ending in /) for PNG frames"
    )


def frame_range(total: int, start: int | None, end: int | None, every: int = 1) -> range:
    """The frames to export: [start, end] (clamped to the episode) every `every`."""
    if every < 1:
        raise UserError(f"--every must be at least 1, got {every}")
    lo = 0 if start is None else int(start)
    hi = total - 1 if end is None else int(end)
    if lo < 0 or lo > total - 1:
        raise UserError(f"--from {lo} is outside the episode (steps 0 to {total - 1})")
    hi = min(hi, total - 1)
    if hi < lo:
        raise UserError(f"--to {hi} is before --from {lo}")
    return range(lo, hi + 1, every)


def _require_imageio(kind: str) -> Any:
    # imageio (+ imageio-ffmpeg) is an optional dependency of the viz extra: imported on use
    try:
        import imageio.v2 as iio
    except ImportError:
        raise UserError(
            f"exporting a {kind} needs imageio (and imageio-ffmpeg for .mp4): "
            "pip install 'aerena[viz]'"
        ) from None
    if kind == "mp4":
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError:
            raise UserError(
                "exporting an .mp4 needs imageio-ffmpeg: pip install 'aerena[viz]'"
            ) from None
    return iio


def export_replays(
    scenes: Sequence[Scene],
    out: str | os.PathLike[str],
    *,
    fps: float = 20.0,
    size: tuple[int, int] = (1280, 800),
    start: int | None = None,
    end: int | None = None,
    every: int = 1,
    options: Any = None,
    progress: bool = True,
    on_frame: Callable[[int], None] | None = None,
) -> ExportResult:
    """Render frames of `scenes` (side by side, one playhead) offscreen and write `out`."""
    # pygame is a heavy optional dependency (the viz extra): imported when frames are drawn
    import pygame

    from aerena.viz.surfaces import surface_to_array
    from aerena.viz.viewer import Viewer

    kind = export_kind(out)
    if not fps > 0:
        raise UserError(f"--fps must be positive, got {fps}")
    w, h = int(size[0]), int(size[1])
    if kind == "mp4":  # yuv420p needs even sides
        w, h = w - w % 2, h - h % 2
    if w < 64 or h < 64:
        raise UserError(f"--size {w}x{h} is too small (at least 64x64)")
    viewer = Viewer(scenes, (w, h), window=False, options=options)
    frames = frame_range(viewer.total, start, end, every)
    path = Path(out)
    writer: Any = None
    if kind == "png":
        path.mkdir(parents=True, exist_ok=True)
    else:
        iio = _require_imageio(kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "mp4":
            writer = iio.get_writer(
                str(path),
                format="FFMPEG",
                mode="I",
                fps=float(fps),
                codec="libx264",
                quality=8,
                pixelformat="yuv420p",
                macro_block_size=2,
                ffmpeg_log_level="error",
            )
        else:
            import imageio.v3 as iio3  # optional, as in _require_imageio

            writer = iio3.imopen(str(path), "w", plugin="pillow", extension=".gif")
    written = 0
    bar = _progress(progress, len(frames), path)
    try:
        with bar as prog:
            task = prog.add_task("export", total=len(frames)) if prog is not None else None
            for n, f in enumerate(frames):
                surf = viewer.frame_surface(f)
                if kind == "png":
                    pygame.image.save(surf, str(path / f"frame_{n:05d}.png"))
                elif kind == "mp4":
                    writer.append_data(surface_to_array(surf))
                else:
                    writer.write(
                        surface_to_array(surf),
                        duration=1000.0 / float(fps),
                        loop=0,
                        bits=8,
                        is_batch=False,
                    )
                written += 1
                if prog is not None:
                    prog.update(task, advance=1)
                if on_frame is not None:
                    on_frame(f)
    finally:
        if writer is not None:
            writer.close()
    return ExportResult(path, kind, written, (w, h))


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _progress(enabled: bool, total: int, path: Path) -> Any:
    if not enabled:
        return _NoProgress()
    return Progress(
        TextColumn(f"[bold]{path.name or path}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("frames"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
