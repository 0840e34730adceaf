"""Python's garbage collection, run only on the GUI thread.

Builds run in a worker thread and allocate a lot, so Python's cyclic garbage collector would
often run there and could finalise Qt objects (widgets, models, charts caught in reference
cycles) outside the GUI thread, which crashes Qt. While the app runs, automatic collection is
off and a timer on the GUI thread collects with the thresholds Python would have used.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadGarbageCollector(QObject):
    """Collects garbage from the GUI thread every ``interval_ms``; install one per application."""

    def __init__(self, parent: QObject, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_timeout)
        self.timer.start(interval_ms)

    def _on_timeout(self) -> None:
        young, middle, old = gc.get_count()
        if young > self.threshold[0]:
            gc.collect(0)
            if middle > self.threshold[1]:
                gc.collect(1)
                if old > self.threshold[2]:
                    gc.collect(2)


def install(app: QObject) -> GuiThreadGarbageCollector:
    """Installs the collector on ``app`` once (a second call returns the first)."""
    existing = app.findChild(GuiThreadGarbageCollector)
    return existing if existing is not None else GuiThreadGarbageCollector(app)
