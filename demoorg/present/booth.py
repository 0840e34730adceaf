"""Booth mode: a story that plays itself at a conference stand, and resets after visitors leave.

Nobody presses Next at a booth. :class:`BoothMode` drives a runner from a periodic :meth:`tick`
(the UI calls it from a timer, say every 250 ms):

- **attract loop** — each position lasts its share of the scene's budget (a scene with two live
  actions splits its budget in three), then the runner moves on; after the last scene the data is
  reset and the story starts again (``loop``);
- **visitor** — :meth:`touch` (any key, click or clicker press) pauses the loop so a visitor or the
  SE can drive by hand;
- **idle reset** — ``idle_reset`` seconds after the last touch, the data is reset to the baseline
  and the attract loop starts over.

The clock is injected (the runner's by default), so tests drive it by hand.
"""

from __future__ import annotations

from collections.abc import Callable

from demoorg.present.events import SceneChanged
from demoorg.present.runner import StoryRunner

ATTRACT = "attract"
VISITOR = "visitor"


class BoothMode:
    """Auto-advance, loop and idle reset over a runner.

    Args:
        runner: the story runner to drive.
        idle_reset: seconds without a touch after which a visitor session ends.
        loop: start again after the last scene (otherwise stay on it).
        clock: seconds; defaults to the runner's clock.
    """

    def __init__(
        self,
        runner: StoryRunner,
        idle_reset: float = 120.0,
        loop: bool = True,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.runner = runner
        self.idle_reset = idle_reset
        self.loop = loop
        self.clock = clock or runner.clock
        self.state = ATTRACT
        self._since = self.clock()
        self._touched = self._since
        runner.scene_changed.connect(self._on_scene_changed)

    def _on_scene_changed(self, event: SceneChanged) -> None:
        self._since = self.clock()

    def step_budget(self) -> float:
        """Seconds the current position lasts in the attract loop."""
        info = self.runner.current
        return info.scene.budget / (info.steps + 1)

    def touch(self) -> None:
        """A visitor (or the SE) interacted: pause the loop and restart the idle countdown."""
        self.state = VISITOR
        self._touched = self.clock()

    def tick(self) -> str | None:
        """Advances the booth; returns what it did: ``next``, ``loop``, ``idle-reset`` or None."""
        now = self.clock()
        if self.state == VISITOR:
            if now - self._touched < self.idle_reset:
                return None
            self.runner.reset()
            self.state = ATTRACT
            self._since = now
            return "idle-reset"
        if now - self._since < self.step_budget():
            return None
        if self.runner.next().moved:
            return "next"
        if not self.loop:
            return None
        self.runner.reset()
        self._since = now
        return "loop"

    def close(self) -> None:
        """Stops listening to the runner."""
        self.runner.scene_changed.disconnect(self._on_scene_changed)
