"""Qt fixtures shared by the UI tests and the trust suite's presenter and offline tests.

Loaded as a plugin by the root conftest; nothing here runs unless a test asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication


@pytest.fixture(scope="session")
def gui_thread_gc(qapp: QApplication) -> Iterator[None]:
    """Garbage collection on the GUI thread only, as in the app (see demoorg.ui.gcguard)."""
    import gc

    from demoorg.ui import gcguard

    guard = gcguard.install(qapp)
    yield
    guard.timer.stop()
    gc.enable()


@pytest.fixture
def themed_app(qapp: QApplication, gui_thread_gc: None) -> QApplication:
    """The test QApplication with the app's theme."""
    from demoorg.ui import theme

    theme.apply(qapp)
    return qapp


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[QSettings]:
    """Private app settings in the test's folder."""
    s = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield s
    s.sync()
