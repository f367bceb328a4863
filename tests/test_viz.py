"""The replay renderer and viewer (aerena.viz), headless: SDL's dummy video driver.

Frames have the expected pixels where units are, overlays change the frame, scripted key
and mouse events drive the viewer (playhead, pause, speed, zoom, pan, selection,
screenshot, help, fog of war, quit), the envs' rgb_array render equals the replay renderer
for the same state, the CLI turns bad files into one-line errors, the layout picture and
the benchmark run. No timing is asserted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType

from tests.scripts import load_script

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pygame = pytest.importorskip("pygame")

from aerena.agents.scripted import make_player, side_columns  # noqa: E402
from aerena.cli import main  # noqa: E402
from aerena.envs.airdefense import layout as Lo  # noqa: E402
from aerena.envs.airdefense.recording import Recorder, load_replay, write_replay  # noqa: E402
from aerena.envs.airdefense.rollout import run_rollouts  # noqa: E402
from aerena.viz.palette import ALT_COLOURS, ASSET  # noqa: E402
from aerena.viz.render import (  # noqa: E402
    ALT_EDGES,
    OVERLAYS,
    Camera,
    Renderer,
    ViewOptions,
    pane_layout,
    surface_to_array,
)
from aerena.viz.scene import Scene  # noqa: E402
from aerena.viz.viewer import KEYS, SPEEDS, Viewer, timeline_point  # noqa: E402

SIZE = (960, 600)
NONE = {name: False for name in OVERLAYS}


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("replays")
    res = run_rollouts("tiny", episodes=1, seed=0, record=out)
    return Path(res["episodes"][0]["replay"])


@pytest.fixture(scope="module")
def strike_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """strike_small cut at 130 steps: launches, a jammer on, radar tracks."""
    out = tmp_path_factory.mktemp("replays_strike")
    res = run_rollouts(
        "strike_small", episodes=1, seed=0, record=out, overrides={"episode.max_steps": 130}
    )
    return Path(res["episodes"][0]["replay"])


@pytest.fixture(scope="module")
def tiny(tiny_path: Path) -> Scene:
    return Scene.from_replay(load_replay(tiny_path))


@pytest.fixture(scope="module")
def strike(strike_path: Path) -> Scene:
    return Scene.from_replay(load_replay(strike_path))


def _frame(scene: Scene, f: int, size: tuple[int, int] = SIZE, **opts: object) -> np.ndarray:
    r = Renderer(scene, ViewOptions(**{**NONE, **opts}))  # type: ignore[arg-type]
    return surface_to_array(r.render(f, size))


def _screen(scene: Scene, x: float, y: float, size: tuple[int, int] = SIZE) -> tuple[int, int]:
    map_rect = pane_layout(size, 1, timeline=False)[0][0][0]
    t = Camera().transform(map_rect, scene)
    sx, sy = t.to_screen(x, y)
    return int(round(float(sx))), int(round(float(sy)))


def _near(img: np.ndarray, xy: tuple[int, int], colour: tuple[int, ...], r: int = 2) -> float:
    """Smallest colour distance to `colour` within r pixels of xy."""
    x, y = xy
    patch = img[y - r : y + r + 1, x - r : x + r + 1].astype(np.int64)
    return float(np.sqrt(((patch - np.array(colour)) ** 2).sum(-1)).min())


# --------------------------------------------------------------------------------------
# Pixels
# --------------------------------------------------------------------------------------
def test_units_colour_their_pixels(tiny: Scene) -> None:
    fr = tiny.fr
    # a frame with a UAV in flight
    f = int(np.flatnonzero((fr["air_status"][:, tiny.C :] == Lo.ACTIVE).any(axis=1))[2])
    a = tiny.C + int(np.flatnonzero(fr["air_status"][f, tiny.C :] == Lo.ACTIVE)[0])
    x, y, z = (float(v) for v in fr["air_pos"][f, a])
    agl = z - float(tiny.terrain_at(np.array([x]), np.array([y]))[0])
    band = int(np.clip(np.searchsorted(ALT_EDGES, agl, side="right") - 1, 0, 6))
    img = _frame(tiny, f)
    assert img.shape == (SIZE[1], SIZE[0], 3) and img.dtype == np.uint8
    xy = _screen(tiny, x, y)
    assert _near(img, xy, ALT_COLOURS[band]) < 40, "the UAV's fill colour at its position"
    # frame 0: the UAV is waiting, its spot is plain terrain
    img0 = _frame(tiny, 0)
    assert _near(img0, xy, ALT_COLOURS[band]) > 40
    # the asset: an amber square at its position
    g = int(tiny.assets[0])
    gxy = _screen(tiny, float(tiny.gnd_pos[g, 0]), float(tiny.gnd_pos[g, 1]))
    assert _near(img, gxy, ASSET, r=1) < 30
    # a screen pixel far from every unit is not amber
    assert _near(img, _screen(tiny, 1000.0, 9000.0), ASSET, r=1) > 60


def test_each_overlay_changes_the_frame(strike: Scene, tiny: Scene) -> None:
    fr = strike.fr
    jam_frames = np.flatnonzero(fr["air_jam"].any(axis=1))
    assert len(jam_frames), "the strike replay should have a jammer on"
    f = int(jam_frames[5])
    base = _frame(strike, f)
    for name in ("trails", "coverage", "jamming", "links", "labels"):
        on = _frame(strike, f, **{name: True})
        assert not np.array_equal(on, base), f"overlay {name} changed nothing"
    # interceptors and engagement lines: a frame of tiny with an interceptor in flight
    g = int(np.flatnonzero((tiny.fr["int_status"] == Lo.INT_FLYING).any(axis=1))[0])
    base = _frame(tiny, g)
    for name in ("interceptors", "engagements"):
        assert not np.array_equal(_frame(tiny, g, **{name: True}), base), name
    # event flashes: a frame with a kill
    kills = tiny.fr["events"][:, 1] == Lo.EV_INTERCEPT_KILL
    row = int(np.flatnonzero(kills)[0])
    fk = int(np.searchsorted(tiny.fr["event_index"], row, side="right") - 1)
    assert not np.array_equal(_frame(tiny, fk, events=True), _frame(tiny, fk))
    # fog of war views
    assert not np.array_equal(_frame(strike, 10, fog="attacker"), _frame(strike, 10))
    assert not np.array_equal(_frame(strike, f, fog="defender"), _frame(strike, f))


def test_coverage_uses_the_visibility_kernel_and_caches(strike: Scene) -> None:
    from aerena.envs.airdefense.terrain import visibility_map

    r = Renderer(strike)
    vis = r.visibility(0, 100.0)
    assert r.visibility(0, 100.0) is vis  # cached per radar and height
    g = int(strike.radar_g[0])
    x0, y0, zg = (float(v) for v in strike.gnd_pos[g])
    want = np.zeros(strike.heights.shape, np.bool_)
    z0 = zg + float(strike.extras.radar_mast[0])
    visibility_map(
        strike.heights, strike.cell, x0, y0, z0, 100.0, float(strike.st["radar_range"][0]), want
    )
    np.testing.assert_array_equal(vis, want)
    assert strike.extras.source == "scenario" and strike.extras.radar_mast[0] == 40.0
    assert 0 < vis.mean() < 1  # terrain masks part of the range
    high = r.visibility(0, 1000.0)
    assert high.sum() >= vis.sum()


def test_hud_and_event_log(tiny: Scene) -> None:
    r = Renderer(tiny)
    last = tiny.frames - 1
    text = " ".join(
        line if isinstance(line, str) else " ".join(line) for line, _ in r.hud_lines(last)
    )
    assert "winner defender" in text and "interceptors left" in text and "score" in text
    assert "asset value left" in text
    rows = [tiny.event_text(i) for i in range(tiny.events_until(last))]
    assert any("launch" in t for t in rows) and any("kill" in t for t in rows)
    r.options.selected = ("gnd", int(tiny.launcher_g[0]))
    assert any("stock" in line for line, _ in r.detail_lines(last))


# --------------------------------------------------------------------------------------
# The viewer, driven by posted events
# --------------------------------------------------------------------------------------
def _key(key: int, mod: int = 0, uni: str = "") -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=uni))


def _mouse(kind: int, pos: tuple[int, int], **kw: object) -> None:
    pygame.event.post(pygame.event.Event(kind, pos=pos, **kw))


def test_viewer_keys_and_mouse(tiny: Scene, tmp_path: Path) -> None:
    v = Viewer([tiny], (1280, 800), window=True, screenshot_dir=tmp_path)
    try:
        assert v.tick(0.0) and v.current == 0
        _key(pygame.K_RIGHT)
        v.tick(0.0)
        assert v.current == 1
        _key(pygame.K_RIGHT, pygame.KMOD_SHIFT)
        v.tick(0.0)
        assert v.current == 11
        _key(pygame.K_LEFT)
        v.tick(0.0)
        assert v.current == 10
        # play for 0.5 s at the default 20 steps/s, then pause
        assert not v.playing
        _key(pygame.K_SPACE)
        v.tick(0.0)
        assert v.playing
        v.tick(0.5)
        assert v.current == 20
        _key(pygame.K_SPACE)
        v.tick(0.0)
        v.tick(1.0)
        assert not v.playing and v.current == 20
        # speed
        s0 = v.speed
        _key(pygame.K_PLUS, uni="+")
        v.tick(0.0)
        assert v.speed > s0
        _key(pygame.K_MINUS, uni="-")
        _key(pygame.K_MINUS, uni="-")
        v.tick(0.0)
        assert v.speed < s0 and v.speed in SPEEDS
        # wheel zoom at the map centre
        map_rect = v.panes[0][0]
        z0 = v.cameras[0].zoom
        pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=2, pos=map_rect.center))
        v.tick(0.0)
        assert v.cameras[0].zoom > z0
        # drag pans
        cx0 = v.cameras[0].cx
        start = (map_rect.centerx, map_rect.centery)
        _mouse(pygame.MOUSEBUTTONDOWN, start, button=1)
        _mouse(pygame.MOUSEMOTION, (start[0] + 40, start[1]), rel=(40, 0), buttons=(1, 0, 0))
        _mouse(pygame.MOUSEMOTION, (start[0] + 80, start[1]), rel=(40, 0), buttons=(1, 0, 0))
        _mouse(pygame.MOUSEBUTTONUP, (start[0] + 80, start[1]), button=1)
        v.tick(0.0)
        assert v.cameras[0].cx < cx0 and v.renderers[0].options.selected is None
        _key(pygame.K_0)
        v.tick(0.0)
        assert v.cameras[0].zoom == 1.0
        # click the asset: selected
        g = int(tiny.assets[0])
        t = v.cameras[0].transform(map_rect, tiny)
        gx, gy = t.to_screen(tiny.gnd_pos[g, 0], tiny.gnd_pos[g, 1])
        pos = (int(round(float(gx))), int(round(float(gy))))
        _mouse(pygame.MOUSEBUTTONDOWN, pos, button=1)
        _mouse(pygame.MOUSEBUTTONUP, pos, button=1)
        v.tick(0.0)
        assert v.renderers[0].options.selected == ("gnd", g)
        # timeline: click, then drag
        _mouse(pygame.MOUSEBUTTONDOWN, timeline_point(v, 5), button=1)
        v.tick(0.0)
        assert v.current == 5
        _mouse(pygame.MOUSEMOTION, timeline_point(v, 25), rel=(1, 0), buttons=(1, 0, 0))
        _mouse(pygame.MOUSEBUTTONUP, timeline_point(v, 25), button=1)
        v.tick(0.0)
        assert v.current == 25
        # overlays, fog, coverage height, help
        _key(pygame.K_c)
        v.tick(0.0)
        assert not v.renderers[0].options.coverage
        _key(pygame.K_RIGHTBRACKET)
        v.tick(0.0)
        assert v.renderers[0].options.coverage and v.renderers[0].options.coverage_agl == 300.0
        _key(pygame.K_v)
        v.tick(0.0)
        assert v.renderers[0].options.fog == "attacker"
        _key(pygame.K_h, uni="h")
        v.tick(0.0)
        assert v.show_help
        # screenshot
        _key(pygame.K_s, uni="s")
        v.tick(0.0)
        assert len(v.screenshots) == 1 and v.screenshots[0].is_file()
        shot = pygame.image.load(str(v.screenshots[0]))
        assert shot.get_size() == (1280, 800)
        # end / home, quit
        _key(pygame.K_END)
        v.tick(0.0)
        assert v.current == tiny.frames - 1
        _key(pygame.K_q, uni="q")
        assert not v.tick(0.0)
    finally:
        v.close()


def test_help_lists_every_key() -> None:
    text = " ".join(k for k, _ in KEYS)
    for key in ("space", "left", "shift", "+", "c", "j", "l", "e", "i", "t", "v", "s", "h"):
        assert key in text
    assert "mouse wheel" in text and "timeline" in text and "click" in text


def test_two_replays_side_by_side_one_playhead(tiny: Scene, strike: Scene) -> None:
    v = Viewer([tiny, strike], (1280, 800), window=False)
    assert v.total == max(tiny.total_frames, strike.total_frames)
    assert len(v.panes) == 2 and v.cameras[0] is not v.cameras[1]  # different maps
    v.seek(100)  # past tiny's end: it stays on its last frame
    img = surface_to_array(v.draw())
    assert img.shape == (800, 1280, 3)
    left, right = img[:, :640], img[:, 640:]
    assert not np.array_equal(left, right)


# --------------------------------------------------------------------------------------
# The envs' rgb_array render is the replay renderer
# --------------------------------------------------------------------------------------
def test_env_rgb_array_matches_the_replay_renderer(tmp_path: Path) -> None:
    from aerena.envs.airdefense.parallel import AirDefenseParallelEnv

    env = AirDefenseParallelEnv("tiny", seed=3, render_mode="rgb_array")
    assert "rgb_array" in env.metadata["render_modes"] and "human" in env.metadata["render_modes"]
    env.reset(seed=3)
    rec = Recorder(env.world, 0)  # an independent recording, as `aerena rollout` makes
    att = make_player("attacker", "scripted", env.world, seed=1)
    dfd = make_player("defender", "scripted", env.world, seed=2)
    ca, cd = side_columns(env.world, "attacker"), side_columns(env.world, "defender")
    names = env.possible_agents
    live: dict[int, np.ndarray] = {0: env.render()}
    while env.agents:
        a = np.zeros(len(names), np.int64)
        a[ca], a[cd] = att.act()[0], dfd.act()[0]
        env.step({n: int(a[names.index(n)]) for n in env.agents})
        rec.capture()
        step = int(env.world.state.step[0])
        if step % 7 == 0 or not env.agents:
            live[step] = env.render()
    path = rec.save(tmp_path / "live.aerena-replay.npz", episode=0)
    replay = Renderer(Scene.from_replay(load_replay(path)))
    for step, img in live.items():
        assert img.shape == (640, 1024, 3) and img.dtype == np.uint8
        want = surface_to_array(replay.render(step, (1024, 640)))
        np.testing.assert_array_equal(img, want, err_msg=f"step {step}")
    env.close()


def test_env_human_mode_draws_a_window() -> None:
    from aerena.envs.airdefense.parallel import AirDefenseParallelEnv

    env = AirDefenseParallelEnv("tiny", seed=0, render_mode="human")
    env.reset(seed=0)
    env._view.fps = 0  # no frame pacing in the test
    for _ in range(3):
        env.step({a: 0 for a in env.agents})
    assert env.render() is None
    window = pygame.display.get_surface()
    assert window is not None and window.get_size() == tuple(env.render_size)
    assert env._view.scene.frames == 4  # frame 0 and three steps, recorded as they ran
    env.close()
    assert not pygame.display.get_init()


def test_single_env_rgb_array() -> None:
    import gymnasium

    env = gymnasium.make(
        "aerena/AirDefense-v2", scenario="tiny", opponent="random", render_mode="rgb_array"
    )
    env.reset(seed=0)
    img = env.render()
    assert isinstance(img, np.ndarray) and img.shape == (640, 1024, 3) and img.dtype == np.uint8
    for _ in range(5):
        env.step(env.action_space.sample())
    assert not np.array_equal(env.render(), img)  # time moved on
    env.close()


# --------------------------------------------------------------------------------------
# CLI: errors, layout picture
# --------------------------------------------------------------------------------------
def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], *needles: str) -> str:
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert err.startswith("error: ") and "\n" not in err, err
    for n in needles:
        assert n in err, err
    return err


def test_bad_replay_files_are_one_line_errors(
    tiny_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.aerena-replay.npz"
    bad.write_bytes(b"not a zip at all")
    _one_line_error(capsys, ["replay", str(bad)], "bad.aerena-replay.npz")
    trunc = tmp_path / "trunc.aerena-replay.npz"
    trunc.write_bytes(tiny_path.read_bytes()[:2000])
    _one_line_error(capsys, ["replay", str(trunc), "--export", str(tmp_path / "x.mp4")], "trunc")
    rep = load_replay(tiny_path)
    meta = dict(rep.meta, format_version=99)
    future = write_replay(tmp_path / "future.aerena-replay.npz", rep.arrays, meta)
    _one_line_error(capsys, ["replay", str(future)], "newer", "upgrade")
    _one_line_error(capsys, ["replay", str(tmp_path / "missing.npz")], "no such replay")
    _one_line_error(capsys, ["replay", str(tiny_path), "--size", "big"], "--size")
    _one_line_error(capsys, ["replay", str(tiny_path), "--overlays", "trail"], "did you mean")


def test_scenario_show_layout_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "layout.png"
    rc = main(["scenario", "show", "tiny", "--out", str(out), "--size", "800x500"])
    assert rc == 0, capsys.readouterr().err
    assert "layout:" in capsys.readouterr().out
    img = pygame.image.load(str(out))
    assert img.get_size() == (800, 500)


# --------------------------------------------------------------------------------------
# The benchmark script runs (no timing asserted)
# --------------------------------------------------------------------------------------
def _bench() -> ModuleType:
    return load_script("benchmarks/viewer_fps.py")


def test_benchmark_quick_run_writes_json(tiny_path: Path, tmp_path: Path) -> None:
    import gc
    import shutil

    bench = _bench()
    replays = tmp_path / "replays"
    replays.mkdir()
    shutil.copy(tiny_path, bench.replay_path(replays, "tiny"))
    out = tmp_path / "fps.json"
    argv = ["--scenarios", "tiny", "--seconds", "0.02", "--repeats", "1", "--window", "4"]
    argv += ["--replays", str(replays), "--out", str(out), "--no-pin"]
    try:
        assert bench.main(argv) == 0
    finally:
        gc.unfreeze()
    rec = json.loads(out.read_text())
    rows = {r["row"]: r for r in rec["rows"]}
    assert "peer: terrain blit" in rows and "tiny" in rows
    assert all(r["fps"] > 0 for r in rows.values())
