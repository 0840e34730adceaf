"""Plain events of the presenting core: a tiny hook, and the typed records it carries.

The core never imports Qt. The desktop app connects a handler to each hook and turns the event
into a Qt signal (``scene_changed`` → ``sceneChanged``); tests connect a list's ``append``.
Handlers run synchronously, in the thread that changed the state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class EventHook(Generic[T]):
    """A list of callbacks called with one event object.

    ``connect`` returns the callback, so it can be used as a decorator. A callback that raises
    propagates to the caller of :meth:`emit`: the core has no place to hide bugs.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callable[[T], object]] = []

    def connect(self, callback: Callable[[T], object]) -> Callable[[T], object]:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[[T], object]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, event: T) -> None:
        for cb in list(self._callbacks):
            cb(event)

    def __len__(self) -> int:
        return len(self._callbacks)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a live action, an undo or a reset changed in the working copy.

    Views refresh when one of ``objects`` is shown, or a record in ``ids``. ``everything`` is set
    when the whole working copy was restored (refresh all views).
    """

    objects: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    everything: bool = False

    def __bool__(self) -> bool:
        return self.everything or bool(self.objects) or bool(self.ids)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.objects | other.objects, self.ids | other.ids, self.everything or other.everything
        )

    def touches(self, obj: str | None = None, record_id: str | None = None) -> bool:
        """True when a view of ``obj`` (or of the record ``record_id``) should refresh."""
        if self.everything:
            return True
        return (obj is not None and obj in self.objects) or (
            record_id is not None and record_id in self.ids
        )


@dataclass(frozen=True, slots=True)
class SceneChanged:
    """The presenter moved: to another scene, or one live-action step within a scene.

    ``index`` and ``previous`` are scene indexes in the story (0-based); ``step`` is how many of
    the scene's live actions are done.
    """

    index: int
    step: int
    previous: int
    previous_step: int

    @property
    def scene_changed(self) -> bool:
        return self.index != self.previous


@dataclass(frozen=True, slots=True)
class DataChanged:
    """Records of the working copy changed; ``reason`` is ``action``, ``undo``, ``reset`` or
    ``restore``; ``labels`` names the live actions done or undone."""

    changes: Changes
    reason: str
    labels: tuple[str, ...] = field(default=())
