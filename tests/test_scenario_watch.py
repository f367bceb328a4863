"""``aerena scenario watch``: headless PNGs on change, the error view, the extends chain."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
pygame = pytest.importorskip("pygame")

from aerena.cli import main  # noqa: E402
from aerena.scenarios.loader import SHIPPED_DIR, source_files  # noqa: E402
from aerena.viz.watch import Watcher, error_panes, save_png  # noqa: E402

SIZE = (480, 300)


def _tiny(tmp_path: Path, extends: str = "base.yaml") -> Path:
    text = (SHIPPED_DIR / "tiny.yaml").read_text(encoding="utf-8")
    path = tmp_path / "raid.yaml"
    path.write_text(text.replace("extends: base.yaml", f"extends: {extends}"), encoding="utf-8")
    return path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _pixels(surface: pygame.Surface) -> bytes:
    return pygame.image.tobytes(surface, "RGB")


def test_edit_redraws_and_broken_edit_keeps_last_good(tmp_path: Path) -> None:
    path = _tiny(tmp_path)
    w = Watcher(path, size=SIZE)
    assert w.poll() and w.error is None and w.version == 1
    first = _pixels(w.view())
    assert not w.poll()  # nothing changed
    _edit(path, "position: [8500, 5000]", "position: [6000, 2500]")  # move the depot
    assert w.poll() and w.error is None
    moved = w.last_good
    assert _pixels(w.view()) != first
    _edit(path, "type: search", "type: serch")
    assert w.poll()
    assert w.error is not None
    assert "raid.yaml:" in w.error and "defender.radars[0].type" in w.error
    assert "did you mean 'search'" in w.error
    assert w.last_good is moved  # the last good picture stays
    view = w.view()
    picture, message = error_panes(SIZE)
    expected = pygame.transform.smoothscale(moved, picture.size)
    assert _pixels(view.subsurface(picture)) == _pixels(expected)  # beside the message
    assert view.get_at((message.x + 1, message.y + 1))[:3] != view.get_at((5, 5))[:3]
    _edit(path, "type: serch", "type: search")  # fixed again
    assert w.poll() and w.error is None and w.version == 4


def test_a_change_in_an_extended_file_redraws(tmp_path: Path) -> None:
    base = tmp_path / "mybase.yaml"
    base.write_text((SHIPPED_DIR / "base.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    path = _tiny(tmp_path, extends="mybase.yaml")
    assert source_files(path) == [path.resolve(), base.resolve()]
    w = Watcher(path, size=SIZE)
    assert w.poll()
    before = _pixels(w.view())
    _edit(base, "range_max: 15000", "range_max: 4000")  # the launcher's range ring
    assert w.poll() and w.error is None
    assert _pixels(w.view()) != before


def test_save_png_is_atomic(tmp_path: Path) -> None:
    surface = pygame.Surface((8, 8))
    out = save_png(surface, tmp_path / "a" / "x.png")
    assert out.is_file() and [p.name for p in out.parent.iterdir()] == ["x.png"]


def test_cli_export_writes_a_png_on_every_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _tiny(tmp_path)
    out = tmp_path / "pics"
    argv = ["scenario", "watch", str(path), "--export", str(out), "--size", "320x200"]
    argv += ["--interval", "0.05", "--quit-after", "3"]
    rc: list[int] = []
    thread = threading.Thread(target=lambda: rc.append(main(argv)))
    thread.start()

    def wait_for(n: int) -> list[Path]:
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            pngs = sorted(out.glob("raid_*.png"))
            if len(pngs) >= n:
                return pngs
            time.sleep(0.02)
        raise AssertionError(f"no PNG number {n} in {out}")

    try:
        assert [p.name for p in wait_for(1)] == ["raid_0001.png"]
        _edit(path, "type: search", "type: serch")
        assert wait_for(2)[-1].name == "raid_0002.png"
        _edit(path, "type: serch", "type: search")
        wait_for(3)
    finally:
        thread.join()
    assert rc == [0]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("raid_0001.png")
    assert "raid_0002.png: error view: " in lines[1] and "raid.yaml:" in lines[1]
    assert "defender.radars[0].type: unknown radar type 'serch'" in lines[1]
    assert lines[2].endswith("raid_0003.png")


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["scenario", "watch", str(tmp_path / "nope.yaml"), "--export", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: scenario file not found") and err.count("\n") == 1


def test_cli_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _tiny(tmp_path)
    argv = ["scenario", "watch", str(path), "--size", "320x200"]
    assert main([*argv, "--quit-after", "0.2"]) == 0  # dummy video driver: a hidden window
    assert capsys.readouterr().out.splitlines() == ["redrawn (version 1)"]
    assert main(argv) == 2  # ... which nobody could see: refused
    assert "no display to show a window on" in capsys.readouterr().err
