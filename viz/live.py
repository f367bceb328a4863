"""Rendering a running world: the envs' `render_mode="rgb_array"` and `"human"`.

    view = LiveView(world, b=0)      # after world.reset
    view.sync()                      # after every world.step (records the frame)
    rgb = view.rgb_array()           # [H, W, 3] uint8 of the latest frame
    view.show()                      # draw it in a pygame window

The world is followed by a :class:`~.scene.LiveScene` (a
:class:`~aerena.envs.airdefense.recording.Recorder` on world b) and drawn by the replay
renderer, so a live frame equals the replay's frame of the same step, pixel for pixel, at
the same size and options (trails and the event log included).
"""

from __future__ import annotations

from typing import Any

import pygame

from aerena.envs.airdefense.world import World
from aerena.viz.camera import Camera
from aerena.viz.render import Renderer
from aerena.viz.scene import LiveScene
from aerena.viz.surfaces import surface_to_array

DEFAULT_SIZE = (1024, 640)


class LiveView:
    """Draws the latest state of world `b` with the replay renderer."""

    def __init__(
        self, world: World, b: int = 0, size: tuple[int, int] = DEFAULT_SIZE, fps: float = 10.0
    ) -> None:
        self.world = world
        self.b = int(b)
        self.size = (int(size[0]), int(size[1]))
        self.fps = float(fps)
        self.scene: LiveScene | None = None
        self.renderer: Any = None  # a Renderer once the first frame is recorded
        self.camera = Camera()
        self._surface: pygame.Surface | None = None
        self._window: pygame.Surface | None = None
        self._clock: pygame.time.Clock | None = None

    def sync(self) -> None:
        """Record the world's latest step (a reset or restore starts a new recording)."""
        if self.scene is None:
            self.scene = LiveScene(self.world, self.b)
            self.renderer = Renderer(self.scene)
            return
        before = self.scene.recording
        self.scene.sync()
        if self.scene.recording != before:
            # a new recording (reset / restore): drop layers of the previous episode
            self.renderer = Renderer(self.scene, self.renderer.options)

    def restart(self) -> None:
        """Start a new recording from the world's current state (after a reset or restore)."""
        if self.scene is None:
            self.sync()
        else:
            self.scene.restart()
            self.renderer = Renderer(self.scene, self.renderer.options)

    def surface(self) -> Any:
        """Draw the latest frame into the view's Surface and return it."""
        if self.scene is None:
            self.sync()
        assert self.scene is not None
        self._surface = self.renderer.render(
            self.scene.frames - 1, self.size, camera=self.camera, surface=self._surface
        )
        return self._surface

    def rgb_array(self) -> Any:
        """[H, W, 3] uint8 picture of the latest frame."""
        return surface_to_array(self.surface())

    def show(self) -> None:
        """Draw the latest frame in a window (opened on the first call), at most `fps`/s."""
        if self._window is None or not pygame.display.get_init():
            pygame.display.init()
            self._window = pygame.display.set_mode(self.size)
            pygame.display.set_caption(f"aerena - {self.world.scenario.name}")
            self._clock = pygame.time.Clock()
        for ev in pygame.event.get():
            if ev.type == pygame.QUIT:
                self.close()
                return
        self._window.blit(self.surface(), (0, 0))
        pygame.display.flip()
        if self.fps > 0 and self._clock is not None:
            self._clock.tick(self.fps)

    def close(self) -> None:
        if self._window is not None:
            if pygame.display.get_init():
                pygame.display.quit()
            self._window = None
