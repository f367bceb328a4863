"""The viewer's what-if key: a few futures of the shown episode from the current frame.

:class:`BranchJob` runs :func:`~aerena.envs.airdefense.whatif.reproduce` and
:func:`~aerena.envs.airdefense.whatif.play_branches` on a background thread (the window
keeps drawing; the kernels release the GIL) and hands back one :class:`~.scene.Scene` per
future: the recording's frames up to the branch step, then the branch's own, so the futures
play side by side with the original under one playhead. Nothing here touches pygame.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from aerena.envs.airdefense.recording import FRAME_KEYS, Replay
from aerena.envs.airdefense.whatif import play_branches, reproduce
from aerena.errors import UserError
from aerena.viz.scene import Scene

__all__ = ["BranchJob", "branch_scene"]


class BranchJob:
    """Plays `n` futures of `scene` from frame `at` in a thread; poll :attr:`done`."""

    def __init__(self, scene: Scene, at: int, n: int = 3, seed: int = 0) -> None:
        self.scene, self.at, self.n, self.seed = scene, int(at), int(n), int(seed)
        self.scenes: list[Scene] = []
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="aerena-whatif", daemon=True)
        self._thread.start()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return self.done

    def _run(self) -> None:
        sc = self.scene
        try:
            replay = Replay(Path(sc.path or "replay"), dict(sc.meta), {**sc.st, **sc.fr})
            branches = play_branches(
                reproduce(replay, self.at), self.n, seed=self.seed, keep_recorders=True
            )
            self.scenes = [branch_scene(sc, self.at, rec) for rec in branches.recorders]
        except UserError as exc:
            self.error = str(exc)
        except Exception as exc:  # shown in the window's status line, not a crash of it
            self.error = f"{type(exc).__name__}: {exc}"


def branch_scene(original: Scene, at: int, recorder: Any) -> Scene:
    """The original's frames 0..at-1 followed by the branch recorder's (frame 0 = step at)."""
    arrays = recorder.arrays()
    frames = {k: np.concatenate([original.fr[k][:at], arrays[k]]) for k in FRAME_KEYS}
    index = np.asarray(original.fr["event_index"])
    frames["events"] = np.concatenate([original.fr["events"][: index[at]], arrays["events"]])
    frames["event_index"] = np.concatenate([index[:at], arrays["event_index"] + index[at]])
    meta = {**original.meta, **recorder.meta()}
    meta["episode"] = original.meta.get("episode", 0)
    meta["frames"] = len(frames["t"])
    meta["steps"] = meta["frames"] - 1
    return Scene(meta, dict(original.st), frames, path=original.path)
