"""The viewer's what-if key b: futures from the current frame, beside the original."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
pygame = pytest.importorskip("pygame")

from aerena.envs.airdefense.recording import FRAME_KEYS, load_replay, write_replay  # noqa: E402
from aerena.envs.airdefense.rollout import run_rollouts  # noqa: E402
from aerena.viz.scene import Scene  # noqa: E402
from aerena.viz.viewer import BRANCHES, Viewer  # noqa: E402

AT = 8


@pytest.fixture(scope="module")
def replay_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("viewer_branch")
    return Path(run_rollouts("tiny", episodes=1, seed=2, record=d)["episodes"][0]["replay"])


def _press_b(viewer: Viewer) -> None:
    pygame.display.init()  # the event queue (dummy video driver: no window)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_b, mod=0, unicode="b"))
    viewer.tick(0.0)
    assert viewer.branch_job is not None
    assert viewer.branch_job.wait(120)
    viewer.tick(0.0)  # picks the futures up


def test_key_b_branches_beside_the_original(replay_path: Path) -> None:
    rec = load_replay(replay_path)
    v = Viewer([Scene.from_replay(rec)], (960, 600), window=False)
    v.seek(AT)
    _press_b(v)
    assert v.branch_job is None and len(v.scenes) == 1 + BRANCHES
    assert f"{BRANCHES} futures from step {AT}" in v.message
    for k, sc in enumerate(v.scenes[1:]):
        assert sc.meta["branch"]["index"] == k and "branch" in sc.title
        assert sc.frames == sc.total_frames and int(sc.fr["step"][-1]) == sc.frames - 1
        for key in ("air_pos", "gnd_hp", "stock"):  # the recording up to the branch step
            np.testing.assert_array_equal(sc.fr[key][: AT + 1], rec.arrays[key][: AT + 1])
        np.testing.assert_array_equal(sc.fr["event_index"][: AT + 1], rec.event_index[: AT + 1])
        assert len(sc.fr["event_index"]) == sc.frames + 1
    first = v.scenes[1]  # branch 0: recorded players and randomness, the recorded episode
    assert first.frames == rec.frames
    for key in FRAME_KEYS:
        np.testing.assert_array_equal(first.fr[key], rec.arrays[key], err_msg=key)
    np.testing.assert_array_equal(first.fr["events"], rec.events)
    v.seek(v.total - 1)
    surf = v.draw()  # four panes draw, to the last frame of the longest
    assert surf.get_size() == (960, 600) and len(v.panes) == 1 + BRANCHES


def test_key_b_on_a_replay_it_cannot_reproduce(replay_path: Path, tmp_path: Path) -> None:
    rec = load_replay(replay_path)
    arrays = {k: v.copy() for k, v in rec.arrays.items()}
    arrays["air_pos"][3, 1, 1] += 2.0
    meta = json.loads(json.dumps(rec.meta))
    bad = load_replay(write_replay(tmp_path / "bad.aerena-replay.npz", arrays, meta))
    v = Viewer([Scene.from_replay(bad)], (640, 400), window=False)
    v.seek(AT)
    _press_b(v)
    assert len(v.scenes) == 1
    assert "differs from the recording at step 3" in v.message
    v.draw()
