"""Golden frames of the renderer: pixel checksums of fixed-seed episodes, headless.

The checksums were recorded with the renderer before it was split into layers
(`viz/render.py` as one class); the split, and any later change that means to keep the
picture, must reproduce them bit for bit. They hold for the pinned pygame-ce and numpy
(other versions may round a smoothscale or a glyph differently: the test then skips).
To record new ones after a deliberate change of the picture:
`AERENA_RECORD_FRAMES=1 python -m pytest tests/test_viz_frames.py -s` prints them.
"""

from __future__ import annotations

import hashlib
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pygame = pytest.importorskip("pygame")

from aerena.envs.airdefense import layout as Lo  # noqa: E402
from aerena.envs.airdefense.recording import load_replay  # noqa: E402
from aerena.envs.airdefense.rollout import run_rollouts  # noqa: E402
from aerena.viz.layout import render_layout  # noqa: E402
from aerena.viz.render import Camera, Renderer, ViewOptions, surface_to_array  # noqa: E402
from aerena.viz.scene import Scene  # noqa: E402
from aerena.viz.viewer import Viewer  # noqa: E402

VERSIONS = ("2.5.8", "2.4.6")  # pygame-ce, numpy the checksums were recorded with
GOLDEN = {
    "tiny_first": "94d0d18658c6b27d",
    "tiny_flying": "44cdca9cbeb0447d",
    "tiny_kill": "4b7cf998343b8d00",
    "tiny_last": "2b2b0cabb6b258ec",
    "strike_truth": "a8ad1c3991febca9",
    "strike_attacker": "2180b0184af0c193",
    "strike_defender": "6f8c01c6e03e41e1",
    "strike_air_selected": "550e359ce55eff9c",
    "strike_radar_selected": "05ec8914a77de2c3",
    "strike_launcher_selected": "bc6647c5790a0b2f",
    "strike_narrow": "7b1e942e3a2a08d9",
    "strike_zoom2.5": "02d59eef00ae9e0c",
    "strike_zoom48": "5f9d3a93c36ac331",
    "viewer_two_panes": "dfe8cb92c43a6292",
    "layout_strike": "2d178a5d05480d88",
}


def _digest(surface: pygame.Surface) -> str:
    return hashlib.sha256(surface_to_array(surface).tobytes()).hexdigest()[:16]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scene]:
    out = tmp_path_factory.mktemp("golden")
    tiny = run_rollouts("tiny", episodes=1, seed=0, record=out / "tiny")
    strike = run_rollouts(
        "strike_small",
        episodes=1,
        seed=0,
        record=out / "strike",
        overrides={"episode.max_steps": 130},
    )
    return {
        "tiny": Scene.from_replay(load_replay(tiny["episodes"][0]["replay"])),
        "strike": Scene.from_replay(load_replay(strike["episodes"][0]["replay"])),
    }


def _frames(scenes: dict[str, Scene]) -> dict[str, str]:
    """name -> checksum of every picture the test covers."""
    tiny, strike = scenes["tiny"], scenes["strike"]
    out: dict[str, str] = {}
    # tiny: first, an interceptor in flight, a kill, last; all overlays, with the timeline
    flying = int(np.flatnonzero((tiny.fr["int_status"] == Lo.INT_FLYING).any(axis=1))[0])
    row = int(np.flatnonzero(tiny.fr["events"][:, 1] == Lo.EV_INTERCEPT_KILL)[0])
    kill = int(np.searchsorted(tiny.fr["event_index"], row, side="right") - 1)
    for name, f in (("first", 0), ("flying", flying), ("kill", kill), ("last", tiny.frames - 1)):
        r = Renderer(tiny)
        out[f"tiny_{name}"] = _digest(r.render(f, (960, 600), timeline=True))
    # strike: a jammer on, each fog view, selections, a narrow window, zoomed cameras
    f = int(np.flatnonzero(strike.fr["air_jam"].any(axis=1))[5])
    a = int(np.flatnonzero(strike.fr["air_status"][f] == Lo.ACTIVE)[0])
    radar = int(strike.radar_g[0])
    launcher = int(strike.launcher_g[0])
    cases: dict[str, dict] = {
        "truth": {},
        "attacker": {"fog": "attacker"},
        "defender": {"fog": "defender"},
        "air_selected": {"selected": ("air", a)},
        "radar_selected": {"selected": ("gnd", radar), "log_detections": False},
        "launcher_selected": {"selected": ("gnd", launcher), "coverage_agl": 1000.0},
    }
    for name, opts in cases.items():
        r = Renderer(strike, ViewOptions(**opts))
        out[f"strike_{name}"] = _digest(r.render(f, (1100, 700)))
    r = Renderer(strike)
    out["strike_narrow"] = _digest(r.render(f, (640, 720), timeline=True))
    x, y = (float(v) for v in strike.fr["air_pos"][f, a, :2])
    for zoom in (2.5, 48.0):
        cam = Camera(cx=x, cy=y, zoom=zoom)
        out[f"strike_zoom{zoom:g}"] = _digest(r.render(f, (1100, 700), camera=cam))
    # the viewer: two panes, one playhead, the shared timeline
    v = Viewer([tiny, strike], (1400, 700), window=False)
    out["viewer_two_panes"] = _digest(v.frame_surface(40))
    # the scenario layout picture
    out["layout_strike"] = _digest(render_layout("strike_small", size=(1000, 640)))
    return out


def test_frames_equal_the_recorded_checksums(scenes: dict[str, Scene]) -> None:
    got = _frames(scenes)
    if os.environ.get("AERENA_RECORD_FRAMES"):
        print("GOLDEN = {")
        for k, v in got.items():
            print(f'    "{k}": "{v}",')
        print("}")
        return
    if (pygame.version.ver, np.__version__) != VERSIONS:
        pytest.skip(f"checksums recorded with pygame-ce, numpy {VERSIONS}")
    assert got.keys() == GOLDEN.keys()
    bad = [k for k in got if got[k] != GOLDEN[k]]
    assert not bad, f"frames differ from the recorded ones: {bad}"


def test_frames_are_deterministic(scenes: dict[str, Scene]) -> None:
    """The same picture twice from fresh renderers (what the checksums rely on)."""
    strike = scenes["strike"]
    f = strike.frames // 2
    one = surface_to_array(Renderer(strike).render(f, (800, 500), timeline=True))
    two = surface_to_array(Renderer(strike).render(f, (800, 500), timeline=True))
    np.testing.assert_array_equal(one, two)
