"""Replay export (aerena replay FILE --export ...): mp4, GIF and PNG frames, read back."""

from __future__ import annotations

import os
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pygame = pytest.importorskip("pygame")
iio = pytest.importorskip("imageio.v3")

from aerena.cli import main  # noqa: E402
from aerena.envs.airdefense.recording import load_replay  # noqa: E402
from aerena.envs.airdefense.rollout import run_rollouts  # noqa: E402
from aerena.errors import UserError  # noqa: E402
from aerena.viz.export import export_kind, export_replays, frame_range  # noqa: E402
from aerena.viz.render import surface_to_array  # noqa: E402
from aerena.viz.scene import Scene  # noqa: E402
from aerena.viz.viewer import Viewer  # noqa: E402


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    res = run_rollouts("tiny", episodes=1, seed=0, record=tmp_path_factory.mktemp("replays"))
    return Path(res["episodes"][0]["replay"])


@pytest.fixture(scope="module")
def scene(tiny_path: Path) -> Scene:
    return Scene.from_replay(load_replay(tiny_path))


def test_mp4_has_every_frame(scene: Scene, tmp_path: Path) -> None:
    pytest.importorskip("imageio_ffmpeg")
    out = tmp_path / "clip.mp4"
    res = export_replays([scene], out, fps=10, size=(320, 240), start=2, end=11, progress=False)
    assert res.frames == 10 and res.kind == "mp4" and out.stat().st_size > 0
    frames = iio.imread(out, plugin="pyav") if _has_pyav() else _read_ffmpeg(out)
    assert len(frames) == 10
    assert frames[0].shape == (240, 320, 3)


def _has_pyav() -> bool:
    import importlib.util

    return importlib.util.find_spec("av") is not None


def _read_ffmpeg(path: Path) -> list[np.ndarray]:
    import imageio.v2 as iio2

    with iio2.get_reader(str(path), format="FFMPEG") as reader:
        return [np.asarray(f) for f in reader]


def test_gif_frames_and_content(scene: Scene, tmp_path: Path) -> None:
    out = tmp_path / "clip.gif"
    res = export_replays(
        [scene], out, fps=5, size=(320, 200), start=0, end=8, every=2, progress=False
    )
    assert res.frames == 5
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == 5 and frames.shape[1:3] == (200, 320)
    meta = iio.immeta(out, index=0)
    assert meta.get("duration") == 200  # ms per frame at 5 fps
    # the GIF frame is the viewer's frame (up to the 256-colour palette)
    v = Viewer([scene], (320, 200), window=False)
    want = surface_to_array(v.frame_surface(4)).astype(np.int64)
    got = np.asarray(frames[2])[..., :3].astype(np.int64)
    assert np.abs(got - want).mean() < 8


def test_png_sequence_equals_the_viewer(scene: Scene, tmp_path: Path) -> None:
    out = tmp_path / "frames"
    res = export_replays([scene], str(out) + "/", size=(400, 300), start=3, end=6, progress=False)
    files = sorted(out.glob("frame_*.png"))
    assert res.kind == "png" and res.frames == 4 and len(files) == 4
    v = Viewer([scene], (400, 300), window=False)
    want = surface_to_array(v.frame_surface(5))
    got = surface_to_array(pygame.image.load(str(files[2])))
    np.testing.assert_array_equal(got, want)


def test_cli_export_side_by_side(
    tiny_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ab.gif"
    rc = main(
        [
            "replay",
            str(tiny_path),
            str(tiny_path),
            "--export",
            str(out),
            "--size",
            "480x240",
            "--to",
            "3",
            "--no-progress",
            "--view",
            "defender",
            "--overlays",
            "trails,coverage",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    assert "4 frames" in capsys.readouterr().out
    assert iio.imread(out, index=None).shape[0] == 4


def test_bad_targets_and_ranges(
    tiny_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UserError, match="unknown output type"):
        export_kind(tmp_path / "x.avi")
    assert export_kind(tmp_path / "dir/") == "png" and export_kind("a.MP4") == "mp4"
    assert list(frame_range(10, None, None, 3)) == [0, 3, 6, 9]
    assert list(frame_range(10, 8, 100)) == [8, 9]
    with pytest.raises(UserError, match="--from"):
        frame_range(10, 12, None)
    with pytest.raises(UserError, match="--every"):
        frame_range(10, 0, None, 0)
    rc = main(["replay", str(tiny_path), "--export", str(tmp_path / "x.webp")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1
